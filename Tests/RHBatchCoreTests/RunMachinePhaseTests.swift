import Foundation
import RHBatchCore
import RunningHubModel
import Testing

/// Impossible and duplicated events: each is counted as stray and changes nothing, so the run
/// neither hangs nor miscounts; and the phase table itself.
@Suite("run machine: job phases")
struct RunMachinePhaseTests {
    /// One job whose task gives two results.
    static func twoResults(_ world: inout World) {
        world.queryAnswer = { taskId, _ in
            .task(
                TaskSnapshot(
                    taskId: taskId, state: .succeeded,
                    results: [
                        TaskResult(url: "https://cdn.example/\(taskId)-1.png", outputType: "png"),
                        TaskResult(url: "https://cdn.example/\(taskId)-2.png", outputType: "png"),
                    ], cost: "0.25"))
        }
    }

    static func warnings(_ world: World) -> [String] {
        world.notices.compactMap { if case .warning(let text) = $0 { text } else { nil } }
    }

    @Test func aNormalRunHasNoStrayEventAndEndsWithEveryJobEnded() throws {
        let (plan, _) = try RunMachineTests.plan(jobs: 4)
        var world = World(plan: plan)
        world.run()
        #expect(world.machine.strays == 0)
        #expect(world.machine.internalFailure == nil)
        #expect(world.machine.tally[.ended] == 4)
        for name in JobPhase.Name.allCases where name != .ended { #expect(world.machine.tally[name] == 0, "\(name)") }
    }

    @Test func aSecondDownloadResultIsStrayAndTheJobWaitsForItsOtherResult() throws {
        let (plan, _) = try RunMachineTests.plan()
        var world = World(plan: plan)
        Self.twoResults(&world)
        // The first result's download comes back twice: counted once, the job still waits for
        // the second (before, it ended `succeeded` with one file and the download count went
        // below zero).
        world.duplicate = { event in
            if case .downloaded(let work, _) = event { work.index == 1 } else { false }
        }
        world.run()
        let run = world.machine.jobs[0]
        #expect(run.status == .succeeded)
        #expect(run.outputs.keys == [1, 2])
        #expect(world.recordKinds.filter { $0 == .downloaded }.count == 2)
        #expect(world.machine.strays == 1)
        #expect(Self.warnings(world).count == 1)
        #expect(world.machine.progress().done == 1 && world.machine.progress().failed == 0)
    }

    @Test func aDuplicatedSubmitAnswerStartsNoSecondPoll() throws {
        let (plan, _) = try RunMachineTests.plan(jobs: 4, concurrency: 2)
        var world = World(plan: plan)
        world.duplicate = { event in
            if case .submitted = event { true } else { false }
        }
        world.run()
        #expect(world.machine.strays == 4)
        // Each task asked once, each job submitted once; the slots add up (the run finished).
        #expect(world.submits.sorted() == [0, 1, 2, 3])
        #expect(world.queries.values.allSatisfy { $0 == 1 } && world.queries.count == 4)
        #expect(world.machine.scheduler.inFlight == 0)
        #expect((0..<4).allSatisfy { world.machine.jobs[$0].status == .succeeded })
    }

    @Test func aDuplicatedQueryAnswerIsStray() throws {
        let (plan, _) = try RunMachineTests.plan()
        var world = World(plan: plan)
        world.queryAnswer = { taskId, query in
            query < 3
                ? RunMachineTests.running(taskId)
                : .task(
                    TaskSnapshot(
                        taskId: taskId, state: .succeeded,
                        results: [TaskResult(url: "https://cdn.example/r.png", outputType: "png")]))
        }
        world.duplicate = { event in
            if case .queried = event { true } else { false }
        }
        world.run()
        #expect(world.machine.jobs[0].status == .succeeded)
        #expect(world.queries["t1"] == 3, "a replayed answer schedules no extra query")
        #expect(world.downloads.count == 1)
        #expect(world.machine.strays == 3)
    }

    @Test func aDuplicatedJournalWriteEndDoesNotHangTheRun() throws {
        let (plan, _) = try RunMachineTests.plan()
        var world = World(plan: plan)
        // A refusal's record is durable: its write's end comes back as an event, here twice.
        world.submitAnswer = { _, submit in
            submit == 1
                ? .refused(APIFailure(code: "421", message: "queue full", errorClass: .retryable))
                : .accepted(TaskSnapshot(taskId: "t\(submit)", state: .queued))
        }
        world.duplicate = { event in
            if case .journalWritten = event { true } else { false }
        }
        // Before, the count of writes in progress went below zero and `isFinished` never held.
        world.run(limit: 10_000)
        #expect(world.machine.isFinished)
        #expect(world.machine.jobs[0].status == .succeeded)
        #expect(world.recordKinds.contains(.refused))
        #expect(world.machine.strays == 1)
    }

    @Test func answersForAJobThatEndedChangeNothing() throws {
        let (plan, _) = try RunMachineTests.plan()
        var world = World(plan: plan)
        world.run()
        let records = world.records.count
        let work = try #require(
            world.actions.lazy.compactMap { action -> RunMachine.DownloadWork? in
                if case .download(let work) = action { work } else { nil }
            }.first)
        world.send(.queried(job: 0, RunMachineTests.running("t1")))
        world.send(.submitted(job: 0, .accepted(TaskSnapshot(taskId: "t9", state: .queued))))
        world.send(.downloaded(work, .failure(DownloadError(reason: .expired, message: "gone"))))
        world.send(.uploaded(image: 0, .success(UploadedFile(url: "https://files.example/late.png", fileName: nil))))
        // A poll timer that outlived its poll is stale, which is expected (a callback or a learnt
        // time replaces timers): ignored without a word.
        world.send(.timer(.poll(job: 0, generation: 1)))
        #expect(world.machine.strays == 4)
        #expect(world.records.count == records, "nothing recorded")
        #expect(world.machine.jobs[0].status == .succeeded && world.machine.jobs[0].taskId == "t1")
        #expect(world.machine.isFinished)
        #expect(world.submits == [0] && world.queries == ["t1": 1])
        #expect(Self.warnings(world).count == 4)
    }

