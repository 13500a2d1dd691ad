import Foundation
import RunningHubModel
import RunningHubSimulator
import Testing

@testable import RHBatchCore

/// Model fields beyond prompt and image: every kind, set from manifests, checked before any spend.
@Suite("Model fields")
struct FieldTests {
    func fixture() throws -> Fixture {
        let fixture = try Fixture()
        try fixture.png("room.png")
        // A real MP4 and MP3 (the simulator's), for video and audio fields.
        try fixture.write("clip.mp4", try #require(ResultFiles.video))
        try fixture.write("tone.mp3", try #require(ResultFiles.mp3))
        return fixture
    }

    let kling = "kling-v3.0-pro/image-to-video"

    @Test func fieldsOfEveryKindReachTheBodyTyped() throws {
        let plan = try fixture().plan(
            """
            version: 1
            jobs:
              - {model: \(kling), prompt: Waves., image: room.png, duration: 7, sound: no, cfg_scale: 0.5, negative_prompt: blur, shotType: customize}
              - {model: alibaba/wan-2.5-preview/text-to-image, prompt: A fox., seed: 42, prompt_extend: true}
            """)
        let video = try #require(plan.jobs.first)
        let body = Dictionary(uniqueKeysWithValues: video.bodyFields.map { ($0.key, $0.value) })
        #expect(body["duration"] == .string("7")) // a choice: the registry's string
        #expect(body["sound"] == .boolean(false))
        #expect(body["cfgScale"] == .number(0.5))
        #expect(body["negativePrompt"] == .string("blur"))
        #expect(body["shotType"] == .string("customize")) // the vendor's spelling works too
        #expect(video.options["duration"] == "7")
        // The price is per second: 7 × the no-sound rate.
        #expect(video.price == Money(micros: 7 * Money("0.69")!.micros))
        let image = try #require(plan.jobs.last)
        #expect(image.bodyFields.contains(Param(key: "seed", value: .integer(42))))
        #expect(image.image.sources.isEmpty)
    }

    @Test func matrixAxesOverAnyField() throws {
        let plan = try fixture().plan(
            """
            version: 1
            layout: "{model}/{seed}_{duration}.{ext}"
            matrix:
              model: alibaba/wan-2.5-preview/image-to-video
              prompt: Waves.
              image: room.png
              seed: [1, 2, 3]
              duration: ["5", "10"]
            """)
        #expect(plan.jobs.count == 6)
        #expect(
            plan.jobs.map { $0.outputPath(fileExtension: "mp4") }.contains("wan-2.5-preview-image-to-video/3_10.mp4"))
        #expect(Set(plan.jobs.map(\.key)).count == 6)
    }

    @Test func badValuesAreLocatedErrorsWithWhatIsAccepted() throws {
        let errors = try fixture().errors(
            """
            version: 1
            jobs:
              - {model: \(kling), prompt: P., image: room.png, duration: "2"}
              - {model: \(kling), prompt: P., image: room.png, cfg_scale: 3}
              - {model: \(kling), prompt: P., image: room.png, sound: maybe}
              - {model: alibaba/wan-2.5-preview/text-to-image, prompt: P., seed: abc}
              - {model: seedream-v4.5/text-to-image, prompt: P., width: 100}
              - {model: seedream-v4.5/text-to-image, prompt: P., width: 1001}
              - {model: \(kling), prompt: P., image: room.png, negative_prompt: "\(String(repeating: "x", count: 2501))"}
            """)
        #expect(errors.count == 7)
        #expect(
            errors[0]
                == "m.yaml:3:83: error: jobs[0].duration: \"2\" is not accepted by kling-v3.0-pro-image-to-video (accepted: 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15)"
        )
        #expect(
            errors[1].contains(
                "jobs[1].cfg_scale: 3 is above 1: kling-v3.0-pro-image-to-video's 'cfg_scale' takes a number from 0 to 1"
            ))
        #expect(errors[2].contains("jobs[2].sound: \"maybe\" is not true or false"))
        #expect(errors[3].contains("jobs[3].seed: \"abc\" is not an integer"))
        #expect(errors[4].contains("jobs[4].width: 100 is below 512"))
        #expect(errors[5].contains("jobs[5].width: 1001 is not a multiple of the step 8"))
        #expect(errors[6].contains("jobs[6].negative_prompt: the text has 2501 characters, more than 2500"))
    }

    @Test func mediaFieldsAreCheckedByTheirBytes() throws {
        let fixture = try fixture()
        // 101 MB of MP4 for a field that takes 100 MB, and a PNG where a video belongs.
        var big = try #require(ResultFiles.video)
        big += [UInt8](repeating: 0, count: 101 * 1024 * 1024 - big.count)
        try fixture.write("big.mp4", big)
        let errors = try fixture.errors(
            """
            version: 1
            jobs:
              - {model: alibaba/happyhorse-1.0/video-edit, prompt: P., video_url: room.png}
              - {model: alibaba/happyhorse-1.0/video-edit, prompt: P., video_url: big.mp4}
              - {model: kling-v3.0-pro/image-to-video, prompt: P., image: room.png, last_image_url: [room.png, room.png]}
            """)
        #expect(errors.count == 3)
        #expect(
            errors[0].contains(
                "jobs[0].video_url: 'room.png' is a PNG image; happyhorse-1.0-video-edit accepts MP4, MOV"))
        #expect(
            errors[1].contains(
                "jobs[1].video_url: 'big.mp4' is 101.0 MB; happyhorse-1.0-video-edit accepts at most 100.0 MB"))
        #expect(
            errors[2].contains(
                "jobs[2].last_image_url: kling-v3.0-pro-image-to-video takes one image for 'last_image_url'; this input has 2"
            ))
        // A good video is uploaded once per content and sent under its own key.
        let plan = try fixture.plan(
            "version: 1\njobs:\n  - {model: alibaba/happyhorse-1.0/video-edit, prompt: P., video_url: clip.mp4}\n")
        let job = try #require(plan.jobs.first)
        #expect(job.media.map(\.apiKey) == ["videoUrl"])
        #expect(job.allSources.count == 1)
        #expect(plan.localImages.map(\.format) == [.mp4])
    }

    @Test func requiredFieldsWithoutDefaultsAndContentFieldsNeedValues() throws {
        let catalog = ModelCatalog.builtIn
        let restyle = try #require(catalog.model(named: "skyreels-v3/video-restyling"))
        let styleField = try #require(restyle.field(named: "style_name"))
        #expect(styleField.required && styleField.defaultValue == nil)
        let errors = try fixture().errors(
            """
            version: 1
            jobs:
              - {model: skyreels-v3/video-restyling, video_url: clip.mp4}
              - {model: rhart-audio/text-to-audio/speech-2.8-turbo}
            """)
        #expect(
            errors.contains {
                $0.contains("jobs[0]: skyreels-v3-video-restyling needs 'style_name'")
                    && $0.contains("it has no default")
            })
        // The speech model's text has an example sentence as its default; it is never sent.
        #expect(errors.contains { $0.contains("jobs[1]: minimax-speech-2.8-turbo needs a prompt (its 'text' field)") })
    }

    @Test func unknownFieldsGetAHint() throws {
        let errors = try fixture().errors(
            "version: 1\njobs:\n  - {model: alibaba/wan-2.5-preview/text-to-image, prompt: P., sead: 4}\n")
        #expect(
            errors == [
                "m.yaml:3:64: error: jobs[0].sead: unknown key 'sead' (did you mean 'seed'?): no model of the catalog has such a field"
            ])
    }

    @Test func aJobThatNamesItsModelGetsHintsAmongThatModelsFields() throws {
        let errors = try fixture().errors(
            "version: 1\njobs:\n  - {model: \(kling), prompt: P., image: room.png, sond: false, shot_typ: customize}\n")
        #expect(errors.count == 2)
        #expect(errors[0].contains("jobs[0].sond: unknown key 'sond' (did you mean 'sound'?)"))
        #expect(errors[1].contains("jobs[0].shot_typ: unknown key 'shot_typ' (did you mean 'shot_type'?)"))
    }

    @Test func textToXModelsTakeNoImageAndUpscalersNoPrompt() throws {
        let plan = try fixture().plan(
            """
            version: 1
            matrix:
              prompt: A fox.
              image: room.png
              model: [seedream-v4.5/text-to-image, topazlabs/image-upscale-standard-v2]
            """)
        #expect(plan.jobs.count == 2)
        let textToImage = try #require(plan.jobs.first { $0.endpoint.hasPrefix("seedream") })
        #expect(textToImage.image.sources.isEmpty && textToImage.image.id == "no-image")
        let upscaler = try #require(plan.jobs.first { $0.endpoint.hasPrefix("topazlabs") })
        #expect(upscaler.prompt.text.isEmpty && upscaler.prompt.id == "no-prompt")
        let model = try #require(ModelCatalog.builtIn.model(named: upscaler.endpoint))
        let body = upscaler.body(urls: ["https://x/1.png"], model: model).canonical
        #expect(!body.contains("prompt") && body.contains("https://x/1.png"))
    }

    @Test func unknownPricesAreShownInThePlan() throws {
        let plan = try fixture().plan(
            "version: 1\njobs:\n  - {model: alibaba/wan-2.7/reference-to-video, prompt: P., image: room.png}\n")
        #expect(plan.unpricedJobs == 1)
        #expect(plan.summaryText().contains("price unknown"))
    }

    @Test func theSeedModelsKeepTheirBodiesAndKeys() throws {
        // Keys computed before the catalog came from the registry: resume finds the same jobs.
        let plan = try fixture().plan(
            """
            version: 1
            jobs:
              - {model: nano-banana-pro, prompt: Make it green., image: room.png}
              - {model: gpt-image-2, prompt: Make it green., image: room.png, aspect_ratio: "1:3"}
              - {model: grok-imagine, prompt: Make it green., image: room.png}
            """)
        let bodies = try plan.jobs.map { job in
            job.body(urls: ["https://u/1.png"], model: try #require(ModelCatalog.builtIn.model(named: job.endpoint)))
                .json
        }
        #expect(
            bodies == [
                #"{"prompt":"Make it green.","imageUrls":["https://u/1.png"],"resolution":"1k"}"#,
                #"{"prompt":"Make it green.","imageUrls":["https://u/1.png"],"aspectRatio":"1:3","resolution":"2k","quality":"medium"}"#,
                #"{"prompt":"Make it green.","image":"https://u/1.png"}"#,
            ])
    }
}

