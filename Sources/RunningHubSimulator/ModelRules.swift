import Foundation

/// What each model accepts and costs, read by the simulator on its own from the vendor's model
/// registry and price table (its resources; Apache-2.0, see NOTICE). Nothing is shared with
/// rh-batch's catalog, so that a mistake in one is caught by the other.
struct ModelRules: Sendable {
    /// One body field as the registry declares it.
    struct Field: Sendable {
        enum Kind: Sendable {
            case string(maxLength: Int?)
            case list([String])
            case int(min: Double?, max: Double?)
            case float(min: Double?, max: Double?)
            case boolean
            /// Files: `IMAGE`, `VIDEO` or `AUDIO`, with the accepted formats (upper-case names).
            case media(type: String, list: Bool, maxCount: Int, accept: Set<String>)
        }

        var key: String
        var kind: Kind
        var required: Bool
    }

    /// What a task of the model produces: `image`, `video`, `audio`, `3d` or `string`.
    var output: String
    var endpoint: String
    var fields: [Field]
    /// The price entry, as the vendor publishes it.
    var pricing: Pricing?

    /// A price table entry: fixed or by rules, per call, second or 1000 characters.
    struct Pricing: Sendable {
        var type: String
        var unit: String
        var price: Double
        var rules: [(when: [String: String], price: Double)]

        init(_ entry: [String: Any]) {
            type = entry["pricing_type"] as? String ?? ""
            unit = entry["unit"] as? String ?? "/次"
            price = (entry["price"] as? NSNumber)?.doubleValue ?? 0
            rules = ((entry["rules"] as? [[String: Any]]) ?? []).map { rule in
                let when = ((rule["when"] as? [String: Any]) ?? [:]).mapValues { "\($0)" }
                return (when, (rule["price"] as? NSNumber)?.doubleValue ?? 0)
            }
        }
    }

    /// Every model of the registry, by endpoint.
    static let all: [String: ModelRules] = load()