    @Test func lateAnswersAfterTheSecondCtrlCAreCountedButNotSaid() throws {
        let (plan, _) = try RunMachineTests.plan()
        var world = World(plan: plan)
        world.queryAnswer = { taskId, _ in RunMachineTests.running(taskId) }
        world.send(.started(.init()))
        world.runOn { $0.queries["t1"] == 1 }
        world.send(.interrupt)
        world.send(.interrupt)
        #expect(world.cancelledAll)
        world.send(.queried(job: 0, RunMachineTests.running("t1")))
        #expect(Self.warnings(world).isEmpty)
        #expect(world.machine.isFinished)
    }

    @Test(arguments: JobPhase.Name.allCases)
    func thePhaseTableAllowsOnlyTheDocumentedMoves(from: JobPhase.Name) {
        let allowed: [JobPhase.Name: Set<JobPhase.Name>] = [
            .idle: Set(JobPhase.Name.allCases),
            .awaitingInputs: [.awaitingInputs, .queued, .ended],
            .queued: [.submitting, .ended],
            .submitting: [.submitting, .queued, .polling, .downloading, .ended],
            .polling: [.polling, .downloading, .ended],
            .downloading: [.downloading, .polling, .ended],
            .ended: [],
        ]
        for next in JobPhase.Name.allCases {
            #expect(from.allows(next) == allowed[from]!.contains(next), "\(from) -> \(next)")
        }
    }
}

/// `--verbose`: the machine says its decisions, with the job's key and task id.
@Suite("run machine: decisions")
struct RunMachineDecisionTests {
    static func kinds(_ world: World) -> Set<RunDecision.Kind> {
        Set(world.decisions.map(\.kind))
    }

