import RHBatchCore
import Testing

/// The run's query budget: a value, so the checks are arithmetic on run time.
@Suite("query budget")
struct QueryBudgetTests {
    @Test func reservationsAreSpreadAtTheRate() {
        var budget = QueryBudget(rate: 20)
        // 40 queries asked for at once at 20 a second: 50 ms apart, the last 1.95 s after the first.
        let moments = (0..<40).map { _ in budget.reserve(now: .seconds(1)) }
        for (earlier, later) in zip(moments, moments.dropFirst()) {
            #expect(later - earlier == .milliseconds(50))
        }
        #expect(moments[0] == .seconds(1))
        #expect(moments[39] - moments[0] == .milliseconds(1950))
        // Later, with the budget unspent again, a query goes at once.
        #expect(budget.reserve(now: .seconds(10)) == .seconds(10))
    }

    @Test func aRateLimitAnswerHoldsEveryLaterQueryBack() {
        var budget = QueryBudget(rate: 100)
        #expect(budget.reserve(now: .seconds(2)) == .seconds(2))
        budget.pause(for: .seconds(3), now: .seconds(2))
        let next = budget.reserve(now: .seconds(2))
        #expect(next == .seconds(5))
        #expect(budget.reserve(now: .seconds(2)) - next == .milliseconds(10))
    }

    @Test func noRateMeansNoWait() {
        var budget = QueryBudget(rate: nil)
        for _ in 0..<100 { #expect(budget.reserve(now: .seconds(7)) == .seconds(7)) }
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
