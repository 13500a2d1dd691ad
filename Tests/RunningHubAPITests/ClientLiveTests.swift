import Foundation
import InMemoryLogging
import Logging
import RunningHubSimulator
import Testing

@testable import RunningHubAPI

/// The client against the live simulator on a loopback port, every endpoint and scenario.
@Suite("Client against the simulator")
struct ClientLiveTests {
    static let key = "live-test-key"

    /// Runs `body` against a simulator on loopback whose clock stands still unless the configuration
    /// brings its own: tasks stay queued until a test moves the clock, so nothing depends on how
    /// fast this machine answers.
    func withLive<Result: Sendable>(
        _ configuration: SimulatorConfiguration = .init(latency: 0.05...0.1),
        key: String = key,
        logger: Logger = Logger(label: "test", factory: { _ in SwiftLogNoOpLogHandler() }),
        _ body: @Sendable (RunningHubClient, SimulatorState, String) async throws -> Result
    ) async throws -> Result {
        var configuration = configuration
        if configuration.clock === SimulatorClock.real { configuration.clock = SimulatorClock(stopped: true) }
        return try await SimulatorServer.withRunning(configuration) { baseURL, state in
            let client = RunningHubClient.Configuration(
                baseURL: baseURL + "/openapi/v2",
                apiKey: APIKey(key)!,
                requestTimeout: .seconds(10),
                downloadTimeout: .seconds(10)
            )
            return try await RunningHubClient.withClient(client, logger: logger) { client in
                try await body(client, state, baseURL)
            }
        }
    }

    static func body(image: String, prompt: String = "Make it green.") -> [UInt8] {
        Array(
            #"{"prompt":"\#(prompt)","imageUrls":["\#(image)"],"resolution":"1k","quality":"low","aspectRatio":"16:9"}"#
                .utf8)
    }

    /// Moves the simulator's clock past the task's latency, then queries until the answer is final
    /// (only transient answers, such as `flaky`'s, make it ask again).
    static func finish(
        _ client: RunningHubClient, _ state: SimulatorState, _ taskId: String, after: Duration = .seconds(1)
    ) async throws -> TaskSnapshot {
        state.configuration.clock.advance(by: after)
        for _ in 0..<50 {
            switch try await client.query(taskId: taskId) {
            case .task(let snapshot) where snapshot.state.isFinished: return snapshot
            case .task(let snapshot): Issue.record("task \(taskId) is still \(snapshot.state) after its latency")
            case .failed(let failure): #expect(failure.errorClass == .transient, "\(failure)")
            }
        }
        throw CancellationError()
    }

    func temporaryFolder() throws -> String {
        let path = FileManager.default.temporaryDirectory.path + "/rh-client-" + UUID().uuidString
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        return path
    }

    @Test func uploadSubmitPollDownload() async throws {
        let folder = try temporaryFolder()
        defer { try? FileManager.default.removeItem(atPath: folder) }
        try await withLive { client, state, _ in
            let png = PNGEncoder.solid(width: 5, height: 5, color: (9, 9, 9))
            let uploaded = try await client.upload(bytes: png, fileName: "in.png", contentType: "image/png")
            let url = uploaded.url
            #expect(url.contains("/view?filename="))
            #expect(uploaded.fileName?.hasPrefix("openapi/") == true)
            guard
                case .accepted(let task) = try await client.submit(
                    endpoint: "rhart-image-g-2-official/image-to-image", body: Self.body(image: url))
            else {
                Issue.record("submit was not accepted")
                return
            }
            #expect(task.taskId.count == 19)
            let done = try await Self.finish(client, state, task.taskId)
            #expect(done.state == .succeeded)
            #expect(done.cost == "0.290")
            let result = try #require(done.results.first)
            #expect(result.outputType == "png")
            let file = try await client.download(url: result.url, to: folder + "/a/b/out.png")
            #expect(file.format == "png")
            let written = try Data(contentsOf: URL(fileURLWithPath: folder + "/a/b/out.png"))
            #expect(written.count == file.bytes)
            #expect(try FileManager.default.contentsOfDirectory(atPath: folder + "/a/b") == ["out.png"])
            let ledger = await state.snapshot()
            #expect(ledger.uploads == 1)
            #expect(ledger.billed.count == 1)
            #expect(ledger.totalDownloads == 1)
            #expect(ledger.unpolledFinished == 0)
        }
    }

    @Test func queueAndAccountStatus() async throws {
        try await withLive(.init(concurrencyLimit: 12, balance: 99.5)) { client, _, _ in
            let queue = try await client.queueStatus()
            #expect(queue.concurrencyLimit == 12)
            #expect(queue.keyType == "SHARED")
            let account = try await client.accountStatus()
            #expect(account.remainingMoney == "99.500")
            #expect(account.currency == "CNY")
        }
    }

