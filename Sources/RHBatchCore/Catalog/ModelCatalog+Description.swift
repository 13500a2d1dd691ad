extension ModelCatalog {
    /// The catalog as `rh-batch models --json` prints it.
    package var json: JSONValue {
        .array(models.map(\.json))
    }

    /// The catalog as `rh-batch models` prints it for a person.
    package var text: String {
        models.map(\.text).joined(separator: "\n\n")
    }
}

extension ModelSpec {
    /// This model as JSON.
    package var json: JSONValue {
        var fields: [JSONValue] = [
            .object([
                ("field", .string("prompt")), ("apiKey", .string(prompt.apiKey)), ("required", .boolean(true)),
                ("maxLength", .integer(prompt.maxLength)),
            ]),
            .object([
                ("field", .string("image")), ("apiKey", .string(image.apiKey)), ("required", .boolean(true)),
                ("list", .boolean(image.isList)), ("maxImages", .integer(image.maxCount)),
                ("formats", .array(image.formats.map { .string($0.displayName) })),
                ("maxBytes", .integer(image.maxBytes)),
            ]),
        ]
        for option in options {
            var members: [(String, JSONValue)] = [
                ("field", .string(option.key.manifestKey)), ("apiKey", .string(option.apiKey)),
                ("required", .boolean(option.required)), ("values", .array(option.values.map(JSONValue.string))),
            ]
            if let value = option.defaultValue { members.append(("default", .string(value))) }
            if let omitted = option.whenOmitted, !option.required { members.append(("whenOmitted", .string(omitted))) }
            fields.append(.object(members))
        }
        for extra in extraFields {
            fields.append(.object([("param", .string(extra.apiKey)), ("type", .string(extra.type.rawValue))]))
        }
        let prices: [JSONValue] = price.table.sorted { $0.key.lexicographicallyPrecedes($1.key) }.map { entry in
            var members: [(String, JSONValue)] = []
            for (key, value) in zip(price.dependsOn, entry.key) { members.append((key.manifestKey, .string(value))) }
            members.append(("price", .string(entry.value.description)))
            return .object(members)
        }
        return .object([
            ("alias", .string(alias)),
            ("endpoint", .string(endpoint)),
            ("vendorName", .string(vendorName)),
            ("summary", .string(summary)),
            ("fields", .array(fields)),
            ("price", .object([
                ("currency", .string(price.currency)),
                ("dependsOn", .array(price.dependsOn.map { .string($0.manifestKey) })),
                ("table", .array(prices)),
                ("source", .string(price.source)),
            ])),
        ])
    }

    /// This model for a person.
    package var text: String {
        var lines = [
            "\(alias)  —  \(summary)",
            "  endpoint: \(endpoint)",
            "  vendor name: \(vendorName)",
            "  prompt: required, 1-\(prompt.maxLength) characters",
        ]
        let formats = image.formats.map(\.displayName).joined(separator: "/")
        let count = image.isList ? "1-\(image.maxCount) images (\(image.apiKey))" : "exactly 1 image (\(image.apiKey))"
        lines.append("  image: \(count), \(formats), up to \(image.maxBytes / 1024 / 1024) MB each")
        for option in options {
            var line = "  \(option.key.manifestKey): \(option.values.joined(separator: " "))"
            if option.required, let value = option.defaultValue {
                line += "  (required; default \(value))"
            } else if let omitted = option.whenOmitted {
                line += "  (optional; when omitted: \(omitted))"
            }
            lines.append(line)
        }
        let missing = OptionKey.allCases.filter { option($0) == nil }.map(\.manifestKey)
        if !missing.isEmpty { lines.append("  takes no: \(missing.joined(separator: ", "))") }
        if price.dependsOn.isEmpty, let fixed = price.table.values.first {
            lines.append("  price: \(fixed) \(price.currency) per call")
        } else {
            let entries = price.table.sorted { $0.key.lexicographicallyPrecedes($1.key) }
                .map { "\($0.key.joined(separator: "/"))=\($0.value)" }
            let by = price.dependsOn.map(\.manifestKey).joined(separator: " × ")
            lines.append("  price (\(price.currency) per call, by \(by)): \(entries.joined(separator: ", "))")
        }
        return lines.joined(separator: "\n")
    }
}
