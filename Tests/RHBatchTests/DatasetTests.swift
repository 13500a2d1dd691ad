import Foundation
import RHBatchCore
import RunningHubSimulator
import Testing

@testable import rh_batch

/// The output folder as a dataset: `metadata.jsonl` and `inputs/`, loaded by the real Hugging Face
/// `datasets` library (installed by `.ci/run`).
@Suite("dataset folder")
struct DatasetTests {
    static let datasetsPresent: Bool = {
        if ProcessInfo.processInfo.environment["CI"] == "true" { return true }
        return (try? DocsTests.shell(["python3", "-c", "import datasets, PIL"]))?.status == 0
    }()

    /// Two prompts (one refused by moderation) × two rooms × two models × 2 samples, plus a job
    /// with two input images.
    static let manifest = """
        version: 1
        name: dataset
        output: out
        concurrency: 8
        layout: "{prompt}/{model}_{image}_{sample}_{key}.{ext}"
        prompts:
          green: Make it green.
          bad: Make it FORBIDDEN.
        matrix:
          prompt: [green, bad]
          image: [room.png, sofa.png]
          model: [gpt-image-2, nano-banana-pro]
          samples: 2
        jobs:
          - prompt: Put the rug under the sofa.
            image: [sofa.png, rug.png]
            model: nano-banana-pro

        """

    struct Row: Decodable {
        var key: String
        var prompt: String
        var model: String
        var image: [Int]
        var inputs: [[Int]]
    }

    struct Loaded: Decodable {
        var inputFeature: String
        var rows: [Row]

        enum CodingKeys: String, CodingKey {
            case rows
            case inputFeature = "input_feature"
        }
    }

    static func load(_ folder: String, byCard: Bool = false) throws -> Loaded {
        let cache = FileManager.default.temporaryDirectory.path + "/rh-hf-cache-" + UUID().uuidString
        defer { try? FileManager.default.removeItem(atPath: cache) }
        let result = try DocsTests.shell(
            ["python3", DocsTests.root + "/Tests/Tools/load_dataset.py", folder, cache] + (byCard ? ["card"] : []))
        let json = try #require(result.output.split(separator: "\n").last { $0.hasPrefix("{") }, "\(result.output)")
        return try JSONDecoder().decode(Loaded.self, from: Data(json.utf8))
    }

    @Test(.enabled(if: datasetsPresent, "needs python3 with datasets and Pillow (CI installs them)"))
    func theFolderLoadsAsAnImageFolderDatasetWhereverItIs() async throws {
        let harness = try RunHarness()
        let result = try await harness.run(
            Self.manifest, simulator: .init(scenarios: [.moderation], latency: 0.02...0.05))
        #expect(result.outcome.totals.failed == 8)
        let report = try RunHarness.json(result.output + "/report.json")
        let jobs = try #require(report["jobs"] as? [[String: Any]])
        let succeeded = jobs.filter { $0["status"] as? String == "succeeded" }
        let results = succeeded.reduce(0) { $0 + (($1["outputs"] as? [Any])?.count ?? 0) }
        #expect(succeeded.count == 9 && results == 9)

        let loaded = try await offPool { try DatasetTests.load(result.output) }
        #expect(loaded.rows.count == results)
        #expect(loaded.inputFeature.contains("List(Image"), "\(loaded.inputFeature)")
        #expect(Set(loaded.rows.map(\.key)) == Set(succeeded.compactMap { $0["key"] as? String }))
        #expect(Set(loaded.rows.map(\.prompt)) == ["Make it green.", "Put the rug under the sofa."])
        #expect(Set(loaded.rows.map(\.model)) == ["gpt-image-2", "nano-banana-pro"])
        for row in loaded.rows {
            let job = try #require(succeeded.first { $0["key"] as? String == row.key })
            #expect(row.inputs.count == (job["images"] as? [Any])?.count)
            #expect(row.image.allSatisfy { $0 > 0 } && row.inputs.allSatisfy { $0 == [8, 6] })
        }
        // Nothing in metadata.jsonl points outside the folder: moved elsewhere, it loads the same.
        let moved = FileManager.default.temporaryDirectory.path + "/rh-moved-" + UUID().uuidString
        defer { try? FileManager.default.removeItem(atPath: moved) }
        try FileManager.default.moveItem(atPath: result.output, toPath: moved)
        let again = try await offPool { try DatasetTests.load(moved) }
        #expect(again.rows.count == results)
        #expect(Set(again.rows.map(\.key)) == Set(loaded.rows.map(\.key)))
    }

