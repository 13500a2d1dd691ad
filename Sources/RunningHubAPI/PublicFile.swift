import AsyncHTTPClient
import NIOCore
import NIOHTTP1

/// A file the vendor publishes (its model registry and price table), fetched whole by
/// `rh-batch catalog update`: any `http(s)` URL, answered 200, at most `limit` bytes.
package enum PublicFile {
    /// Why a file could not be fetched.
    package struct Failure: Error, Sendable, CustomStringConvertible {
        package var description: String
    }

    /// The bytes at `url`.
    package static func download(_ url: String, limit: Int = 64 << 20, timeout: TimeAmount = .seconds(60))
        async throws(Failure) -> [UInt8]
    {
        guard url.hasPrefix("http://") || url.hasPrefix("https://") else {
            throw Failure(description: "\(url): not an http(s) URL")
        }
        do {
            var request = HTTPClientRequest(url: url)
            request.headers.add(name: "User-Agent", value: "rh-batch")
            let response = try await HTTPClient.shared.execute(request, timeout: timeout)
            guard response.status == .ok else {
                throw Failure(
                    description: "\(url): the server answered \(response.status.code) \(response.status.reasonPhrase)")
            }
            let body = try await response.body.collect(upTo: limit)
            return Array(body.readableBytesView)
        } catch let failure as Failure {
            throw failure
        } catch let error as NIOTooManyBytesError {
            _ = error
            throw Failure(description: "\(url): larger than \(limit >> 20) MiB; refusing it")
        } catch {
            throw Failure(description: "\(url): \(error)")
        }
    }
}
