import RunningHubModel

/// One model of the catalog: its API body fields, what it produces, and what it costs.
///
/// Models are data: the catalog file (``CatalogFile``), generated from the vendor's registry by
/// `rh-batch catalog import`, lists them. Nothing in the code names a model.
package struct ModelSpec: Sendable {
    /// The short name users write: `gpt-image-2`.
    package var alias: String
    /// The API path below `/openapi/v2/`: `rhart-image-g-2-official/image-to-image`.
    package var endpoint: String
    /// The vendor's English name: `gpt-image-2/image-to-image-official-stable`.
    package var vendorName: String
    /// What a call produces.
    package var output: OutputKind
    /// The API body fields, in the vendor's order.
    package var fields: [FieldSpec]
    /// How one call is priced.
    package var price: PriceRule
    /// Why rh-batch cannot run the model (a field kind it does not know), or `nil`.
    package var unsupported: String?
    /// For a manifest's workflow or app: how its jobs are sent; `nil` for a standard model.
    package var workflow: WorkflowBinding?

    /// The endpoint as job keys name it: for a workflow or app, with the inputs its `prompt` and
    /// `image` go to and its instance (the same texts sent elsewhere are another job).
    package var identityEndpoint: String {
        guard let workflow else { return endpoint }
        let prompt = self.prompt?.apiKey ?? "-"
        let image = imageIndex.map { fields[$0].apiKey } ?? "-"
        return endpoint + "\nbinding:prompt=\(prompt);image=\(image);instance=\(workflow.instance ?? "-")"
    }

    /// The field the job's `prompt` fills: `prompt`, else `text`, else `textPrompt`.
    package let promptIndex: Int?
    /// The field the job's `image` fills: the first image input.
    package let imageIndex: Int?

    /// Makes a model entry and finds its prompt and main image fields.
    package init(
        alias: String,
        endpoint: String,
        vendorName: String,
        output: OutputKind,
        fields: [FieldSpec],
        price: PriceRule,
        unsupported: String? = nil
    ) {
        var promptIndex: Int?
        for name in ModelSpec.promptFieldKeys where promptIndex == nil {
            promptIndex = fields.firstIndex { field in
                if case .string = field.kind { field.apiKey == name } else { false }
            }
        }
        self.init(
            alias: alias, endpoint: endpoint, vendorName: vendorName, output: output, fields: fields, price: price,
            promptIndex: promptIndex, imageIndex: fields.firstIndex { $0.media?.kind == .image })
        self.unsupported = unsupported
    }

    /// Makes a model whose prompt and main image fields are named, not found by their keys (a
    /// workflow's, whose manifest names them).
    package init(
        alias: String, endpoint: String, vendorName: String, output: OutputKind, fields: [FieldSpec],
        price: PriceRule, promptIndex: Int?, imageIndex: Int?
    ) {
        self.alias = alias
        self.endpoint = endpoint
        self.vendorName = vendorName
        self.output = output
        self.fields = fields
        self.price = price
        self.promptIndex = promptIndex
        self.imageIndex = imageIndex
    }

    /// The type of a body field every model takes without declaring it.
    package enum ParamType: String, Sendable {
        case string, integer, number, boolean
    }

    /// Body fields every standard model takes though the registry does not list them, set
    /// through `params` and checked by type.
    package static let commonParams: [String: ParamType] = ["webhookUrl": .string]

    /// The body keys that can be a model's prompt, most likely first.
    package static let promptFieldKeys = ["prompt", "text", "textPrompt"]

    /// The prompt field, when the model takes one.
    package var prompt: FieldSpec? { promptIndex.map { fields[$0] } }

    /// The main image field, when the model takes images.
    package var image: MediaField? { imageIndex.flatMap { fields[$0].media } }

    /// The fields other than the prompt and the main image: what job fields other than `prompt`
    /// and `image` set.
    package var otherFields: some Collection<FieldSpec> {
        fields.enumerated().lazy.filter { $0.offset != promptIndex && $0.offset != imageIndex }.map(\.element)
    }

    /// The field a manifest name refers to (the vendor's key or its snake_case spelling), other
    /// than the prompt and main image.
    package func field(named name: String) -> FieldSpec? {
        for (index, field) in fields.enumerated() where index != promptIndex && index != imageIndex {
            if field.name == name || field.apiKey == name { return field }
        }
        return nil
    }

    /// Whether a manifest name is this model's prompt or main image field written by its body key.
    package func roleName(of name: String) -> String? {
        if let promptIndex, fields[promptIndex].apiKey == name || fields[promptIndex].name == name { return "prompt" }
        if let imageIndex, fields[imageIndex].apiKey == name || fields[imageIndex].name == name { return "image" }
        return nil
    }

    /// Whether a body key is one of the model's declared fields.
    package func declares(_ apiKey: String) -> Bool {
        fields.contains { $0.apiKey == apiKey }
    }
}

