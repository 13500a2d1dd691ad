/// What `rh-batch inspect` prints of a workflow or app: the inputs a manifest can set, and an
/// entry to paste.
extension WorkflowDefinition {
    /// The inputs a manifest can set, in node order.
    package var settable: [WorkflowInput] {
        inputs.filter(\.type.isOverridable)
    }

    /// A table of the settable inputs, the ones that cannot be set, and a `workflows:` entry.
    package func inspection(name: String? = nil) -> String {
        let what = kind == .workflow ? "workflow" : "app"
        var lines: [String] = []
        let title = self.title.isEmpty ? "" : " \"\(self.title)\""
        lines.append(
            "\(what) \(id)\(title): \(nodeClasses.count) nodes, \(settable.count) inputs a manifest can set (graph sha256 \(sha256.prefix(12)))"
        )
        let rows: [[String]] =
            [["NODE:FIELD", "class", "title", "type", "current value"]]
            + settable.map { input in
                [
                    input.target.description, input.classType, input.title, typeText(input.type),
                    valueText(input.current),
                ]
            }
        let widths = (0..<5).map { column in rows.map { $0[column].count }.max() ?? 0 }
        for row in rows {
            let cells = row.enumerated().map { column, text in
                column == 4 ? text : text.padding(toLength: widths[column])
            }
            lines.append("  " + cells.joined(separator: "  "))
        }
        let fixed = inputs.filter { !$0.type.isOverridable }.map { "\($0.target) (\($0.type.name))" }
        if !fixed.isEmpty {
            lines.append("not settable (links to other nodes, structured values): " + fixed.joined(separator: ", "))
        }
        if !outputNodes.isEmpty {
            let outputs = outputNodes.map { "\($0) (\(nodeClasses[$0] ?? ""))" }
            lines.append("output nodes (a result each, named {node}): " + outputs.joined(separator: ", "))
        }
        lines.append("")
        lines.append("# paste into a manifest, and rename the fields you use:")
        lines.append(contentsOf: entry(name: name ?? "\(what)-\(id.suffix(6))"))
        return lines.joined(separator: "\n")
    }

    /// A ready `workflows:` entry naming every settable input.
    package func entry(name: String) -> [String] {
        var lines = [
            "workflows:", "  \(name):", "    \(kind == .workflow ? "workflow" : "app"): \"\(id)\"", "    fields:",
        ]
        var counts: [String: Int] = [:]
        for input in settable { counts[FieldSpec.snakeCase(input.target.field), default: 0] += 1 }
        for input in settable {
            let base = FieldSpec.snakeCase(input.target.field)
            // A name the manifest keeps for itself, or one two inputs share, gets its node.
            let reserved = ["model", "samples", "params"].contains(base)
            let fieldName =
                counts[base, default: 0] > 1 || reserved
                ? "\(base)_\(input.target.node.replacingAll(":", with: "_"))" : base
            lines.append("      \(fieldName): \"\(input.target)\"    # \(input.classType): \(input.title)")
        }
        return lines
    }

    func typeText(_ type: WorkflowInputType) -> String {
        if case .choice(let options) = type { return "list: " + options.map(\.name).joined(separator: " | ") }
        return type.name
    }

    func valueText(_ value: JSONValue) -> String {
        let text = value.plainText ?? value.json
        let flat = text.replacingAll("\n", with: " ")
        return flat.count > 48 ? String(flat.prefix(47)) + "…" : flat
    }
}
