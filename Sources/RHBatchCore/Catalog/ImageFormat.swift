/// An image file format, recognised by its first bytes rather than its name.
package enum ImageFormat: String, Sendable, Hashable, CaseIterable, Codable {
    case png
    case jpeg
    case webp

    /// The format of a file that starts with these bytes, or `nil` when it is none of the three.
    package init?(magic bytes: some Collection<UInt8>) {
        let head = Array(bytes.prefix(12))
        if head.starts(with: [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]) {
            self = .png
        } else if head.starts(with: [0xFF, 0xD8, 0xFF]) {
            self = .jpeg
        } else if head.count == 12, head.starts(with: Array("RIFF".utf8)), Array(head[8..<12]) == Array("WEBP".utf8) {
            self = .webp
        } else {
            return nil
        }
    }

    /// The usual file extension.
    package var fileExtension: String {
        switch self {
        case .png: "png"
        case .jpeg: "jpg"
        case .webp: "webp"
        }
    }

    /// The name users know: `PNG`, `JPG`, `WEBP`.
    package var displayName: String {
        switch self {
        case .png: "PNG"
        case .jpeg: "JPG"
        case .webp: "WEBP"
        }
    }
}
