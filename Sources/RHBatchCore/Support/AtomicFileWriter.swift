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
        temporary =
            FilePath.directory(of: path) + "/." + FilePath.name(of: path)
            + ".rh-tmp-\(FileSystem.processID)-\(UInt32.random(in: 0...UInt32.max))"
        // A fresh name, never an existing file or a link someone left there.
        descriptor = FileSystem.createExclusive(temporary)
        guard descriptor >= 0 else {
            throw AtomicFile.Failure(description: "cannot create \(temporary): \(FileSystem.lastError)")
        }
        buffer.reserveCapacity(1 << 20)
    }

    deinit {
        if descriptor >= 0 {
            FileSystem.closeFile(descriptor)
            FileSystem.remove(temporary)
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
        if let problem = buffer.withUnsafeBytes({ FileSystem.writeAll(descriptor, $0) }) {
            failure = "writing \(temporary) failed: \(problem)"
        }
        buffer.removeAll(keepingCapacity: true)
    }

    /// Finishes the file and renames it over the destination.
    package func commit(durable: Bool = true) throws(AtomicFile.Failure) {
        drain()
        if failure == nil && durable && !FileSystem.sync(descriptor) {
            failure = "syncing \(temporary) failed: \(FileSystem.lastError)"
        }
        FileSystem.closeFile(descriptor)
        descriptor = -1
        if failure == nil && !FileSystem.move(temporary, to: path) {
            failure = "renaming to \(path) failed: \(FileSystem.lastError)"
        }
        if let failure {
            FileSystem.remove(temporary)
            throw AtomicFile.Failure(description: failure)
        }
        if durable { FileSystem.syncFolder(FilePath.directory(of: path)) }
    }
}
