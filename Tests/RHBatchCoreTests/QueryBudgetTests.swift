import RHBatchCore
import Testing

/// The run's query budget: reservations, not sleeps, so the checks are arithmetic.
@Suite("query budget")
struct QueryBudgetTests {
    @Test func reservationsAreSpreadAtTheRate() async {
        let budget = QueryBudget(rate: 20)
        let clock = ContinuousClock()
        let start = clock.now
        var moments: [ContinuousClock.Instant] = []
        for _ in 0..<40 { moments.append(await budget.reserve()) }
        // 40 queries at 20 a second: the last may go no sooner than 1.95 s after the first.
        for (earlier, later) in zip(moments, moments.dropFirst()) {
            #expect(later - earlier >= .milliseconds(50))
        }
        #expect(moments[0] >= start)
        #expect(moments[39] - moments[0] >= .milliseconds(1950))
    }

    @Test func aRateLimitAnswerHoldsEveryLaterQueryBack() async {
        let budget = QueryBudget(rate: 100)
        let clock = ContinuousClock()
        _ = await budget.reserve()
        let paused = clock.now
        await budget.pause(for: .seconds(3))
        let next = await budget.reserve()
        #expect(next - paused >= .seconds(3))
        let after = await budget.reserve()
        #expect(after - next >= .milliseconds(10))
    }

    @Test func noRateMeansNoWait() async {
        let budget = QueryBudget(rate: nil)
        let clock = ContinuousClock()
        let before = clock.now
        for _ in 0..<100 { _ = await budget.reserve() }
        let last = await budget.reserve()
        // Every reservation is "now": none is pushed past the moment it was asked for.
        #expect(last <= clock.now && last >= before)
    }
}

/// Where the polls of a task go once its model's task times are known.
@Suite("planned queries")
struct PlannedQueryTests {
    @Test func queriesGoToEveryTenthOfTheKnownTimes() {
        var durations = TaskDurations()
        #expect(durations.plannedQueries(minimumGap: .milliseconds(100), steps: 10).isEmpty)
        // 3.0, 3.3, ... 8.7 s: twenty evenly spread task times.
        for step in 0..<20 { durations.record(.milliseconds(3000 + 300 * Int64(step))) }
        let offsets = durations.plannedQueries(minimumGap: .milliseconds(100), steps: 10)
        #expect(offsets.count == 10)
        #expect(offsets.first == .milliseconds(3300) && offsets.last == .milliseconds(8700))
        #expect(zip(offsets, offsets.dropFirst()).allSatisfy { $1 - $0 == .milliseconds(600) })
        // A wider gap floor drops the offsets that would come too soon after the previous.
        let sparse = durations.plannedQueries(minimumGap: .milliseconds(1000), steps: 10)
        #expect(sparse.count == 5)
        #expect(zip(sparse, sparse.dropFirst()).allSatisfy { $1 - $0 >= .milliseconds(1000) })
    }

    @Test func tasksOfOneLengthAreAskedOnce() {
        var durations = TaskDurations()
        for _ in 0..<10 { durations.record(.seconds(5)) }
        #expect(durations.plannedQueries(minimumGap: .milliseconds(100)) == [.seconds(5)])
    }
}
