import RunningHubModel
import Crypto

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

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
        var info = stat()
        guard stat(absolutePath, &info) == 0 else {
            let reason = errno == ENOENT || errno == ENOTDIR ? "does not exist" : "cannot be read (\(String(cString: strerror(errno))))"
            return .failure(Problem(message: "image file '\(path)' \(reason)"))
        }
        let type = info.st_mode & S_IFMT
        if type == S_IFDIR {
            return .failure(Problem(message: "'\(path)' is a directory, not an image file"))
        }
        guard type == S_IFREG else {
            return .failure(Problem(message: "'\(path)' is not a regular file"))
        }
        let descriptor = open(absolutePath, O_RDONLY | O_CLOEXEC)
        guard descriptor >= 0 else {
            return .failure(Problem(message: "image file '\(path)' cannot be read (\(String(cString: strerror(errno))))"))
        }
        defer { close(descriptor) }
        var hasher = SHA256()
        var head: [UInt8] = []
        var total = 0
        var buffer = [UInt8](repeating: 0, count: 64 * 1024)
        while true {
            let count = buffer.withUnsafeMutableBytes { Glibc.read(descriptor, $0.baseAddress, $0.count) }
            if count < 0 {
                if errno == EINTR { continue }
                return .failure(Problem(message: "image file '\(path)' cannot be read (\(String(cString: strerror(errno))))"))
            }
            if count == 0 { break }
            if head.count < 16 { head += buffer[0..<min(count, 16 - head.count)] }
            buffer.withUnsafeBytes { hasher.update(bufferPointer: UnsafeRawBufferPointer(rebasing: $0[0..<count])) }
            total += count
        }
        guard total > 0 else {
            return .failure(Problem(message: "image file '\(path)' is empty"))
        }
        guard let format = MediaFormat(magic: head) else {
            return .failure(Problem(message: "'\(path)' is not a PNG, JPEG or WEBP image"))
        }
        let digest = hasher.finalize().hexString
        return .success(LocalImage(path: path, absolutePath: absolutePath, bytes: total, format: format, sha256: digest))
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