/// One body field of a model.
package struct FieldSpec: Sendable {
    /// The body key, as the vendor spells it: `aspectRatio`.
    package var apiKey: String
    /// The manifest's name: the snake_case spelling, `aspect_ratio`.
    package var name: String
    /// What values it takes.
    package var kind: Kind
    /// Whether the API requires it.
    package var required: Bool
    /// The vendor's default: sent for a required field a job leaves unset (not for content fields).
    package var defaultValue: FieldValue?

    /// What values a field takes.
    package enum Kind: Sendable {
        /// Free text, at most `maxLength` characters.
        case string(maxLength: Int?)
        /// One of the listed values. The vendor's value `empty` means "leave the field out".
        case choice([String])
        /// A whole number in a range.
        case integer(min: Int?, max: Int?, step: Int?)
        /// A number in a range.
        case number(min: Double?, max: Double?, step: Double?)
        /// `true` or `false`.
        case boolean
        /// Uploaded files: images, videos or audio.
        case media(MediaField)
    }

    /// Makes a field; the manifest name is derived from the body key.
    package init(apiKey: String, kind: Kind, required: Bool, defaultValue: FieldValue? = nil) {
        self.apiKey = apiKey
        self.name = FieldSpec.snakeCase(apiKey)
        self.kind = kind
        self.required = required
        self.defaultValue = defaultValue
    }

    /// The media description of a media field.
    package var media: MediaField? {
        if case .media(let media) = kind { media } else { nil }
    }

    /// Whether the field carries a job's content (free text with a length limit: a prompt, a
    /// negative prompt, lyrics, the text to speak). Its vendor default is an example sentence, so
    /// it is never sent in place of a value.
    package var isContent: Bool {
        if case .string(let maxLength) = kind {
            maxLength != nil || FieldSpec.contentKeys.contains(apiKey)
        } else {
            false
        }
    }

    /// Text fields that carry a job's content whatever their declared length.
    package static let contentKeys: Set<String> = [
        "prompt", "text", "textPrompt", "negativePrompt", "negative_prompt", "lyrics",
    ]

    /// The choice value that means "leave the field out".
    package static let omitChoice = "empty"

    /// `aspectRatio` → `aspect_ratio`, `imageURL` → `image_url`, `voice_id` stays.
    package static func snakeCase(_ key: String) -> String {
        // ASCII keys (all of the registry's): bytes, no Unicode tables.
        let bytes = Array(key.utf8)
        if bytes.allSatisfy({ $0 < 0x80 }) {
            func isUpper(_ byte: UInt8) -> Bool { byte >= 0x41 && byte <= 0x5A }
            func isLowerOrDigit(_ byte: UInt8) -> Bool {
                (byte >= 0x61 && byte <= 0x7A) || (byte >= 0x30 && byte <= 0x39)
            }
            var out: [UInt8] = []
            out.reserveCapacity(bytes.count + 4)
            for (position, byte) in bytes.enumerated() {
                if isUpper(byte) && position > 0 {
                    let previous = bytes[position - 1]
                    let nextLower =
                        position + 1 < bytes.count && bytes[position + 1] >= 0x61 && bytes[position + 1] <= 0x7A
                    if isLowerOrDigit(previous) || (nextLower && isUpper(previous)) { out.append(0x5F) }
                }
                if byte == 0x2D || byte == 0x20 {
                    out.append(0x5F)
                } else {
                    out.append(isUpper(byte) ? byte + 0x20 : byte)
                }
            }
            return String(decoding: out, as: UTF8.self)
        }
        var out = ""
        let scalars = Array(key.unicodeScalars)
        for (position, scalar) in scalars.enumerated() {
            let isUpper = scalar.properties.isUppercase
            if isUpper && position > 0 {
                let previousLower =
                    scalars[position - 1].properties.isLowercase || ("0"..."9").contains(scalars[position - 1])
                let nextLower = position + 1 < scalars.count && scalars[position + 1].properties.isLowercase
                if previousLower || (nextLower && scalars[position - 1].properties.isUppercase) { out += "_" }
            }
            if scalar == "-" || scalar == " " {
                out += "_"
            } else {
                out += String(scalar).lowercased()
            }
        }
        return out
    }

    /// A short description of the accepted values, for errors and `rh-batch models`.
    package var accepted: String {
        switch kind {
        case .string(let maxLength): maxLength.map { "text of at most \($0) characters" } ?? "text"
        case .choice(let values): values.joined(separator: ", ")
        case .integer(let min, let max, let step):
            FieldSpec.range(
                "an integer", min.map { String($0) }, max.map { String($0) }, step.flatMap { $0 > 1 ? String($0) : nil }
            )
        case .number(let min, let max, let step):
            FieldSpec.range(
                "a number", min.map { FieldValue.number($0).text }, max.map { FieldValue.number($0).text },
                step.map { FieldValue.number($0).text })
        case .boolean: "true or false"
        case .media(let media): media.accepted
        }
    }

    static func range(_ noun: String, _ min: String?, _ max: String?, _ step: String?) -> String {
        var text = noun
        switch (min, max) {
        case (let min?, let max?): text += " from \(min) to \(max)"
        case (let min?, nil): text += " ≥ \(min)"
        case (nil, let max?): text += " ≤ \(max)"
        case (nil, nil): break
        }
        if let step { text += " in steps of \(step)" }
        return text
    }
}

