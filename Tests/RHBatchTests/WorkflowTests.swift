import Foundation
import RHBatchCore
import RunningHubSimulator
import Testing

/// The user's own workflows and apps, run through the simulator's (issue 24).
@Suite("workflows and AI apps", .timeLimit(.minutes(3)))
struct WorkflowTests {
    static let workflows = """
        workflows:
          panda:
            workflow: "1904136902449209346"
            fields: {prompt: "6:text", negative_prompt: "7:text", seed: "3:seed"}
          restyle:
            workflow: "1000000000000000001"
            fields: {image: "10:image", prompt: "20:text"}
          kontext:
            app: "1877265245566922753"
            fields: {image: "39:image", prompt: "52:prompt", aspect_ratio: "37:aspect_ratio"}

        """

    /// A workflow with prompt × seed × a raw NODE:FIELD axis, one with two images and two output
    /// nodes, an app with a LIST field, and a standard model, in one manifest.
    static let manifest =
        """
        version: 1
        name: wf
        output: out

        """ + workflows
            + """
            matrix:
              - model: panda
                prompt: [greenhouse, cyberpunk]
                negative_prompt: blurry
                seed: [1, 2]
                "3:steps": [20, 30]
              - model: restyle
                image: room.png
                "11:image": rug.png
                prompt: restyle it
              - model: [kontext, nano-banana-pro]
                image: [room.png, sofa.png]
                prompt: greenhouse
                aspect_ratio: ["16:9"]
                resolution: 1k

            """

