import Foundation
import NIOConcurrencyHelpers
import RunningHubModel

/// rh-batch's own catalog format: facts only (endpoints, fields, limits, prices, output types),
/// written by `rh-batch catalog import` and read at start-up.
package struct CatalogFile: Codable, Sendable {
    /// Always ``formatName``.
    package var format: String
    /// Where the facts come from.
    package var source: Source
    /// Every model, in display order.
    package var models: [Model]

    /// The value of ``format``.
    package static let formatName = "rh-batch-catalog/1"

    /// Where the facts come from.
    package struct Source: Codable, Sendable, CustomStringConvertible {
        /// The registry's version: `public-2026-04-29`.
        package var registry: String
        /// The price table's version, when one was imported.
        package var pricing: String?
        /// Where the vendor publishes the files, and their licence.
        package var origin: String

        /// `RunningHub model registry public-2026-04-29, price table public-2026-04-29`.
        package var description: String {
            var text = "RunningHub model registry \(registry)"
            if let pricing { text += ", price table \(pricing)" }
            return text
        }
    }

    /// One model.
    package struct Model: Codable, Sendable {
        var alias: String
        var endpoint: String
        var name: String
        var output: String
        var fields: [Field]
        var price: Price
        var unsupported: String?
    }

    /// One body field.
    package struct Field: Codable, Sendable {
        var key: String
        /// `string`, `choice`, `integer`, `number`, `boolean`, `image`, `video`, `audio`.
        var type: String
        var required: Bool
        var `default`: FieldValue?
        var maxLength: Int?
        var values: [String]?
        var min: Double?
        var max: Double?
        var step: Double?
        var list: Bool?
        var maxCount: Int?
        var formats: [String]?
        var maxMB: Int?

        init(
            key: String, type: String, required: Bool, default: FieldValue? = nil, maxLength: Int? = nil,
            values: [String]? = nil,
            min: Double? = nil, max: Double? = nil, step: Double? = nil, list: Bool? = nil, maxCount: Int? = nil,
            formats: [String]? = nil, maxMB: Int? = nil
        ) {
            self.key = key
            self.type = type
            self.required = required
            self.default = `default`
            self.maxLength = maxLength
            self.values = values
            self.min = min
            self.max = max
            self.step = step
            self.list = list
            self.maxCount = maxCount
            self.formats = formats
            self.maxMB = maxMB
        }

        /// Decodes the default by the field's type: trying each JSON type in turn throws (and
        /// costs) for every default that is not the first one tried.
        package init(from decoder: any Decoder) throws {
            let container = try decoder.container(keyedBy: CodingKeys.self)
            key = try container.decode(String.self, forKey: .key)
            type = try container.decode(String.self, forKey: .type)
            required = try container.decode(Bool.self, forKey: .required)
            if container.contains(.default) {
                switch type {
                case "integer": `default` = .integer(try container.decode(Int.self, forKey: .default))
                case "number": `default` = .number(try container.decode(Double.self, forKey: .default))
                case "boolean": `default` = .boolean(try container.decode(Bool.self, forKey: .default))
                case "string", "choice": `default` = .string(try container.decode(String.self, forKey: .default))
                default: `default` = try container.decode(FieldValue.self, forKey: .default)
                }
            }
            maxLength = try container.decodeIfPresent(Int.self, forKey: .maxLength)
            values = try container.decodeIfPresent([String].self, forKey: .values)
            min = try container.decodeIfPresent(Double.self, forKey: .min)
            max = try container.decodeIfPresent(Double.self, forKey: .max)
            step = try container.decodeIfPresent(Double.self, forKey: .step)
            list = try container.decodeIfPresent(Bool.self, forKey: .list)
            maxCount = try container.decodeIfPresent(Int.self, forKey: .maxCount)
            formats = try container.decodeIfPresent([String].self, forKey: .formats)
            maxMB = try container.decodeIfPresent(Int.self, forKey: .maxMB)
        }
    }

    /// One price rule.
    package struct Price: Codable, Sendable {
        var currency: String
        var unit: String?
        var dependsOn: [String]?
        var rules: [Rule]?
        var unknown: String?
        var note: String?
    }

    /// One row of a price table.
    package struct Rule: Codable, Sendable {
        var when: [String]
        var amount: String

        /// The amount of a row whose price is unknown.
        static let unknownAmount = "unknown"
    }
}

