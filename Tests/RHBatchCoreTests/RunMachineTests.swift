import RHBatchCore
import RunningHubModel
import Testing

/// Transcript tests of the run machine: events in, actions and journal records out, on a
/// virtual clock (see ``World``). No sockets, no files, no sleeps.
@Suite("run machine")
struct RunMachineTests {
    /// One job (one model, one prompt, one local image) or, with `jobs: 4`, two prompts × two models.
    static func plan(jobs: Int = 1, concurrency: Int = 4) throws -> (Plan, Fixture) {
        let fixture = try Fixture()
        try fixture.png("room.png")
        let matrix =
            jobs == 1
            ? "{prompt: [A.], image: room.png, model: grok-imagine}"
            : "{prompt: [A., B.], image: room.png, model: [grok-imagine, nano-banana-pro]}"
        return (try fixture.plan("version: 1\noutput: out\nconcurrency: \(concurrency)\nmatrix: \(matrix)\n"), fixture)
    }

    /// `count` jobs of one model (prompts P1. … Pn. on one local image), all in flight at once.
    static func plan(prompts count: Int) throws -> (Plan, Fixture) {
        let fixture = try Fixture()
        try fixture.png("room.png")
        let prompts = (1...count).map { "P\($0)." }.joined(separator: ", ")
        let plan = try fixture.plan(
            "version: 1\noutput: out\nconcurrency: \(count)\nmatrix: {prompt: [\(prompts)], image: room.png, model: grok-imagine}\n"
        )
        return (plan, fixture)
    }

    static func running(_ taskId: String) -> QueryOutcome {
        .task(TaskSnapshot(taskId: taskId, state: .running))
    }

    /// The position of the first action that matches, or `nil`.
    static func position(in actions: [RunMachine.Action], _ matches: (RunMachine.Action) -> Bool) -> Int? {
        actions.firstIndex(where: matches)
    }

    @Test func theOpeningRecordsComeInBatchesThatAddUpToThemAll() throws {
        let (plan, _) = try Self.plan(jobs: 4)
        let world = World(plan: plan)
        let moment = RunMoment(elapsed: .zero, epochMilliseconds: 1_795_238_949_000)
        var batched: [JournalRecord] = []
        for start in stride(from: 0, through: world.machine.selected.count, by: 3) {
            batched += world.machine.startRecords(at: moment, batch: start..<start + 3)
        }
        // The run's own record once, first; then every job's `planned` record once, in order.
        #expect(batched.map(\.event) == [.run, .planned, .planned, .planned, .planned])
        #expect(batched.dropFirst().map { $0["key"] } == plan.jobs.map(\.key))
        #expect(world.machine.startRecords(at: moment, batch: 8..<12).isEmpty)
        // Jobs the journal knows already are not planned again.
        var history = JournalState()
        history.apply(.planned(key: plan.jobs[1].key, path: plan.jobs[1].outputTemplate, at: moment.timestamp))
        let again = World(plan: plan, history: history).machine.startRecords(at: moment, batch: 0..<100)
        #expect(again.compactMap { $0["key"] } == [plan.jobs[0].key, plan.jobs[2].key, plan.jobs[3].key])
    }

    // MARK: A job's way

    @Test func aJobGoesThroughEveryStageWithItsRecordsOnDiskFirst() throws {
        let (plan, _) = try Self.plan()
        var world = World(plan: plan)
        world.run()
        #expect(world.machine.jobs[0].status == .succeeded)
        #expect(world.recordKinds == [.uploaded, .submitting, .submitted, .finished, .downloaded])
        #expect(world.uploads == 1 && world.submits == [0] && world.queries == ["t1": 1] && world.downloads.count == 1)
        // The submit carries its `submitting` record (sent once it is on disk), the first query
        // waits for the task id to be on disk.
        var submitRecords: [JournalRecord.Event] = []
        for case .submit(_, _, _, let record) in world.actions { submitRecords.append(record.event) }
        #expect(submitRecords == [.submitting])
        let queries = world.actions.compactMap { action -> Bool? in
            if case .query(_, _, let afterSync) = action { afterSync } else { nil }
        }
        #expect(queries == [true], "the first query waits for the sync")
        // The body is the model's: the prompt and the uploaded URL.
        for case .submit(_, let endpoint, let body, _) in world.actions {
            #expect(endpoint == plan.jobs[0].endpoint)
            let text = String(decoding: body, as: UTF8.self)
            #expect(text.contains("\"A.\"") && text.contains("https://files.example/0-1.png"))
        }
        // The first task of a model is a scout: with no task time known, it is asked first at a
        // twelfth of the schedule's first delay (0.25 s of 3 s), not at once.
        #expect(world.queryTimes.first.map { $0 >= .milliseconds(250) && $0 < .seconds(1) } == true)
    }

