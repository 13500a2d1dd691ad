import Foundation
import Hummingbird
import Logging
import NIOCore
import ServiceLifecycle

/// The RunningHub simulator: the API's paths on a loopback Hummingbird server.
///
/// `buildRouter` is shared by the `rh-batch simulator` command, `--simulate` and the tests.
package enum SimulatorServer {
    /// Builds the router over a state.
    package static func buildRouter(state: SimulatorState) -> Router<BasicRequestContext> {
        let router = Router()
        let handlers = SimulatorHandlers(state: state)
        router.post("/openapi/v2/query") { request, _ in try await handlers.query(request) }
        router.post("/openapi/v2/media/upload/binary") { request, _ in try await handlers.upload(request) }
        router.get("/openapi/v2/queue/status") { request, _ in try await handlers.queueStatus(request) }
        // Endpoints have one to three path parts (`kling-elements`, `alibaba/wan-2.7/text-to-image`).
        router.post("/openapi/v2/**") { request, context in
            let endpoint = context.parameters.getCatchAll().joined(separator: "/")
            return try await handlers.submit(request, endpoint: endpoint)
        }
        router.post("/api/openapi/getJsonApiFormat") { request, _ in try await handlers.workflowGraph(request) }
        router.get("/api/webapp/apiCallDemo") { request, _ in try await handlers.appFields(request) }
        router.post("/task/openapi/outputs") { request, _ in try await handlers.outputs(request) }
        router.post("/uc/openapi/accountStatus") { request, _ in try await handlers.account(request) }
        router.post("/task/openapi/cancel") { request, _ in try await handlers.cancel(request) }
        router.get("/view") { request, _ in try await handlers.view(request) }
        router.get("/results/:task/:file") { request, context in
            try await handlers.result(
                request,
                taskId: context.parameters.get("task") ?? "",
                file: context.parameters.get("file") ?? ""
            )
        }
        router.get("/__simulator/ledger") { _, _ in try await handlers.ledger() }
        return router
    }

    /// Runs a simulator for the duration of `body`, on a loopback port, and stops it afterwards.
    ///
    /// - Parameter body: receives the base URL (`http://127.0.0.1:PORT`) and the state.
    package static func withRunning<Result: Sendable>(
        _ configuration: SimulatorConfiguration,
        logger: Logger = Logger(label: "rh-batch.simulator", factory: { _ in SwiftLogNoOpLogHandler() }),
        _ body: @Sendable (_ baseURL: String, _ state: SimulatorState) async throws -> Result
    ) async throws -> Result {
        let state = SimulatorState(configuration: configuration)
        let (ports, portContinuation) = AsyncStream.makeStream(of: Int.self)
        let app = Application(
            router: buildRouter(state: state),
            configuration: .init(address: .hostname(configuration.host, port: configuration.port), serverName: nil),
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
            guard let port = await iterator.next() else {
                await group.triggerGracefulShutdown()
                throw SimulatorStartError()
            }
            let result: Result
            do {
                result = try await body("http://\(configuration.host):\(port)", state)
            } catch {
                await group.triggerGracefulShutdown()
                throw error
            }
            await group.triggerGracefulShutdown()
            for try await _ in tasks {}
            return result
        }
    }

    /// Runs a simulator until the process is interrupted; `ready` gets the base URL first.
    package static func run(
        _ configuration: SimulatorConfiguration,
        logger: Logger,
        ready: @escaping @Sendable (String) -> Void
    ) async throws {
        let state = SimulatorState(configuration: configuration)
        let app = Application(
            router: buildRouter(state: state),
            configuration: .init(address: .hostname(configuration.host, port: configuration.port), serverName: nil),
            onServerRunning: { channel in
                ready("http://\(configuration.host):\(channel.localAddress?.port ?? 0)")
            },
            logger: logger
        )
        try await app.runService()
    }
}

/// The simulator server did not start.
package struct SimulatorStartError: Error, CustomStringConvertible {
    package var description: String { "the simulator could not start listening" }
}
