import Crypto

extension SHA256 {
    /// Hashes a text's UTF-8 bytes.
    mutating func update(text: String) {
        var text = text
        text.withUTF8 { update(bufferPointer: UnsafeRawBufferPointer($0)) }
    }
}
