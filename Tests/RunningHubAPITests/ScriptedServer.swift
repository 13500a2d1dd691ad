import Foundation
import NIOConcurrencyHelpers
import NIOCore
import NIOPosix

/// A misbehaving HTTP server on a loopback port: it answers every request with scripted raw bytes
/// (garbage, HTML, a short body, a cut connection) or never answers at all.
final class ScriptedServer: Sendable {
    enum Script: Sendable {
        /// Write these bytes, then close the connection when `close` is true.
        case raw([UInt8], close: Bool)
        /// Read the request and never answer.
        case silence
        /// The first request (on any connection) gets the first answer, the next the next, and
        /// every later one the last; the connection stays open. An empty answer is silence.
        case answers([[UInt8]])
    }

    let channel: any Channel
    let group: MultiThreadedEventLoopGroup
    /// One element per complete request the server has read: tests wait on it instead of on time.
    let requests: AsyncStream<Void>

    var baseURL: String { "http://127.0.0.1:\(channel.localAddress?.port ?? 0)" }

    /// Requests answered under `.answers`, on every connection.
    var answered: Int { served.withLockedValue { $0 } }
    private let served = NIOLockedValueBox(0)

    init(_ script: Script) async throws {
        group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        let served = self.served
        let (requests, received) = AsyncStream.makeStream(of: Void.self)
        self.requests = requests
        channel = try await ServerBootstrap(group: group)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandler(
                        ScriptHandler(script: script, received: received, served: served))
                }
            }
            .bind(host: "127.0.0.1", port: 0)
            .get()
    }

    func stop() async throws {
        try await channel.close()
        try await group.shutdownGracefully()
    }

    /// A response with a status line, headers and body, as raw bytes.
    static func response(status: String, headers: [String: String] = [:], body: String, contentLength: Int? = nil)
        -> [UInt8]
    {
        var text = "HTTP/1.1 \(status)\r\n"
        for (name, value) in headers { text += "\(name): \(value)\r\n" }
        text += "Content-Length: \(contentLength ?? body.utf8.count)\r\n\r\n"
        return Array(text.utf8) + Array(body.utf8)
    }
}

private final class ScriptHandler: ChannelInboundHandler {
    typealias InboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer

    let script: ScriptedServer.Script
    let requestRead: AsyncStream<Void>.Continuation
    /// Requests served by every connection (for `.answers`).
    let served: NIOLockedValueBox<Int>
    private var received: [UInt8] = []

    init(script: ScriptedServer.Script, received: AsyncStream<Void>.Continuation, served: NIOLockedValueBox<Int>) {
        self.script = script
        self.requestRead = received
        self.served = served
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        var buffer = unwrapInboundIn(data)
        let bytes = buffer.readBytes(length: buffer.readableBytes) ?? []
        received += bytes
        guard Self.isComplete(received) else { return }
        received = []
        requestRead.yield()
        switch script {
        case .silence:
            break
        case .answers(let answers):
            let number = served.withLockedValue { count in
                defer { count += 1 }
                return count
            }
            let answer = answers[min(number, answers.count - 1)]
            guard !answer.isEmpty else { return }
            context.writeAndFlush(wrapOutboundOut(context.channel.allocator.buffer(bytes: answer)), promise: nil)
        case .raw(let answer, let close):
            let out = context.channel.allocator.buffer(bytes: answer)
            let promise: EventLoopPromise<Void>? = close ? context.eventLoop.makePromise() : nil
            context.writeAndFlush(wrapOutboundOut(out), promise: promise)
            if close {
                let channel = context.channel
                promise?.futureResult.whenComplete { _ in channel.close(promise: nil) }
            }
        }
    }

    /// True once the headers and a `Content-Length` body (if any) have arrived.
    static func isComplete(_ bytes: [UInt8]) -> Bool {
        let separator: [UInt8] = Array("\r\n\r\n".utf8)
        guard let end = bytes.indices.first(where: { bytes[$0...].starts(with: separator) }) else { return false }
        let head = String(decoding: bytes[..<end], as: UTF8.self).lowercased()
        var length = 0
        for line in head.split(separator: "\r\n") where line.hasPrefix("content-length:") {
            length = Int(line.dropFirst("content-length:".count).trimmingCharacters(in: .whitespaces)) ?? 0
        }
        return bytes.count >= end + 4 + length
    }
}
