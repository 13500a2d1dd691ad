import Foundation
import Testing
import YAML

@testable import RHBatchCore

@Suite("Planner")
struct PlannerTests {
    func roomsFixture() throws -> Fixture {
        let fixture = try Fixture()
        try fixture.png("room.png", seed: 1)
        try fixture.png("rooms/b.png", seed: 2)
        try fixture.png("rooms/a.png", seed: 3)
        try fixture.png("rooms/c.png", seed: 4)
        return fixture
    }

    @Test func matrixExpandsInDocumentedOrder() throws {
        let plan = try roomsFixture().plan(
            """
            version: 1
            prompts: {p1: One., p2: Two.}
            matrix:
              - prompt: [p1, p2]
                image: [room.png, rooms/*.png]
                model: [gpt-image-2, nano-banana-pro]
                aspect_ratio: ["16:9", "1:1"]
              - prompt: p1
                image: room.png
                model: gpt-image-2
                quality: [low, high]
            jobs:
              - {prompt: Three., image: room.png, model: grok-imagine}

            """
        )
        #expect(plan.jobs.count == 2 * 4 * 2 * 2 + 2 + 1)
        let first = plan.jobs.prefix(9).map {
            "\($0.prompt.id) \($0.image.id) \($0.model) \($0.options["aspect_ratio"] ?? "-")"
        }
        #expect(
            first == [
                "p1 room gpt-image-2 16:9", "p1 room gpt-image-2 1:1",
                "p1 room nano-banana-pro 16:9", "p1 room nano-banana-pro 1:1",
                "p1 a gpt-image-2 16:9", "p1 a gpt-image-2 1:1",
                "p1 a nano-banana-pro 16:9", "p1 a nano-banana-pro 1:1",
                "p1 b gpt-image-2 16:9",
            ])
        #expect(plan.jobs[32].options["quality"] == "low")
        #expect(plan.jobs[33].options["quality"] == "high")
        #expect(plan.jobs[34].model == "grok-imagine")
        #expect(plan.jobs[34].origin.path.description == "jobs[0]")
    }

    @Test func globsAreSortedAndKeepLocalPaths() throws {
        let plan = try roomsFixture().plan(
            "version: 1\nmatrix: {prompt: P., image: 'rooms/*.png', model: grok-imagine}\n"
        )
        let paths = plan.jobs.map { $0.image.sources.first?.reference }
        #expect(paths == ["rooms/a.png", "rooms/b.png", "rooms/c.png"])
        #expect(plan.localImages.count == 3)
    }

    @Test func fieldsAModelDoesNotTakeAreDroppedAndMerged() throws {
        let plan = try roomsFixture().plan(
            """
            version: 1
            matrix:
              prompt: P.
              image: room.png
              model: [grok-imagine, gpt-image-2]
              aspect_ratio: ["16:9", "1:1", "4:3"]
              resolution: [1k, 2k]

            """
        )
        let grok = plan.jobs.filter { $0.model == "grok-imagine" }
        #expect(grok.count == 1)
        #expect(grok[0].options.isEmpty)
        #expect(grok[0].bodyFields.isEmpty)
        #expect(plan.jobs.count == 1 + 6)
        #expect(plan.merged.count == 5)
        #expect(plan.merged.allSatisfy { $0.reason == "grok-imagine takes no aspect_ratio, resolution" })
        #expect(plan.merged.allSatisfy { $0.into == grok[0].id })
    }

    @Test func identicalJobsWrittenTwiceAreMerged() throws {
        let plan = try roomsFixture().plan(
            """
            version: 1
            matrix: {prompt: P., image: room.png, model: nano-banana-pro}
            jobs:
              - {prompt: P., image: room.png, model: rhart-image-n-pro-official/edit, resolution: 1k}

            """
        )
        #expect(plan.jobs.count == 1)
        #expect(plan.merged.map(\.reason) == ["the same job is written twice"])
        #expect(plan.merged.first?.origin.path.description == "jobs[0]")
    }

    @Test func requiredFieldsTakeCatalogDefaults() throws {
        let plan = try roomsFixture().plan(
            "version: 1\nmatrix: {prompt: P., image: room.png, model: [gpt-image-2, nano-banana-pro]}\n"
        )
        #expect(plan.jobs[0].options == ["resolution": "2k", "quality": "medium"])
        #expect(plan.jobs[1].options == ["resolution": "1k"])
        #expect(plan.jobs[1].bodyFields.map(\.key) == ["resolution"])
        #expect(plan.jobs[0].price == Money("0.926"))
        #expect(plan.jobs[1].price == Money("0.8"))
        #expect(plan.estimatedCost == Money("1.726"))
    }

    @Test func defaultsApplyWhereJobsDoNotSetThem() throws {
        let plan = try roomsFixture().plan(
            """
            version: 1
            defaults: {model: gpt-image-2, image: room.png, quality: high, samples: 2, params: {seed: 1}}
            jobs:
              - {prompt: A.}
              - {prompt: B., quality: low, samples: 1, params: {seed: 2}}

            """
        )
        #expect(plan.jobs.count == 3)
        #expect(plan.jobs.map(\.sample) == [1, 2, 1])
        #expect(plan.jobs.map { $0.options["quality"] } == ["high", "high", "low"])
        #expect(plan.jobs.map { $0.params.first?.value } == [.integer(1), .integer(1), .integer(2)])
        #expect(Set(plan.jobs.map(\.key)).count == 3)
    }

    @Test func missingFieldsAreNamed() throws {
        let errors = try roomsFixture().errors("version: 1\nmatrix: {prompt: P.}\njobs:\n  - {image: room.png}\n")
        #expect(
            errors == [
                "m.yaml:2:9: error: matrix: no 'model' for these jobs: add it as an axis or under 'defaults'",
                "m.yaml:4:5: error: jobs[0]: this job has no 'model': set it here or under 'defaults'",
            ])
        // What a job needs depends on its model: an edit model needs a prompt and an image.
        let needs = try roomsFixture().errors(
            "version: 1\nmatrix: {prompt: P., model: gpt-image-2}\njobs:\n  - {image: room.png, model: nano-banana-pro}\n"
        )
        #expect(
            needs == [
                "m.yaml:2:9: error: matrix: gpt-image-2 needs an input image: set 'image' for these jobs",
                "m.yaml:4:5: error: jobs[0]: nano-banana-pro needs a prompt (its 'prompt' field): set 'prompt' for these jobs",
            ])
    }

    @Test func valuesAModelRefusesAreErrorsAtTheirPlace() throws {
        let errors = try roomsFixture().errors(
            """
            version: 1
            matrix:
              prompt: P.
              image: room.png
              model: [gpt-image-2, nano-banana-pro]
              aspect_ratio: ["16:9", "1:3"]
              resolution: 8k

            """
        )
        #expect(
            errors == [
                "m.yaml:6:26: error: matrix.aspect_ratio[1]: \"1:3\" is not accepted by nano-banana-pro (accepted: 1:1, 3:2, 2:3, 3:4, 4:3, 4:5, 5:4, 9:16, 16:9, 21:9)",
                "m.yaml:7:15: error: matrix.resolution: \"8k\" is not accepted by gpt-image-2 (accepted: 1k, 2k, 4k)",
                "m.yaml:7:15: error: matrix.resolution: \"8k\" is not accepted by nano-banana-pro (accepted: 1k, 2k, 4k)",
            ])
    }

    @Test func skipInvalidListsSkippedJobs() throws {
        let plan = try roomsFixture().plan(
            """
            version: 1
            matrix:
              prompt: P.
              image: room.png
              model: [gpt-image-2, nano-banana-pro]
              aspect_ratio: ["16:9", "1:3"]
              samples: 2

            """,
            options: .init(skipInvalid: true)
        )
        #expect(plan.jobs.count == 6)
        #expect(plan.skipped.count == 2)
        #expect(plan.skipped[0].summary.hasPrefix("nano-banana-pro × room × "))
        #expect(plan.skipped[0].summary.hasSuffix(" × 1:3"))
        #expect(plan.skipped[0].reason.hasPrefix("\"1:3\" is not accepted by nano-banana-pro"))
        #expect(plan.skipped[0].mark.line == 6)
    }

    @Test func gptImage2AcceptsTheFifteenRatiosOfTheNewestDocs() throws {
        let ratios = [
            "1:1", "2:3", "3:2", "3:4", "4:3", "4:5", "5:4", "9:16", "16:9", "21:9", "1:2", "2:1", "1:3", "3:1", "9:21",
        ]
        let list = ratios.map { "\"\($0)\"" }.joined(separator: ", ")
        let plan = try roomsFixture().plan(
            "version: 1\nmatrix: {prompt: P., image: room.png, model: gpt-image-2, aspect_ratio: [\(list)]}\n")
        #expect(plan.jobs.count == 15)
    }

    @Test func grokTakesExactlyOneImage() throws {
        let fixture = try roomsFixture()
        let errors = try fixture.errors(
            "version: 1\njobs:\n  - {prompt: P., image: [room.png, rooms/a.png], model: grok-imagine}\n")
        #expect(errors == ["m.yaml:3:25: error: jobs[0].image: grok-imagine takes one input image; this input has 2"])
        let plan = try fixture.plan(
            "version: 1\njobs:\n  - {prompt: P., image: [room.png, rooms/a.png], model: gpt-image-2}\n")
        #expect(plan.jobs[0].image.sources.count == 2)
        #expect(plan.jobs[0].image.id == "room+a")
    }

    @Test func moreThanTenImagesIsAnError() throws {
        let fixture = try roomsFixture()
        let list = Array(repeating: "room.png", count: 11).joined(separator: ", ")
        let errors = try fixture.errors(
            "version: 1\njobs:\n  - {prompt: P., image: [\(list)], model: nano-banana-pro}\n")
        #expect(
            errors == [
                "m.yaml:3:25: error: jobs[0].image: nano-banana-pro takes at most 10 input images; this input has 11"
            ])
    }

    @Test func imageFilesAreChecked() throws {
        let fixture = try roomsFixture()
        try fixture.write("notes.png", Array("just text".utf8))
        try fixture.write("empty.png", [])
        try FileManager.default.createDirectory(
            atPath: fixture.directory + "/folder.png", withIntermediateDirectories: true)
        let errors = try fixture.errors(
            """
            version: 1
            matrix:
              prompt: P.
              model: gpt-image-2
              image: [missing.png, folder.png, notes.png, empty.png, "nothing/*.png"]

            """
        )
        #expect(
            errors == [
                "m.yaml:5:11: error: matrix.image[0]: image file 'missing.png' does not exist",
                "m.yaml:5:24: error: matrix.image[1]: 'folder.png' is a directory, not an image file",
                "m.yaml:5:36: error: matrix.image[2]: 'notes.png' is not a PNG, JPEG or WEBP image",
                "m.yaml:5:47: error: matrix.image[3]: image file 'empty.png' is empty",
                "m.yaml:5:58: error: matrix.image[4]: the glob 'nothing/*.png' matches no files",
            ])
    }

    @Test func formatAndSizeLimitsArePerModel() throws {
        let fixture = try roomsFixture()
        try fixture.write(
            "photo.webp", Array("RIFF\u{0}\u{0}\u{0}\u{0}WEBPVP8 ".utf8) + [UInt8](repeating: 0, count: 64))
        var big = try [UInt8](Data(contentsOf: URL(fileURLWithPath: fixture.png("seed.png"))))
        big += [UInt8](repeating: 0, count: 10 * 1024 * 1024 + 1 - big.count)
        try fixture.write("huge.png", big)
        let errors = try fixture.errors(
            "version: 1\nmatrix:\n  prompt: P.\n  model: [gpt-image-2, nano-banana-pro]\n  image: [photo.webp, huge.png]\n"
        )
        #expect(
            errors == [
                "m.yaml:5:11: error: matrix.image[0]: 'photo.webp' is a WEBP image; nano-banana-pro accepts JPG, PNG",
                "m.yaml:5:23: error: matrix.image[1]: 'huge.png' is 10.0 MB; gpt-image-2 accepts at most 10.0 MB",
                "m.yaml:5:23: error: matrix.image[1]: 'huge.png' is 10.0 MB; nano-banana-pro accepts at most 10.0 MB",
            ])
    }

    @Test func globsAreNotExpandedInJobs() throws {
        let errors = try roomsFixture().errors(
            "version: 1\njobs:\n  - {prompt: P., image: 'rooms/*.png', model: gpt-image-2}\n")
        #expect(
            errors == [
                "m.yaml:3:25: error: jobs[0].image: 'rooms/*.png' is a glob; globs are expanded only in matrix axes (list the files here instead)"
            ])
    }

    @Test func urlsAreKeptAsTheyAre() throws {
        let plan = try roomsFixture().plan(
            "version: 1\nmatrix: {prompt: P., image: 'https://example.com/in/photo.jpg?sig=1', model: gpt-image-2}\n"
        )
        #expect(plan.jobs[0].image.sources == [.remote("https://example.com/in/photo.jpg?sig=1")])
        #expect(plan.jobs[0].image.id == "photo")
        #expect(plan.localImages.isEmpty)
    }

    @Test func libraryEntriesResolve() throws {
        let plan = try roomsFixture().plan(
            """
            version: 1
            images:
              living: room.png
              all: rooms/*.png
              pair: [room.png, rooms/a.png]
            matrix:
              prompt: P.
              model: nano-banana-pro
              image: [living, all, pair]

            """
        )
        #expect(plan.jobs.map(\.image.id) == ["living", "a", "b", "c", "pair"])
        #expect(plan.jobs[4].image.sources.count == 2)
    }

    @Test func sameStemsAreDisambiguatedStably() throws {
        let fixture = try roomsFixture()
        try fixture.png("x/room.png", seed: 9)
        let text = "version: 1\nmatrix: {prompt: P., model: grok-imagine, image: [room.png, x/room.png]}\n"
        let first = try fixture.plan(text)
        let ids = first.jobs.map(\.image.id)
        #expect(ids.count == 2)
        #expect(ids[0] != ids[1])
        #expect(ids.allSatisfy { $0.hasPrefix("room-") && $0.count == 11 })
        #expect(try fixture.plan(text).jobs.map(\.image.id) == ids)
    }

    @Test func theJobLimitCountsBeforeExpanding() throws {
        let fixture = try roomsFixture()
        // 1,100 prompts × 4 images × 2 models × 10 ratios × 3 qualities × 2 resolutions × 2 samples.
        let prompts = (0..<1100).map { "p\($0)" }.joined(separator: ", ")
        let ratios = "[\"1:1\", \"2:3\", \"3:2\", \"3:4\", \"4:3\", \"4:5\", \"5:4\", \"9:16\", \"16:9\", \"21:9\"]"
        let errors = try fixture.errors(
            "version: 1\nmatrix:\n  prompt: [\(prompts)]\n  image: [room.png, rooms/*.png]\n  model: [gpt-image-2, nano-banana-pro]\n  aspect_ratio: \(ratios)\n  quality: [low, medium, high]\n  resolution: [1k, 2k]\n  samples: 2\n"
        )
        #expect(
            errors == [
                "m.yaml:3:3: error: matrix: the manifest expands to 1056000 jobs; the limit is 1000000: split it into several manifests"
            ])
    }
}
