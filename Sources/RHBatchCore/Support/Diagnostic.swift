import YAML

/// One problem found in a manifest, located at the place the user wrote it.
///
/// Printed compiler-style, `file:line:col: error: key.path: message`, so editors and CI logs can
/// jump to it.
package struct Diagnostic: Sendable, Hashable, CustomStringConvertible {
    /// How serious a diagnostic is.
    package enum Severity: String, Sendable, Hashable {
        case error, warning
    }

    /// The manifest as the user named it.
    package var file: String
    /// Where the problem is.
    package var mark: Mark
    /// The key path of the value (`matrix.aspect_ratio[2]`), or empty for the whole file.
    package var path: String
    /// One sentence a user can act on.
    package var message: String
    /// Error or warning.
    package var severity: Severity

    /// Makes a diagnostic.
    package init(file: String, mark: Mark, path: String, message: String, severity: Severity = .error) {
        self.file = file
        self.mark = mark
        self.path = path
        self.message = message
        self.severity = severity
    }

    package var description: String {
        let location = "\(file):\(mark.line):\(mark.column): \(severity.rawValue): "
        return path.isEmpty ? location + message : location + "\(path): " + message
    }
}

/// The diagnostics of one manifest, in the order found, each reported once.
package struct Diagnostics: Sendable {
    /// The manifest's display path, put on every diagnostic at a mark of source 0.
    package let file: String
    /// The other files the manifest names (its tables), by mark source from 1.
    package private(set) var files: [String] = []
    /// Everything found so far.
    package private(set) var all: [Diagnostic] = []
    private var seen: Set<Diagnostic> = []

    /// Starts an empty list for a file.
    package init(file: String) {
        self.file = file
    }

    /// Records an error once; the same error at the same place (one bad matrix value met by many
    /// combinations) is not repeated.
    package mutating func error(_ message: String, at mark: Mark, path: String) {
        add(Diagnostic(file: file(of: mark), mark: mark, path: path, message: message))
    }

    /// Records a warning once.
    package mutating func warning(_ message: String, at mark: Mark, path: String) {
        add(Diagnostic(file: file(of: mark), mark: mark, path: path, message: message, severity: .warning))
    }

    /// Numbers another file (a table the manifest names) for marks in it.
    package mutating func source(for file: String) -> Int32 {
        if let known = files.firstIndex(of: file) { return Int32(known + 1) }
        files.append(file)
        return Int32(files.count)
    }

    /// The display path of a mark's file.
    package func file(of mark: Mark) -> String {
        mark.source > 0 && Int(mark.source) <= files.count ? files[Int(mark.source) - 1] : file
    }

    /// Records a diagnostic once.
    package mutating func add(_ diagnostic: Diagnostic) {
        if seen.insert(diagnostic).inserted { all.append(diagnostic) }
    }

    /// Takes back what was recorded after the first `count` (a row that `--skip-invalid` skips
    /// instead of reporting).
    package mutating func removeAll(after count: Int) {
        guard count < all.count else { return }
        for diagnostic in all[count...] { seen.remove(diagnostic) }
        all.removeSubrange(count...)
    }

    /// True when at least one error was recorded.
    package var hasErrors: Bool { all.contains { $0.severity == .error } }

    /// The errors, in order.
    package var errors: [Diagnostic] { all.filter { $0.severity == .error } }
}

/// A manifest that cannot be planned, with everything that is wrong with it.
package struct ManifestError: Error, Sendable, CustomStringConvertible {
    /// Every diagnostic, errors and warnings, in the order found.
    package var diagnostics: [Diagnostic]

    /// Makes an error from diagnostics.
    package init(_ diagnostics: [Diagnostic]) {
        self.diagnostics = diagnostics
    }

    package var description: String { diagnostics.map(\.description).joined(separator: "\n") }
}
