import RunningHubModel
import Testing

@testable import RHBatchCore

/// The scheduler's decisions as transcripts: events in, actions out, no clock, no sockets.
@Suite("Submit scheduler")
struct SubmitSchedulerTests {
    let price = Money("1")!
    let queueFull = APIFailure(code: "421", message: "TASK_QUEUE_MAXED", httpStatus: 200, errorClass: .retryable)

    func submits(_ actions: [SubmitScheduler.Action]) -> [Int] {
        actions.compactMap { if case .submit(let job) = $0 { return job } else { return nil } }
    }

    @Test func submitsUpToTheCeilingThenOneForEachFinish() {
        var scheduler = SubmitScheduler(.init(maxInFlight: 2))
        var sent: [Int] = []
        for job in 0..<5 { sent += submits(scheduler.enqueue(job, estimate: price, now: .zero)) }
        #expect(sent == [0, 1])
        #expect(scheduler.inFlight == 2 && scheduler.queued == 3)
        #expect(submits(scheduler.submitFinished(0, .accepted, now: .seconds(1))).isEmpty)
        #expect(submits(scheduler.submitFinished(1, .accepted, now: .seconds(1))).isEmpty)
        #expect(submits(scheduler.taskEnded(0, actualCost: price, now: .seconds(5))) == [2])
        #expect(submits(scheduler.taskEnded(1, actualCost: price, now: .seconds(6))) == [3])
    }

    @Test func nothingIsKeptAboutJobsThatEnded() {
        var scheduler = SubmitScheduler(.init(maxInFlight: 8, maxRefusals: 1))
        let failed = APIFailure(code: "1001", message: "bad field", httpStatus: 200, errorClass: .final)
        let lost = APIFailure(code: "http-502", message: "lost", httpStatus: 502, errorClass: .unknownOutcome)
        for job in 0..<6 { _ = scheduler.enqueue(job, estimate: price, now: .zero) }
        #expect(scheduler.jobsKept == 6)
        _ = scheduler.submitFinished(0, .accepted, now: .seconds(1))
        _ = scheduler.submitFinished(1, .acceptedFinished(actualCost: price), now: .seconds(1))
        _ = scheduler.submitFinished(2, .failed(failed), now: .seconds(1))
        _ = scheduler.submitFinished(3, .unknown(lost), now: .seconds(1))
        _ = scheduler.submitFinished(4, .refused(queueFull), now: .seconds(1))
        // Job 0 still runs; job 5 is still to hear from; the rest have ended.
        #expect(scheduler.jobsKept == 2)
        _ = scheduler.taskEnded(0, actualCost: price, now: .seconds(2))
        _ = scheduler.submitFinished(5, .accepted, now: .seconds(2))
        _ = scheduler.taskEnded(5, actualCost: nil, now: .seconds(3))
        #expect(scheduler.jobsKept == 0)
        #expect(scheduler.inFlight == 0 && scheduler.accepted == 0)
    }

    @Test func queueFullWithOurTasksRunningWaitsForOneToEnd() {
        var scheduler = SubmitScheduler(.init(maxInFlight: 4, retryBase: .seconds(2)))
        for job in 0..<6 { _ = scheduler.enqueue(job, estimate: price, now: .zero) }
        _ = scheduler.submitFinished(0, .accepted, now: .seconds(1))
        _ = scheduler.submitFinished(1, .accepted, now: .seconds(1))
        let actions = scheduler.submitFinished(2, .refused(queueFull), now: .seconds(1))
        // No timer: the account is full of our own two tasks, so the ceiling drops to two.
        #expect(actions.isEmpty)
        #expect(scheduler.ceiling == 2)
        // Job 3 was sent together with job 2: the same congestion, no second decrease.
        #expect(scheduler.submitFinished(3, .refused(queueFull), now: .seconds(1)).isEmpty)
        #expect(scheduler.ceiling == 2)
        // When one of ours ends, the refused jobs go first, in their order.
        #expect(submits(scheduler.taskEnded(0, actualCost: price, now: .seconds(2))) == [2])
        #expect(submits(scheduler.taskEnded(1, actualCost: price, now: .seconds(3))) == [3])
        #expect(scheduler.refusals == 2)
    }

