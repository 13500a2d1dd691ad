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
