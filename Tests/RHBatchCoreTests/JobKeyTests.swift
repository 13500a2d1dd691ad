import Testing

@testable import RHBatchCore

@Suite("Job keys")
struct JobKeyTests {
    func fixture() throws -> Fixture {
        let fixture = try Fixture()
        try fixture.png("room.png", seed: 1)
        try fixture.png("other.png", seed: 2)
        return fixture
    }

    func keys(_ plan: Plan) -> [String: String] {
        Dictionary(
            uniqueKeysWithValues: plan.jobs.map {
                (
                    "\($0.model) \($0.image.id) \($0.prompt.text) \($0.options["aspect_ratio"] ?? "-") \($0.sample)",
                    $0.key
                )
            })
    }

    @Test func keysAreStableAcrossRuns() throws {
        let fixture = try fixture()
        let text =
            "version: 1\nmatrix: {prompt: [A., B.], image: [room.png, other.png], model: [gpt-image-2, grok-imagine]}\n"
        let first = try fixture.plan(text)
        let second = try fixture.plan(text)
        #expect(first.jobs.map(\.key) == second.jobs.map(\.key))
        #expect(first.jobs.allSatisfy { $0.key.count == 64 && $0.id.count == 12 })
    }

    @Test func keysSurviveReorderingAndUnrelatedEdits() throws {
        let fixture = try fixture()
        let before = try fixture.plan(
            """
            version: 1
            prompts: {a: A., b: B.}
            matrix:
              prompt: [a, b]
              image: [room.png, other.png]
              model: [gpt-image-2, nano-banana-pro]
              aspect_ratio: ["1:1", "16:9"]

            """
        )
        let after = try fixture.plan(
            """
            version: 1
            name: renamed
            concurrency: 9
            prompts: {c: A brand new prompt., b: B., a: A.}
            defaults: {quality: medium}
            matrix:
              - prompt: [c]
                image: room.png
                model: grok-imagine
              - prompt: [b, a, c]
                image: [other.png, room.png]
                model: [nano-banana-pro, gpt-image-2]
                aspect_ratio: ["16:9", "1:1"]

            """
        )
        let old = keys(before)
        let new = keys(after)
        for (name, key) in old {
            #expect(new[name] == key, "\(name) changed its key")
        }
        #expect(new.count == old.count + 1 + 8)
    }

    @Test func keysChangeWithWhatTheAPIIsAskedToDo() throws {
        let fixture = try fixture()
        let base = try fixture.plan("version: 1\njobs: [{prompt: A., image: room.png, model: gpt-image-2}]\n").jobs[0]
            .key
        let variants = [
            "version: 1\njobs: [{prompt: A!, image: room.png, model: gpt-image-2}]\n",
            "version: 1\njobs: [{prompt: A., image: other.png, model: gpt-image-2}]\n",
            "version: 1\njobs: [{prompt: A., image: room.png, model: gpt-image-2, quality: high}]\n",
            "version: 1\njobs: [{prompt: A., image: room.png, model: gpt-image-2, params: {seed: 1}}]\n",
            "version: 1\njobs: [{prompt: A., image: room.png, model: nano-banana-pro}]\n",
            "version: 1\njobs: [{prompt: A., image: room.png, model: gpt-image-2, samples: 2}]\n",
        ]
        var seen: Set<String> = [base]
        for variant in variants {
            let plan = try fixture.plan(variant)
            let key = try #require(plan.jobs.last?.key)
            #expect(seen.insert(key).inserted, "\(variant) did not change the key")
        }
    }

    @Test func keysFollowImageContentNotPath() throws {
        let fixture = try fixture()
        let text = "version: 1\njobs: [{prompt: A., image: room.png, model: gpt-image-2}]\n"
        let before = try fixture.plan(text).jobs[0].key
        try fixture.png("copy/room.png", seed: 1)
        let moved = try fixture.plan("version: 1\njobs: [{prompt: A., image: copy/room.png, model: gpt-image-2}]\n")
            .jobs[0].key
        #expect(moved == before)
        try fixture.png("room.png", seed: 7)
        let edited = try fixture.plan(text).jobs[0].key
        #expect(edited != before)
    }

    @Test func defaultValuesGiveTheSameKeyAsExplicitOnes() throws {
        let fixture = try fixture()
        let implicit = try fixture.plan("version: 1\njobs: [{prompt: A., image: room.png, model: gpt-image-2}]\n").jobs[
            0
        ].key
        let explicit = try fixture.plan(
            "version: 1\njobs: [{prompt: A., image: room.png, model: gpt-image-2, resolution: 2k, quality: medium}]\n"
        ).jobs[0].key
        #expect(implicit == explicit)
    }
}

@Suite("Job keys, made in parts")
struct JobKeyPartsTests {
    @Test func thePlannersKeysAreTheIdentityTextsHash() throws {
        let fixture = try Fixture()
        try fixture.png("room.png", seed: 1)
        try fixture.png("other.png", seed: 2)
        try fixture.write("clip.mp4", [0, 0, 0, 0x18] + Array("ftypisom".utf8) + [UInt8](repeating: 7, count: 64))
        let plan = try fixture.plan(
            """
            version: 1
            prompts: {a: "Say \\"hi\\"\\nthen go.", b: B.}
            matrix:
              - {prompt: [a, b], image: [room.png, other.png], model: [gpt-image-2, grok-imagine, seedream-v4.5/text-to-image], aspect_ratio: ["1:1", "16:9"], samples: 2}
              - {prompt: a, model: alibaba/happyhorse-1.0/video-edit, video_url: clip.mp4, image: room.png, seed: [1, 2]}
            """)
        #expect(plan.jobs.count > 20)
        for job in plan.jobs {
            let model = try #require(ModelCatalog.builtIn.model(named: job.endpoint))
            let text = PlanningRunTestAccess.identityText(
                endpoint: job.endpoint,
                prompt: model.prompt == nil ? "" : job.prompt.text,
                fields: job.bodyFields.sorted { $0.key < $1.key },
                input: job.image,
                media: job.media
            )
            #expect(
                job.key == PlanningRunTestAccess.sha256(text + "sample:\(job.sample)\n"),
                "\(job.model) \(job.prompt.id)")
        }
    }

    @Test func jobsOfOneFittingShareOneShape() throws {
        let fixture = try Fixture()
        try fixture.png("room.png", seed: 1)
        try fixture.png("other.png", seed: 2)
        let plan = try fixture.plan(
            """
            version: 1
            matrix:
              - {prompt: [A., B.], image: [room.png, other.png], model: [gpt-image-2, grok-imagine], samples: 2}
              - {prompt: C., image: room.png, model: gpt-image-2, resolution: 4k}
            """)
        #expect(plan.jobs.count == 17)
        let first = plan.jobs.filter { $0.origin.path.description == "matrix[0]" }
        for model in ["gpt-image-2", "grok-imagine"] {
            let jobs = first.filter { $0.model == model }
            #expect(jobs.count == 8)
            #expect(jobs.allSatisfy { $0.shape === jobs[0].shape }, "\(model): one shape for its 8 jobs")
        }
        let shapes = Set(plan.jobs.map { ObjectIdentifier($0.shape) })
        #expect(shapes.count == 3, "one per model of the first block, one for the second block")
        let last = try #require(plan.jobs.last)
        #expect(last.options["resolution"] == "4k" && last.model == "gpt-image-2")
    }
}
