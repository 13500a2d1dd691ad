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

        nonisolated func upload(bytes: [UInt8], fileName: String, contentType: String) async throws -> UploadedFile {
            UploadedFile(url: "https://files.example.com/" + fileName, fileName: "openapi/" + fileName)
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

        nonisolated func download(url: String, to destination: String, durable: Bool, expecting: OutputKind)
            async throws -> DownloadedFile
        {
            let png = PNGEncoder.solid(width: 4, height: 3, color: (1, 2, 3))
            try FileManager.default.createDirectory(
                atPath: (destination as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
            try Data(png).write(to: URL(fileURLWithPath: destination))
            return DownloadedFile(path: destination, bytes: png.count, sha256: "00", format: "png")
        }
    }

    static let manifest =
        "version: 1\noutput: out\nmatrix: {prompt: [A., B.], image: room.png, model: [grok-imagine, nano-banana-pro]}\n"

    func run(_ service: FakeService, manifest: String = Self.manifest, configure: (inout RunOptions) -> Void = { _ in })
        async throws -> (RunOutcome, String)
    {
        let fixture = try Fixture()
        try fixture.png("room.png")
        let plan = try fixture.plan(manifest)
        var options = RunOptions()
        options.poll = PollSchedule(minimum: .milliseconds(1), maximum: .milliseconds(5))
        options.queryRate = nil
        configure(&options)
        let runner = BatchRunner(
            plan: plan, options: options, service: service,
            logger: Logger(label: "test", factory: { _ in SwiftLogNoOpLogHandler() }),
            exitCode: { $0 == .succeeded ? 0 : 1 },
            observer: { _ in }
        )
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
                : .task(
                    TaskSnapshot(
                        taskId: taskId, state: .succeeded,
                        results: [TaskResult(url: "https://cdn.example.com/\(taskId).png", outputType: "png")]))
        }
        let (outcome, report) = try await run(service)
        #expect(outcome.ending == .succeeded)
        #expect(outcome.totals.succeeded == 4 && outcome.totals.outputs == 4)
        #expect(await service.submits == 4)
        #expect(await service.queries.values.allSatisfy { $0 == 2 })
        #expect(report.contains("\"succeeded\": 4"))
    }

    /// The report's job lines are written as bytes: each is JSON with every value as it was,
    /// escapes, several results, a failure and texts that are not digests included.
    @Test func theReportsJobLinesHoldEveryValue() async throws {
        let message = "bad \"word\"\n\u{1}\\ café"
        let service = FakeService { taskId, _ in
            taskId == "task-1"
                ? .task(TaskSnapshot(taskId: taskId, state: .failed, errorCode: "1000", errorMessage: message))
                : .task(
                    TaskSnapshot(
                        taskId: taskId, state: .succeeded,
                        results: [
                            TaskResult(url: "https://cdn.example.com/\(taskId)/1.png", outputType: "png"),
                            TaskResult(url: "https://cdn.example.com/\(taskId)/2.png?a=\"b\"", outputType: "png"),
                        ]))
        }
        let manifest = """
            version: 1
            output: out
            matrix: {prompt: ["Say \\"hi\\" \\\\ café", B.], image: room.png, model: [grok-imagine, nano-banana-pro]}

            """
        let (outcome, text) = try await run(service, manifest: manifest)
        #expect(outcome.totals.failed == 1 && outcome.totals.succeeded == 3)
        let report = try #require(try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any])
        let jobs = try #require(report["jobs"] as? [[String: Any]])
        #expect(jobs.count == 4)
        for job in jobs {
            let key = try #require(job["key"] as? String)
            #expect(key.count == 64 && job["id"] as? String == String(key.prefix(12)))
            #expect(job["alreadyDone"] as? Bool == false && job["attempts"] as? Int == 1 && job["sample"] as? Int == 1)
            #expect(
                (job["submittedAt"] as? String)?.count == 24 && (job["finishedAt"] as? String)?.hasSuffix("Z") == true)
            #expect(job["durationSeconds"] is NSNumber)
            let cost = try #require(job["cost"] as? [String: Any])
            #expect(cost["currency"] as? String == "CNY" && cost["amount"] is String && cost["estimated"] is String)
            #expect(
                (job["prompt"] as? [String: Any])?["text"] as? String == "Say \"hi\" \\ café"
                    || (job["prompt"] as? [String: Any])?["text"] as? String == "B.")
            #expect(
                (job["images"] as? [[String: Any]])?.first?["uploadedURL"] as? String
                    == "https://files.example.com/room.png")
            let outputs = try #require(job["outputs"] as? [[String: Any]])
            if job["status"] as? String == "failed" {
                #expect(outputs.isEmpty)
                let error = try #require(job["error"] as? [String: Any])
                #expect(error["message"] as? String == message && error["phase"] as? String == "poll")
            } else {
                #expect(job["status"] as? String == "succeeded" && job["error"] == nil)
                #expect(outputs.count == 2)
                #expect(outputs.map { $0["sha256"] as? String } == ["00", "00"])
                #expect(
                    outputs.last?["url"] as? String
                        == "https://cdn.example.com/\(job["taskId"] as? String ?? "")/2.png?a=\"b\"")
                #expect(Set(outputs.compactMap { $0["path"] as? String }).count == 2)
            }
        }
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
