#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

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
        var result = glob_t()
        defer { globfree(&result) }
        guard glob(absolute, GLOB_MARK, nil, &result) == 0 else { return [] }
        var paths: [String] = []
        for index in 0..<Int(result.gl_pathc) {
            guard let pointer = result.gl_pathv[index] else { continue }
            let path = String(cString: pointer)
            if path.hasSuffix("/") { continue }
            paths.append(pattern.hasPrefix("/") ? path : String(path.dropFirst(directory.count + 1)))
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
