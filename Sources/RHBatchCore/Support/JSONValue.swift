/// A JSON value with a canonical rendering: the values of `params`, and anything rh-batch writes
/// as JSON without Foundation's encoder.
package enum JSONValue: Sendable, Hashable {
    case string(String)
    case integer(Int)
    case number(Double)
    case boolean(Bool)
    case null
    case array([JSONValue])
    /// Keys in the order given; ``canonical`` sorts them.
    case object([(String, JSONValue)])

    package static func == (lhs: JSONValue, rhs: JSONValue) -> Bool {
        lhs.canonical == rhs.canonical
    }

    package func hash(into hasher: inout Hasher) {
        hasher.combine(canonical)
    }

    /// Compact JSON with object keys sorted: equal values render equal text.
    package var canonical: String {
        var out = ""
        write(to: &out, sorted: true)
        return out
    }

    /// An object's members as compact JSON without the braces (to splice into another object);
    /// empty for any other value.
    package var members: String {
        guard case .object = self else { return "" }
        let text = json
        return String(text.dropFirst().dropLast())
    }

    /// Compact JSON with object keys in their given order.
    package var json: String {
        var out = ""
        write(to: &out, sorted: false)
        return out
    }

    /// The name of the value's JSON type, for error messages.
    package var typeName: String {
        switch self {
        case .string: "a string"
        case .integer: "an integer"
        case .number: "a number"
        case .boolean: "a boolean"
        case .null: "null"
        case .array: "a list"
        case .object: "a mapping"
        }
    }

    /// Appends the value's JSON text.
    package func write(to out: inout String, sorted: Bool) {
        switch self {
        case .string(let text):
            JSONValue.writeString(text, to: &out)
        case .integer(let value):
            out += String(value)
        case .number(let value):
            out += value.isFinite ? "\(value)" : "null"
        case .boolean(let value):
            out += value ? "true" : "false"
        case .null:
            out += "null"
        case .array(let items):
            out += "["
            for (position, item) in items.enumerated() {
                if position > 0 { out += "," }
                item.write(to: &out, sorted: sorted)
            }
            out += "]"
        case .object(let pairs):
            out += "{"
            let ordered = sorted ? pairs.sorted { $0.0 < $1.0 } : pairs
            for (position, (key, value)) in ordered.enumerated() {
                if position > 0 { out += "," }
                JSONValue.writeString(key, to: &out)
                out += ":"
                value.write(to: &out, sorted: sorted)
            }
            out += "}"
        }
    }

    /// Whether a text has a byte JSON escapes: a million-job report asks this of every text, so
    /// it reads the bytes in place rather than through a generic sequence.
    package static func needsEscaping(_ text: String) -> Bool {
        var text = text
        return text.withUTF8 { bytes in
            for byte in bytes where byte < 0x20 || byte == UInt8(ascii: "\"") || byte == UInt8(ascii: "\\") {
                return true
            }
            return false
        }
    }

    /// Appends a JSON string literal.
    package static func writeString(_ text: String, to out: inout String) {
        if !needsEscaping(text) {
            out += "\""
            out += text
            out += "\""
            return
        }
        // Escapes are rare: one escaper for both writers, ``JSONBytes``'s.
        var bytes = JSONBytes()
        bytes.string(text)
        out += String(decoding: bytes.out, as: UTF8.self)
    }
}

extension JSONValue {
    /// Indented JSON with keys in their given order, for files people read.
    package var pretty: String {
        var out = ""
        writePretty(to: &out, indent: 0)
        return out
    }

    private func writePretty(to out: inout String, indent: Int) {
        let pad = String(repeating: "  ", count: indent + 1)
        let closing = String(repeating: "  ", count: indent)
        switch self {
        case .array(let items) where !items.isEmpty:
            out += "[\n"
            for (position, item) in items.enumerated() {
                out += pad
                item.writePretty(to: &out, indent: indent + 1)
                out += position < items.count - 1 ? ",\n" : "\n"
            }
            out += closing + "]"
        case .object(let pairs) where !pairs.isEmpty:
            out += "{\n"
            for (position, (key, value)) in pairs.enumerated() {
                out += pad
                JSONValue.writeString(key, to: &out)
                out += ": "
                value.writePretty(to: &out, indent: indent + 1)
                out += position < pairs.count - 1 ? ",\n" : "\n"
            }
            out += closing + "}"
        default:
            write(to: &out, sorted: false)
        }
    }
}
