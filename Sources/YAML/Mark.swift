/// A position in a YAML source: 1-based line and column, as editors and compilers count them.
///
/// Columns count characters, not bytes, the way libyaml reports them.
package struct Mark: Sendable, Hashable, Comparable, CustomStringConvertible {
    /// The 1-based line.
    package var line: Int
    /// The 1-based column.
    package var column: Int
    /// Which file: 0 for the document itself, else a file it names (a manifest's tables), as
    /// numbered by whoever reads those files.
    package var source: Int32

    /// Makes a mark from 1-based line and column numbers.
    package init(line: Int, column: Int, source: Int32 = 0) {
        self.line = line
        self.column = column
        self.source = source
    }

    /// The start of a file.
    package static let start = Mark(line: 1, column: 1)

    package var description: String { "\(line):\(column)" }

    package static func < (lhs: Mark, rhs: Mark) -> Bool {
        (lhs.source, lhs.line, lhs.column) < (rhs.source, rhs.line, rhs.column)
    }
}
