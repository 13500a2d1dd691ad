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
    package func upload(bytes: [UInt8], fileName: String, contentType: String) async throws -> String {
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
        guard let object = Self.jsonObject(answer.body) else {
            throw UploadError(failure: APIFailure(
                code: "http-\(answer.status)",
                message: ErrorTable.meansWrongEndpoint(code: "http-\(answer.status)")
                    ? ErrorTable.wrongEndpointMessage("upload: HTTP \(answer.status)\(Self.describeBody(answer.body))")
                    : "HTTP \(answer.status)\(Self.describeBody(answer.body))",
                httpStatus: answer.status,
                errorClass: ErrorTable.classify(httpStatus: answer.status, duringSubmit: false)
            ))
        }
        let code = Self.string(object["code"]) ?? ""
        guard code == "0" || code == "200",
            let data = object["data"] as? [String: Any],
            let url = Self.string(data["download_url"]) ?? Self.string(data["downloadUrl"]) ?? Self.string(data["url"]),
            !url.isEmpty
        else {
            var failure = Self.envelopeFailure(object, status: answer.status)
            if (500...599).contains(answer.status) { failure.errorClass = .transient }
            throw UploadError(failure: failure)
        }
        return url
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
    package func download(url: String, to destination: String, durable: Bool = true) async throws -> DownloadedFile {
        let folder = (destination as NSString).deletingLastPathComponent
        do {
            try FileManager.default.createDirectory(atPath: folder.isEmpty ? "." : folder, withIntermediateDirectories: true)
        } catch {
            throw DownloadError(reason: .fileSystem, message: "cannot create \(folder): \(error.localizedDescription)")
        }
        let name = (destination as NSString).lastPathComponent
        let temporary = (folder.isEmpty ? "." : folder) + "/.\(name).rh-partial-\(UInt32.random(in: 0...UInt32.max))"
        let descriptor = open(temporary, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o644)
        guard descriptor >= 0 else {
            throw DownloadError(reason: .fileSystem, message: "cannot create \(temporary): \(String(cString: strerror(errno)))")
        }
        var closed = false
        var renamed = false
        defer {
            if !closed { close(descriptor) }
            if !renamed { unlink(temporary) }
        }

        var request = HTTPClientRequest(url: url)
        request.headers.add(name: "Accept", value: "image/*")
        request.headers.add(name: "User-Agent", value: "rh-batch")
        var hasher = SHA256()
        var head: [UInt8] = []
        var received = 0
        var streaming = false
        let expected: Int?
        do {
            let response = try await http.execute(request, timeout: Self.timeAmount(configuration.downloadTimeout), logger: logger)
            let status = Int(response.status.code)
            guard status == 200 else {
                let reason: DownloadError.Reason = [401, 403, 404, 410].contains(status) ? .expired : .httpStatus
                throw DownloadError(reason: reason, message: "HTTP \(status) for the result URL")
            }
            expected = response.headers.first(name: "content-length").flatMap { Int($0) }
            streaming = true
            for try await buffer in response.body {
                try buffer.withUnsafeReadableBytes { bytes in
                    if head.count < 16 { head += bytes.prefix(16 - head.count) }
                    hasher.update(bufferPointer: bytes)
                    var offset = 0
                    while offset < bytes.count {
                        let written = write(descriptor, bytes.baseAddress! + offset, bytes.count - offset)
                        if written < 0 {
                            if errno == EINTR { continue }
                            throw DownloadError(reason: .fileSystem, message: "writing \(temporary) failed: \(String(cString: strerror(errno)))")
                        }
                        offset += written
                    }
                }
                received += buffer.readableBytes
            }
        } catch let error as DownloadError {
            throw error
        } catch {
            if Task.isCancelled { throw CancellationError() }
            if streaming {
                throw DownloadError(reason: .incomplete, message: "the body broke off after \(received) bytes (\(error))")
            }
            throw DownloadError(reason: .transport, message: "the download failed after \(received) bytes: \(error)")
        }
        if let expected, expected != received {
            throw DownloadError(reason: .incomplete, message: "got \(received) of \(expected) bytes")
        }
        guard received > 0, let format = Self.imageFormat(head) else {
            throw DownloadError(reason: .notAnImage, message: "the \(received) bytes received are not a PNG, JPEG or WEBP image")
        }
        guard !durable || fsync(descriptor) == 0 else {
            throw DownloadError(reason: .fileSystem, message: "syncing \(temporary) failed: \(String(cString: strerror(errno)))")
        }
        close(descriptor)
        closed = true
        guard rename(temporary, destination) == 0 else {
            throw DownloadError(reason: .fileSystem, message: "renaming into \(destination) failed: \(String(cString: strerror(errno)))")
        }
        renamed = true
        return DownloadedFile(path: destination, bytes: received, sha256: Self.hex(hasher.finalize()), format: format)
    }

    /// `png`, `jpg` or `webp` from a file's first bytes.
    package static func imageFormat(_ head: [UInt8]) -> String? {
        if head.starts(with: [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]) { return "png" }
        if head.starts(with: [0xFF, 0xD8, 0xFF]) { return "jpg" }
        if head.count >= 12, head.starts(with: Array("RIFF".utf8)), Array(head[8..<12]) == Array("WEBP".utf8) {
            return "webp"
        }
        return nil
    }

    static func hex(_ digest: SHA256.Digest) -> String {
        digest.map { byte in
            let text = String(byte, radix: 16)
            return byte < 16 ? "0" + text : text
        }.joined()
    }
}
