/// The dotted path of a value in a manifest, as errors print it: `matrix[1].aspect_ratio[2]`.
///
/// A list item of a rendered path, and a key below that, are kept apart and rendered only when the
/// path is read: a table's rows each have a path (`matrix[0].rows[16].prompt`) that only an error
/// ever prints, and a million rows would otherwise make two million strings for none.
package struct KeyPath: Sendable, Hashable, CustomStringConvertible {
    /// The rendered part; empty at the top of the document.
    private var head: String
    /// A list index after `head`, not rendered yet.
    private var index: Int?
    /// A key after `head` (and `index`), not rendered yet.
    private var name: String?

    /// The top of the document.
    package static let root = KeyPath(head: "")

    private init(head: String, index: Int? = nil, name: String? = nil) {
        self.head = head
        self.index = index
        self.name = name
    }

    /// The rendered path; empty at the top of the document.
    package var description: String {
        guard index != nil || name != nil else { return head }
        var text = head
        if let index { text += "[\(index)]" }
        if let name { text += text.isEmpty ? name : "." + name }
        return text
    }

    /// The path of a key below this one.
    package func key(_ name: String) -> KeyPath {
        if self.name == nil { return KeyPath(head: head, index: index, name: name) }
        return KeyPath(head: description, name: name)
    }

    /// The path of a list item below this one.
    package func index(_ index: Int) -> KeyPath {
        if self.index == nil && name == nil { return KeyPath(head: head, index: index) }
        return KeyPath(head: description, index: index)
    }

    package static func == (left: KeyPath, right: KeyPath) -> Bool {
        left.description == right.description
    }

    package func hash(into hasher: inout Hasher) {
        hasher.combine(description)
    }
}
