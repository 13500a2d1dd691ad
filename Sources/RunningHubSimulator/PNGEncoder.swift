/// Writes small RGB PNG images without a compression library.
///
/// The image data is stored in uncompressed deflate blocks: files are larger than they could be,
/// but valid for every PNG reader, and encoding is a straight copy. The simulator draws its results
/// with it, and tests use it for real input files.
package enum PNGEncoder {
    /// Encodes `width × height` pixels; `pixel(x, y)` gives each one's red, green and blue.
    /// `padding` adds an ancillary `rhPd` chunk of that many zero bytes, which readers skip: a
    /// way to make large files cheaply.
    package static func encode(
        width: Int,
        height: Int,
        padding: Int = 0,
        pixel: (Int, Int) -> (UInt8, UInt8, UInt8)
    ) -> [UInt8] {
        precondition(width > 0 && height > 0, "a PNG needs at least one pixel")
        var raw: [UInt8] = []
        raw.reserveCapacity((width * 3 + 1) * height)
        for y in 0..<height {
            raw.append(0)
            for x in 0..<width {
                let (r, g, b) = pixel(x, y)
                raw.append(r)
                raw.append(g)
                raw.append(b)
            }
        }
        var png: [UInt8] = [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]
        var header: [UInt8] = []
        header += bigEndian(UInt32(width))
        header += bigEndian(UInt32(height))
        header += [8, 2, 0, 0, 0]
        appendChunk("IHDR", header, to: &png)
        appendChunk("IDAT", zlibStored(raw), to: &png)
        if padding > 0 {
            appendChunk("rhPd", [UInt8](repeating: 0, count: padding), to: &png)
        }
        appendChunk("IEND", [], to: &png)
        return png
    }

    /// A solid image of one colour.
    package static func solid(width: Int, height: Int, color: (UInt8, UInt8, UInt8)) -> [UInt8] {
        encode(width: width, height: height) { _, _ in color }
    }

    private static func appendChunk(_ kind: String, _ data: [UInt8], to png: inout [UInt8]) {
        png += bigEndian(UInt32(data.count))
        let body = Array(kind.utf8) + data
        png += body
        png += bigEndian(crc32(body))
    }

    private static func zlibStored(_ data: [UInt8]) -> [UInt8] {
        var out: [UInt8] = [0x78, 0x01]
        var offset = 0
        repeat {
            let length = min(65_535, data.count - offset)
            let final: UInt8 = offset + length == data.count ? 1 : 0
            out.append(final)
            out.append(UInt8(length & 0xFF))
            out.append(UInt8(length >> 8))
            out.append(UInt8(~length & 0xFF))
            out.append(UInt8((~length >> 8) & 0xFF))
            out += data[offset..<offset + length]
            offset += length
        } while offset < data.count
        out += bigEndian(adler32(data))
        return out
    }

    private static func bigEndian(_ value: UInt32) -> [UInt8] {
        [UInt8(value >> 24), UInt8((value >> 16) & 0xFF), UInt8((value >> 8) & 0xFF), UInt8(value & 0xFF)]
    }

    private static let crcTable: [UInt32] = (0..<256).map { index in
        var value = UInt32(index)
        for _ in 0..<8 {
            value = value & 1 == 1 ? 0xEDB8_8320 ^ (value >> 1) : value >> 1
        }
        return value
    }

    private static func crc32(_ bytes: [UInt8]) -> UInt32 {
        var crc: UInt32 = 0xFFFF_FFFF
        for byte in bytes {
            crc = crcTable[Int((crc ^ UInt32(byte)) & 0xFF)] ^ (crc >> 8)
        }
        return crc ^ 0xFFFF_FFFF
    }

    private static func adler32(_ bytes: [UInt8]) -> UInt32 {
        var a: UInt32 = 1
        var b: UInt32 = 0
        for byte in bytes {
            a = (a + UInt32(byte)) % 65_521
            b = (b + a) % 65_521
        }
        return (b << 16) | a
    }
}
