/// The dotted path of a value in a manifest, as errors print it: `matrix[1].aspect_ratio[2]`.
package struct KeyPath: Sendable, Hashable, CustomStringConvertible {
    /// The rendered path; empty at the top of the document.
    package private(set) var description: String

    /// The top of the document.
    package static let root = KeyPath(description: "")

    private init(description: String) {
        self.description = description
    }

    /// The path of a key below this one.
    package func key(_ name: String) -> KeyPath {
        KeyPath(description: description.isEmpty ? name : description + "." + name)
    }

    /// The path of a list item below this one.
    package func index(_ index: Int) -> KeyPath {
        KeyPath(description: description + "[\(index)]")
    }
}
