import Foundation
import RHBatchCore
import RunningHubModel
import RunningHubSimulator
import Testing

@testable import rh_batch

/// Models of every kind from the vendor's registry, run end to end against the simulator (which
/// validates every body by the registry on its own and returns a real file of each kind).
@Suite("every model")
struct EveryModelTests {
    static let catalog = ModelCatalog.builtIn

    /// A `jobs` entry for a model: its prompt and image, and a valid value for every field it
    /// needs that has no default (first choice, the minimum, a sample file).
    static func job(_ model: ModelSpec, prompt: String = "A calm test scene.") -> String {
        var lines = ["  - model: \(model.endpoint)"]
        if model.prompt != nil { lines.append("    prompt: \(prompt)") }
        if model.image != nil { lines.append("    image: room.png") }
        for field in model.otherFields {
            let needsValue = field.required && (field.isContent || field.defaultValue == nil || field.media != nil)
            guard needsValue else { continue }
            let value: String
            switch field.kind {
            case .string: value = "\"A test text.\""
            case .choice(let values): value = "\"\(values.first ?? "")\""
            case .integer(let min, _, _): value = String(min ?? 1)
            case .number(let min, _, _): value = String(min ?? 0)
            case .boolean: value = "false"
            case .media(let media):
                value = media.kind == .image ? "room.png" : media.kind == .video ? "clip.mp4" : "tone.mp3"
            }
            lines.append("    \(field.name): \(value)")
        }
        return lines.joined(separator: "\n")
    }

    static func manifest(_ models: [ModelSpec], layout: String = "{model}/{key}.{ext}") -> String {
        "version: 1\nname: every\nconcurrency: 16\nlayout: \"\(layout)\"\njobs:\n"
            + models.map { job($0) }.joined(separator: "\n") + "\n"
    }