    @Test func aCrashAfterAnyRecordNeverPaysTwiceAndTheNextRunDoesWhatIsLeft() throws {
        let (plan, _) = try Self.plan()
        var first = World(plan: plan)
        first.run()
        let records = first.records
        #expect(records.count == 5)
        for cut in 0...records.count {
            let history = first.history(upTo: cut)
            let kinds = records.prefix(cut).map(\.event)
            var resumed = World(plan: plan, history: history)
            // A result recorded as downloaded is on disk, unchanged.
            let facts = RunMachine.StartFacts(
                verified: kinds.contains(.downloaded) ? [RunMachine.resultID(job: 0, index: 1)] : [])
            resumed.run(facts)
            let run = resumed.machine.jobs[0]
            if !kinds.contains(.submitting) {
                // Nothing was sent: it is sent now.
                #expect(resumed.submits == [0], "cut \(cut)")
                #expect(run.status == .succeeded, "cut \(cut)")
            } else if !kinds.contains(.submitted) {
                // Sent, answer unknown: never sent again by itself.
                #expect(resumed.submits.isEmpty, "cut \(cut)")
                #expect(run.status == .unknown, "cut \(cut)")
                var again = World(plan: plan, options: World.options { $0.resubmitUnknown = true }, history: history)
                again.run()
                #expect(again.submits == [0], "cut \(cut): --resubmit-unknown sends it again")
            } else if !kinds.contains(.downloaded) {
                // A task exists: it is asked, never submitted again.
                #expect(resumed.submits.isEmpty, "cut \(cut)")
                #expect(resumed.queries["t1"] == 1, "cut \(cut)")
                #expect(run.status == .succeeded && resumed.downloads.count == 1, "cut \(cut)")
            } else {
                // Done and on disk: nothing is asked at all.
                #expect(resumed.actions.isEmpty, "cut \(cut)")
                #expect(run.status == .succeeded && run.alreadyDone, "cut \(cut)")
            }
        }
    }

    @Test func aDeletedResultIsFetchedAgainFromTheTaskNotRunAgain() throws {
        let (plan, _) = try Self.plan()
        var first = World(plan: plan)
        first.run()
        var resumed = World(plan: plan, history: first.history(upTo: first.records.count))
        resumed.run(RunMachine.StartFacts(verified: []))
        #expect(resumed.submits.isEmpty)
        #expect(resumed.queries["t1"] == 1 && resumed.downloads.count == 1)
        #expect(resumed.machine.jobs[0].status == .succeeded && !resumed.machine.jobs[0].alreadyDone)
    }

    @Test func aTaskOfAKeyThisRunLacksEndsUnknownWithWhy() throws {
        let (plan, _) = try Self.plan()
        var first = World(plan: plan)
        first.queryAnswer = { taskId, _ in Self.running(taskId) }
        first.send(.started(.init()))
        first.runOn { $0.queries["t1"] == 1 }
        var resumed = World(plan: plan, history: first.history(upTo: first.records.count))
        resumed.run(RunMachine.StartFacts(keyGone: [0: "abc123"]))
        #expect(resumed.submits.isEmpty && resumed.queries.isEmpty)
        #expect(resumed.machine.jobs[0].status == .unknown)
        #expect(resumed.machine.jobs[0].failure?.code == .keyGone)
        #expect(resumed.machine.jobs[0].failure?.message.contains("abc123") == true)
    }

    // MARK: The service's edge cases

