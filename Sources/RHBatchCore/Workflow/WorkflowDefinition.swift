import Crypto
import Foundation
import RunningHubModel

/// Whether a manifest entry runs a saved ComfyUI workflow or a published AI app.
package enum WorkflowKind: String, Sendable, Hashable, Codable {
    /// A saved workflow, by `workflowId`: its API graph is read with `getJsonApiFormat`.
    case workflow
    /// A published AI app, by `webappId`: its field list is read with `apiCallDemo`.
    case app

    /// The v2 run path below `/openapi/v2/`.
    package func endpoint(id: String) -> String {
        switch self {
        case .workflow: "run/workflow/\(id)"
        case .app: "run/ai-app/\(id)"
        }
    }
}

/// `NODE:FIELD`: one input of a workflow's API graph.
package struct NodeField: Sendable, Hashable, Comparable, CustomStringConvertible {
    /// The node id as the graph writes it (`"6"`).
    package var node: String
    /// The input's name (`"text"`).
    package var field: String

    package init(node: String, field: String) {
        self.node = node
        self.field = field
    }

    /// Reads `NODE:FIELD`: a node id of digits (`"6"`; a node inside a subgraph has its
    /// subgraph's id before it, `"57:12"`) and, after the last colon, a field name without
    /// spaces; `nil` otherwise.
    package init?(_ text: String) {
        guard let colon = text.lastIndex(of: ":") else { return nil }
        let node = text[..<colon]
        let field = text[text.index(after: colon)...]
        let parts = node.split(separator: ":", omittingEmptySubsequences: false)
        guard !parts.isEmpty, parts.allSatisfy({ !$0.isEmpty && $0.allSatisfy { $0.isASCII && $0.isNumber } }),
            !field.isEmpty, field.allSatisfy({ !$0.isWhitespace })
        else { return nil }
        self.node = String(node)
        self.field = String(field)
    }

    /// Whether a manifest key is meant as `NODE:FIELD` (it has a colon), valid or not.
    package static func looksLikeOne(_ key: String) -> Bool {
        key.contains(":")
    }

    package var description: String { "\(node):\(field)" }

    package static func < (left: NodeField, right: NodeField) -> Bool {
        let (a, b) = (Int(left.node.prefix { $0 != ":" }) ?? Int.max, Int(right.node.prefix { $0 != ":" }) ?? Int.max)
        return a != b ? a < b : (left.node != right.node ? left.node < right.node : left.field < right.field)
    }
}

/// What a workflow or app input takes, as read from its graph or field list.
package enum WorkflowInputType: Sendable, Hashable {
    case integer(min: Int?, max: Int?)
    /// A number; a whole current value (`cfg: 8`) reads as a number too, since ComfyUI's JSON
    /// cannot tell `8` from `8.0`.
    case number
    case text
    case boolean
    /// A file input (LoadImage `image`, an app's IMAGE field): takes an upload's `fileName`.
    case media(OutputKind)
    /// One of the listed options (an app's LIST field): sent as the option's index.
    case choice([WorkflowOption])
    /// A link to another node's output (`["4", 1]`): never overridden.
    case link
    /// A structured value (`{"__value__": [...]}`): never overridden.
    case structured

    /// Words for messages and `inspect`.
    package var name: String {
        switch self {
        case .integer: "integer"
        case .number: "number"
        case .text: "text"
        case .boolean: "boolean"
        case .media(let kind): kind == .image ? "image" : kind == .video ? "video" : "audio"
        case .choice: "list"
        case .link: "link"
        case .structured: "structured"
        }
    }

    /// Whether a manifest may set it.
    package var isOverridable: Bool {
        switch self {
        case .link, .structured: false
        default: true
        }
    }
}

/// One option of an app's LIST field.
package struct WorkflowOption: Sendable, Hashable {
    /// What users read and may write.
    package var name: String
    /// What the service expects as the value.
    package var index: String
}

/// One input of a workflow's graph or one field of an app.
package struct WorkflowInput: Sendable, Hashable {
    package var target: NodeField
    /// The node's `class_type` (`KSampler`); an app's `nodeName`.
    package var classType: String
    /// The node's title (`_meta.title`); an app field's description.
    package var title: String
    /// The saved value, as JSON.
    package var current: JSONValue
    package var type: WorkflowInputType
}

