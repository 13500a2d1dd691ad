/// Values many jobs share, held once: the first one made for a key is handed to every later
/// asker, so a million jobs over a few inputs hold a few copies, not a million. At most `limit`
/// keys are kept, so values that are all different cost no more than that.
struct SharedValues<Key: Hashable & Sendable, Value: Sendable>: Sendable {
    private var known: [Key: Value] = [:]
    private let limit = 65_536

    /// The value held for `key`, made by `make` the first time.
    mutating func value(for key: Key, make: (Key) -> Value) -> Value {
        if let value = known[key] { return value }
        let value = make(key)
        if known.count < limit { known[key] = value }
        return value
    }
}

extension SharedValues where Key == Value {
    /// `value` itself, as first held.
    mutating func value(_ value: Value) -> Value {
        self.value(for: value) { $0 }
    }
}
