import Foundation
import RHBatchCore
import Testing

/// A manifest's workflows checked against their graphs before any spend: every mistake is a
/// located error (issue 24).
@Suite("workflow manifests")
struct WorkflowPlanTests {
    /// The vendor's public demo workflow, as its documentation shows it.
    static let graph = #"""
        {"3":{"class_type":"KSampler","inputs":{"scheduler":"karras","negative":["7",0],"denoise":1,"latent_image":["5",0],"seed":669816362794144,"cfg":8,"sampler_name":"dpmpp_2m","model":["4",0],"positive":["6",0],"steps":20},"_meta":{"title":"KSampler"}},
         "4":{"class_type":"CheckpointLoaderSimple","inputs":{"ckpt_name":"MR 3DQ _SDXL V0.2.safetensors"},"_meta":{"title":"Load Checkpoint"}},
         "5":{"class_type":"EmptyLatentImage","inputs":{"batch_size":1,"width":512,"height":512},"_meta":{"title":"Empty Latent Image"}},
         "6":{"class_type":"CLIPTextEncode","inputs":{"speak_and_recognation":{"__value__":[false,true]},"text":"a cute panda","clip":["4",1]},"_meta":{"title":"CLIP Text Encode (Prompt)"}},
         "9":{"class_type":"SaveImage","inputs":{"filename_prefix":"ComfyUI","images":["3",0]},"_meta":{"title":"Save Image"}},
         "10":{"class_type":"ImageScale","inputs":{"process_detail":false,"image":["9",0]},"_meta":{"title":"Scale"}}}
        """#

    static let app = #"""
        {"webappName":"Kontext","nodeInfoList":[
         {"nodeId":"39","nodeName":"LoadImage","fieldName":"image","fieldValue":"x.png","fieldType":"IMAGE","description":"image"},
         {"nodeId":"37","nodeName":"RH_ComfyFluxKontext","fieldName":"aspect_ratio","fieldValue":"match_input_image","fieldData":"[{\"name\":\"match_input_image\",\"index\":\"0\"},{\"name\":\"16:9\",\"index\":\"2\"},{\"default\":\"match_input_image\"}]","fieldType":"LIST","description":"ratio"},
         {"nodeId":"52","nodeName":"RH_Translator","fieldName":"prompt","fieldValue":"","fieldType":"STRING","description":"prompt"},
         {"nodeId":"60","nodeName":"KSampler","fieldName":"steps","fieldValue":"20","fieldData":"[\"INT\",{\"min\":1,\"max\":50,\"step\":1}]","fieldType":"INT","description":"steps"}]}
        """#

    static var definitions: WorkflowDefinitions {
        var definitions = WorkflowDefinitions()
        definitions.found["workflow-1904136902449209346"] = try! WorkflowDefinition.graph(
            id: "1904136902449209346", bytes: Array(graph.utf8))
        definitions.found["app-1877265245566922753"] = try! WorkflowDefinition.app(
            id: "1877265245566922753", bytes: Array(app.utf8))
        return definitions
    }

    static func head(fields: String) -> String {
        """
        version: 1
        workflows:
          panda:
            workflow: "1904136902449209346"
            fields: {\(fields)}
          kontext:
            app: "1877265245566922753"
            fields: {image: "39:image", prompt: "52:prompt", aspect_ratio: "37:aspect_ratio"}

        """
    }

    func errors(_ text: String) throws -> [String] {
        let fixture = try Fixture()
        try fixture.png("room.png")
        let path = try fixture.manifest(text)
        do {
            _ = try ManifestLoader().load(path, workflows: Self.definitions)
            return []
        } catch {
            return error.diagnostics.filter { $0.severity == .error }.map {
                $0.description.replacingOccurrences(of: path, with: "m.yaml")
            }
        }
    }

    @Test func aValidWorkflowManifestPlansWithItsOverridesOnly() throws {
        let fixture = try Fixture()
        let path = try fixture.manifest(
            Self.head(fields: #"prompt: "6:text", seed: "3:seed""#)
                + """
                matrix:
                  model: panda
                  prompt: [a, b]
                  seed: [1, 2]
                  "3:steps": 30

