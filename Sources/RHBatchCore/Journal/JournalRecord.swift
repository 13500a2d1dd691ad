/// One line of `journal.jsonl`: a flat JSON object of strings and whole numbers.
///
/// Flat on purpose: a reader can fold 100,000 jobs' worth of lines without a general JSON parser.
package struct JournalRecord: Sendable, Hashable {
    /// What happened.
    package enum Event: String, Sendable, Hashable {
        /// A run started (`manifest`, `jobs`, `simulated`).
        case run
        /// A job was seen for the first time (`key`, `path`).
        case planned
        /// An input image was uploaded this run (`sha256`, `url`).
        case uploaded
        /// A submit is about to be sent (`key`, `attempt`): a crash after this and before
        /// `submitted` leaves the job's outcome unknown.
        case submitting
        /// The API definitely refused the submit: no task exists (`key`, `code`, `message`).
        case refused
        /// The API accepted the submit (`key`, `taskId`).
        case submitted
        /// The task ended (`key`, `taskId`, `status`, `urls`, `types`, `cost`).
        case finished
        /// A result was written (`key`, `index`, `path`, `sha256`, `bytes`).
        case downloaded
        /// The job failed (`key`, `phase`, `code`, `message`).
        case failed
        /// The submit's outcome is unknown (`key`, `code`, `message`).
        case unknown
        /// A compacted job state, written when a run ends (the fields of several events).
        case state
    }

    /// The event.
    package var event: Event
    /// When, ISO 8601 UTC.
    package var at: String
    /// Other fields, in writing order.
    package var fields: [(String, FieldValue)]

    /// A field value: text or a whole number.
    package enum FieldValue: Sendable, Hashable {
        case text(String)
        case number(Int)

        /// The value as text.
        package var text: String {
            switch self {
            case .text(let text): text
            case .number(let number): String(number)
            }
        }
    }

    /// Makes a record.
    package init(_ event: Event, at: String, _ fields: [(String, FieldValue)] = []) {
        self.event = event
        self.at = at
        self.fields = fields
    }

    package static func == (lhs: JournalRecord, rhs: JournalRecord) -> Bool {
        lhs.line == rhs.line
    }

    package func hash(into hasher: inout Hasher) {
        hasher.combine(line)
    }

    /// A field's value as text.
    package subscript(_ name: String) -> String? {
        fields.first { $0.0 == name }?.1.text
    }

    /// A field's value as a number.
    package func number(_ name: String) -> Int? {
        switch fields.first(where: { $0.0 == name })?.1 {
        case .number(let value): value
        case .text(let text): Int(text)
        case nil: nil
        }
    }

    /// The JSON line, with its newline.
    package var line: String {
        var out = "{\"event\":\"\(event.rawValue)\",\"at\":"
        JSONValue.writeString(at, to: &out)
        for (name, value) in fields {
            out += ","
            JSONValue.writeString(name, to: &out)
            out += ":"
            switch value {
            case .text(let text): JSONValue.writeString(text, to: &out)
            case .number(let number): out += String(number)
            }
        }
        out += "}\n"
        return out
    }

    /// Parses one line (without its newline); `nil` when it is not a flat journal object.
    package static func parse(_ line: Substring.UTF8View) -> JournalRecord? {
        let bytes = Array(line)
        return bytes.withUnsafeBufferPointer { parse($0) }
    }

    /// Parses one line (without its newline) from raw bytes.
    package static func parse(_ line: UnsafeBufferPointer<UInt8>) -> JournalRecord? {
        var parser = FlatObjectParser(bytes: line)
        guard let pairs = parser.parse() else { return nil }
        var event: Event?
        var at = ""
        var fields: [(String, FieldValue)] = []
        fields.reserveCapacity(pairs.count)
        for (name, value) in pairs {
            switch name {
            case "event":
                guard case .text(let text) = value, let parsed = Event(rawValue: text) else { return nil }
                event = parsed
            case "at":
                at = value.text
            default:
                fields.append((name, value))
            }
        }
        guard let event else { return nil }
        return JournalRecord(event, at: at, fields)
    }
}