    static func load() -> [String: ModelRules] {
        guard let registryURL = Bundle.module.url(forResource: "model-registry.public", withExtension: "json"),
            let data = try? Data(contentsOf: registryURL),
            let registry = try? JSONSerialization.jsonObject(with: data) as? [String: Any],
            let models = registry["models"] as? [[String: Any]]
        else { return [:] }
        var prices: [String: [String: Any]] = [:]
        if let url = Bundle.module.url(forResource: "pricing.public", withExtension: "json"),
            let data = try? Data(contentsOf: url),
            let table = try? JSONSerialization.jsonObject(with: data) as? [String: Any],
            let entries = table["pricing"] as? [[String: Any]]
        {
            for entry in entries {
                if let endpoint = entry["endpoint"] as? String { prices[endpoint] = entry }
            }
        }
        var rules: [String: ModelRules] = [:]
        for model in models {
            guard let endpoint = model["endpoint"] as? String else { continue }
            var fields: [Field] = []
            for param in (model["params"] as? [[String: Any]]) ?? [] {
                guard let key = param["fieldKey"] as? String, let type = param["type"] as? String else { continue }
                let required = param["required"] as? Bool ?? false
                let kind: Field.Kind
                switch type {
                case "STRING": kind = .string(maxLength: (param["maxLength"] as? NSNumber)?.intValue)
                case "LIST":
                    var values = ((param["options"] as? [[String: Any]]) ?? []).compactMap {
                        $0["value"].map { "\($0)" }
                    }
                    // The vendor's 2026-07 documentation page lists 15 ratios for gpt-image-2.
                    if endpoint == "rhart-image-g-2-official/image-to-image" && key == "aspectRatio" {
                        values += ["1:2", "2:1", "1:3", "3:1", "9:21"]
                    }
                    kind = .list(values)
                case "INT":
                    kind = .int(
                        min: (param["min"] as? NSNumber)?.doubleValue, max: (param["max"] as? NSNumber)?.doubleValue)
                case "FLOAT":
                    kind = .float(
                        min: (param["min"] as? NSNumber)?.doubleValue, max: (param["max"] as? NSNumber)?.doubleValue)
                case "BOOLEAN": kind = .boolean
                case "IMAGE", "VIDEO", "AUDIO":
                    let multiple = param["multipleInputs"] as? Bool ?? false
                    var accept: Set<String> = []
                    if let text = param["accept"] as? String,
                        let list = try? JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String]
                    {
                        accept = Set(list.map { $0.uppercased() })
                    }
                    kind = .media(
                        type: type,
                        list: multiple || key.hasSuffix("s"),
                        maxCount: multiple ? max((param["maxInputNum"] as? NSNumber)?.intValue ?? 1, 1) : 1,
                        accept: accept
                    )
                default: continue
                }
                fields.append(Field(key: key, kind: kind, required: required))
            }
            rules[endpoint] = ModelRules(
                output: model["output_type"] as? String ?? "image", endpoint: endpoint, fields: fields,
                pricing: prices[endpoint].map(Pricing.init))
        }
        return rules
    }

    /// The problem with a body, naming the field, or `nil` when it is valid. `format` tells the
    /// format of an uploaded file by its URL (`nil` for one the simulator does not hold).
    func problem(with body: [String: Any], format: (String) -> String?) -> String? {
        for field in fields {
            guard let value = body[field.key], !(value is NSNull) else {
                if field.required { return "\(field.key) is required" }
                continue
            }
            switch field.kind {
            case .string(let maxLength):
                guard let text = value as? String else { return "\(field.key) must be a string" }
                if field.required && text.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty {
                    return "\(field.key) must not be empty"
                }
                if let maxLength, text.count > maxLength {
                    return "\(field.key) must be at most \(maxLength) characters, got \(text.count)"
                }
            case .list(let values):
                guard let text = Self.text(value), values.contains(text) else {
                    return "\(field.key) must be one of \(values.joined(separator: ", "))"
                }
            case .int(let min, let max):
                guard !Self.isBool(value), let number = value as? NSNumber,
                    Double(number.intValue) == number.doubleValue
                else {
                    return "\(field.key) must be an integer"
                }
                if let min, number.doubleValue < min { return "\(field.key) must be at least \(min)" }
                if let max, number.doubleValue > max { return "\(field.key) must be at most \(max)" }
            case .float(let min, let max):
                guard !Self.isBool(value), let number = value as? NSNumber else {
                    return "\(field.key) must be a number"
                }
                if let min, number.doubleValue < min { return "\(field.key) must be at least \(min)" }
                if let max, number.doubleValue > max { return "\(field.key) must be at most \(max)" }
            case .boolean:
                guard Self.isBool(value) else { return "\(field.key) must be true or false" }
            case .media(let type, let list, let maxCount, let accept):
                var urls: [Any]
                if list {
                    guard let items = value as? [Any] else { return "\(field.key) must be a list of URLs" }
                    urls = items
                } else {
                    guard value is String else { return "\(field.key) must be one URL string" }
                    urls = [value]
                }
                if urls.isEmpty || urls.count > maxCount {
                    return "\(field.key) must hold 1-\(maxCount) files, got \(urls.count)"
                }
                for url in urls {
                    guard let text = url as? String, text.hasPrefix("http://") || text.hasPrefix("https://") else {
                        return "\(field.key) must hold http(s) URLs"
                    }
                    if let known = format(text), !accept.isEmpty, !accept.contains(known),
                        !(known == "JPEG" && accept.contains("JPG"))
                    {
                        return
                            "\(field.key) does not accept \(known) \(type.lowercased()) files (accepted: \(accept.sorted().joined(separator: ", ")))"
                    }
                }
            }
        }
        if let webhook = body["webhookUrl"], !(webhook is String) { return "webhookUrl must be a string" }
        return nil
    }

    /// What the task costs, by the vendor's price table (0 when it has no structured price).
    func price(for body: [String: Any]) -> Double {
        guard let pricing else { return 0 }
        let unit = pricing.unit
        var amount: Double
        switch pricing.type {
        case "fixed":
            amount = pricing.price
        case "parameter_based":
            let match = pricing.rules.first { rule in
                rule.when.allSatisfy { key, wanted in
                    wanted.isEmpty || Self.text(body[key])?.lowercased() == wanted.lowercased()
                }
            }
            amount = match?.price ?? 0
        default:
            return 0
        }
        switch unit {
        case "/秒", "/second", "/秒起":
            amount *= Double(Self.seconds(body["duration"]) ?? 0)
        case "/5秒":
            amount *= Double(((Self.seconds(body["duration"]) ?? 0) + 4) / 5)
        case "/1000字符":
            let text = (body["text"] as? String) ?? (body["prompt"] as? String) ?? ""
            amount *= Double(max(1, (text.count + 999) / 1000))
        default:
            break
        }
        return amount
    }

    static func seconds(_ value: Any?) -> Int? {
        if let text = value as? String { return Int(text) }
        if let number = value as? NSNumber, !isBool(number) { return Int(number.doubleValue.rounded(.up)) }
        return nil
    }

    static func isBool(_ value: Any) -> Bool {
        if let number = value as? NSNumber {
            return String(cString: number.objCType) == "c" || type(of: value) == Bool.self
        }
        return value is Bool
    }

    /// A choice value as text: strings as they are, booleans as true/false, numbers as written.
    static func text(_ value: Any?) -> String? {
        switch value {
        case let text as String: return text
        case let value? where isBool(value): return (value as? Bool ?? false) ? "true" : "false"
        case let number as NSNumber: return number.stringValue
        default: return nil
        }
    }
}
