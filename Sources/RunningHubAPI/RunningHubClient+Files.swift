import AsyncHTTPClient
import Crypto
import Foundation
import NIOCore
import NIOHTTP1

#if canImport(Glibc)
    import Glibc
#endif

extension RunningHubClient {
    // MARK: Upload

    /// Uploads a local file (`POST {base}/media/upload/binary`, multipart field `file`) and
    /// returns its `download_url` for use in job bodies.
    ///
    /// Uploading is idempotent (the same file twice costs nothing), so callers may retry any
    /// failure whose class is not ``ErrorClass/fatal``.
    package func upload(bytes: [UInt8], fileName: String, contentType: String) async throws -> UploadedFile {
        let boundary = "rh-batch-" + UUID().uuidString
        var body = ByteBuffer()
        body.writeString("--\(boundary)\r\n")
        let safeName = fileName.replacingOccurrences(of: "\"", with: "_")
        body.writeString("Content-Disposition: form-data; name=\"file\"; filename=\"\(safeName)\"\r\n")
        body.writeString("Content-Type: \(contentType)\r\n\r\n")
        body.writeBytes(bytes)
        body.writeString("\r\n--\(boundary)--\r\n")

        var request = HTTPClientRequest(url: configuration.baseURL + "/media/upload/binary")
        request.method = .POST
        request.headers.add(name: "Authorization", value: configuration.apiKey.authorizationHeader)
        request.headers.add(name: "Content-Type", value: "multipart/form-data; boundary=\(boundary)")
        request.headers.add(name: "User-Agent", value: "rh-batch")
        request.body = .bytes(body)
        let answer: Answer
        switch try await exchange(request, timeout: configuration.uploadTimeout) {
        case .success(let result):
            answer = result
        case .failure(var failure):
            // Uploading twice costs nothing: every transport failure may be retried.
            if failure.errorClass == .unknownOutcome { failure.errorClass = .transient }
            throw UploadError(failure: failure)
        }
        return try Self.uploadedFile(status: answer.status, body: answer.body)
    }

    /// Reads an upload answer (pure, for tests and the fuzz target).
    package static func uploadedFile(status: Int, body: [UInt8]) throws(UploadError) -> UploadedFile {
        guard let object = jsonObject(body) else {
            throw UploadError(
                failure: APIFailure(
                    code: "http-\(status)",
                    message: ErrorTable.meansWrongEndpoint(code: "http-\(status)")
                        ? ErrorTable.wrongEndpointMessage(
                            "upload: HTTP \(status)\(describeBody(body))")
                        : "HTTP \(status)\(describeBody(body))",
                    httpStatus: status,
                    errorClass: ErrorTable.classify(httpStatus: status, duringSubmit: false)
                ))
        }
        let code = string(object["code"]) ?? ""
        guard code == "0" || code == "200",
            let data = object["data"] as? [String: Any],
            let url = string(data["download_url"]) ?? string(data["downloadUrl"]) ?? string(data["url"]),
            !url.isEmpty
        else {
            var failure = envelopeFailure(object, status: status)
            if (500...599).contains(status) { failure.errorClass = .transient }
            throw UploadError(failure: failure)
        }
        return UploadedFile(url: url, fileName: string(data["fileName"]).flatMap { $0.isEmpty ? nil : $0 })
    }

    // MARK: Download

    /// Downloads a result to `destination`, streaming it through a temporary file in the same
    /// folder that is checked (complete length, a real image), synced and renamed into place.
    /// The folder itself is not synced: a caller that records the file elsewhere syncs that record
    /// (on ext4 the rename is committed with it), and a file lost with its record is fetched again.
    ///
    /// A partial file never remains: on any failure the temporary file is removed and
    /// `destination` is untouched. With `durable: false` the file is not synced before the
    /// rename, for callers that sync the whole file system afterwards.
    package func download(
        url: String, to destination: String, durable: Bool = true, expecting kind: OutputKind = .image
    ) async throws -> DownloadedFile {
        var sink = try ResultSink(destination: destination)
        defer { sink.discard() }
        let cap = configuration.maxDownloadBytes
        if url.hasPrefix("data:") {
            // A text result carried inline: decoded here, checked and written like a download.
            guard let bytes = Self.inlineBytes(url) else {
                throw DownloadError(reason: .wrongKind, message: "the inline result is not base64 data", expected: kind)
            }
            guard bytes.count <= cap else {
                throw DownloadError(
                    reason: .tooLarge, message: "the result is \(bytes.count) bytes, over the cap of \(cap)")
            }
            try bytes.withUnsafeBytes { try sink.write($0) }
        } else {
            try await fetch(url, into: &sink, cap: cap)
        }
        let format = try Self.format(of: sink.head, received: sink.received, expecting: kind)
        try sink.commit(durable: durable)
        return DownloadedFile(
            path: destination, bytes: sink.received, sha256: Self.hex(sink.hasher.finalize()),
            format: format.fileExtension)
    }

