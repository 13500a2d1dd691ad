import Dispatch
import NIOConcurrencyHelpers

/// `journal.jsonl` in an output folder: read at the start of a run, appended to during it,
/// compacted at its end.
///
/// Appends are group-committed: every caller's record is written and synced before its `append`
/// returns, and records that arrive while a sync is in progress share the next one, so hundreds
/// of tasks in flight cost a few syncs per second, not hundreds. The sync is `syncfs(2)`: it also
/// makes durable every result file and rename written before the record, which is why downloads
/// do not sync each file themselves.
///
/// The writer is a task of the run (``serve(_:)``): it lives exactly as long as the work that
/// appends, waits for requests without polling, and hands each `write`+`syncfs` to a thread of
/// its own, because those calls block and must not hold one of the few threads Swift's
/// concurrency runs tasks on.
package final class Journal: Sendable {
    /// The journal's path.
    package let path: String
    /// The file appended to; replaced once when the journal is compacted while open.
    private let descriptor: NIOLockedValueBox<Int32>
    /// Why compacting while open did not happen, if it did not.
    private let compactionProblem = NIOLockedValueBox<String?>(nil)
    /// Where the blocking `write` and `syncfs` calls run (one at a time).
    private let blockingIO = DispatchQueue(label: "rh-batch.journal.io")
    private let state = NIOLockedValueBox(Pending())

    private struct Pending {
        /// Bytes queued and not written yet.
        var bytes: [UInt8] = []
        /// Bytes ever queued, and bytes written and synced: a ticket is a `queued` count.
        var queued: UInt64 = 0
        var durable: UInt64 = 0
        var waiters: [(ticket: UInt64, continuation: CheckedContinuation<Void, any Error>)] = []
        /// Wakes the writer serving this journal (a sync was asked for); `nil` when none is.
        var wake: AsyncStream<Void>.Continuation?
        var failure: JournalError?
        var jobRecords = 0
    }

    /// How many records about jobs this journal object has written or queued.
    package var jobRecordsAppended: Int {
        state.withLockedValue { $0.jobRecords }
    }

    private static func countsAsJobRecord(_ record: JournalRecord) -> Bool {
        record.event != .run && record.event != .uploaded
    }

    /// Opens (creating if needed) the journal in `folder` for appending.
    ///
    /// With `compacting`, the journal is first rewritten in the compact form of that state (what
    /// reading it gave), on the thread that writes it: the run goes on meanwhile, and whatever it
    /// appends is written after, to the compacted file. (A million jobs' loose journal takes a
    /// good part of a resume to rewrite.)
    package init(folder: String, compacting state: JournalState? = nil, at time: String = "") throws(JournalError) {
        path = folder + "/journal.jsonl"
        // Never through a symbolic link at the last component.
        let opened = FileSystem.openForAppending(path)
        guard opened >= 0 else {
            throw JournalError(path: path, line: nil, message: "cannot open for writing: \(FileSystem.lastError)")
        }
        descriptor = NIOLockedValueBox(opened)
        if let state {
            blockingIO.async { self.compactWhileOpen(state, folder: folder, at: time) }
        }
    }

    deinit {
        FileSystem.closeFile(descriptor.withLockedValue { $0 })
    }

    /// Rewrites the journal compactly and appends to the new file from then on (on the I/O queue,
    /// before any write queued after it). When the new file cannot be opened, the journal fails
    /// like any write that fails: the run stops sending work.
    private func compactWhileOpen(_ state: JournalState, folder: String, at time: String) {
        do {
            try Self.compact(folder: folder, state: state, at: time)
        } catch {
            compactionProblem.withLockedValue { $0 = "\(error) (the run went on with the journal as it was)" }
            return
        }
        let fresh = FileSystem.openForAppending(path)
        guard fresh >= 0 else {
            let failure = JournalError(
                path: path, line: nil, message: "cannot open the compacted journal for writing: \(FileSystem.lastError)"
            )
            settle(written: 0, failure: failure)
            return
        }
        let old = descriptor.withLockedValue { current in
            defer { current = fresh }
            return current
        }
        FileSystem.closeFile(old)
    }

    /// Returns once a compaction begun when the journal was opened is over; what went wrong
    /// with it, if anything (the journal is then left as it was).
    package func waitUntilCompacted() async -> String? {
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            blockingIO.async { continuation.resume() }
        }
        return compactionProblem.withLockedValue { $0 }
    }

    /// Runs `body` with this journal's writer beside it as a child task; when `body` returns,
    /// whatever it queued is written and synced, and the writer ends.
    package func serve<T>(_ body: () async -> T) async -> T {
        let (wakeups, wake) = AsyncStream.makeStream(of: Void.self, bufferingPolicy: .bufferingNewest(1))
        state.withLockedValue { $0.wake = wake }
        return await withTaskGroup(of: Void.self) { group in
            group.addTask { await self.writeLoop(wakeups) }
            let result = await body()
            try? await flushQueued()
            state.withLockedValue { $0.wake = nil }
            wake.finish()
            await group.waitForAll()
            return result
        }
    }

    /// A position in the journal: everything queued up to it.
    package struct Ticket: Sendable, Hashable {
        fileprivate var position: UInt64
    }

    /// Queues records after every record queued before (in call order, whatever task calls),
    /// and asks for a sync when `sync` is true; returns the ticket ``waitUntilDurable(_:)`` takes.
    ///
    /// Without a sync, the records are written with the next sync anyone asks for: for records
    /// whose loss in a crash costs only a repeated query or download, never a result or a bill.
    @discardableResult
    package func enqueue(_ records: [JournalRecord], sync: Bool) -> Ticket {
        var bytes: [UInt8] = []
        for record in records { bytes += record.line.utf8 }
        let jobRecords = records.reduce(0) { $0 + (Self.countsAsJobRecord($1) ? 1 : 0) }
        let (ticket, wake) = state.withLockedValue { pending -> (Ticket, AsyncStream<Void>.Continuation?) in
            pending.bytes += bytes
            pending.queued += UInt64(bytes.count)
            pending.jobRecords += jobRecords
            return (Ticket(position: pending.queued), pending.wake)
        }
        if sync { wake?.yield() }
        return ticket
    }

    /// Returns once everything queued up to `ticket` is written and synced; throws when the
    /// journal cannot be written.
    package func waitUntilDurable(_ ticket: Ticket) async throws {
        guard let wake = state.withLockedValue({ $0.wake }) else {
            // No writer task (a caller outside a run): write on this thread.
            try writeQueued()
            return
        }
        try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Void, any Error>) in
            let waiting = state.withLockedValue { pending -> Bool in
                if let failure = pending.failure {
                    continuation.resume(throwing: failure)
                    return false
                }
                if pending.durable >= ticket.position {
                    continuation.resume()
                    return false
                }
                pending.waiters.append((ticket.position, continuation))
                return true
            }
            if waiting { wake.yield() }
        }
    }

    /// Appends records and returns once they are on disk.
    package func append(_ records: [JournalRecord]) async throws {
        try await waitUntilDurable(enqueue(records, sync: true))
    }

    /// Queues records without a sync of their own (see ``enqueue(_:sync:)``).
    package func appendLazily(_ records: [JournalRecord]) {
        guard !records.isEmpty else { return }
        enqueue(records, sync: false)
    }

    /// Writes and syncs whatever was queued.
    package func flushQueued() async throws {
        try await waitUntilDurable(enqueue([], sync: true))
    }

    /// Appends one record and returns once it is on disk.
    package func append(_ record: JournalRecord) async throws {
        try await append([record])
    }

    /// The writer: on each request, writes and syncs everything queued, then whatever arrived
    /// meanwhile, until nothing is left; each round first waits a millisecond so that records
    /// arriving together (a burst of tasks finishing, the submits that follow) share one sync.
    private func writeLoop(_ wakeups: AsyncStream<Void>) async {
        for await _ in wakeups {
            while true {
                try? await Task.sleep(for: .milliseconds(1))
                let bytes = state.withLockedValue { pending -> [UInt8] in
                    defer { pending.bytes = [] }
                    return pending.failure == nil ? pending.bytes : []
                }
                if bytes.isEmpty { break }
                let failure = await withCheckedContinuation {
                    (continuation: CheckedContinuation<JournalError?, Never>) in
                    blockingIO.async { continuation.resume(returning: self.writeAndSync(bytes)) }
                }
                settle(written: bytes.count, failure: failure)
            }
        }
    }

    /// Writes and syncs what is queued on the calling thread (no writer task).
    private func writeQueued() throws {
        // On the I/O queue, so two callers write in the order they took their bytes.
        let failure = blockingIO.sync { () -> JournalError? in
            let (bytes, failed) = state.withLockedValue { pending -> ([UInt8], JournalError?) in
                defer { pending.bytes = [] }
                return (pending.bytes, pending.failure)
            }
            if let failed { return failed }
            let failure = bytes.isEmpty ? nil : writeAndSync(bytes)
            settle(written: bytes.count, failure: failure)
            return failure
        }
        if let failure { throw failure }
    }

    private func writeAndSync(_ bytes: [UInt8]) -> JournalError? {
        let descriptor = descriptor.withLockedValue { $0 }
        if let problem = bytes.withUnsafeBytes({ FileSystem.writeAll(descriptor, $0) }) {
            return JournalError(path: path, line: nil, message: "write failed: \(problem)")
        }
        if !FileSystem.syncFileSystem(descriptor) {
            return JournalError(path: path, line: nil, message: "sync failed: \(FileSystem.lastError)")
        }
        return nil
    }

    /// Records what a write came to and releases the waiters it satisfied (all, on a failure).
    private func settle(written count: Int, failure: JournalError?) {
        let released = state.withLockedValue {
            pending -> [(ticket: UInt64, continuation: CheckedContinuation<Void, any Error>)] in
            if let failure {
                pending.failure = failure
                pending.bytes = []
                defer { pending.waiters = [] }
                return pending.waiters
            }
            pending.durable += UInt64(count)
            let durable = pending.durable
            let ready = pending.waiters.filter { $0.ticket <= durable }
            pending.waiters.removeAll { $0.ticket <= durable }
            return ready
        }
        for waiter in released {
            if let failure { waiter.continuation.resume(throwing: failure) } else { waiter.continuation.resume() }
        }
    }

    // MARK: Reading

    /// What reading a journal found.
    package struct Contents: Sendable {
        /// The folded state.
        package var state: JournalState
        /// Problems that did not stop the read (a torn last line).
        package var warnings: [String]
        /// Records read.
        package var records = 0

        /// Whether rewriting the journal in its compact form would at least halve it (a run's
        /// records of a job fold into one `state` line and its `downloaded` lines).
        package var isLoose: Bool {
            records > 2 * state.compactedRecordCount + 2
        }
    }

    /// Reads and folds `folder/journal.jsonl`; an absent journal is an empty state.
    ///
    /// A last line without its newline (a crash mid-write) is ignored with a warning; any other
    /// line that is not a journal record is an error naming the line.
    package static func read(folder: String) throws(JournalError) -> Contents {
        let path = folder + "/journal.jsonl"
        let size: Int
        switch FileSystem.status(path) {
        case .regular(let bytes, _): size = bytes
        case .failure(let message): throw JournalError(path: path, line: nil, message: "cannot read: \(message)")
        default: return Contents(state: JournalState(), warnings: [])
        }
        // Read in pieces, a line at a time: the journal of a million jobs is most of a gigabyte,
        // and only the folded state needs to stay.
        return try fold(path: path, size: size) { body in FileSystem.readPieces(path, pieceSize: 1 << 20, body) }
    }

    /// Folds a journal's lines from `pieces` (which calls its argument with each piece of the file
    /// in order until it returns false): ``read(folder:)`` on the file, and the journal fuzz target
    /// on pieces of any size in memory.
    package static func fold(
        path: String, size: Int,
        pieces: ((UnsafeRawBufferPointer) -> Bool) -> FileSystem.ReadResult?
    ) throws(JournalError) -> Contents {
        // About 850 bytes a job once compacted, more before: room for that many, grown if need be.
        var state = JournalState(capacity: size / 850)
        var warnings: [String] = []
        var records = 0
        var failure: JournalError?
        var lineNumber = 0
        var carry: [UInt8] = []
        func take(_ line: UnsafeBufferPointer<UInt8>, complete: Bool) -> Bool {
            lineNumber += 1
            if line.allSatisfy({ $0 == 0x20 || $0 == 0x0D }) { return true }
            if state.apply(line: line) {
                records += 1
            } else if !complete {
                warnings.append(
                    "\(path):\(lineNumber): the last line is incomplete (a run was stopped while writing it); ignoring it"
                )
            } else {
                failure = JournalError(
                    path: path, line: lineNumber,
                    message:
                        "this line is not a journal record; the journal is damaged (move it away to start the folder afresh)"
                )
                return false
            }
            return true
        }
        let problem = pieces { piece in
            let bytes = piece.bindMemory(to: UInt8.self)
            var start = 0
            while let newline = FileSystem.firstIndex(of: 0x0A, in: bytes, from: start) {
                let more: Bool
                if carry.isEmpty {
                    more = take(UnsafeBufferPointer(rebasing: bytes[start..<newline]), complete: true)
                } else {
                    carry.append(contentsOf: bytes[start..<newline])
                    more = carry.withUnsafeBufferPointer { take($0, complete: true) }
                    carry.removeAll(keepingCapacity: true)
                }
                if !more { return false }
                start = newline + 1
            }
            carry.append(contentsOf: bytes[start...])
            return true
        }
        if let failure { throw failure }
        switch problem {
        case .failure(let message): throw JournalError(path: path, line: nil, message: "cannot read: \(message)")
        case .missing: return Contents(state: JournalState(), warnings: [])
        default: break
        }
        if !carry.isEmpty {
            _ = carry.withUnsafeBufferPointer { take($0, complete: false) }
            if let failure { throw failure }
        }
        return Contents(state: state, warnings: warnings, records: records)
    }

    /// Replaces the journal with the compacted form of `state`, atomically.
    package static func compact(folder: String, state: JournalState, at time: String) throws(JournalError) {
        let path = folder + "/journal.jsonl"
        do {
            // Streamed: the writer flushes every megabyte.
            let writer = try AtomicFileWriter(path: path)
            state.writeCompacted(at: time) { bytes in
                writer.write(bytes)
                bytes.removeAll(keepingCapacity: true)
            }
            try writer.commit()
        } catch {
            throw JournalError(path: path, line: nil, message: "compacting failed: \(error)")
        }
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