                """)
        let plan = try ManifestLoader().load(path, workflows: Self.definitions)
        #expect(plan.jobs.count == 4)
        let model = try #require(plan.catalog.model(named: "panda"))
        let body = plan.jobs[0].body(urls: [], model: model).json
        #expect(
            body
                == #"{"nodeInfoList":[{"nodeId":"6","fieldName":"text","fieldValue":"a"},{"nodeId":"3","fieldName":"seed","fieldValue":"1"},{"nodeId":"3","fieldName":"steps","fieldValue":"30"}]}"#
        )
        #expect(plan.jobs[0].endpoint == "run/workflow/1904136902449209346")
        #expect(Set(plan.jobs.map(\.key)).count == 4)
    }

    @Test func aNamedNodeNotInTheGraphIsLocated() throws {
        let errors = try errors(
            Self.head(fields: #"prompt: "6:text", seed: "8:seed""#) + "matrix: {model: panda, prompt: a}\n")
        #expect(errors.count == 1)
        #expect(
            errors.first?.hasPrefix("m.yaml:5:38: error: workflows.panda.fields.seed: node 8 is not in workflow")
                == true, "\(errors)")
    }

    @Test func aFieldTheNodeLacksALinkAndAStructuredValueAreLocated() throws {
        let errors = try errors(
            Self.head(fields: #"prompt: "6:text", a: "3:sampler", b: "3:model", c: "6:speak_and_recognation""#)
                + "matrix: {model: panda, prompt: a}\n")
        #expect(errors.count == 3)
        #expect(errors.contains { $0.contains("workflows.panda.fields.a: node 3 (KSampler) has no field 'sampler'") })
        #expect(errors.contains { $0.contains("workflows.panda.fields.b: 3:model is linked to another node's output") })
        #expect(
            errors.contains {
                $0.contains("workflows.panda.fields.c: 6:speak_and_recognation holds a structured value")
            })
    }

    @Test func aValueOfTheWrongTypeIsLocated() throws {
        let errors = try errors(
            Self.head(fields: #"prompt: "6:text", seed: "3:seed""#)
                + "matrix: {model: panda, prompt: a, seed: [1, lots]}\n")
        #expect(errors.count == 1)
        #expect(errors.first?.contains("matrix.seed[1]: \"lots\" is not a number") == true, "\(errors)")
    }

    @Test func aRawKeyTheGraphLacksIsAnErrorForTheWorkflowAndDroppedForAStandardModel() throws {
        let errors = try errors(
            Self.head(fields: #"prompt: "6:text""#)
                + "matrix: {model: [panda, nano-banana-pro], image: room.png, prompt: a, \"3:stepz\": 3}\n")
        #expect(errors.count == 1, "\(errors)")
        #expect(errors.first?.contains("3:stepz is not an input panda can set") == true, "\(errors)")
    }

    @Test func anAppFieldOutsideItsListAndAListValueNotAnOptionAreLocated() throws {
        let errors = try errors(
            Self.head(fields: #"prompt: "6:text""#)
                + """
                matrix:
                  model: kontext
                  image: room.png
                  prompt: a
                  aspect_ratio: ["16:9", "7:5"]
                  "52:negative": no

                """)
        #expect(errors.count == 2, "\(errors)")
        #expect(errors.contains { $0.contains("\"7:5\" is not accepted by kontext") })
        #expect(errors.contains { $0.contains("52:negative is not an input kontext can set: its app") })
    }

    @Test func anUndeclaredWorkflowAndAMalformedNodeFieldAreLocated() throws {
        let errors = try errors(
            Self.head(fields: #"prompt: "6:text", seed: "x3:seed""#)
                + "matrix: {model: pandas, prompt: a, \"3:st eps\": 1}\n")
        #expect(
            errors.contains { $0.contains("workflows.panda.fields.seed: \"x3:seed\" is not of the form NODE:FIELD") })
        #expect(errors.contains { $0.contains("'3:st eps' is not of the form NODE:FIELD") })
        #expect(errors.contains { $0.contains("matrix.model: unknown model 'pandas'") || $0.contains("'pandas'") })
    }

    @Test func theAppsListValueIsSentAsItsIndexAndImagesAsFileNames() throws {
        let fixture = try Fixture()
        try fixture.png("room.png")
        let path = try fixture.manifest(
            Self.head(fields: #"prompt: "6:text""#)
                + "matrix: {model: kontext, image: room.png, prompt: a, aspect_ratio: \"16:9\"}\n")
        let plan = try ManifestLoader().load(path, workflows: Self.definitions)
        let model = try #require(plan.catalog.model(named: "kontext"))
        #expect(plan.jobs[0].shape.value.sendsFileNames)
        let body = plan.jobs[0].body(urls: ["openapi/abc.png"], model: model).json
        #expect(body.contains(#"{"nodeId":"39","fieldName":"image","fieldValue":"openapi/abc.png"}"#))
        #expect(body.contains(#"{"nodeId":"37","fieldName":"aspect_ratio","fieldValue":"2"}"#))
    }

    @Test func anAppsIntegerRangeAndAWorkflowsImageFormatAreChecked() throws {
        let fixture = try Fixture()
        try fixture.png("room.png")
        try fixture.write(
            "tone.wav", Array("RIFF\u{24}\u{0}\u{0}\u{0}WAVEfmt ".utf8) + [UInt8](repeating: 0, count: 40))
        let path = try fixture.manifest(
            Self.head(fields: #"prompt: "6:text""#)
                + """
                matrix:
                  - model: kontext
                    image: room.png
                    prompt: a
                    "60:steps": [10, 80]
                  - model: kontext
                    image: tone.wav
                    prompt: b

