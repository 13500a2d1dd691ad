import Crypto
import Foundation
import RHBatchCore
import RunningHubSimulator
import Testing

#if canImport(FoundationNetworking)
    import FoundationNetworking
#endif

/// kill -9 at random moments, then re-run until done: nothing lost, nothing billed twice.
@Suite("kill -9 and resume", .serialized, .timeLimit(.minutes(5)))
struct CrashTests {
    /// The simulator as a process of its own, so its ledger outlives every killed runner.
    final class SimulatorProcess: Sendable {
        let process: Process
        let baseURL: String

        convenience init(scenario: String, seed: UInt64, extra: [String] = []) throws {
            try self.init(
                arguments: [
                    "--scenario", scenario, "--latency", "0.1:0.4", "--seed", String(seed),
                    "--result-padding", "150000", "--concurrency-limit", "50",
                ] + extra)
        }

        init(arguments: [String]) throws {
            process = Process()
            process.executableURL = URL(fileURLWithPath: CLI.executable)
            process.arguments = ["simulator"] + arguments
            let out = Pipe()
            process.standardOutput = out
            process.standardError = FileHandle.nullDevice
            try process.run()
            var text = ""
            let deadline = Date().addingTimeInterval(10)
            while !text.contains("RH_API_BASE_URL=") || !text.hasSuffix("\n"), Date() < deadline {
                let data = out.fileHandleForReading.availableData
                if data.isEmpty { break }
                text += String(decoding: data, as: UTF8.self)
            }
            guard let line = text.split(separator: "\n").first(where: { $0.hasPrefix("RH_API_BASE_URL=") }) else {
                process.terminate()
                throw CocoaError(.fileReadUnknown)
            }
            baseURL = String(line.dropFirst("RH_API_BASE_URL=".count))
        }

        func ledger() async throws -> Ledger {
            let root = baseURL.replacingOccurrences(of: "/openapi/v2", with: "")
            let (data, _) = try await URLSession.shared.data(from: URL(string: root + "/__simulator/ledger")!)
            return try JSONDecoder().decode(Ledger.self, from: data)
        }

        func stop() {
            process.terminate()
            process.waitUntilExit()
        }
    }

    /// 200 workflow jobs: 100 of the image-edit workflow (two output nodes) over the inputs, 100
    /// of the demo workflow over seeds.
    func workflowManifest(in folder: TempFolder) throws -> String {
        let prompts = try inputsAndPrompts(in: folder)
        return try folder.write(
            "crash.yaml",
            Self.header
                + """
                workflows:
                  restyle: {workflow: "1000000000000000001", fields: {image: "10:image", prompt: "20:text"}}
                  panda: {workflow: "1904136902449209346", fields: {prompt: "6:text", seed: "3:seed"}}
                matrix:
                  - prompt: [\(prompts)]
                    image: "in/*.png"
                    "11:image": in/room0.png
                    model: restyle
                  - prompt: [\(prompts)]
                    seed: [1, 2, 3, 4]
                    model: panda

                """
        )
    }

    /// The top of both crash manifests.
    static let header = "version: 1\nname: crash\noutput: out\nconcurrency: 16\n"

    /// Four input images in `in/`, and 25 prompts as a YAML list's items.
    func inputsAndPrompts(in folder: TempFolder) throws -> String {
        for index in 0..<4 {
            try folder.write(
                "in/room\(index).png", Data(PNGEncoder.solid(width: 8, height: 6, color: (UInt8(index * 50), 90, 200))))
        }
        return (1...25).map { "'Variation \($0): restyle the room.'" }.joined(separator: ", ")
    }

    func manifest(in folder: TempFolder) throws -> String {
        let prompts = try inputsAndPrompts(in: folder)
        return try folder.write(
            "crash.yaml",
            Self.header
                + """
                matrix:
                  prompt: [\(prompts)]
                  image: "in/*.png"
                  model: [grok-imagine, nano-banana-pro]

                """
        )
    }

