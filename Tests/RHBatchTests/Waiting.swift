import Foundation
import Glibc
import NIOConcurrencyHelpers
import Testing

/// Waits for something another process brings about in a folder: a file appears, a line is
/// added to the journal.
///
/// Event-driven: the folder tree is watched with inotify and the condition is checked again after
/// every change in it, never on a timer. The deadline is generous and only turns a hang into a
/// failure, so how fast the machine is never decides a test's outcome.
///
/// `then` runs on the waiting thread the moment the condition holds, before the test resumes:
/// an action that must come at that moment (Ctrl-C) does not wait for a free task thread.
func waitUntil(
    _ what: @autoclosure () -> String,
    in folder: String,
    timeout: Duration = .seconds(90),
    then action: (@Sendable () -> Void)? = nil,
    _ condition: @escaping @Sendable () -> Bool
) async throws {
    let met = await withCheckedContinuation { (continuation: CheckedContinuation<Bool, Never>) in
        // A thread of its own: the wait blocks in poll(2), which must not hold a task executor.
        let thread = Thread {
            let met = FolderWatch.wait(in: folder, timeout: timeout) { _ in condition() }
            if met { action?() }
            continuation.resume(returning: met)
        }
        thread.start()
    }
    if !met {
        Issue.record("gave up waiting for \(what())")
        throw CancellationError()
    }
}

/// inotify over a folder tree, for ``waitUntil(_:in:timeout:_:)``.
enum FolderWatch {
    static let mask = UInt32(IN_CREATE | IN_MODIFY | IN_MOVED_TO | IN_CLOSE_WRITE)
    /// The events counted as changes: each is of a name of its own (temporary files have random
    /// names), so the kernel never merges two of them, however far behind the reader is.
    static let counted = UInt32(IN_CREATE | IN_MOVED_TO | IN_CLOSE_WRITE)

    /// Blocks until `condition` holds (true), or `timeout` passes or the `until` pipe closes
    /// (false). `condition` gets the number of changes seen in the tree so far: files made,
    /// closed after writing and renamed into place, and, given `journal`, the lines added to that
    /// file. Writes (`IN_MODIFY`) only wake the count: the kernel merges those of one file while
    /// the reader is behind, and how a download is cut into writes depends on the machine's load,
    /// so counting them would make a count mean another stage of the run on a loaded machine.
    static func wait(
        in folder: String, timeout: Duration, untilClosed pipe: Int32? = nil, journal: String? = nil,
        until condition: (_ changes: Int) -> Bool
    ) -> Bool {
        let descriptor = inotify_init1(Int32(IN_CLOEXEC))
        guard descriptor >= 0 else { return false }
        defer { close(descriptor) }
        let clock = ContinuousClock()
        let deadline = clock.now + timeout
        var buffer = [UInt8](repeating: 0, count: 64 * 1024)
        var changes = 0
        var lines = journal.map(JournalLines.init(path:))
        while true {
            // Watch every folder before looking: a change after the look wakes the poll below,
            // and a folder made after this walk is reported by its (watched) parent.
            watchTree(folder, descriptor)
            if let journal { changes += lines?.added(journal) ?? 0 }
            if condition(changes) { return true }
            let left = deadline - clock.now
            guard left > .zero else { return false }
            var entries = [pollfd(fd: descriptor, events: Int16(POLLIN), revents: 0)]
            if let pipe { entries.append(pollfd(fd: pipe, events: Int16(POLLIN), revents: 0)) }
            let milliseconds = Int32(
                min(left.components.seconds * 1000 + left.components.attoseconds / 1_000_000_000_000_000 + 1, 3_600_000)
            )
            let ready = poll(&entries, nfds_t(entries.count), milliseconds)
            if ready < 0 && errno != EINTR { return false }
            if entries[0].revents & Int16(POLLIN) != 0 {
                let count = buffer.withUnsafeMutableBytes { read(descriptor, $0.baseAddress, $0.count) }
                changes += events(in: buffer, count: count)
            }
            if entries.count > 1, entries[1].revents != 0 {
                // The writer's output, or its end: a closed pipe means the process is gone.
                let count = buffer.withUnsafeMutableBytes { read(pipe!, $0.baseAddress, $0.count) }
                if count <= 0 {
                    if let journal { changes += lines?.added(journal) ?? 0 }
                    return condition(changes)
                }
            }
        }
    }

    /// The counted inotify events in a read of `count` bytes.
    static func events(in buffer: [UInt8], count: Int) -> Int {
        func word(_ at: Int) -> UInt32 {
            UInt32(buffer[at]) | UInt32(buffer[at + 1]) << 8 | UInt32(buffer[at + 2]) << 16 | UInt32(buffer[at + 3])
                << 24
        }
        var offset = 0
        var events = 0
        while offset + 16 <= count {
            if word(offset + 4) & counted != 0 { events += 1 }
            offset += 16 + Int(word(offset + 12))
        }
        return events
    }

    /// The lines appended to a file since the last look. A file there when the watch began counts
    /// from its end then; one made later, from its start; one replaced by another (rewritten
    /// whole), from the new one's end.
    struct JournalLines {
        var inode: UInt64?
        var offset: Int

        init(path: String) {
            if let (inode, size) = Self.identity(path) {
                self.inode = inode
                offset = size
            } else {
                inode = nil
                offset = 0
            }
        }

