/// JSON written straight as bytes, for the files of a line per job (the report, the compacted
/// journal): a million lines built member by member as texts cost more than the writing. Writes
/// what ``JSONObjectWriter`` writes.
struct JSONBytes {
    var out: [UInt8] = []

    /// Text that is JSON already (punctuation, member names, rendered pieces).
    mutating func raw(_ text: StaticString) {
        text.withUTF8Buffer { out.append(contentsOf: $0) }
    }

    mutating func raw(_ text: String) {
        out.append(contentsOf: text.utf8)
    }

    /// A string literal, escaped: the one JSON escaper (quote, backslash, `\n`, `\r`, `\t`,
    /// other control characters as `\u00XX`; everything else as it is).
    mutating func string(_ text: String) {
        out.append(UInt8(ascii: "\""))
        for byte in text.utf8 {
            switch byte {
            case UInt8(ascii: "\""): raw(#"\""#)
            case UInt8(ascii: "\\"): raw(#"\\"#)
            case 0x0A: raw(#"\n"#)
            case 0x0D: raw(#"\r"#)
            case 0x09: raw(#"\t"#)
            case 0..<0x20:
                raw(#"\u00"#)
                out.append(byte >> 4 < 10 ? 48 + byte >> 4 : 87 + byte >> 4)
                out.append(byte & 0xF < 10 ? 48 + byte & 0xF : 87 + byte & 0xF)
            default: out.append(byte)
            }
        }
        out.append(UInt8(ascii: "\""))
    }

    /// A string literal, or `null`.
    mutating func string(_ text: String?) {
        if let text { string(text) } else { raw("null") }
    }

    mutating func integer(_ value: Int) {
        out.append(contentsOf: String(value).utf8)
    }

    /// A digest's text as a string literal; `prefix` of it only, if given (at most 64).
    mutating func digest(_ value: HexDigest, prefix: Int = 64) {
        guard case .bytes = value else {
            return string(prefix < 64 ? value.prefix(prefix) : value.description)
        }
        out.append(UInt8(ascii: "\""))
        withUnsafeTemporaryAllocation(of: UInt8.self, capacity: 64) { buffer in
            let count = value.writeHex(into: buffer)
            out.append(contentsOf: buffer[0..<min(count, prefix)])
        }
        out.append(UInt8(ascii: "\""))
    }

    /// A time as a string literal, as its ``StoredTimestamp/text`` reads.
    mutating func timestamp(_ value: StoredTimestamp) {
        switch value {
        case .text(let text):
            string(text)
        case .milliseconds(let milliseconds):
            out.append(UInt8(ascii: "\""))
            withUnsafeTemporaryAllocation(of: UInt8.self, capacity: 24) { buffer in
                let count = Timestamp.write(epochMilliseconds: milliseconds, into: buffer)
                out.append(contentsOf: buffer[0..<count])
            }
            out.append(UInt8(ascii: "\""))
        }
    }

    /// A time, or `null`.
    mutating func timestamp(_ value: StoredTimestamp?) {
        if let value { timestamp(value) } else { raw("null") }
    }
}