    @Test func aFailedStatusEndsTheTaskWhateverItsErrorCode() throws {
        let (plan, _) = try Self.plan(jobs: 4)
        for code in ["1000", "500", "1005", "1011"] {
            var world = World(plan: plan)
            world.queryAnswer = { taskId, _ in
                .task(TaskSnapshot(taskId: taskId, state: .failed, errorCode: code, errorMessage: "unknown error"))
            }
            world.run()
            #expect(world.queries.values.allSatisfy { $0 == 1 }, "code \(code): one query each")
            #expect(
                world.machine.jobs.allSatisfy {
                    $0.status == .failed && $0.failure?.code == JobFailure.Code(rawValue: code)
                })
            #expect(world.submits.count == 4)
            #expect(world.now < .seconds(60), "no waiting for a timeout")
        }
    }

    @Test func aTaskNotFoundIsAskedAgainForTwoMinutesThenLostNeverResubmitted() throws {
        let (plan, _) = try Self.plan()
        var world = World(plan: plan)
        world.queryAnswer = { _, _ in .failed(APIFailure(code: "1004", message: "Task not found", errorClass: .final)) }
        world.run()
        let run = world.machine.jobs[0]
        #expect(run.status == .failed && run.failure?.code.rawValue == "1004")
        #expect(world.queries["t1"]! >= 3)
        // Over the whole window, on the virtual clock.
        #expect(world.queryTimes.last! - world.queryTimes.first! >= .seconds(120))
        #expect(world.submits == [0])
        #expect(world.recordKinds.last == .failed)
        // The next run leaves it alone.
        var next = World(plan: plan, history: world.history(upTo: world.records.count))
        next.run()
        #expect(next.submits.isEmpty && next.queries.isEmpty)
        #expect(next.machine.jobs[0].status == .failed)
    }

    @Test func aBriefTaskNotFoundJustAfterTheSubmitIsForgiven() throws {
        let (plan, _) = try Self.plan()
        var world = World(plan: plan)
        let succeeded = world.queryAnswer
        world.queryAnswer = { taskId, query in
            query <= 2
                ? .failed(APIFailure(code: "1004", message: "Task not found", errorClass: .final))
                : succeeded(taskId, query)
        }
        world.run()
        #expect(world.machine.jobs[0].status == .succeeded)
        #expect(world.queries["t1"] == 3)
    }

    @Test func anExpiredDownloadAsksTheTaskOnceForFreshURLs() throws {
        let (plan, _) = try Self.plan()
        var world = World(plan: plan)
        let save = world.downloadAnswer
        world.downloadAnswer = { work, download in
            download == 1 ? .failure(DownloadError(reason: .expired, message: "HTTP 403")) : save(work, download)
        }
        world.run()
        #expect(world.machine.jobs[0].status == .succeeded)
        #expect(world.queries["t1"] == 2, "one query for the result, one for fresh URLs")
        #expect(world.submits == [0], "never run (and paid for) again")

        var expired = World(plan: plan)
        expired.downloadAnswer = { _, _ in .failure(DownloadError(reason: .expired, message: "HTTP 403")) }
        expired.run()
        #expect(expired.machine.jobs[0].status == .failed && expired.machine.jobs[0].failure?.code == .expired)
        #expect(expired.queries["t1"] == 2 && expired.downloads.count == 2)
        #expect(expired.submits == [0])
        #expect(expired.recordKinds.last == .failed)
    }

    @Test func retryFailedNeverPaysAgainForATaskThatSucceeded() throws {
        let (plan, _) = try Self.plan()
        var first = World(plan: plan)
        first.downloadAnswer = { _, _ in .failure(DownloadError(reason: .expired, message: "HTTP 403")) }
        first.run()
        #expect(first.machine.jobs[0].failure?.code == .expired)
        let history = first.history(upTo: first.records.count)
        // Without --retry-failed: left alone.
        var plain = World(plan: plan, history: history)
        plain.run()
        #expect(plain.actions.isEmpty && plain.machine.jobs[0].status == .failed)
        // With it: the recorded task is asked for fresh URLs; nothing is submitted.
        var retry = World(plan: plan, options: World.options { $0.retryFailed = true }, history: history)
        retry.run()
        #expect(retry.submits.isEmpty)
        #expect(retry.queries["t1"] == 1 && retry.downloads.count == 1)
        #expect(retry.machine.jobs[0].status == .succeeded)
    }

    @Test func retryFailedResubmitsOnlyJobsWhoseTaskFailed() throws {
        let (plan, _) = try Self.plan()
        var first = World(plan: plan)
        first.queryAnswer = { taskId, _ in .task(TaskSnapshot(taskId: taskId, state: .failed, errorCode: "1000")) }
        first.run()
        var retry = World(
            plan: plan, options: World.options { $0.retryFailed = true },
            history: first.history(upTo: first.records.count))
        retry.run()
        #expect(retry.submits == [0])
        #expect(retry.machine.jobs[0].status == .succeeded)
    }

    @Test func uploadURLsOlderThanTheBoundAreUploadedAgainBeforeASubmitUsesThem() throws {
        // Concurrency 1: each job is submitted after the task before it ran over 70 s.
        let (plan, _) = try Self.plan(jobs: 4, concurrency: 1)
        var world = World(plan: plan, options: World.options { $0.uploadLifetime = .seconds(60) })
        let succeeded = world.queryAnswer
        var firstAsked: [String: Duration] = [:]
        world.timedQueryAnswer = { taskId, query, now in
            let first = firstAsked[taskId] ?? now
            firstAsked[taskId] = first
            return now - first < .seconds(70) ? Self.running(taskId) : succeeded(taskId, query)
        }
        world.run()
        #expect(world.machine.jobs.allSatisfy { $0.status == .succeeded })
        #expect(world.submits.count == 4)
        // One upload per submit after the first: each finds the URL over 60 s old.
        #expect(world.uploads == 4)
        var bodies: [String] = []
        for case .submit(_, _, let body, _) in world.actions { bodies.append(String(decoding: body, as: UTF8.self)) }
        for (number, body) in bodies.enumerated() {
            #expect(
                body.contains("https://files.example/0-\(number + 1).png"),
                "submit \(number + 1) uses the upload just before it")
        }
        // The fresh upload comes before the submit's `submitting` record.
        let kinds = world.recordKinds
        #expect(kinds.filter { $0 == .uploaded }.count == 4)
        for (position, kind) in kinds.enumerated() where kind == .submitting {
            #expect(position > 0 && kinds[position - 1] == .uploaded)
        }
    }

    @Test func oneQueryBudgetPacesEveryPollAndARateLimitHoldsThemAll() throws {
        let (plan, _) = try Self.plan(prompts: 20)
        var world = World(plan: plan, options: World.options { $0.queryRate = 10 })
        let succeeded = world.queryAnswer
        world.queryAnswer = { taskId, query in
            // The second query of t1 is rate limited for 5 s.
            if taskId == "t1" && query == 2 {
                return .failed(
                    APIFailure(code: "1003", message: "rate", errorClass: .retryable, retryAfter: .seconds(5)))
            }
            return query < 3 ? Self.running(taskId) : succeeded(taskId, query)
        }
        world.run()
        #expect(world.machine.jobs.allSatisfy { $0.status == .succeeded })
        let times = world.queryTimes
        for (earlier, later) in zip(times, times.dropFirst()) {
            #expect(later - earlier >= .milliseconds(100), "10 queries a second for the whole run")
        }
        // After the 1003 answer, no query for 5 s.
        let rateLimitedAt = Self.rateLimitMoment(world)
        if let rateLimitedAt {
            let next = times.first { $0 > rateLimitedAt }
            #expect(next.map { $0 - rateLimitedAt >= .seconds(5) } == true)
        } else {
            Issue.record("no rate-limited query was sent")
        }
    }

    /// When t1's second query (the rate-limited one) was sent.
    static func rateLimitMoment(_ world: World) -> Duration? {
        var seen = 0
        var position = 0
        for action in world.actions {
            guard case .query(_, let taskId, _) = action else { continue }
            if taskId == "t1" {
                seen += 1
                if seen == 2 { return world.queryTimes[position] }
            }
            position += 1
        }
        return nil
    }

    @Test func aWrongBaseURLStopsTheRunAndLeavesEveryJobToDo() throws {
        let (plan, _) = try Self.plan(jobs: 4, concurrency: 1)
        var world = World(plan: plan)
        world.submitAnswer = { _, _ in
            .refused(APIFailure(code: "1001", message: "not found; check RH_API_BASE_URL", errorClass: .fatal))
        }
        world.run()
        #expect(world.submits.count == 1)
        #expect(
            world.notices.contains {
                if case .stopping(let text) = $0 { text.contains("RH_API_BASE_URL") } else { false }
            })
        #expect(!world.recordKinds.contains(.failed), "no job is written off")
        if case .fatal = world.machine.stopReason {
        } else {
            Issue.record("stop reason \(String(describing: world.machine.stopReason))")
        }
        // The next run, with the right URL, does all four.
        var next = World(plan: plan, history: world.history(upTo: world.records.count))
        next.run()
        #expect(next.submits.count == 4)
        #expect(next.machine.jobs.allSatisfy { $0.status == .succeeded })
    }

    @Test func anUploadThatFailsFansOutToEveryJobWaitingForIt() throws {
        let (plan, _) = try Self.plan(jobs: 4)
        var world = World(plan: plan)
        world.uploadAnswer = { _, _ in .failure(APIFailure(code: "file", message: "cannot read", errorClass: .final)) }
        world.run()
        #expect(world.uploads == 1 && world.submits.isEmpty)
        #expect(world.machine.jobs.allSatisfy { $0.status == .failed && $0.failure?.phase == .upload })
        #expect(!world.recordKinds.contains(.failed), "nothing was billed: the next run tries again")

        var flaky = World(plan: plan)
        flaky.uploadAnswer = { image, attempt in
            attempt < 3
                ? .failure(APIFailure(code: "http-502", message: "bad gateway", errorClass: .transient))
                : .success("https://files.example/\(image).png")
        }
        flaky.run()
        #expect(flaky.uploads == 3 && flaky.submits.count == 4)
        #expect(flaky.machine.jobs.allSatisfy { $0.status == .succeeded })
        // Waits of 1 s then 2 s between the attempts.
        let waits = flaky.actions.compactMap { action -> Duration? in
            if case .wait(let at, .uploadRetry) = action { at } else { nil }
        }
        #expect(waits == [.seconds(1), .seconds(3)])
    }

    @Test func theFirstCtrlCDrainsTheSecondStopsAtOnce() throws {
        let (plan, _) = try Self.plan(jobs: 4, concurrency: 2)
        var world = World(plan: plan)
        let succeeded = world.queryAnswer
        world.queryAnswer = { taskId, query in query < 3 ? Self.running(taskId) : succeeded(taskId, query) }
        world.send(.started(.init()))
        world.runOn { $0.queries.count == 2 }
        world.send(.interrupt)
        #expect(world.notices.contains(.interrupted(inFlight: 2)))
        world.runOn()
        #expect(world.submits.count == 2, "no new submits after Ctrl-C")
        #expect(world.machine.jobs.filter { $0.status == .succeeded }.count == 2, "the tasks in flight drained")
        world.machine.settle()
        #expect(world.machine.jobs.filter { $0.status == .cancelled && $0.failure?.code == .stopped }.count == 2)

        var twice = World(plan: plan)
        twice.queryAnswer = { taskId, _ in Self.running(taskId) }
        twice.send(.started(.init()))
        twice.runOn { $0.queries.count == 2 }
        twice.send(.interrupt)
        twice.send(.interrupt)
        #expect(twice.cancelledAll && twice.machine.isFinished)
        #expect(twice.notices.contains(.stoppingNow))
        // What is in flight stays recorded for the next run: submitted, never failed.
        #expect(twice.recordKinds.filter { $0 == .submitted }.count == 2)
        #expect(!twice.recordKinds.contains(.failed))
    }

    @Test func theDrainTimeEndsAHungDrain() throws {
        let (plan, _) = try Self.plan(jobs: 1)
        var world = World(plan: plan, options: World.options { $0.drainTimeout = .seconds(30) })
        world.queryAnswer = { taskId, _ in Self.running(taskId) }
        world.send(.started(.init()))
        world.runOn { $0.queries.count == 1 }
        world.send(.interrupt)
        world.runOn()
        #expect(world.notices.contains(.drainOver))
        #expect(world.cancelledAll)
        #expect(world.now >= .seconds(30) && world.now < .seconds(60))
    }

    @Test func aJournalThatCannotBeWrittenStopsBeforeAnySubmitIsSent() throws {
        let (plan, _) = try Self.plan(jobs: 4)
        var world = World(plan: plan)
        world.journalFails = true
        world.run()
        #expect(world.submits.isEmpty)
        #expect(world.notices.contains { if case .journalError = $0 { true } else { false } })
        #expect(world.machine.localFailure != nil)
        world.machine.settle()
        #expect(world.machine.jobs.allSatisfy { $0.status == .cancelled })
    }

    @Test func aTaskPastItsTimeBoundTimesOutAndIsAskedAgainNextRun() throws {
        let (plan, _) = try Self.plan()
        var world = World(
            plan: plan,
            options: World.options {
                $0.poll = PollSchedule(minimum: .seconds(3), maximum: .seconds(15), taskTimeout: .seconds(120))
            })
        world.queryAnswer = { taskId, _ in Self.running(taskId) }
        world.run()
        #expect(world.machine.jobs[0].status == .timeout)
        #expect(world.now >= .seconds(120) && world.now < .seconds(140))
        var next = World(plan: plan, history: world.history(upTo: world.records.count))
        next.run()
        #expect(next.submits.isEmpty && next.queries["t1"] == 1)
        #expect(next.machine.jobs[0].status == .succeeded)
    }

    @Test func withNoCapQueriesGoWhenDueAndAQueryLimitIsLearnt() throws {
        let (plan, _) = try Self.plan(jobs: 40, concurrency: 40)
        var world = World(plan: plan, options: World.options { $0.queryRate = nil })
        // The API takes 10 queries in any second (as its clock sees them) and refuses more with
        // 1003 and no Retry-After; every task runs until its third query.
        var accepted: [Duration] = []
        world.timedQueryAnswer = { taskId, query, now in
            accepted.removeAll { now - $0 >= .seconds(1) }
            guard accepted.count < 10 else {
                return .failed(APIFailure(code: "1003", message: "rate", errorClass: .retryable))
            }
            accepted.append(now)
            return query < 3
                ? Self.running(taskId)
                : .task(
                    TaskSnapshot(
                        taskId: taskId, state: .succeeded,
                        results: [TaskResult(url: "https://files.example/\(taskId).png", outputType: "png")]))
        }
        world.run()
        #expect(world.machine.jobs.allSatisfy { $0.status == .succeeded })
        let budget = world.machine.budgets[0]
        // Refused a few times at first (the first burst finds the limit), then paced below it.
        #expect(budget.decreases >= 1)
        #expect(budget.rate < 10)
        #expect(budget.refusals < 20, "\(budget.refusals) refusals for 120 answered queries")
    }

    @Test func aCallbackIsAHintThatCostsOneQueryNeverAResult() throws {
        let (plan, _) = try Self.plan(jobs: 2)
        var world = World(plan: plan, options: World.options { $0.webhookURL = "http://127.0.0.1:1/hooks/secret" })
        let succeeded = world.queryAnswer
        world.queryAnswer = { taskId, query in query < 2 ? Self.running(taskId) : succeeded(taskId, query) }
        world.send(.started(.init()))
        world.runOn { $0.pending.isEmpty && $0.machine.tally[.polling] == 4 }
        // Every submit carries the run's URL; no task has been asked yet (the safety net waits).
        for case .submit(_, _, let body, _) in world.actions {
            #expect(String(decoding: body, as: UTF8.self).contains(#""webhookUrl":"http://127.0.0.1:1/hooks/secret""#))
        }
        #expect(world.queries.isEmpty)
        let start = world.now
        // A callback for a task the run does not know: counted, nothing asked.
        world.send(.callback(taskId: "t99"))
        #expect(world.machine.callbacks.ignored == 1 && world.pending.isEmpty)
        // A forged callback for a running task: one query, at once; the task runs on.
        world.send(.callback(taskId: "t1"))
        world.runOn { $0.pending.isEmpty }
        #expect(world.queries == ["t1": 1] && world.now == start)
        #expect(world.machine.jobs[0].status == .pending)
        // Its real callback later is acted on again, and its query fetches the result.
        world.send(.callback(taskId: "t1"))
        world.send(.callback(taskId: "t1"))
        world.runOn { $0.machine.jobs[0].status != .pending }
        #expect(world.now - start < .milliseconds(100), "asked at once (the budget's next moment)")
        #expect(world.queries["t1"] == 2 && world.machine.callbacks.duplicates == 1)
        #expect(world.machine.jobs[0].status == .succeeded)
        #expect(world.machine.callbacks.used == 2)
        // A late callback for the finished task: ignored.
        world.send(.callback(taskId: "t1"))
        #expect(world.machine.callbacks.ignored == 2 && world.queries["t1"] == 2)
        // The others, whose callbacks never come, are found by the safety net.
        world.runOn()
        #expect(world.machine.jobs.allSatisfy { $0.status == .succeeded })
        #expect(world.machine.callbacks.missed == 3)
    }

    /// Tasks of one length, sent together: the first end a scout finds has every other task
    /// asked at once, and those found by that first query are timed from the scouts' last
    /// "still running", not 10% before the query.
    @Test func theFirstEndAScoutFindsAsksEveryTaskOfItsModelAtOnce() throws {
        let (plan, _) = try Self.plan(prompts: 8)
        var world = World(plan: plan)
        let succeeded = world.queryAnswer
        // Eight tasks sent at once, each ending 1 s after its submit.
        world.timedQueryAnswer = { taskId, query, now in
            now < .seconds(1) ? Self.running(taskId) : succeeded(taskId, query)
        }
        world.run()
        #expect(world.machine.jobs.allSatisfy { $0.status == .succeeded })
        // The four scouts ask every 10.7% of time between them; the first to find its task done
        // (at 1.03 s) has every other task asked at once: the other scouts too, not a step of
        // their own coarse schedule later.
        let found = try #require(world.queryTimes.first { $0 >= .seconds(1) })
        #expect(found < .milliseconds(1040))
        // (The budget's first rate sends them a millisecond apart.)
        #expect(world.queryTimes.allSatisfy { $0 <= found + .milliseconds(8) }, "\(world.queryTimes)")
        #expect(world.queryTimes.count == 14 + 8, "the scouts' 14 early queries, then one a task")
        // The tasks found on their first query are timed halfway from the scouts' last "still
        // running" (0.934 s) to that query (1.033 s), about 0.98 s, not 10% before it (0.930 s):
        // the learnt times sit within a few percent of the 1 s the tasks took.
        let median = try #require(world.machine.durations[plan.jobs[0].endpoint]?.median)
        #expect(median > .milliseconds(970) && median < .seconds(1), "learnt \(median)")
    }

    /// A scout whose queries fail once its model's first end is known is asked again on the
    /// schedule's growing step, not at once over and over.
    @Test func aScoutWhoseQueriesFailIsNotAskedAgainAtOnce() throws {
        let (plan, _) = try Self.plan(prompts: 8)
        var world = World(plan: plan)
        let succeeded = world.queryAnswer
        var scoutAsked: [Duration] = []
        // The first scout's queries past 1 s fail four times with a server error.
        world.timedQueryAnswer = { taskId, query, now in
            if taskId == "t1" { scoutAsked.append(now) }
            if now < .seconds(1) { return Self.running(taskId) }
            if taskId == "t1" && query <= 8 {
                return .failed(APIFailure(code: "500", message: "server error", errorClass: .retryable))
            }
            return succeeded(taskId, query)
        }
        world.run()
        #expect(world.machine.jobs.allSatisfy { $0.status == .succeeded })
        let late = scoutAsked.filter { $0 >= .seconds(1) }
        #expect(late.count == 5, "\(late)")
        for (earlier, later) in zip(late, late.dropFirst()) {
            #expect(later - earlier >= .milliseconds(10), "\(late)")
        }
    }

    /// A forged callback while the task runs, then the real one whose confirming query the budget
    /// holds back: the task's time is taken from the queries, not from the callback's moment
    /// (a callback is trusted with "ask now", not with how long the task took).
    @Test func aCallbackConfirmedLateTeachesNoTime() throws {
        let (plan, _) = try Self.plan()
        var world = World(
            plan: plan,
            options: World.options {
                $0.webhookURL = "http://127.0.0.1:1/s"
                $0.queryRate = 0.5
            })
        let succeeded = world.queryAnswer
        world.queryAnswer = { taskId, query in query < 2 ? Self.running(taskId) : succeeded(taskId, query) }
        world.send(.started(.init()))
        world.runOn { $0.pending.isEmpty && $0.machine.tally[.polling] == 1 }
        let start = world.now
        world.send(.callback(taskId: "t1"))
        world.runOn { $0.queries["t1"] == 1 && $0.pending.isEmpty }
        // The second callback comes at once; its query waits 2 s for the budget (0.5 a second).
        world.send(.callback(taskId: "t1"))
        world.runOn { $0.machine.jobs[0].status != .pending }
        #expect(world.machine.jobs[0].status == .succeeded)
        #expect(world.now - start >= .seconds(1), "the confirming query waited for the budget")
        let endpoint = plan.jobs[0].endpoint
        let learnt = try #require(world.machine.durations[endpoint]?.median)
        #expect(learnt >= .milliseconds(500), "learnt \(learnt): not the callback's moment")
    }

    @Test func aCallbackBeforeItsSubmitsAnswerIsActedOnWhenTheAnswerComes() throws {
        let (plan, _) = try Self.plan()
        var world = World(plan: plan, options: World.options { $0.webhookURL = "http://127.0.0.1:1/s" })
        world.send(.started(.init()))
        world.runOn { world in world.pending.contains { if case .submitted = $0 { true } else { false } } }
        // The task ended at once; its callback beats the submit's answer.
        world.send(.callback(taskId: "t1"))
        #expect(world.machine.callbacks.ignored == 1)
        let start = world.now
        world.runOn()
        #expect(world.machine.jobs[0].status == .succeeded)
        #expect(world.queries == ["t1": 1] && world.now == start, "asked at once, not by the safety net")
        #expect(world.machine.callbacks.used == 1 && world.machine.callbacks.ignored == 0)
    }

    @Test func aHintedTaskWhoseQueryFailedIsAskedAgainSoonNotByTheNet() throws {
        let (plan, _) = try Self.plan()
        var world = World(plan: plan, options: World.options { $0.webhookURL = "http://127.0.0.1:1/s" })
        let succeeded = world.queryAnswer
        world.queryAnswer = { taskId, query in
            query == 1
                ? .failed(APIFailure(code: "http-502", message: "bad gateway", errorClass: .transient))
                : succeeded(taskId, query)
        }
        world.send(.started(.init()))
        world.runOn { $0.pending.isEmpty && $0.machine.tally[.polling] == 1 }
        let start = world.now
        world.send(.callback(taskId: "t1"))
        world.runOn()
        #expect(world.machine.jobs[0].status == .succeeded && world.queries["t1"] == 2)
        // The configured longest wait is 15 s: the net would not ask before 60 s.
        #expect(world.now - start < .seconds(10))
    }

    @Test func rateLimitAnswersStillEndATaskAtItsTimeBound() throws {
        let (plan, _) = try Self.plan()
        var world = World(
            plan: plan,
            options: World.options {
                $0.poll = PollSchedule(minimum: .seconds(3), maximum: .seconds(15), taskTimeout: .seconds(100))
            })
        world.queryAnswer = { _, _ in
            .failed(APIFailure(code: "1003", message: "rate", errorClass: .retryable, retryAfter: .seconds(5)))
        }
        world.run()
        #expect(world.machine.jobs[0].status == .timeout)
        #expect(world.now > .seconds(100) && world.now < .seconds(110))
    }

    @Test func aQueryCapHoldsAndTheTimeBoundStillEndsATask() throws {
        let (plan, _) = try Self.plan(jobs: 4)
        var slow = World(
            plan: plan,
            options: World.options {
                $0.queryRate = nil
                $0.poll = PollSchedule(minimum: .seconds(3), maximum: .seconds(15), taskTimeout: .seconds(100))
            })
        slow.queryAnswer = { taskId, _ in Self.running(taskId) }
        slow.run()
        #expect(slow.machine.jobs.allSatisfy { $0.status == .timeout })
        #expect(slow.now > .seconds(100) && slow.now < .seconds(120))
    }

    @Test func theKeysLimitReplacesALargerConcurrency() throws {
        let (plan, _) = try Self.plan(jobs: 4, concurrency: 4)
        var world = World(plan: plan)
        world.queryAnswer = { taskId, _ in Self.running(taskId) }
        world.send(
            .started(.init(accountLimit: QueueStatus(keyType: "SHARED", concurrencyLimit: 2, running: 0, queued: 0))))
        #expect(world.notices.contains(.accountLimit(limit: 2, running: 0, configured: 4)))
        world.runOn { $0.queries.count == 2 }
        #expect(world.submits.count == 2)
    }
}
