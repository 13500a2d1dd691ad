import Crypto

extension SHA256 {
    /// Hashes a text's UTF-8 bytes.
    mutating func update(text: String) {
        var text = text
        text.withUTF8 { update(bufferPointer: UnsafeRawBufferPointer($0)) }
    }
}

extension SHA256 {
    /// Hashes a digest's text (its 64 hex digits, or the text it was read as), without making it.
    mutating func update(hexOf digest: HexDigest) {
        guard case .bytes = digest else { return update(text: digest.description) }
        withUnsafeTemporaryAllocation(of: UInt8.self, capacity: 64) { buffer in
            let count = digest.writeHex(into: buffer)
            update(bufferPointer: UnsafeRawBufferPointer(UnsafeBufferPointer(rebasing: buffer[0..<count])))
        }
    }
}
