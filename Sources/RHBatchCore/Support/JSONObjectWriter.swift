/// Writes one compact JSON object straight into a string, member by member: for the report and
/// index lines of 100,000 jobs, where building a ``JSONValue`` tree per job would cost more than
/// the text.
package struct JSONObjectWriter {
    /// The text so far.
    package fileprivate(set) var text: String
    private var first = true

    /// Starts an object (`{`), appending to `prefix`.
    package init(prefix: String = "") {
        text = prefix
        text += "{"
    }

    private mutating func key(_ name: String) {
        text += first ? "\"" : ",\""
        first = false
        text += name
        text += "\":"
    }

    /// A string member.
    package mutating func string(_ name: String, _ value: String) {
        key(name)
        JSONValue.writeString(value, to: &text)
    }

    /// A string member, or `null`.
    package mutating func string(_ name: String, _ value: String?) {
        key(name)
        if let value { JSONValue.writeString(value, to: &text) } else { text += "null" }
    }

    /// A whole-number member.
    package mutating func integer(_ name: String, _ value: Int) {
        key(name)
        text += String(value)
    }

    /// A number member, or `null`.
    package mutating func number(_ name: String, _ value: Double?) {
        key(name)
        text += value.map { "\($0)" } ?? "null"
    }

    /// A boolean member.
    package mutating func boolean(_ name: String, _ value: Bool) {
        key(name)
        text += value ? "true" : "false"
    }

    /// A member whose value is already JSON text.
    package mutating func raw(_ name: String, _ json: String) {
        key(name)
        text += json
    }

    /// A member whose value is a ``JSONValue``.
    package mutating func value(_ name: String, _ value: JSONValue) {
        key(name)
        value.write(to: &text, sorted: false)
    }

    /// A member that is an object, written in place by `body`.
    package mutating func object(_ name: String, _ body: (inout JSONObjectWriter) -> Void) {
        key(name)
        var nested = JSONObjectWriter()
        swap(&nested.text, &text)
        nested.text += "{"
        body(&nested)
        nested.text += "}"
        swap(&nested.text, &text)
    }

    /// A member that is a list of objects, each written in place by `body`.
    package mutating func objects<Item>(
        _ name: String, _ items: some Sequence<Item>, _ body: (inout JSONObjectWriter, Item) -> Void
    ) {
        key(name)
        text += "["
        var firstItem = true
        for item in items {
            var nested = JSONObjectWriter()
            swap(&nested.text, &text)
            nested.text += firstItem ? "{" : ",{"
            firstItem = false
            body(&nested, item)
            nested.text += "}"
            swap(&nested.text, &text)
        }
        text += "]"
    }

    /// Members rendered once, to be put into many objects with ``members(_:)``.
    package static func fragment(_ body: (inout JSONObjectWriter) -> Void) -> String {
        var writer = JSONObjectWriter()
        body(&writer)
        return String(writer.text.utf8.dropFirst())!
    }

    /// Members rendered by ``fragment(_:)``.
    package mutating func members(_ fragment: String) {
        guard !fragment.isEmpty else { return }
        if !first { text += "," }
        first = false
        text += fragment
    }

    /// Closes the object and returns the text.
    package mutating func finish() -> String {
        text += "}"
        return text
    }
}
