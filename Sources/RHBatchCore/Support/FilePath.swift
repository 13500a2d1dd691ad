/// Lexical path arithmetic: no file system access, no symlink resolution.
package enum FilePath {
    /// `path` relative to `directory` (or `path` itself when absolute), with `.` and `..` folded
    /// where they can be: `manifests` + `../out/x` is `out/x`.
    package static func join(_ directory: String, _ path: String) -> String {
        normalize(path.hasPrefix("/") ? path : directory + "/" + path)
    }

    /// Folds `.`, `..` and repeated slashes; keeps leading `..` of a relative path.
    package static func normalize(_ path: String) -> String {
        let absolute = path.hasPrefix("/")
        var parts: [Substring] = []
        for part in path.split(separator: "/", omittingEmptySubsequences: true) {
            if part == "." { continue }
            if part == "..", let last = parts.last, last != ".." {
                parts.removeLast()
                continue
            }
            if part == "..", absolute { continue }
            parts.append(part)
        }
        let joined = parts.joined(separator: "/")
        if absolute { return "/" + joined }
        return joined.isEmpty ? "." : joined
    }
}

extension FilePath {
    /// The folder part of a path (`.` for a bare name).
    package static func directory(of path: String) -> String {
        guard let slash = path.lastIndex(of: "/") else { return "." }
        let folder = String(path[..<slash])
        return folder.isEmpty ? "/" : folder
    }

    /// The last component of a path.
    package static func name(of path: String) -> String {
        path.split(separator: "/").last.map(String.init) ?? path
    }

    /// The path with its name's extension replaced (or added when it has none).
    package static func replacingExtension(of path: String, with ext: String) -> String {
        let name = name(of: path)
        guard let dot = name.lastIndex(of: "."), dot != name.startIndex else { return path + "." + ext }
        return String(path.dropLast(name.distance(from: dot, to: name.endIndex))) + "." + ext
    }
}
