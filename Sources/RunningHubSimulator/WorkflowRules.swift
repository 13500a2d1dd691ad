import Foundation

/// The simulator's workflows and apps, and how it checks a run's `nodeInfoList` as the service
/// does. Its own code and types: nothing is shared with rh-batch's workflow checks, so that a
/// mistake in one is caught by the other.
struct WorkflowRules: Sendable {
    /// One saved workflow: its API graph, by node id.
    struct Graph: Sendable {
        var id: String
        /// The graph as JSON text, as `getJsonApiFormat` hands it out.
        var text: String
        /// Node id → (class, input names).
        var nodes: [String: (classType: String, inputs: Set<String>)]
        /// A saved workflow that was never run on the web: its runs are refused with 810.
        var neverRun = false

        /// Output nodes, in id order: each gives one result.
        var outputNodes: [String] {
            nodes.filter { $0.value.classType.hasPrefix("Save") || $0.value.classType.hasPrefix("Preview") }.keys
                .sorted { (Int($0) ?? 0) < (Int($1) ?? 0) }
        }
    }

    /// One published app: its fields as `apiCallDemo` lists them.
    struct App: Sendable {
        var id: String
        var name: String
        /// `nodeInfoList` as JSON text, as `apiCallDemo` hands it out.
        var text: String
        /// Each field: node, name, type, the node's class, and a LIST field's option indexes.
        var fields: [(node: String, field: String, type: String, classType: String, options: [String])]
        var outputNodes: [String]
    }

    var graphs: [String: Graph]
    var apps: [String: App]

    /// Samplers ComfyUI knows: a run naming another fails validation (`value_not_in_list`).
    static let samplers: Set<String> = [
        "euler", "euler_ancestral", "heun", "dpm_2", "dpm_2_ancestral", "lms", "dpmpp_2m", "dpmpp_2m_sde", "dpmpp_sde",
        "ddim", "uni_pc",
    ]

    /// The built-in ones, plus the user's exported graphs (id → API-format JSON text).
    static func make(extra: [String: String]) -> WorkflowRules {
        var graphs: [String: Graph] = [:]
        for (id, text) in [(demoID, demoGraph), (editID, editGraph), (neverRunID, demoGraph)] + extra.map({ ($0, $1) })
        {
            guard var graph = parseGraph(id: id, text: text) else { continue }
            graph.neverRun = id == neverRunID
            graphs[id] = graph
        }
        let list = (try? JSONSerialization.jsonObject(with: Data(appList.utf8))) as? [[String: Any]] ?? []
        let fields = list.map { entry in
            let options = (try? JSONSerialization.jsonObject(with: Data(text(entry["fieldData"]).utf8))) as? [Any] ?? []
            return (
                node: text(entry["nodeId"]), field: text(entry["fieldName"]), type: text(entry["fieldType"]),
                classType: text(entry["nodeName"]),
                options: options.compactMap { ($0 as? [String: Any])?["index"].map(text) }
            )
        }
        let app = App(id: appID, name: "Kontext edit (simulated)", text: appList, fields: fields, outputNodes: ["60"])
        return WorkflowRules(graphs: graphs, apps: [appID: app])
    }

    /// A graph from API-format JSON text, or `nil` when it is not one.
    static func parseGraph(id: String, text: String) -> Graph? {
        guard let object = (try? JSONSerialization.jsonObject(with: Data(text.utf8))) as? [String: Any] else {
            return nil
        }
        var nodes: [String: (classType: String, inputs: Set<String>)] = [:]
        for (node, value) in object {
            guard let entry = value as? [String: Any], let classType = entry["class_type"] as? String else {
                return nil
            }
            nodes[node] = (classType, Set((entry["inputs"] as? [String: Any] ?? [:]).keys))
        }
        return Graph(id: id, text: text, nodes: nodes)
    }

    /// What a run request comes to.
    enum Verdict {
        /// Refused before any task: a code and message.
        case refused(code: String, message: String)
        /// A task that fails validation at once (never run, never billed), with its `promptTips`.
        case invalid(promptTips: String)
        /// A task to run, producing one result per output node, of these node ids.
        case run(outputNodes: [String])
    }