    @Test func queueFullOfSomeoneElsesTasksPausesWithBackoff() {
        var scheduler = SubmitScheduler(.init(maxInFlight: 4, retryBase: .seconds(2)))
        for job in 0..<3 { _ = scheduler.enqueue(job, estimate: price, now: .zero) }
        _ = scheduler.submitFinished(0, .refused(queueFull), now: .seconds(1))
        _ = scheduler.submitFinished(1, .refused(queueFull), now: .seconds(1))
        let actions = scheduler.submitFinished(2, .refused(queueFull), now: .seconds(1))
        #expect(actions.contains { if case .wake = $0 { return true } else { return false } })
        #expect(scheduler.ceiling == 1)
        guard let paused = scheduler.pausedUntil else {
            Issue.record("expected a pause")
            return
        }
        #expect(paused >= .milliseconds(2600) && paused <= .milliseconds(3400))
        #expect(submits(scheduler.tick(now: .milliseconds(1500))).isEmpty)
        #expect(submits(scheduler.tick(now: .seconds(30))) == [0])
    }

    @Test func retryAfterIsHonoured() {
        var scheduler = SubmitScheduler(.init(maxInFlight: 3))
        for job in 0..<2 { _ = scheduler.enqueue(job, estimate: price, now: .zero) }
        let limited = APIFailure(
            code: "1003", message: "rate", httpStatus: 429, errorClass: .retryable, retryAfter: .seconds(7))
        let actions = scheduler.submitFinished(0, .refused(limited), now: .seconds(1))
        #expect(actions.contains(.wake(at: .seconds(8))))
        #expect(submits(scheduler.tick(now: .seconds(7))).isEmpty)
        #expect(submits(scheduler.tick(now: .seconds(8))) == [0])
    }

    @Test func backoffGrowsWithRefusalsInARow() {
        var scheduler = SubmitScheduler(.init(maxInFlight: 1, retryBase: .seconds(1), retryCap: .seconds(8)))
        _ = scheduler.enqueue(0, estimate: price, now: .zero)
        var now = Duration.zero
        var waits: [Duration] = []
        for _ in 0..<6 {
            let actions = scheduler.submitFinished(0, .refused(queueFull), now: now)
            guard case .wake(let at) = actions.last else {
                Issue.record("a refusal must schedule a wake, got \(actions)")
                return
            }
            waits.append(at - now)
            now = at
            #expect(submits(scheduler.tick(now: now)) == [0])
        }
        #expect(waits.count == 6)
        for (wait, nominal) in zip(waits, [1, 2, 4, 8, 8, 8]) {
            #expect(wait >= .seconds(Double(nominal) * 0.8) && wait <= .seconds(Double(nominal) * 1.2))
        }
    }

    @Test func laterCongestionLowersTheCeilingAgain() {
        var scheduler = SubmitScheduler(.init(maxInFlight: 8))
        for job in 0..<10 { _ = scheduler.enqueue(job, estimate: price, now: .zero) }
        for job in 0..<4 { _ = scheduler.submitFinished(job, .accepted, now: .zero) }
        _ = scheduler.submitFinished(4, .refused(queueFull), now: .zero)
        #expect(scheduler.ceiling == 4)
        for job in 5..<8 { _ = scheduler.submitFinished(job, .refused(queueFull), now: .zero) }
        #expect(scheduler.ceiling == 4)
        var resent = submits(scheduler.taskEnded(0, actualCost: nil, now: .seconds(1)))
        resent += submits(scheduler.tick(now: .seconds(60)))
        #expect(resent == [4])
        // Refused again though it was sent after the decrease: another congestion, one lower.
        _ = scheduler.submitFinished(4, .refused(queueFull), now: .seconds(60))
        #expect(scheduler.ceiling == 3)
    }