/// A catalog file that cannot be used.
package struct CatalogError: Error, Sendable, CustomStringConvertible {
    /// The file.
    package var file: String
    /// 1-based line and column, when known.
    package var line: Int
    package var column: Int
    /// The key path of the problem, when known.
    package var path: String
    /// What is wrong.
    package var message: String

    package var description: String {
        "\(file):\(line):\(column): error: \(path.isEmpty ? "" : path + ": ")\(message)"
    }

    /// Makes an error.
    package init(file: String, line: Int, column: Int, path: String, message: String) {
        self.file = file
        self.line = line
        self.column = column
        self.path = path
        self.message = message
    }
}

extension CatalogFile {
    /// The models of this file.
    package func catalog() -> ModelCatalog {
        ModelCatalog(models.map(\.spec), source: sourceDescription)
    }

    /// `RunningHub model registry public-2026-04-29, price table public-2026-04-29`.
    package var sourceDescription: String { source.description }

    /// The ``Source`` of a file laid out as ``encoded()`` writes it, read from the bytes before its
    /// models (the version line needs no more); `nil` for any other layout.
    package static func source(header data: Data) -> Source? {
        struct Header: Decodable {
            var format: String
            var source: Source
        }
        let prefix = data.prefix(4096)
        guard prefix.starts(with: Data("{\"format\":\"\(formatName)\"".utf8)),
            let end = prefix.range(of: Data(",\"models\":".utf8)),
            let header = try? JSONDecoder().decode(Header.self, from: prefix[..<end.lowerBound] + Data("}".utf8))
        else { return nil }
        return header.source
    }

    /// The file as rh-batch writes it: compact JSON with sorted keys and one model a line, so that
    /// it loads fast and a regenerated catalog differs from the committed one only in the lines of
    /// the models whose facts changed.
    package func encoded() throws -> Data {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        var data = Data("{\"format\":".utf8) + (try encoder.encode(format))
        data += Data(",\"source\":".utf8) + (try encoder.encode(source))
        data += Data(",\"models\":[\n".utf8)
        for (index, model) in models.enumerated() {
            data += try encoder.encode(model)
            data += Data((index + 1 < models.count ? ",\n" : "\n").utf8)
        }
        data += Data("]}\n".utf8)
        return data
    }

    /// Reads a catalog file in rh-batch's format or the vendor's registry format (optionally with
    /// a price table beside it).
    package static func load(_ path: String, pricing: String? = nil) throws(CatalogError) -> CatalogFile {
        var table: (Data, String)?
        if let pricing { table = (try read(pricing), pricing) }
        return try decode(try read(path), file: path, pricing: table)
    }

    /// A catalog from bytes: rh-batch's format, or the vendor's registry (with its price table's
    /// bytes and name, when given). `file` names the registry in errors.
    package static func decode(_ data: Data, file path: String, pricing: (data: Data, file: String)?)
        throws(CatalogError) -> CatalogFile
    {
        // rh-batch's own files name their format first: decode them in one pass (in two halves at
        // once, when laid out as rh-batch writes them).
        if data.prefix(64).range(of: Data("{\"format\":\"\(formatName)\"".utf8)) != nil,
            let file = decodedInHalves(data) ?? (try? JSONDecoder().decode(CatalogFile.self, from: data))
        {
            return try file.checkingNames(file: path)
        }
        let object = try parse(data, file: path)
        guard let top = object as? [String: Any] else {
            throw CatalogError(
                file: path, line: 1, column: 1, path: "",
                message: "not a model catalog: the top level is not a JSON object")
        }
        if let format = top["format"] as? String {
            guard format == formatName else {
                throw CatalogError(
                    file: path, line: 1, column: 1, path: "format",
                    message: "unknown catalog format '\(format)'; this rh-batch reads \(formatName)")
            }
            let decoded: CatalogFile
            do {
                decoded = try JSONDecoder().decode(CatalogFile.self, from: data)
            } catch {
                throw CatalogError(
                    file: path, line: 1, column: 1, path: "",
                    message: "not a valid rh-batch catalog: \(Self.describe(error))")
            }
            return try decoded.checkingNames(file: path)
        }
        guard top["models"] is [Any] else {
            throw CatalogError(
                file: path, line: 1, column: 1, path: "",
                message: "neither an rh-batch catalog (no 'format') nor a RunningHub model registry (no 'models' list)"
            )
        }
        var prices: [String: Any]?
        if let pricing {
            guard let table = try parse(pricing.data, file: pricing.file) as? [String: Any], table["pricing"] is [Any]
            else {
                throw CatalogError(
                    file: pricing.file, line: 1, column: 1, path: "",
                    message: "not a RunningHub price table (no 'pricing' list)")
            }
            prices = table
        }
        return try VendorRegistry.convert(registry: top, pricing: prices, file: path)
    }

