/// What changed between two catalogs, model by model (matched by endpoint): what
/// `rh-batch catalog update` prints.
package struct CatalogDiff: Sendable {
    /// Models only the new catalog has (aliases).
    package var added: [String] = []
    /// Models only the old catalog has (aliases).
    package var removed: [String] = []
    /// Per model, its fields that were added, removed or now accept other values.
    package var fields: [(model: String, changes: [String])] = []
    /// Per model, its price rule before and after.
    package var prices: [(model: String, old: String, new: String)] = []

    /// Whether nothing changed.
    package var isEmpty: Bool { added.isEmpty && removed.isEmpty && fields.isEmpty && prices.isEmpty }

    /// The differences from `old` to `new`.
    package static func between(_ old: ModelCatalog, _ new: ModelCatalog) -> CatalogDiff {
        var diff = CatalogDiff()
        let before = Dictionary(
            old.models.filter { $0.workflow == nil }.map { ($0.endpoint, $0) }, uniquingKeysWith: { a, _ in a })
        let after = Dictionary(
            new.models.filter { $0.workflow == nil }.map { ($0.endpoint, $0) }, uniquingKeysWith: { a, _ in a })
        for model in new.models where model.workflow == nil && before[model.endpoint] == nil {
            diff.added.append(model.alias)
        }
        for model in old.models where model.workflow == nil && after[model.endpoint] == nil {
            diff.removed.append(model.alias)
        }
        for model in new.models where model.workflow == nil {
            guard let previous = before[model.endpoint] else { continue }
            let changes = fieldChanges(previous, model)
            if !changes.isEmpty { diff.fields.append((model.alias, changes)) }
            if previous.price.summary != model.price.summary {
                diff.prices.append((model.alias, previous.price.summary, model.price.summary))
            }
        }
        return diff
    }

    static func fieldChanges(_ old: ModelSpec, _ new: ModelSpec) -> [String] {
        var changes: [String] = []
        let before = Dictionary(old.fields.map { ($0.apiKey, $0) }, uniquingKeysWith: { a, _ in a })
        let after = Dictionary(new.fields.map { ($0.apiKey, $0) }, uniquingKeysWith: { a, _ in a })
        for field in new.fields {
            guard let previous = before[field.apiKey] else {
                changes.append("new field \(field.apiKey): \(field.accepted)")
                continue
            }
            if previous.accepted != field.accepted {
                changes.append("\(field.apiKey): \(previous.accepted) → \(field.accepted)")
            }
            if previous.required != field.required {
                changes.append("\(field.apiKey): \(field.required ? "now required" : "now optional")")
            }
        }
        for field in old.fields where after[field.apiKey] == nil {
            changes.append("field \(field.apiKey) removed")
        }
        return changes
    }

    /// The report, a line each: counts first, then every change.
    package var lines: [String] {
        func count(_ number: Int, _ what: String) -> String { "\(number) \(number == 1 ? "model" : "models") \(what)" }
        var lines = [
            [
                count(added.count, "added"), count(removed.count, "removed"),
                count(fields.count, "with changed fields"),
                count(prices.count, "with changed prices"),
            ].joined(separator: ", ")
        ]
        if !added.isEmpty { lines.append("added: " + added.joined(separator: ", ")) }
        if !removed.isEmpty { lines.append("removed: " + removed.joined(separator: ", ")) }
        for (model, changes) in fields {
            for change in changes { lines.append("fields of \(model): \(change)") }
        }
        for (model, old, new) in prices { lines.append("price of \(model): \(old) → \(new)") }
        return lines
    }
}
