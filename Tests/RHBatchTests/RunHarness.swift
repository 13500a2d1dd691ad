import Foundation
import Logging
import RHBatchCore
import RunningHubAPI
import RunningHubAdapter
import RunningHubSimulator
import RunningHubWebhook

@testable import rh_batch

/// Runs manifests in-process against the simulator on a loopback port.
struct RunHarness: Sendable {
    let folder: TempFolder

    init() throws {
        folder = try TempFolder()
        for (name, seed) in [("room.png", 1), ("sofa.png", 2), ("rug.png", 3)] {
            try folder.write(
                name,
                Data(
                    PNGEncoder.encode(width: 8, height: 6) { x, y in (UInt8(seed * 40), UInt8(x * 20), UInt8(y * 30)) })
            )
        }
    }

    /// Three models, two prompts, two ratios: 2 × (2 + 2 + 1) = 10 jobs.
    static let threeModels = """
        version: 1
        name: e2e
        output: out
        concurrency: 4
        prompts:
          green: Make it green.
          neon: Make it neon.
        matrix:
          prompt: [green, neon]
          image: room.png
          model: [gpt-image-2, nano-banana-pro, grok-imagine]
          aspect_ratio: ["16:9", "1:1"]

        """

    struct Result {
        var outcome: RunOutcome
        var ledger: Ledger
        var plan: Plan
        var output: String
    }

    func run(
        _ manifest: String,
        simulator: SimulatorConfiguration = .init(latency: 0.05...0.2),
        key: String = SimulatorConfiguration.defaultKey,
        configure: (inout RunOptions) -> Void = { _ in }
    ) async throws -> Result {
        var options = RunOptions()
        configure(&options)
        let finalOptions = options
        return try await withSimulator(simulator) { session in
            try await session.run(manifest, key: key) { $0 = Self.merge(finalOptions, into: $0) }
        }
    }

    static func merge(_ custom: RunOptions, into base: RunOptions) -> RunOptions {
        var merged = custom
        if custom.poll == PollSchedule.standard { merged.poll = base.poll }
        if custom.retryBase == .seconds(1) { merged.retryBase = base.retryBase }
        if custom.accountLimitWait == .seconds(5) { merged.accountLimitWait = base.accountLimitWait }
        merged.simulated = true
        return merged
    }

    /// A simulator that several runs share, so its ledger spans them.
    struct Session: Sendable {
        let folder: String
        let baseURL: String
        let state: SimulatorState

        func run(
            _ manifest: String,
            key: String = SimulatorConfiguration.defaultKey,
            keys: [String] = [],
            apiPath: String = "/openapi/v2",
            logger runLogger: Logger? = nil,
            listen: Bool = false,
            configure: (inout RunOptions) -> Void = { _ in }
        ) async throws -> Result {
            let path = folder + "/manifest.yaml"
            try Data(manifest.utf8).write(to: URL(fileURLWithPath: path))
            // The manifest's workflows and apps, read from this simulator as `run --simulate` does.
            var workflows = WorkflowDefinitions()
            let declarations = ManifestLoader.declarations(of: path)
            if !declarations.isEmpty {
                let configuration = RunningHubClient.Configuration(baseURL: baseURL + apiPath, apiKey: APIKey(key)!)
                let quiet = Logger(label: "test", factory: { _ in SwiftLogNoOpLogHandler() })
                workflows = try await RunningHubClient.withClient(configuration, logger: quiet) { client in
                    await WorkflowLibrary(folders: [], preferSource: true).load(declarations, source: client)
                }
            }
            let plan = try ManifestLoader().load(path, workflows: workflows)
            var options = RunOptions()
            options.poll = PollSchedule(minimum: .milliseconds(50), maximum: .milliseconds(200))
            options.retryBase = .milliseconds(100)
            options.simulated = true
            // As generous as the request timeout below: tests that check a limit read from queue
            // status must not see it learnt from refusals because a loaded machine answered late.
            options.accountLimitWait = .seconds(60)
            configure(&options)
            options.apiBaseURL = baseURL + apiPath
            let configurations = (keys.isEmpty ? [key] : keys).map { key in
                RunningHubClient.Configuration(
                    baseURL: options.apiBaseURL,
                    apiKey: APIKey(key)!,
                    // Generous: a loaded CI machine may take seconds to answer a loopback request,
                    // and a timed-out submit is an "unknown" job, which no test here means to provoke.
                    requestTimeout: .seconds(60),
                    downloadTimeout: .seconds(60)
                )
            }
            let logger = Logger(label: "test", factory: { _ in SwiftLogNoOpLogHandler() })
            let runLogger = runLogger ?? logger
            let ready = options
            // Webhook mode: a receiver on a loopback port of its own, as `run --listen` starts.
            let outcome = try await Self.listening(listen) { webhookURL, callbacks in
                var finalOptions = ready
                finalOptions.webhookURL = webhookURL
                return try await Self.execute(
                    configurations, keys: keys, plan: plan, options: finalOptions, logger: logger,
                    runLogger: runLogger, callbacks: callbacks)
            }
            return Result(
                outcome: outcome, ledger: await state.snapshot(), plan: plan,
                output: options.outputDirectory ?? plan.outputDirectory)
        }