/// A workflow's API graph or an app's field list, read once and cached: what every override is
/// checked against before anything is spent.
package struct WorkflowDefinition: Sendable {
    package var kind: WorkflowKind
    package var id: String
    /// Every input, in node order; links and structured values included (they cannot be set).
    package var inputs: [WorkflowInput]
    /// Node ids that produce results (SaveImage, PreviewImage, VHS_VideoCombine, ...), when known.
    package var outputNodes: [String]
    /// An app's name, when the service gives one.
    package var title: String
    /// SHA-256 of the canonical graph or field list: jobs record it, and a change is reported.
    package var sha256: String

    /// The input at `target`, when the graph has that node and field.
    package func input(_ target: NodeField) -> WorkflowInput? {
        inputs.first { $0.target == target }
    }

    /// Whether the graph has the node at all.
    package func hasNode(_ node: String) -> Bool {
        nodeClasses[node] != nil
    }

    /// Node id → class, for nodes with no inputs too.
    package var nodeClasses: [String: String] = [:]

    /// Why a definition could not be read.
    package struct ReadError: Error, Sendable, CustomStringConvertible {
        package var message: String
        package var description: String { message }
    }

    /// Reads a workflow's API graph: the graph object itself (`{"3": {"class_type": ...}}`), or
    /// `getJsonApiFormat`'s `data` (`{"prompt": "<the graph as a JSON string>"}`).
    package static func graph(id: String, bytes: [UInt8]) throws(ReadError) -> WorkflowDefinition {
        guard var object = parse(bytes) else { throw ReadError(message: "the graph is not a JSON object") }
        if case .string(let text)? = object["prompt"], let inner = parse(Array(text.utf8)) { object = inner }
        var inputs: [WorkflowInput] = []
        var outputs: [String] = []
        var classes: [String: String] = [:]
        for (node, value) in object.sorted(by: {
            NodeField(node: $0.key, field: "") < NodeField(node: $1.key, field: "")
        }) {
            guard case .object(let members) = value, let classType = members.first(where: { $0.0 == "class_type" })?.1,
                case .string(let className) = classType
            else {
                throw ReadError(message: "node \(node) of the graph has no class_type: is this an API-format export?")
            }
            classes[node] = className
            var title = className
            if case .object(let meta)? = members.first(where: { $0.0 == "_meta" })?.1,
                case .string(let text)? = meta.first(where: { $0.0 == "title" })?.1
            {
                title = text
            }
            if outputClass(className) { outputs.append(node) }
            guard case .object(let fields)? = members.first(where: { $0.0 == "inputs" })?.1 else { continue }
            for (field, current) in fields.sorted(by: { $0.0 < $1.0 }) {
                inputs.append(
                    WorkflowInput(
                        target: NodeField(node: node, field: field), classType: className, title: title,
                        current: current, type: graphType(current, classType: className, field: field)))
            }
        }
        guard !classes.isEmpty else { throw ReadError(message: "the graph has no nodes") }
        var definition = WorkflowDefinition(
            kind: .workflow, id: id, inputs: inputs, outputNodes: outputs, title: "",
            sha256: SHA256.hash(data: Array(JSONValue.object(object.map { ($0.key, $0.value) }).canonical.utf8))
                .hexString)
        definition.nodeClasses = classes
        return definition
    }

    /// Reads an app's field list: `apiCallDemo`'s `data` (`{"nodeInfoList": [...], "webappName": ...}`)
    /// or the list itself.
    package static func app(id: String, bytes: [UInt8]) throws(ReadError) -> WorkflowDefinition {
        let list: [JSONValue]
        var title = ""
        if let object = parse(bytes) {
            guard case .array(let items)? = object["nodeInfoList"] else {
                throw ReadError(message: "the app's description has no nodeInfoList")
            }
            list = items
            if case .string(let name)? = object["webappName"] { title = name }
        } else if case .array(let items)? = parseAny(bytes) {
            list = items
        } else {
            throw ReadError(message: "the app's description is not JSON")
        }
        var inputs: [WorkflowInput] = []
        for item in list {
            guard case .object(let members) = item else { continue }
            let entry = Dictionary(members, uniquingKeysWith: { a, _ in a })
            guard let node = entry["nodeId"]?.plainText, let field = entry["fieldName"]?.plainText else {
                throw ReadError(message: "an entry of the app's nodeInfoList has no nodeId or fieldName")
            }
            let fieldType = entry["fieldType"]?.plainText?.uppercased() ?? "STRING"
            let fieldData = entry["fieldData"]?.plainText.flatMap { parseAny(Array($0.utf8)) }
            inputs.append(
                WorkflowInput(
                    target: NodeField(node: node, field: field),
                    classType: entry["nodeName"]?.plainText ?? "",
                    title: entry["description"]?.plainText ?? entry["descriptionEn"]?.plainText ?? "",
                    current: entry["fieldValue"] ?? .null,
                    type: appType(fieldType, data: fieldData)))
        }
        guard !inputs.isEmpty else {
            throw ReadError(message: "the app lists no fields (an app must have run once on the web to list them)")
        }
        let canonical = JSONValue.array(list).canonical
        var definition = WorkflowDefinition(
            kind: .app, id: id, inputs: inputs, outputNodes: [], title: title,
            sha256: SHA256.hash(data: Array(canonical.utf8)).hexString)
        definition.nodeClasses = Dictionary(
            inputs.map { ($0.target.node, $0.classType) }, uniquingKeysWith: { a, _ in a })
        return definition
    }

    /// Node classes that produce results.
    static func outputClass(_ name: String) -> Bool {
        name.hasPrefix("Save") || name.hasPrefix("Preview") || name == "VHS_VideoCombine"
    }

    /// Input names of loader nodes that name an uploaded file.
    static let mediaInputs: [String: OutputKind] = ["image": .image, "video": .video, "audio": .audio]

    static func graphType(_ value: JSONValue, classType: String, field: String) -> WorkflowInputType {
        switch value {
        case .array(let items) where items.count == 2:
            if case .string = items[0] { return .link }
            return .structured
        case .array, .object, .null: return .structured
        case .boolean: return .boolean
        case .integer: return .number
        case .number: return .number
        case .string:
            // LoadImage, LoadAudio, VHS_LoadVideo, VHS_LoadAudioUpload, ...: a loader's file input.
            // Loaders that take a server path or a URL (VHS_LoadVideoPath, LoadImageFromUrl) take text.
            let byPath = classType.contains("Path") || classType.lowercased().contains("url")
            if classType.contains("Load"), !byPath, let kind = mediaInputs[field] { return .media(kind) }
            return .text
        }
    }

    static func appType(_ fieldType: String, data: JSONValue?) -> WorkflowInputType {
        switch fieldType {
        case "IMAGE": return .media(.image)
        case "VIDEO": return .media(.video)
        case "AUDIO": return .media(.audio)
        case "INT":
            return .integer(
                min: bound(data, "min").flatMap(Int.init(exactly:)), max: bound(data, "max").flatMap(Int.init(exactly:))
            )
        case "FLOAT": return .number
        case "SWITCH", "BOOLEAN": return .boolean
        case "LIST":
            var options: [WorkflowOption] = []
            var items: [JSONValue] = []
            if case .array(let list)? = data { items = list }
            for item in items {
                guard case .object(let members) = item else { continue }
                let entry = Dictionary(members, uniquingKeysWith: { a, _ in a })
                if case .array(let nested)? = entry["options"] {
                    items += nested
                    continue
                }
                guard let name = entry["name"]?.plainText else { continue }
                options.append(WorkflowOption(name: name, index: entry["index"]?.plainText ?? name))
            }
            return .choice(options)
        default: return .text
        }
    }

    /// A bound an app's `fieldData` states (`["INT", {"min": 1, "max": 50}]`), or `nil`.
    static func bound(_ data: JSONValue?, _ name: String) -> Double? {
        guard case .array(let items)? = data else { return nil }
        for item in items {
            guard case .object(let members) = item, let value = members.first(where: { $0.0 == name })?.1 else {
                continue
            }
            switch value {
            case .integer(let number): return Double(number)
            case .number(let number): return number
            default: continue
            }
        }
        return nil
    }

    /// A JSON object's members by key, or `nil`.
    static func parse(_ bytes: [UInt8]) -> [String: JSONValue]? {
        guard case .object(let members)? = parseAny(bytes) else { return nil }
        return Dictionary(members, uniquingKeysWith: { a, _ in a })
    }

    /// Any JSON text as a value, or `nil`.
    package static func parseAny(_ bytes: [UInt8]) -> JSONValue? {
        try? JSONDecoder().decode(JSONValue.self, from: Data(bytes))
    }
}

extension JSONValue {
    /// A string's text, or a number's or boolean's as text; `nil` for lists, objects and null.
    package var plainText: String? {
        switch self {
        case .string(let text): text
        case .integer(let value): String(value)
        case .number(let value): FieldValue.number(value).text
        case .boolean(let value): value ? "true" : "false"
        default: nil
        }
    }
}