    /// Runs the binary; kills it with SIGKILL once `killAfter` changes (files made, closed after
    /// writing, renamed; lines added to the journal) have happened in its output folder, if it is
    /// still running then. Returns the exit
    /// status, or nil when it was killed.
    func run(_ manifest: String, baseURL: String, killAfter: Int?, folder: String, extra: [String] = []) async throws
        -> Int32?
    {
        let process = Process()
        // Under `nice` (which execs it: the pid is the runner's): on a loaded machine the watcher
        // that picks the moment to kill it must not be starved until the run is over.
        process.executableURL = URL(fileURLWithPath: "/usr/bin/nice")
        process.arguments =
            [
                "-n", "10", CLI.executable, "run", manifest, "--poll-interval", "0.05:0.2", "--no-progress", "-q",
            ] + extra
        process.environment = CLI.childEnvironment([
            "RH_API_KEY": "crash-test-key", "RH_API_BASE_URL": baseURL, "PATH": "/usr/bin:/bin",
        ])
        // Its output goes to a pipe whose end tells the watcher below that the process is gone.
        let output = Pipe()
        process.standardOutput = output
        process.standardError = FileHandle.nullDevice
        try process.run()
        try? output.fileHandleForWriting.close()
        guard let killAfter else {
            _ = output.fileHandleForReading.readDataToEndOfFile()
            await process.exited()
            return process.terminationStatus
        }
        // The kill moment is the behaviour under test: a SIGKILL a seeded number of file-system
        // changes into the run, at whatever the runner is doing then. Counting changes, not
        // seconds, puts the moment at the same stage of the run however loaded the machine is.
        let pipe = output.fileHandleForReading.fileDescriptor
        // Killed on the watching thread itself, at the moment: a test thread freed later (other
        // tests may hold them all) would kill a run that has gone on, or is over.
        let pid = process.processIdentifier
        let momentCame = await withCheckedContinuation { (continuation: CheckedContinuation<Bool, Never>) in
            Thread {
                let came = FolderWatch.wait(
                    in: folder, timeout: .seconds(120), untilClosed: pipe, journal: folder + "/out/journal.jsonl"
                ) { $0 >= killAfter }
                // The pipe is still open when the moment came: the process has not exited.
                if came { kill(pid, SIGKILL) }
                continuation.resume(returning: came)
            }.start()
        }
        await process.exited()
        return momentCame && process.terminationReason == .uncaughtSignal ? nil : process.terminationStatus
    }

    /// `simulatorArguments` and `runArguments` are added to the simulator's and every run's own.
    func crashAndResume(
        scenario: String, seed: UInt64, workflows: Bool = false, simulatorArguments: [String] = [],
        runArguments: [String] = []
    ) async throws {
        let folder = try TempFolder()
        let manifest = try workflows ? workflowManifest(in: folder) : manifest(in: folder)
        let simulator = try SimulatorProcess(scenario: scenario, seed: seed, extra: simulatorArguments)
        defer { simulator.stop() }

        // Kill moments drawn from a seeded generator: during uploads, with tasks in flight,
        // and later, mid-download (results are padded to 150 kB to make downloads take time).
        var random = SplitMix(seed: seed)
        // A whole run makes about 2,000 changes (about 10 per job); each window is counted afresh in
        // the run it kills, and together they stay well below one run's worth.
        let windows: [ClosedRange<Double>] = [2...20, 30...200, 150...400, 250...500, 250...500]
        // A run may also end of itself before its moment (under `flaky` a chance answer can stop
        // it early, with work left): the next run then takes the same window, a few times over.
        var kills = 0
        var runs: [String] = []
        for _ in 0..<(windows.count + 3) where kills < windows.count {
            let window = windows[kills]
            let moment = Int(window.lowerBound + (window.upperBound - window.lowerBound) * random.unit())
            let status = try await run(
                manifest, baseURL: simulator.baseURL, killAfter: moment, folder: folder.path, extra: runArguments)
            runs.append("\(moment): \(status.map { "exit \($0)" } ?? "killed")")
            if status == nil { kills += 1 }
            if status == 0 { break } // every job done: nothing left to kill
        }
        #expect(
            kills >= 3, "the runs finished before most kills; the test lost its point (\(runs.joined(separator: ", ")))"
        )
        var status: Int32?
        for _ in 0..<5 where status == nil {
            status = try await run(
                manifest, baseURL: simulator.baseURL, killAfter: nil, folder: folder.path, extra: runArguments)
        }
        var exit = try #require(status)

