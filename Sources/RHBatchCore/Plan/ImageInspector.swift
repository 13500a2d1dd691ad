import Crypto
import RunningHubModel

/// Checks local image files and hashes them, once per path.
///
/// This is the planner's only disk access; it reads each file once, in 64 KiB pieces.
package struct ImageInspector: Sendable {
    /// Why a local image cannot be used.
    package struct Problem: Error, Sendable, Hashable {
        /// One sentence naming the path.
        package var message: String
    }

    private var cache: [String: Result<LocalImage, Problem>] = [:]

    /// Makes an inspector with an empty cache.
    package init() {}

    /// Inspects the file at `absolutePath`, reported as `path`.
    package mutating func inspect(path: String, absolutePath: String) -> Result<LocalImage, Problem> {
        if let cached = cache[absolutePath] {
            return cached.map { image in
                var image = image
                image.path = path
                return image
            }
        }
        let result = Self.load(path: path, absolutePath: absolutePath)
        cache[absolutePath] = result
        return result
    }

    private static func load(path: String, absolutePath: String) -> Result<LocalImage, Problem> {
        switch FileSystem.status(absolutePath) {
        case .missing:
            return .failure(Problem(message: "image file '\(path)' does not exist"))
        case .failure(let reason):
            return .failure(Problem(message: "image file '\(path)' cannot be read (\(reason))"))
        case .directory:
            return .failure(Problem(message: "'\(path)' is a directory, not an image file"))
        case .other:
            return .failure(Problem(message: "'\(path)' is not a regular file"))
        case .regular:
            break
        }
        var hasher = SHA256()
        var head: [UInt8] = []
        var total = 0
        let problem = FileSystem.readPieces(absolutePath, pieceSize: 64 * 1024) { piece in
            if head.count < 16 { head += piece.prefix(16 - head.count) }
            hasher.update(bufferPointer: piece)
            total += piece.count
            return true
        }
        switch problem {
        case .failure(let reason): return .failure(Problem(message: "image file '\(path)' cannot be read (\(reason))"))
        case .missing: return .failure(Problem(message: "image file '\(path)' does not exist"))
        default: break
        }
        guard total > 0 else {
            return .failure(Problem(message: "image file '\(path)' is empty"))
        }
        guard let format = MediaFormat(magic: head) else {
            return .failure(Problem(message: "'\(path)' is not a PNG, JPEG or WEBP image"))
        }
        let digest = hasher.finalize().hexString
        return .success(
            LocalImage(path: path, absolutePath: absolutePath, bytes: total, format: format, sha256: digest))
    }
}

extension Sequence<UInt8> {
    /// Lowercase hexadecimal.
    package var hexString: String {
        let digits: StaticString = "0123456789abcdef"
        var bytes: [UInt8] = []
        bytes.reserveCapacity(underestimatedCount * 2)
        digits.withUTF8Buffer { table in
            for byte in self {
                bytes.append(table[Int(byte >> 4)])
                bytes.append(table[Int(byte & 0x0F)])
            }
        }
        return String(decoding: bytes, as: UTF8.self)
    }
}
