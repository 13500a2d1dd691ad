import Dispatch
import NIOConcurrencyHelpers

/// Runs `body` for each of `parts` parts at once (one a core) and gives what each made, in order.
/// Reading a large table and planning its rows use it.
func inParts<Element>(_ parts: Int, _ body: @Sendable (Int) -> Element) -> [Element] {
    if parts == 1 { return [body(0)] }
    let results = PartResults<Element>(count: parts)
    DispatchQueue.concurrentPerform(iterations: parts) { results.set($0, body($0)) }
    return results.all()
}

/// A value handed to the parts run at once that is not `Sendable` by its type: each part
/// copies it and changes only its copy (the classes it holds are not changed while parts run).
struct Unchecked<Value>: @unchecked Sendable {
    let value: Value
    init(_ value: Value) { self.value = value }
}

/// What each part made, by part.
private final class PartResults<Element>: @unchecked Sendable {
    private let lock = NIOLock()
    private var parts: [Element?]

    init(count: Int) { parts = Array(repeating: nil, count: count) }

    func set(_ part: Int, _ element: Element) { lock.withLock { parts[part] = element } }

    func all() -> [Element] {
        lock.withLock {
            defer { parts = [] }
            return parts.map { $0! }
        }
    }
}
