import RunningHubModel

/// A local input image that passed inspection: it exists, is readable, and is a PNG, JPEG or WEBP.
package struct LocalImage: Sendable, Hashable {
    /// The path as the manifest wrote it (or as a glob matched it), relative to the manifest's folder.
    package var path: String
    /// The path the file was read from.
    package var absolutePath: String
    /// The file's size in bytes.
    package var bytes: Int
    /// The format its first bytes declare.
    package var format: MediaFormat
    /// The SHA-256 of its contents, lowercase hex.
    package var sha256: String
}

/// One source of an input image: a checked local file or a remote URL.
package enum ImageSource: Sendable, Hashable {
    /// A local file, uploaded before use.
    case local(LocalImage)
    /// An `http(s)://` URL passed to the API as it is.
    case remote(String)

    /// The path or URL as written.
    package var reference: String {
        switch self {
        case .local(let image): image.path
        case .remote(let url): url
        }
    }
}

/// One job input: one image, or several that together form one multi-image input.
package struct ImageInput: Sendable, Hashable {
    /// The id used in output paths: the library key, or the file stem.
    package var id: String
    /// The images, in order.
    package var sources: [ImageSource]
}
