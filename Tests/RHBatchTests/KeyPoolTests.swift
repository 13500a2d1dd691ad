import Foundation
import InMemoryLogging
import Logging
import RHBatchCore
import RunningHubSimulator
import Testing

@testable import rh_batch

/// Several API keys (accounts) in one run: RH_API_KEYS / --keys-file make a KeyPool.
@Suite("several keys")
struct KeyPoolTests {
    static let fingerprintA = KeyPool.fingerprint("acct-a")
    static let fingerprintB = KeyPool.fingerprint("acct-b")

    @Test func twoKeysShareTheWorkEachWithinItsOwnLimit() async throws {
        let harness = try RunHarness()
        let configuration = SimulatorConfiguration(latency: 0.2...0.4, keyLimits: ["acct-a": 2, "acct-b": 2])
        try await harness.withSimulator(configuration) { session in
            let result = try await session.run(RunHarness.threeModels, keys: ["acct-a", "acct-b"]) {
                $0.concurrency = 10
            }
            #expect(result.outcome.exitCode == 0, "\(result.outcome.summary)")
            #expect(result.outcome.totals.succeeded == 10)
            #expect(Set(result.ledger.billed.map(\.apiKey)) == ["acct-a", "acct-b"])
            #expect(result.ledger.peakByKey.values.allSatisfy { $0 <= 2 }, "\(result.ledger.peakByKey)")
            #expect(result.ledger.doubleBilled == 0)
            // The report names each key's work; the journal names each task's key by fingerprint only.
            let report = try RunHarness.json(result.output + "/report.json")
            let keys = try #require(report["keys"] as? [[String: Any]])
            #expect(keys.map { $0["name"] as? String } == ["acct-a", "acct-b"])
            #expect(keys.compactMap { $0["tasks"] as? Int }.reduce(0, +) == 10)
            // Read from queue status (2 each); on a machine so loaded that the read takes over 5 s,
            // learnt from 421 refusals as the tasks the key held then, which may include one
            // that had ended unseen.
            #expect(keys.allSatisfy { (1...3).contains($0["limit"] as? Int ?? 0) }, "\(keys)")
            let journal = try String(contentsOfFile: result.output + "/journal.jsonl", encoding: .utf8)
            #expect(!journal.contains("acct-a") && !journal.contains("acct-b"))
            #expect(journal.contains(Self.fingerprintA) && journal.contains(Self.fingerprintB))
            let status = try CLI.run(["status", result.output])
            #expect(
                status.stdout.contains("key acct-a (\(Self.fingerprintA)): ")
                    && status.stdout.contains("key acct-b (\(Self.fingerprintB)): "), "\(status.stdout)")
        }
    }

    @Test func aBadKeyIsRetiredAndTheOtherFinishesTheRun() async throws {
        let harness = try RunHarness()
        let handler = InMemoryLogHandler()
        var debugLogger = Logger(label: "test", factory: { _ in handler })
        debugLogger.logLevel = .debug
        let logger = debugLogger
        try await harness.withSimulator(.init(latency: 0.05...0.1)) { session in
            let result = try await session.run(RunHarness.threeModels, keys: ["bad-key", "acct-a"], logger: logger)
            #expect(result.outcome.exitCode == 0, "\(result.outcome.summary)")
            // `--verbose` says it: one line, with the key's name and fingerprint.
            let retired = handler.entries.filter { $0.message.description == "key.retired" }
            #expect(retired.count == 1)
            #expect(retired.first?.metadata["key"] == "bad-key")
            #expect(retired.first?.metadata["key.fingerprint"] == .string(KeyPool.fingerprint("bad-key")))
            #expect(result.outcome.totals.succeeded == 10)
            let keys = try #require(try RunHarness.json(result.output + "/report.json")["keys"] as? [[String: Any]])
            #expect(
                (keys[0]["retired"] as? String)?.contains("401") == true
                    || (keys[0]["retired"] as? String)?.contains("1002") == true)
            #expect(keys[1]["tasks"] as? Int == 10)
            #expect(result.outcome.summary.contains("retired"))
        }
    }

    @Test func withNoKeyLeftTheRunStopsAndNothingIsBilled() async throws {
        let harness = try RunHarness()
        try await harness.withSimulator(.init(latency: 0.05...0.1)) { session in
            let result = try await session.run(RunHarness.threeModels, keys: ["bad-one", "bad-two"])
            #expect(result.outcome.exitCode == 2)
            #expect(result.ledger.billed.isEmpty)
            #expect(result.outcome.totals.failed == 0, "no job is written off for bad keys")
        }
    }

    @Test func anEmptyBalanceRetiresOnlyThatKey() async throws {
        let harness = try RunHarness()
        let configuration = SimulatorConfiguration(latency: 0.05...0.1, keyBalances: ["acct-poor": 0])
        try await harness.withSimulator(configuration) { session in
            let result = try await session.run(RunHarness.threeModels, keys: ["acct-poor", "acct-a"])
            #expect(result.outcome.exitCode == 0, "\(result.outcome.summary)")
            #expect(Set(result.ledger.billed.map(\.apiKey)) == ["acct-a"])
            let keys = try #require(try RunHarness.json(result.output + "/report.json")["keys"] as? [[String: Any]])
            #expect((keys[0]["retired"] as? String)?.hasPrefix("416") == true)
        }
    }

    @Test func aResumedTaskIsAskedWithItsKeyOrReportedUnknownWhenTheKeyIsGone() async throws {
        let harness = try RunHarness()
        // A stopped clock: the first run's tasks all reach its task timeout, still on the service.
        let clock = SimulatorClock(stopped: true)
        try await harness.withSimulator(.init(latency: 1.0...1.0, clock: clock)) { session in
            let first = try await session.run(RunHarness.threeModels, keys: ["acct-a", "acct-b"]) {
                $0.poll = PollSchedule(
                    minimum: .milliseconds(50), maximum: .milliseconds(100), taskTimeout: .milliseconds(300))
                $0.concurrency = 10
            }
            #expect(first.outcome.totals.timeout == 10)
            let byKey = Dictionary(grouping: first.ledger.billed, by: \.apiKey).mapValues(\.count)
            #expect(byKey.count == 2)
            clock.advance(by: .seconds(2))
            clock.start()
            // The next run has only acct-a: its tasks are collected, acct-b's are reported, not resent.
            let second = try await session.run(RunHarness.threeModels, keys: ["acct-a", "acct-c"])
            #expect(second.ledger.submitsAccepted == 10, "nothing is sent again")
            #expect(second.outcome.totals.succeeded == byKey["acct-a"])
            #expect(second.outcome.totals.unknown == byKey["acct-b"])
            let report = try RunHarness.json(second.output + "/report.json")
            let gone = (report["jobs"] as? [[String: Any]] ?? []).filter { $0["status"] as? String == "unknown" }
            #expect(
                gone.allSatisfy {
                    (($0["error"] as? [String: Any])?["message"] as? String)?.contains(Self.fingerprintB) == true
                })
            // With acct-b back, they are collected too, still without a new submit.
            let third = try await session.run(RunHarness.threeModels, keys: ["acct-b"])
            #expect(third.ledger.submitsAccepted == 10)
            #expect(third.outcome.exitCode == 0, "\(third.outcome.summary)")
            #expect(
                third.outcome.totals.succeeded == 10 - (byKey["acct-a"] ?? 0)
                    || third.outcome.totals.alreadyDone == byKey["acct-a"])
        }
    }
}
