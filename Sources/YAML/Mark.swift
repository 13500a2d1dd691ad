/// A position in a YAML source: 1-based line and column, as editors and compilers count them.
///
/// Columns count characters, not bytes, the way libyaml reports them.
package struct Mark: Sendable, Hashable, Comparable, CustomStringConvertible {
    /// The 1-based line.
    package var line: Int
    /// The 1-based column.
    package var column: Int

    /// Makes a mark from 1-based line and column numbers.
    package init(line: Int, column: Int) {
        self.line = line
        self.column = column
    }

    /// The start of a file.
    package static let start = Mark(line: 1, column: 1)

    package var description: String { "\(line):\(column)" }

    package static func < (lhs: Mark, rhs: Mark) -> Bool {
        (lhs.line, lhs.column) < (rhs.line, rhs.column)
    }
}
