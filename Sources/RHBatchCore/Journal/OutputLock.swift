/// An exclusive `flock` on `<output>/.rh-batch.lock`, so two runners never write one folder.
///
/// The lock is the kernel's: it goes away with the process, however the process ends. The file
/// holds the holder's pid while it runs and is emptied when a run ends of itself
/// (``markEnded()``), so the next holder can tell that the last run was killed.
package final class OutputLock: Sendable {
    private let descriptor: Int32
    /// The last run to hold the lock ended without saying so: it was killed (or crashed), and may
    /// have left temporary files anywhere it was writing.
    package let lastRunWasCut: Bool

    /// Takes the lock, or throws naming the process that holds it.
    package init(folder: String) throws(LockError) {
        let path = folder + "/.rh-batch.lock"
        // Never through a symbolic link at the last component.
        let descriptor = FileSystem.openForUpdate(path)
        guard descriptor >= 0 else {
            throw LockError(message: "cannot open \(path): \(FileSystem.lastError)")
        }
        if !FileSystem.tryLock(descriptor) {
            let holder = FileSystem.readStart(descriptor, count: 31)
            FileSystem.closeFile(descriptor)
            let pid = holder.isEmpty ? "?" : String(decoding: holder, as: UTF8.self).trimmed
            throw LockError(
                message:
                    "another rh-batch run (pid \(pid)) is writing \(folder); wait for it to finish or stop it first")
        }
        lastRunWasCut = !FileSystem.readStart(descriptor, count: 1).isEmpty
        FileSystem.replaceContents(descriptor, Array("\(FileSystem.processID)\n".utf8))
        self.descriptor = descriptor
    }

    /// Says the run ended of itself (its output written): the file is emptied, still locked.
    package func markEnded() {
        FileSystem.replaceContents(descriptor, [])
    }

    deinit {
        FileSystem.unlock(descriptor)
        FileSystem.closeFile(descriptor)
    }
}

/// The output folder is locked by another run.
package struct LockError: Error, Sendable, CustomStringConvertible {
    /// What to tell the user.
    package var message: String

    package var description: String { message }
}
