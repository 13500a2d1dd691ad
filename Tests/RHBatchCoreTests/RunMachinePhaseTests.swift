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
            query < 3 ? RunMachineTests.running(taskId) : .task(TaskSnapshot(taskId: taskId, state: .succeeded, results: [TaskResult(url: "https://cdn.example/r.png", outputType: "png")]))
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
        world.send(.uploaded(image: 0, .success("https://files.example/late.png")))
        world.send(.timer(.poll(job: 0)))
        #expect(world.machine.strays == 5)
        #expect(world.records.count == records, "nothing recorded")
        #expect(world.machine.jobs[0].status == .succeeded && world.machine.jobs[0].taskId == "t1")
        #expect(world.machine.isFinished)
        #expect(world.submits == [0] && world.queries == ["t1": 1])
        #expect(Self.warnings(world).count == 5)
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