/// A field value as the API body carries it.
package enum FieldValue: Sendable, Hashable, Codable {
    case string(String)
    case integer(Int)
    case number(Double)
    case boolean(Bool)

    /// The value as JSON.
    package var json: JSONValue {
        switch self {
        case .string(let text): .string(text)
        case .integer(let value): .integer(value)
        case .number(let value): .number(value)
        case .boolean(let value): .boolean(value)
        }
    }

    /// The value as text: for output paths, price tables and messages.
    package var text: String {
        switch self {
        case .string(let text): text
        case .integer(let value): String(value)
        case .number(let value):
            value == value.rounded() && abs(value) < 1e15 ? String(Int(value)) : String(value)
        case .boolean(let value): value ? "true" : "false"
        }
    }

    package init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        if let value = try? container.decode(Bool.self) {
            self = .boolean(value)
        } else if let value = try? container.decode(Int.self) {
            self = .integer(value)
        } else if let value = try? container.decode(Double.self) {
            self = .number(value)
        } else {
            self = .string(try container.decode(String.self))
        }
    }

    package func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        switch self {
        case .string(let text): try container.encode(text)
        case .integer(let value): try container.encode(value)
        case .number(let value): try container.encode(value)
        case .boolean(let value): try container.encode(value)
        }
    }
}

/// A media input field: images, videos or audio, uploaded before the call.
package struct MediaField: Sendable, Hashable {
    /// The body key: `imageUrls`, `image`, `videoUrl`.
    package var apiKey: String
    /// What the files are.
    package var kind: OutputKind
    /// True when the body value is a list of URLs; false for a single URL string.
    package var isList: Bool
    /// The most files one call takes.
    package var maxCount: Int
    /// The accepted file formats.
    package var formats: [MediaFormat]
    /// The largest accepted file, in bytes.
    package var maxBytes: Int

    /// Makes a media field.
    package init(
        apiKey: String, kind: OutputKind = .image, isList: Bool, maxCount: Int, formats: [MediaFormat], maxBytes: Int
    ) {
        self.apiKey = apiKey
        self.kind = kind
        self.isList = isList
        self.maxCount = maxCount
        self.formats = formats
        self.maxBytes = maxBytes
    }

    /// `1-10 images (JPG, PNG; 10 MB each)`.
    package var accepted: String {
        let noun = kind == .image ? "image" : kind == .video ? "video" : "audio file"
        let count = maxCount > 1 ? "1-\(maxCount) \(noun)s" : "one \(noun)"
        let formats = formats.map(\.displayName).joined(separator: ", ")
        return "\(count) (\(formats); \(maxBytes / 1024 / 1024) MB each)"
    }
}

