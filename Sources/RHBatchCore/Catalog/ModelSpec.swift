/// One model of the catalog: how manifest job fields map onto its API body, what it accepts, and
/// what it costs.
///
/// Adding a model is adding one of these to ``ModelCatalog/builtIn``; nothing else in the code
/// names a model.
package struct ModelSpec: Sendable {
    /// The short name users write: `gpt-image-2`.
    package var alias: String
    /// The API path below `/openapi/v2/`: `rhart-image-g-2-official/image-to-image`.
    package var endpoint: String
    /// The vendor's English name: `gpt-image-2/image-to-image-official-stable`.
    package var vendorName: String
    /// A one-line description.
    package var summary: String
    /// The prompt field.
    package var prompt: PromptField
    /// The input image field.
    package var image: ImageField
    /// The enumerated options the model takes (aspect ratio, resolution, quality), in body order.
    package var options: [OptionField]
    /// Other declared body fields that `params` may set, checked by type.
    package var extraFields: [ExtraField]
    /// How one call is priced.
    package var price: PriceRule

    /// Makes a model entry.
    package init(
        alias: String,
        endpoint: String,
        vendorName: String,
        summary: String,
        prompt: PromptField,
        image: ImageField,
        options: [OptionField],
        extraFields: [ExtraField] = [ExtraField(apiKey: "webhookUrl", type: .string)],
        price: PriceRule
    ) {
        self.alias = alias
        self.endpoint = endpoint
        self.vendorName = vendorName
        self.summary = summary
        self.prompt = prompt
        self.image = image
        self.options = options
        self.extraFields = extraFields
        self.price = price
    }

    /// The option field for a job field, when the model takes it.
    package func option(_ key: OptionKey) -> OptionField? {
        options.first { $0.key == key }
    }

    /// Whether a manifest job field already controls this API body key.
    package func isReserved(_ apiKey: String) -> Bool {
        apiKey == prompt.apiKey || apiKey == image.apiKey || options.contains { $0.apiKey == apiKey }
    }
}

/// A job field that is a choice from a list: `aspect_ratio`, `resolution`, `quality`.
package enum OptionKey: String, Sendable, Hashable, CaseIterable, Codable {
    case aspectRatio = "aspect_ratio"
    case resolution
    case quality

    /// The manifest's name of the field.
    package var manifestKey: String { rawValue }
}

/// The prompt field of a model.
package struct PromptField: Sendable {
    /// The body key.
    package var apiKey: String
    /// The most characters allowed (after trimming).
    package var maxLength: Int

    /// Makes a prompt field.
    package init(apiKey: String = "prompt", maxLength: Int) {
        self.apiKey = apiKey
        self.maxLength = maxLength
    }
}

/// The input image field of a model.
package struct ImageField: Sendable {
    /// The body key: `imageUrls` (a list) or `image` (one string).
    package var apiKey: String
    /// True when the body value is a list of URLs; false for a single URL string.
    package var isList: Bool
    /// The most images one call takes.
    package var maxCount: Int
    /// The accepted file formats.
    package var formats: [ImageFormat]
    /// The largest accepted file, in bytes.
    package var maxBytes: Int

    /// Makes an image field.
    package init(apiKey: String, isList: Bool, maxCount: Int, formats: [ImageFormat], maxBytes: Int) {
        self.apiKey = apiKey
        self.isList = isList
        self.maxCount = maxCount
        self.formats = formats
        self.maxBytes = maxBytes
    }
}

/// An enumerated option of a model.
package struct OptionField: Sendable {
    /// Which job field sets it.
    package var key: OptionKey
    /// The body key: `aspectRatio`.
    package var apiKey: String
    /// The accepted values, in the vendor's order.
    package var values: [String]
    /// Whether the API requires the field; a required field that a job leaves unset takes
    /// ``defaultValue``.
    package var required: Bool
    /// The vendor's documented default.
    package var defaultValue: String?
    /// What the model does when an optional field is left out, for `rh-batch models`.
    package var whenOmitted: String?

    /// Makes an option field.
    package init(
        key: OptionKey,
        apiKey: String,
        values: [String],
        required: Bool,
        defaultValue: String?,
        whenOmitted: String? = nil
    ) {
        self.key = key
        self.apiKey = apiKey
        self.values = values
        self.required = required
        self.defaultValue = defaultValue
        self.whenOmitted = whenOmitted
    }
}

/// A declared body field that only `params` can set.
package struct ExtraField: Sendable {
    /// The type a value must have.
    package enum ValueType: String, Sendable {
        case string, integer, number, boolean
    }

    /// The body key.
    package var apiKey: String
    /// The value's type.
    package var type: ValueType

    /// Makes an extra field.
    package init(apiKey: String, type: ValueType) {
        self.apiKey = apiKey
        self.type = type
    }
}

/// How one call of a model is priced.
package struct PriceRule: Sendable {
    /// The currency of every amount.
    package var currency: String
    /// The options the price depends on, in table-key order; empty for a fixed price.
    package var dependsOn: [OptionKey]
    /// The price for each combination of ``dependsOn`` values (the empty list for a fixed price).
    package var table: [[String]: Money]
    /// Where the prices come from and when they were published.
    package var source: String

    /// A fixed price per call.
    package static func fixed(_ amount: String, currency: String = "CNY", source: String) -> PriceRule {
        PriceRule(currency: currency, dependsOn: [], table: [[]: Money(amount)!], source: source)
    }

    /// A price by option values: `table` keys list values in `dependsOn` order.
    package static func byOptions(
        _ dependsOn: [OptionKey],
        _ table: [[String]: String],
        currency: String = "CNY",
        source: String
    ) -> PriceRule {
        PriceRule(currency: currency, dependsOn: dependsOn, table: table.mapValues { Money($0)! }, source: source)
    }

    /// The price of one call with these final option values, or `nil` when the table has no entry.
    package func price(for options: [OptionKey: String]) -> Money? {
        table[dependsOn.map { options[$0] ?? "" }]
    }
}
