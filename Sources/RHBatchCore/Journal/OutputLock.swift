#if canImport(Glibc)
import Glibc
#endif

/// An exclusive `flock` on `<output>/.rh-batch.lock`, so two runners never write one folder.
///
/// The lock is the kernel's: it goes away with the process, however the process ends.
package final class OutputLock: Sendable {
    private let descriptor: Int32

    /// Takes the lock, or throws naming the process that holds it.
    package init(folder: String) throws(LockError) {
        let path = folder + "/.rh-batch.lock"
        // Never through a symbolic link at the last component.
        let descriptor = open(path, O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0o644)
        guard descriptor >= 0 else {
            throw LockError(message: "cannot open \(path): \(String(cString: strerror(errno)))")
        }
        if flock(descriptor, LOCK_EX | LOCK_NB) != 0 {
            var holder = [UInt8](repeating: 0, count: 32)
            let count = read(descriptor, &holder, 31)
            close(descriptor)
            let pid = count > 0 ? String(decoding: holder[0..<count], as: UTF8.self).trimmed : "?"
            throw LockError(message: "another rh-batch run (pid \(pid)) is writing \(folder); wait for it to finish or stop it first")
        }
        ftruncate(descriptor, 0)
        let pid = Array("\(getpid())\n".utf8)
        _ = pid.withUnsafeBytes { pwrite(descriptor, $0.baseAddress, $0.count, 0) }
        self.descriptor = descriptor
    }

    deinit {
        flock(descriptor, LOCK_UN)
        close(descriptor)
    }
}

/// The output folder is locked by another run.
package struct LockError: Error, Sendable, CustomStringConvertible {
    /// What to tell the user.
    package var message: String

    package var description: String { message }
}