        static func listening(
            _ listen: Bool, _ body: @Sendable (String?, AsyncStream<String>?) async throws -> RunOutcome
        ) async throws -> RunOutcome {
            guard listen else { return try await body(nil, nil) }
            let secret = WebhookReceiver.makeSecret()
            return try await WebhookReceiver.withRunning(host: "127.0.0.1", port: 0, secret: secret) {
                port, callbacks, _ in
                try await body("http://127.0.0.1:\(port)/hooks/\(secret)", callbacks)
            }
        }

        static func execute(
            _ configurations: [RunningHubClient.Configuration], keys: [String], plan: Plan,
            options finalOptions: RunOptions,
            logger: Logger, runLogger: Logger, callbacks: AsyncStream<String>?
        ) async throws -> RunOutcome {
            // Several keys: a KeyPool over one client per key, as `RH_API_KEYS` makes.
            try await RunningHubClient.withClients(configurations, logger: logger) { clients in
                let service: any RunningHubService =
                    keys.isEmpty
                    ? clients[0]
                    : KeyPool(
                        zip(keys, clients).map { KeyPool.Member(name: $0.0, key: $0.0, service: $0.1) },
                        logger: runLogger)
                let runner = BatchRunner(
                    plan: plan, options: finalOptions, service: service, logger: runLogger,
                    exitCode: RunPresenter.exitCode
                ) { _ in }
                let (stream, continuation) = AsyncStream.makeStream(of: Void.self)
                defer { continuation.finish() }
                return try await runner.run(interrupts: stream, callbacks: callbacks)
            }
        }
    }

    func withSimulator<T: Sendable>(
        _ configuration: SimulatorConfiguration = .init(latency: 0.05...0.2),
        _ body: @Sendable (Session) async throws -> T
    ) async throws -> T {
        let folder = folder.path
        return try await SimulatorServer.withRunning(configuration) { baseURL, state in
            try await body(Session(folder: folder, baseURL: baseURL, state: state))
        }
    }

    /// Every file under a folder, relative, sorted.
    static func files(_ folder: String) -> [String] {
        let enumerator = FileManager.default.enumerator(atPath: folder)
        var result: [String] = []
        while let path = enumerator?.nextObject() as? String {
            var isDirectory: ObjCBool = false
            if FileManager.default.fileExists(atPath: folder + "/" + path, isDirectory: &isDirectory),
                !isDirectory.boolValue
            {
                result.append(path)
            }
        }
        return result.sorted()
    }

    static func json(_ path: String) throws -> [String: Any] {
        try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: path))) as? [String: Any] ?? [:]
    }
}
