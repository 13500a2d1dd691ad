/// A SHA-256 as rh-batch writes it (64 lowercase hex digits), held as its 32 bytes: a job key or
/// a result's hash without a heap string each, so a million of them cost 32 MB, not 130.
///
/// Text that is not such a digest (a hand-edited journal, a test's short key) is kept as it was
/// given, so nothing read is ever changed on its way back out.
package enum HexDigest: Sendable, Hashable, Comparable, CustomStringConvertible {
    case bytes(UInt64, UInt64, UInt64, UInt64)
    case text(String)

    /// The digest of `text` when it is 64 lowercase hex digits, else `text` itself.
    package init(_ text: String) {
        var text = text
        self = text.withUTF8 { Self.parse($0) } ?? .text(text)
    }

    /// The digest its text's bytes spell when they are 64 lowercase hex digits, else the text.
    package init(utf8: UnsafeBufferPointer<UInt8>) {
        self = Self.parse(utf8) ?? .text(String(decoding: utf8, as: UTF8.self))
    }

    /// A 32-byte digest from its bytes in memory.
    package init(raw: UnsafeRawBufferPointer) {
        precondition(raw.count == 32, "a digest is 32 bytes")
        func word(_ offset: Int) -> UInt64 {
            UInt64(bigEndian: raw.loadUnaligned(fromByteOffset: offset, as: UInt64.self))
        }
        self = .bytes(word(0), word(8), word(16), word(24))
    }

    /// A digest's first 8 bytes are as random as all 32: they alone are hashed (a million keys in
    /// a dictionary are hashed and compared a few million times while planning).
    package func hash(into hasher: inout Hasher) {
        switch self {
        case .bytes(let a, _, _, _): hasher.combine(a)
        case .text(let text): hasher.combine(text)
        }
    }

    /// The first `count` characters of its text (at most 16 for a digest: no heap string).
    package func prefix(_ count: Int) -> String {
        switch self {
        case .text(let text):
            return String(text.prefix(count))
        case .bytes(let a, _, _, _):
            let count = min(count, 16)
            return String(unsafeUninitializedCapacity: count) { buffer in
                for nibble in 0..<count {
                    let value = UInt8(truncatingIfNeeded: a >> UInt64(60 - nibble * 4)) & 0xF
                    buffer[nibble] = value < 10 ? 48 + value : 87 + value
                }
                return count
            }
        }
    }

    /// Its text, exactly as it was given.
    package var description: String {
        switch self {
        case .text(let text):
            return text
        case .bytes:
            return String(unsafeUninitializedCapacity: 64) { writeHex(into: $0) }
        }
    }

    /// Writes the 64 hex digits of a digest read as bytes into `buffer` (room for 64) and
    /// returns how many it wrote (0 for a digest kept as text).
    package func writeHex(into buffer: UnsafeMutableBufferPointer<UInt8>) -> Int {
        guard case .bytes(let a, let b, let c, let d) = self else { return 0 }
        func put(_ word: UInt64, at start: Int) {
            for nibble in 0..<16 {
                let value = UInt8(truncatingIfNeeded: word >> UInt64(60 - nibble * 4)) & 0xF
                buffer[start + nibble] = value < 10 ? 48 + value : 87 + value
            }
        }
        put(a, at: 0)
        put(b, at: 16)
        put(c, at: 32)
        put(d, at: 48)
        return 64
    }

    /// Text order, as the keys' text sorts (digests of equal length sort as their bytes do).
    package static func < (left: HexDigest, right: HexDigest) -> Bool {
        switch (left, right) {
        case (.bytes(let a1, let b1, let c1, let d1), .bytes(let a2, let b2, let c2, let d2)):
            return (a1, b1, c1, d1) < (a2, b2, c2, d2)
        default:
            return left.description < right.description
        }
    }

    private static func parse(_ utf8: UnsafeBufferPointer<UInt8>) -> HexDigest? {
        guard utf8.count == 64 else { return nil }
        // A journal of a million jobs has five million keys to read: a table lookup per digit,
        // one check per word.
        func word(_ start: Int) -> UInt64? {
            var word: UInt64 = 0
            var bad: UInt8 = 0
            for offset in start..<start + 16 {
                let value = nibbles[Int(utf8[offset])]
                bad |= value
                word = word << 4 | UInt64(value & 0x0F)
            }
            return bad & 0x80 == 0 ? word : nil
        }
        guard let a = word(0), let b = word(16), let c = word(32), let d = word(48) else { return nil }
        return .bytes(a, b, c, d)
    }
}

/// Each byte's value as a lowercase hex digit, or 0x80 when it is not one.
private let nibbles: [UInt8] = (0..<256).map { byte in
    switch byte {
    case 48...57: UInt8(byte - 48)
    case 97...102: UInt8(byte - 87)
    default: 0x80
    }
}
