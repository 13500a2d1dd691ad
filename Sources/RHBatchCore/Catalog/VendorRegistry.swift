import Foundation
import RunningHubModel

/// Converts the vendor's published model registry and price table (`model-registry.public.json`,
/// `pricing.public.json`, Apache-2.0, from the vendor's `ComfyUI_RH_OpenAPI` repository) into
/// rh-batch's catalog format. Only facts are kept: endpoints, field keys, kinds, limits, options,
/// defaults, formats, output types and prices; labels and descriptions are dropped.
package enum VendorRegistry {
    /// Aliases that predate the generated ones, by endpoint; they never change.
    static let pinnedAliases: [String: String] = [
        "rhart-image-g-2-official/image-to-image": "gpt-image-2",
        "rhart-image-x-official/edit": "grok-imagine",
        "rhart-image-n-pro-official/edit": "nano-banana-pro",
    ]

    /// Facts the registry is behind on, from newer vendor documentation pages, by endpoint and key.
    /// gpt-image-2's 2026-07 page lists 15 aspect ratios; the 2026-04 registry lists the first 10.
    static let choiceOverrides: [String: [String: [String]]] = [
        "rhart-image-g-2-official/image-to-image": [
            "aspectRatio": [
                "1:1", "2:3", "3:2", "3:4", "4:3", "4:5", "5:4", "9:16", "16:9", "21:9", "1:2", "2:1", "1:3", "3:1",
                "9:21",
            ]
        ]
    ]

    /// Where the vendor publishes the files.
    static let origin = "github.com/HM-RunningHub/ComfyUI_RH_OpenAPI (Apache-2.0)"

    /// The alias rule: the vendor's English name, lower-cased, cut before any `[` note, every run
    /// of characters other than `a-z 0-9 .` made one `-`, with `-official-stable` shortened to
    /// `-official` and `-channel-low-price` to `-low-price`. A name that is already taken (by a
    /// pinned alias, or by a model whose endpoint sorts first) falls back to the endpoint with
    /// `/` made `-`, which is unique.
    package static func generatedAlias(vendorName: String) -> String {
        var name = vendorName.lowercased()
        if let bracket = name.firstIndex(of: "[") { name = String(name[..<bracket]) }
        var alias = ""
        var dash = false
        for scalar in name.unicodeScalars {
            if ("a"..."z").contains(scalar) || ("0"..."9").contains(scalar) || scalar == "." {
                if dash && !alias.isEmpty { alias += "-" }
                alias.unicodeScalars.append(scalar)
                dash = false
            } else {
                dash = true
            }
        }
        alias = alias.replacingAll("-official-stable", with: "-official").replacingAll(
            "-channel-low-price", with: "-low-price")
        return alias.isEmpty ? "model" : alias
    }

    static func endpointAlias(_ endpoint: String) -> String {
        generatedAlias(vendorName: endpoint.replacingAll("/", with: "-"))
    }

    /// The catalog for a parsed registry (and price table).
    static func convert(registry: [String: Any], pricing: [String: Any]?, file: String) throws(CatalogError)
        -> CatalogFile
    {
        guard let entries = registry["models"] as? [Any] else {
            throw CatalogError(file: file, line: 1, column: 1, path: "models", message: "not a list")
        }
        var prices: [String: [String: Any]] = [:]
        for case let entry as [String: Any] in (pricing?["pricing"] as? [Any]) ?? [] {
            if let endpoint = entry["endpoint"] as? String { prices[endpoint] = entry }
        }
        var models: [CatalogFile.Model] = []
        var seen: Set<String> = []
        for (position, item) in entries.enumerated() {
            guard let entry = item as? [String: Any], let endpoint = entry["endpoint"] as? String,
                !endpoint.isBlank
            else {
                throw CatalogError(
                    file: file, line: 1, column: 1, path: "models[\(position)]",
                    message: "a model entry needs an 'endpoint' string")
            }
            guard seen.insert(endpoint).inserted else { continue }
            models.append(model(entry, endpoint: endpoint, price: prices[endpoint], path: "models[\(position)]"))
        }
        assignAliases(&models)
        // The pinned models first (in the order they were added), then by output kind and alias.
        let order = ["image", "video", "audio", "3d", "string"]
        let pinnedOrder = ["gpt-image-2", "grok-imagine", "nano-banana-pro"]
        models.sort { a, b in
            let pa = pinnedOrder.firstIndex(of: a.alias) ?? Int.max
            let pb = pinnedOrder.firstIndex(of: b.alias) ?? Int.max
            if pa != pb { return pa < pb }
            let ka = order.firstIndex(of: a.output) ?? order.count
            let kb = order.firstIndex(of: b.output) ?? order.count
            if ka != kb { return ka < kb }
            return a.alias < b.alias
        }
        return CatalogFile(
            format: CatalogFile.formatName,
            source: CatalogFile.Source(
                registry: registry["version"] as? String ?? "unversioned",
                pricing: pricing?["version"] as? String,
                origin: origin
            ),
            models: models
        )
    }

    static func assignAliases(_ models: inout [CatalogFile.Model]) {
        var taken = Set(pinnedAliases.values)
        for model in models { taken.insert(model.endpoint.lowercased()) }
        let byEndpoint = models.indices.sorted { models[$0].endpoint < models[$1].endpoint }
        var used: Set<String> = []
        for index in byEndpoint {
            if let pinned = pinnedAliases[models[index].endpoint] {
                models[index].alias = pinned
                used.insert(pinned)
                continue
            }
            var alias = generatedAlias(vendorName: models[index].name)
            if used.contains(alias) || (taken.contains(alias) && alias != models[index].endpoint.lowercased()) {
                alias = endpointAlias(models[index].endpoint)
            }
            models[index].alias = alias
            used.insert(alias)
        }
    }

    static func model(_ entry: [String: Any], endpoint: String, price: [String: Any]?, path: String)
        -> CatalogFile.Model
    {
        var unsupported: String?
        var fields: [CatalogFile.Field] = []
        for (position, item) in ((entry["params"] as? [Any]) ?? []).enumerated() {
            guard let param = item as? [String: Any], let key = param["fieldKey"] as? String,
                let type = param["type"] as? String
            else {
                unsupported = unsupported ?? "\(path).params[\(position)] has no fieldKey or type"
                continue
            }
            if let field = field(param, key: key, type: type, endpoint: endpoint) {
                fields.append(field)
            } else {
                unsupported = unsupported ?? "field '\(key)' has the kind \(type), which rh-batch does not know"
            }
        }
        let output = (entry["output_type"] as? String) ?? "image"
        let pathCharacters = Set("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._~-/")
        if !endpoint.allSatisfy({ pathCharacters.contains($0) }) {
            // e.g. `rhart-image-g-1.5/edit-[Deprecated]`: not a path the API can serve as written.
            unsupported = "its endpoint '\(endpoint)' is not a plain URL path (the registry marks the model deprecated)"
        }
        if OutputKind(registryName: output) == nil {
            unsupported = unsupported ?? "its output type '\(output)' is not one rh-batch knows"
        }
        return CatalogFile.Model(
            alias: "",
            endpoint: endpoint,
            // A blank `name_en` (seen by the fuzzer) would be a model named "": the endpoint names it.
            name: (entry["name_en"] as? String).flatMap { $0.isBlank ? nil : $0 } ?? endpoint,
            output: output,
            fields: fields,
            price: self.price(price),
            unsupported: unsupported
        )
    }

    static func field(_ param: [String: Any], key: String, type: String, endpoint: String) -> CatalogFile.Field? {
        var field = CatalogFile.Field(key: key, type: "", required: (param["required"] as? Bool) ?? false)
        let rawDefault = param["defaultValue"]
        switch type.uppercased() {
        case "STRING":
            field.type = "string"
            field.maxLength = int(param["maxLength"])
            // A content field's default is the vendor's example sentence: prose, never sent.
            if field.maxLength == nil, !FieldSpec.contentKeys.contains(key), let text = rawDefault as? String {
                field.default = .string(text)
            }
        case "LIST":
            field.type = "choice"
            var values: [String] = []
            for case let option as [String: Any] in (param["options"] as? [Any]) ?? [] {
                if let value = option["value"] { values.append(text(value)) }
            }
            if let override = choiceOverrides[endpoint]?[key] { values = override }
            field.values = values
            if let value = rawDefault, !(value is NSNull) { field.default = .string(text(value)) }
        case "INT", "FLOAT":
            let isInteger = type.uppercased() == "INT"
            field.type = isInteger ? "integer" : "number"
            field.min = double(param["min"])
            field.max = double(param["max"])
            field.step = double(param["step"])
            if isInteger, let value = int(rawDefault) { field.default = .integer(value) }
            if !isInteger, let value = double(rawDefault) { field.default = .number(value) }
        case "BOOLEAN":
            field.type = "boolean"
            if let value = rawDefault as? Bool {
                field.default = .boolean(value)
            } else if let value = rawDefault as? String {
                field.default = .boolean(value.lowercased() == "true")
            }
        case "IMAGE", "VIDEO", "AUDIO":
            field.type = type.lowercased()
            let multiple = (param["multipleInputs"] as? Bool) ?? false
            let count = int(param["maxInputNum"]) ?? 1
            // A key named as a list (`imageUrls`, `videos`) takes a list even when it allows one file.
            field.list = multiple || key.hasSuffix("Urls") || key.hasSuffix("List") || key.hasSuffix("s")
            field.maxCount = multiple ? max(count, 1) : 1
            var accept: [String] = []
            if let text = param["accept"] as? String, let data = text.data(using: .utf8),
                let list = try? JSONSerialization.jsonObject(with: data) as? [Any]
            {
                accept = list.compactMap { $0 as? String }
            } else if let list = param["accept"] as? [Any] {
                accept = list.compactMap { $0 as? String }
            }
            var formats: [String] = []
            for name in accept {
                if let format = MediaFormat(acceptName: name), !formats.contains(format.rawValue) {
                    formats.append(format.rawValue)
                }
            }
            if formats.isEmpty {
                formats =
                    type.uppercased() == "IMAGE"
                    ? ["jpeg", "png", "webp"] : type.uppercased() == "VIDEO" ? ["mp4"] : ["mp3", "wav"]
            }
            field.formats = formats
            field.maxMB = int(param["maxSize"]) ?? 10
        default:
            return nil
        }
        return field
    }

    static func price(_ entry: [String: Any]?) -> CatalogFile.Price {
        guard let entry else {
            return CatalogFile.Price(currency: "CNY", unknown: "the vendor's price table has no entry")
        }
        let currency = (entry["currency"] as? String) ?? "CNY"
        let unitText = (entry["unit"] as? String) ?? "/次"
        let unit: PriceRule.Unit?
        var note: String?
        switch unitText {
        case "/次", "/张": unit = .call
        case "/秒", "/second": unit = .second
        case "/秒起":
            unit = .second
            note = "a minimum ('from') per second"
        case "/5秒": unit = .fiveSeconds
        case "/1000字符": unit = .thousandCharacters
        default: unit = nil
        }
        guard let unit else {
            return CatalogFile.Price(
                currency: currency, unknown: "the vendor's unit '\(unitText)' has no structured price")
        }
        switch entry["pricing_type"] as? String {
        case "fixed":
            guard let amount = decimal(entry["price"]) else {
                return CatalogFile.Price(currency: currency, unknown: "the fixed price is not a number")
            }
            if isPlaceholder(amount) {
                return CatalogFile.Price(
                    currency: currency, unknown: "the vendor's price table gives \(amount), a placeholder, not a price")
            }
            return CatalogFile.Price(
                currency: currency, unit: unit == .call ? nil : unit.rawValue,
                rules: [CatalogFile.Rule(when: [], amount: amount)], note: note)
        case "parameter_based":
            let dependsOn = ((entry["depends_on"] as? [Any]) ?? []).compactMap { $0 as? String }
            var rules: [CatalogFile.Rule] = []
            var placeholders = 0
            for case let rule as [String: Any] in (entry["rules"] as? [Any]) ?? [] {
                // A row priced 0 or 9999, or not a price at all (blank, text, null), is a
                // placeholder: its combinations have no known price. It stays as an unknown row:
                // dropped, a wider row after it would price them.
                let amount = decimal(rule["price"]) ?? CatalogFile.Rule.unknownAmount
                let placeholder = isPlaceholder(amount)
                if placeholder { placeholders += 1 }
                let when = (rule["when"] as? [String: Any]) ?? [:]
                rules.append(
                    CatalogFile.Rule(
                        when: dependsOn.map { when[$0].map(text) ?? "" },
                        amount: placeholder ? CatalogFile.Rule.unknownAmount : amount))
            }
            guard rules.count > placeholders else {
                return CatalogFile.Price(
                    currency: currency,
                    unknown: placeholders > 0
                        ? "the vendor's price table gives only placeholder prices (0, 9999 or no number)"
                        : "the price table has no usable rows")
            }
            if placeholders > 0 {
                let unpriced =
                    "\(placeholders) of its price rows are placeholders (0, 9999 or no number): those combinations have no known price"
                note = note.map { $0 + "; " + unpriced } ?? unpriced
            }
            return CatalogFile.Price(
                currency: currency, unit: unit == .call ? nil : unit.rawValue, dependsOn: dependsOn, rules: rules,
                note: note)
        default:
            return CatalogFile.Price(
                currency: currency, unknown: "the vendor publishes no structured price ('\(unitText)')")
        }
    }

    static func text(_ value: Any) -> String {
        switch value {
        case let text as String: text
        case let flag as Bool where type(of: value) == Bool.self: flag ? "true" : "false"
        case let number as NSNumber: number.stringValue
        default: "\(value)"
        }
    }

    static func int(_ value: Any?) -> Int? {
        switch value {
        case let number as NSNumber: number.intValue
        case let text as String: Int(text)
        default: nil
        }
    }

    static func double(_ value: Any?) -> Double? {
        switch value {
        case let number as NSNumber: number.doubleValue
        case let text as String: Double(text)
        default: nil
        }
    }

    /// Whether a price is one the vendor writes where it has none: zero or 9999 and more.
    static func isPlaceholder(_ amount: String) -> Bool {
        guard let money = Money(amount) else { return true }
        return money <= .zero || money >= Money(micros: 9_999_000_000)
    }

    /// A price as an exact decimal string (`0.926`), from the JSON number.
    static func decimal(_ value: Any?) -> String? {
        if let text = value as? String { return Money(text)?.description }
        if let whole = value as? Int { return Money(String(whole))?.description }
        guard let number = value as? NSNumber else { return nil }
        // The shortest decimal that reads back as the same double: 0.926, not 0.92600000000000004.
        return Money("\(number.doubleValue)")?.description
    }
}