    @Test func rerunsKeepMetadataAndInputsInStepWithTheResults() async throws {
        let harness = try RunHarness()
        try await harness.withSimulator(.init(scenarios: [.moderation], latency: 0.02...0.05)) { session in
            let first = try await session.run(Self.manifest)
            var lines = try Self.metadata(first.output)
            #expect(lines.count == 9)
            #expect(Set(lines.flatMap { $0["input_file_names"] as? [String] ?? [] }).count == 3)
            // Inputs are placed once per content, inside the folder.
            let inputs = try FileManager.default.contentsOfDirectory(atPath: first.output + "/inputs").filter {
                !$0.hasPrefix(".")
            }
            #expect(inputs.count == 3)
            for line in lines {
                for name in [line["file_name"] as? String ?? "?"] + (line["input_file_names"] as? [String] ?? []) {
                    #expect(FileManager.default.fileExists(atPath: first.output + "/" + name), "\(name)")
                    #expect(!name.hasPrefix("/") && !name.contains(".."))
                }
                #expect(line.keys.sorted() == lines[0].keys.sorted(), "every line has the same columns")
            }
            // A deleted result is fetched again and listed again; a new prompt's results appear.
            let gone = try #require(lines.first?["file_name"] as? String)
            try FileManager.default.removeItem(atPath: first.output + "/" + gone)
            let more = Self.manifest.replacingOccurrences(
                of: "prompt: [green, bad]", with: "prompt: [green, bad, 'Make it gold.']")
            let second = try await session.run(more)
            lines = try Self.metadata(second.output)
            #expect(lines.count == 17)
            #expect(lines.contains { $0["file_name"] as? String == gone })
            #expect(lines.contains { $0["prompt"] as? String == "Make it gold." })
            #expect(FileManager.default.fileExists(atPath: second.output + "/" + gone))
            #expect(second.ledger.submitsAccepted == first.ledger.submitsAccepted + 8)
        }
    }

    @Test(.enabled(if: datasetsPresent, "needs python3 with datasets and Pillow (CI installs them)"))
    func theDatasetCardLoadsTheFolderAndAnEditedCardIsKept() async throws {
        let harness = try RunHarness()
        let manifest = Self.manifest.replacingOccurrences(
            of: "output: out\n", with: "output: out\ndataset_card: true\n")
        try await harness.withSimulator(.init(scenarios: [.moderation], latency: 0.02...0.05)) { session in
            let first = try await session.run(manifest)
            let card = try String(contentsOfFile: first.output + "/README.md", encoding: .utf8)
            #expect(card.hasPrefix("---\n"))
            #expect(card.contains("configs:") && card.contains("- metadata.jsonl") && card.contains("\"**/*.png\""))
            #expect(card.contains("| gpt-image-2 | 4 |") && card.contains("| nano-banana-pro | 5 |"))
            #expect(card.contains("| Make it green. | 8 |") && !card.contains("FORBIDDEN"))
            // The Hub's way: load_dataset(folder) reads the card's configs.
            let loaded = try await offPool { try DatasetTests.load(first.output, byCard: true) }
            #expect(loaded.rows.count == 9)
            #expect(loaded.rows.allSatisfy { !$0.inputs.isEmpty })

            // A card the user edited is never overwritten, by a run or by export-card.
            let edited = card + "\nOur notes.\n"
            try Data(edited.utf8).write(to: URL(fileURLWithPath: first.output + "/README.md"))
            let more = manifest.replacingOccurrences(
                of: "prompt: [green, bad]", with: "prompt: [green, bad, 'Make it gold.']")
            _ = try await session.run(more)
            #expect(try String(contentsOfFile: first.output + "/README.md", encoding: .utf8) == edited)
            let export = try await offPool { try CLI.run(["export-card", first.output]) }
            #expect(export.status == 1)
            #expect(export.stderr.contains("was edited"))
            try FileManager.default.removeItem(atPath: first.output + "/README.md")
            let fresh = try await offPool { try CLI.run(["export-card", first.output]) }
            #expect(fresh.status == 0, "\(fresh.stderr)")
            #expect(
                try String(contentsOfFile: first.output + "/README.md", encoding: .utf8).contains(
                    "| Make it gold. | 8 |"))
        }
    }

    static func metadata(_ folder: String) throws -> [[String: Any]] {
        try String(contentsOfFile: folder + "/metadata.jsonl", encoding: .utf8).split(separator: "\n").map {
            try JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any] ?? [:]
        }
    }

    @Test func remoteInputsAreFetchedIntoTheFolderOrListedByURL() async throws {
        let harness = try RunHarness()
        try await harness.withSimulator(.init(latency: 0.02...0.05)) { session in
            // An input the manifest names by URL: an image the simulator serves.
            let png = PNGEncoder.solid(width: 5, height: 4, color: (10, 20, 30))
            _ = await session.state.storeUpload(png, name: "remoteinput")
            let url = session.baseURL + "/view?filename=remoteinput.png"
            let manifest =
                "version: 1\nname: remote\noutput: out\njobs:\n  - {prompt: Make it green., image: '\(url)', model: grok-imagine}\n  - {prompt: Make it green., image: room.png, model: grok-imagine}\n"
            let fetched = try await session.run(manifest)
            #expect(fetched.outcome.exitCode == 0, "\(fetched.outcome.summary)")
            var lines = try Self.metadata(fetched.output)
            #expect(lines.count == 2)
            #expect(lines.allSatisfy { $0["input_urls"] == nil }, "every input is inside the folder")
            let remote = try #require(
                lines.first { ($0["input_file_names"] as? [String])?.first?.hasPrefix("inputs/url-") == true })
            let path = try #require((remote["input_file_names"] as? [String])?.first)
            #expect(path.hasSuffix(".png"))
            #expect(try Data(contentsOf: URL(fileURLWithPath: fetched.output + "/" + path)) == Data(png))

            // Listed by URL only, when asked.
            try FileManager.default.removeItem(atPath: fetched.output)
            let listed = try await session.run(manifest) { $0.fetchRemoteInputs = false }
            lines = try Self.metadata(listed.output)
            let byURL = try #require(lines.first { ($0["input_urls"] as? [String])?.isEmpty == false })
            #expect(byURL["input_urls"] as? [String] == [url])
            #expect((byURL["input_file_names"] as? [String])?.isEmpty == true)
            #expect(lines.allSatisfy { $0["input_urls"] != nil }, "the same columns on every line")
        }
    }

    @Test func anInputThatIsASymbolicLinkIsPlacedAsTheImageItself() async throws {
        let harness = try RunHarness()
        try FileManager.default.createSymbolicLink(
            atPath: harness.folder.path + "/linked.png", withDestinationPath: "room.png")
        let manifest =
            "version: 1\nname: linked\noutput: out\njobs:\n  - {prompt: Make it green., image: linked.png, model: grok-imagine}\n"
        let result = try await harness.run(manifest)
        #expect(result.outcome.exitCode == 0, "\(result.outcome.summary)")
        let line = try #require(try Self.metadata(result.output).first)
        let input = try #require((line["input_file_names"] as? [String])?.first)
        let attributes = try FileManager.default.attributesOfItem(atPath: result.output + "/" + input)
        #expect(attributes[.type] as? FileAttributeType == .typeRegular, "inputs/ must hold the image, not a link")
        #expect(
            try Data(contentsOf: URL(fileURLWithPath: result.output + "/" + input))
                == Data(contentsOf: URL(fileURLWithPath: harness.folder.path + "/room.png")))
    }
}