        let output = folder.path + "/out"
        // Under `flaky` a result can be cut off on every one of its attempts (15% each, 5 of
        // them): its job ends failed at the download, its task paid for. `--retry-failed` asks
        // that task for fresh URLs and never submits it again (the ledger below counts any
        // second bill).
        let failedDownloads = (try RunHarness.json(output + "/report.json")["jobs"] as? [[String: Any]] ?? [])
            .filter {
                $0["status"] as? String == "failed"
                    && ($0["error"] as? [String: Any])?["phase"] as? String == "download"
            }
        if !failedDownloads.isEmpty {
            exit = try #require(
                try await run(
                    manifest, baseURL: simulator.baseURL, killAfter: nil, folder: folder.path,
                    extra: runArguments + ["--retry-failed"]))
        }
        let report = try RunHarness.json(output + "/report.json")
        let totals = try #require(report["totals"] as? [String: Any])
        let jobs = try #require(report["jobs"] as? [[String: Any]])
        #expect(jobs.count == 200)
        let done = jobs.filter { $0["status"] as? String == "succeeded" }
        let unknown = jobs.filter { $0["status"] as? String == "unknown" }
        // Only an interrupted submit can leave a job unknown (or, under flaky, a lost answer).
        let others = jobs.filter { !["succeeded", "unknown"].contains($0["status"] as? String) }
        #expect(done.count + unknown.count == 200, "\(totals); the others: \(others)")
        #expect(unknown.allSatisfy { ($0["error"] as? [String: Any])?["phase"] as? String == "submit" })
        #expect(exit == (unknown.isEmpty ? 0 : 1))
        #expect((totals["succeeded"] as? Int ?? 0) + (totals["alreadyDone"] as? Int ?? 0) == done.count)

        let ledger = try await simulator.ledger()
        #expect(ledger.doubleBilled == 0, "a job was billed twice")
        // Every succeeded job was billed exactly once; an unknown job at most once.
        #expect(ledger.billed.count >= done.count)
        #expect(ledger.billed.count <= done.count + unknown.count)
        #expect(ledger.unpolledFinished <= unknown.count)

        // Every file complete, and matching the journal and its sidecar.
        let journal = try Journal.read(folder: output)
        var files = 0
        for job in done {
            let key = try #require(job["key"] as? String)
            let entry = try #require(journal.state.entries[key])
            #expect(entry.isComplete)
            let outputs = job["outputs"] as? [[String: Any]] ?? []
            // Every output node's file: two for the image-edit workflow, one for the others.
            #expect(outputs.count == (job["model"] as? String == "restyle" ? 2 : 1))
            if workflows {
                // The coins reported are what the task was billed, also for jobs done by a killed run.
                let task = try #require(ledger.billed.first { $0.taskId == job["taskId"] as? String })
                #expect(Double(job["coins"] as? String ?? "") == Double(task.coins))
            }
            for (position, output) in outputs.enumerated() {
                let path = try #require(output["path"] as? String)
                let bytes = try Data(contentsOf: URL(fileURLWithPath: folder.path + "/out/" + path))
                let hash = SHA256.hash(data: bytes).map { String(format: "%02x", $0) }.joined()
                #expect(hash == output["sha256"] as? String)
                #expect(entry.downloads[position + 1]?.sha256.description == hash)
                let sidecar = try RunHarness.json(
                    folder.path + "/out/" + path.replacingOccurrences(of: ".png", with: ".json"))
                #expect((sidecar["file"] as? [String: Any])?["sha256"] as? String == hash)
                files += 1
            }
        }
        #expect(files == done.count + (workflows ? done.filter { $0["model"] as? String == "restyle" }.count : 0))
        let leftovers = RunHarness.files(output).filter { $0.contains(".rh-partial") || $0.contains(".rh-tmp") }
        #expect(leftovers.isEmpty, "\(leftovers)")
    }

    @Test func cleanAPI() async throws {
        try await crashAndResume(scenario: "clean", seed: 20_261_121)
    }

    @Test func workflowsUnderAFlakyAPI() async throws {
        try await crashAndResume(scenario: "flaky", seed: 7, workflows: true)
    }

    @Test func flakyAPI() async throws {
        try await crashAndResume(scenario: "flaky", seed: 42)
    }

    /// Webhook mode: each run listens on a port of its own, so the callbacks of a killed run's
    /// tasks go nowhere; the next run polls them. Callbacks are also dropped, duplicated, delayed
    /// and forged.
    @Test func webhookModeKilledAndResumed() async throws {
        try await crashAndResume(
            scenario: "clean", seed: 25,
            simulatorArguments: [
                "--webhook-drop", "0.1", "--webhook-duplicate", "0.2", "--webhook-delay", "0.2", "--webhook-forge",
                "0.1",
            ],
            runArguments: ["--listen", "127.0.0.1:0"])
    }
}
