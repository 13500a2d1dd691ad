import Foundation
import Hummingbird
import HummingbirdTesting
import NIOCore
import Testing

@testable import RunningHubSimulator

/// The simulator's request rules, exercised through its router without a socket.
@Suite("Simulator validation")
struct SimulatorValidationTests {
    static let key = "test-key"
    static let image = "https://example.com/in.png"

    func withSimulator(
        _ configuration: SimulatorConfiguration = .init(latency: 0.05...0.05),
        _ body: @Sendable (any TestClientProtocol, SimulatorState) async throws -> Void
    ) async throws {
        // A stopped clock: tasks stay queued until a test moves it.
        var configuration = configuration
        if configuration.clock === SimulatorClock.real { configuration.clock = SimulatorClock(stopped: true) }
        let state = SimulatorState(configuration: configuration)
        let app = Application(router: SimulatorServer.buildRouter(state: state))
        try await app.test(.router) { client in try await body(client, state) }
    }

    static func post(
        _ client: any TestClientProtocol,
        _ path: String,
        _ json: String,
        key: String? = key
    ) async throws -> (status: Int, object: [String: Any]) {
        var headers: HTTPFields = [.contentType: "application/json"]
        if let key { headers[.authorization] = "Bearer \(key)" }
        let data = Data(json.utf8)
        return try await client.execute(uri: path, method: .post, headers: headers, body: ByteBuffer(bytes: data)) {
            response in
            let object =
                (try? JSONSerialization.jsonObject(with: Data(Array(buffer: response.body)))) as? [String: Any] ?? [:]
            return (Int(response.status.code), object)
        }
    }