/// A run's output folder as the next run's input: its `metadata.jsonl` as `rows`.
@Suite("dataset round trip")
struct DatasetRoundTripTests {
    @Test func aRunsMetadataIsTheRowsOfTheNextRun() async throws {
        let harness = try RunHarness()
        try await harness.withSimulator(.init(latency: 0.02...0.05)) { session in
            let first = try await session.run(
                """
                version: 1
                name: first
                output: first
                prompts: {green: Make it green., neon: Make it neon.}
                matrix: {prompt: [green, neon], image: [room.png, sofa.png], model: gpt-image-2}

                """)
            #expect(first.outcome.exitCode == 0, "\(first.outcome.summary)")
            let lines = try DatasetTests.metadata(first.output)
            #expect(lines.count == 4)

            // Each result is the input of a second edit pass, with its line's prompt.
            let second = try await session.run(
                """
                version: 1
                name: second
                output: second
                matrix: {rows: first/metadata.jsonl, model: grok-imagine}

                """)
            #expect(second.outcome.exitCode == 0, "\(second.outcome.summary)")
            #expect(second.plan.jobs.count == 4)
            for line in lines {
                let fileName = try #require(line["file_name"] as? String)
                let job = try #require(
                    second.plan.jobs.first { $0.image.sources.map(\.reference) == ["first/" + fileName] },
                    "no job edits \(fileName)")
                #expect(job.prompt.text == line["prompt"] as? String)
                #expect(job.model == "grok-imagine")
            }
            // What the second pass sent is the first pass's results: its inputs are their bytes.
            let firstHashes = Set(lines.compactMap { ($0["sha256"] as? String).map { String($0.prefix(16)) } })
            let inputs = try DatasetTests.metadata(second.output).compactMap {
                ($0["input_file_names"] as? [String])?.first
            }
            #expect(inputs.count == 4)
            #expect(Set(inputs.map { String($0.dropFirst("inputs/".count).prefix(16)) }) == firstHashes)
            #expect(second.ledger.billed.count == 8, "4 jobs a pass, each billed once")
        }
    }
}