    /// Checks a run of workflow or app `id` with this body, as the service does: an unknown id,
    /// a never-run workflow, a field the node lacks (803), a value the node does not accept
    /// (`node_errors`), an override for a node not in the graph (silently ignored).
    func check(kind: String, id: String, body: [String: Any], uploaded: (String) -> Bool) -> Verdict {
        let list = body["nodeInfoList"] as? [[String: Any]] ?? []
        if kind == "workflow" {
            guard let graph = graphs[id] else { return .refused(code: "380", message: "WORKFLOW_NOT_EXISTS") }
            if graph.neverRun { return .refused(code: "810", message: "WORKFLOW_NOT_SAVED_OR_NOT_RUNNING") }
            var errors: [String: Any] = [:]
            for entry in list {
                let node = Self.text(entry["nodeId"])
                let field = Self.text(entry["fieldName"])
                let value = Self.text(entry["fieldValue"])
                guard let target = graph.nodes[node] else { continue } // absent: ignored, as the service does
                guard target.inputs.contains(field) else {
                    return .refused(
                        code: "803",
                        message:
                            "APIKEY_INVALID_NODE_INFO: NODE_INFO_MISMATCH(nodeId=\(node), fieldName=\(field), reason=field_not_found_in_node_inputs)"
                    )
                }
                if field == "sampler_name", !Self.samplers.contains(value) {
                    errors[node] = Self.nodeError(target.classType, "Value not in list", "sampler_name: '\(value)'")
                }
                if target.classType.hasPrefix("Load"), ["image", "video", "audio"].contains(field), !uploaded(value) {
                    errors[node] = Self.nodeError(target.classType, "Invalid image file", "\(field): \(value)")
                }
            }
            if !errors.isEmpty { return .invalid(promptTips: Self.tips(result: false, errors: errors)) }
            return .run(outputNodes: graph.outputNodes)
        }
        guard let app = apps[id] else { return .refused(code: "901", message: "WEBAPP_NOT_EXISTS") }
        var errors: [String: Any] = [:]
        for entry in list {
            let node = Self.text(entry["nodeId"])
            let field = Self.text(entry["fieldName"])
            let value = Self.text(entry["fieldValue"])
            guard let declared = app.fields.first(where: { $0.node == node && $0.field == field }) else {
                return .refused(
                    code: "803",
                    message:
                        "APIKEY_INVALID_NODE_INFO: NODE_INFO_MISMATCH(nodeId=\(node), fieldName=\(field), reason=field_not_found_in_node_inputs)"
                )
            }
            switch declared.type {
            case "LIST":
                if !declared.options.contains(value) {
                    errors[node] = Self.nodeError(declared.classType, "Value not in list", "\(field): '\(value)'")
                }
            case "IMAGE", "VIDEO", "AUDIO":
                if !uploaded(value) {
                    errors[node] = Self.nodeError(declared.classType, "Invalid image file", "\(field): \(value)")
                }
            default: break
            }
        }
        if !errors.isEmpty { return .invalid(promptTips: Self.tips(result: false, errors: errors)) }
        return .run(outputNodes: app.outputNodes)
    }

    static func nodeError(_ classType: String, _ message: String, _ details: String) -> [String: Any] {
        [
            "errors": [["type": "value_not_in_list", "message": message, "details": details, "extra_info": [:]]],
            "dependent_outputs": [], "class_type": classType,
        ]
    }

