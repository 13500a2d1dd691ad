import RunningHubModel

extension ModelCatalog {
    /// The catalog as `rh-batch models --json` prints it.
    package var json: JSONValue {
        .array(models.map(\.json))
    }

    /// The catalog as `rh-batch models` prints it for a person: one line a model (alias, output,
    /// inputs, price, endpoint).
    package var text: String {
        let width = min(40, models.map(\.alias.count).max() ?? 0)
        return models.map { model in
            let name = model.alias.padding(toLength: width)
            let status = model.unsupported.map { "  UNSUPPORTED: \($0)" } ?? ""
            return
                "\(name)  \(model.output.rawValue.padding(toLength: 5))  \(model.inputSummary.padding(toLength: 20))  \(model.price.short.padding(toLength: 24))  \(model.endpoint)\(status)"
        }.joined(separator: "\n")
    }

    /// The models that match every filter: output kind, an input kind, and a word found in the
    /// alias, endpoint or vendor name (case-insensitive).
    package func filtered(output: OutputKind? = nil, input: OutputKind? = nil, word: String? = nil) -> ModelCatalog {
        let word = word?.lowercased()
        let kept = models.filter { model in
            if let output, model.output != output { return false }
            if let input, !model.fields.contains(where: { $0.media?.kind == input }) { return false }
            if let word, !(model.alias + " " + model.endpoint + " " + model.vendorName).lowercased().contains(word) {
                return false
            }
            return true
        }
        return ModelCatalog(kept, source: source)
    }
}

extension ModelSpec {
    /// What the model takes as input, in short: `prompt + 1-10 images`, `prompt`, `image`.
    package var inputSummary: String {
        var parts: [String] = []
        if prompt != nil { parts.append("prompt") }
        for field in fields {
            guard let media = field.media else { continue }
            let noun = media.kind == .image ? "image" : media.kind == .video ? "video" : "audio"
            parts.append(media.maxCount > 1 ? "\(noun)s" : noun)
        }
        var unique: [String] = []
        for part in parts where !unique.contains(part) { unique.append(part) }
        return unique.isEmpty ? "-" : unique.joined(separator: "+")
    }

    /// This model as JSON.
    package var json: JSONValue {
        var fieldList: [JSONValue] = []
        for (index, field) in fields.enumerated() {
            let name = index == promptIndex ? "prompt" : index == imageIndex ? "image" : field.name
            var members: [(String, JSONValue)] = [
                ("field", .string(name)), ("apiKey", .string(field.apiKey)), ("required", .boolean(field.required)),
            ]
            switch field.kind {
            case .string(let maxLength):
                members.append(("type", .string("string")))
                if let maxLength { members.append(("maxLength", .integer(maxLength))) }
                if field.isContent { members.append(("content", .boolean(true))) }
            case .choice(let values):
                members.append(("type", .string("choice")))
                members.append(("values", .array(values.map(JSONValue.string))))
            case .integer(let min, let max, let step):
                members.append(("type", .string("integer")))
                if let min { members.append(("min", .integer(min))) }
                if let max { members.append(("max", .integer(max))) }
                if let step { members.append(("step", .integer(step))) }
            case .number(let min, let max, let step):
                members.append(("type", .string("number")))
                if let min { members.append(("min", .number(min))) }
                if let max { members.append(("max", .number(max))) }
                if let step { members.append(("step", .number(step))) }
            case .boolean:
                members.append(("type", .string("boolean")))
            case .media(let media):
                members.append(("type", .string(media.kind.rawValue)))
                members.append(("list", .boolean(media.isList)))
                members.append(("maxCount", .integer(media.maxCount)))
                members.append(("formats", .array(media.formats.map { .string($0.displayName) })))
                members.append(("maxBytes", .integer(media.maxBytes)))
            }
            if let value = field.defaultValue, !field.isContent { members.append(("default", value.json)) }
            fieldList.append(.object(members))
        }
        var priceMembers: [(String, JSONValue)] = [("currency", .string(price.currency))]
        if let unknown = price.unknown {
            priceMembers.append(("unknown", .string(unknown)))
        } else {
            priceMembers.append(("unit", .string(price.unit.rawValue)))
            priceMembers.append(("dependsOn", .array(price.dependsOn.map { .string(FieldSpec.snakeCase($0)) })))
            priceMembers.append(
                (
                    "table",
                    .array(
                        price.rules.map { rule in
                            var members: [(String, JSONValue)] = []
                            for (key, value) in zip(price.dependsOn, rule.when) {
                                members.append((FieldSpec.snakeCase(key), .string(value.isEmpty ? "*" : value)))
                            }
                            members.append(("price", rule.amount.map { .string($0.description) } ?? .null))
                            return .object(members)
                        })
                ))
            if let note = price.note { priceMembers.append(("note", .string(note))) }
        }
        var members: [(String, JSONValue)] = [
            ("alias", .string(alias)),
            ("endpoint", .string(endpoint)),
            ("vendorName", .string(vendorName)),
            ("output", .string(output.rawValue)),
            ("fields", .array(fieldList)),
            ("price", .object(priceMembers)),
        ]
        if let unsupported { members.append(("unsupported", .string(unsupported))) }
        return .object(members)
    }

    /// This model in full, for `rh-batch models NAME`.
    package var text: String {
        var lines = [
            alias,
            "  endpoint: \(endpoint)",
            "  vendor name: \(vendorName)",
            "  output: \(output.rawValue)",
        ]
        if let unsupported { lines.append("  UNSUPPORTED: \(unsupported)") }
        lines.append("  fields (manifest name, body key: accepted values):")
        for (index, field) in fields.enumerated() {
            let name = index == promptIndex ? "prompt" : index == imageIndex ? "image" : field.name
            var line = "    \(name) (\(field.apiKey)): \(field.accepted)"
            if field.required {
                if field.isContent || field.defaultValue == nil {
                    line += "; required"
                } else if let value = field.defaultValue {
                    line += "; required, default \(value.text)"
                }
            } else {
                line += "; optional, not sent when unset"
            }
            lines.append(line)
        }
        lines.append("  price: \(price.summary)")
        if let note = price.note { lines.append("  price note: \(note)") }
        return lines.joined(separator: "\n")
    }
}

extension PriceRule {
    /// `0.14 CNY/call`, `0.29-0.58 CNY/call`, `0.52 CNY/s`, `0.5 CNY/call, some combinations
    /// unknown`, `price unknown`.
    package var short: String {
        guard unknown == nil, let low = rules.compactMap(\.amount).min(), let high = rules.compactMap(\.amount).max()
        else {
            return "price unknown"
        }
        let per: String =
            switch unit {
            case .call: "call"
            case .second: "s"
            case .fiveSeconds: "5 s"
            case .thousandCharacters: "1000 chars"
            }
        let partly = rules.contains { $0.amount == nil } ? ", some combinations unknown" : ""
        return (low == high ? "\(low) \(currency)/\(per)" : "\(low)-\(high) \(currency)/\(per)") + partly
    }
}
