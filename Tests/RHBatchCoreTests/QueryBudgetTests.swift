import RHBatchCore
import Testing

/// The query budget of a key: a value, so the checks are arithmetic on run time.
@Suite("query budget")
struct QueryBudgetTests {
    /// Spends the budget as a queue of waiting queries would: each at its moment.
    static func drain(_ budget: inout QueryBudget, count: Int, from start: Duration) -> [Duration] {
        var moments: [Duration] = []
        var now = start
        for _ in 0..<count {
            now = budget.moment(now: now)
            _ = budget.spend(now: now, waited: now > start)
            moments.append(now)
        }
        return moments
    }

    /// Sends `count` queries `apart` from each other from time zero, without waiting; their
    /// numbers.
    static func burst(_ budget: inout QueryBudget, count: Int, apart: Duration) -> [Int] {
        (0..<count).map { budget.spend(now: apart * $0, waited: false) }
    }

    /// The API answers `numbers` (not refused) at `now`.
    static func answer(_ budget: inout QueryBudget, _ numbers: some Sequence<Int>, at now: Duration) {
        for number in numbers { budget.answered(number, refused: false, retryAfter: nil, now: now) }
    }

    @Test func aCapSpreadsQueriesAtItsRate() {
        var budget = QueryBudget(rate: 20)
        // 40 queries waiting at once at 20 a second: 50 ms apart, the last 1.95 s after the first.
        let moments = Self.drain(&budget, count: 40, from: .seconds(1))
        for (earlier, later) in zip(moments, moments.dropFirst()) {
            #expect(later - earlier == .milliseconds(50))
        }
        #expect(moments[39] - moments[0] == .milliseconds(1950))
        #expect(budget.rate == 20, "a cap never grows")
        // Later, with the budget unspent again, a query goes at once.
        #expect(budget.moment(now: .seconds(10)) == .seconds(10))
    }

    @Test func withoutACapItStartsHighAndGrowsWhileQueriesWait() {
        var budget = QueryBudget(rate: nil)
        #expect(budget.rate == QueryBudget.initialRate)
        // 64 queries due at once go within 64 ms.
        let moments = Self.drain(&budget, count: 64, from: .zero)
        #expect(moments[63] < .milliseconds(64))
        // A second of queries waiting for it, no refusal: the rate doubles.
        _ = Self.drain(&budget, count: 1200, from: .milliseconds(64))
        #expect(budget.rate == 2 * QueryBudget.initialRate)
    }

    @Test func aRefusalLowersTheRateBelowWhatTheAPIAcceptedAndHoldsEveryQueryBack() {
        var budget = QueryBudget(rate: nil)
        // 31 queries in 60 ms; the API took 30 of them and refused the 31st, asking for 1 s.
        let numbers = Self.burst(&budget, count: 31, apart: .milliseconds(2))
        for number in numbers.prefix(30) {
            budget.answered(number, refused: false, retryAfter: nil, now: .milliseconds(Int64(2 * number)))
        }
        budget.answered(numbers[30], refused: true, retryAfter: .seconds(1), now: .milliseconds(62))
        #expect(budget.decreases == 1)
        #expect(budget.rate <= 27 && budget.rate >= 26, "0.9 of the 30 it accepted")
        // Every query waits for the Retry-After, then goes at the new rate.
        #expect(budget.moment(now: .milliseconds(70)) == .milliseconds(1062))
        // A refusal of a query sent before the decrease is the same episode: no second decrease.
        budget.answered(numbers[29], refused: true, retryAfter: nil, now: .milliseconds(63))
        #expect(budget.decreases == 1 && budget.refusals == 2)
    }

    @Test func queriesStillOnTheirWayAreNotCountedAsAccepted() {
        var budget = QueryBudget(rate: nil)
        // Queries due at once go out a millisecond apart; answers take 10 ms. The API answers
        // 30 and refuses the 31st: when that refusal comes, 41 have been sent and 10 of them are
        // still on their way (and will be refused too). The limit it showed is 30, not 40.
        let numbers = Self.burst(&budget, count: 41, apart: .milliseconds(1))
        for (offset, number) in numbers.prefix(30).enumerated() {
            budget.answered(number, refused: false, retryAfter: nil, now: .milliseconds(Int64(offset + 10)))
        }
        budget.answered(numbers[30], refused: true, retryAfter: .seconds(1), now: .milliseconds(40))
        #expect(budget.decreases == 1)
        #expect(budget.rate <= 27, "0.9 of the 30 answered, not of the 40 sent before the refusal")
        // The refusals of the queries that were on their way are the same episode.
        for number in numbers[31...] {
            budget.answered(number, refused: true, retryAfter: .seconds(1), now: .milliseconds(45))
        }
        #expect(budget.decreases == 1 && budget.refusals == 11)
    }

