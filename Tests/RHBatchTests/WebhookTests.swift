import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1
import RHBatchCore
import RunningHubSimulator
import RunningHubWebhook
import Testing

/// Webhook mode against the simulator's callbacks, and the receiver on its own.
@Suite("webhooks", .timeLimit(.minutes(3)))
struct WebhookTests {
    static let manifest = """
        version: 1
        output: out
        concurrency: 12
        matrix:
          prompt: [One., Two., Three., Four., Five., Six.]
          image: [room.png, sofa.png]
          model: [grok-imagine, nano-banana-pro]

        """

    @Test func everyJobIsDoneWithCallbacksDroppedDuplicatedDelayedReorderedAndForged() async throws {
        let harness = try RunHarness()
        var simulator = SimulatorConfiguration(latency: 0.2...0.8, seed: 11)
        simulator.webhooks = WebhookFaults(
            drop: 0.25, duplicate: 0.4, delay: 0.3, forge: 0.4, reorder: 0.3, forgeRunning: 0.3)
        let result = try await harness.withSimulator(simulator) { session in
            // The safety net's first moment, until 8 task times are known, is 4 times the longest
            // wait: 4 s, so that on a loaded machine the first callbacks still come before it.
            try await session.run(Self.manifest, listen: true) {
                $0.poll = PollSchedule(minimum: .milliseconds(50), maximum: .seconds(1))
            }
        }
        let ledger = result.ledger
        #expect(result.outcome.totals.counts.succeeded == 24)
        #expect(ledger.billed.count == 24 && ledger.doubleBilled == 0)
        // The faults happened: some callbacks dropped, duplicated, forged, held back behind later
        // ones, and forged successes sent for tasks still running.
        #expect(ledger.callbacksDropped > 0 && ledger.callbacksDuplicated > 0 && ledger.callbacksForged > 0)
        #expect(ledger.callbacksReordered > 0 && ledger.callbacksForgedRunning > 0)
        let report = try RunHarness.json(result.output + "/report.json")
        let hooks = try #require(report["webhook"] as? [String: Int])
        // Each task is asked a few times at most: the callback's one query, or the safety net's,
        // and one more for a forged success that came while it ran.
        #expect(ledger.queries.values.allSatisfy { $0 <= 5 }, "\(ledger.queries.values.sorted())")
        #expect(ledger.totalQueries < 24 * 2 + ledger.callbacksForgedRunning)
        // Callbacks were used; forged ones, and duplicates and late ones, were counted and ignored.
        #expect(hooks["used", default: 0] > 0)
        #expect(hooks["duplicates", default: 0] + hooks["ignored", default: 0] >= ledger.callbacksForged)
        #expect(
            hooks["callbacks"] == hooks["used", default: 0] + hooks["duplicates", default: 0]
                + hooks["ignored", default: 0])
        // A task whose callback was dropped was found by the safety net.
        #expect(hooks["foundByPolling", default: 0] > 0)
        // A forged callback never changes a result: every file is the one its task made (a
        // forged success named a file at 127.0.0.1:9, which nothing fetched).
        let jobs = try #require(report["jobs"] as? [[String: Any]])
        for job in jobs {
            let outputs = try #require(job["outputs"] as? [[String: Any]])
            let url = try #require(outputs.first?["url"] as? String)
            #expect(url.contains("/results/\(job["taskId"] as? String ?? "?")/"))
        }
    }

    @Test func aForgedSuccessForATaskThatWouldEndAtOnceStillComesWhileItRuns() async throws {
        // Tasks of no latency, each with a forged success 50 ms after its submit: the simulator
        // keeps each running until its forged callback is answered, so the forgery is tested
        // however late a loaded machine sends it (it once came after the task's end, and the
        // end-to-end test above saw none).
        let harness = try RunHarness()
        var simulator = SimulatorConfiguration(latency: 0...0, seed: 5)
        simulator.webhooks = WebhookFaults(forgeRunning: 1)
        let manifest = """
            version: 1
            output: out
            matrix: {model: grok-imagine, prompt: [One., Two., Three.], image: room.png}

            """
        let result = try await harness.withSimulator(simulator) { session in
            try await session.run(manifest, listen: true)
        }
        #expect(result.outcome.totals.counts.succeeded == 3)
        #expect(result.ledger.callbacksForgedRunning == 3)
        let report = try RunHarness.json(result.output + "/report.json")
        for job in try #require(report["jobs"] as? [[String: Any]]) {
            let outputs = try #require(job["outputs"] as? [[String: Any]])
            let url = try #require(outputs.first?["url"] as? String)
            #expect(url.contains("/results/\(job["taskId"] as? String ?? "?")/"))
        }
    }

    @Test func aJobsOwnWebhookUrlPassesThroughAndTheJobIsPolled() async throws {
        let harness = try RunHarness()
        let manifest = """
            version: 1
            output: out
            jobs:
              - {model: grok-imagine, prompt: Mine., image: room.png, params: {webhookUrl: "http://127.0.0.1:9/mine"}}
              - {model: grok-imagine, prompt: Ours., image: room.png}

            """
        let result = try await harness.withSimulator(.init(latency: 0.1...0.3)) { session in
            // The safety net's first moment is 4 times the longest wait: 20 s here, so that on a
            // loaded machine the callback of "Ours." still comes first (with the harness's 0.2 s
            // it came at 0.8 s, and a late callback made this test fail by chance).
            try await session.run(manifest, listen: true) {
                $0.poll = PollSchedule(minimum: .milliseconds(50), maximum: .seconds(5))
            }
        }
        #expect(result.outcome.totals.counts.succeeded == 2)
        let bodies = result.ledger.billed.map(\.body)
        // (The ledger's canonical JSON writes a slash as \/.)
        #expect(bodies.contains { $0.contains("127.0.0.1:9") && $0.contains("mine") }, "\(bodies)")
        #expect(bodies.contains { $0.contains("hooks") && !$0.contains("mine") })
        let report = try RunHarness.json(result.output + "/report.json")
        let hooks = try #require(report["webhook"] as? [String: Int])
        #expect(hooks["used"] == 1, "only the job sent with the run's URL is hinted")
        // The job with its own URL was polled as without webhooks: a job left to the safety net
        // and found by it would count here.
        #expect(hooks["foundByPolling"] == 0, "\(hooks)")
    }

    @Test func theQueryBudgetLearnsAQueryLimitedAPI() async throws {
        let harness = try RunHarness()
        var simulator = SimulatorConfiguration(latency: 0.1...0.3)
        simulator.queriesPerSecond = 3
        let manifest = """
            version: 1
            output: out
            concurrency: 24
            matrix:
              prompt: [One., Two., Three., Four., Five., Six., Seven., Eight.]
              image: [room.png, sofa.png, rug.png]
              model: grok-imagine

            """
        let result = try await harness.withSimulator(simulator) { session in
            try await session.run(manifest)
        }
        #expect(result.outcome.totals.counts.succeeded == 24)
        let refused = result.ledger.queriesRefused
        let report = try RunHarness.json(result.output + "/report.json")
        let totals = try #require(report["totals"] as? [String: Any])
        // 24 tasks due about together against 3 a second: refused at first, then paced under the
        // limit. (How many go out together depends on the machine's load, so the count of refusals
        // is bounded here, not required; RunMachineTests proves the learning on a virtual clock.)
        #expect(totals["queryRefusals"] as? Int == refused)
        // The first burst may go out before the first refusal comes back (up to the 21 past the
        // limit on a loaded machine); after it the pace stays under the limit. Without learning,
        // every second of the run would be refused again.
        #expect(refused <= 30, "\(refused) refused, \(result.ledger.totalQueries) answered")
    }

    /// Posts `body` to the receiver's `path`; the status.
    static func post(_ url: String, _ body: [UInt8]) async throws -> Int {
        var request = HTTPClientRequest(url: url)
        request.method = .POST
        request.body = .bytes(ByteBuffer(bytes: body))
        let response = try await HTTPClient.shared.execute(request, timeout: .seconds(30))
        _ = try? await response.body.collect(upTo: 1 << 20)
        return Int(response.status.code)
    }

    @Test func aPortInUseIsAnErrorNotAHang() async throws {
        try await WebhookReceiver.withRunning(host: "127.0.0.1", port: 0, secret: "a") { port, _, _ in
            await #expect(throws: ReceiverStartError.self) {
                try await WebhookReceiver.withRunning(host: "127.0.0.1", port: port, secret: "b") { _, _, _ in }
            }
        }
    }

    @Test func theReceiverTakesOnlyCallbacksWithTheSecret() async throws {
        let secret = WebhookReceiver.makeSecret()
        #expect(secret.count == 32 && secret != WebhookReceiver.makeSecret())
        let (received, counts) = try await WebhookReceiver.withRunning(host: "127.0.0.1", port: 0, secret: secret) {
            port, callbacks, counts in
            try await Self.exercise(
                base: "http://127.0.0.1:\(port)", secret: secret, callbacks: callbacks, counts: counts)
        }
        #expect(received == ["2052287938007814145", "77", "12345"])
        #expect(counts.accepted == 3 && counts.otherEvents == 1)
        // (The bare "/" never reaches the callback route: the router's own 404, not counted.)
        #expect(counts.wrongPath == 1 && counts.tooLarge == 1 && counts.malformed == 2, "\(counts)")
    }

    /// Posts every kind of request to a receiver at `base`; the task ids handed on, and the counts.
    static func exercise(
        base: String, secret: String, callbacks: AsyncStream<String>, counts: @Sendable () -> WebhookReceiver.Counts
    ) async throws -> ([String], WebhookReceiver.Counts) {
        let callback = Array(
            #"{"event":"TASK_END","taskId":"2052287938007814145","eventData":{"status":"SUCCESS"}}"#.utf8)
        // No secret, a wrong one: 404.
        #expect(try await Self.post(base + "/", callback) == 404)
        #expect(try await Self.post(base + "/hooks/" + String(secret.reversed()), callback) == 404)
        // Too large: 413. Not a callback: 400.
        let large = Array(#"{"taskId":"1","eventData":""#.utf8) + [UInt8](repeating: 0x61, count: 300_000)
        #expect(try await Self.post(base + "/" + secret, large) == 413)
        #expect(try await Self.post(base + "/" + secret, Array("not json".utf8)) == 400)
        #expect(try await Self.post(base + "/" + secret, Array(#"{"taskId":2.5}"#.utf8)) == 400)
        // Callbacks: behind any path prefix, eventData as an object or a string, ids as text or
        // an exact integer; another event is answered and not handed on.
        #expect(try await Self.post(base + "/hooks/shard-3/" + secret, callback) == 200)
        let stringData = #"{"event":"TASK_END","taskId":"77","eventData":"{\"code\":0,\"data\":[]}"}"#
        #expect(try await Self.post(base + "/" + secret, Array(stringData.utf8)) == 200)
        #expect(try await Self.post(base + "/" + secret, Array(#"{"event":"TASK_END","taskId":12345}"#.utf8)) == 200)
        #expect(try await Self.post(base + "/" + secret, Array(#"{"event":"OTHER","taskId":"9"}"#.utf8)) == 200)
        var iterator = callbacks.makeAsyncIterator()
        var ids: [String] = []
        for _ in 0..<3 { ids.append(await iterator.next() ?? "") }
        return (ids, counts())
    }
}