    static let goodBodies: [(String, String)] = [
        (
            "rhart-image-g-2-official/image-to-image",
            #"{"prompt":"p","imageUrls":["https://example.com/in.png"],"resolution":"2k","quality":"medium","aspectRatio":"9:21"}"#
        ),
        ("rhart-image-x-official/edit", #"{"prompt":"p","image":"https://example.com/in.png"}"#),
        (
            "rhart-image-n-pro-official/edit",
            #"{"prompt":"p","imageUrls":["https://example.com/in.png","https://example.com/in.png"],"resolution":"1k"}"#
        ),
    ]

    @Test func goodBodiesAreAcceptedWithNineteenDigitIds() async throws {
        try await withSimulator { client, state in
            for (endpoint, body) in Self.goodBodies {
                let (status, object) = try await Self.post(client, "/openapi/v2/\(endpoint)", body)
                #expect(status == 200)
                #expect(object["errorCode"] as? String == "")
                let taskId = try #require(object["taskId"] as? String)
                #expect(taskId.count == 19 && taskId.allSatisfy(\.isNumber))
                #expect(["QUEUED", "RUNNING"].contains(object["status"] as? String))
            }
            let ledger = await state.snapshot()
            #expect(ledger.submitsAccepted == 3)
            #expect(ledger.billed.map(\.price) == [0.926, 0.14, 0.8])
        }
    }

    static let badBodies: [(String, String, String)] = [
        ("missing prompt", "rhart-image-x-official/edit", #"{"image":"https://example.com/in.png"}"#),
        (
            "prompt too long", "rhart-image-x-official/edit",
            #"{"prompt":""# + String(repeating: "a", count: 20_001) + #"","image":"https://example.com/in.png"}"#
        ),
        ("empty prompt", "rhart-image-x-official/edit", #"{"prompt":"","image":"https://example.com/in.png"}"#),
        (
            "grok image as a list", "rhart-image-x-official/edit",
            #"{"prompt":"p","image":["https://example.com/in.png"]}"#
        ),
        (
            "no images", "rhart-image-g-2-official/image-to-image",
            #"{"prompt":"p","imageUrls":[],"resolution":"2k","quality":"low"}"#
        ),
        (
            "eleven images", "rhart-image-g-2-official/image-to-image",
            #"{"prompt":"p","imageUrls":["https://example.com/in.png","https://example.com/in.png","https://example.com/in.png","https://example.com/in.png","https://example.com/in.png","https://example.com/in.png","https://example.com/in.png","https://example.com/in.png","https://example.com/in.png","https://example.com/in.png","https://example.com/in.png"],"resolution":"2k","quality":"low"}"#
        ),
        (
            "imageUrls as a string", "rhart-image-n-pro-official/edit",
            #"{"prompt":"p","imageUrls":"https://example.com/in.png","resolution":"1k"}"#
        ),
        (
            "missing resolution", "rhart-image-n-pro-official/edit",
            #"{"prompt":"p","imageUrls":["https://example.com/in.png"]}"#
        ),
        (
            "missing quality", "rhart-image-g-2-official/image-to-image",
            #"{"prompt":"p","imageUrls":["https://example.com/in.png"],"resolution":"2k"}"#
        ),
        (
            "ratio nano does not take", "rhart-image-n-pro-official/edit",
            #"{"prompt":"p","imageUrls":["https://example.com/in.png"],"resolution":"1k","aspectRatio":"1:3"}"#
        ),
        (
            "bad quality", "rhart-image-g-2-official/image-to-image",
            #"{"prompt":"p","imageUrls":["https://example.com/in.png"],"resolution":"2k","quality":"ultra"}"#
        ),
        ("not a URL", "rhart-image-x-official/edit", #"{"prompt":"p","image":"room.png"}"#),
        ("not JSON", "rhart-image-x-official/edit", "prompt=p"),
    ]

    @Test(arguments: badBodies)
    func badBodiesAreRefusedWith1007(name: String, endpoint: String, body: String) async throws {
        try await withSimulator { client, state in
            let (status, object) = try await Self.post(client, "/openapi/v2/\(endpoint)", body)
            #expect(status == 200)
            #expect(object["errorCode"] as? String == "1007", "\(name)")
            #expect(object["taskId"] as? String == "")
            #expect(await state.snapshot().billed.isEmpty)
        }
    }

    /// Bodies for registry models of other kinds, each wrong in one field; the answer names it.
    static let badFields: [(String, String, String)] = [
        (
            "kling-v3.0-pro/image-to-video",
            #"{"prompt":"p","firstImageUrl":"https://e.com/a.png","duration":"2","sound":true}"#, "duration"
        ),
        (
            "kling-v3.0-pro/image-to-video",
            #"{"prompt":"p","firstImageUrl":"https://e.com/a.png","duration":"5","sound":"yes"}"#, "sound"
        ),
        (
            "kling-v3.0-pro/image-to-video",
            #"{"prompt":"p","firstImageUrl":"https://e.com/a.png","duration":"5","sound":true,"cfgScale":2}"#,
            "cfgScale"
        ),
        ("seedream-v4.5/text-to-image", #"{"prompt":"p","width":100}"#, "width"),
        ("seedream-v4.5/text-to-image", #"{"prompt":"p","width":"1024"}"#, "width"),
        ("alibaba/wan-2.5-preview/text-to-image", #"{"prompt":"p","size":"1280*1280","seed":1.5}"#, "seed"),
        (
            "alibaba/happyhorse-1.0/video-edit",
            #"{"prompt":"p","videoUrl":["https://e.com/a.mp4"],"resolution":"720p"}"#, "videoUrl"
        ),
        ("skyreels-v3/video-restyling", #"{"videoUrl":"https://e.com/a.mp4"}"#, "styleName"),
    ]

    @Test(arguments: badFields)
    func registryFieldsAreCheckedByKind(endpoint: String, body: String, field: String) async throws {
        try await withSimulator { client, state in
            let (_, object) = try await Self.post(client, "/openapi/v2/\(endpoint)", body)
            #expect(object["errorCode"] as? String == "1007", "\(endpoint) \(field)")
            #expect((object["errorMessage"] as? String)?.contains(field) == true, "\(object)")
            #expect(await state.snapshot().billed.isEmpty)
        }
    }

    @Test func everyRegistryModelIsServedAndPricedByTheTable() async throws {
        #expect(ModelRules.all.count == 299)
        try await withSimulator { client, state in
            // Per second: 0.69 × 7 seconds without sound.
            let (_, object) = try await Self.post(
                client, "/openapi/v2/kling-v3.0-pro/image-to-video",
                #"{"prompt":"p","firstImageUrl":"https://e.com/a.png","duration":"7","sound":false}"#
            )
            #expect(object["errorCode"] as? String == "")
            let billed = await state.snapshot().billed
            #expect(billed.count == 1)
            #expect(abs((billed.first?.price ?? 0) - 4.83) < 1e-9)
        }
    }

    @Test func unknownEndpointIs1001() async throws {
        try await withSimulator { client, _ in
            let (_, object) = try await Self.post(client, "/openapi/v2/no-such/model", #"{"prompt":"p"}"#)
            #expect(object["errorCode"] as? String == "1001")
        }
    }

    @Test func keysAreChecked() async throws {
        try await withSimulator { client, state in
            let endpoint = "/openapi/v2/rhart-image-x-official/edit"
            let body = Self.goodBodies[1].1
            let missing = try await Self.post(client, endpoint, body, key: nil)
            let bad = try await Self.post(client, endpoint, body, key: "bad-key")
            let personal = try await Self.post(client, endpoint, body, key: "personal-key")
            let query = try await Self.post(client, "/openapi/v2/query", #"{"taskId":"1"}"#, key: "bad")
            #expect(missing.object["errorCode"] as? String == "1002")
            #expect(bad.object["errorCode"] as? String == "1002")
            #expect(personal.object["errorCode"] as? String == "1014")
            #expect(query.object["errorCode"] as? String == "1002")
            #expect(await state.snapshot().submitsAccepted == 0)
        }
    }

    @Test func unknownTaskIs1004() async throws {
        try await withSimulator { client, _ in
            let (_, object) = try await Self.post(client, "/openapi/v2/query", #"{"taskId":"2000000000000000000"}"#)
            #expect(object["errorCode"] as? String == "1004")
        }
    }

    @Test func concurrencyLimitAnswers421() async throws {
        try await withSimulator(.init(latency: 30...30, concurrencyLimit: 2)) { client, state in
            let (endpoint, body) = Self.goodBodies[1]
            var codes: [String] = []
            for _ in 0..<4 {
                let answer = try await Self.post(client, "/openapi/v2/\(endpoint)", body)
                codes.append(answer.object["errorCode"] as? String ?? "?")
            }
            #expect(codes == ["", "", "421", "421"])
            let ledger = await state.snapshot()
            #expect(ledger.submitsRefused["421"] == 2)
            #expect(ledger.peakConcurrent == 2)
            #expect(ledger.doubleBilled == 1)
        }
    }

    /// A task held running for its forged success (even one of no latency) takes its key's slot
    /// while held, as a running task does.
    @Test func aTaskHeldForItsForgedSuccessTakesASlot() async throws {
        var configuration = SimulatorConfiguration(latency: 0...0, concurrencyLimit: 1)
        configuration.webhooks = WebhookFaults(forgeRunning: 1)
        try await withSimulator(configuration) { client, state in
            // Nothing listens on port 9: the forged callback's sends fail and are retried for
            // seconds, and the task stays held meanwhile.
            let body = #"{"prompt":"p","image":"https://example.com/in.png","webhookUrl":"http://127.0.0.1:9/hook"}"#
            let first = try await Self.post(client, "/openapi/v2/rhart-image-x-official/edit", body)
            #expect(first.object["status"] as? String == "RUNNING")
            let second = try await Self.post(client, "/openapi/v2/rhart-image-x-official/edit", body)
            #expect(second.object["errorCode"] as? String == "421")
            #expect(await state.snapshot().peakConcurrent == 1)
        }
    }

    @Test func balanceRunsOut() async throws {
        try await withSimulator(.init(latency: 0.01...0.01, balance: 0.2)) { client, _ in
            let (endpoint, body) = Self.goodBodies[1]
            let first = try await Self.post(client, "/openapi/v2/\(endpoint)", body)
            let second = try await Self.post(client, "/openapi/v2/\(endpoint)", body)
            #expect(first.object["errorCode"] as? String == "")
            #expect(second.object["errorCode"] as? String == "416")
        }
    }

    @Test func tasksRunToSuccessWithResultsAndUsage() async throws {
        try await withSimulator(.init(latency: 0.05...0.05)) { client, state in
            let (endpoint, body) = Self.goodBodies[0]
            let taskId = try #require(
                try await Self.post(client, "/openapi/v2/\(endpoint)", body).object["taskId"] as? String)
            let (_, queued) = try await Self.post(client, "/openapi/v2/query", #"{"taskId":"\#(taskId)"}"#)
            #expect(queued["status"] as? String == "QUEUED")
            state.configuration.clock.advance(by: .milliseconds(50))
            let (_, object) = try await Self.post(client, "/openapi/v2/query", #"{"taskId":"\#(taskId)"}"#)
            #expect(object["status"] as? String == "SUCCESS")
            let results = try #require(object["results"] as? [[String: Any]])
            #expect(results.count == 1)
            #expect(results[0]["outputType"] as? String == "png")
            let usage = try #require(object["usage"] as? [String: Any])
            #expect(usage["thirdPartyConsumeMoney"] as? String == "0.926")
            let url = try #require(results[0]["url"] as? String)
            let path = try #require(URLComponents(string: url)?.path)
            try await client.execute(uri: path, method: .get) { response in
                #expect(response.status == .ok)
                let bytes = Array(buffer: response.body)
                #expect(bytes.starts(with: [0x89, 0x50, 0x4E, 0x47]))
                // 9:21 at a 64-pixel long side: 27 × 64.
                #expect(Array(bytes[16..<24]) == [0, 0, 0, 27, 0, 0, 0, 64])
            }
            #expect(await state.snapshot().queries[taskId] == 2)
        }
    }

    @Test func moderationFailsTasksWith1501() async throws {
        try await withSimulator(.init(scenarios: [.moderation], latency: 0.01...0.01)) { client, state in
            let taskId = try #require(
                try await Self.post(
                    client, "/openapi/v2/rhart-image-x-official/edit",
                    #"{"prompt":"a FORBIDDEN thing","image":"\#(Self.image)"}"#
                ).object["taskId"] as? String
            )
            state.configuration.clock.advance(by: .milliseconds(10))
            let (_, object) = try await Self.post(client, "/openapi/v2/query", #"{"taskId":"\#(taskId)"}"#)
            #expect(object["status"] as? String == "FAILED")
            #expect(object["errorCode"] as? String == "1501")
            #expect(await state.snapshot().billed.isEmpty)
        }
    }

    @Test func uploadsAreServedBackAndCheckedInBodies() async throws {
        try await withSimulator { client, state in
            let png = PNGEncoder.solid(width: 3, height: 2, color: (1, 2, 3))
            var body = ByteBuffer()
            body.writeString(
                "--XYZ\r\nContent-Disposition: form-data; name=\"file\"; filename=\"a.png\"\r\nContent-Type: image/png\r\n\r\n"
            )
            body.writeBytes(png)
            body.writeString("\r\n--XYZ--\r\n")
            let headers: HTTPFields = [
                .authorization: "Bearer \(Self.key)", .contentType: "multipart/form-data; boundary=XYZ",
            ]
            let url = try await client.execute(
                uri: "/openapi/v2/media/upload/binary", method: .post, headers: headers, body: body
            ) { response in
                let object = try #require(
                    try JSONSerialization.jsonObject(with: Data(Array(buffer: response.body))) as? [String: Any])
                #expect(object["code"] as? Int == 0)
                let data = try #require(object["data"] as? [String: Any])
                #expect(data["size"] as? String == String(png.count))
                return try #require(data["download_url"] as? String)
            }
            let components = try #require(URLComponents(string: url))
            try await client.execute(uri: components.path + "?" + (components.query ?? ""), method: .get) { response in
                #expect(Array(buffer: response.body) == png)
            }
            let good = try await Self.post(
                client, "/openapi/v2/rhart-image-x-official/edit", #"{"prompt":"p","image":"\#(url)"}"#)
            #expect(good.object["errorCode"] as? String == "")
            let missing = url.replacingOccurrences(of: "filename=", with: "filename=0")
            let bad = try await Self.post(
                client, "/openapi/v2/rhart-image-x-official/edit", #"{"prompt":"p","image":"\#(missing)"}"#)
            #expect(bad.object["errorCode"] as? String == "1013")
            #expect(await state.snapshot().uploads == 1)
        }
    }

    @Test func accountQueueAndCancel() async throws {
        try await withSimulator(.init(latency: 30...30, concurrencyLimit: 7)) { client, _ in
            let taskId = try #require(
                try await Self.post(client, "/openapi/v2/rhart-image-x-official/edit", Self.goodBodies[1].1).object[
                    "taskId"] as? String)
            let queue = try await client.execute(
                uri: "/openapi/v2/queue/status", method: .get, headers: [.authorization: "Bearer \(Self.key)"]
            ) { response in
                try #require(
                    try JSONSerialization.jsonObject(with: Data(Array(buffer: response.body))) as? [String: Any])
            }
            let data = try #require(queue["data"] as? [String: Any])
            #expect(data["concurrentLimit"] as? Int == 7)
            #expect(data["runningCount"] as? String == "1")
            let account = try await Self.post(client, "/uc/openapi/accountStatus", #"{"apikey":"\#(Self.key)"}"#)
            #expect((account.object["data"] as? [String: Any])?["currency"] as? String == "CNY")
            let cancel = try await Self.post(client, "/task/openapi/cancel", #"{"taskId":"\#(taskId)"}"#)
            let query = try await Self.post(client, "/openapi/v2/query", #"{"taskId":"\#(taskId)"}"#)
            let unknown = try await Self.post(client, "/task/openapi/cancel", #"{"taskId":"1"}"#)
            #expect(cancel.object["code"] as? Int == 0)
            #expect(query.object["status"] as? String == "CANCEL")
            #expect(unknown.object["code"] as? Int == 423)
        }
    }

    @Test func scenarioListsParse() throws {
        #expect(try Scenario.parseList("flaky+multi") == [.flaky, .multi])
        #expect(try Scenario.parseList("clean") == [])
        #expect(throws: ScenarioError.self) { try Scenario.parseList("flaky,wobbly") }
    }

    @Test func seededChoicesRepeat() {
        var a = SeededRandom(seed: 42)
        var b = SeededRandom(seed: 42)
        #expect((0..<10).map { _ in a.next() } == (0..<10).map { _ in b.next() })
    }
}
