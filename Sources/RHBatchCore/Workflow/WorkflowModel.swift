import RunningHubModel
import YAML

/// One `workflows:` entry of a manifest: a name usable as a `model`, bound to a workflow or app.
package struct WorkflowDeclaration: Sendable {
    /// One named field: `prompt: "6:text"`.
    package struct Field: Sendable {
        package var name: String
        package var target: NodeField
        package var mark: Mark
        package var path: KeyPath
    }

    package var name: String
    package var kind: WorkflowKind
    /// The `workflowId` or `webappId`, always as text (ids exceed 2^53).
    package var id: String
    /// `default` (24G) or `plus` (48G), when set.
    package var instance: String?
    package var fields: [Field]
    /// Seconds one job is expected to take, for an estimate in RH coins.
    package var estimateSeconds: Double?
    /// Where the entry starts, and where its id is written.
    package var mark: Mark
    package var idMark: Mark
    package var path: KeyPath

    /// Makes a declaration.
    package init(
        name: String, kind: WorkflowKind, id: String, instance: String?, fields: [Field], estimateSeconds: Double?,
        mark: Mark, idMark: Mark, path: KeyPath
    ) {
        self.name = name
        self.kind = kind
        self.id = id
        self.instance = instance
        self.fields = fields
        self.estimateSeconds = estimateSeconds
        self.mark = mark
        self.idMark = idMark
        self.path = path
    }

    /// A declaration of `id` alone, with no fields (what `rh-batch inspect` reads).
    package init(reading kind: WorkflowKind, id: String) {
        self.init(
            name: "inspected", kind: kind, id: id, instance: nil, fields: [], estimateSeconds: nil, mark: .start,
            idMark: .start, path: .root)
    }

    /// The RH coins one second costs on the entry's instance (0.2 on 24G, 0.4 on 48G).
    package var coinsPerSecond: Double { instance == "plus" ? 0.4 : 0.2 }
}

/// How a workflow or app model's jobs are sent: what ``ModelSpec`` holds beyond a standard model.
package struct WorkflowBinding: Sendable {
    package var kind: WorkflowKind
    package var id: String
    package var instance: String?
    /// SHA-256 of the graph or field list the jobs were checked against.
    package var graphSHA256: String
    /// Per LIST field (`NODE:FIELD`): option name → what is sent.
    package var choiceValues: [String: [String: String]]
    /// Per LIST field: option name or value → the option's name (one spelling, one job key).
    package var choiceNames: [String: [String: String]] = [:]
    /// RH coins per second of the instance, and the declared seconds per job, if any.
    package var coinsPerSecond: Double
    package var estimateSeconds: Double?

    /// The estimated RH coins of one job, when `estimate_seconds` is declared: `ceil(s × rate)`.
    package var estimatedCoins: Int? {
        estimateSeconds.map { Int(($0 * coinsPerSecond).rounded(.up)) }
    }

    /// The run body for the fields a job sets (`NODE:FIELD` → value, in the job's order): only
    /// those fields, each value sent as text (as the vendor's own example does; a boolean as a
    /// boolean), a LIST field's
    /// option as what the service expects. Other members (a job's `params`: `webhookUrl`,
    /// `retainSeconds`, ...) go beside `nodeInfoList` as they are.
    package func body(_ members: [(String, JSONValue)]) -> JSONValue {
        var list: [JSONValue] = []
        var others: [(String, JSONValue)] = []
        for (key, value) in members {
            guard let target = NodeField(key) else {
                others.append((key, value))
                continue
            }
            let sent: JSONValue
            switch value {
            case .array(let items): sent = .string(items.first?.plainText ?? "")
            // A boolean as one: ComfyUI reads any non-empty text as true.
            case .boolean: sent = value
            default:
                let text = value.plainText ?? value.json
                sent = .string(choiceValues[key]?[text] ?? text)
            }
            list.append(
                .object([("nodeId", .string(target.node)), ("fieldName", .string(target.field)), ("fieldValue", sent)]))
        }
        var members: [(String, JSONValue)] = [("nodeInfoList", .array(list))]
        if let instance { members.append(("instanceType", .string(instance))) }
        return .object(
            members + others.filter { key, _ in key != "nodeInfoList" && (instance == nil || key != "instanceType") })
    }
}

