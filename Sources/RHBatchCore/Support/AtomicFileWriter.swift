#if canImport(Glibc)
import Glibc
#endif

/// Streams a large file (a 100,000-job report) into a temporary file beside its destination and
/// renames it into place at the end, so memory holds one buffer, not the whole file, and readers
/// see the old file or the new one.
package final class AtomicFileWriter {
    private let path: String
    private let temporary: String
    private var descriptor: Int32
    private var buffer: [UInt8] = []
    private var failure: String?

    /// Starts writing `path`.
    package init(path: String) throws(AtomicFile.Failure) {
        self.path = path
        temporary = FilePath.directory(of: path) + "/." + FilePath.name(of: path) + ".rh-tmp-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
        // A fresh name, never an existing file or a link someone left there.
        descriptor = open(temporary, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0o644)
        guard descriptor >= 0 else {
            throw AtomicFile.Failure(description: "cannot create \(temporary): \(String(cString: strerror(errno)))")
        }
        buffer.reserveCapacity(1 << 20)
    }

    deinit {
        if descriptor >= 0 {
            close(descriptor)
            unlink(temporary)
        }
    }

    /// Appends text.
    package func write(_ text: String) {
        buffer.append(contentsOf: text.utf8)
        if buffer.count >= 1 << 20 { drain() }
    }

    /// Appends bytes.
    package func write(_ bytes: [UInt8]) {
        buffer.append(contentsOf: bytes)
        if buffer.count >= 1 << 20 { drain() }
    }

    private func drain() {
        guard failure == nil, !buffer.isEmpty else {
            buffer.removeAll(keepingCapacity: true)
            return
        }
        buffer.withUnsafeBytes { raw in
            var offset = 0
            while offset < raw.count {
                let written = Glibc.write(descriptor, raw.baseAddress! + offset, raw.count - offset)
                if written < 0 {
                    if errno == EINTR { continue }
                    failure = "writing \(temporary) failed: \(String(cString: strerror(errno)))"
                    return
                }
                offset += written
            }
        }
        buffer.removeAll(keepingCapacity: true)
    }

    /// Finishes the file and renames it over the destination.
    package func commit(durable: Bool = true) throws(AtomicFile.Failure) {
        drain()
        if failure == nil && durable && fsync(descriptor) != 0 {
            failure = "syncing \(temporary) failed: \(String(cString: strerror(errno)))"
        }
        close(descriptor)
        descriptor = -1
        if failure == nil && rename(temporary, path) != 0 {
            failure = "renaming to \(path) failed: \(String(cString: strerror(errno)))"
        }
        if let failure {
            unlink(temporary)
            throw AtomicFile.Failure(description: failure)
        }
        if durable { AtomicFile.syncFolder(FilePath.directory(of: path)) }
    }
}
