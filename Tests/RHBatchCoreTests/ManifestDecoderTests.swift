import Testing

@testable import RHBatchCore

@Suite("Manifest decoding")
struct ManifestDecoderTests {
    let base = """
        version: 1
        prompts:
          p: Make it green.
        images:
          room: room.png

        """

    func fixture() throws -> Fixture {
        let fixture = try Fixture()
        try fixture.png("room.png")
        return fixture
    }

    @Test func minimalManifestPlans() throws {
        let plan = try fixture().plan(base + "jobs:\n  - {prompt: p, image: room, model: grok-imagine}\n")
        #expect(plan.jobs.count == 1)
        #expect(plan.manifest.name == "manifest")
        #expect(plan.manifest.concurrency == 4)
        #expect(plan.manifest.outputPath == "out/manifest")
    }

    @Test func unknownKeysGetHintsAndLocations() throws {
        let errors = try fixture().errors(
            base + "concurency: 3\nmatrix:\n  prompt: p\n  image: room\n  model: grok-imagine\n  qualty: high\n"
        )
        #expect(
            errors.contains("m.yaml:6:1: error: concurency: unknown key 'concurency' (did you mean 'concurrency'?)"))
        #expect(
            errors.contains(
                "m.yaml:11:3: error: matrix.qualty: unknown key 'qualty' (did you mean 'quality'?): no model of the catalog has such a field"
            ))
    }

    @Test func unknownKeyWithoutACloseMatchHasNoHint() throws {
        let errors = try fixture().errors(base + "zzzzzz: 1\njobs: []\n")
        #expect(errors.contains("m.yaml:6:1: error: zzzzzz: unknown key 'zzzzzz'"))
    }

    @Test func versionIsRequiredAndMustBeOne() throws {
        let fixture = try fixture()
        #expect(try fixture.errors("jobs: []\n").first == "m.yaml:1:1: error: version: the manifest needs 'version: 1'")
        #expect(
            try fixture.errors("version: 2\njobs: []\n") == [
                "m.yaml:1:10: error: version: 2 is out of range: it must be 1"
            ])
        #expect(
            try fixture.errors("version: one\njobs: []\n") == [
                "m.yaml:1:10: error: version: expected a whole number, found \"one\""
            ])
    }

    @Test func manifestNeedsJobs() throws {
        #expect(
            try fixture().errors("version: 1\n") == [
                "m.yaml:1:1: error: the manifest has no jobs: add a 'matrix' or a 'jobs' list"
            ])
    }

    @Test func nameMustBeSafe() throws {
        let errors = try fixture().errors(base + "name: my batch/1\njobs: []\n")
        #expect(
            errors.first
                == "m.yaml:6:7: error: name: \"my batch/1\" is not a valid name; use letters, digits, '.', '_' and '-'")
    }

    @Test(arguments: [
        ("0", "0 is out of range: it must be from 1 to 500"), ("501", "501 is out of range: it must be from 1 to 500"),
        ("many", "expected a whole number, found \"many\""),
    ])
    func concurrencyIsChecked(value: String, message: String) throws {
        let errors = try fixture().errors(
            base + "concurrency: \(value)\njobs: [{prompt: p, image: room, model: grok-imagine}]\n")
        #expect(errors == ["m.yaml:6:14: error: concurrency: \(message)"])
    }

    @Test func samplesMustBePositive() throws {
        let errors = try fixture().errors(
            base + "jobs:\n  - {prompt: p, image: room, model: grok-imagine, samples: 0}\n")
        #expect(errors == ["m.yaml:7:60: error: jobs[0].samples: 0 is out of range: it must be from 1 to 10000"])
    }

    @Test func promptOverTheLimitIsRefused() throws {
        let long = String(repeating: "a", count: 20_001)
        let errors = try fixture().errors(
            base + "jobs:\n  - prompt: \(long)\n    image: room\n    model: grok-imagine\n")
        #expect(errors == ["m.yaml:7:13: error: jobs[0].prompt: the prompt has 20001 characters; the limit is 20000"])
    }

    @Test func promptAtTheLimitIsAccepted() throws {
        let exact = String(repeating: "a", count: 20_000)
        let plan = try fixture().plan(base + "jobs:\n  - prompt: \(exact)\n    image: room\n    model: grok-imagine\n")
        #expect(plan.jobs.first?.prompt.text.count == 20_000)
    }

    @Test func emptyPromptIsRefused() throws {
        let errors = try fixture().errors(base + "jobs:\n  - {prompt: '  ', image: room, model: grok-imagine}\n")
        #expect(errors == ["m.yaml:7:14: error: jobs[0].prompt: the prompt is empty"])
    }

    @Test func wrongTypesAreNamed() throws {
        let errors = try fixture().errors(
            base + "defaults: [1, 2]\nmatrix:\n  prompt: {a: b}\n  image: room\n  model: grok-imagine\njobs: 3\n"
        )
        #expect(errors.contains("m.yaml:6:11: error: defaults: expected a mapping, found a list"))
        #expect(
            errors.contains("m.yaml:8:11: error: matrix.prompt: expected a value or a list of values, found a mapping"))
        #expect(errors.contains("m.yaml:11:7: error: jobs: expected a list, found a scalar"))
    }

    @Test func emptyFileIsAnError() throws {
        #expect(
            try fixture().errors("") == [
                "m.yaml:1:1: error: the manifest is empty; it needs at least 'version: 1' and a matrix or jobs"
            ])
    }

    @Test func notYAMLIsAnError() throws {
        let errors = try fixture().errors("version: 1\njobs: [unclosed\n")
        #expect(errors.count == 1)
        #expect(errors[0].hasPrefix("m.yaml:3:1: error: "))
    }

    @Test func tenMegabyteFileIsRefusedBeforeParsing() throws {
        let fixture = try fixture()
        let line = "# " + String(repeating: "x", count: 1021) + "\n"
        let path = try fixture.write("big.yaml", Array(String(repeating: line, count: 10 * 1024).utf8))
        do {
            _ = try ManifestLoader().load(path)
            Issue.record("a 10 MB manifest was accepted")
        } catch {
            let message = error.diagnostics.map(\.description).joined()
            #expect(
                message.contains("big.yaml:1:1: error: the file is 10485760 bytes; a manifest may be at most 8 MiB"))
        }
    }

    @Test func missingManifestFileIsAnError() throws {
        do {
            _ = try ManifestLoader().load("/nonexistent/manifest.yaml")
            Issue.record("a missing manifest was accepted")
        } catch {
            #expect(
                error.description
                    == "/nonexistent/manifest.yaml:1:1: error: cannot read the manifest: No such file or directory")
        }
    }

    @Test func paramsAreTypedLikeYAML() throws {
        let plan = try fixture().plan(
            base
                + "jobs:\n  - {prompt: p, image: room, model: grok-imagine, params: {seed: 42, strength: 0.5, flag: yes, label: '42', webhookUrl: 'http://h/x'}}\n"
        )
        let params = try #require(plan.jobs.first?.params)
        #expect(params.map(\.key) == ["flag", "label", "seed", "strength", "webhookUrl"])
        #expect(
            params.map(\.value) == [.boolean(true), .string("42"), .integer(42), .number(0.5), .string("http://h/x")])
    }

    @Test func declaredParamsAreTypeChecked() throws {
        let errors = try fixture().errors(
            base + "jobs:\n  - {prompt: p, image: room, model: grok-imagine, params: {webhookUrl: 3}}\n")
        #expect(
            errors == [
                "m.yaml:7:72: error: jobs[0].params.webhookUrl: grok-imagine expects string for 'webhookUrl', found an integer"
            ])
    }

    @Test func paramsMayNotSetJobFields() throws {
        let errors = try fixture().errors(
            base + "jobs:\n  - {prompt: p, image: room, model: gpt-image-2, params: {aspectRatio: '1:1'}}\n")
        #expect(
            errors == [
                "m.yaml:7:72: error: jobs[0].params.aspectRatio: 'aspectRatio' is a field of gpt-image-2; set it as the job field 'aspect_ratio' instead of params.aspectRatio"
            ])
    }

    @Test func unquotedRatioIsTakenAsWritten() throws {
        let plan = try fixture().plan(
            base + "jobs:\n  - {prompt: p, image: room, model: gpt-image-2, aspect_ratio: 16:9}\n")
        #expect(plan.jobs.first?.options["aspect_ratio"] == "16:9")
    }

    @Test func everyErrorIsReportedInOnePass() throws {
        let errors = try fixture().errors(
            """
            version: 1
            nmae: x
            matrix:
              prompt: [p]
              image: [missing.png, room.png]
              model: [gpt-image-2, grok-imagin]
              aspect_ratio: ["16:9", "1:7"]
            prompts:
              p: Make it green.

            """
        )
        #expect(errors.count == 4)
        #expect(errors.contains("m.yaml:2:1: error: nmae: unknown key 'nmae' (did you mean 'name'?)"))
        #expect(errors.contains("m.yaml:5:11: error: matrix.image[0]: image file 'missing.png' does not exist"))
        #expect(
            errors.contains {
                $0.hasPrefix(
                    "m.yaml:6:24: error: matrix.model[1]: unknown model 'grok-imagin' (did you mean 'grok-imagine'?)")
            })
        #expect(
            errors.contains {
                $0.hasPrefix(
                    "m.yaml:7:26: error: matrix.aspect_ratio[1]: \"1:7\" is not accepted by gpt-image-2 (accepted: 1:1, 2:3,"
                )
            })
    }

    @Test func errorsAreSortedByLocation() throws {
        let errors = try fixture().errors(
            base + "matrix:\n  prompt: p\n  image: [nope.png]\n  model: grok-imagine\nbogus: 1\n")
        #expect(
            errors == [
                "m.yaml:8:11: error: matrix.image[0]: image file 'nope.png' does not exist",
                "m.yaml:10:1: error: bogus: unknown key 'bogus'",
            ])
    }
}