/// How one call of a model is priced.
package struct PriceRule: Sendable {
    /// What one amount of the table pays for.
    package enum Unit: String, Sendable, Codable {
        /// One call.
        case call
        /// One second of the job's `duration`.
        case second
        /// Five seconds of the job's `duration` (started blocks count whole).
        case fiveSeconds = "5-seconds"
        /// 1000 characters of the job's prompt (text to speak); started thousands count whole.
        case thousandCharacters = "1000-characters"
    }

    /// The currency of every amount.
    package var currency: String
    /// What an amount pays for.
    package var unit: Unit
    /// Body keys the price depends on, in table-key order; empty for a fixed price.
    package var dependsOn: [String]
    /// Rows: values in ``dependsOn`` order (an empty value matches anything) and the amount;
    /// `nil`: that combination's price is unknown (a placeholder row of the vendor's table), so
    /// a later, wider row never prices it.
    package var rules: [(when: [String], amount: Money?)]
    /// Where the prices come from and when they were published.
    package var source: String
    /// Why the price is unknown (the vendor's table has no usable entry), or `nil`.
    package var unknown: String?
    /// The vendor's unit as written, when it says more than ``unit`` (a minimum, "from").
    package var note: String?

    /// Makes a price rule.
    package init(
        currency: String = "CNY",
        unit: Unit = .call,
        dependsOn: [String] = [],
        rules: [(when: [String], amount: Money?)],
        source: String,
        unknown: String? = nil,
        note: String? = nil
    ) {
        self.currency = currency
        self.unit = unit
        self.dependsOn = dependsOn
        self.rules = rules
        self.source = source
        self.unknown = unknown
        self.note = note
    }

    /// A fixed price per call.
    package static func fixed(_ amount: String, currency: String = "CNY", source: String) -> PriceRule {
        PriceRule(currency: currency, rules: [([], Money(amount)!)], source: source)
    }

    /// A price nobody published.
    package static func unknown(_ reason: String, currency: String = "CNY", source: String) -> PriceRule {
        PriceRule(currency: currency, rules: [], source: source, unknown: reason)
    }

    /// The amount per unit for these final field values (body key → value), or `nil`.
    package func amount(for values: [String: FieldValue]) -> Money? {
        guard unknown == nil else { return nil }
        let wanted = dependsOn.map { values[$0]?.text.lowercased() ?? "" }
        return rules.first { rule in
            zip(rule.when, wanted).allSatisfy { $0.isEmpty || $0.lowercased() == $1 }
        }?.amount ?? nil
    }

    /// The price of one call with these final field values and prompt, or `nil` when unknown.
    package func price(for values: [String: FieldValue], promptLength: Int) -> Money? {
        guard let amount = amount(for: values) else { return nil }
        switch unit {
        case .call:
            return amount
        case .second, .fiveSeconds:
            guard let duration = values["duration"].flatMap(PriceRule.seconds), duration > 0 else { return nil }
            let units = unit == .second ? duration : (duration + 4) / 5
            return Money(micros: amount.micros * Int64(units))
        case .thousandCharacters:
            let thousands = max(1, (promptLength + 999) / 1000)
            return Money(micros: amount.micros * Int64(thousands))
        }
    }

    static func seconds(_ value: FieldValue) -> Int? {
        switch value {
        case .integer(let value): value
        case .number(let value): Int(value.rounded(.up))
        case .string(let text): Int(text.trimmed) ?? Double(text.trimmed).map { Int($0.rounded(.up)) }
        case .boolean: nil
        }
    }

    /// How the rule reads, for `rh-batch models`.
    package var summary: String {
        if let unknown { return "unknown (\(unknown))" }
        let per: String =
            switch unit {
            case .call: "per call"
            case .second: "per second of duration"
            case .fiveSeconds: "per 5 seconds of duration"
            case .thousandCharacters: "per 1000 characters of text"
            }
        if dependsOn.isEmpty, let only = rules.first {
            return "\(only.amount?.description ?? "unknown") \(currency) \(per)"
        }
        let rows = rules.map { rule in
            zip(dependsOn, rule.when).map { "\($0)=\($1.isEmpty ? "*" : $1)" }.joined(separator: ",")
                + ": \(rule.amount?.description ?? "unknown")"
        }
        return "\(currency) \(per) by \(dependsOn.joined(separator: ", ")): " + rows.joined(separator: "; ")
    }
}