/// Reads `{"name":"text","n":12}`: one object of string and integer members, nothing nested.
struct FlatObjectParser {
    let bytes: UnsafeBufferPointer<UInt8>
    var index: Int

    init(bytes: UnsafeBufferPointer<UInt8>) {
        self.bytes = bytes
        self.index = 0
    }

    mutating func parse() -> [(String, JournalRecord.FieldValue)]? {
        skipSpace()
        guard take(UInt8(ascii: "{")) else { return nil }
        var pairs: [(String, JournalRecord.FieldValue)] = []
        skipSpace()
        if take(UInt8(ascii: "}")) { return finish(pairs) }
        while true {
            skipSpace()
            guard let name = string() else { return nil }
            skipSpace()
            guard take(UInt8(ascii: ":")) else { return nil }
            skipSpace()
            guard index < bytes.endIndex else { return nil }
            if bytes[index] == UInt8(ascii: "\"") {
                guard let text = string() else { return nil }
                pairs.append((name, .text(text)))
            } else {
                guard let number = integer() else { return nil }
                pairs.append((name, .number(number)))
            }
            skipSpace()
            if take(UInt8(ascii: ",")) { continue }
            if take(UInt8(ascii: "}")) { return finish(pairs) }
            return nil
        }
    }

    private mutating func finish(_ pairs: [(String, JournalRecord.FieldValue)]) -> [(String, JournalRecord.FieldValue)]?
    {
        skipSpace()
        return index == bytes.endIndex ? pairs : nil
    }

    private mutating func skipSpace() {
        while index < bytes.endIndex, [0x20, 0x09, 0x0D].contains(bytes[index]) { index += 1 }
    }

    private mutating func take(_ byte: UInt8) -> Bool {
        guard index < bytes.endIndex, bytes[index] == byte else { return false }
        index += 1
        return true
    }

    private mutating func integer() -> Int? {
        var negative = false
        if take(UInt8(ascii: "-")) { negative = true }
        var value = 0
        var digits = 0
        while index < bytes.endIndex, (0x30...0x39).contains(bytes[index]) {
            let (product, overflow) = value.multipliedReportingOverflow(by: 10)
            let (sum, carry) = product.addingReportingOverflow(Int(bytes[index] - 0x30))
            guard !overflow, !carry else { return nil }
            value = sum
            digits += 1
            index += 1
        }
        return digits > 0 ? (negative ? -value : value) : nil
    }

    private mutating func string() -> String? {
        guard take(UInt8(ascii: "\"")) else { return nil }
        let start = index
        var simple = true
        while index < bytes.endIndex {
            let byte = bytes[index]
            if byte == UInt8(ascii: "\"") {
                if simple {
                    let text = String(decoding: UnsafeBufferPointer(rebasing: bytes[start..<index]), as: UTF8.self)
                    index += 1
                    return text
                }
                break
            }
            if byte == UInt8(ascii: "\\") {
                simple = false
                index += 1
                guard index < bytes.endIndex else { return nil }
            }
            index += 1
        }
        guard !simple, index < bytes.endIndex else { return nil }
        // Escapes: decode the slice as JSON the slow way (rare: quotes or control characters).
        var out: [UInt8] = []
        var cursor = start
        while cursor < index {
            let byte = bytes[cursor]
            cursor += 1
            guard byte == UInt8(ascii: "\\") else {
                out.append(byte)
                continue
            }
            let escape = bytes[cursor]
            cursor += 1
            switch escape {
            case UInt8(ascii: "n"): out.append(0x0A)
            case UInt8(ascii: "r"): out.append(0x0D)
            case UInt8(ascii: "t"): out.append(0x09)
            case UInt8(ascii: "b"): out.append(0x08)
            case UInt8(ascii: "f"): out.append(0x0C)
            case UInt8(ascii: "u"):
                var hex = ""
                for _ in 0..<4 where cursor < index {
                    hex.append(Character(Unicode.Scalar(bytes[cursor])))
                    cursor += 1
                }
                guard let code = UInt32(hex, radix: 16), let scalar = Unicode.Scalar(code) else { return nil }
                out += Array(String(Character(scalar)).utf8)
            default: out.append(escape)
            }
        }
        index += 1
        return String(decoding: out, as: UTF8.self)
    }
}