    /// A file laid out as ``encoded()`` writes it (one model a line), its models decoded in two
    /// halves on two threads: the built-in catalog is read by every command at start-up. `nil`
    /// when the bytes are laid out otherwise or do not decode (one decoder then reads the whole
    /// file, and says what is wrong).
    static func decodedInHalves(_ data: Data) -> CatalogFile? {
        let bytes = [UInt8](data)
        let opening = Array(",\"models\":[\n".utf8)
        let closing = Array("\n]}\n".utf8)
        guard let start = bytes.firstRange(of: opening)?.upperBound, bytes.count - closing.count > start,
            bytes.suffix(closing.count).elementsEqual(closing)
        else { return nil }
        let end = bytes.count - closing.count
        // The line break nearest past the middle ends a model's line: "...},\n".
        guard let middle = bytes[(start + end) / 2..<end].firstIndex(of: 0x0A), bytes[middle - 1] == UInt8(ascii: ",")
        else { return nil }
        let parts: [[UInt8]] = [
            bytes[..<start] + Array("]}".utf8),
            [UInt8(ascii: "[")] + bytes[start..<(middle - 1)] + [UInt8(ascii: "]")],
            [UInt8(ascii: "[")] + bytes[(middle + 1)..<end] + [UInt8(ascii: "]")],
        ]
        let decoded = NIOLockedValueBox<(header: CatalogFile?, halves: [Int: [Model]])>((nil, [:]))
        DispatchQueue.concurrentPerform(iterations: parts.count) { index in
            let part = Data(parts[index])
            if index == 0 {
                let header = try? JSONDecoder().decode(CatalogFile.self, from: part)
                decoded.withLockedValue { $0.header = header }
            } else if let models = try? JSONDecoder().decode([Model].self, from: part) {
                decoded.withLockedValue { $0.halves[index] = models }
            }
        }
        return decoded.withLockedValue { decoded in
            guard var file = decoded.header, file.models.isEmpty, let first = decoded.halves[1],
                let second = decoded.halves[2]
            else { return nil }
            file.models = first + second
            return file
        }
    }

    /// The catalog, when every model has an alias, an endpoint and a name (each is how a manifest
    /// may name it, and a blank one would match a blank `model:`).
    func checkingNames(file path: String) throws(CatalogError) -> CatalogFile {
        for (position, model) in models.enumerated() {
            for (key, value) in [("alias", model.alias), ("endpoint", model.endpoint), ("name", model.name)]
            where value.isBlank {
                throw CatalogError(
                    file: path, line: 1, column: 1, path: "models[\(position)].\(key)", message: "is empty")
            }
        }
        return self
    }

    static func read(_ path: String) throws(CatalogError) -> Data {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw CatalogError(file: path, line: 1, column: 1, path: "", message: "cannot read the file")
        }
        return data
    }

    static func parse(_ data: Data, file: String) throws(CatalogError) -> Any {
        do {
            return try JSONSerialization.jsonObject(with: data)
        } catch {
            // Foundation says where: "... around line 3, column 7." or "around character 20."
            let text = Self.describe(error)
            var line = 1
            var column = 1
            if let range = text.range(of: "line ") {
                let rest = text[range.upperBound...]
                line = Int(rest.prefix { $0.isNumber }) ?? 1
                if let columnRange = rest.range(of: "column ") {
                    column = Int(rest[columnRange.upperBound...].prefix { $0.isNumber }) ?? 1
                }
            } else if let range = text.range(of: "character ") {
                let offset = min(Int(text[range.upperBound...].prefix { $0.isNumber }) ?? 0, data.count)
                for byte in data.prefix(offset) {
                    if byte == 0x0A {
                        line += 1
                        column = 1
                    } else if byte & 0xC0 != 0x80 {
                        column += 1
                    }
                }
            }
            throw CatalogError(file: file, line: line, column: column, path: "", message: "not JSON: \(text)")
        }
    }

    static func describe(_ error: any Error) -> String {
        let nsError = error as NSError
        if let debug = nsError.userInfo[NSDebugDescriptionErrorKey] as? String { return debug }
        if let decoding = error as? DecodingError {
            switch decoding {
            case .keyNotFound(let key, let context):
                return
                    "'\(key.stringValue)' is missing at \(context.codingPath.map(\.stringValue).joined(separator: "."))"
            case .typeMismatch(_, let context), .valueNotFound(_, let context), .dataCorrupted(let context):
                return "\(context.debugDescription) at \(context.codingPath.map(\.stringValue).joined(separator: "."))"
            @unknown default:
                return "\(error)"
            }
        }
        return "\(error)"
    }
}