/// Turns a declaration and its definition into a model of the catalog, reporting every named
/// field the definition does not have.
package enum WorkflowModel {
    /// The largest upload the service takes for a workflow input.
    static let maxUploadBytes = 30 * 1024 * 1024

    /// The model a declaration stands for, with its fields checked against the definition.
    package static func spec(
        _ declaration: WorkflowDeclaration, _ definition: WorkflowDefinition, diagnostics: inout Diagnostics
    ) -> ModelSpec {
        var fields: [FieldSpec] = []
        var choices: [String: [String: String]] = [:]
        var names: [String: [String: String]] = [:]
        var byTarget: [NodeField: Int] = [:]
        for input in definition.inputs where input.type.isOverridable {
            byTarget[input.target] = fields.count
            fields.append(fieldSpec(input))
            if case .choice(let options) = input.type {
                var sent: [String: String] = [:]
                var name: [String: String] = [:]
                for option in options {
                    sent[option.name] = option.index
                    sent[option.index] = sent[option.index] ?? option.index
                    name[option.name] = option.name
                    name[option.index] = name[option.index] ?? option.name
                }
                choices[input.target.description] = sent
                names[input.target.description] = name
            }
        }
        var promptIndex: Int?
        var imageIndex: Int?
        for named in declaration.fields {
            guard let problem = problem(named, declaration, definition) else {
                let index = byTarget[named.target]!
                // `prompt` takes text, `image` an image input: anything else is a mistake.
                if named.name == "prompt", case .string = fields[index].kind {
                    promptIndex = index
                } else if named.name == "image", fields[index].media?.kind == .image {
                    imageIndex = index
                } else if named.name == "prompt" || named.name == "image" {
                    let wanted = named.name == "prompt" ? "a text input" : "an image input (a loader's image)"
                    diagnostics.error(
                        "'\(named.name)' must name \(wanted); \(named.target) takes \(fields[index].accepted)",
                        at: named.mark, path: named.path.description)
                    continue
                }
                fields[index].name = named.name
                continue
            }
            diagnostics.error(problem, at: named.mark, path: named.path.description)
        }
        let binding = WorkflowBinding(
            kind: definition.kind, id: declaration.id, instance: declaration.instance,
            graphSHA256: definition.sha256, choiceValues: choices, coinsPerSecond: declaration.coinsPerSecond,
            estimateSeconds: declaration.estimateSeconds)
        var spec = ModelSpec(
            alias: declaration.name,
            endpoint: definition.kind.endpoint(id: declaration.id),
            vendorName: "\(definition.kind.rawValue) \(declaration.id)",
            output: .image,
            fields: fields,
            price: .unknown("a workflow is billed by GPU time, in RH coins", currency: "RH coins", source: "workflow"),
            promptIndex: promptIndex,
            imageIndex: imageIndex
        )
        spec.workflow = binding
        spec.workflow?.choiceNames = names
        return spec
    }

    /// Why a named field cannot be bound, or `nil`.
    static func problem(
        _ named: WorkflowDeclaration.Field, _ declaration: WorkflowDeclaration, _ definition: WorkflowDefinition
    ) -> String? {
        let what = definition.kind == .workflow ? "workflow" : "app"
        guard definition.hasNode(named.target.node) else {
            let nodes = definition.nodeClasses.keys.sorted {
                NodeField(node: $0, field: "") < NodeField(node: $1, field: "")
            }
            return
                "node \(named.target.node) is not in \(what) \(declaration.id)'s graph (nodes: \(nodes.joined(separator: ", "))); a bypassed node is left out of the graph, and the service ignores overrides for it"
        }
        let classType = definition.nodeClasses[named.target.node] ?? ""
        guard let input = definition.input(named.target) else {
            let own = definition.inputs.filter { $0.target.node == named.target.node && $0.type.isOverridable }
                .map(\.target.field)
            let hint = Suggestion.hint(for: named.target.field, in: own)
            return
                "node \(named.target.node) (\(classType)) has no field '\(named.target.field)'\(hint); its fields: \(own.joined(separator: ", "))"
        }
        switch input.type {
        case .link:
            return
                "\(named.target) is linked to another node's output in \(what) \(declaration.id): only a widget value can be set"
        case .structured:
            return
                "\(named.target) holds a structured value in \(what) \(declaration.id): it cannot be set from a manifest"
        default:
            return nil
        }
    }

    /// The catalog field for an input: `NODE:FIELD` is both its body key and its manifest name.
    static func fieldSpec(_ input: WorkflowInput) -> FieldSpec {
        let kind: FieldSpec.Kind
        switch input.type {
        case .integer(let min, let max): kind = .integer(min: min, max: max, step: nil)
        case .number: kind = .number(min: nil, max: nil, step: nil)
        case .boolean: kind = .boolean
        case .choice(let options):
            // The option's name or its index: both are accepted, the index is sent.
            let names = options.map(\.name)
            kind = .choice(names + options.map(\.index).filter { !names.contains($0) })
        case .media(let output):
            let formats = MediaFormat.allCases.filter { $0.kind == output }
            kind = .media(
                MediaField(
                    apiKey: input.target.description, kind: output, isList: false, maxCount: 1, formats: formats,
                    maxBytes: maxUploadBytes))
        case .text, .link, .structured: kind = .string(maxLength: nil)
        }
        var field = FieldSpec(apiKey: input.target.description, kind: kind, required: false)
        field.name = input.target.description
        return field
    }
}