    static func harness() throws -> RunHarness {
        let harness = try RunHarness()
        try harness.folder.write("clip.mp4", Data(try #require(ResultFiles.video)))
        try harness.folder.write("tone.mp3", Data(try #require(ResultFiles.mp3)))
        return harness
    }

    static func report(_ output: String) throws -> [[String: Any]] {
        try RunHarness.json(output + "/report.json")["jobs"] as? [[String: Any]] ?? []
    }

    static func outputs(_ job: [String: Any]) -> [String] {
        ((job["outputs"] as? [[String: Any]]) ?? []).compactMap { $0["path"] as? String }
    }

    @Test func everyImageModelRunsEndToEnd() async throws {
        let models = Self.catalog.models.filter { $0.output == .image && $0.unsupported == nil }
        // Two deprecated models have endpoints that are not URL paths; they are listed as unsupported.
        #expect(models.count == 65)
        #expect(Self.catalog.models.filter { $0.output == .image && $0.unsupported != nil }.count == 2)
        let harness = try Self.harness()
        try await harness.withSimulator(.init(latency: 0.01...0.05)) { session in
            let result = try await session.run(Self.manifest(models))
            #expect(result.outcome.exitCode == 0, "\(result.outcome.summary)")
            #expect(result.ledger.billed.count == 65)
            let jobs = try Self.report(result.output)
            #expect(jobs.count == 65)
            for job in jobs {
                #expect(job["status"] as? String == "succeeded", "\(job["model"] ?? "") \(job["failure"] ?? "")")
                for path in Self.outputs(job) {
                    let head = try #require(FileHandle(forReadingAtPath: result.output + "/" + path)).readData(
                        ofLength: 64)
                    #expect(MediaFormat(magic: Array(head))?.kind == .image, "\(path)")
                }
            }
        }
    }

    @Test func oneModelOfEveryOtherKindRunsEndToEnd() async throws {
        let kling = try #require(Self.catalog.model(named: "kling-v3.0-std/image-to-video"))
        let speech = try #require(Self.catalog.model(named: "rhart-audio/text-to-audio/speech-2.8-turbo"))
        let hitem = try #require(Self.catalog.model(named: "hitem3d-v2/image-to-3d"))
        let reader = try #require(Self.catalog.model(named: "rhart-text-g-25-flash/image-to-text"))
        let textToImage = try #require(Self.catalog.model(named: "alibaba/wan-2.5-preview/text-to-image"))
        #expect(kling.output == .video && kling.price.unit == .second)
        #expect(speech.output == .audio && speech.price.unit == .thousandCharacters && speech.prompt?.apiKey == "text")
        #expect(hitem.output == .model3D && hitem.prompt == nil)
        #expect(reader.output == .text)
        #expect(textToImage.image == nil)
        let longText = String(repeating: "Read this sentence aloud. ", count: 60) // 1,560 characters: two thousands
        let manifest = """
            version: 1
            name: kinds
            layout: "{model}/{key}.{ext}"
            jobs:
              - {model: kling-v3.0-std/image-to-video, prompt: The curtains move in the wind., image: room.png, duration: "7", sound: false}
              - {model: rhart-audio/text-to-audio/speech-2.8-turbo, prompt: "\(longText)"}
              - {model: hitem3d-v2/image-to-3d, image: room.png}
              - {model: rhart-text-g-25-flash/image-to-text, prompt: Describe the room., image: room.png}
              - {model: alibaba/wan-2.5-preview/text-to-image, prompt: A lighthouse at dawn., seed: 7}

            """
        let harness = try Self.harness()
        try await harness.withSimulator(.init(latency: 0.01...0.05)) { session in
            let result = try await session.run(manifest)
            #expect(result.outcome.exitCode == 0, "\(result.outcome.summary)")
            let jobs = try Self.report(result.output)
            let byModel = Dictionary(uniqueKeysWithValues: jobs.map { ($0["endpoint"] as? String ?? "", $0) })
            func file(_ endpoint: String) throws -> (path: String, bytes: [UInt8]) {
                let job = try #require(byModel[endpoint])
                let path = try #require(Self.outputs(job).first)
                return (path, Array(try Data(contentsOf: URL(fileURLWithPath: result.output + "/" + path))))
            }
            let video = try file("kling-v3.0-std/image-to-video")
            #expect(video.path.hasSuffix(".mp4") && MediaFormat(magic: video.bytes) == .mp4)
            let audio = try file("rhart-audio/text-to-audio/speech-2.8-turbo")
            #expect(
                MediaFormat(magic: audio.bytes)?.kind == .audio
                    && (audio.path.hasSuffix(".wav") || audio.path.hasSuffix(".mp3")))
            let model = try file("hitem3d-v2/image-to-3d")
            #expect(model.path.hasSuffix(".glb") && MediaFormat(magic: model.bytes) == .glb)
            let text = try file("rhart-text-g-25-flash/image-to-text")
            #expect(
                text.path.hasSuffix(".txt") && String(decoding: text.bytes, as: UTF8.self).hasPrefix("Simulated answer")
            )
            let image = try file("alibaba/wan-2.5-preview/text-to-image")
            #expect(image.path.hasSuffix(".png"))

            // Prices: per second × duration, per started 1000 characters; the simulator billed the same.
            let perSecond = try #require(kling.price.amount(for: ["sound": .boolean(false)]))
            let perThousand = try #require(speech.price.amount(for: [:]))
            let planned = Dictionary(uniqueKeysWithValues: result.plan.jobs.map { ($0.endpoint, $0.price) })
            #expect(planned["kling-v3.0-std/image-to-video"] == Money(micros: perSecond.micros * 7))
            #expect(planned["rhart-audio/text-to-audio/speech-2.8-turbo"] == Money(micros: perThousand.micros * 2))
            let billed = Dictionary(uniqueKeysWithValues: result.ledger.billed.map { ($0.endpoint, $0.price) })
            #expect(abs((billed["kling-v3.0-std/image-to-video"] ?? 0) - Double(perSecond.micros * 7) / 1e6) < 1e-9)
            #expect(
                abs((billed["rhart-audio/text-to-audio/speech-2.8-turbo"] ?? 0) - Double(perThousand.micros * 2) / 1e6)
                    < 1e-9)
            // The body carries the fields by their vendor keys, typed: duration as the registry's
            // string choice, sound as a boolean, seed as an integer.
            let bodies = result.ledger.billed.map(\.body)
            #expect(
                bodies.contains {
                    $0.contains("\"duration\":\"7\"") && $0.contains("\"sound\":false")
                        && $0.contains("\"firstImageUrl\":\"http")
                })
            #expect(bodies.contains { $0.contains("\"seed\":7") })
        }
    }

    @Test(
        .enabled(
            if: FileManager.default.isExecutableFile(atPath: "/usr/bin/ffprobe")
                || ProcessInfo.processInfo.environment["CI"] == "true", "needs ffprobe (CI installs ffmpeg)"))
    func theSimulatorsVideoAndAudioResultsAreRealMedia() throws {
        let folder = try TempFolder()
        try folder.write("v.mp4", Data(try #require(ResultFiles.video)))
        try folder.write("a.mp3", Data(try #require(ResultFiles.mp3)))
        try folder.write("a.wav", Data(ResultFiles.wav(seed: 4)))
        for (name, codec) in [("v.mp4", "h264"), ("a.mp3", "mp3"), ("a.wav", "pcm_s16le")] {
            let probe = try CLI.runTool(
                "/usr/bin/ffprobe",
                ["-v", "error", "-show_entries", "stream=codec_name", "-of", "csv=p=0", folder.path + "/" + name])
            #expect(probe.status == 0)
            #expect(
                probe.stdout.split(separator: "\n").first.map(String.init) == codec,
                "\(name): \(probe.stdout) \(probe.stderr)")
        }
    }
}