    /// ComfyUI's `validate_prompt` result as the JSON string the service sends.
    static func tips(result: Bool, errors: [String: Any], outputs: [String] = []) -> String {
        let object: [String: Any] = [
            "result": result, "error": NSNull(), "outputs_to_execute": outputs, "node_errors": errors,
        ]
        let data = (try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys])) ?? Data()
        return String(decoding: data, as: UTF8.self)
    }

    static func text(_ value: Any?) -> String {
        switch value {
        case let text as String: text
        case let number as NSNumber: number.stringValue
        default: ""
        }
    }

    // MARK: Fixtures

    /// The vendor's public demo workflow (SDXL text to image), as its documentation shows it.
    static let demoID = "1904136902449209346"
    /// An image-edit workflow of the simulator's own: two LoadImage inputs, two output nodes.
    static let editID = "1000000000000000001"
    /// A saved workflow that was never run on the web: its runs are refused with 810.
    static let neverRunID = "1000000000000000810"
    /// An app with IMAGE, STRING and LIST fields.
    static let appID = "1877265245566922753"

    static let demoGraph = #"""
        {"3":{"class_type":"KSampler","inputs":{"scheduler":"karras","negative":["7",0],"denoise":1,"latent_image":["5",0],"seed":669816362794144,"cfg":8,"sampler_name":"dpmpp_2m","model":["4",0],"positive":["6",0],"steps":20},"_meta":{"title":"KSampler"}},
         "4":{"class_type":"CheckpointLoaderSimple","inputs":{"ckpt_name":"MR 3DQ _SDXL V0.2.safetensors"},"_meta":{"title":"Load Checkpoint"}},
         "37":{"class_type":"VAEDecode","inputs":{"vae":["4",2],"samples":["3",0]},"_meta":{"title":"VAE Decode"}},
         "5":{"class_type":"EmptyLatentImage","inputs":{"batch_size":1,"width":512,"height":512},"_meta":{"title":"Empty Latent Image"}},
         "6":{"class_type":"CLIPTextEncode","inputs":{"speak_and_recognation":{"__value__":[false,true]},"text":"DreamWork 3D Style, a cute panda","clip":["4",1]},"_meta":{"title":"CLIP Text Encode (Prompt)"}},
         "7":{"class_type":"CLIPTextEncode","inputs":{"speak_and_recognation":{"__value__":[false,true]},"text":"","clip":["4",1]},"_meta":{"title":"CLIP Text Encode (Prompt)"}},
         "9":{"class_type":"SaveImage","inputs":{"filename_prefix":"ComfyUI","images":["37",0]},"_meta":{"title":"Save Image"}}}
        """#

    static let editGraph = #"""
        {"10":{"class_type":"LoadImage","inputs":{"image":"source.png"},"_meta":{"title":"Source"}},
         "11":{"class_type":"LoadImage","inputs":{"image":"style.png"},"_meta":{"title":"Style"}},
         "20":{"class_type":"CR Text","inputs":{"text":"make it look like the style image"},"_meta":{"title":"Instruction"}},
         "21":{"class_type":"TextEncodeQwenImageEditPlus","inputs":{"prompt":["20",0],"image1":["10",0],"image2":["11",0]},"_meta":{"title":"Encode"}},
         "30":{"class_type":"KSampler","inputs":{"seed":42,"steps":8,"cfg":2.5,"denoise":0.7000000000000002,"sampler_name":"euler","scheduler":"simple","positive":["21",0],"negative":["21",1],"model":["40",0],"latent_image":["21",2]},"_meta":{"title":"KSampler"}},
         "40":{"class_type":"UNETLoader","inputs":{"unet_name":"qwen_image_edit.safetensors","weight_dtype":"default"},"_meta":{"title":"Load Model"}},
         "50":{"class_type":"VAEDecode","inputs":{"samples":["30",0],"vae":["40",1]},"_meta":{"title":"VAE Decode"}},
         "60":{"class_type":"SaveImage","inputs":{"filename_prefix":"edit","images":["50",0]},"_meta":{"title":"Save Image"}},
         "61":{"class_type":"PreviewImage","inputs":{"images":["50",0]},"_meta":{"title":"Preview"}},
         "70":{"class_type":"ImageScale","inputs":{"upscale_method":"lanczos","width":1024,"height":1024,"crop":"disabled","process_detail":false,"image":["50",0]},"_meta":{"title":"Scale"}}}
        """#

    static let appList = #"""
        [{"nodeId":"39","nodeName":"LoadImage","fieldName":"image","fieldValue":"example.png","fieldData":"[[\"example.png\",\"keep_this_dic\"],{\"image_upload\":true}]","fieldType":"IMAGE","description":"image","descriptionEn":"image"},
         {"nodeId":"37","nodeName":"RH_ComfyFluxKontext","fieldName":"model","fieldValue":"flux-kontext-pro","fieldData":"[{\"name\":\"flux-kontext-pro\",\"index\":\"flux-kontext-pro\",\"description\":\"pro\"},{\"name\":\"flux-kontext-max\",\"index\":\"flux-kontext-max\",\"description\":\"max\"},{\"default\":\"flux-kontext-pro\",\"description\":\"\"}]","fieldType":"LIST","description":"model","descriptionEn":"model"},
         {"nodeId":"37","nodeName":"RH_ComfyFluxKontext","fieldName":"aspect_ratio","fieldValue":"match_input_image","fieldData":"[{\"name\":\"match_input_image\",\"index\":\"0\",\"description\":\"\"},{\"name\":\"1:1\",\"index\":\"1\",\"description\":\"\"},{\"name\":\"16:9\",\"index\":\"2\",\"description\":\"\"},{\"name\":\"9:16\",\"index\":\"3\",\"description\":\"\"},{\"default\":\"match_input_image\",\"description\":\"\"}]","fieldType":"LIST","description":"aspect ratio","descriptionEn":"aspect ratio"},
         {"nodeId":"52","nodeName":"RH_Translator","fieldName":"prompt","fieldValue":"","fieldData":"[\"STRING\",{\"default\":\"\",\"multiline\":true}]","fieldType":"STRING","description":"prompt","descriptionEn":"prompt"}]
        """#
}