    /// Streams the result at `url` into `sink`: redirects followed hop by hop (each checked like
    /// the first URL), the announced and the received size held to `cap`, a body cut short
    /// reported as `incomplete`.
    private func fetch(_ url: String, into sink: inout ResultSink, cap: Int) async throws {
        var streaming = false
        var expected: Int?
        do {
            let response = try await follow(url)
            let status = Int(response.status.code)
            if let announced = response.headers.first(name: "content-length").flatMap({ Int($0) }), announced > cap {
                throw DownloadError(
                    reason: .tooLarge, message: "the result is \(announced) bytes, over the cap of \(cap)")
            }
            guard status == 200 else {
                let reason: DownloadError.Reason = [401, 403, 404, 410].contains(status) ? .expired : .httpStatus
                throw DownloadError(reason: reason, message: "HTTP \(status) for the result URL")
            }
            expected = response.headers.first(name: "content-length").flatMap { Int($0) }
            streaming = true
            for try await buffer in response.body {
                try buffer.withUnsafeReadableBytes { try sink.write($0) }
                if sink.received > cap {
                    throw DownloadError(reason: .tooLarge, message: "the result passed the cap of \(cap) bytes")
                }
            }
        } catch let error as DownloadError {
            throw error
        } catch {
            if Task.isCancelled { throw CancellationError() }
            if streaming {
                throw DownloadError(
                    reason: .incomplete, message: "the body broke off after \(sink.received) bytes (\(error))")
            }
            throw DownloadError(
                reason: .transport, message: "the download failed after \(sink.received) bytes: \(error)")
        }
        if let expected, expected != sink.received {
            throw DownloadError(reason: .incomplete, message: "got \(sink.received) of \(expected) bytes")
        }
    }

    /// The response at `url` after at most 5 redirects, each target checked first.
    private func follow(_ url: String) async throws -> HTTPClientResponse {
        var target = url
        var hops = 0
        while true {
            try Self.checkDownloadTarget(target, apiBaseURL: configuration.baseURL)
            var request = HTTPClientRequest(url: target)
            request.headers.add(name: "Accept", value: "*/*")
            request.headers.add(name: "User-Agent", value: "rh-batch")
            let response = try await downloads.execute(
                request, timeout: Self.timeAmount(configuration.downloadTimeout), logger: logger)
            guard [301, 302, 303, 307, 308].contains(Int(response.status.code)),
                let location = response.headers.first(name: "location")
            else { return response }
            hops += 1
            guard hops <= 5 else {
                throw DownloadError(reason: .httpStatus, message: "more than 5 redirects for the result URL")
            }
            target = Self.resolve(location, against: target)
        }
    }

    /// Refuses a result URL that is not http(s), or that names a loopback, link-local or private
    /// address (or `localhost`) while the API base URL itself does not (the simulator does).
    /// Host names are not resolved for this check.
    package static func checkDownloadTarget(_ url: String, apiBaseURL: String) throws(DownloadError) {
        guard let (scheme, host) = schemeAndHost(url), scheme == "http" || scheme == "https" else {
            throw DownloadError(reason: .refusedTarget, message: "the result URL \(url) is not http(s)")
        }
        if isPrivateHost(host), !(schemeAndHost(apiBaseURL).map { isPrivateHost($0.host) } ?? false) {
            throw DownloadError(
                reason: .refusedTarget,
                message: "the result URL points at a local or private address (\(host)); refused")
        }
    }

    static func schemeAndHost(_ url: String) -> (scheme: String, host: String)? {
        guard let range = url.range(of: "://") else { return nil }
        let scheme = url[..<range.lowerBound].lowercased()
        var authority = url[range.upperBound...].prefix { $0 != "/" && $0 != "?" && $0 != "#" }
        if let at = authority.lastIndex(of: "@") { authority = authority[authority.index(after: at)...] }
        var host: Substring
        if authority.hasPrefix("[") {
            host = authority.dropFirst().prefix { $0 != "]" }
        } else {
            host = authority.prefix { $0 != ":" }
        }
        while host.hasSuffix(".") { host = host.dropLast() }
        return (scheme, host.lowercased())
    }

    /// Loopback, link-local, private and unspecified addresses, and `localhost`.
    package static func isPrivateHost(_ host: String) -> Bool {
        if host == "localhost" || host.hasSuffix(".localhost") { return true }
        let parts = host.split(separator: ".", omittingEmptySubsequences: false)
        if parts.count == 4, let octets = Optional(parts.compactMap { UInt8($0) }), octets.count == 4 {
            switch (octets[0], octets[1]) {
            case (127, _), (10, _), (0, _), (169, 254), (192, 168): return true
            case (172, 16...31): return true
            case (100, 64...127): return true
            default: return false
            }
        }
        if host.contains(":") {
            let lower = host.lowercased()
            if lower == "::1" || lower == "::" || lower.hasPrefix("::ffff:") { return true }
            if lower.hasPrefix("fe8") || lower.hasPrefix("fe9") || lower.hasPrefix("fea") || lower.hasPrefix("feb") {
                return true
            }
            if lower.hasPrefix("fc") || lower.hasPrefix("fd") { return true }
        }
        return false
    }

