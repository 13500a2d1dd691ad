/// The members of a journal record that folding it reads.
/// Every member name a journal line may have, spelled once (``name``). The writer
/// (``JournalRecord``'s kinds, compaction), the in-place reader (``JournalLine``) and the schema
/// (``JournalSchema``) all name members by these cases, never by literals.
package enum JournalField: Int, CaseIterable, Sendable {
    // Members folding reads (a slot each in ``JournalLine``: see ``JournalLine/capacity``).
    case event, at, key, path, stage, attempts, attempt, taskId, keyId, submittedAt, finishedAt, cost
    case phase, code, message, urls, types, inputs, index, sha256, bytes, mtime, status, url, nodes, coins, graph
    // Members written for people (a run's record) and never folded: no slot.
    case manifest, jobs, simulated

    /// Whether folding reads it (the in-place reader keeps a slot for it).
    package var isFolded: Bool { rawValue < JournalField.manifest.rawValue }

    /// Its name's bytes, made once.
    static let nameBytes: [[UInt8]] = allCases.map { Array($0.name.utf8) }

    /// Its name in the journal.
    package var name: String {
        switch self {
        case .event: "event"
        case .at: "at"
        case .key: "key"
        case .path: "path"
        case .stage: "stage"
        case .attempts: "attempts"
        case .attempt: "attempt"
        case .taskId: "taskId"
        case .keyId: "keyId"
        case .submittedAt: "submittedAt"
        case .finishedAt: "finishedAt"
        case .cost: "cost"
        case .phase: "phase"
        case .code: "code"
        case .message: "message"
        case .urls: "urls"
        case .types: "types"
        case .inputs: "inputs"
        case .index: "index"
        case .sha256: "sha256"
        case .bytes: "bytes"
        case .mtime: "mtime"
        case .status: "status"
        case .url: "url"
        case .nodes: "nodes"
        case .coins: "coins"
        case .graph: "graph"
        case .manifest: "manifest"
        case .jobs: "jobs"
        case .simulated: "simulated"
        }
    }

    /// The folded fields by the length of their names, each with its name's bytes; as long as
    /// the longest name needs.
    static let byLength: [[(field: JournalField, name: [UInt8])]] = {
        let folded = allCases.filter(\.isFolded)
        let longest = folded.map(\.name.utf8.count).max() ?? 0
        var table = [[(field: JournalField, name: [UInt8])]](repeating: [], count: longest + 1)
        for field in folded { table[field.name.utf8.count].append((field, Array(field.name.utf8))) }
        return table
    }()

    /// The field a member's name (its bytes) names, if folding reads it.
    package static func named(_ name: UnsafeBufferPointer<UInt8>) -> JournalField? {
        guard name.count < byLength.count else { return nil }
        for candidate in byLength[name.count] where candidate.name.withUnsafeBufferPointer({ $0.elementsEqual(name) }) {
            return candidate.field
        }
        return nil
    }
}

/// What folding a record reads of it: a ``JournalRecord`` made in memory, or a ``JournalLine``
/// read in place from the journal's bytes.
package protocol JournalFields {
    /// What happened.
    var event: JournalRecord.Event { get }
    /// When.
    var time: StoredTimestamp { get }
    /// A member as text (a number as its digits).
    subscript(_ field: JournalField) -> String? { get }
    /// A member as a whole number.
    func number(_ field: JournalField) -> Int?
    /// A member as a digest (a job key, a file's hash).
    func digest(_ field: JournalField) -> HexDigest?
    /// A member as a time.
    func timestamp(_ field: JournalField) -> StoredTimestamp?
}

extension JournalRecord: JournalFields {
    package var time: StoredTimestamp { StoredTimestamp(at) }
    package subscript(_ field: JournalField) -> String? { self[field.name] }
    package func number(_ field: JournalField) -> Int? { number(field.name) }
    package func digest(_ field: JournalField) -> HexDigest? { self[field.name].map(HexDigest.init) }
    package func timestamp(_ field: JournalField) -> StoredTimestamp? { self[field.name].map(StoredTimestamp.init) }
}