        /// The file's inode and size, when it is there.
        static func identity(_ path: String) -> (inode: UInt64, size: Int)? {
            guard let attributes = try? FileManager.default.attributesOfItem(atPath: path),
                let inode = (attributes[.systemFileNumber] as? NSNumber)?.uint64Value,
                let size = (attributes[.size] as? NSNumber)?.intValue
            else { return nil }
            return (inode, size)
        }

        mutating func added(_ path: String) -> Int {
            guard let (current, size) = Self.identity(path) else { return 0 }
            if inode != current {
                offset = inode == nil ? 0 : size
                inode = current
            }
            guard size > offset, let handle = FileHandle(forReadingAtPath: path) else { return 0 }
            defer { try? handle.close() }
            try? handle.seek(toOffset: UInt64(offset))
            let data = (try? handle.readToEnd()) ?? Data()
            // Whole lines only: a line being written counts once its newline is there.
            guard let last = data.lastIndex(of: 0x0A) else { return 0 }
            offset += last - data.startIndex + 1
            return data[data.startIndex...last].reduce(0) { $0 + ($1 == 0x0A ? 1 : 0) }
        }
    }

    static func watchTree(_ folder: String, _ descriptor: Int32) {
        _ = inotify_add_watch(descriptor, folder, mask)
        guard let walker = FileManager.default.enumerator(atPath: folder) else { return }
        while let relative = walker.nextObject() as? String {
            var isFolder: ObjCBool = false
            let path = folder + "/" + relative
            if FileManager.default.fileExists(atPath: path, isDirectory: &isFolder), isFolder.boolValue {
                _ = inotify_add_watch(descriptor, path, mask)
            }
        }
    }
}

/// Everything a child process writes to a pipe, collected as it arrives, so a test can wait for a
/// line before it acts (the way a person watches a terminal before pressing Ctrl-C).
final class OutputCollector: Sendable {
    private struct State {
        var text = ""
        var closed = false
        var waiters: [(needle: String?, continuation: CheckedContinuation<Bool, Never>)] = []
    }

    private let collected = NIOLockedValueBox(State())

    /// Starts reading `pipe` on a thread of its own until the writer closes it.
    init(_ pipe: Pipe) {
        let handle = pipe.fileHandleForReading
        let thread = Thread { [self] in
            while true {
                let data = handle.availableData
                if data.isEmpty { break }
                self.arrived(String(decoding: data, as: UTF8.self), closed: false)
            }
            self.arrived("", closed: true)
        }
        thread.start()
    }

    /// Appends output and wakes the waiters it satisfies: an event per chunk, no polling.
    private func arrived(_ text: String, closed: Bool) {
        let ready = collected.withLockedValue { state -> [(CheckedContinuation<Bool, Never>, Bool)] in
            state.text += text
            state.closed = state.closed || closed
            var ready: [(CheckedContinuation<Bool, Never>, Bool)] = []
            var waiting: [(needle: String?, continuation: CheckedContinuation<Bool, Never>)] = []
            for waiter in state.waiters {
                let found = waiter.needle.map { state.text.contains($0) } ?? false
                if found || state.closed {
                    ready.append((waiter.continuation, found || waiter.needle == nil))
                } else {
                    waiting.append(waiter)
                }
            }
            state.waiters = waiting
            return ready
        }
        for (continuation, found) in ready { continuation.resume(returning: found) }
    }

    /// What has arrived so far.
    var text: String { collected.withLockedValue { $0.text } }

    /// Waits until the output contains `needle`; fails if the writer closes the pipe first.
    func waitFor(_ needle: String) async throws {
        let found = await withCheckedContinuation { (continuation: CheckedContinuation<Bool, Never>) in
            let now = collected.withLockedValue { state -> Bool? in
                if state.text.contains(needle) { return true }
                if state.closed { return false }
                state.waiters.append((needle, continuation))
                return nil
            }
            if let now { continuation.resume(returning: now) }
        }
        if !found { throw OutputClosed(text: text) }
    }

    /// Waits until the writer has closed the pipe, and returns everything it wrote.
    func waitForEnd() async throws -> String {
        _ = await withCheckedContinuation { (continuation: CheckedContinuation<Bool, Never>) in
            let closed = collected.withLockedValue { state -> Bool in
                if state.closed { return true }
                state.waiters.append((nil, continuation))
                return false
            }
            if closed { continuation.resume(returning: true) }
        }
        return text
    }

    struct OutputClosed: Error, CustomStringConvertible {
        var text: String
        var description: String { "the process ended without printing it; it printed: \(text)" }
    }
}

extension Process {
    /// Waits for the process to exit, on its termination event.
    func exited() async {
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            let once = Once()
            let resume: @Sendable () -> Void = {
                if once.first() { continuation.resume() }
            }
            terminationHandler = { _ in resume() }
            if !isRunning { resume() }
        }
    }
}

/// True the first time it is asked, false after.
private final class Once: Sendable {
    private let done = NIOLockedValueBox(false)

    func first() -> Bool {
        done.withLockedValue { done in
            defer { done = true }
            return !done
        }
    }
}

/// Runs blocking work (a child process waited for, a file read in a loop) on a thread of its
/// own. An async test that blocks holds one of the few threads every async test shares (two on
/// a two-core machine): two such tests at once would stall every other test's waits, and a test
/// that presses Ctrl-C or kills at a moment would act too late.
func offPool<T: Sendable>(_ work: @escaping @Sendable () throws -> T) async throws -> T {
    try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<T, any Error>) in
        Thread { continuation.resume(with: Result { try work() }) }.start()
    }
}
