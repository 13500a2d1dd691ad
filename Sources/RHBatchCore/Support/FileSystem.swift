import CSystemShims
import Crypto

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// Every file-system call of rh-batch's core, in one place: the platform's C library is imported
/// here and nowhere else in `RHBatchCore`, so a port (macOS) touches this file. Descriptors are
/// plain `Int32`s owned by the types that open them (``Journal``, ``AtomicFileWriter``,
/// ``OutputLock``).
package enum FileSystem {
    /// The text of the last error (`errno`).
    package static var lastError: String {
        String(cString: strerror(errno))
    }

    /// Whether the last error was "no such file".
    static var lastErrorIsMissing: Bool {
        errno == ENOENT || errno == ENOTDIR
    }

    // MARK: Paths

    /// What is at a path.
    package enum Status: Sendable, Hashable {
        case regular(bytes: Int, mtime: Int)
        case directory
        case other
        case missing
        case failure(String)
    }

    /// What is at a path; `followLinks: false` looks at a link itself.
    package static func status(_ path: String, followLinks: Bool = true) -> Status {
        var info = stat()
        guard (followLinks ? stat(path, &info) : lstat(path, &info)) == 0 else {
            return lastErrorIsMissing ? .missing : .failure(lastError)
        }
        switch info.st_mode & S_IFMT {
        case S_IFREG: return .regular(bytes: Int(info.st_size), mtime: mtime(info))
        case S_IFDIR: return .directory
        default: return .other
        }
    }

    private static func mtime(_ info: stat) -> Int {
        #if canImport(Darwin)
            Int(info.st_mtimespec.tv_sec) * 1_000_000_000 + Int(info.st_mtimespec.tv_nsec)
        #else
            Int(info.st_mtim.tv_sec) * 1_000_000_000 + Int(info.st_mtim.tv_nsec)
        #endif
    }

    /// The regular files a glob pattern matches (absolute or as given), folders left out.
    package static func matchingFiles(_ pattern: String) -> [String] {
        var result = glob_t()
        defer { globfree(&result) }
        guard glob(pattern, GLOB_MARK, nil, &result) == 0 else { return [] }
        var paths: [String] = []
        for index in 0..<Int(result.gl_pathc) {
            guard let pointer = result.gl_pathv[index] else { continue }
            let path = String(cString: pointer)
            if !path.hasSuffix("/") { paths.append(path) }
        }
        return paths
    }

    /// Hard-links `source` (following a link) as `destination`; false when the file system
    /// refuses.
    package static func hardLink(_ source: String, as destination: String) -> Bool {
        linkat(AT_FDCWD, source, AT_FDCWD, destination, AT_SYMLINK_FOLLOW) == 0
    }

    /// This process's id.
    package static var processID: Int32 { getpid() }

    // MARK: Descriptors

    /// Opens a file that must not exist yet (never through a link): a temporary file.
    package static func createExclusive(_ path: String) -> Int32 {
        open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0o644)
    }

    /// Opens (creating) a file for appending, never through a link at the last component.
    package static func openForAppending(_ path: String) -> Int32 {
        open(path, O_WRONLY | O_CREAT | O_APPEND | O_NOFOLLOW | O_CLOEXEC, 0o644)
    }

    /// Opens (creating) a file for reading and writing, never through a link.
    package static func openForUpdate(_ path: String) -> Int32 {
        open(path, O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0o644)
    }

    /// Closes a descriptor.
    package static func closeFile(_ descriptor: Int32) {
        _ = close(descriptor)
    }

    /// Writes all the bytes; the error's text when it failed.
    package static func writeAll(_ descriptor: Int32, _ raw: UnsafeRawBufferPointer) -> String? {
        var offset = 0
        while offset < raw.count {
            let written = write(descriptor, raw.baseAddress! + offset, raw.count - offset)
            if written < 0 {
                if errno == EINTR { continue }
                return lastError
            }
            offset += written
        }
        return nil
    }

    /// Syncs one file; false when it failed.
    package static func sync(_ descriptor: Int32) -> Bool {
        fsync(descriptor) == 0
    }

    /// Syncs the whole file system the descriptor is on (every file and rename written before):
    /// one call instead of one per result file.
    package static func syncFileSystem(_ descriptor: Int32) -> Bool {
        rh_syncfs(descriptor) == 0
    }

    /// Syncs a folder, so a rename in it survives a crash.
    package static func syncFolder(_ folder: String) {
        let descriptor = open(folder, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        guard descriptor >= 0 else { return }
        fsync(descriptor)
        close(descriptor)
    }

    /// Takes an exclusive lock without waiting; false when another process holds it.
    package static func tryLock(_ descriptor: Int32) -> Bool {
        flock(descriptor, LOCK_EX | LOCK_NB) == 0
    }

    /// Releases a lock.
    package static func unlock(_ descriptor: Int32) {
        flock(descriptor, LOCK_UN)
    }

    /// Up to `count` bytes from the start of a file.
    package static func readStart(_ descriptor: Int32, count: Int) -> [UInt8] {
        var bytes = [UInt8](repeating: 0, count: count)
        let read = bytes.withUnsafeMutableBytes { pread(descriptor, $0.baseAddress, count, 0) }
        return read > 0 ? Array(bytes[0..<read]) : []
    }

    /// Replaces a file's contents.
    package static func replaceContents(_ descriptor: Int32, _ bytes: [UInt8]) {
        ftruncate(descriptor, 0)
        _ = bytes.withUnsafeBytes { pwrite(descriptor, $0.baseAddress, $0.count, 0) }
    }

    // MARK: Folders and files
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
        let prefixes = names.flatMap { [".\($0).rh-partial-", ".\($0).rh-tmp-"] }
        removeLeftovers(in: folder) { name in prefixes.contains { name.hasPrefix($0) } }
    }

    /// Removes every temporary file a killed run may have left in `folder`, of any name but
    /// `keeping` (`.NAME.rh-partial-*`, `.NAME.rh-tmp-*`). Only called under the output lock.
    package static func removeLeftovers(in folder: String, keeping: Set<String>) {
        removeLeftovers(in: folder) { name in
            for marker in [".rh-partial-", ".rh-tmp-"] {
                guard let range = name.firstRange(of: marker) else { continue }
                let base = name[name.index(after: name.startIndex)..<range.lowerBound]
                return !base.isEmpty && !keeping.contains(String(base))
            }
            return false
        }
    }

    /// Removes the hidden files of `folder` that `doomed` picks.
    private static func removeLeftovers(in folder: String, where doomed: (String) -> Bool) {
        guard let directory = opendir(folder) else { return }
        defer { closedir(directory) }
        var names: [String] = []
        while let entry = readdir(directory) {
            guard entry.pointee.d_name.0 == 0x2E else { continue } // "."
            let name = withUnsafeBytes(of: entry.pointee.d_name) { raw in
                String(decoding: raw.prefix { $0 != 0 }, as: UTF8.self)
            }
            if doomed(name) { names.append(name) }
        }
        for name in names { unlink(folder + "/" + name) }
    }

    /// Size and modification time (nanoseconds) of a regular file.
    package static func fileInfo(_ path: String) -> (bytes: Int, mtime: Int)? {
        guard case .regular(let bytes, let mtime) = status(path) else { return nil }
        return (bytes, mtime)
    }

    /// Where `byte` first is in `bytes` at or after `start`: the C library's search, for the lines
    /// of a journal of most of a gigabyte.
    package static func firstIndex(of byte: UInt8, in bytes: UnsafeBufferPointer<UInt8>, from start: Int) -> Int? {
        guard start < bytes.count, let base = bytes.baseAddress,
            let found = memchr(base + start, Int32(byte), bytes.count - start)
        else { return nil }
        return base.distance(to: found.assumingMemoryBound(to: UInt8.self))
    }

    /// What reading a whole file found.
    package enum ReadResult: Sendable, Hashable {
        case success([UInt8])
        case missing
        case failure(String)
    }

    /// Reads a file piece by piece: the one read loop. `body` sees each piece and returns false
    /// to stop early. `nil` when it read to the end (or was stopped), else what went wrong (the
    /// system's words, for the caller to put in context).
    package static func readPieces(
        _ path: String, pieceSize: Int = 256 * 1024, _ body: (UnsafeRawBufferPointer) -> Bool
    ) -> ReadResult? {
        let descriptor = open(path, O_RDONLY | O_CLOEXEC)
        if descriptor < 0 {
            return lastErrorIsMissing ? .missing : .failure(lastError)
        }
        defer { close(descriptor) }
        var buffer = [UInt8](repeating: 0, count: pieceSize)
        while true {
            let count = buffer.withUnsafeMutableBytes { read(descriptor, $0.baseAddress, $0.count) }
            if count < 0 {
                if errno == EINTR { continue }
                return .failure(lastError)
            }
            if count == 0 { return nil }
            let more = buffer.withUnsafeBytes { body(UnsafeRawBufferPointer(rebasing: $0[0..<count])) }
            if !more { return nil }
        }
    }

    /// Reads a whole file.
    package static func readAll(_ path: String) -> ReadResult {
        var bytes: [UInt8] = []
        if case .regular(let size, _) = status(path) { bytes.reserveCapacity(size) }
        switch readPieces(
            path,
            { piece in
                bytes.append(contentsOf: piece)
                return true
            })
        {
        case .failure(let reason): return .failure("cannot read: \(reason)")
        case .missing: return .missing
        default: break
        }
        return .success(bytes)
    }

    /// Renames a file, replacing `destination`; false when it failed.
    @discardableResult
    package static func move(_ source: String, to destination: String) -> Bool {
        rename(source, destination) == 0
    }

    /// Removes a file (nothing when it is not there).
    package static func remove(_ path: String) {
        unlink(path)
    }

    /// Creates one folder (its parent must exist); an existing folder is fine.
    package static func makeFolder(_ path: String) {
        _ = mkdir(path, 0o755)
    }

    /// True when a recorded download is still on disk unchanged (size and time, else its hash).
    package static func isIntact(_ download: JournalEntry.Download, in folder: String) -> Bool {
        let path = folder + "/" + download.path
        guard let info = fileInfo(path), info.bytes == download.bytes else { return false }
        // Same size and modification time as when it was written: unchanged, without reading it.
        if let mtime = download.mtime, mtime == info.mtime { return true }
        return sha256(ofFile: path).map(HexDigest.init) == download.sha256
    }

    /// The SHA-256 of a file's bytes; `nil` when it cannot be read.
    package static func sha256(ofFile path: String) -> String? {
        var hasher = SHA256()
        guard
            readPieces(
                path,
                { piece in
                    hasher.update(bufferPointer: piece)
                    return true
                }) == nil
        else { return nil }
        return hasher.finalize().hexString
    }
}
