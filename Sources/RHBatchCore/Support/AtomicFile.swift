/// Writes files so that a reader, or a crash, sees the old contents or the new, never a mix.
package enum AtomicFile {
    /// A write that failed.
    package struct Failure: Error, Sendable, CustomStringConvertible {
        package var description: String
    }

    /// Writes `bytes` to a temporary file beside `path`, renames it over `path`, and when
    /// `durable`, syncs the file before the rename and the folder after it.
    package static func write(_ bytes: [UInt8], to path: String, durable: Bool = true) throws(Failure) {
        let writer = try AtomicFileWriter(path: path)
        writer.write(bytes)
        try writer.commit(durable: durable)
    }
}
