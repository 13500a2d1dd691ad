import Foundation
import Hummingbird
import Logging
import NIOConcurrencyHelpers
import NIOCore
import ServiceLifecycle

/// The receiver of RunningHub's webhook callbacks for one run: a small Hummingbird server that
/// hands each callback's task id to the run and answers at once.
///
/// The service does not sign its callbacks, so the receiver trusts nothing in them: a callback
/// must come to a path whose last segment is the run's secret (else 404), its body must be small
/// (else 413) and a JSON object with a task id as text (else 400), and even then it is only a
/// hint: the run asks the task itself. `eventData` (an object, or a JSON string for workflow
/// tasks) is not read.
package enum WebhookReceiver {
    /// The largest body taken: a callback is a task id and one task's answer.
    package static let maximumBody = 256 * 1024

    /// What the receiver answered, for the report.
    package struct Counts: Sendable, Hashable {
        /// Callbacks handed to the run.
        package var accepted = 0
        /// Requests without the run's secret (404), too large (413), not a callback (400), and
        /// callbacks of another event than `TASK_END` (200, not handed on).
        package var wrongPath = 0
        package var tooLarge = 0
        package var malformed = 0
        package var otherEvents = 0

        package init() {}
    }

    /// A fresh secret: 128 random bits as 32 hex digits.
    package static func makeSecret() -> String {
        var generator = SystemRandomNumberGenerator()
        return (0..<2).map { _ in
            let text = String(generator.next() as UInt64, radix: 16)
            return String(repeating: "0", count: 16 - text.count) + text
        }.joined()
    }

    /// The task id of a callback body, or why there is none: `nil` task id with `isEvent` false
    /// for a body that is not a callback, `isEvent` false with a task id never.
    package static func parse(_ bytes: [UInt8]) -> (taskId: String?, isTaskEnd: Bool) {
        guard let object = (try? JSONSerialization.jsonObject(with: Data(bytes))) as? [String: Any] else {
            return (nil, false)
        }
        let taskId: String?
        switch object["taskId"] {
        case let text as String: taskId = text
        // A number is taken only when it is an exact integer (a 19-digit id through a double
        // has lost its last digits).
        case let number as NSNumber where number.stringValue.allSatisfy(\.isNumber): taskId = number.stringValue
        default: taskId = nil
        }
        guard let taskId, !taskId.isEmpty, taskId.count <= 64 else { return (nil, false) }
        let event = object["event"] as? String
        return (taskId, event == nil || event == "TASK_END")
    }

    /// Serves callbacks on `host:port` (0: any free port) for the duration of `body`, which
    /// receives the port bound, the task ids as they come, and the counts so far.
    package static func withRunning<Result: Sendable>(
        host: String, port: Int, secret: String,
        logger: Logger = Logger(label: "rh-batch.webhook", factory: { _ in SwiftLogNoOpLogHandler() }),
        _ body:
            @Sendable (_ port: Int, _ callbacks: AsyncStream<String>, _ counts: @Sendable () -> Counts) async throws
            -> Result
    ) async throws -> Result {
        let counts = NIOLockedValueBox(Counts())
        // Bounded: a flood of callbacks keeps the newest, never all of them in memory.
        let (callbacks, continuation) = AsyncStream.makeStream(
            of: String.self, bufferingPolicy: .bufferingNewest(100_000))
        let router = Router()
        router.post("**") { request, context -> Response in
            guard context.parameters.getCatchAll().last.map(String.init) == secret else {
                counts.withLockedValue { $0.wrongPath += 1 }
                return Response(status: .notFound)
            }
            var request = request
            let bytes: [UInt8]
            do {
                bytes = Array(buffer: try await request.collectBody(upTo: maximumBody))
            } catch {
                counts.withLockedValue { $0.tooLarge += 1 }
                return Response(status: .contentTooLarge)
            }
            let (taskId, isTaskEnd) = parse(bytes)
            guard let taskId else {
                counts.withLockedValue { $0.malformed += 1 }
                return Response(status: .badRequest)
            }
            if isTaskEnd {
                counts.withLockedValue { $0.accepted += 1 }
                continuation.yield(taskId)
            } else {
                counts.withLockedValue { $0.otherEvents += 1 }
            }
            return Response(
                status: .ok, headers: [.contentType: "application/json"],
                body: .init(byteBuffer: ByteBuffer(string: #"{"code":0,"msg":"success"}"#)))
        }
        let (ports, portContinuation) = AsyncStream.makeStream(of: Int.self)
        let app = Application(
            router: router,
            configuration: .init(address: .hostname(host, port: port), serverName: nil),
            onServerRunning: { channel in
                portContinuation.yield(channel.localAddress?.port ?? 0)
                portContinuation.finish()
            },
            logger: logger
        )
        let group = ServiceGroup(services: [app], gracefulShutdownSignals: [], logger: logger)
        return try await withThrowingTaskGroup(of: Result?.self) { tasks in
            tasks.addTask {
                // A bind that fails never calls onServerRunning: the waiting below must end too.
                defer { portContinuation.finish() }
                try await group.run()
                return nil
            }
            var iterator = ports.makeAsyncIterator()
            guard let bound = await iterator.next() else {
                await group.triggerGracefulShutdown()
                throw ReceiverStartError(host: host, port: port)
            }
            let result: Result
            do {
                result = try await body(bound, callbacks) { counts.withLockedValue { $0 } }
            } catch {
                continuation.finish()
                await group.triggerGracefulShutdown()
                throw error
            }
            continuation.finish()
            await group.triggerGracefulShutdown()
            for try await _ in tasks {}
            return result
        }
    }
}

/// The receiver could not listen where it was asked to.
package struct ReceiverStartError: Error, CustomStringConvertible {
    package var host: String
    package var port: Int
    package var description: String { "cannot listen for webhooks on \(host):\(port)" }
}