extension CatalogFile.Model {
    /// The runtime model.
    var spec: ModelSpec {
        var unsupported = unsupported
        var specs: [FieldSpec] = []
        for field in fields {
            guard let kind = field.kind else {
                unsupported =
                    unsupported ?? "field '\(field.key)' has the kind '\(field.type)', which rh-batch does not know"
                continue
            }
            specs.append(
                FieldSpec(apiKey: field.key, kind: kind, required: field.required, defaultValue: field.default))
        }
        return ModelSpec(
            alias: alias,
            endpoint: endpoint,
            vendorName: name,
            output: OutputKind(registryName: output) ?? .image,
            fields: specs,
            price: price.rule,
            unsupported: unsupported
                ?? (OutputKind(registryName: output) == nil
                    ? "its output type '\(output)' is not one rh-batch knows" : nil)
        )
    }

    /// The file form of a runtime model.
    init(_ spec: ModelSpec) {
        alias = spec.alias
        endpoint = spec.endpoint
        name = spec.vendorName
        output = spec.output.rawValue
        fields = spec.fields.map(CatalogFile.Field.init)
        price = CatalogFile.Price(spec.price)
        unsupported = spec.unsupported
    }
}

extension CatalogFile.Field {
    var kind: FieldSpec.Kind? {
        switch type {
        case "string": return .string(maxLength: maxLength)
        case "choice": return .choice(values ?? [])
        case "integer": return .integer(min: min.map { Int($0) }, max: max.map { Int($0) }, step: step.map { Int($0) })
        case "number": return .number(min: min, max: max, step: step)
        case "boolean": return .boolean
        case "image", "video", "audio":
            return .media(
                MediaField(
                    apiKey: key,
                    kind: OutputKind(rawValue: type) ?? .image,
                    isList: list ?? false,
                    maxCount: maxCount ?? 1,
                    formats: (formats ?? []).compactMap(MediaFormat.init(acceptName:)),
                    maxBytes: (maxMB ?? 10) * 1024 * 1024
                ))
        default: return nil
        }
    }

    init(_ spec: FieldSpec) {
        key = spec.apiKey
        required = spec.required
        `default` = spec.defaultValue
        switch spec.kind {
        case .string(let maxLength):
            type = "string"
            self.maxLength = maxLength
        case .choice(let values):
            type = "choice"
            self.values = values
        case .integer(let min, let max, let step):
            type = "integer"
            self.min = min.map(Double.init)
            self.max = max.map(Double.init)
            self.step = step.map(Double.init)
        case .number(let min, let max, let step):
            type = "number"
            self.min = min
            self.max = max
            self.step = step
        case .boolean:
            type = "boolean"
        case .media(let media):
            type = media.kind.rawValue
            list = media.isList
            maxCount = media.maxCount
            formats = media.formats.map(\.rawValue)
            maxMB = media.maxBytes / 1024 / 1024
        }
    }
}

extension CatalogFile.Price {
    var rule: PriceRule {
        // A row whose amount is not a number ("unknown": a placeholder of the vendor's table)
        // stays, as a combination of unknown price: dropped, a wider row after it would price it.
        let parsedRules = (rules ?? []).map { rule in (when: rule.when, amount: Money(rule.amount)) }
        return PriceRule(
            currency: currency,
            unit: unit.flatMap(PriceRule.Unit.init(rawValue:)) ?? .call,
            dependsOn: dependsOn ?? [],
            rules: parsedRules,
            source: "",
            unknown: unknown
                ?? (parsedRules.allSatisfy { $0.amount == nil } ? "no price published for any combination" : nil),
            note: note
        )
    }

    init(_ rule: PriceRule) {
        currency = rule.currency
        unit = rule.unit == .call ? nil : rule.unit.rawValue
        dependsOn = rule.dependsOn.isEmpty ? nil : rule.dependsOn
        rules =
            rule.unknown != nil
            ? nil
            : rule.rules.map {
                CatalogFile.Rule(when: $0.when, amount: $0.amount?.description ?? CatalogFile.Rule.unknownAmount)
            }
        unknown = rule.unknown
        note = rule.note
    }
}
