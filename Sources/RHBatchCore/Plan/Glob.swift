/// File-name patterns in image references (`samples/rooms/*.jpg`).
package enum Glob {
    /// True when a reference holds a pattern character.
    package static func isPattern(_ text: String) -> Bool {
        text.contains { $0 == "*" || $0 == "?" || $0 == "[" }
    }

    /// The regular files a pattern matches, relative to `directory` as the pattern is written,
    /// sorted by their bytes so the order is the same on every machine.
    package static func matches(_ pattern: String, in directory: String) -> [String] {
        let absolute = pattern.hasPrefix("/") ? pattern : escape(directory) + "/" + pattern
        let paths = FileSystem.matchingFiles(absolute).map { path in
            pattern.hasPrefix("/") ? path : String(path.dropFirst(directory.count + 1))
        }
        return paths.sorted { $0.utf8.lexicographicallyPrecedes($1.utf8) }
    }

    private static func escape(_ text: String) -> String {
        var out = ""
        for character in text {
            if "*?[]\\".contains(character) { out.append("\\") }
            out.append(character)
        }
        return out
    }
}