    @Test func aWorkflowBatchRunsEveryOutputNodeIsOnDiskAndTheCoinsAreTheLedgers() async throws {
        let harness = try RunHarness()
        let result = try await harness.run(Self.manifest)
        #expect(result.outcome.exitCode == 0)
        let report = try RunHarness.json(harness.folder.path + "/out/report.json")
        let jobs = try #require(report["jobs"] as? [[String: Any]])
        #expect(jobs.count == 13)
        #expect(jobs.allSatisfy { $0["status"] as? String == "succeeded" })

        // Every output node's file, named by its node, checked by bytes.
        let restyle = try #require(jobs.first { $0["model"] as? String == "restyle" })
        let outputs = try #require(restyle["outputs"] as? [[String: Any]])
        #expect(outputs.compactMap { $0["node"] as? String }.sorted() == ["60", "61"])
        for output in outputs {
            let path = try #require(output["path"] as? String)
            #expect(path.hasSuffix("_\(output["node"] as? String ?? "?").png"))
            let bytes = try Data(contentsOf: URL(fileURLWithPath: harness.folder.path + "/out/" + path))
            #expect(bytes.starts(with: [0x89, 0x50, 0x4E, 0x47]))
        }

        // The coins reported are the simulator's ledger, job by job and in total.
        let billed = Dictionary(uniqueKeysWithValues: result.ledger.billed.map { ($0.taskId, $0) })
        var total = 0
        for job in jobs where job["coins"] != nil {
            let task = try #require(billed[job["taskId"] as? String ?? ""])
            #expect(Double(job["coins"] as? String ?? "") == Double(task.coins))
            total += task.coins
        }
        #expect(total == result.ledger.totalCoins && total > 0)
        // App tasks' v2 answers carry no usage: their coins came from the legacy outputs call.
        #expect(jobs.filter { $0["model"] as? String != "nano-banana-pro" }.allSatisfy { $0["coins"] != nil })
        let totals = try #require(report["totals"] as? [String: Any])
        let coins = try #require(totals["coins"] as? [String: Any])
        #expect(Double(coins["amount"] as? String ?? "") == Double(total))

        // Each run's nodeInfoList held exactly the job's overrides, values as text.
        for job in jobs where job["model"] as? String == "panda" {
            let task = try #require(billed[job["taskId"] as? String ?? ""])
            let body = try #require(
                try JSONSerialization.jsonObject(with: Data(task.body.utf8)) as? [String: Any])
            let list = try #require(body["nodeInfoList"] as? [[String: String]])
            let sent = Set(list.map { "\($0["nodeId"]!):\($0["fieldName"]!)=\($0["fieldValue"]!)" })
            let params = try #require(job["params"] as? [String: Any])
            let prompt = try #require((job["prompt"] as? [String: Any])?["text"] as? String)
            let seed = (params["3:seed"] as? NSNumber)?.intValue ?? -1
            let steps = (params["3:steps"] as? NSNumber)?.intValue ?? -1
            let expected: Set<String> = ["6:text=\(prompt)", "7:text=blurry", "3:seed=\(seed)", "3:steps=\(steps)"]
            #expect(sent == expected)
        }
        // The app's LIST field went as the option's index, its image as the upload's file name.
        let kontext = try #require(result.ledger.billed.first { $0.endpoint.hasPrefix("run/ai-app/") })
        let body = try #require(try JSONSerialization.jsonObject(with: Data(kontext.body.utf8)) as? [String: Any])
        let list = try #require(body["nodeInfoList"] as? [[String: String]])
        #expect(list.contains { $0["nodeId"] == "37" && $0["fieldValue"] == "2" })
        #expect(list.contains { $0["nodeId"] == "39" && $0["fieldValue"]?.hasPrefix("openapi/") == true })
    }

    @Test func aRunStoppedPartwayIsFinishedByTheNextWithoutPayingTwice() async throws {
        let harness = try RunHarness()
        try await harness.withSimulator(.init(latency: 0.3...0.6)) { session in
            // The first run stops at its budget (the standard model's jobs are left to do).
            let first = try await session.run(Self.manifest) { $0.maxCost = Money("0.01") }
            let second = try await session.run(Self.manifest)
            #expect(second.outcome.exitCode == 0)
            #expect(second.ledger.doubleBilled == 0)
            #expect(second.ledger.billed.count == 13)
            #expect(first.ledger.billed.count < 13)
        }
    }

    @Test func aNodeErrorsAnswerFailsOnlyItsJobAndIsNotSentAgain() async throws {
        let harness = try RunHarness()
        let manifest =
            """
            version: 1
            name: bad
            output: out

            """ + Self.workflows
                + """
                matrix:
                  model: panda
                  prompt: a panda
                  "3:sampler_name": [euler, no_such_sampler]

                """
        try await harness.withSimulator { session in
            let first = try await session.run(manifest)
            let report = try RunHarness.json(harness.folder.path + "/out/report.json")
            let jobs = try #require(report["jobs"] as? [[String: Any]])
            let failed = jobs.filter { $0["status"] as? String == "failed" }
            #expect(failed.count == 1 && jobs.count == 2)
            let message = (failed.first?["error"] as? [String: Any])?["message"] as? String ?? ""
            #expect(message.contains("node 3 (KSampler)") && message.contains("no_such_sampler"), "\(message)")
            #expect(first.ledger.billed.count == 1, "a task that failed validation is not billed")
            let accepted = first.ledger.submitsAccepted
            let second = try await session.run(manifest)
            #expect(second.ledger.submitsAccepted == accepted, "the failed job was sent again")
        }
    }

    @Test func aWorkflowTheServiceCannotRunStopsItsJobsWithOneMessage() async throws {
        let harness = try RunHarness()
        let manifest = """
            version: 1
            name: never
            output: out
            workflows:
              never:
                workflow: "1000000000000000810"
                fields: {prompt: "6:text"}
            matrix:
              model: never
              prompt: [a, b, c, d]

            """
        let result = try await harness.run(manifest) { $0.concurrency = 1 }
        #expect(result.ledger.submitsRefused["810"] == 1, "one submit, then no more")
        // Not failed one by one: not run, and left to do.
        #expect(result.outcome.totals.cancelled == 4 && result.outcome.totals.failed == 0)
        #expect(result.ledger.billed.isEmpty)
        let journal = try String(contentsOfFile: harness.folder.path + "/out/journal.jsonl", encoding: .utf8)
        #expect(!journal.contains(#""event":"failed""#), "the jobs stay to do")
    }

    @Test func anUnknownWorkflowIsALocatedErrorBeforeAnySpend() async throws {
        let harness = try RunHarness()
        let manifest = """
            version: 1
            workflows:
              ghost:
                workflow: "42"
            matrix:
              model: ghost
              prompt: x

            """
        await #expect(throws: ManifestError.self) { try await harness.run(manifest) }
        do {
            _ = try await harness.run(manifest)
        } catch let error as ManifestError {
            let text = error.diagnostics.map(\.description).joined(separator: "\n")
            #expect(text.contains(":4:15: error: workflows.ghost.workflow: cannot check workflow 42"), "\(text)")
            #expect(text.contains("380"))
        }
    }

    @Test func inspectListsTheSettableInputsAndAnEntryToPaste() async throws {
        let result = try await offPool { try CLI.run(["inspect", "workflow", "1904136902449209346", "--simulate"]) }
        #expect(result.status == 0, "\(result.stderr)")
        let rows = result.stdout.split(separator: "\n").map(String.init)
        #expect(
            rows.contains { $0.hasPrefix("  3:seed ") && $0.contains("KSampler") && $0.hasSuffix("669816362794144") })
        #expect(rows.contains { $0.hasPrefix("  6:text ") && $0.contains("CLIPTextEncode") })
        #expect(!rows.contains { $0.hasPrefix("  3:model ") }, "a link is not settable")
        #expect(result.stdout.contains("output nodes (a result each, named {node}): 9 (SaveImage)"))
        #expect(result.stdout.contains(#"      seed: "3:seed""#))
        let app = try await offPool { try CLI.run(["inspect", "app", "1877265245566922753", "--simulate", "--json"]) }
        let object = try #require(try JSONSerialization.jsonObject(with: Data(app.stdout.utf8)) as? [String: Any])
        let inputs = try #require(object["inputs"] as? [[String: Any]])
        let ratio = try #require(inputs.first { $0["field"] as? String == "aspect_ratio" })
        #expect(
            (ratio["options"] as? [[String: String]])?.contains { $0["name"] == "16:9" && $0["value"] == "2" } == true)
        // The entry to paste names no input after a key the manifest keeps (`model`).
        let text = try await offPool { try CLI.run(["inspect", "app", "1877265245566922753", "--simulate"]) }
        #expect(text.stdout.contains(#"      model_37: "37:model""#), "\(text.stdout)")
        let unknown = try await offPool { try CLI.run(["inspect", "workflow", "5", "--simulate"]) }
        #expect(unknown.status == 2 && unknown.stderr.contains("380"))
    }

    @Test func aRunSaysWhenAWorkflowChangedSinceItsJobsWereDone() async throws {
        let folder = try TempFolder()
        let graph = { (steps: Int) in
            #"{"3":{"class_type":"KSampler","inputs":{"seed":1,"steps":"# + String(steps)
                + #","model":["4",0]}},"4":{"class_type":"CheckpointLoaderSimple","inputs":{"ckpt_name":"a"}},"9":{"class_type":"SaveImage","inputs":{"images":["3",0]}}}"#
        }
        try folder.write("a.json", Data(graph(20).utf8))
        try folder.write("b.json", Data(graph(25).utf8))
        let manifest = try folder.write(
            "m.yaml",
            """
            version: 1
            output: out
            workflows:
              mine: {workflow: "42", fields: {seed: "3:seed"}}
            matrix: {model: mine, seed: [1, 2]}

            """)
        let first = try await offPool {
            try CLI.run(["run", manifest, "--simulate", "--sim-workflow", "42=\(folder.path)/a.json", "-q"])
        }
        #expect(first.status == 0, "\(first.stderr)")
        let again = try await offPool {
            try CLI.run(["run", manifest, "--simulate", "--sim-workflow", "42=\(folder.path)/a.json", "-q"])
        }
        #expect(!again.stderr.contains("changed"), "\(again.stderr)")
        let changed = try await offPool {
            try CLI.run(["run", manifest, "--simulate", "--sim-workflow", "42=\(folder.path)/b.json"])
        }
        #expect(changed.status == 0)
        #expect(changed.stderr.contains("workflow 42 changed since the copy cached"), "\(changed.stderr)")
        #expect(changed.stdout.contains("mine's workflow changed since 2 of its jobs were done"), "\(changed.stdout)")
        #expect(changed.stdout.contains("2 already done"), "\(changed.stdout)")
        // status sends nothing: it reads the simulated run's copy of the graph.
        let status = try await offPool { try CLI.run(["status", manifest]) }
        #expect(status.status == 0 && status.stdout.contains("2 done"), "\(status.stdout)\(status.stderr)")
    }

    @Test func maxCoinsStopsSubmittingBeforeTheEstimateWouldPassIt() async throws {
        let harness = try RunHarness()
        let manifest = """
            version: 1
            name: coins
            output: out
            workflows:
              panda:
                workflow: "1904136902449209346"
                estimate_seconds: 30
                fields: {prompt: "6:text", seed: "3:seed"}
            matrix:
              model: panda
              prompt: a panda
              seed: [1, 2, 3, 4, 5, 6]

            """
        let result = try await harness.run(manifest) {
            $0.concurrency = 1
            $0.maxCoins = Money("10")
        }
        // 6 coins a job by the estimate until a task ends, then what it was billed: one at a time,
        // each submit goes while the billed coins plus its estimate stay within 10.
        let billed = result.ledger.billed.map(\.coins).reduce(0, +)
        #expect(result.ledger.billed.count < 6)
        #expect(billed <= 10 && billed + 6 > 10, "\(result.ledger.billed.map(\.coins))")
        #expect(result.outcome.totals.cancelled == 6 - result.ledger.billed.count)
        let report = try RunHarness.json(harness.folder.path + "/out/report.json")
        #expect((report["stopReason"] as? String)?.contains("--max-coins 10") == true)
    }

    @Test(
        .enabled(if: ReportPageTests.browserPresent, "needs chromium, chromium-driver and selenium (CI installs them)"))
    func theContactSheetShowsWorkflowJobsLikeTheOthers() async throws {
        let harness = try RunHarness()
        let result = try await harness.run(Self.manifest)
        let run = try await offPool {
            try DocsTests.shell([
                "python3", DocsTests.root + "/Tests/Tools/check_report_page.py", result.output + "/report.html",
                "--filter-model", "restyle", "--search", "greenhouse",
            ])
        }
        #expect(run.status == 0, "\(run.output)")
        let line = try #require(run.output.split(separator: "\n").last { $0.hasPrefix("{") }, "\(run.output)")
        let seen = try #require(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])
        // Thirteen cells; fourteen pictures (restyle's two output nodes); coins beside money.
        #expect(seen["jobs"] as? Int == 13 && seen["media"] as? Int == 14)
        let totals = try #require(seen["totals"] as? [String: String])
        #expect(totals["cost"]?.hasSuffix("RH coins") == true, "\(totals)")
        let filtered = try #require(seen["afterModelFilter"] as? [String: Any])
        #expect(filtered["jobs"] as? Int == 1)
        #expect((seen["dialogText"] as? String)?.contains("RH coins") == true)
    }

    @Test(.enabled(if: DatasetTests.datasetsPresent, "needs python3 with datasets and Pillow (CI installs them)"))
    func aWorkflowBatchLoadsAsADatasetWithEachResultsNode() async throws {
        let harness = try RunHarness()
        let result = try await harness.run(Self.manifest)
        let loaded = try await offPool { try DatasetTests.load(result.output) }
        #expect(loaded.rows.count == 14)
        #expect(loaded.rows.filter { $0.model == "restyle" }.count == 2)
        let metadata = try String(contentsOfFile: result.output + "/metadata.jsonl", encoding: .utf8)
        let nodes = metadata.split(separator: "\n").compactMap { line -> String? in
            let row = try? JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any]
            return row?["model"] as? String == "restyle" ? row?["node"] as? String : nil
        }
        #expect(nodes.sorted() == ["60", "61"])
    }

    @Test func mergedShardsAddUpTheirCoins() async throws {
        let folder = try TempFolder()
        try folder.write("room.png", Data(PNGEncoder.solid(width: 8, height: 6, color: (1, 2, 3))))
        try folder.write("sofa.png", Data(PNGEncoder.solid(width: 8, height: 6, color: (4, 5, 6))))
        try folder.write("rug.png", Data(PNGEncoder.solid(width: 8, height: 6, color: (7, 8, 9))))
        let manifest = try folder.write("m.yaml", Self.manifest)
        var coins: [Double] = []
        for shard in 0...1 {
            let out = folder.path + "/out/shard-\(shard)"
            let run = try await offPool {
                try CLI.run(["run", manifest, "--simulate", "--shard", "\(shard)/2", "-o", out, "-q"])
            }
            #expect(run.status == 0, "\(run.stderr)")
            let totals = try #require(try RunHarness.json(out + "/report.json")["totals"] as? [String: Any])
            coins.append(Double((totals["coins"] as? [String: Any])?["amount"] as? String ?? "") ?? -1)
        }
        let merged = try await offPool {
            try CLI.run(
                ["merge", folder.path + "/out/shard-0", folder.path + "/out/shard-1", "-o", folder.path + "/out/all"])
        }
        #expect(merged.status == 0, "\(merged.stderr)")
        let totals = try #require(try RunHarness.json(folder.path + "/out/all/report.json")["totals"] as? [String: Any])
        let sum = try #require(totals["coins"] as? [String: Any])
        #expect(Double(sum["amount"] as? String ?? "") == coins.reduce(0, +) && coins.allSatisfy { $0 >= 0 })
        let byModel = try #require(sum["byModel"] as? [String: String])
        #expect(Set(byModel.keys) == ["panda", "restyle", "kontext"])
    }
}