    @Test func everyStepOfAJobIsADecisionWithItsKeyAndTaskId() throws {
        let (plan, _) = try RunMachineTests.plan()
        var world = World(plan: plan, options: World.options { $0.logDecisions = true })
        world.queryAnswer = { taskId, query in
            query < 2
                ? RunMachineTests.running(taskId)
                : .task(
                    TaskSnapshot(
                        taskId: taskId, state: .succeeded,
                        results: [TaskResult(url: "https://cdn.example/r.png", outputType: "png")]))
        }
        world.run()
        #expect(
            world.decisions.map(\.kind) == [
                .uploadSent, .uploadEnded, .submitSent, .submitAccepted, .queryScheduled, .queryAnswer, .queryScheduled,
                .queryAnswer,
                .downloadStart, .downloadEnd, .jobEnded,
            ])
        let key = String(plan.jobs[0].key.prefix(12))
        for decision in world.decisions where decision.kind != .uploadSent && decision.kind != .uploadEnded {
            #expect(decision.facts["job.key"] == key, "\(decision.kind)")
        }
        for decision in world.decisions.drop(while: { $0.kind != .submitAccepted }) {
            #expect(decision.facts["task.id"] == "t1", "\(decision.kind)")
        }
        #expect(world.decisions.last?.facts["status"] == "succeeded")
        #expect(world.decisions.first { $0.kind == .queryScheduled }?.facts["at.seconds"] != nil)
    }

    @Test func refusalsLearntLimitsRetriesAndResubmitsAreDecisionsToo() throws {
        let (plan, _) = try RunMachineTests.plan(jobs: 4)
        var world = World(
            plan: plan,
            options: World.options {
                $0.logDecisions = true
                $0.resubmitUnknown = true
            })
        // The second submit is refused for capacity, the third's answer is lost; the first
        // download fails once and is retried.
        world.submitAnswer = { _, submit in
            switch submit {
            case 2: .refused(APIFailure(code: "421", message: "queue full", errorClass: .retryable))
            case 3: .unknown(APIFailure(code: "http-502", message: "bad gateway", errorClass: .transient))
            default: .accepted(TaskSnapshot(taskId: "t\(submit)", state: .queued))
            }
        }
        world.downloadAnswer = { work, download in
            download == 1
                ? .failure(DownloadError(reason: .incomplete, message: "cut"))
                : .success(
                    RunMachine.SavedResult(
                        record: OutputRecord(path: work.path, url: work.url, bytes: 10, sha256: HexDigest("ab")),
                        mtime: 1))
        }
        world.run()
        let kinds = Self.kinds(world)
        for kind in [RunDecision.Kind.submitRefused, .limitLearnt, .downloadRetry, .resubmitUnknown, .journalSync] {
            #expect(kinds.contains(kind), "\(kind)")
        }
        let refused = try #require(world.decisions.first { $0.kind == .submitRefused })
        #expect(refused.facts["code"] == "421" && refused.facts["job.key"] != nil)
        #expect(world.decisions.first { $0.kind == .limitLearnt }?.facts["ceiling"] != nil)
        #expect((0..<4).allSatisfy { world.machine.jobs[$0].status == .succeeded })
    }

    @Test func withoutVerboseNoDecisionIsMade() throws {
        let (plan, _) = try RunMachineTests.plan(jobs: 4)
        var world = World(plan: plan)
        world.run()
        #expect(world.decisions.isEmpty)
    }
}

@Suite("run machine: tasks that end at their submit")
struct RunMachineInstantEndTests {
    @Test func aTaskThatFailedByItsSubmitsAnswerIsNotSubmittedAgainByTheNextRun() throws {
        let (plan, _) = try RunMachineTests.plan(jobs: 4)
        var first = World(plan: plan)
        first.submitAnswer = { _, submit in
            .accepted(TaskSnapshot(taskId: "t\(submit)", state: .failed, errorCode: "1000", errorMessage: "crashed"))
        }
        first.run()
        #expect((0..<4).allSatisfy { first.machine.jobs[$0].status == .failed })
        #expect(first.queries.isEmpty)
        var second = World(plan: plan, history: first.history(upTo: first.records.count))
        second.run()
        #expect(second.submits.isEmpty && second.queries.isEmpty)
        #expect((0..<4).allSatisfy { second.machine.jobs[$0].status == .failed })
    }
}

