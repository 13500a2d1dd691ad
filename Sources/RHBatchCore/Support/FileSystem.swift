import Crypto

#if canImport(Glibc)
import Glibc
#endif

/// The file-system calls of the run (POSIX, in one place, so a port touches one file).
package enum FileSystem {
    /// Creates a folder and its parents.
    package static func makeDirectory(_ path: String) throws(AtomicFile.Failure) {
        var current = path.hasPrefix("/") ? "" : "."
        for part in path.split(separator: "/") {
            current += "/" + part
            if mkdir(current, 0o755) != 0 && errno != EEXIST {
                throw AtomicFile.Failure(description: "cannot create \(current): \(String(cString: strerror(errno)))")
            }
        }
    }

    /// The names in a folder (without `.` and `..`), or `nil` when it cannot be read.
    package static func names(in folder: String) -> [String]? {
        guard let directory = opendir(folder) else { return nil }
        defer { closedir(directory) }
        var names: [String] = []
        while let entry = readdir(directory) {
            let name = withUnsafeBytes(of: entry.pointee.d_name) { raw in
                String(decoding: raw.prefix { $0 != 0 }, as: UTF8.self)
            }
            if name != "." && name != ".." { names.append(name) }
        }
        return names
    }

    /// Removes the temporary files a killed run may have left for `name` in `folder`
    /// (`.NAME.rh-partial-*`, `.NAME.rh-tmp-*`). Only called under the output lock.
    package static func removeLeftovers(in folder: String, for names: [String]) {
        guard let directory = opendir(folder) else { return }
        defer { closedir(directory) }
        let prefixes = names.flatMap { [".\($0).rh-partial-", ".\($0).rh-tmp-"] }
        var doomed: [String] = []
        while let entry = readdir(directory) {
            let name = withUnsafeBytes(of: entry.pointee.d_name) { raw in
                String(decoding: raw.prefix { $0 != 0 }, as: UTF8.self)
            }
            if name.hasPrefix("."), prefixes.contains(where: { name.hasPrefix($0) }) { doomed.append(name) }
        }
        for name in doomed { unlink(folder + "/" + name) }
    }

    /// Size and modification time (nanoseconds) of a regular file.
    package static func fileInfo(_ path: String) -> (bytes: Int, mtime: Int)? {
        var info = stat()
        guard stat(path, &info) == 0, info.st_mode & S_IFMT == S_IFREG else { return nil }
        return (Int(info.st_size), Int(info.st_mtim.tv_sec) * 1_000_000_000 + Int(info.st_mtim.tv_nsec))
    }

    /// What reading a whole file found.
    package enum ReadResult {
        case success([UInt8])
        case missing
        case failure(String)
    }

    /// Reads a whole file.
    package static func readAll(_ path: String) -> ReadResult {
        let descriptor = open(path, O_RDONLY | O_CLOEXEC)
        if descriptor < 0 {
            return errno == ENOENT ? .missing : .failure("cannot read: \(String(cString: strerror(errno)))")
        }
        defer { close(descriptor) }
        var info = stat()
        fstat(descriptor, &info)
        var bytes = [UInt8](repeating: 0, count: Int(info.st_size))
        var total = 0
        while total < bytes.count {
            let count = bytes.withUnsafeMutableBytes { Glibc.read(descriptor, $0.baseAddress! + total, $0.count - total) }
            if count < 0 {
                if errno == EINTR { continue }
                return .failure("cannot read: \(String(cString: strerror(errno)))")
            }
            if count == 0 { break }
            total += count
        }
        return .success(Array(bytes[0..<total]))
    }

    /// Renames a file, replacing `destination`; false when it failed.
    @discardableResult
    package static func rename(_ source: String, to destination: String) -> Bool {
        Glibc.rename(source, destination) == 0
    }

    /// Removes a file (nothing when it is not there).
    package static func remove(_ path: String) {
        unlink(path)
    }

    /// True when a recorded download is still on disk unchanged (size and time, else its hash).
    package static func isIntact(_ download: JournalEntry.Download, in folder: String) -> Bool {
        let path = folder + "/" + download.path
        guard let info = fileInfo(path), info.bytes == download.bytes else { return false }
        // Same size and modification time as when it was written: unchanged, without reading it.
        if let mtime = download.mtime, mtime == info.mtime { return true }
        return sha256(ofFile: path) == download.sha256
    }

    /// The SHA-256 of a file's bytes, read in 256 KiB pieces; `nil` when it cannot be read.
    package static func sha256(ofFile path: String) -> String? {
        let descriptor = open(path, O_RDONLY | O_CLOEXEC)
        guard descriptor >= 0 else { return nil }
        defer { close(descriptor) }
        var hasher = SHA256()
        var buffer = [UInt8](repeating: 0, count: 256 * 1024)
        while true {
            let count = buffer.withUnsafeMutableBytes { Glibc.read(descriptor, $0.baseAddress, $0.count) }
            if count < 0 { if errno == EINTR { continue } else { return nil } }
            if count == 0 { break }
            buffer.withUnsafeBytes { hasher.update(bufferPointer: UnsafeRawBufferPointer(rebasing: $0[0..<count])) }
        }
        return hasher.finalize().hexString
    }
}
