import Foundation
import Synchronization
import Testing

/// Waits for something another process brings about: a file appears, a line is printed.
///
/// The condition is checked every few milliseconds; the deadline is generous and only turns a hang
/// into a failure, so how fast the machine is never decides a test's outcome.
func waitUntil(
    _ what: @autoclosure () -> String,
    timeout: Duration = .seconds(90),
    _ condition: () throws -> Bool
) async throws {
    let clock = ContinuousClock()
    let deadline = clock.now + timeout
    while try !condition() {
        guard clock.now < deadline else {
            Issue.record("gave up waiting for \(what())")
            throw CancellationError()
        }
        try await Task.sleep(for: .milliseconds(10))
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

    private let collected = Mutex(State())

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
        let ready = collected.withLock { state -> [(CheckedContinuation<Bool, Never>, Bool)] in
            state.text += text
            state.closed = state.closed || closed
            var ready: [(CheckedContinuation<Bool, Never>, Bool)] = []
            var waiting: [(needle: String?, continuation: CheckedContinuation<Bool, Never>)] = []
            for waiter in state.waiters {
                let found = waiter.needle.map { state.text.contains($0) } ?? false
                if found || state.closed { ready.append((waiter.continuation, found || waiter.needle == nil)) } else { waiting.append(waiter) }
            }
            state.waiters = waiting
            return ready
        }
        for (continuation, found) in ready { continuation.resume(returning: found) }
    }

    /// What has arrived so far.
    var text: String { collected.withLock { $0.text } }

    /// Waits until the output contains `needle`; fails if the writer closes the pipe first.
    func waitFor(_ needle: String) async throws {
        let found = await withCheckedContinuation { (continuation: CheckedContinuation<Bool, Never>) in
            let now = collected.withLock { state -> Bool? in
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
            let closed = collected.withLock { state -> Bool in
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
    private let done = Mutex(false)

    func first() -> Bool {
        done.withLock { done in
            defer { done = true }
            return !done
        }
    }
}