/// One line of the journal as the writer makes it (`{"name":"text","n":12,...}`, no spaces, no
/// escapes), read in place: where each member folding needs lies in the line's bytes, with no
/// record, field list or text made for the members it does not read.
///
/// A line in any other form (spaces, escaped characters, a member named twice, a number too large)
/// is not read here; ``JournalRecord/parse(_:)-(UnsafeBufferPointer<UInt8>)`` reads it (or says
/// it is damaged), so both ways accept the same lines and fold them the same way.
package struct JournalLine: JournalFields {
    /// Where each member's value lies in the line, by ``JournalField`` (one slot per folded
    /// field; a test fails when the fields outgrow ``capacity``): 0 when absent, else
    /// `start << 32 | end`, with the top bit set for a number (small, so a line is cheap to pass).
    private var values: InlineArray<27, UInt64>

    /// Slots for folded fields: the size of `values` (a type's size must be a literal).
    package static let capacity = 27

    /// How many slots the folded fields need.
    package static var slotsNeeded: Int { JournalField.allCases.filter(\.isFolded).count }
    private let bytes: UnsafeBufferPointer<UInt8>
    package let event: JournalRecord.Event

    private static let numberBit: UInt64 = 1 << 63

    /// Reads `bytes` (a line without its newline), or `nil` when it is not in the writer's form.
    package init?(_ bytes: UnsafeBufferPointer<UInt8>) {
        self.bytes = bytes
        values = InlineArray(repeating: 0)
        let quote = UInt8(ascii: "\"")
        let count = bytes.count
        guard count >= 2, count < Int(Int32.max), bytes[0] == UInt8(ascii: "{"), bytes[count - 1] == UInt8(ascii: "}")
        else { return nil }
        var index = 1
        let end = count - 1
        if index == end { return nil } // `{}` has no event
        while true {
            // "name":
            guard index < end, bytes[index] == quote else { return nil }
            let nameStart = index + 1
            var cursor = nameStart
            while cursor < end, bytes[cursor] != quote {
                if bytes[cursor] == UInt8(ascii: "\\") { return nil }
                cursor += 1
            }
            guard cursor + 1 < end, bytes[cursor + 1] == UInt8(ascii: ":") else { return nil }
            let field = JournalField.named(UnsafeBufferPointer(rebasing: bytes[nameStart..<cursor]))
            index = cursor + 2
            guard index < end else { return nil }
            // its value: "text" or a whole number
            let value: UInt64
            if bytes[index] == quote {
                let start = index + 1
                cursor = start
                while cursor < end, bytes[cursor] != quote {
                    if bytes[cursor] == UInt8(ascii: "\\") { return nil }
                    cursor += 1
                }
                guard cursor < end else { return nil }
                value = UInt64(start) << 32 | UInt64(cursor)
                index = cursor + 1
            } else {
                let start = index
                if bytes[index] == UInt8(ascii: "-") { index += 1 }
                var number = 0
                let digitsStart = index
                while index < end, bytes[index] &- 0x30 < 10 {
                    let (product, overflow) = number.multipliedReportingOverflow(by: 10)
                    let (sum, carry) = product.addingReportingOverflow(Int(bytes[index] &- 0x30))
                    guard !overflow, !carry else { return nil } // the slow way turns it away
                    number = sum
                    index += 1
                }
                guard index > digitsStart else { return nil }
                value = Self.numberBit | UInt64(start) << 32 | UInt64(index)
            }
            if let field {
                guard values[field.rawValue] == 0 else { return nil }
                values[field.rawValue] = value
            }
            if index == end { break }
            guard bytes[index] == UInt8(ascii: ",") else { return nil }
            index += 1
        }
        let event = values[JournalField.event.rawValue]
        guard event != 0, event & Self.numberBit == 0,
            let parsed = JournalRecord.Event(bytes: Self.slice(event, of: bytes))
        else { return nil }
        self.event = parsed
    }

    /// The bytes of a value (a text's without its quotes, a number's digits).
    private func slice(_ value: UInt64) -> UnsafeBufferPointer<UInt8> {
        Self.slice(value, of: bytes)
    }

    private static func slice(_ value: UInt64, of bytes: UnsafeBufferPointer<UInt8>) -> UnsafeBufferPointer<UInt8> {
        UnsafeBufferPointer(rebasing: bytes[Int(value >> 32 & 0x7FFF_FFFF)..<Int(value & 0xFFFF_FFFF)])
    }

    /// A number's value (its digits were checked when the line was read).
    private func integer(_ value: UInt64) -> Int {
        let digits = slice(value)
        var number = 0
        for byte in digits where byte != UInt8(ascii: "-") { number = number * 10 + Int(byte - 0x30) }
        return digits.first == UInt8(ascii: "-") ? -number : number
    }

    package var time: StoredTimestamp { timestamp(.at) ?? StoredTimestamp("") }

    package subscript(_ field: JournalField) -> String? {
        let value = values[field.rawValue]
        if value == 0 { return nil }
        if value & Self.numberBit != 0 { return String(integer(value)) }
        return String(decoding: slice(value), as: UTF8.self)
    }

    package func number(_ field: JournalField) -> Int? {
        let value = values[field.rawValue]
        if value == 0 { return nil }
        if value & Self.numberBit != 0 { return integer(value) }
        return Int(String(decoding: slice(value), as: UTF8.self))
    }

    package func digest(_ field: JournalField) -> HexDigest? {
        let value = values[field.rawValue]
        if value == 0 { return nil }
        if value & Self.numberBit != 0 { return HexDigest(String(integer(value))) }
        return HexDigest(utf8: slice(value))
    }

    package func timestamp(_ field: JournalField) -> StoredTimestamp? {
        let value = values[field.rawValue]
        if value == 0 { return nil }
        if value & Self.numberBit != 0 { return StoredTimestamp(String(integer(value))) }
        return StoredTimestamp(utf8: slice(value))
    }
}

extension JournalRecord.Event {
    /// The event a name's bytes spell.
    init?(bytes: UnsafeBufferPointer<UInt8>) {
        // At most ten bytes: a string held inline, not on the heap.
        guard bytes.count <= 15 else { return nil }
        self.init(rawValue: String(decoding: bytes, as: UTF8.self))
    }
}
