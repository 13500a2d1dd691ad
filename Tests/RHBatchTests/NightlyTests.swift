import Foundation
import RHBatchCore
import RunningHubSimulator
import Testing

@testable import rh_batch

/// Re-running a manifest into the same folder, as a nightly job does.
@Suite("nightly re-runs", .timeLimit(.minutes(2)))
struct NightlyTests {
    @Test func aFinishedManifestSendsNothingTheSecondTime() async throws {
        let harness = try RunHarness()
        try await harness.withSimulator { session in
            let first = try await session.run(RunHarness.threeModels)
            #expect(first.outcome.exitCode == 0)
            let second = try await session.run(RunHarness.threeModels)
            #expect(second.outcome.exitCode == 0)
            #expect(second.outcome.totals.alreadyDone == 10)
            #expect(second.outcome.totals.succeeded == 0)
            #expect(second.ledger.submitsAccepted == first.ledger.submitsAccepted)
            #expect(second.ledger.totalRefused == first.ledger.totalRefused)
            #expect(second.ledger.uploads == first.ledger.uploads)
            #expect(second.ledger.totalQueries == first.ledger.totalQueries)
            #expect(second.ledger.totalDownloads == first.ledger.totalDownloads)
            // The index still lists every result, the report every job.
            let index = try String(contentsOfFile: second.output + "/index.jsonl", encoding: .utf8)
            #expect(index.split(separator: "\n").count == 10)
        }
    }

    @Test func addedPromptsRunOnlyTheNewCombinations() async throws {
        let harness = try RunHarness()
        try await harness.withSimulator { session in
            let first = try await session.run(RunHarness.threeModels)
            let grown = RunHarness.threeModels.replacingOccurrences(
                of: "[green, neon]", with: "[green, neon, 'Make it gold.']")
            let second = try await session.run(grown)
            #expect(second.outcome.exitCode == 0)
            #expect(second.outcome.totals.succeeded == 5)
            #expect(second.outcome.totals.alreadyDone == 10)
            #expect(second.ledger.billed.count == first.ledger.billed.count + 5)
            #expect(second.ledger.doubleBilled == 0)
        }
    }

    @Test func aKilledRunsTemporaryFilesBesideRecordedResultsAreClearedByTheNextRun() async throws {
        let harness = try RunHarness()
        try await harness.withSimulator { session in
            let first = try await session.run(RunHarness.threeModels)
            #expect(first.outcome.exitCode == 0)
            // A run that ended of itself leaves its lock file empty.
            let lock = first.output + "/.rh-batch.lock"
            #expect(try Data(contentsOf: URL(fileURLWithPath: lock)).isEmpty)
            // A later run killed while it fetched results an earlier run had already recorded: its
            // temporary files stay beside them, and its pid in the lock file.
            let result = first.plan.jobs[2].outputPath(fileExtension: "png")
            let folder = first.output + "/" + FilePath.directory(of: result)
            let leftovers = [
                ".\(FilePath.name(of: result)).rh-partial-1234",
                ".\(FilePath.name(of: FilePath.replacingExtension(of: result, with: "json"))).rh-tmp-4242-7",
            ]
            for name in leftovers { try Data("half".utf8).write(to: URL(fileURLWithPath: folder + "/" + name)) }
            try Data("4242\n".utf8).write(to: URL(fileURLWithPath: lock))

            let second = try await session.run(RunHarness.threeModels)
            #expect(second.outcome.exitCode == 0)
            #expect(second.outcome.totals.alreadyDone == 10)
            // Nothing fetched again: the results are intact; only the leftovers are gone.
            #expect(second.ledger.totalDownloads == first.ledger.totalDownloads)
            let files = RunHarness.files(second.output)
            #expect(!files.contains { $0.contains(".rh-partial-") || $0.contains(".rh-tmp-") }, "\(files)")
            #expect(files.contains(result))
            #expect(try Data(contentsOf: URL(fileURLWithPath: lock)).isEmpty)
        }
    }

    @Test func aDeletedResultIsFetchedAgainWithoutANewTask() async throws {
        let harness = try RunHarness()
        try await harness.withSimulator { session in
            let first = try await session.run(RunHarness.threeModels)
            let job = first.plan.jobs[3]
            let path = first.output + "/" + job.outputPath(fileExtension: "png")
            let original = try Data(contentsOf: URL(fileURLWithPath: path))
            try FileManager.default.removeItem(atPath: path)
            let second = try await session.run(RunHarness.threeModels)
            #expect(second.outcome.exitCode == 0)
            #expect(second.outcome.totals.succeeded == 1)
            #expect(second.outcome.totals.alreadyDone == 9)
            #expect(second.ledger.submitsAccepted == first.ledger.submitsAccepted)
            #expect(second.ledger.totalDownloads == first.ledger.totalDownloads + 1)
            #expect(try Data(contentsOf: URL(fileURLWithPath: path)) == original)
        }
    }

