import CSystemShims
import Dispatch
import Synchronization

#if canImport(Glibc)
import Glibc
#endif

/// `journal.jsonl` in an output folder: read at the start of a run, appended to during it,
/// compacted at its end.
///
/// Appends are group-committed: every caller's record is written and synced before its `append`
/// returns, and records that arrive while a sync is in progress share the next one, so hundreds
/// of tasks in flight cost a few syncs per second, not hundreds. The sync is `syncfs(2)`: it also
/// makes durable every result file and rename written before the record, which is why downloads
/// do not sync each file themselves.
package final class Journal: Sendable {
    /// The journal's path.
    package let path: String
    private let descriptor: Int32
    private let queue = DispatchQueue(label: "rh-batch.journal")
    private let state = Mutex(Pending())

    private struct Pending: ~Copyable {
        var bytes: [UInt8] = []
        var waiters: [CheckedContinuation<Void, any Error>] = []
        var flushing = false
        var failure: JournalError?
        var closed = false
        var jobRecords = 0
    }

    /// How many records about jobs this journal object has written or queued.
    package var jobRecordsAppended: Int {
        state.withLock { $0.jobRecords }
    }

    private static func countsAsJobRecord(_ record: JournalRecord) -> Bool {
        record.event != .run && record.event != .uploaded
    }

    /// Opens (creating if needed) the journal in `folder` for appending.
    package init(folder: String) throws(JournalError) {
        path = folder + "/journal.jsonl"
        // Never through a symbolic link at the last component.
        descriptor = open(path, O_WRONLY | O_CREAT | O_APPEND | O_NOFOLLOW | O_CLOEXEC, 0o644)
        guard descriptor >= 0 else {
            throw JournalError(path: path, line: nil, message: "cannot open for writing: \(String(cString: strerror(errno)))")
        }
    }

    deinit {
        close(descriptor)
    }

    /// Appends records and returns once they are on disk.
    package func append(_ records: [JournalRecord]) async throws {
        var bytes: [UInt8] = []
        for record in records { bytes += record.line.utf8 }
        let jobRecords = records.filter(Self.countsAsJobRecord).count
        try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Void, any Error>) in
            let start = state.withLock { pending -> Bool in
                if let failure = pending.failure {
                    continuation.resume(throwing: failure)
                    return false
                }
                pending.bytes += bytes
                pending.jobRecords += jobRecords
                pending.waiters.append(continuation)
                if pending.flushing { return false }
                pending.flushing = true
                return true
            }
            if start { queue.async { self.flush() } }
        }
    }

    /// Queues records to be written with the next durable append (or ``flushQueued()``) without
    /// waiting for a sync of their own: for records whose loss in a crash costs only a repeated
    /// query or download, never a result or a second bill.
    package func appendLazily(_ records: [JournalRecord]) {
        guard !records.isEmpty else { return }
        var bytes: [UInt8] = []
        for record in records { bytes += record.line.utf8 }
        let jobRecords = records.filter(Self.countsAsJobRecord).count
        state.withLock {
            $0.bytes += bytes
            $0.jobRecords += jobRecords
        }
    }

    /// Queues records and starts a sync now without waiting for it: the window in which a crash
    /// loses them is one sync, and records queued meanwhile share it.
    package func appendSoon(_ records: [JournalRecord]) {
        guard !records.isEmpty else { return }
        var bytes: [UInt8] = []
        for record in records { bytes += record.line.utf8 }
        let jobRecords = records.filter(Self.countsAsJobRecord).count
        let start = state.withLock { pending -> Bool in
            pending.bytes += bytes
            pending.jobRecords += jobRecords
            if pending.flushing || pending.failure != nil { return false }
            pending.flushing = true
            return true
        }
        if start { queue.async { self.flush() } }
    }

    /// Writes and syncs whatever ``appendLazily(_:)`` queued.
    package func flushQueued() async throws {
        let hasQueued = state.withLock { !$0.bytes.isEmpty }
        if hasQueued { try await append([]) }
    }

    /// Returns once everything appended or queued so far is on disk.
    package func sync() async throws {
        let idle = state.withLock { $0.bytes.isEmpty && !$0.flushing && $0.failure == nil }
        if idle { return }
        try await append([])
    }

    /// Appends one record and returns once it is on disk.
    package func append(_ record: JournalRecord) async throws {
        try await append([record])
    }

    /// Writes and syncs everything pending, then whatever arrived meanwhile, until nothing is left.
    ///
    /// Each round first waits a millisecond so that records arriving together (a burst of tasks
    /// finishing, the submits that follow) share one sync; a round with nothing new to write
    /// releases its waiters without syncing again.
    private func flush() {
        var synced = false
        while true {
            usleep(1000)
            let (bytes, waiters) = state.withLock { pending -> ([UInt8], [CheckedContinuation<Void, any Error>]) in
                let taken = (pending.bytes, pending.waiters)
                pending.bytes = []
                pending.waiters = []
                if taken.0.isEmpty && taken.1.isEmpty { pending.flushing = false }
                return taken
            }
            if bytes.isEmpty && waiters.isEmpty { return }
            if bytes.isEmpty && synced {
                for waiter in waiters { waiter.resume() }
                continue
            }
            var failure: JournalError?
            bytes.withUnsafeBytes { raw in
                var offset = 0
                while offset < raw.count {
                    let written = write(descriptor, raw.baseAddress! + offset, raw.count - offset)
                    if written < 0 {
                        if errno == EINTR { continue }
                        failure = JournalError(path: path, line: nil, message: "write failed: \(String(cString: strerror(errno)))")
                        return
                    }
                    offset += written
                }
            }
            if failure == nil && rh_syncfs(descriptor) != 0 {
                failure = JournalError(path: path, line: nil, message: "sync failed: \(String(cString: strerror(errno)))")
            }
            synced = true
            if let failure {
                state.withLock { $0.failure = failure }
                for waiter in waiters { waiter.resume(throwing: failure) }
            } else {
                for waiter in waiters { waiter.resume() }
            }
        }
    }

    // MARK: Reading

    /// What reading a journal found.
    package struct Contents: Sendable {
        /// The folded state.
        package var state: JournalState
        /// Problems that did not stop the read (a torn last line).
        package var warnings: [String]
    }

    /// Reads and folds `folder/journal.jsonl`; an absent journal is an empty state.
    ///
    /// A last line without its newline (a crash mid-write) is ignored with a warning; any other
    /// line that is not a journal record is an error naming the line.
    package static func read(folder: String) throws(JournalError) -> Contents {
        let path = folder + "/journal.jsonl"
        let bytes: [UInt8]
        switch readAll(path) {
        case .missing: return Contents(state: JournalState(), warnings: [])
        case .failure(let message): throw JournalError(path: path, line: nil, message: message)
        case .success(let contents): bytes = contents
        }
        var state = JournalState(capacity: bytes.count / 400)
        var warnings: [String] = []
        var failure: JournalError?
        bytes.withUnsafeBufferPointer { buffer in
            var lineNumber = 0
            var start = 0
            while start < buffer.count {
                lineNumber += 1
                var end = start
                while end < buffer.count && buffer[end] != UInt8(ascii: "\n") { end += 1 }
                let complete = end < buffer.count
                let line = UnsafeBufferPointer(rebasing: buffer[start..<end])
                start = end + 1
                if line.allSatisfy({ $0 == 0x20 || $0 == 0x0D }) { continue }
                if let record = JournalRecord.parse(line) {
                    state.apply(record)
                } else if !complete {
                    warnings.append("\(path):\(lineNumber): the last line is incomplete (a run was stopped while writing it); ignoring it")
                } else {
                    failure = JournalError(path: path, line: lineNumber, message: "this line is not a journal record; the journal is damaged (move it away to start the folder afresh)")
                    return
                }
            }
        }
        if let failure { throw failure }
        return Contents(state: state, warnings: warnings)
    }

    /// Replaces the journal with the compacted form of `state`, atomically.
    package static func compact(folder: String, state: JournalState, at time: String) throws(JournalError) {
        let path = folder + "/journal.jsonl"
        var text = ""
        for record in state.compacted(at: time) { text += record.line }
        do {
            try AtomicFile.write(Array(text.utf8), to: path)
        } catch {
            throw JournalError(path: path, line: nil, message: "compacting failed: \(error)")
        }
    }

    enum ReadResult {
        case success([UInt8])
        case missing
        case failure(String)
    }

    static func readAll(_ path: String) -> ReadResult {
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
}

/// A journal that cannot be read or written.
package struct JournalError: Error, Sendable, Hashable, CustomStringConvertible {
    /// The journal's path.
    package var path: String
    /// The 1-based line, for a damaged line.
    package var line: Int?
    /// What is wrong.
    package var message: String

    package var description: String {
        line.map { "\(path):\($0): error: \(message)" } ?? "\(path): error: \(message)"
    }
}