/// The report's streaming writer and the job record (``JobReport``) say the same of every job.
@Suite("job record")
struct JobRecordTests {
    @Test func everyReportEntryIsItsJobsRecord() throws {
        let (plan, _) = try RunMachineTests.plan(jobs: 4)
        var world = World(plan: plan)
        // Job 1's task fails; job 2's submit answer is lost (unknown); the others give two results.
        world.submitAnswer = { job, submit in
            job == 2
                ? .unknown(APIFailure(code: "http-502", message: "bad gateway", errorClass: .unknownOutcome))
                : .accepted(TaskSnapshot(taskId: "t\(submit)", state: .queued))
        }
        world.queryAnswer = { taskId, _ in
            taskId == "t2"
                ? .task(TaskSnapshot(taskId: taskId, state: .failed, errorCode: "1000", errorMessage: "say \"no\"\n"))
                : .task(
                    TaskSnapshot(
                        taskId: taskId, state: .succeeded,
                        results: [
                            TaskResult(url: "https://cdn.example/\(taskId)-1.png", outputType: "png"),
                            TaskResult(url: "https://cdn.example/\(taskId)-2.png", outputType: "png"),
                        ], cost: "0.25"))
        }
        world.run()
        world.machine.settle()
        let statuses = Set((0..<4).map { world.machine.jobs[$0].status })
        #expect(statuses == [.succeeded, .failed, .unknown])
        let renderer = JobRenderer(plan: plan, jobs: world.machine.jobs)
        for index in 0..<4 {
            let entry = renderer.reportEntry(index)
            let decoded = try JSONDecoder().decode(JobReport.self, from: Data(entry))
            let record = JobReport(job: plan.jobs[index], run: world.machine.jobs[index], currency: plan.currency)
            #expect(decoded == record, "job \(index): \(String(decoding: entry, as: UTF8.self))")
            // And the record written back is the entry, member for member.
            let again = try JSONDecoder().decode(JobReport.self, from: JSONEncoder().encode(record))
            #expect(again == record)
        }
        #expect(world.machine.jobs.contains { $0.outputs.count == 2 })
    }
}

/// A journal written by an earlier build resumes under this one: the format is a contract.
@Suite("journal compatibility")
struct JournalCompatibilityTests {
    /// `Fixtures/journal-4cffbdb.jsonl`: written by the build of 4cffbdb for the four jobs of
    /// ``RunMachineTests/plan(jobs:concurrency:)``: job 0 done and downloaded, job 1 submitted
    /// (its task never asked), job 2 cut between `submitting` and `submitted`, job 3's task failed.
    static func history() throws -> JournalState {
        let path = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
            .appendingPathComponent("Fixtures/journal-4cffbdb.jsonl").path
        let text = try String(contentsOfFile: path, encoding: .utf8)
        var state = JournalState()
        for line in text.split(separator: "\n") {
            var bytes = Array(line.utf8)
            let applied = bytes.withUnsafeMutableBufferPointer { state.apply(line: UnsafeBufferPointer($0)) }
            #expect(applied, "\(line)")
        }
        return state
    }

    @Test func aJournalOfTheEarlierBuildResumesWithoutPayingTwice() throws {
        let (plan, _) = try RunMachineTests.plan(jobs: 4)
        var world = World(plan: plan, history: try Self.history())
        world.queryAnswer = { taskId, _ in
            .task(
                TaskSnapshot(
                    taskId: taskId, state: .succeeded,
                    results: [TaskResult(url: "https://cdn.example/\(taskId).png", outputType: "png")]))
        }
        world.run(RunMachine.StartFacts(verified: [RunMachine.resultID(job: 0, index: 1)]))
        // Nothing is submitted again: job 1's task is asked for, job 2 stays unknown, job 3 failed.
        #expect(world.submits.isEmpty)
        #expect(world.queries == ["t2": 1])
        #expect(world.machine.jobs[0].status == .succeeded && world.machine.jobs[0].alreadyDone)
        #expect(world.machine.jobs[1].status == .succeeded && world.downloads == ["https://cdn.example/t2.png"])
        #expect(world.machine.jobs[2].status == .unknown)
        #expect(world.machine.jobs[3].status == .failed && world.machine.jobs[3].failure?.code.rawValue == "1000")
        #expect(world.machine.jobs[3].failure?.message.contains("it \"crashed\"") == true)
    }
}