    @Test func aChangedResultIsFetchedAgain() async throws {
        let harness = try RunHarness()
        try await harness.withSimulator { session in
            let first = try await session.run(RunHarness.threeModels)
            let path = first.output + "/" + first.plan.jobs[0].outputPath(fileExtension: "png")
            var bytes = try Data(contentsOf: URL(fileURLWithPath: path))
            bytes[bytes.count - 20] ^= 0xFF
            try bytes.write(to: URL(fileURLWithPath: path))
            let second = try await session.run(RunHarness.threeModels)
            #expect(second.outcome.totals.succeeded == 1)
            #expect(second.ledger.totalDownloads == first.ledger.totalDownloads + 1)
            #expect(second.ledger.submitsAccepted == first.ledger.submitsAccepted)
        }
    }

    @Test func failedJobsAreLeftAloneUnlessRetryFailed() async throws {
        let harness = try RunHarness()
        let manifest = RunHarness.threeModels.replacingOccurrences(
            of: "neon: Make it neon.", with: "neon: Make it FORBIDDEN.")
        try await harness.withSimulator(.init(scenarios: [.moderation], latency: 0.05...0.1)) { session in
            let first = try await session.run(manifest)
            #expect(first.outcome.totals.failed == 5)
            let second = try await session.run(manifest)
            #expect(second.outcome.exitCode == 1)
            #expect(second.outcome.totals.failed == 5)
            #expect(second.ledger.submitsAccepted == first.ledger.submitsAccepted)
            let third = try await session.run(manifest) { $0.retryFailed = true }
            #expect(third.ledger.submitsAccepted == first.ledger.submitsAccepted + 5)
            #expect(third.outcome.totals.failed == 5)
        }
    }

    @Test func tasksInFlightAreReattachedNotResubmitted() async throws {
        let harness = try RunHarness()
        // The simulator's clock stands still through the first run: its tasks stay queued, so
        // every one of them reaches the runner's task timeout, however fast this machine is.
        let clock = SimulatorClock(stopped: true)
        try await harness.withSimulator(.init(latency: 1.0...1.0, clock: clock)) { session in
            let stopped = try await session.run(RunHarness.threeModels) {
                $0.poll = PollSchedule(
                    minimum: .milliseconds(50), maximum: .milliseconds(100), taskTimeout: .milliseconds(300))
                $0.concurrency = 10
            }
            #expect(stopped.outcome.totals.timeout == 10)
            #expect(stopped.ledger.submitsAccepted == 10)
            // Time passes while nothing runs: the tasks finish on the service.
            clock.advance(by: .seconds(2))
            clock.start()
            let resumed = try await session.run(RunHarness.threeModels)
            #expect(resumed.outcome.exitCode == 0, "\(resumed.outcome.summary)")
            #expect(resumed.outcome.totals.succeeded == 10)
            #expect(resumed.ledger.submitsAccepted == 10)
            #expect(resumed.ledger.doubleBilled == 0)
        }
    }

    @Test func statusCountsAndNamesJobs() async throws {
        let harness = try RunHarness()
        let manifest = RunHarness.threeModels.replacingOccurrences(
            of: "neon: Make it neon.", with: "neon: Make it FORBIDDEN.")
        try await harness.withSimulator(.init(scenarios: [.moderation], latency: 0.05...0.1)) { session in
            let first = try await session.run(manifest)
            let smaller = manifest.replacingOccurrences(
                of: "model: [gpt-image-2, nano-banana-pro, grok-imagine]", with: "model: [gpt-image-2, grok-imagine]"
            )
            .replacingOccurrences(of: "[green, neon]", with: "[green, neon, 'Make it gold.']")
            let path = try harness.folder.write("manifest.yaml", smaller)
            let status = try OutputStatus.load(folder: first.output, plan: try ManifestLoader().load(path))
            let counts = Dictionary(uniqueKeysWithValues: status.counts.map { ($0.0, $0.1) })
            #expect(counts["done"] == 3)
            #expect(counts["failed"] == 3)
            #expect(counts["not started"] == 3)
            #expect(counts["left the manifest"] == 4)
            #expect(
                status.items.filter { $0.stage == "failed" }.allSatisfy {
                    $0.code == "1501" && $0.label.contains(" neon")
                })
            #expect(status.text.contains("spent so far: "))
            let bare = try OutputStatus.load(folder: first.output, plan: nil)
            #expect(bare.counts.first { $0.0 == "done" }?.1 == 5)
        }
    }

    @Test func aSecondRunnerOnTheSameFolderIsRefused() async throws {
        let harness = try RunHarness()
        try await harness.withSimulator { session in
            let folder = harness.folder.path + "/out"
            try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
            let lock = try OutputLock(folder: folder)
            await #expect(throws: RunSetupError.self) { _ = try await session.run(RunHarness.threeModels) }
            withExtendedLifetime(lock) {}
        }
    }
}