    @Test func theCeilingClimbsBackAfterCleanSubmits() {
        var scheduler = SubmitScheduler(.init(maxInFlight: 4, raiseAfter: 2))
        for job in 0..<20 { _ = scheduler.enqueue(job, estimate: price, now: .zero) }
        _ = scheduler.submitFinished(0, .refused(queueFull), now: .zero)
        #expect(scheduler.ceiling == 1)
        var now = Duration.seconds(10)
        var job = 0
        var ceilings: [Int] = []
        while scheduler.ceiling < 4 && job < 20 {
            _ = scheduler.tick(now: now)
            _ = scheduler.submitFinished(job, .acceptedFinished(actualCost: nil), now: now)
            ceilings.append(scheduler.ceiling)
            job += 1
            now += .seconds(1)
        }
        #expect(ceilings.last == 4)
        #expect(ceilings == ceilings.sorted())
    }

    @Test func unknownOutcomesAreNotResubmitted() {
        var scheduler = SubmitScheduler(.init(maxInFlight: 2))
        _ = scheduler.enqueue(0, estimate: price, now: .zero)
        let lost = APIFailure(code: "timeout", message: "no answer", errorClass: .unknownOutcome)
        let actions = scheduler.submitFinished(0, .unknown(lost), now: .seconds(1))
        #expect(actions == [.jobEnded(0, .unknown(lost))])
        #expect(scheduler.isIdle)
        var resubmitting = SubmitScheduler(.init(maxInFlight: 2, resubmitUnknown: true))
        _ = resubmitting.enqueue(0, estimate: price, now: .zero)
        #expect(submits(resubmitting.submitFinished(0, .unknown(lost), now: .seconds(1))) == [0])
    }

    @Test func fatalErrorsStopEverything() {
        var scheduler = SubmitScheduler(.init(maxInFlight: 2))
        for job in 0..<4 { _ = scheduler.enqueue(job, estimate: price, now: .zero) }
        let badKey = APIFailure(code: "1002", message: "Invalid API Key", errorClass: .fatal)
        let actions = scheduler.submitFinished(0, .failed(badKey), now: .seconds(1))
        #expect(actions.contains(.stop(.fatal(badKey))))
        #expect(actions.contains(.jobEnded(0, .failed(badKey))))
        #expect(submits(scheduler.submitFinished(1, .accepted, now: .seconds(1))).isEmpty)
        #expect(submits(scheduler.taskEnded(1, actualCost: nil, now: .seconds(2))).isEmpty)
        #expect(scheduler.waitingJobs == [2, 3])
        #expect(scheduler.isIdle)
    }

    @Test func finalFailuresEndOnlyTheirJob() {
        var scheduler = SubmitScheduler(.init(maxInFlight: 1))
        for job in 0..<2 { _ = scheduler.enqueue(job, estimate: price, now: .zero) }
        let invalid = APIFailure(code: "1007", message: "Invalid parameters", errorClass: .final)
        let actions = scheduler.submitFinished(0, .failed(invalid), now: .zero)
        #expect(actions == [.jobEnded(0, .failed(invalid)), .submit(1)])
    }

    @Test func theBudgetStopsSubmitsBeforeItIsPassed() {
        var scheduler = SubmitScheduler(.init(maxInFlight: 10, maxCost: Money("2.5")))
        var sent: [Int] = []
        var stops: [SubmitScheduler.Action] = []
        for job in 0..<5 {
            let actions = scheduler.enqueue(job, estimate: price, now: .zero)
            sent += submits(actions)
            stops += actions.filter { if case .stop = $0 { return true } else { return false } }
        }
        #expect(sent == [0, 1])
        #expect(stops == [.stop(.budget(limit: Money("2.5")!))])
        // A refused submit gives its estimate back, but the run has stopped.
        #expect(submits(scheduler.submitFinished(0, .refused(queueFull), now: .zero)).isEmpty)
    }

