import Hummingbird
import Logging
import NIOCore
import ServiceLifecycle

/// Serves fixed files over HTTP on a loopback port for the length of `body`: `GET /PATH` answers
/// the file at PATH, anything else 404.
enum FileServer {
    struct StartError: Error {}

    static func withRunning<Result: Sendable>(
        _ files: [String: [UInt8]], _ body: @Sendable (_ baseURL: String) async throws -> Result
    ) async throws -> Result {
        let logger = Logger(label: "test.files", factory: { _ in SwiftLogNoOpLogHandler() })
        let router = Router()
        router.get("**") { request, _ -> Response in
            guard let bytes = files[String(request.uri.path.dropFirst())] else { return Response(status: .notFound) }
            return Response(status: .ok, body: .init(byteBuffer: ByteBuffer(bytes: bytes)))
        }
        let (ports, portContinuation) = AsyncStream.makeStream(of: Int.self)
        let app = Application(
            router: router,
            configuration: .init(address: .hostname("127.0.0.1", port: 0), serverName: nil),
            onServerRunning: { channel in
                portContinuation.yield(channel.localAddress?.port ?? 0)
                portContinuation.finish()
            },
            logger: logger
        )
        let group = ServiceGroup(services: [app], gracefulShutdownSignals: [], logger: logger)
        return try await withThrowingTaskGroup(of: Result?.self) { tasks in
            tasks.addTask {
                defer { portContinuation.finish() }
                try await group.run()
                return nil
            }
            var iterator = ports.makeAsyncIterator()
            guard let port = await iterator.next() else {
                await group.triggerGracefulShutdown()
                throw StartError()
            }
            let result: Result
            do {
                result = try await body("http://127.0.0.1:\(port)")
            } catch {
                await group.triggerGracefulShutdown()
                throw error
            }
            await group.triggerGracefulShutdown()
            for try await _ in tasks {}
            return result
        }
    }
}