@Suite("shards and the command line", .timeLimit(.minutes(2)))
struct ShardAndCommandTests {
    @Test func shardsSplitTheJobsWithoutOverlap() async throws {
        let harness = try RunHarness()
        try await harness.withSimulator { session in
            let first = try await session.run(RunHarness.threeModels) { $0.shard = (0, 2) }
            let second = try await session.run(RunHarness.threeModels) { $0.shard = (1, 2) }
            #expect(first.outcome.totals.jobs + second.outcome.totals.jobs == 10)
            #expect(first.outcome.totals.jobs > 0 && second.outcome.totals.jobs > 0)
            #expect(second.outcome.totals.alreadyDone == 0)
            #expect(second.ledger.billed.count == 10)
            #expect(second.ledger.doubleBilled == 0)
            let all = try await session.run(RunHarness.threeModels)
            #expect(all.outcome.totals.alreadyDone == 10)
        }
    }

    @Test func simulateTakesAScenarioAndStatusReadsTheFolder() throws {
        let folder = try TempFolder()
        try folder.write("room.png", Data(PNGEncoder.solid(width: 4, height: 4, color: (1, 2, 3))))
        let manifest = try folder.write(
            "m.yaml",
            "version: 1\noutput: out\nmatrix:\n  prompt: [Fine., FORBIDDEN.]\n  image: room.png\n  model: grok-imagine\n"
        )
        let run = try CLI.run([
            "run", manifest, "--simulate=moderation", "--sim-latency", "0.05:0.1", "--poll-interval", "0.05:0.1",
        ])
        #expect(run.status == 1, "\(run.stdout)\(run.stderr)")
        #expect(run.stdout.contains("(scenario: moderation)"))
        #expect(run.stdout.contains("1 succeeded, 1 failed"))
        let status = try CLI.run(["status", manifest])
        #expect(status.status == 0)
        #expect(status.stdout.contains("1 done, 1 failed"))
        #expect(status.stdout.contains("1501"))
        let json = try CLI.run(["status", folder.path + "/out", "--json"])
        let object = try #require(try JSONSerialization.jsonObject(with: Data(json.stdout.utf8)) as? [String: Any])
        #expect((object["counts"] as? [String: Any])?["failed"] as? Int == 1)
    }

    @Test func aMissingKeyStopsBeforeAnything() throws {
        let folder = try TempFolder()
        try folder.write("room.png", Data(PNGEncoder.solid(width: 4, height: 4, color: (1, 2, 3))))
        let manifest = try folder.write(
            "m.yaml", "version: 1\noutput: out\njobs: [{prompt: Hi., image: room.png, model: grok-imagine}]\n")
        let run = try CLI.run(["run", manifest], environment: ["PATH": "/usr/bin:/bin"])
        #expect(run.status == 2)
        #expect(run.stderr.contains("RH_API_KEY is not set"))
        #expect(!FileManager.default.fileExists(atPath: folder.path + "/out/journal.jsonl"))
    }

    @Test func expiredFilesAreFetchedWithFreshURLsAndNeverPaidForTwice() async throws {
        let harness = try RunHarness()
        // Result URLs have expired by the time anyone fetches them (lifetime 0).
        try await harness.withSimulator(.init(scenarios: [.expire], latency: 0.02...0.05, resultLifetime: 0)) {
            session in
            let first = try await session.run(RunHarness.threeModels)
            #expect(first.outcome.totals.failed == 10)
            // Each job asked its task once more for fresh URLs and tried them before giving the
            // files up: two downloads a job. (A task may have needed no query before its first
            // download, when its submit answer already carried the result, so queries per task
            // are at least one: the fresh-URL query.)
            #expect(first.ledger.expiredDownloads == 20)
            #expect(first.ledger.queries.count == 10 && first.ledger.queries.values.allSatisfy { $0 >= 1 })
            // Left alone by a plain re-run.
            let second = try await session.run(RunHarness.threeModels)
            #expect(second.outcome.totals.failed == 10)
            #expect(second.ledger.totalQueries == first.ledger.totalQueries)
            // The file host works again: --retry-failed asks the recorded tasks, downloads, and
            // submits (pays for) nothing.
            await session.state.setResultLifetime(86_400)
            let third = try await session.run(RunHarness.threeModels) { $0.retryFailed = true }
            #expect(third.outcome.exitCode == 0, "\(third.outcome.summary)")
            #expect(third.outcome.totals.succeeded == 10)
            #expect(third.ledger.submitsAccepted == 10, "no task was paid for twice")
            #expect(third.ledger.billed.count == 10 && third.ledger.doubleBilled == 0)
            #expect(third.ledger.totalDownloads == 10)
        }
    }

