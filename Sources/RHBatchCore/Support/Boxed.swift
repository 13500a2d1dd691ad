/// A value held out of line: a rarely set field costs a pointer in a value stored per job, and
/// what many values share is held once.
package final class Boxed<Value: Sendable>: Sendable {
    package let value: Value

    package init(_ value: Value) {
        self.value = value
    }
}

extension Boxed: Equatable, Hashable where Value: Hashable {
    package static func == (left: Boxed, right: Boxed) -> Bool {
        left === right || left.value == right.value
    }

    package func hash(into hasher: inout Hasher) {
        hasher.combine(value)
    }
}