/// Content fields by their vendor names (issue 28): every name the tool suggests is one it takes.
@Suite("Content fields by vendor name")
struct ContentFieldNameTests {
    func body(_ plan: Plan, _ index: Int = 0) throws -> [String: JSONValue] {
        let job = plan.jobs[index]
        let model = try #require(plan.catalog.model(named: job.model))
        guard case .object(let members) = job.body(urls: job.allSources.map { _ in "https://x/y.png" }, model: model)
        else { return [:] }
        return Dictionary(members, uniquingKeysWith: { first, _ in first })
    }

    @Test func textIsASpeechModelsPrompt() throws {
        let fixture = try Fixture()
        for key in ["text", "prompt"] {
            let plan = try fixture.plan(
                "version: 1\njobs:\n  - {model: minimax-speech-2.8-turbo, \(key): Good evening.}\n")
            #expect(plan.jobs[0].prompt.text == "Good evening.")
            #expect(try body(plan)["text"] == .string("Good evening."), "\(key)")
        }
        // As a matrix axis too.
        let axis = try fixture.plan(
            "version: 1\nmatrix: {model: minimax-speech-2.8-turbo, text: [Good evening., Good night.]}\n")
        #expect(axis.jobs.map(\.prompt.text) == ["Good evening.", "Good night."])
        // A prompt under defaults is overridden by a job's own text.
        let overridden = try fixture.plan(
            "version: 1\ndefaults: {prompt: Hello.}\njobs:\n  - {model: minimax-speech-2.8-turbo, text: Bye.}\n")
        #expect(overridden.jobs[0].prompt.text == "Bye.")
        // A job's own prompt wins over a text under defaults; a job's own text over a prompt there.
        let ownPrompt = try fixture.plan(
            "version: 1\ndefaults: {text: Hello.}\njobs:\n  - {model: minimax-speech-2.8-turbo, prompt: Bye.}\n")
        #expect(ownPrompt.jobs[0].prompt.text == "Bye.")
        // Both names in one job: one field set twice.
        let twice = try fixture.errors(
            "version: 1\njobs:\n  - {model: minimax-speech-2.8-turbo, prompt: A., text: B.}\n")
        #expect(
            twice == [
                "m.yaml:3:57: error: jobs[0].text: 'text' and 'prompt' both set minimax-speech-2.8-turbo's prompt (its 'text' field): set one of them"
            ])
    }

    @Test func textPromptByEitherSpelling() throws {
        let fixture = try Fixture()
        for key in ["textPrompt", "text_prompt"] {
            let plan = try fixture.plan(
                "version: 1\njobs:\n  - {model: marble-1.0-image-to-world, \(key): A canyon at dusk.}\n")
            #expect(try body(plan)["textPrompt"] == .string("A canyon at dusk."), "\(key)")
        }
    }

    @Test func lyricsAndNegativePromptAreFieldsByTheirNames() throws {
        let fixture = try Fixture()
        let music = try fixture.plan(
            "version: 1\njobs:\n  - {model: minimax-music-2.5, prompt: Calm piano., lyrics: \"La la la.\"}\n")
        #expect(try body(music)["lyrics"] == .string("La la la."))
        #expect(try body(music)["prompt"] == .string("Calm piano."))
        try fixture.png("room.png")
        for key in ["negativePrompt", "negative_prompt"] {
            let plan = try fixture.plan(
                "version: 1\njobs:\n  - {model: qwen-image-2.0-image-edit, prompt: Make it green., image: room.png, \(key): blur}\n"
            )
            #expect(try body(plan)["negativePrompt"] == .string("blur"), "\(key)")
        }
    }

    /// Every number in every model's description is written as a number: no zero padding, a
    /// minus sign only in front.
    @Test func everyModelsRangesAreWellFormed() throws {
        let number = #/-?(0|[1-9][0-9]*)(\.[0-9]+)?/#
        var checked = 0
        for model in ModelCatalog.builtIn.models {
            for field in model.fields {
                let text = field.accepted
                for match in text.matches(of: #/(from|to|≥|≤|steps of) (\S+?)(?=[;,]|\s|$)/#) {
                    let value = String(match.output.2)
                    #expect(value.wholeMatch(of: number) != nil, "\(model.alias).\(field.name): \(text)")
                    checked += 1
                }
            }
        }
        #expect(checked > 100)
        let pitch = try #require(ModelCatalog.builtIn.model(named: "minimax-speech-2.8-turbo")?.field(named: "pitch"))
        #expect(pitch.accepted == "an integer from -12 to 12")
        let maxImages = try #require(
            ModelCatalog.builtIn.model(named: "seedream-v4-text-to-image")?.field(named: "max_images"))
        #expect(maxImages.accepted == "an integer from 1 to 15")
    }
}
