/// What a model produces, as the vendor's registry names it (`output_type`).
package enum OutputKind: String, Sendable, Hashable, CaseIterable, Codable {
    case image
    case video
    case audio
    /// A 3D model (GLB, ZIP, OBJ, FBX).
    case model3D = "3d"
    /// Text, delivered in the result's `text` field (the registry's `string`).
    case text

    /// The kind for a registry `output_type`, or `nil` for one rh-batch does not know.
    package init?(registryName: String) {
        switch registryName.lowercased() {
        case "string", "text": self = .text
        default: self.init(rawValue: registryName.lowercased())
        }
    }

    /// The extension of a result whose format nothing names: `png`, `mp4`, `mp3`, `glb`, `txt`.
    package var defaultExtension: String {
        switch self {
        case .image: "png"
        case .video: "mp4"
        case .audio: "mp3"
        case .model3D: "glb"
        case .text: "txt"
        }
    }

    /// The failure code for a body of another kind: `not-an-image`, `not-a-video`, ...
    package var mismatchCode: String {
        switch self {
        case .image: "not-an-image"
        case .video: "not-a-video"
        case .audio: "not-audio"
        case .model3D: "not-a-3d-model"
        case .text: "not-text"
        }
    }
}

/// A file format recognised by its first bytes rather than its name: images, video, audio and
/// 3D models.
package enum MediaFormat: String, Sendable, Hashable, CaseIterable, Codable {
    case png, jpeg, webp, gif, bmp, tiff
    case mp4, mov, webm, avi
    case mp3, wav, flac, m4a, ogg
    case glb, zip, fbx, obj
    /// Plain UTF-8 text (a text model's result).
    case text

    /// How many leading bytes ``init(magic:)`` looks at.
    package static let magicLength = 64

    /// The format of a file that starts with these bytes, or `nil` when it is none rh-batch knows.
    ///
    /// Wavefront OBJ and text have no magic number: they are recognised only when `allowText` is
    /// set (a result the API calls `obj` or a text result), as printable text.
    package init?(magic bytes: some Collection<UInt8>, allowText: Bool = false) {
        let head = Array(bytes.prefix(Self.magicLength))
        func at(_ offset: Int, _ text: String) -> Bool {
            let expected = Array(text.utf8)
            return head.count >= offset + expected.count && Array(head[offset..<offset + expected.count]) == expected
        }
        if head.starts(with: [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]) {
            self = .png
        } else if head.starts(with: [0xFF, 0xD8, 0xFF]) {
            self = .jpeg
        } else if at(0, "RIFF") && at(8, "WEBP") {
            self = .webp
        } else if at(0, "RIFF") && at(8, "WAVE") {
            self = .wav
        } else if at(0, "RIFF") && at(8, "AVI ") {
            self = .avi
        } else if at(0, "GIF87a") || at(0, "GIF89a") {
            self = .gif
        } else if at(0, "BM") && head.count >= 14 {
            self = .bmp
        } else if head.starts(with: [0x49, 0x49, 0x2A, 0x00]) || head.starts(with: [0x4D, 0x4D, 0x00, 0x2A]) {
            self = .tiff
        } else if at(4, "ftyp") {
            if at(8, "qt  ") {
                self = .mov
            } else if at(8, "M4A ") || at(8, "M4B ") {
                self = .m4a
            } else {
                self = .mp4
            }
        } else if head.starts(with: [0x1A, 0x45, 0xDF, 0xA3]) {
            self = .webm
        } else if at(0, "ID3")
            || (head.count >= 2 && head[0] == 0xFF && (head[1] & 0xE0) == 0xE0 && (head[1] & 0x06) != 0)
        {
            // An ID3 tag, or an MPEG audio frame sync (11 bits) with a layer set.
            self = .mp3
        } else if at(0, "fLaC") {
            self = .flac
        } else if at(0, "OggS") {
            self = .ogg
        } else if at(0, "glTF") {
            self = .glb
        } else if head.starts(with: [0x50, 0x4B, 0x03, 0x04]) {
            self = .zip
        } else if at(0, "Kaydara FBX Binary") {
            self = .fbx
        } else if allowText, !head.isEmpty, Self.isText(head) {
            self = .text
        } else {
            return nil
        }
    }

    /// Whether these bytes look like text: valid UTF-8 (a cut-off last character allowed) with
    /// no control characters other than tab, newline and carriage return.
    static func isText(_ head: [UInt8]) -> Bool {
        if head.contains(where: { $0 < 0x20 && $0 != 0x09 && $0 != 0x0A && $0 != 0x0D }) { return false }
        var trimmed = head[...]
        // Drop an incomplete trailing sequence: the head may cut a character in two.
        for _ in 0..<3 where !trimmed.isEmpty && String(validating: trimmed, as: UTF8.self) == nil {
            trimmed = trimmed.dropLast()
        }
        return !trimmed.isEmpty && String(validating: trimmed, as: UTF8.self) != nil
    }

    /// The kind of output this format is.
    package var kind: OutputKind {
        switch self {
        case .png, .jpeg, .webp, .gif, .bmp, .tiff: .image
        case .mp4, .mov, .webm, .avi: .video
        case .mp3, .wav, .flac, .m4a, .ogg: .audio
        case .glb, .zip, .fbx, .obj: .model3D
        case .text: .text
        }
    }

    /// The usual file extension.
    package var fileExtension: String {
        switch self {
        case .jpeg: "jpg"
        case .tiff: "tif"
        case .text: "txt"
        default: rawValue
        }
    }

    /// The media type an upload declares.
    package var mimeType: String {
        switch self {
        case .png, .webp, .gif, .bmp, .tiff: "image/\(rawValue)"
        case .jpeg: "image/jpeg"
        case .mp4, .webm: "video/\(rawValue)"
        case .mov: "video/quicktime"
        case .avi: "video/x-msvideo"
        case .mp3: "audio/mpeg"
        case .wav: "audio/wav"
        case .flac: "audio/flac"
        case .m4a: "audio/mp4"
        case .ogg: "audio/ogg"
        case .glb: "model/gltf-binary"
        case .zip: "application/zip"
        case .fbx: "application/octet-stream"
        case .obj: "model/obj"
        case .text: "text/plain"
        }
    }

    /// The name users know: `PNG`, `JPG`, `MP4`.
    package var displayName: String {
        self == .jpeg ? "JPG" : rawValue.uppercased()
    }

    /// The format a registry `accept` entry names (`JPG`, `JPEG`, `MP4`), or `nil`.
    package init?(acceptName: String) {
        switch acceptName.uppercased() {
        case "JPG", "JPEG": self = .jpeg
        case "TIF", "TIFF": self = .tiff
        case "AAC": self = .m4a
        case "TXT": self = .text
        default:
            guard let format = MediaFormat(rawValue: acceptName.lowercased()) else { return nil }
            self = format
        }
    }

    /// Whether a result of this format fits a model whose output is `kind`. A video model's result
    /// may also be a still frame (`returnLastFrame`), so images fit video models too.
    package func fits(_ kind: OutputKind) -> Bool {
        switch kind {
        case .video: self.kind == .video || self.kind == .image
        case .text: true
        default: self.kind == kind
        }
    }
}