    /// A redirect's `Location` made absolute against the URL it came from.
    static func resolve(_ location: String, against base: String) -> String {
        if location.contains("://") { return location }
        guard let (scheme, _) = schemeAndHost(base), let range = base.range(of: "://") else { return location }
        let authority = base[range.upperBound...].prefix { $0 != "/" && $0 != "?" && $0 != "#" }
        if location.hasPrefix("//") { return scheme + ":" + location }
        if location.hasPrefix("/") { return scheme + "://" + authority + location }
        let path = base[range.upperBound...].dropFirst(authority.count).prefix { $0 != "?" && $0 != "#" }
        let folder = path.lastIndex(of: "/").map { path[...$0] } ?? "/"
        return scheme + "://" + authority + folder + location
    }

    /// The format of a result's first bytes, which must be a file of the expected kind. Text
    /// (and Wavefront OBJ, which is text) is recognised only where it is expected.
    static func format(of head: [UInt8], received: Int, expecting kind: OutputKind) throws(DownloadError) -> MediaFormat
    {
        let allowText = kind == .text || kind == .model3D
        guard received > 0, var format = MediaFormat(magic: head, allowText: allowText) else {
            let noun =
                kind == .image
                ? "an image"
                : kind == .video ? "a video" : kind == .audio ? "audio" : kind == .model3D ? "a 3D model" : "text"
            throw DownloadError(
                reason: .wrongKind,
                message: "the \(received) bytes received are not \(noun) of a format rh-batch knows", expected: kind)
        }
        if kind == .model3D && format == .text { format = .obj }
        guard format.fits(kind) else {
            throw DownloadError(
                reason: .wrongKind,
                message:
                    "the \(received) bytes received are \(format.displayName), not the \(kind.rawValue) this model makes",
                expected: kind
            )
        }
        return format
    }

    static func hex(_ digest: SHA256.Digest) -> String {
        digest.map { byte in
            let text = String(byte, radix: 16)
            return byte < 16 ? "0" + text : text
        }.joined()
    }
}

/// A result on its way to disk: a temporary file beside its destination (`.NAME.rh-partial-N`),
/// the bytes' hash and first bytes as they arrive, and a rename into place only once it is
/// whole. ``discard()`` removes the temporary file unless it was committed: a partial file
/// never remains.
private struct ResultSink {
    let destination: String
    let temporary: String
    private let descriptor: Int32
    private var closed = false
    private var renamed = false
    var hasher = SHA256()
    /// The first bytes, for the format check.
    var head: [UInt8] = []
    var received = 0

    init(destination: String) throws {
        self.destination = destination
        let folder = (destination as NSString).deletingLastPathComponent
        do {
            try FileManager.default.createDirectory(
                atPath: folder.isEmpty ? "." : folder, withIntermediateDirectories: true)
        } catch {
            throw DownloadError(reason: .fileSystem, message: "cannot create \(folder): \(error.localizedDescription)")
        }
        let name = (destination as NSString).lastPathComponent
        temporary = (folder.isEmpty ? "." : folder) + "/.\(name).rh-partial-\(UInt32.random(in: 0...UInt32.max))"
        descriptor = open(temporary, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0o644)
        guard descriptor >= 0 else {
            throw DownloadError(
                reason: .fileSystem, message: "cannot create \(temporary): \(String(cString: strerror(errno)))")
        }
    }

    /// Appends bytes to the temporary file, hashing them.
    mutating func write(_ bytes: UnsafeRawBufferPointer) throws {
        if head.count < MediaFormat.magicLength {
            head += bytes.prefix(MediaFormat.magicLength - head.count)
        }
        hasher.update(bufferPointer: bytes)
        var offset = 0
        while offset < bytes.count {
            let written = Glibc.write(descriptor, bytes.baseAddress! + offset, bytes.count - offset)
            if written < 0 {
                if errno == EINTR { continue }
                throw DownloadError(
                    reason: .fileSystem, message: "writing \(temporary) failed: \(String(cString: strerror(errno)))")
            }
            offset += written
        }
        received += bytes.count
    }

    /// Syncs (when `durable`), closes and renames the file into place.
    mutating func commit(durable: Bool) throws {
        guard !durable || fsync(descriptor) == 0 else {
            throw DownloadError(
                reason: .fileSystem, message: "syncing \(temporary) failed: \(String(cString: strerror(errno)))")
        }
        close(descriptor)
        closed = true
        guard rename(temporary, destination) == 0 else {
            throw DownloadError(
                reason: .fileSystem,
                message: "renaming into \(destination) failed: \(String(cString: strerror(errno)))")
        }
        renamed = true
    }

    /// Closes the file and removes it unless it was committed.
    mutating func discard() {
        if !closed {
            close(descriptor)
            closed = true
        }
        if !renamed { unlink(temporary) }
    }
}