                """)
        do {
            _ = try ManifestLoader().load(path, workflows: Self.definitions)
            Issue.record("the manifest was accepted")
        } catch {
            let messages = error.diagnostics.map(\.description)
            #expect(messages.contains { $0.contains("matrix[0].60:steps[1]: 80 is above 50") }, "\(messages)")
            #expect(messages.contains { $0.contains("tone.wav' is a WAV file; kontext accepts") }, "\(messages)")
        }
    }

    @Test func aJobsParamsGoBesideTheNodeInfoList() throws {
        let fixture = try Fixture()
        let path = try fixture.manifest(
            Self.head(fields: #"prompt: "6:text""#)
                + "matrix: {model: panda, prompt: a, params: {webhookUrl: \"https://example.com/hook\"}}\n")
        let plan = try ManifestLoader().load(path, workflows: Self.definitions)
        let model = try #require(plan.catalog.model(named: "panda"))
        #expect(
            plan.jobs[0].body(urls: [], model: model).json
                == #"{"nodeInfoList":[{"nodeId":"6","fieldName":"text","fieldValue":"a"}],"webhookUrl":"https://example.com/hook"}"#
        )
    }

    func plan(_ text: String) throws -> Plan {
        let fixture = try Fixture()
        return try ManifestLoader().load(try fixture.manifest(text), workflows: Self.definitions)
    }

    func nodeInfo(_ plan: Plan, _ job: Int = 0) throws -> String {
        let model = try #require(plan.catalog.model(named: plan.jobs[job].model))
        return plan.jobs[job].body(urls: [], model: model).json
    }

    @Test func bigSeedsGoExactlyBooleansAsBooleansAndARawKeyOfANamedInputUnderItsName() throws {
        let plan = try plan(
            Self.head(fields: #"prompt: "6:text", seed: "3:seed""#)
                + "matrix: {model: panda, prompt: a, \"3:seed\": [1234567890123456789, 18446744073709551615], \"10:process_detail\": true}\n"
        )
        #expect(plan.jobs.count == 2)
        let body = try nodeInfo(plan)
        #expect(body.contains(#"{"nodeId":"3","fieldName":"seed","fieldValue":"1234567890123456789"}"#), "\(body)")
        #expect(try nodeInfo(plan, 1).contains(#""fieldValue":"18446744073709551615""#))
        #expect(body.contains(#"{"nodeId":"10","fieldName":"process_detail","fieldValue":true}"#), "\(body)")
        let both = try errors(
            Self.head(fields: #"prompt: "6:text", seed: "3:seed""#)
                + "matrix: {model: panda, prompt: a, seed: 1, \"3:seed\": 2}\n")
        #expect(both.contains { $0.contains("3:seed is panda's 'seed': set it once") }, "\(both)")
    }

    @Test func whichInputsThePromptAndImageGoToArePartOfTheJobKey() throws {
        let text = """
            version: 1
            workflows:
              a: {workflow: "1904136902449209346", fields: {prompt: "6:text"}}
              b: {workflow: "1904136902449209346", fields: {prompt: "3:sampler_name"}}
              c: {workflow: "1904136902449209346", instance: plus, fields: {prompt: "6:text"}}
            matrix: {model: [a, b, c], prompt: x}

            """
        let plan = try plan(text)
        #expect(plan.jobs.count == 3 && Set(plan.jobs.map(\.key)).count == 3)
        #expect(plan.merged.isEmpty)
    }

    @Test func promptAndImageMustNameInputsOfTheirKindAndParamsCannotSetInputs() throws {
        let wrong = try errors(
            Self.head(fields: #"prompt: "3:seed", image: "6:text""#) + "matrix: {model: panda, prompt: a}\n")
        #expect(
            wrong.contains { $0.contains("fields.prompt: 'prompt' must name a text input; 3:seed takes a number") },
            "\(wrong)")
        #expect(wrong.contains { $0.contains("fields.image: 'image' must name an image input") }, "\(wrong)")
        let params = try errors(
            Self.head(fields: #"prompt: "6:text""#) + "matrix: {model: panda, prompt: a, params: {\"99:seed\": 5}}\n")
        #expect(params.contains { $0.contains("'99:seed' is an input of panda") }, "\(params)")
        let instance = try errors(
            Self.head(fields: #"prompt: "6:text""#)
                + "matrix: {model: panda, prompt: a, params: {instanceType: plus}}\n")
        #expect(instance.contains { $0.contains("'instanceType' is set by panda's workflows entry") }, "\(instance)")
        let estimate = try errors(
            """
            version: 1
            workflows:
              big: {workflow: "1904136902449209346", estimate_seconds: 1e20}
            matrix: {model: big}

            """)
        #expect(
            estimate.contains {
                $0.contains("estimate_seconds must be a number of seconds above 0 and at most 1000000")
            })
    }

    @Test func aListOptionByNameOrValueIsOneJob() throws {
        let plan = try plan(
            Self.head(fields: #"prompt: "6:text""#)
                + """
                jobs:
                  - {model: kontext, image: room.png, prompt: a, aspect_ratio: "16:9"}
                  - {model: kontext, image: room.png, prompt: a, aspect_ratio: "2"}

                """.replacingOccurrences(of: "room.png", with: "https://example.com/room.png"))
        #expect(plan.jobs.count == 1 && plan.merged.count == 1)
    }
}
