import Foundation
import RHBatchCore
import RunningHubSimulator
import Testing
import YAML

/// Several machines on one account: shard processes at once against one simulator, then merged.
@Suite("shards and merge", .serialized, .timeLimit(.minutes(3)))
struct ShardTests {
    func manifest(in folder: TempFolder) throws -> String {
        for index in 0..<2 {
            try folder.write(
                "in/room\(index).png", Data(PNGEncoder.solid(width: 8, height: 6, color: (UInt8(index * 90), 40, 200))))
        }
        let prompts = (1...10).map { "'Variation \($0).'" }.joined(separator: ", ")
        return try folder.write(
            "m.yaml",
            "version: 1\nname: sharded\noutput: out\nmatrix:\n  prompt: [\(prompts)]\n  image: \"in/*.png\"\n  model: [grok-imagine, nano-banana-pro]\n"
        )
    }

    @Test func fourShardsOnOneKeyRunEveryJobOnceAndMergeIntoOneReport() async throws {
        let folder = try TempFolder()
        let manifest = try manifest(in: folder)
        let plan = try ManifestLoader().load(manifest)
        #expect(plan.jobs.count == 40)
        // One key that allows 8 tasks; four shards of 2 each share it.
        let simulator = try CrashTests.SimulatorProcess(arguments: [
            "--latency", "0.05:0.2", "--concurrency-limit", "8",
        ])
        defer { simulator.stop() }
        // The shard index as each engine gives it: Kubernetes, Slurm (an array from 1), AWS Batch, by hand.
        let shards: [(String, [String: String])] = [
            ("auto/4", ["JOB_COMPLETION_INDEX": "0"]),
            ("auto/4", ["SLURM_ARRAY_TASK_ID": "2", "SLURM_ARRAY_TASK_MIN": "1"]),
            ("auto/4", ["AWS_BATCH_JOB_ARRAY_INDEX": "2"]),
            ("3/4", [:]),
        ]
        var processes: [Process] = []
        for (number, (shard, environment)) in shards.enumerated() {
            let process = Process()
            process.executableURL = URL(fileURLWithPath: CLI.executable)
            process.arguments = [
                "run", manifest, "--shard", shard, "-j", "2", "-o", folder.path + "/out/shard-\(number)",
                "--poll-interval", "0.05:0.2", "-q", "--no-progress",
            ]
            process.environment = CLI.childEnvironment(
                [
                    "RH_API_KEY": "shard-key", "RH_API_BASE_URL": simulator.baseURL, "PATH": "/usr/bin:/bin",
                ].merging(environment) { $1 })
            process.standardOutput = FileHandle.nullDevice
            process.standardError = FileHandle.nullDevice
            try process.run()
            processes.append(process)
        }
        for process in processes {
            await process.exited()
            #expect(process.terminationStatus == 0)
        }
        let ledger = try await simulator.ledger()
        #expect(ledger.billed.count == 40)
        #expect(ledger.doubleBilled == 0)
        #expect(ledger.peakConcurrent <= 8)

        var perShard: [Set<String>] = []
        for number in 0..<4 {
            let report = try RunHarness.json(folder.path + "/out/shard-\(number)/report.json")
            perShard.append(Set(try #require(report["jobs"] as? [[String: Any]]).compactMap { $0["key"] as? String }))
        }
        // Every job in exactly one shard.
        #expect(perShard.reduce(0) { $0 + $1.count } == 40)
        #expect(perShard.reduce(Set<String>()) { $0.union($1) } == Set(plan.jobs.map(\.key)))

        let shardFolders = (0..<4).map { folder.path + "/out/shard-\($0)" }
        let merged = try await offPool { try CLI.run(["merge"] + shardFolders + ["-o", folder.path + "/out/all"]) }
        #expect(merged.status == 0, "\(merged.stderr)")
        let report = try RunHarness.json(folder.path + "/out/all/report.json")
        let jobs = try #require(report["jobs"] as? [[String: Any]])
        #expect(Set(jobs.compactMap { $0["key"] as? String }) == Set(plan.jobs.map(\.key)))
        let totals = try #require(report["totals"] as? [String: Any])
        #expect(totals["jobs"] as? Int == 40 && totals["succeeded"] as? Int == 40 && totals["outputs"] as? Int == 40)
        // Paths point into the shard folders, relative to the merged report; nothing was copied.
        for job in jobs {
            for output in job["outputs"] as? [[String: Any]] ?? [] {
                let path = try #require(output["path"] as? String)
                #expect(path.hasPrefix("../shard-"))
                #expect(FileManager.default.fileExists(atPath: folder.path + "/out/all/" + path))
            }
        }
        #expect(!RunHarness.files(folder.path + "/out/all").contains { $0.hasSuffix(".png") })
        let index = try String(contentsOfFile: folder.path + "/out/all/index.jsonl", encoding: .utf8)
        #expect(index.split(separator: "\n").count == 40)
        #expect(FileManager.default.fileExists(atPath: folder.path + "/out/all/report.html"))

        // A folder of another manifest is refused.
        let other = try folder.write(
            "other.yaml",
            "version: 1\nname: other\noutput: out-other\nmatrix: {prompt: X., image: in/room0.png, model: grok-imagine}\n"
        )
        let otherRun = try await offPool {
            try CLI.run(["run", other, "--simulate", "--sim-latency", "0.01:0.02", "-q"])
        }
        #expect(otherRun.status == 0, "\(otherRun.stdout)\(otherRun.stderr)")
        let refused = try await offPool {
            try CLI.run([
                "merge", shardFolders[0], folder.path + "/out-other", "-o", folder.path + "/out/mixed",
            ])
        }
        #expect(refused.status == 64)
        #expect(refused.stderr.contains("different manifests"))
    }

    /// Shards that wrote to node-local disks: only their report.json files come back, and merge
    /// still makes one report, saying which results are not here.
    @Test func reportsWithoutTheirResultsMergeIntoOneReport() async throws {
        let folder = try TempFolder()
        let manifest = try manifest(in: folder)
        for shard in 1...2 {
            let run = try await offPool {
                try CLI.run([
                    "run", manifest, "--simulate", "--sim-latency", "0.01:0.03", "--shard", "\(shard - 1)/2", "-q",
                    "--no-progress", "-o", folder.path + "/node\(shard)/out",
                ])
            }
            #expect(run.status == 0, "\(run.stderr)")
            try FileManager.default.createDirectory(atPath: folder.path + "/back", withIntermediateDirectories: true)
            try FileManager.default.copyItem(
                atPath: folder.path + "/node\(shard)/out/report.json", toPath: folder.path + "/back/shard\(shard).json")
        }
        let merged = try await offPool {
            try CLI.run([
                "merge", folder.path + "/back/shard1.json", folder.path + "/back/shard2.json", "-o",
                folder.path + "/all",
            ])
        }
        #expect(merged.status == 0, "\(merged.stderr)")
        #expect(merged.stdout.contains("40 result files are not here"), "\(merged.stdout)")
        let report = try RunHarness.json(folder.path + "/all/report.json")
        let jobs = try #require(report["jobs"] as? [[String: Any]])
        #expect(jobs.count == 40)
        let outputs = jobs.flatMap { $0["outputs"] as? [[String: Any]] ?? [] }
        #expect(outputs.count == 40 && outputs.allSatisfy { $0["local"] as? Bool == false })
        let shards = try #require(report["merged"] as? [[String: Any]])
        #expect(shards.compactMap { $0["jobs"] as? Int }.reduce(0, +) == 40 && shards.count == 2)
        #expect(shards.allSatisfy { $0["notLocal"] as? Int == 40 }, "both reports came back to one folder")

        // Folders with their results: nothing is marked.
        let local = try await offPool {
            try CLI.run(["merge", folder.path + "/node1/out", folder.path + "/node2/out", "-o", folder.path + "/all2"])
        }
        #expect(local.status == 0 && !local.stdout.contains("not here"), "\(local.stdout)\(local.stderr)")
        let localReport = try RunHarness.json(folder.path + "/all2/report.json")
        let localOutputs = (localReport["jobs"] as? [[String: Any]] ?? []).flatMap {
            $0["outputs"] as? [[String: Any]] ?? []
        }
        #expect(localOutputs.count == 40 && localOutputs.allSatisfy { $0["local"] == nil })

        // Currencies, price drift and webhook counts survive the merge, added up across shards.
        #expect(localReport["currencies"] as? [String: String] == ["billed": "CNY", "estimates": "CNY"])
        func drifted(
            _ shard: Int, tasks: Int, estimate: String, lowest: String, highest: String, billed: String
        ) throws -> String {
            let path = folder.path + "/back/shard\(shard).json"
            var object = try #require(
                try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: path))) as? [String: Any])
            object["priceDrift"] = [
                [
                    "model": "grok-imagine", "tasks": tasks, "estimate": estimate, "billedLowest": lowest,
                    "billedHighest": highest, "estimated": String(format: "%.2f", 0.14 * Double(tasks)),
                    "billed": billed, "currency": "CNY",
                ]
            ]
            object["webhook"] = [
                "callbacks": tasks * 2, "used": tasks, "duplicates": 1, "ignored": 0, "foundByPolling": 0,
            ]
            let out = folder.path + "/back/drift\(shard).json"
            try JSONSerialization.data(withJSONObject: object).write(to: URL(fileURLWithPath: out))
            return out
        }
        // The shards met the model at different price rows first: still one entry for it.
        let first = try drifted(1, tasks: 2, estimate: "0.14", lowest: "0.20", highest: "0.30", billed: "0.50")
        let second = try drifted(2, tasks: 3, estimate: "0.28", lowest: "0.10", highest: "0.25", billed: "0.60")
        let withDrift = try await offPool {
            try CLI.run(["merge", first, second, "-o", folder.path + "/all4"])
        }
        #expect(withDrift.status == 0, "\(withDrift.stderr)")
        let driftReport = try RunHarness.json(folder.path + "/all4/report.json")
        let drift = try #require(driftReport["priceDrift"] as? [[String: Any]])
        #expect(drift.count == 1 && drift.first?["tasks"] as? Int == 5, "\(drift)")
        func amount(_ key: String) -> Double? { (drift.first?[key] as? String).flatMap(Double.init) }
        #expect(amount("billedLowest") == 0.1 && amount("billedHighest") == 0.3)
        #expect(amount("billed") == 1.1 && amount("estimated") == 0.7)
        let webhook = try #require(driftReport["webhook"] as? [String: Int])
        #expect(webhook["callbacks"] == 10 && webhook["used"] == 5 && webhook["duplicates"] == 2)
        // Shards that did not listen: `webhook` is null, as in a run's report.
        #expect(localReport["webhook"] is NSNull, "\(String(describing: localReport["webhook"]))")

        // Shards billed in two currencies do not add up: refused.
        var usd = try #require(
            try JSONSerialization.jsonObject(
                with: Data(contentsOf: URL(fileURLWithPath: folder.path + "/back/shard2.json"))) as? [String: Any])
        var totals = try #require(usd["totals"] as? [String: Any])
        totals["cost"] = ["amount": "1.00", "currency": "USD"]
        usd["totals"] = totals
        try JSONSerialization.data(withJSONObject: usd).write(to: URL(fileURLWithPath: folder.path + "/back/usd.json"))
        let mixed = try await offPool {
            try CLI.run([
                "merge", folder.path + "/back/shard1.json", folder.path + "/back/usd.json", "-o", folder.path + "/all3",
            ])
        }
        #expect(mixed.status == 64 && mixed.stderr.contains("different currencies"), "\(mixed.stderr)")
    }

    /// A shard's folder stays that shard's: another shard (an array task submitted again on its
    /// own reads count 1) or no shard there is refused before anything is sent.
    @Test func aShardsFolderRefusesAnotherShard() async throws {
        let folder = try TempFolder()
        let manifest = try manifest(in: folder)
        let out = folder.path + "/out/shard-1"
        let run = { (shard: [String]) in
            try await offPool {
                try CLI.run(
                    ["run", manifest, "--simulate", "--sim-latency", "0.01:0.02", "-q", "--no-progress", "-o", out]
                        + shard)
            }
        }
        let first = try await run(["--shard", "1/4"])
        #expect(first.status == 0, "\(first.stderr)")
        #expect(try String(contentsOfFile: out + "/.rh-batch/shard", encoding: .utf8) == "1/4\n")
        let lone = try await run(["--shard", "0/1"])
        #expect(lone.status == 64 && lone.stderr.contains("holds shard 1/4"), "\(lone.stderr)")
        let unsharded = try await run([])
        #expect(unsharded.status == 64 && unsharded.stderr.contains("--shard 1/4"), "\(unsharded.stderr)")
        let again = try await run(["--shard", "1/4"])
        #expect(again.status == 0, "\(again.stderr)")
        let report = try RunHarness.json(out + "/report.json")
        #expect((report["totals"] as? [String: Any])?["submits"] as? Int == 0, "the resumed shard sends nothing")
    }

    @Test func autoShardsNeedAnEngineIndex() async throws {
        let folder = try TempFolder()
        let manifest = try manifest(in: folder)
        let run = try await offPool {
            try CLI.run(
                ["run", manifest, "--simulate", "--shard", "auto/4"], environment: ["PATH": "/usr/bin:/bin"])
        }
        #expect(run.status == 64)
        #expect(run.stderr.contains("JOB_COMPLETION_INDEX"))
        let outOfRange = try await offPool {
            try CLI.run(
                ["run", manifest, "--simulate", "--shard", "auto/4"],
                environment: ["PATH": "/usr/bin:/bin", "JOB_COMPLETION_INDEX": "4"])
        }
        #expect(outOfRange.status == 64)
    }

    /// The documented Slurm array script (docs/examples/slurm-array.sh), run as Slurm would run
    /// each array task: SLURM_ARRAY_TASK_ID and SLURM_ARRAY_TASK_COUNT set, the manifest, the
    /// results folder and the API (the simulator) given through the environment. Every job once,
    /// and one merged report.
    @Test func theDocumentedSlurmScriptRunsEachArrayTaskOnceAndTheShardsMerge() async throws {
        let folder = try TempFolder()
        let manifest = try manifest(in: folder)
        let script = DocsTests.root + "/docs/examples/slurm-array.sh"
        let simulator = try CrashTests.SimulatorProcess(arguments: ["--latency", "0.05:0.2"])
        defer { simulator.stop() }
        let binFolder = URL(fileURLWithPath: CLI.executable).deletingLastPathComponent().path
        for task in 0..<4 {
            let run = try await offPool {
                try CLI.runTool(
                    "/bin/bash", [script],
                    environment: [
                        "PATH": binFolder + ":/usr/bin:/bin", "RH_API_KEY": "slurm-key",
                        "RH_API_BASE_URL": simulator.baseURL, "SLURM_ARRAY_TASK_ID": String(task),
                        "SLURM_ARRAY_TASK_COUNT": "4", "RH_BATCH_MANIFEST": manifest,
                        "RH_BATCH_RESULTS": folder.path + "/results",
                    ])
            }
            #expect(run.status == 0, "array task \(task): \(run.stderr)")
        }
        let ledger = try await simulator.ledger()
        #expect(ledger.billed.count == 40 && ledger.doubleBilled == 0)
        let shards = (0..<4).map { folder.path + "/results/shard-\($0)" }
        let merged = try await offPool { try CLI.run(["merge"] + shards + ["-o", folder.path + "/results/all"]) }
        #expect(merged.status == 0, "\(merged.stderr)")
        let report = try RunHarness.json(folder.path + "/results/all/report.json")
        #expect((report["jobs"] as? [[String: Any]])?.count == 40)
        // docs/cli.md shows the file as it is.
        #expect(try DocsTests.read("docs/cli.md").contains(try DocsTests.read("docs/examples/slurm-array.sh")))
    }

    /// The documented Kubernetes Indexed Job (docs/examples/kubernetes-indexed-job.yaml) has what
    /// the recipe relies on. (No Kubernetes schema validator is installable here from Debian or
    /// PyPI without network access to the schemas, so the fields are checked one by one.)
    @Test func theDocumentedKubernetesJobHasWhatTheRecipeNeeds() throws {
        let text = try DocsTests.read("docs/examples/kubernetes-indexed-job.yaml")
        #expect(try DocsTests.read("docs/cli.md").contains(text), "docs/cli.md shows the file as it is")
        let root = try #require(try YAMLParser().parse(Array(text.utf8)))
        func value(_ node: Node?, _ path: [String]) -> Node? {
            var node = node
            for key in path {
                node = node?.mapping?.first { $0.key.scalar?.value == key }?.value
            }
            return node
        }
        #expect(value(root, ["kind"])?.scalar?.value == "Job")
        #expect(value(root, ["spec", "completionMode"])?.scalar?.value == "Indexed")
        let completions = value(root, ["spec", "completions"])?.scalar?.value
        #expect(completions != nil && value(root, ["spec", "parallelism"])?.scalar?.value == completions)
        #expect(value(root, ["spec", "template", "spec", "restartPolicy"])?.scalar?.value == "OnFailure")
        let container = try #require(value(root, ["spec", "template", "spec", "containers"])?.sequence?.first)
        let command = value(container, ["command"])?.sequence?.compactMap { $0.scalar?.value } ?? []
        let shard = command.firstIndex(of: "--shard").map { command[$0 + 1] }
        #expect(shard == "auto/\(completions ?? "?")", "\(command)")
        let output = command.firstIndex(of: "-o").map { command[$0 + 1] }
        #expect(output?.contains("$(JOB_COMPLETION_INDEX)") == true, "each shard its own folder")
        let environment = value(container, ["env"])?.sequence ?? []
        #expect(
            environment.contains { value($0, ["valueFrom", "secretKeyRef", "key"]) != nil }, "the key from a secret")
        let volumes = value(root, ["spec", "template", "spec", "volumes"])?.sequence ?? []
        let mounts = value(container, ["volumeMounts"])?.sequence ?? []
        #expect(!volumes.isEmpty && volumes.count == mounts.count)
        #expect(command.contains { $0.hasPrefix("/config/") }, "the manifest from the mounted config")
    }
}
