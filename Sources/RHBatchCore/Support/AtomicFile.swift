#if canImport(Glibc)
import Glibc
#endif

/// Writes files so that a reader, or a crash, sees the old contents or the new, never a mix.
package enum AtomicFile {
    /// A write that failed.
    package struct Failure: Error, Sendable, CustomStringConvertible {
        package var description: String
    }

    /// Writes `bytes` to a temporary file beside `path`, renames it over `path`, and when
    /// `durable`, syncs the file before the rename and the folder after it.
    package static func write(_ bytes: [UInt8], to path: String, durable: Bool = true) throws(Failure) {
        let folder = FilePath.directory(of: path)
        let temporary = folder + "/." + FilePath.name(of: path) + ".rh-tmp-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
        let descriptor = open(temporary, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
        guard descriptor >= 0 else { throw Failure(description: "cannot create \(temporary): \(String(cString: strerror(errno)))") }
        var failure: String?
        bytes.withUnsafeBytes { raw in
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
        if failure == nil && durable && fsync(descriptor) != 0 { failure = "syncing \(temporary) failed: \(String(cString: strerror(errno)))" }
        close(descriptor)
        if failure == nil && rename(temporary, path) != 0 { failure = "renaming to \(path) failed: \(String(cString: strerror(errno)))" }
        if let failure {
            unlink(temporary)
            throw Failure(description: failure)
        }
        if durable { syncFolder(folder) }
    }

    /// Makes renames in a folder durable.
    package static func syncFolder(_ folder: String) {
        let descriptor = open(folder, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        guard descriptor >= 0 else { return }
        fsync(descriptor)
        close(descriptor)
    }
}
