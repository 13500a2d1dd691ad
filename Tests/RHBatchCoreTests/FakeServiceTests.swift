import Foundation
import Logging
import RHBatchCore
import RunningHubModel
import RunningHubSimulator
import Testing

/// The runner driven through its seam by a fake service: no sockets, no HTTP client, answers
/// chosen per call. (The core depends on `RunningHubModel` only; the real client plugs in
/// through `RunningHubAdapter`.)
@Suite("runner with a fake service")
struct FakeServiceTests {
    /// Answers as the test says; records what it was asked.
    actor FakeService: RunningHubService {
        var submits = 0
        var queries: [String: Int] = [:]
        let queryAnswer: @Sendable (_ taskId: String, _ asked: Int) -> QueryOutcome

        init(queryAnswer: @escaping @Sendable (_ taskId: String, _ asked: Int) -> QueryOutcome) {
            self.queryAnswer = queryAnswer
        }

        nonisolated func upload(bytes: [UInt8], fileName: String, contentType: String) async throws -> String {
            "https://files.example.com/" + fileName
        }

        func submit(endpoint: String, body: [UInt8]) async throws(CancellationError) -> SubmitOutcome {
            submits += 1
            return .accepted(TaskSnapshot(taskId: "task-\(submits)", state: .queued))
        }

        func query(taskId: String) async throws(CancellationError) -> QueryOutcome {
            queries[taskId, default: 0] += 1
            return queryAnswer(taskId, queries[taskId]!)
        }

        nonisolated func queueStatus() async throws -> QueueStatus {
            QueueStatus(keyType: "SHARED", concurrencyLimit: 8, running: 0, queued: 0)
        }

        nonisolated func download(url: String, to destination: String, durable: Bool, expecting: OutputKind) async throws -> DownloadedFile {
            let png = PNGEncoder.solid(width: 4, height: 3, color: (1, 2, 3))
            try FileManager.default.createDirectory(atPath: (destination as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
            try Data(png).write(to: URL(fileURLWithPath: destination))
            return DownloadedFile(path: destination, bytes: png.count, sha256: "00", format: "png")
        }
    }

    static let manifest = "version: 1\noutput: out\nmatrix: {prompt: [A., B.], image: room.png, model: [grok-imagine, nano-banana-pro]}\n"

    func run(_ service: FakeService, configure: (inout RunOptions) -> Void = { _ in }) async throws -> (RunOutcome, String) {
        let fixture = try Fixture()
        try fixture.png("room.png")
        let plan = try fixture.plan(Self.manifest)
        var options = RunOptions()
        options.poll = PollSchedule(minimum: .milliseconds(1), maximum: .milliseconds(5))
        options.queryRate = nil
        configure(&options)
        let runner = BatchRunner(
            plan: plan, options: options, service: service, logger: Logger(label: "test", factory: { _ in SwiftLogNoOpLogHandler() }),
            exitCode: { $0 == .succeeded ? 0 : 1 }
        ) { _ in }
        let (stream, continuation) = AsyncStream.makeStream(of: Void.self)
        defer { continuation.finish() }
        let outcome = try await runner.run(interrupts: stream)
        let report = try String(contentsOfFile: plan.outputDirectory + "/report.json", encoding: .utf8)
        return (outcome, report)
    }

    @Test func tasksThatSucceedAreDownloadedAndReported() async throws {
        let service = FakeService { taskId, asked in
            asked < 2
                ? .task(TaskSnapshot(taskId: taskId, state: .running))
                : .task(TaskSnapshot(taskId: taskId, state: .succeeded, results: [TaskResult(url: "https://cdn.example.com/\(taskId).png", outputType: "png")]))
        }
        let (outcome, report) = try await run(service)
        #expect(outcome.ending == .succeeded)
        #expect(outcome.totals.succeeded == 4 && outcome.totals.outputs == 4)
        #expect(await service.submits == 4)
        #expect(await service.queries.values.allSatisfy { $0 == 2 })
        #expect(report.contains("\"succeeded\": 4"))
    }

    @Test func theVendorsFailureShapeEndsTheJobAtOnce() async throws {
        // What the client makes of {"status":"FAILED","errorCode":"1000"}: a failed task.
        let service = FakeService { taskId, _ in
            .task(TaskSnapshot(taskId: taskId, state: .failed, errorCode: "1000", errorMessage: "unknown error"))
        }
        let (outcome, _) = try await run(service)
        #expect(outcome.ending == .someJobsDidNotSucceed)
        #expect(outcome.totals.failed == 4 && outcome.totals.timeout == 0)
        #expect(await service.queries.values.allSatisfy { $0 == 1 })
        #expect(await service.submits == 4)
    }

    @Test func aTaskNotFoundIsAskedAgainThenLostNeverResubmitted() async throws {
        let service = FakeService { _, _ in
            .failed(APIFailure(code: "1004", message: "Task not found", errorClass: .final))
        }
        let (outcome, report) = try await run(service) { $0.notFoundWindow = .milliseconds(20) }
        #expect(outcome.totals.failed == 4)
        #expect(await service.submits == 4)
        #expect(await service.queries.values.allSatisfy { $0 >= 3 })
        #expect(report.contains("\"code\": \"1004\"") || report.contains("\"code\":\"1004\""))
    }
}