    @Test func actualCostsReplaceEstimates() {
        var scheduler = SubmitScheduler(.init(maxInFlight: 1, maxCost: Money("2")))
        for job in 0..<3 { _ = scheduler.enqueue(job, estimate: price, now: .zero) }
        _ = scheduler.submitFinished(0, .accepted, now: .zero)
        // The first task turned out cheaper: two more fit.
        #expect(submits(scheduler.taskEnded(0, actualCost: Money("0.5"), now: .seconds(1))) == [1])
        _ = scheduler.submitFinished(1, .accepted, now: .seconds(1))
        let actions = scheduler.taskEnded(1, actualCost: Money("0.5"), now: .seconds(2))
        #expect(submits(actions) == [2])
        #expect(scheduler.committed == Money("2"))
    }

    @Test func anUnreachableAPIStopsTheRunAfterTheLimit() {
        var scheduler = SubmitScheduler(.init(maxInFlight: 1, retryCap: .seconds(1), unreachableLimit: .seconds(10)))
        _ = scheduler.enqueue(0, estimate: price, now: .zero)
        let refused = APIFailure(code: "connection-failed", message: "could not connect", errorClass: .retryable)
        var now = Duration.zero
        var stopped = false
        for _ in 0..<30 where !stopped {
            let actions = scheduler.submitFinished(0, .refused(refused), now: now)
            if actions.contains(.stop(.unreachable(refused))) {
                stopped = true
                break
            }
            now += .seconds(1)
            _ = scheduler.tick(now: now)
        }
        #expect(stopped)
        #expect(now >= .seconds(10) && now <= .seconds(11))
        // Connection failures do not lower the ceiling: the account's limit was not the problem.
        #expect(scheduler.ceiling == 1)
    }

    @Test func interruptStopsNewSubmitsOnly() {
        var scheduler = SubmitScheduler(.init(maxInFlight: 2))
        for job in 0..<4 { _ = scheduler.enqueue(job, estimate: price, now: .zero) }
        #expect(scheduler.interrupt() == [.stop(.interrupted)])
        #expect(scheduler.interrupt().isEmpty)
        #expect(!scheduler.isIdle)
        _ = scheduler.submitFinished(0, .accepted, now: .seconds(1))
        _ = scheduler.submitFinished(1, .accepted, now: .seconds(1))
        #expect(submits(scheduler.taskEnded(0, actualCost: nil, now: .seconds(2))).isEmpty)
        _ = scheduler.taskEnded(1, actualCost: nil, now: .seconds(2))
        #expect(scheduler.isIdle)
    }

    @Test func pollScheduleGrowsAndIsBounded() {
        let schedule = PollSchedule(minimum: .seconds(3), maximum: .seconds(15), growth: 1.5)
        let waits = (1...8).map { schedule.delay(attempt: $0, jitter: 0.5) }
        #expect(waits[0] == .seconds(3))
        #expect(waits[1] == .seconds(4.5))
        #expect(waits.last == .seconds(15))
        #expect(waits == waits.sorted())
        #expect(abs((schedule.delay(attempt: 1, jitter: 0) - .seconds(2.7)) / .seconds(1)) < 1e-9)
        #expect(abs((schedule.delay(attempt: 1, jitter: 1) - .seconds(3.3)) / .seconds(1)) < 1e-9)
        // A 60 s task takes 7 queries on the standard schedule.
        var elapsed = Duration.zero
        var queries = 0
        while elapsed < .seconds(60) {
            queries += 1
            elapsed += PollSchedule.standard.delay(attempt: queries, jitter: 0.5)
        }
        #expect(queries <= 10)
    }
}
