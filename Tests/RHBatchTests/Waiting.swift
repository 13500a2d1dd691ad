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
    private let collected = Mutex((text: "", closed: false))

    /// Starts reading `pipe` on a thread of its own until the writer closes it.
    init(_ pipe: Pipe) {
        let handle = pipe.fileHandleForReading
        let thread = Thread { [self] in
            while true {
                let data = handle.availableData
                if data.isEmpty { break }
                let text = String(decoding: data, as: UTF8.self)
                self.collected.withLock { $0.text += text }
            }
            self.collected.withLock { $0.closed = true }
        }
        thread.start()
    }

    /// What has arrived so far.
    var text: String { collected.withLock { $0.text } }

    /// Waits until the output contains `needle`.
    func waitFor(_ needle: String) async throws {
        try await waitUntil("output containing '\(needle)'; so far: \(text)") {
            let (text, closed) = collected.withLock { ($0.text, $0.closed) }
            if text.contains(needle) { return true }
            if closed { throw OutputClosed(text: text) }
            return false
        }
    }

    /// Waits until the writer has closed the pipe, and returns everything it wrote.
    func waitForEnd() async throws -> String {
        try await waitUntil("the end of the output") { collected.withLock { $0.closed } }
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
