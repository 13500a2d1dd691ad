import Foundation
import Logging
import Testing

@testable import RunningHubAPI

/// The client against scripted misbehaving servers on loopback.
@Suite("Client against bad servers")
struct ClientBadServerTests {
    func withClient<Result>(
        _ server: ScriptedServer,
        requestTimeout: Duration = .seconds(5),
        maxDownloadBytes: Int = 2 << 30,
        legacyRetryPauses: [Duration]? = nil,
        _ body: (RunningHubClient) async throws -> Result
    ) async throws -> Result {
        var configuration = RunningHubClient.Configuration(
            baseURL: server.baseURL + "/openapi/v2",
            apiKey: APIKey("k")!,
            requestTimeout: requestTimeout,
            downloadTimeout: requestTimeout
        )
        configuration.maxDownloadBytes = maxDownloadBytes
        if let legacyRetryPauses { configuration.legacyRetryPauses = legacyRetryPauses }
        do {
            let result = try await RunningHubClient.withClient(configuration, logger: Logger(label: "test")) {
                try await body($0)
            }
            try await server.stop()
            return result
        } catch {
            try? await server.stop()
            throw error
        }
    }

    let body = Array(#"{"prompt":"p","image":"https://x/y.png"}"#.utf8)

    @Test func garbageJSONIsAnUnknownOutcome() async throws {
        let server = try await ScriptedServer(
            .raw(ScriptedServer.response(status: "200 OK", body: "{\"taskId\": tru"), close: false))
        let outcome = try await withClient(server) { try await $0.submit(endpoint: "a/b", body: body) }
        guard case .unknown(let failure) = outcome else {
            Issue.record("garbage must be an unknown outcome, got \(outcome)")
            return
        }
        #expect(failure.code == "bad-answer")
    }

    /// A workflow task's v2 answer without coins: the legacy outputs call is asked again while it
    /// fails or says the task is still running (it may lag the v2 answer), at most 3 times, and
    /// not after a timeout.
    @Test func aWorkflowTasksCoinsAreAskedAgainWhileTheOutputsCallFails() async throws {
        let finished = ScriptedServer.response(
            status: "200 OK",
            body:
                #"{"taskId":"1","status":"SUCCESS","results":[{"url":"https://x/y.png","outputType":"png"}],"usage":{"consumeCoins":null}}"#
        )
        let badGateway = ScriptedServer.response(status: "502 Bad Gateway", body: "<html>502</html>")
        let running = ScriptedServer.response(
            status: "200 OK", body: #"{"code":804,"msg":"APIKEY_TASK_IS_RUNNING","data":null}"#)
        let outputs = ScriptedServer.response(
            status: "200 OK",
            body:
                #"{"code":0,"msg":"success","data":[{"fileUrl":"https://x/y.png","nodeId":"9","consumeCoins":"12","taskCostTime":"31"}]}"#
        )
        // The task the v2 query gives for these scripted answers, and how many requests were made.
        func query(_ answers: [[UInt8]], requestTimeout: Duration = .seconds(5)) async throws -> (
            task: TaskSnapshot?, requests: Int
        ) {
            let server = try await ScriptedServer(.answers(answers))
            let outcome = try await withClient(
                server, requestTimeout: requestTimeout, legacyRetryPauses: [.milliseconds(10), .milliseconds(20)]
            ) { try await $0.query(workflowTask: "1") }
            guard case .task(let task) = outcome else {
                Issue.record("got \(outcome)")
                return (nil, server.answered)
            }
            return (task, server.answered)
        }
        let paid = try await query([finished, badGateway, running, outputs])
        #expect(paid.task?.state == .succeeded && paid.task?.coins == "12" && paid.task?.costSeconds == "31")

        // Failing every time: the task is still done, without coins, after 1 + 3 requests.
        let failing = try await query([finished, badGateway])
        #expect(failing.task?.state == .succeeded && failing.task?.coins == nil)
        #expect(failing.requests == 4)

        // A legacy call that times out has waited a whole request timeout: it is not asked again.
        let silent = try await query([finished, []], requestTimeout: .seconds(3))
        #expect(silent.task?.state == .succeeded && silent.task?.coins == nil)
        #expect(silent.requests == 2)
    }

    @Test func htmlBadGatewayIsUnknownForSubmitAndTransientForQuery() async throws {
        let page = ScriptedServer.response(
            status: "502 Bad Gateway", headers: ["Content-Type": "text/html"], body: "<html><body>502</body></html>")
        let server = try await ScriptedServer(.raw(page, close: false))
        let (submit, query) = try await withClient(server) { client in
            (try await client.submit(endpoint: "a/b", body: body), try await client.query(taskId: "1"))
        }
        guard case .unknown(let failure) = submit, case .failed(let queryFailure) = query else {
            Issue.record("got \(submit) and \(query)")
            return
        }
        #expect(failure.httpStatus == 502)
        #expect(queryFailure.errorClass == .transient)
    }

    @Test func resetMidBodyIsAnUnknownOutcome() async throws {
        let cut = Array(ScriptedServer.response(status: "200 OK", body: #"{"taskId":"1","sta"#, contentLength: 200))
        let server = try await ScriptedServer(.raw(cut, close: true))
        let outcome = try await withClient(server) { try await $0.submit(endpoint: "a/b", body: body) }
        guard case .unknown(let failure) = outcome else {
            Issue.record("a cut answer must be an unknown outcome, got \(outcome)")
            return
        }
        #expect(failure.errorClass == .unknownOutcome)
    }

    @Test func shortDownloadLeavesNoFile() async throws {
        let folder = FileManager.default.temporaryDirectory.path + "/rh-short-" + UUID().uuidString
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let png = "\u{89}PNG\r\n\u{1A}\n" + String(repeating: "x", count: 100)
        let server = try await ScriptedServer(
            .raw(ScriptedServer.response(status: "200 OK", body: png, contentLength: 5000), close: true))
        let url = server.baseURL + "/results/1.png"
        do {
            _ = try await withClient(server) { try await $0.download(url: url, to: folder + "/r.png") }
            Issue.record("a short body downloaded")
        } catch let error as DownloadError {
            #expect(error.reason == .incomplete, "\(error)")
        }
        #expect(try FileManager.default.contentsOfDirectory(atPath: folder).isEmpty)
    }

    @Test func nonImageDownloadIsRefused() async throws {
        let folder = FileManager.default.temporaryDirectory.path + "/rh-text-" + UUID().uuidString
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let server = try await ScriptedServer(
            .raw(ScriptedServer.response(status: "200 OK", body: "<html>login</html>"), close: false))
        let url = server.baseURL + "/results/1.png"
        do {
            _ = try await withClient(server) { try await $0.download(url: url, to: folder + "/r.png") }
            Issue.record("an HTML page downloaded as an image")
        } catch let error as DownloadError {
            #expect(error.reason == .wrongKind)
        }
        #expect(try FileManager.default.contentsOfDirectory(atPath: folder).isEmpty)
    }

    // A hang fails the test at the time limit; the outcome's `timeout` code says the client's own
    // deadline ended the request (no wall-clock bound: a loaded machine may take seconds to get
    // there, which is not what is tested).
    @Test(.timeLimit(.minutes(1))) func silentServerTimesOutInsteadOfHanging() async throws {
        let server = try await ScriptedServer(.silence)
        let outcome = try await withClient(server, requestTimeout: .milliseconds(500)) {
            try await $0.submit(endpoint: "a/b", body: body)
        }
        guard case .unknown(let failure) = outcome else {
            Issue.record("a silent server must give an unknown outcome, got \(outcome)")
            return
        }
        #expect(failure.code == "timeout")
    }

    @Test func cancellationSurfacesAsCancellationError() async throws {
        let server = try await ScriptedServer(.silence)
        try await withClient(server, requestTimeout: .seconds(30)) { client in
            let task = Task { try await client.submit(endpoint: "a/b", body: body) }
            // Cancel once the request is on the server: the client is then waiting for an answer.
            var requests = server.requests.makeAsyncIterator()
            _ = await requests.next()
            task.cancel()
            await #expect(throws: CancellationError.self) { try await task.value }
        }
    }

    @Test func refusedConnectionIsSafeToRetry() async throws {
        // Port 1 on loopback: nothing listens there. (A port freed by a stopped server can be taken
        // at once by another test's server, which would answer instead of refusing.)
        let base = "http://127.0.0.1:1"
        let configuration = RunningHubClient.Configuration(
            baseURL: base + "/openapi/v2", apiKey: APIKey("k")!, requestTimeout: .seconds(5))
        let outcome = try await RunningHubClient.withClient(configuration, logger: Logger(label: "test")) {
            try await $0.submit(endpoint: "a/b", body: body)
        }
        guard case .refused(let failure) = outcome else {
            Issue.record("a refused connection must be a refusal, got \(outcome)")
            return
        }
        #expect(failure.errorClass == .retryable)
    }

    @Test func resultURLsMustBeHTTPAndNotPrivateUnlessTheAPIIs() throws {
        let api = "https://www.runninghub.ai/openapi/v2"
        for url in [
            "ftp://cdn.example.com/a.png", "file:///etc/passwd", "http://127.0.0.1/a.png",
            "http://localhost:8080/a.png",
            "http://10.1.2.3/a.png", "http://172.20.0.1/a.png", "http://192.168.1.1/a.png",
            "http://169.254.169.254/latest/meta-data",
            "http://[::1]/a.png", "http://[fe80::1]/a.png", "http://good.example.com@127.0.0.1/a.png",
            "http://0.0.0.0/a.png",
        ] {
            #expect(throws: DownloadError.self, "\(url)") {
                try RunningHubClient.checkDownloadTarget(url, apiBaseURL: api)
            }
        }
        for url in ["https://rh-images.example.com/a/b.png?sig=1", "http://172.32.0.1/a.png", "https://8.8.8.8/x.png"] {
            #expect(throws: Never.self, "\(url)") { try RunningHubClient.checkDownloadTarget(url, apiBaseURL: api) }
        }
        // The simulator on loopback serves its results on loopback.
        #expect(throws: Never.self) {
            try RunningHubClient.checkDownloadTarget(
                "http://127.0.0.1:4000/results/1/1.png", apiBaseURL: "http://127.0.0.1:4000/openapi/v2")
        }
    }

    @Test func aRedirectToAnotherSchemeIsRefused() async throws {
        let folder = FileManager.default.temporaryDirectory.path + "/rh-redirect-" + UUID().uuidString
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let server = try await ScriptedServer(
            .raw(
                ScriptedServer.response(status: "302 Found", headers: ["Location": "file:///etc/passwd"], body: ""),
                close: false))
        let url = server.baseURL + "/results/1/1.png"
        do {
            _ = try await withClient(server) { try await $0.download(url: url, to: folder + "/r.png") }
            Issue.record("a redirect to file:// was followed")
        } catch let error as DownloadError {
            #expect(error.reason == .refusedTarget, "\(error)")
            #expect(!error.isRetryable)
        }
        #expect(!FileManager.default.fileExists(atPath: folder + "/r.png"))
    }

    @Test func aResultOverTheByteCapIsRefusedAndLeavesNothing() async throws {
        let folder = FileManager.default.temporaryDirectory.path + "/rh-cap-" + UUID().uuidString
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let png = [UInt8]([0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]) + [UInt8](repeating: 7, count: 992)
        // Announced: refused before the body. Not announced (until the connection closes): cut at the cap.
        let announced = ScriptedServer.response(
            status: "200 OK", body: String(decoding: png, as: UTF8.self), contentLength: png.count)
        let unannounced = Array("HTTP/1.1 200 OK\r\nConnection: close\r\n\r\n".utf8) + png
        for raw in [announced, unannounced] {
            let server = try await ScriptedServer(.raw(raw, close: true))
            let url = server.baseURL + "/results/1/1.png"
            do {
                _ = try await withClient(server, maxDownloadBytes: 100) {
                    try await $0.download(url: url, to: folder + "/r.png")
                }
                Issue.record("a file over the cap was downloaded")
            } catch let error as DownloadError {
                #expect(error.reason == .tooLarge, "\(error)")
            }
            #expect(((try? FileManager.default.contentsOfDirectory(atPath: folder)) ?? []).isEmpty)
        }
    }
}
