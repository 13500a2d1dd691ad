import Foundation
import RunningHubSimulator
import Testing

@Suite("validate, plan and models commands")
struct ManifestCommandTests {
    let repository: String = {
        var folder = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        while !FileManager.default.fileExists(atPath: folder.appendingPathComponent("Package.swift").path) {
            folder = folder.deletingLastPathComponent()
        }
        return folder.path
    }()

    func folderWithImage() throws -> TempFolder {
        let folder = try TempFolder()
        try folder.write("room.png", Data(PNGEncoder.solid(width: 4, height: 4, color: (10, 20, 30))))
        return folder
    }

    @Test(arguments: ["quickstart.yaml", "rooms.yaml", "dataset.yaml", "mixed-media.yaml", "from-table.yaml"])
    func exampleManifestsAreValid(name: String) throws {
        let result = try CLI.run(["validate", "manifests/\(name)"], directory: repository)
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stdout.hasPrefix("manifests/\(name): ok, "))
    }

    @Test func planPrintsCountsCostAndExamples() throws {
        let result = try CLI.run(["plan", "manifests/quickstart.yaml"], directory: repository)
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stdout.contains("manifests/quickstart.yaml: 7 jobs, estimated cost 3.26 CNY"))
        #expect(result.stdout.contains("grok-imagine/room/greenhouse/1.png"))
        #expect(result.stdout.contains("output: out/quickstart"))
    }

    @Test func planJobsPrintsEveryJobAsAJSONLine() throws {
        let all = try CLI.run(["plan", "manifests/from-table.yaml", "--jobs"], directory: repository)
        #expect(all.status == 0, "\(all.stderr)")
        let lines = all.stdout.split(separator: "\n")
        #expect(lines.count == 8, "4 rows × 2 models")
        let objects = try lines.map {
            try #require(try JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any])
        }
        #expect(objects.compactMap { $0["source"] as? String }.first == "manifests/../samples/captions.csv:2:1")
        #expect(objects.compactMap { $0["sourcePath"] as? String }.last == "matrix.rows[3]")
        #expect(Set(objects.compactMap { $0["key"] as? String }).count == 8)
        let first = try CLI.run(["plan", "manifests/from-table.yaml", "--jobs", "--limit", "3"], directory: repository)
        #expect(first.stdout.split(separator: "\n") == Array(lines.prefix(3)))
        let wrong = try CLI.run(["plan", "manifests/from-table.yaml", "--limit", "3"], directory: repository)
        #expect(wrong.status == 64 && wrong.stderr.contains("--limit goes with --jobs"), "\(wrong.stderr)")
    }

    @Test func planJSONIsMachineReadable() throws {
        let result = try CLI.run(["plan", "manifests/rooms.yaml", "--json"], directory: repository)
        #expect(result.status == 0, "\(result.stderr)")
        let object = try #require(try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any])
        #expect(object["jobs"] as? Int == 51)
        #expect(object["merged"] as? Int == 9)
        let cost = try #require(object["estimatedCost"] as? [String: Any])
        #expect(cost["currency"] as? String == "CNY")
        #expect(cost["amount"] as? String == "53.616")
    }

    @Test func invalidManifestExitsWith64AndLocatedErrors() throws {
        let folder = try folderWithImage()
        let manifest = try folder.write(
            "bad.yaml",
            "version: 1\nmatrix:\n  prompt: Hi.\n  image: room.png\n  model: nano-banana-pro\n  aspect_ratio: \"1:3\"\n"
        )
        let result = try CLI.run(["validate", manifest])
        #expect(result.status == 64)
        #expect(
            result.stderr.contains(
                "\(manifest):6:17: error: matrix.aspect_ratio: \"1:3\" is not accepted by nano-banana-pro (accepted: 1:1, 3:2,"
            ))
        #expect(result.stdout.isEmpty)

        let skipped = try CLI.run(["plan", manifest, "--skip-invalid"])
        #expect(skipped.status == 0)
        #expect(skipped.stdout.contains("skipped 1 invalid job (--skip-invalid):"))
    }

    @Test func validateChecksEveryManifestGiven() throws {
        let folder = try folderWithImage()
        let good = try folder.write(
            "good.yaml", "version: 1\njobs: [{prompt: Hi., image: room.png, model: grok-imagine}]\n")
        let bad = try folder.write(
            "bad.yaml", "version: 1\njobs: [{prompt: Hi., image: nope.png, model: grok-imagine}]\n")
        let result = try CLI.run(["validate", bad, good])
        #expect(result.status == 64)
        #expect(result.stdout.contains("good.yaml: ok, 1 job"))
        #expect(result.stderr.contains("bad.yaml:2:29: error: jobs[0].image: image file 'nope.png' does not exist"))
    }

    @Test(arguments: [
        ("", "the manifest is empty"),
        ("version: 1\n\tjobs: []\n", "a tab character is not allowed here"),
        ("a: &a [1]\nb: *zz\n", "alias '*zz' names no anchor"),
    ])
    func badYAMLExitsWith64(text: String, message: String) throws {
        let folder = try TempFolder()
        let manifest = try folder.write("m.yaml", text)
        let result = try CLI.run(["validate", manifest])
        #expect(result.status == 64)
        #expect(result.stderr.contains(message), "\(result.stderr)")
    }

    @Test func binaryGarbageExitsWith64() throws {
        let folder = try TempFolder()
        var bytes = [UInt8](repeating: 0, count: 8192)
        for index in bytes.indices { bytes[index] = UInt8.random(in: 0...255) }
        let manifest = try folder.write("m.yaml", Data(bytes))
        let result = try CLI.run(["validate", manifest])
        #expect(result.status == 64)
        #expect(result.stderr.contains("\(manifest):"))
        #expect(result.stderr.contains(": error: "))
    }

    @Test func unreadableImageIsReported() throws {
        let folder = try folderWithImage()
        try folder.write("secret.png", Data(PNGEncoder.solid(width: 2, height: 2, color: (1, 2, 3))))
        let manifest = try folder.write(
            "m.yaml", "version: 1\njobs: [{prompt: Hi., image: secret.png, model: grok-imagine}]\n")
        try FileManager.default.setAttributes([.posixPermissions: 0o000], ofItemAtPath: folder.path + "/secret.png")
        try FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: folder.path)
        // Root reads any file, so when the tests run as root the check runs as 'nobody'.
        var prefix: [String] = []
        var executable = CLI.executable
        let binFolder = try TempFolder()
        if getuid() == 0 {
            try #require(
                FileManager.default.isExecutableFile(atPath: "/usr/sbin/runuser"), "runuser is needed to drop root")
            prefix = ["/usr/sbin/runuser", "-u", "nobody", "--"]
            // The temporary folder's parent (/tmp) is world-traversable; the folder and the
            // manifest only need to be readable by 'nobody'.
            try FileManager.default.setAttributes([.posixPermissions: 0o644], ofItemAtPath: manifest)
            // The build folder may be out of its reach (a checkout under /root): a copy is not.
            executable = try CLI.copyForAnyUser(into: binFolder.path)
        }
        let result = try CLI.run(["validate", manifest], prefix: prefix, executable: executable)
        #expect(result.status == 64, "\(result.stdout)\(result.stderr)")
        #expect(
            result.stderr.contains(
                "m.yaml:2:29: error: jobs[0].image: image file 'secret.png' cannot be read (Permission denied)"))
        withExtendedLifetime(binFolder) {}
    }

    @Test func modelsListsTheCatalog() throws {
        let text = try CLI.run(["models"])
        #expect(text.status == 0)
        #expect(text.stdout.contains("rhart-image-g-2-official/image-to-image"))
        let json = try CLI.run(["models", "--json"])
        let models = try #require(try JSONSerialization.jsonObject(with: Data(json.stdout.utf8)) as? [[String: Any]])
        #expect(models.count == 299)
        #expect(models.prefix(3).map { $0["alias"] as? String } == ["gpt-image-2", "grok-imagine", "nano-banana-pro"])
        // Filters, and one model in full.
        let videos = try CLI.run(["models", "--output", "video", "--input", "image", "kling", "--json"])
        let found = try #require(try JSONSerialization.jsonObject(with: Data(videos.stdout.utf8)) as? [[String: Any]])
        #expect(
            !found.isEmpty
                && found.allSatisfy {
                    ($0["output"] as? String) == "video" && ($0["alias"] as? String)?.contains("kling") == true
                })
        let one = try CLI.run(["models", "nano-banana-pro"])
        #expect(one.stdout.contains("resolution (resolution): 1k, 2k, 4k; required, default 1k"))
        #expect(one.stdout.contains("price: CNY per call by resolution"))
        let none = try CLI.run(["models", "no-such-model-anywhere"])
        #expect(none.status == 1)
    }

    @Test func aCatalogFileReplacesTheBuiltInOne() throws {
        let folder = try folderWithImage()
        // Only the simulator's copy of the vendor's registry and price table, read directly.
        let vendor = repository + "/Sources/RunningHubSimulator/Resources"
        let registry = try folder.write(
            "model-registry.public.json", Data(contentsOf: URL(fileURLWithPath: vendor + "/model-registry.public.json"))
        )
        _ = try folder.write(
            "pricing.public.json", Data(contentsOf: URL(fileURLWithPath: vendor + "/pricing.public.json")))
        let manifest = try folder.write(
            "m.yaml", "version: 1\njobs:\n  - {model: seedream-v4.5/text-to-image, prompt: A fox.}\n")
        let direct = try CLI.run(["plan", manifest, "--catalog", registry])
        #expect(direct.status == 0, "\(direct.stderr)")
        #expect(direct.stdout.contains("estimated cost 0.20 CNY"))
        // A converted catalog, named by RH_CATALOG.
        let converted = folder.path + "/mine.json"
        let imported = try CLI.run([
            "catalog", "import", registry, folder.path + "/pricing.public.json", "-o", converted,
        ])
        #expect(imported.status == 0, "\(imported.stderr)")
        #expect(imported.stdout.contains("299 models (2 unsupported, 12 without a known price)"))
        var environment = ProcessInfo.processInfo.environment
        environment["RH_CATALOG"] = converted
        let byEnvironment = try CLI.run(["models", "seedream-v4.5/text-to-image"], environment: environment)
        #expect(byEnvironment.status == 0 && byEnvironment.stdout.contains("price: CNY per call by maxImages"))
        // A file that is not a catalog: a located error, exit 64, nothing else done.
        let broken = try folder.write("broken.json", "{\"models\": [oops]}")
        let refused = try CLI.run(["plan", manifest, "--catalog", broken])
        #expect(refused.status == 64)
        #expect(refused.stderr.hasPrefix(broken + ":1:"), "\(refused.stderr)")
        let notRegistry = try folder.write("other.json", "[1, 2]")
        let other = try CLI.run(["models", "--catalog", notRegistry])
        #expect(other.status == 64 && other.stderr.contains("not a model catalog"))
    }

    @Test func theMixedMediaExampleRunsWithTheSimulator() throws {
        let folder = try TempFolder()
        let result = try CLI.run(
            [
                "run", "manifests/mixed-media.yaml", "--simulate", "--sim-latency", "0.05:0.2", "--poll-interval",
                "0.05:0.2",
                "-o", folder.path + "/out", "--quiet",
            ], directory: repository)
        #expect(result.status == 0, "\(result.stdout)\(result.stderr)")
        let files = RunHarness.files(folder.path + "/out")
        #expect(files.filter { $0.hasSuffix(".mp4") }.count == 4)
        #expect(
            files.filter { $0.hasPrefix("wan-2.5-preview-text-to-image/no-image/") && $0.hasSuffix(".png") }.count == 8)
        #expect(files.filter { $0.hasPrefix("nano-banana-pro/") && $0.hasSuffix(".png") }.count == 2)
        let report = try RunHarness.json(folder.path + "/out/report.json")
        #expect((report["jobs"] as? [[String: Any]])?.count == 14)
    }

    /// The table example runs as its comment says: each row's image with its own caption, under
    /// both models of the block, named by the row's id.
    @Test func theTableExampleRunsWithTheSimulator() throws {
        let folder = try TempFolder()
        let result = try CLI.run(
            [
                "run", "manifests/from-table.yaml", "--simulate", "--sim-latency", "0.05:0.2", "--poll-interval",
                "0.05:0.2", "-o", folder.path + "/out", "--quiet",
            ], directory: repository)
        #expect(result.status == 0, "\(result.stdout)\(result.stderr)")
        let report = try RunHarness.json(folder.path + "/out/report.json")
        let jobs = try #require(report["jobs"] as? [[String: Any]])
        #expect(jobs.count == 8, "4 rows × 2 models")
        #expect(jobs.allSatisfy { $0["status"] as? String == "succeeded" })
        let files = RunHarness.files(folder.path + "/out")
        for id in ["greenhouse", "scandi-sofa", "studio-rug", "cozy-bedroom"] {
            #expect(files.filter { $0.contains(id) && $0.hasSuffix(".png") }.count == 2, "\(id): \(files)")
        }
        // Row 1 pairs the living room with the greenhouse caption, not with another row's.
        let greenhouse = jobs.filter { ($0["prompt"] as? [String: Any])?["id"] as? String == "greenhouse" }
        #expect(greenhouse.count == 2)
        #expect(greenhouse.allSatisfy { "\($0)".contains("living-room.png") }, "\(greenhouse)")
    }

    @Test func verboseSaysEachDecisionOnStandardErrorAndChangesNothingElse() throws {
        let folder = try TempFolder()
        let arguments = [
            "run", "manifests/quickstart.yaml", "--simulate", "--sim-latency", "0.05:0.2", "--poll-interval",
            "0.05:0.2", "--no-progress",
        ]
        let verbose = try CLI.run(arguments + ["-o", folder.path + "/v", "--verbose"], directory: repository)
        #expect(verbose.status == 0, "\(verbose.stderr)")
        let lines = verbose.stderr.split(separator: "\n").map(String.init)
        for kind in [
            "upload.sent", "upload.ended", "submit.sent", "submit.accepted", "query.scheduled", "query.answer",
            "download.start", "download.end", "job.ended",
        ] {
            #expect(lines.contains { $0.hasSuffix("[RHBatchCore] " + kind) }, "\(kind)")
        }
        // A submit's line names the job by its key; from the answer on, by its task id too.
        #expect(lines.contains { $0.contains("job.key=") && $0.contains("task.id=") && $0.hasSuffix(" query.answer") })
        #expect(!verbose.stderr.contains("[AsyncHTTPClient]"), "the HTTP client's own lines are not decisions")
        // Without --verbose: the same standard output, and nothing on standard error.
        let quiet = try CLI.run(arguments + ["-o", folder.path + "/q"], directory: repository)
        #expect(quiet.status == 0 && quiet.stderr.isEmpty, "\(quiet.stderr)")
        let shape = { (text: String) in
            text.split(separator: "\n").map { $0.replacingOccurrences(of: folder.path, with: "").prefix(20) }
        }
        #expect(shape(verbose.stdout).count == shape(quiet.stdout).count)
    }

    @Test func maxCostRefusesUnknownPricesUnlessAllowed() throws {
        let folder = try folderWithImage()
        let manifest = try folder.write(
            "m.yaml",
            "version: 1\njobs:\n  - {model: alibaba/wan-2.7/reference-to-video, prompt: A fox., image: room.png}\n")
        let plan = try CLI.run(["plan", manifest])
        #expect(plan.stdout.contains("1 job of price unknown"))
        let refused = try CLI.run(["run", manifest, "--simulate", "--max-cost", "10", "--quiet"])
        #expect(refused.status == 64)
        #expect(refused.stderr.contains("--max-cost cannot bound 1 jobs whose price is unknown"))
        #expect(!FileManager.default.fileExists(atPath: folder.path + "/out/m/journal.jsonl"))
        let allowed = try CLI.run(["run", manifest, "--simulate", "--max-cost", "10", "--allow-unpriced", "--quiet"])
        #expect(allowed.status == 0, "\(allowed.stderr)")
    }

    @Test func badCommandLineExitsWith64() throws {
        let result = try CLI.run(["plan"])
        #expect(result.status == 64)
    }
}