    @Test func answersThatComeAfterTheRefusalSetTheRateWhenItsWaitEnds() {
        var budget = QueryBudget(rate: nil)
        // 41 queries a millisecond apart. The refusal of the 31st comes back first, before any
        // answer (refusing is quicker than answering): nothing accepted is known yet.
        let numbers = Self.burst(&budget, count: 41, apart: .milliseconds(1))
        budget.answered(numbers[30], refused: true, retryAfter: .seconds(1), now: .milliseconds(41))
        #expect(budget.decreases == 1 && budget.rate > 100, "only 0.85 of the rate until answers come")
        // Then the answers to the 30 it accepted, and the other refusals.
        Self.answer(&budget, numbers.prefix(30), at: .milliseconds(60))
        for number in numbers[31...] {
            budget.answered(number, refused: true, retryAfter: .seconds(1), now: .milliseconds(62))
        }
        // When the wait ends, the 30 answered set the pace: 0.9 of them a second.
        let resume = budget.moment(now: .milliseconds(100))
        #expect(resume == .milliseconds(1062))
        _ = budget.spend(now: resume, waited: true)
        #expect(budget.rate <= 27 && budget.rate >= 26)
        #expect(budget.decreases == 1)
    }

    @Test func aFewAnswersBeforeTheRefusalDoNotSetTheRateForGood() {
        var budget = QueryBudget(rate: nil)
        let numbers = Self.burst(&budget, count: 41, apart: .milliseconds(1))
        // 5 answers are in when the refusal comes; 25 more come after it.
        Self.answer(&budget, numbers.prefix(5), at: .milliseconds(20))
        budget.answered(numbers[30], refused: true, retryAfter: .seconds(1), now: .milliseconds(41))
        #expect(budget.rate <= 4.5)
        Self.answer(&budget, numbers[5..<30], at: .milliseconds(60))
        // When the wait ends the 30 answers set the rate, up from the 5 the refusal saw.
        let resume = budget.moment(now: .milliseconds(100))
        _ = budget.spend(now: resume, waited: true)
        #expect(budget.rate <= 27 && budget.rate >= 26, "\(budget.rate)")
    }

    @Test func afterARefusalTheRateClimbsBackSlowly() {
        var budget = QueryBudget(rate: nil)
        let first = budget.spend(now: .zero, waited: false)
        budget.answered(first, refused: true, retryAfter: .zero, now: .zero)
        let lowered = budget.rate
        // Ten quiet seconds of waiting queries: 1% a second, not a doubling.
        var now = Duration.zero
        for _ in 0..<10 {
            now += .seconds(1)
            _ = budget.spend(now: now, waited: true)
        }
        #expect(budget.rate > lowered)
        #expect(budget.rate < lowered * 1.25)
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
        #expect(sparse.last == .milliseconds(8700))
    }

    @Test func tasksOfOneLengthAreAskedOnce() {
        var durations = TaskDurations()
        for _ in 0..<10 { durations.record(.seconds(5)) }
        #expect(durations.plannedQueries(minimumGap: .milliseconds(100)) == [.seconds(5)])
    }

    /// Offsets are not evenly spaced: after one, the next is the next planned, not one an average
    /// spacing away; and a query sent a little early (its jitter) is not repeated at its offset.
    @Test func theNextQueryIsTheNextPlannedOne() {
        var durations = TaskDurations()
        for _ in 0..<5 { durations.record(.seconds(1)) }
        for _ in 0..<4 { durations.record(.milliseconds(1500)) }
        durations.record(.seconds(10))
        #expect(
            durations.plannedQueries(minimumGap: durations.step!) == [.seconds(1), .milliseconds(1500), .seconds(10)])
        #expect(durations.nextQuery(after: .milliseconds(300)) == .seconds(1))
        #expect(durations.nextQuery(after: .seconds(1)) == .milliseconds(1500))
        #expect(durations.nextQuery(after: .milliseconds(1490)) == .seconds(10), "1500 went 0.7% early")
        #expect(durations.nextQuery(after: .seconds(10)) == nil)
    }

    /// Times closer together than the gap are asked once, at the longest of them: one query finds
    /// them all, where one at the shortest would find few and ask again a gap later.
    @Test func timesWithinTheGapAreAskedOnceAtTheirLongest() {
        var durations = TaskDurations()
        // 1.000, 1.002, ... 1.018 s: one-second tasks seen with a little noise, all within the gap.
        for step in 0..<10 { durations.record(.milliseconds(1000 + 2 * Int64(step))) }
        #expect(durations.plannedQueries(minimumGap: .milliseconds(20)) == [.milliseconds(1018)])
        #expect(durations.nextQuery(after: .zero) == .milliseconds(1018))
        // Two clusters: each asked at its own longest.
        for step in 0..<10 { durations.record(.milliseconds(2000 + 2 * Int64(step))) }
        #expect(durations.plannedQueries(minimumGap: .milliseconds(20)) == [.milliseconds(1018), .milliseconds(2018)])
    }
}
