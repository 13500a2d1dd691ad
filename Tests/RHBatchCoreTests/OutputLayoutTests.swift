import Testing

@testable import RHBatchCore

@Suite("Output layout")
struct OutputLayoutTests {
    func fixture() throws -> Fixture {
        let fixture = try Fixture()
        try fixture.png("living room.png", seed: 1)
        return fixture
    }

    @Test func defaultLayoutLeavesOutFieldsAModelDoesNotTake() throws {
        let plan = try fixture().plan(
            """
            version: 1
            prompts: {green: Make it green.}
            images: {room: living room.png}
            matrix: {prompt: green, image: room, model: [gpt-image-2, nano-banana-pro, grok-imagine], aspect_ratio: "16:9"}
            jobs: [{prompt: green, image: room, model: nano-banana-pro, resolution: 4k}]

            """
        )
        #expect(
            plan.jobs.map { $0.outputPath(fileExtension: "png") } == [
                "gpt-image-2/room/green/16x9_2k_medium_1.png",
                "nano-banana-pro/room/green/16x9_1k_1.png",
                "grok-imagine/room/green/1.png",
                "nano-banana-pro/room/green/4k_1.png",
            ])
    }

    @Test func valuesAreMadeSafeForFileNames() throws {
        let plan = try fixture().plan(
            "version: 1\njobs: [{prompt: \"Paint it ../../etc: now\", image: living room.png, model: grok-imagine}]\n"
        )
        let path = plan.jobs[0].outputPath(fileExtension: "jpg")
        #expect(path.hasPrefix("grok-imagine/living-room/paint-it-etc-now-"))
        #expect(path.hasSuffix("/1.jpg"))
        #expect(!path.contains(".."))
        #expect(OutputLayout.safe("../a/b:c\u{7}d") == "_-a-bxcd")
        #expect(OutputLayout.safe(String(repeating: "x", count: 500)).count == 80)
        #expect(OutputLayout.safe("") == "_")
    }

    @Test func customLayoutWithKeyAndIndex() throws {
        let plan = try fixture().plan(
            "version: 1\nlayout: \"{endpoint}/{key}-{index}.{ext}\"\njobs: [{prompt: A., image: living room.png, model: grok-imagine}]\n"
        )
        let job = plan.jobs[0]
        #expect(job.outputPath(index: 2, fileExtension: "png") == "rhart-image-x-official-edit/\(job.id)-2.png")
    }

    @Test func laterResultsGetASuffixWhenTheLayoutHasNoIndex() throws {
        let plan = try fixture().plan("version: 1\njobs: [{prompt: A., image: living room.png, model: grok-imagine}]\n")
        let job = plan.jobs[0]
        #expect(job.outputPath(index: 1, fileExtension: "png").hasSuffix("/1.png"))
        #expect(job.outputPath(index: 3, fileExtension: "png").hasSuffix("/1-3.png"))
    }

    @Test func aLayoutCannotWriteWhereRhBatchKeepsItsOwnFiles() throws {
        let prompts = "prompts: {report: A., index: B.}\n"
        let reportSidecar = try fixture().errors(
            "version: 1\nlayout: \"{prompt}.{ext}\"\n" + prompts
                + "matrix: {prompt: [report, index], image: living room.png, model: grok-imagine}\n"
        )
        // report.png's sidecar would be report.json; index.png / index.json clash with nothing.
        #expect(reportSidecar.count == 1, "\(reportSidecar)")
        #expect(reportSidecar.first?.contains("m.yaml:2:9: error: layout: job ") == true)
        #expect(reportSidecar.first?.contains("'report.json'") == true)
        // (A layout's leading dot is already written as `_.`, so `.rh-batch*` names cannot arise.)
        for layout in ["inputs/{key}.{ext}", "{prompt}/{key}.{ext}"] {
            let errors = try fixture().errors(
                "version: 1\nlayout: \"\(layout)\"\nprompts: {inputs: A.}\nmatrix: {prompt: inputs, image: living room.png, model: grok-imagine}\n"
            )
            #expect(errors.count == 1 && errors[0].contains("output folder's root"), "\(layout): \(errors)")
        }
        #expect(
            try fixture().errors(
                "version: 1\nlayout: \"{model}/report.{ext}\"\nmatrix: {prompt: A., image: living room.png, model: grok-imagine}\n"
            ).isEmpty)
    }

    @Test func theDefaultLayoutAddsTheShortKeyWhenJobsDifferInAFieldItDoesNotName() throws {
        let plan = try fixture().plan(
            "version: 1\nmatrix: {prompt: A., model: seedream-v4.5/text-to-image, width: [512, 1024, 2048]}\n"
        )
        let paths = plan.jobs.map { $0.outputPath(fileExtension: "png") }
        #expect(paths.count == 3 && Set(paths).count == 3, "\(paths)")
        // The first job takes the plain path; the later ones get their short key before the extension.
        #expect(!paths[0].contains(plan.jobs[0].id))
        #expect(
            paths[1].hasSuffix("_\(plan.jobs[1].id).png") && paths[2].hasSuffix("_\(plan.jobs[2].id).png"), "\(paths)")
        #expect(paths[1].replacingAll("_\(plan.jobs[1].id)", with: "") == paths[0])
    }

    @Test func collisionsAreManifestErrors() throws {
        let errors = try fixture().errors(
            "version: 1\nlayout: \"{model}/{image}.{ext}\"\nmatrix: {prompt: [A., B.], image: living room.png, model: grok-imagine}\n"
        )
        #expect(errors.count == 1)
        #expect(errors[0].hasPrefix("m.yaml:2:9: error: layout: jobs "))
        #expect(errors[0].contains("would both write 'grok-imagine/living-room.png'"))
    }

    @Test(arguments: [
        ("{model}/{colour}.{ext}", "unknown placeholder '{colour}'"),
        ("{model}/{imgae}.{ext}", "unknown placeholder '{imgae}' (did you mean '{image}'?)"),
        ("/abs/{key}.{ext}", "the layout must be a relative path"),
        ("{model}/../{key}.{ext}", "the layout may not use '..' as a path component"),
        ("{model}//{key}", "the layout has an empty path component"),
        ("{model/{key}", "the layout has a '{' without its '}'"),
    ])
    func badLayoutsAreRefused(layout: String, message: String) throws {
        let errors = try fixture().errors(
            "version: 1\nlayout: \"\(layout)\"\njobs: [{prompt: A., image: living room.png, model: grok-imagine}]\n"
        )
        #expect(errors.count == 1)
        #expect(errors.first?.hasPrefix("m.yaml:2:9: error: layout: \(message)") == true, "\(errors)")
    }

    @Test func layoutWithoutExtGetsOne() throws {
        let plan = try fixture().plan(
            "version: 1\nlayout: \"{key}\"\njobs: [{prompt: A., image: living room.png, model: grok-imagine}]\n")
        #expect(plan.jobs[0].outputPath(fileExtension: "webp") == "\(plan.jobs[0].id).webp")
    }
    /// A layout prepared once for a fitting's jobs renders each job's path exactly as the whole
    /// layout does, over templates that put missing values next to literals, to each other and to
    /// a job's own values (which are not prepared: rendered whole), and values that start with a
    /// dot, are empty or end in a separator.
    @Test func aPreparedLayoutRendersWhatTheWholeLayoutDoes() throws {
        let templates = [
            OutputLayout.defaultTemplate,
            "{model}/{image}/{prompt}/{aspect_ratio}_{resolution}_{quality}_{sample}.{ext}",
            "{quality}/{resolution}-{prompt}_{sample}",
            "{model}_{quality}{resolution}/{key}-{index}.{ext}",
            "{prompt}{quality}/{sample}",
            "{quality}{image}/x_{resolution}_.{ext}",
            "{node}/{endpoint}/{resolution}/{aspect_ratio}",
            "a-{quality}-b/{quality}/{sample}-{resolution}-{key}",
        ]
        // Which shared values each fitting has (nil: the model does not take the field).
        let fittings: [[OutputLayout.Placeholder: String?]] = [
            [
                .model: "grok-imagine", .endpoint: "e", .node: nil, .field("aspect_ratio"): "16x9",
                .field("resolution"): nil, .field("quality"): nil,
            ],
            [
                .model: "m", .endpoint: "e", .node: "{node}", .field("aspect_ratio"): nil,
                .field("resolution"): "2k", .field("quality"): "high",
            ],
            [
                .model: ".hidden", .endpoint: "e", .node: nil, .field("aspect_ratio"): nil,
                .field("resolution"): nil, .field("quality"): nil,
            ],
            [
                .model: "m", .endpoint: "-e_", .node: nil, .field("aspect_ratio"): "_a",
                .field("resolution"): "r-", .field("quality"): nil,
            ],
            [
                .model: ".\u{301}m", .endpoint: "e", .node: nil, .field("aspect_ratio"): ".\u{301}",
                .field("resolution"): nil, .field("quality"): "q",
            ],
        ]
        let jobs: [[OutputLayout.Placeholder: String]] = [
            [.image: "room", .prompt: "green-abc123", .sample: "1", .key: "0123456789ab"],
            [.image: ".dot", .prompt: "ends-", .sample: "12", .key: "k"],
            [.image: "_", .prompt: "-starts", .sample: "3", .key: ""],
            // A dot with a combining mark is not a leading "." (as `hasPrefix` sees it).
            [.image: ".\u{301}x", .prompt: ".\u{301}", .sample: "4", .key: "k"],
        ]
        var prepared = 0
        for template in templates {
            let layout = try OutputLayout(template)
            for fitting in fittings {
                func shared(_ placeholder: OutputLayout.Placeholder) -> String? {
                    switch placeholder {
                    case .index, .ext: nil
                    default: fitting[placeholder] ?? nil
                    }
                }
                let ready = layout.prepared(shared)
                if ready != nil { prepared += 1 }
                for job in jobs {
                    let whole = layout.render { job[$0] ?? shared($0) }
                    if let ready {
                        #expect(ready.render { job[$0] ?? "" } == whole, "\(template) \(fitting) \(job)")
                    }
                }
            }
        }
        // Most are prepared; those with a missing value beside a job's own are not.
        #expect(prepared >= 24)
        #expect(try OutputLayout("{prompt}{quality}/{sample}").prepared { _ in nil } == nil)
    }
}
