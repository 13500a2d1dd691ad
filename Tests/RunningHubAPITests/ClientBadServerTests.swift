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
        _ body: (RunningHubClient) async throws -> Result
    ) async throws -> Result {
        let configuration = RunningHubClient.Configuration(
            baseURL: server.baseURL + "/openapi/v2",
            apiKey: APIKey("k")!,
            requestTimeout: requestTimeout,
            downloadTimeout: requestTimeout
        )
        do {
            let result = try await RunningHubClient.withClient(configuration, logger: Logger(label: "test")) { try await body($0) }
            try await server.stop()
            return result
        } catch {
            try? await server.stop()
            throw error
        }
    }

    let body = Array(#"{"prompt":"p","image":"https://x/y.png"}"#.utf8)

    @Test func garbageJSONIsAnUnknownOutcome() async throws {
        let server = try await ScriptedServer(.raw(ScriptedServer.response(status: "200 OK", body: "{\"taskId\": tru"), close: false))
        let outcome = try await withClient(server) { try await $0.submit(endpoint: "a/b", body: body) }
        guard case .unknown(let failure) = outcome else {
            Issue.record("garbage must be an unknown outcome, got \(outcome)")
            return
        }
        #expect(failure.code == "bad-answer")
    }

    @Test func htmlBadGatewayIsUnknownForSubmitAndTransientForQuery() async throws {
        let page = ScriptedServer.response(status: "502 Bad Gateway", headers: ["Content-Type": "text/html"], body: "<html><body>502</body></html>")
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
        let server = try await ScriptedServer(.raw(ScriptedServer.response(status: "200 OK", body: png, contentLength: 5000), close: true))
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
        let server = try await ScriptedServer(.raw(ScriptedServer.response(status: "200 OK", body: "<html>login</html>"), close: false))
        let url = server.baseURL + "/results/1.png"
        do {
            _ = try await withClient(server) { try await $0.download(url: url, to: folder + "/r.png") }
            Issue.record("an HTML page downloaded as an image")
        } catch let error as DownloadError {
            #expect(error.reason == .notAnImage)
        }
        #expect(try FileManager.default.contentsOfDirectory(atPath: folder).isEmpty)
    }

    @Test func silentServerTimesOutInsteadOfHanging() async throws {
        let server = try await ScriptedServer(.silence)
        let clock = ContinuousClock()
        let start = clock.now
        let outcome = try await withClient(server, requestTimeout: .milliseconds(500)) { try await $0.submit(endpoint: "a/b", body: body) }
        #expect(clock.now - start < .seconds(10))
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
        let server = try await ScriptedServer(.silence)
        let base = server.baseURL
        try await server.stop()
        let configuration = RunningHubClient.Configuration(baseURL: base + "/openapi/v2", apiKey: APIKey("k")!, requestTimeout: .seconds(5))
        let outcome = try await RunningHubClient.withClient(configuration, logger: Logger(label: "test")) {
            try await $0.submit(endpoint: "a/b", body: body)
        }
        guard case .refused(let failure) = outcome else {
            Issue.record("a refused connection must be a refusal, got \(outcome)")
            return
        }
        #expect(failure.errorClass == .retryable)
    }
}