    /// A run killed after a result and its sidecar were in place but before the journal said so
    /// (found by the chaos soak, issue 27): the next run takes the file as it is, even though the
    /// URL has expired since, and never writes the result off. A file that no longer matches its
    /// sidecar is not taken.
    @Test func aResultOnDiskButNotJournaledIsTakenNotWrittenOff() async throws {
        let harness = try RunHarness()
        try await harness.withSimulator(.init(latency: 0.02...0.05)) { session in
            let first = try await session.run(RunHarness.threeModels)
            #expect(first.outcome.exitCode == 0, "\(first.outcome.summary)")
            let journal = first.output + "/journal.jsonl"
            let lines = try String(contentsOfFile: journal, encoding: .utf8).split(separator: "\n")
            #expect(lines.contains { $0.contains(#""event":"downloaded""#) })
            // The kill: no `downloaded` record reached the journal.
            let kept = lines.filter { !$0.contains(#""event":"downloaded""#) }
            try (kept.joined(separator: "\n") + "\n").write(toFile: journal, atomically: true, encoding: .utf8)
            // One file changed since: its sidecar no longer vouches for it.
            let report =
                try JSONSerialization.jsonObject(
                    with: Data(contentsOf: URL(fileURLWithPath: first.output + "/report.json"))) as? [String: Any]
            let jobs = try #require(report?["jobs"] as? [[String: Any]])
            let outputs = jobs.compactMap { ($0["outputs"] as? [[String: Any]])?.first }
            let tampered = try #require(outputs.first?["path"] as? String)
            try Data("not the result".utf8).write(to: URL(fileURLWithPath: first.output + "/" + tampered))
            // Every result URL has expired by now.
            await session.state.setResultLifetime(0)
            let second = try await session.run(RunHarness.threeModels)
            #expect(second.outcome.totals.succeeded == 9, "\(second.outcome.summary)")
            #expect(second.outcome.totals.failed == 1)
            #expect(second.ledger.submitsAccepted == first.ledger.submitsAccepted, "nothing was paid for again")
            #expect(second.ledger.totalDownloads == first.ledger.totalDownloads, "nothing was downloaded again")
            // The tampered one was asked for again (expired twice: the URL, then a fresh one).
            #expect(second.ledger.expiredDownloads == 2)
            let again =
                try JSONSerialization.jsonObject(
                    with: Data(contentsOf: URL(fileURLWithPath: second.output + "/report.json"))) as? [String: Any]
            let paths = Set(
                ((again?["jobs"] as? [[String: Any]]) ?? []).compactMap {
                    ($0["outputs"] as? [[String: Any]])?.first?["path"] as? String
                })
            #expect(paths == Set(outputs.compactMap { $0["path"] as? String }).subtracting([tampered]))
        }
    }

    /// A run killed while writing a folder note (`.rh-batch/currency`) leaves its temporary file;
    /// the next run removes it (found by the kill -9 test).
    @Test func aKilledNoteWritesTemporaryFileIsRemoved() async throws {
        let harness = try RunHarness()
        try await harness.withSimulator(.init(latency: 0.02...0.05)) { session in
            let notes = session.folder + "/out/.rh-batch"
            try FileManager.default.createDirectory(atPath: notes, withIntermediateDirectories: true)
            for name in [".currency.rh-tmp-1-2", ".shard.rh-tmp-3-4"] {
                try Data("CN".utf8).write(to: URL(fileURLWithPath: notes + "/" + name))
            }
            let result = try await session.run(RunHarness.threeModels)
            #expect(result.outcome.exitCode == 0, "\(result.outcome.summary)")
            let left = try FileManager.default.contentsOfDirectory(atPath: notes)
            #expect(left.filter { $0.contains(".rh-tmp-") }.isEmpty, "\(left)")
        }
    }

    @Test func aSymbolicLinkPlantedInTheOutputFolderIsNeverWrittenThrough() async throws {
        let harness = try RunHarness()
        // An empty file: it reads as an empty journal, so only the write can refuse the link.
        let victim = try harness.folder.write("victim.txt", "")
        for name in ["journal.jsonl", ".rh-batch.lock"] {
            let out = harness.folder.path + "/out"
            try? FileManager.default.removeItem(atPath: out)
            try FileManager.default.createDirectory(atPath: out, withIntermediateDirectories: true)
            try FileManager.default.createSymbolicLink(atPath: out + "/" + name, withDestinationPath: victim)
            var refused = false
            do {
                let result = try await harness.run(RunHarness.threeModels)
                refused = result.outcome.exitCode == 2
            } catch {
                refused = true
            }
            #expect(refused, "a run must refuse a \(name) that is a symbolic link")
            #expect(try String(contentsOfFile: victim, encoding: .utf8) == "", "\(name) wrote through the link")
        }
    }
}
