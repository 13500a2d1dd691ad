/// A YAML document that could not be read, with where and why.
///
/// The description is one sentence without the location; callers prefix `file:line:col:`.
package struct YAMLError: Error, Sendable, Hashable, CustomStringConvertible {
    /// What kind of problem this is.
    package struct Code: Sendable, Hashable, CustomStringConvertible {
        private let name: String
        private init(_ name: String) { self.name = name }
        package var description: String { name }

        /// libyaml could not scan or parse the text (bad indentation, a tab, an unclosed quote, ...).
        package static let syntax = Code("syntax")
        /// The bytes are not UTF-8 text (binary data, a NUL byte, ...).
        package static let encoding = Code("encoding")
        /// A mapping names the same key twice.
        package static let duplicateKey = Code("duplicateKey")
        /// The file holds more than one document.
        package static let multipleDocuments = Code("multipleDocuments")
        /// Nesting goes deeper than the limit.
        package static let tooDeep = Code("tooDeep")
        /// Aliases expand the document past the node limit.
        package static let tooLarge = Code("tooLarge")
        /// An alias names an anchor that is not defined before it.
        package static let unknownAlias = Code("unknownAlias")
        /// A `<<` merge key whose value is not a mapping or a list of mappings.
        package static let badMerge = Code("badMerge")
    }

    /// What kind of problem this is.
    package var code: Code
    /// The message: one sentence a user can act on.
    package var message: String
    /// Where the problem is.
    package var mark: Mark

    /// Makes an error.
    package init(_ code: Code, _ message: String, at mark: Mark) {
        self.code = code
        self.message = message
        self.mark = mark
    }

    package var description: String { "\(mark): \(message)" }
}