    @Test func badKeyIsFatalEverywhere() async throws {
        try await withLive(key: "bad-key") { client, state, _ in
            guard
                case .refused(let submit) = try await client.submit(
                    endpoint: "rhart-image-x-official/edit",
                    body: Array(#"{"prompt":"p","image":"https://x/y.png"}"#.utf8))
            else {
                Issue.record("a bad key must be refused")
                return
            }
            #expect(submit.code == "1002")
            #expect(submit.errorClass == .fatal)
            guard case .failed(let query) = try await client.query(taskId: "1") else {
                Issue.record("a bad key must fail the query")
                return
            }
            #expect(query.errorClass == .fatal)
            await #expect(throws: UploadError.self) {
                _ = try await client.upload(bytes: [1, 2, 3], fileName: "a.png", contentType: "image/png")
            }
            #expect(await state.snapshot().billed.isEmpty)
        }
    }

    @Test func wrongKeyTypeIsFatal() async throws {
        try await withLive(key: "personal-123") { client, _, _ in
            let outcome = try await client.submit(
                endpoint: "rhart-image-x-official/edit", body: Array(#"{"prompt":"p","image":"https://x/y.png"}"#.utf8))
            #expect(
                outcome
                    == .refused(
                        APIFailure(
                            code: "1014",
                            message:
                                "Access Denied: Standard Model API is restricted to Enterprise-Shared API Keys only.",
                            httpStatus: 200, errorClass: .fatal)))
        }
    }

    @Test func ratelimitAnswers421And429() async throws {
        // The clock stands still: no task finishes and the one-second window never passes, so the
        // answers follow from the limits alone.
        try await withLive(.init(scenarios: [.ratelimit], latency: 5...5, concurrencyLimit: 2, submitsPerSecond: 4)) {
            client, state, _ in
            var codes: [String] = []
            for index in 0..<6 {
                let outcome = try await client.submit(
                    endpoint: "rhart-image-x-official/edit",
                    body: Array(#"{"prompt":"p\#(index)","image":"https://x/y.png"}"#.utf8))
                switch outcome {
                case .accepted: codes.append("ok")
                case .refused(let failure):
                    #expect(failure.errorClass == .retryable)
                    if failure.httpStatus == 429 { #expect(failure.retryAfter == .seconds(1)) }
                    codes.append(failure.httpStatus == 429 ? "429" : failure.code)
                case .unknown: codes.append("unknown")
                }
            }
            #expect(codes == ["ok", "ok", "421", "421", "429", "429"])
            #expect(await state.snapshot().peakConcurrent == 2)
        }
    }

    @Test func moderationFailsTheTask() async throws {
        try await withLive(.init(scenarios: [.moderation], latency: 0.02...0.05)) { client, state, _ in
            guard
                case .accepted(let task) = try await client.submit(
                    endpoint: "rhart-image-x-official/edit",
                    body: Array(#"{"prompt":"FORBIDDEN","image":"https://x/y.png"}"#.utf8))
            else {
                Issue.record("submit was not accepted")
                return
            }
            let done = try await Self.finish(client, state, task.taskId)
            #expect(done.state == .failed)
            #expect(done.errorCode == "1501")
        }
    }

    @Test func multiGivesTwoResults() async throws {
        try await withLive(.init(scenarios: [.multi], latency: 0.02...0.05)) { client, state, _ in
            guard
                case .accepted(let task) = try await client.submit(
                    endpoint: "rhart-image-x-official/edit",
                    body: Array(#"{"prompt":"p","image":"https://x/y.png"}"#.utf8))
            else {
                Issue.record("submit was not accepted")
                return
            }
            let done = try await Self.finish(client, state, task.taskId)
            #expect(done.results.count == 2)
            #expect(Set(done.results.map(\.url)).count == 2)
        }
    }

    @Test func slowTasksTakeLonger() async throws {
        try await withLive(.init(scenarios: [.slow], latency: 0.1...0.1)) { client, state, _ in
            guard
                case .accepted(let task) = try await client.submit(
                    endpoint: "rhart-image-x-official/edit",
                    body: Array(#"{"prompt":"p","image":"https://x/y.png"}"#.utf8))
            else {
                Issue.record("submit was not accepted")
                return
            }
            // Twice the nominal latency: a plain task would be done, a slow one (5×) still runs.
            state.configuration.clock.advance(by: .milliseconds(200))
            guard case .task(let snapshot) = try await client.query(taskId: task.taskId) else {
                Issue.record("query failed")
                return
            }
            #expect(snapshot.state == .running)
            let done = try await Self.finish(client, state, task.taskId, after: .milliseconds(300))
            #expect(done.state == .succeeded)
        }
    }

    @Test func quirkyAnswersAreRead() async throws {
        try await withLive(.init(scenarios: [.quirky], latency: 0.02...0.05, seed: 3)) { client, state, _ in
            var instant = 0
            for index in 0..<20 {
                let outcome = try await client.submit(
                    endpoint: "rhart-image-x-official/edit",
                    body: Array(#"{"prompt":"p\#(index)","image":"https://x/y.png"}"#.utf8))
                guard case .accepted(let task) = outcome else {
                    Issue.record("quirky submit \(index) was not accepted: \(outcome)")
                    continue
                }
                #expect(task.taskId.count == 19)
                if task.state == .succeeded {
                    instant += 1
                    #expect(task.results.count == 1)
                }
                let done = try await Self.finish(client, state, task.taskId)
                #expect(done.state == .succeeded)
            }
            #expect(instant > 0)
        }
    }

    @Test func expiredResultsAreReportedAsExpired() async throws {
        let folder = try temporaryFolder()
        defer { try? FileManager.default.removeItem(atPath: folder) }
        try await withLive(.init(scenarios: [.expire], latency: 0.02...0.02, resultLifetime: 0.1)) { client, state, _ in
            guard
                case .accepted(let task) = try await client.submit(
                    endpoint: "rhart-image-x-official/edit",
                    body: Array(#"{"prompt":"p","image":"https://x/y.png"}"#.utf8))
            else {
                Issue.record("submit was not accepted")
                return
            }
            let done = try await Self.finish(client, state, task.taskId, after: .milliseconds(20))
            state.configuration.clock.advance(by: .milliseconds(250))
            do {
                _ = try await client.download(url: done.results[0].url, to: folder + "/x.png")
                Issue.record("an expired URL downloaded")
            } catch let error as DownloadError {
                #expect(error.reason == .expired)
                #expect(!error.isRetryable)
            }
            #expect(try FileManager.default.contentsOfDirectory(atPath: folder).isEmpty)
            #expect(await state.snapshot().expiredDownloads == 1)
        }
    }

    @Test func flakyNeverLeavesPartialFiles() async throws {
        let folder = try temporaryFolder()
        defer { try? FileManager.default.removeItem(atPath: folder) }
        try await withLive(.init(scenarios: [.flaky], latency: 0.01...0.03, seed: 11)) { client, state, _ in
            var accepted: [String] = []
            var unknown = 0
            for index in 0..<40 {
                switch try await client.submit(
                    endpoint: "rhart-image-x-official/edit",
                    body: Array(#"{"prompt":"p\#(index)","image":"https://x/y.png"}"#.utf8))
                {
                case .accepted(let task): accepted.append(task.taskId)
                case .unknown(let failure):
                    #expect(failure.errorClass == .unknownOutcome)
                    unknown += 1
                case .refused(let failure): Issue.record("unexpected refusal \(failure)")
                }
            }
            #expect(unknown > 0)
            state.configuration.clock.advance(by: .seconds(1))
            var transient = 0
            var complete = 0
            var incomplete = 0
            for taskId in accepted {
                var result: TaskResult?
                for _ in 0..<200 where result == nil {
                    switch try await client.query(taskId: taskId) {
                    case .task(let snapshot) where snapshot.state == .succeeded: result = snapshot.results.first
                    case .task(let snapshot):
                        Issue.record("task \(taskId) is still \(snapshot.state) after its latency")
                    case .failed(let failure):
                        #expect(failure.errorClass == .transient)
                        transient += 1
                    }
                }
                let url = try #require(result?.url)
                for _ in 0..<10 {
                    do {
                        _ = try await client.download(url: url, to: folder + "/\(taskId).png")
                        complete += 1
                        break
                    } catch let error as DownloadError {
                        #expect(error.isRetryable, "\(error)")
                        incomplete += 1
                    }
                }
            }
            #expect(transient > 0)
            #expect(incomplete > 0)
            #expect(complete == accepted.count)
            let files = try FileManager.default.contentsOfDirectory(atPath: folder)
            #expect(files.count == accepted.count)
            #expect(files.allSatisfy { $0.hasSuffix(".png") && !$0.hasPrefix(".") })
            #expect(await state.snapshot().doubleBilled == 0)
        }
    }

    @Test func theKeyNeverReachesTheLogs() async throws {
        let handler = InMemoryLogHandler()
        var logger = Logger(label: "test", factory: { _ in handler })
        logger.logLevel = .trace
        try await withLive(key: "sk-very-secret-key", logger: logger) { client, _, _ in
            _ = try await client.submit(
                endpoint: "rhart-image-x-official/edit", body: Array(#"{"prompt":"p","image":"https://x/y.png"}"#.utf8))
            _ = try await client.query(taskId: "123")
        }
        let text = handler.entries.map { "\($0.message) \($0.metadata)" }.joined(separator: "\n")
        #expect(!text.contains("sk-very-secret-key"))
    }
}
