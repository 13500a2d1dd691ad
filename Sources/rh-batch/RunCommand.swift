import ArgumentParser
import Dispatch
import Foundation
import Logging
import RHBatchCore
import RunningHubAPI
import RunningHubAdapter
import RunningHubSimulator
import RunningHubWebhook

#if canImport(Glibc)
    import Glibc
#endif

/// `rh-batch run MANIFEST`: validate, plan, upload, submit, poll, download, report.
struct RunCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "run",
        abstract: "Run a manifest: upload, submit, poll, download, write sidecars, index and report.",
        discussion: """
            Needs RH_API_KEY (and optionally RH_API_BASE_URL), or --simulate to run against the \
            built-in simulator with no key. Re-running into the same output folder does only what is \
            left. Exit codes: 0 all done, 1 some jobs did not succeed, 2 stopped early (key, \
            budget, API unreachable), 64 invalid input, 130 interrupted.
            """
    )

    @Argument(help: "The manifest.", completion: .file(extensions: ["yaml", "yml"]))
    var manifest: String

    @Flag(
        help:
            "Run against the built-in simulator on a loopback port; no API key needed. --simulate=SCENARIO picks a scenario."
    )
    var simulate = false

    @Option(
        help:
            "Simulator scenario(s) for --simulate, combined with '+' (clean, flaky, ratelimit, moderation, slow, multi, quirky, expire, failing, lagging)."
    )
    var scenario = ScenarioList(argument: "clean")!

    @Option(help: "Simulated task latency for --simulate, MIN:MAX seconds.")
    var simLatency = SecondsRange(1...3)

    @Option(
        name: .customLong("sim-workflow"),
        help: ArgumentHelp(
            "A workflow of your own for --simulate: ID=FILE, FILE an API-format graph exported from ComfyUI (repeatable).",
            valueName: "ID=FILE"), transform: SimulatedWorkflow.parse)
    var simWorkflowEntries: [SimulatedWorkflow] = []

    var simWorkflow: SimulatedWorkflow.List { SimulatedWorkflow.List(entries: simWorkflowEntries) }

    @Option(help: "Simulated concurrency limit per key for --simulate.")
    var simConcurrencyLimit: Int?

    @Option(
        name: [.customShort("j"), .long], help: "Most tasks in flight at once (overrides the manifest's concurrency).")
    var concurrency: Int?

    @Option(name: [.customShort("o"), .long], help: "Output folder (overrides the manifest's output).")
    var output: String?

    @Flag(help: "Skip jobs that do not fit their model instead of refusing the manifest.")
    var skipInvalid = false

    @Flag(help: "Run again the jobs that ended failed in an earlier run of this output folder.")
    var retryFailed = false

    @Flag(help: "Resubmit jobs whose earlier submit had an unknown outcome (may bill twice).")
    var resubmitUnknown = false

    @Option(
        help:
            "Stop submitting once estimated plus actual spend would pass this amount, in the account's currency (an account billed in another currency than the catalog's counts only what was billed)."
    )
    var maxCost: Amount?

    @Option(
        help: ArgumentHelp(
            "The currency --max-cost is in (default: the account's). The catalog's currency on an account billed in another makes --max-cost count the catalog's estimates, not what was billed; any other currency stops the run before its first submit.",
            valueName: "code"))
    var maxCostCurrency: String?

    @Option(
        help:
            "Stop submitting once the RH coins of workflow and app jobs (estimate_seconds, then as billed) would pass this."
    )
    var maxCoins: Amount?

    @Flag(
        help:
            "With --max-cost, run jobs whose price the catalog does not know; with --max-coins, workflow jobs without estimate_seconds (they count as zero)."
    )
    var allowUnpriced = false

    @Option(
        help: ArgumentHelp(
            "Run only the jobs whose key falls in shard I of N (0-based), e.g. 0/4. auto/N reads I from the array-job engine (Kubernetes, Slurm, AWS Batch, Cloud Run, Google Batch, PBS Pro, Grid Engine); auto alone also reads N where the engine gives it.",
            valueName: "shard"),
        transform: ShardArgument.parse)
    var shard: ShardArgument?

    @Option(
        help: "Poll schedule MIN:MAX seconds: the first wait and the longest (default 3:15; 0.25:2 with --simulate).")
    var pollInterval: SecondsRange?

    @Option(help: "Seconds a task may take before it is given up as timeout.")
    var taskTimeout: Double = 1800

    @Option(help: "Seconds the first Ctrl-C waits for tasks in flight before stopping.")
    var drainTimeout: Double = 300

    @Option(help: "Downloads at once.")
    var downloadConcurrency = 8

    @Option(
        help:
            "The most queries per second per API key, all its tasks together. Default: no cap of rh-batch's own; the rate is learnt from the API's rate-limit answers (0 also means no cap)."
    )
    var queryRate: Double?

    @Option(
        help: ArgumentHelp(
            "Webhook mode: receive the service's task-end callbacks on HOST:PORT (0: any free port) and poll only as a safety net.",
            valueName: "host:port"))
    var listen: ListenAddress?

    @Option(
        help: ArgumentHelp(
            "With --listen: the URL the service calls when it reaches the receiver through another address (a proxy, a Kubernetes Service); default http://HOST:PORT. The run's secret is added as the last path segment.",
            valueName: "url"))
    var webhookUrl: String?

    @Flag(help: "List remote (URL) inputs by URL in metadata.jsonl instead of fetching them into the output folder.")
    var inputsByURL = false

    @Option(help: "The largest result file accepted, in MB.")
    var maxFileMB = 2048

    @Option(
        help: ArgumentHelp(
            "API keys of several accounts, one per line (optionally name=KEY; # comments): jobs go to whichever key has room. Default: RH_API_KEYS (comma-separated), else RH_API_KEY.",
            valueName: "file"), completion: .file())
    var keysFile: String?

    @Flag(help: "Do not ask the API for the key's concurrency limit; learn it from refusals instead.")
    var ignoreAccountLimit = false

    @Flag(help: "No progress display.")
    var noProgress = false

    @Flag(name: .shortAndLong, help: "Print only the summary.")
    var quiet = false

    @Flag(
        name: .shortAndLong,
        help:
            "Log each decision (submit, refusal, learnt limit, query, download, journal sync) to standard error, with the job key and task id."
    )
    var verbose = false

    func validate() throws {
        if let concurrency, !(1...500).contains(concurrency) { throw ValidationError("-j must be 1...500") }
        guard maxFileMB >= 1 else { throw ValidationError("--max-file-mb must be at least 1") }
        if webhookUrl != nil && listen == nil {
            throw ValidationError("--webhook-url needs --listen HOST:PORT: the receiver the URL leads to")
        }
        if let webhookUrl, !(webhookUrl.hasPrefix("http://") || webhookUrl.hasPrefix("https://")) {
            throw ValidationError("--webhook-url must be an http:// or https:// URL")
        }
        if let queryRate, !(queryRate == 0 || (queryRate >= QueryBudget.minimumRate && queryRate <= 1_000_000)) {
            throw ValidationError("--query-rate must be 0 (no cap) or from 0.5 to 1000000 queries a second")
        }
        if let maxCostCurrency {
            guard maxCost != nil else { throw ValidationError("--max-cost-currency goes with --max-cost") }
            guard maxCostCurrency.utf8.count == 3, maxCostCurrency.unicodeScalars.allSatisfy(\.properties.isAlphabetic),
                maxCostCurrency.allSatisfy(\.isASCII)
            else {
                throw ValidationError("--max-cost-currency must be a three-letter currency code such as CNY or USD")
            }
        }
        guard taskTimeout > 0, drainTimeout >= 0, downloadConcurrency >= 1 else {
            throw ValidationError("--task-timeout, --drain-timeout and --download-concurrency must be positive")
        }
    }

    @OptionGroup var catalogOption: CatalogOption

    func run() async throws {
        // Lock and read an existing output folder while the plan expands: both take a while for
        // a 100,000-job folder, and neither needs the other. A new folder is made only once the
        // manifest is known to be valid.
        let preparing = prepareFolder()
        let plan: Plan
        do {
            let workflows = await WorkflowReading.definitions(
                manifest: manifest, output: output, simulator: simulate ? simulatorConfiguration : nil,
                preferSource: true, keysFile: keysFile)
            plan = try loadPlan(workflows)
        } catch {
            _ = await preparing.value
            throw error
        }
        let prepared: PreparedFolder?
        switch await preparing.value {
        case .success(let ready): prepared = ready
        case .failure(let error):
            Console.error("error: \(error)")
            throw ExitCode(.stopped)
        case nil: prepared = nil
        }
        // Standard error: with --verbose, one line per decision.
        var logger = Logger(label: "rh-batch", factory: { StreamLogHandler.standardError(label: $0) })
        logger.logLevel = verbose ? .debug : .warning
        var options = runOptions()
        // A shard's folder stays that shard's: another shard or none here would bill jobs twice.
        if let problem = ShardMarker.claim(
            folder: options.outputDirectory ?? plan.outputDirectory, shard: options.shard)
        {
            Console.error("error: \(problem)")
            throw ExitCode(.invalid)
        }
        let presenter = RunPresenter(
            mode: quiet || noProgress ? .off : (isatty(STDOUT_FILENO) == 1 ? .live : .lines(every: .seconds(10))),
            quiet: quiet, currency: plan.currency)
        options.progressInterval = presenter.interval
        let interrupts = SignalWatcher.interrupts()
        let outcome: RunOutcome
        if let listen {
            outcome = try await runListening(
                listen, plan, options, logger: logger, presenter: presenter, interrupts, prepared)
        } else {
            outcome = try await dispatch(plan, options, logger: logger, presenter: presenter, interrupts, prepared)
        }
        Console.out(outcome.summary + "\n")
        // Exit here, with the run's state still held: freeing 100,000 jobs' records one by one
        // only to exit would add a noticeable pause to a large resume.
        withExtendedLifetime(outcome) { Glibc.exit(outcome.exitCode) }
    }

    /// Runs against the simulator or the API.
    private func dispatch(
        _ plan: Plan, _ options: RunOptions, logger: Logger, presenter: RunPresenter,
        _ interrupts: AsyncStream<Void>, _ prepared: PreparedFolder?, callbacks: AsyncStream<String>? = nil
    ) async throws -> RunOutcome {
        simulate
            ? try await runSimulated(
                plan, options, logger: logger, presenter: presenter, interrupts, prepared, callbacks: callbacks)
            : try await runLive(
                plan, options, logger: logger, presenter: presenter, interrupts, prepared, callbacks: callbacks)
    }

    /// Webhook mode: the run with a receiver beside it, every submit carrying its URL and the
    /// run's secret.
    private func runListening(
        _ listen: ListenAddress, _ plan: Plan, _ runOptions: RunOptions, logger: Logger, presenter: RunPresenter,
        _ interrupts: AsyncStream<Void>, _ prepared: PreparedFolder?
    ) async throws -> RunOutcome {
        let secret = WebhookReceiver.makeSecret()
        do {
            return try await WebhookReceiver.withRunning(host: listen.host, port: listen.port, secret: secret) {
                port, callbacks, counts in
                var options = runOptions
                var base = webhookUrl ?? "http://\(listen.urlHost):\(port)"
                while base.hasSuffix("/") { base.removeLast() }
                options.webhookURL = base + "/" + secret
                if webhookUrl == nil, ["0.0.0.0", "::"].contains(listen.host) {
                    Console.error(
                        "warning: --listen \(listen.host) without --webhook-url: the service is told to call \(base), which it cannot reach; give --webhook-url with the address it can"
                    )
                }
                if !quiet {
                    Console.out(
                        "webhooks: listening on \(listen.urlHost):\(port); the service calls \(base)/<secret>\n")
                }
                let outcome = try await dispatch(
                    plan, options, logger: logger, presenter: presenter, interrupts, prepared, callbacks: callbacks)
                let seen = counts()
                let refused = seen.wrongPath + seen.tooLarge + seen.malformed
                if !quiet && refused > 0 {
                    Console.out(
                        "webhooks: \(refused) requests refused (\(seen.wrongPath) without the run's secret, \(seen.tooLarge) too large, \(seen.malformed) not a callback)\n"
                    )
                }
                return outcome
            }
        } catch let error as ReceiverStartError {
            Console.error("error: \(error) (is the port in use, or the address not this machine's?)")
            throw ExitCode(.stopped)
        }
    }

    /// Locks and reads the output folder, when it exists, beside the planning.
    private func prepareFolder() -> Task<Result<PreparedFolder, RunSetupError>?, Never> {
        var info = stat()
        let folder = (output ?? ManifestLoader.outputDirectory(of: manifest)).flatMap {
            stat($0, &info) == 0 && info.st_mode & S_IFMT == S_IFDIR ? $0 : nil
        }
        return Task.detached { () -> Result<PreparedFolder, RunSetupError>? in
            guard let folder else { return nil }
            do throws(RunSetupError) {
                return .success(try PreparedFolder(folder))
            } catch {
                return .failure(error)
            }
        }
    }

    /// The plan, refused when `--max-cost` cannot bound it (jobs of unknown price).
    private func loadPlan(_ workflows: WorkflowDefinitions) throws -> Plan {
        let plan = try Console.loadPlan(
            manifest, skipInvalid: skipInvalid, catalog: try catalogOption.load(), workflows: workflows)
        if maxCost != nil, plan.unpricedJobs > 0, !allowUnpriced {
            let models = Set(plan.jobs.filter { !$0.priceKnown }.map(\.model)).sorted().joined(separator: ", ")
            Console.error(
                "error: --max-cost cannot bound \(plan.unpricedJobs) jobs whose price is unknown (\(models)); add --allow-unpriced to run them anyway, counted as zero"
            )
            throw ExitCode(.invalid)
        }
        let coins = plan.coinEstimate
        if maxCoins != nil, coins.unknown > 0, !allowUnpriced {
            let models = Set(
                plan.jobs.filter {
                    $0.shape.value.sendsFileNames
                        && plan.catalog.model(named: $0.model)?.workflow?.estimatedCoins == nil
                }.map(\.model)
            ).sorted().joined(separator: ", ")
            Console.error(
                "error: --max-coins cannot bound \(coins.unknown) workflow jobs without estimate_seconds (\(models)); declare it, or add --allow-unpriced to run them anyway, counted as zero"
            )
            throw ExitCode(.invalid)
        }
        return plan
    }

    /// The run's options, from the command line (each option parsed once, by its type).
    private func runOptions() -> RunOptions {
        var options = RunOptions()
        options.concurrency = concurrency
        options.outputDirectory = output
        options.retryFailed = retryFailed
        options.resubmitUnknown = resubmitUnknown
        options.maxCost = maxCost?.money
        options.maxCostCurrency = maxCostCurrency?.uppercased()
        options.maxCoins = maxCoins?.money
        options.shard = shard.map { ($0.index, $0.count) }
        options.downloadConcurrency = downloadConcurrency
        options.queryRate = queryRate.flatMap { $0 > 0 ? $0 : nil }
        options.fetchRemoteInputs = !inputsByURL
        options.drainTimeout = .milliseconds(Int64(drainTimeout * 1000))
        let poll = pollInterval ?? SecondsRange(simulate ? 0.25...2 : 3...15)
        options.poll = PollSchedule(
            minimum: poll.minimum, maximum: poll.maximum, taskTimeout: .milliseconds(Int64(taskTimeout * 1000)))
        options.simulated = simulate
        options.logDecisions = verbose
        options.askAccountLimit = !ignoreAccountLimit
        if simulate { options.retryBase = .milliseconds(250) }
        return options
    }

    /// The simulator `--simulate` runs against.
    private var simulatorConfiguration: SimulatorConfiguration {
        var configuration = SimulatorConfiguration(
            scenarios: scenario.scenarios, latency: simLatency.range, concurrencyLimit: simConcurrencyLimit)
        configuration.workflows = simWorkflow.files
        return configuration
    }

    /// Runs against the built-in simulator; several keys (RH_API_KEYS, --keys-file) are
    /// simulated accounts too.
    private func runSimulated(
        _ plan: Plan, _ runOptions: RunOptions, logger: Logger, presenter: RunPresenter,
        _ interrupts: AsyncStream<Void>, _ prepared: PreparedFolder?, callbacks: AsyncStream<String>?
    ) async throws -> RunOutcome {
        let configuration = simulatorConfiguration
        let keys = try Self.keys(file: keysFile, environmentName: nil) ?? [("key1", SimulatorConfiguration.defaultKey)]
        let scenarioName = scenario.text
        let maxFileMB = maxFileMB
        return try await SimulatorServer.withRunning(configuration) { baseURL, _ in
            var options = runOptions
            options.apiBaseURL = baseURL + "/openapi/v2"
            Console.out("simulating RunningHub at \(options.apiBaseURL) (scenario: \(scenarioName))\n")
            let clients = Self.clients(keys, baseURL: options.apiBaseURL, maxFileMB: maxFileMB)
            return try await Self.execute(
                plan: plan, options: options, clients: clients, logger: logger, presenter: presenter,
                interrupts: interrupts, prepared: prepared, callbacks: callbacks)
        }
    }

    /// Runs against the API with the key(s) of the environment or `--keys-file`.
    private func runLive(
        _ plan: Plan, _ runOptions: RunOptions, logger: Logger, presenter: RunPresenter,
        _ interrupts: AsyncStream<Void>, _ prepared: PreparedFolder?, callbacks: AsyncStream<String>?
    ) async throws -> RunOutcome {
        guard let keys = try Self.keys(file: keysFile, environmentName: "RH_API_KEY") else {
            Console.error(
                "error: RH_API_KEY is not set; set it to your RunningHub API key (RH_API_KEYS or --keys-file for several), or try --simulate"
            )
            throw ExitCode(.stopped)
        }
        var options = runOptions
        options.apiBaseURL = Environment.value("RH_API_BASE_URL") ?? RunningHubClient.Configuration.defaultBaseURL
        let clients = Self.clients(keys, baseURL: options.apiBaseURL, maxFileMB: maxFileMB)
        return try await Self.execute(
            plan: plan, options: options, clients: clients, logger: logger, presenter: presenter,
            interrupts: interrupts, prepared: prepared, callbacks: callbacks)
    }

    /// The keys to run with: `--keys-file`, else `RH_API_KEYS`, else the single `environmentName`
    /// variable; `nil` when none is given. Each entry is `KEY` or `name=KEY`.
    static func keys(file: String?, environmentName: String?) throws -> [(name: String, key: String)]? {
        var entries: [String] = []
        if let file {
            guard let data = FileManager.default.contents(atPath: file) else {
                Console.error("error: --keys-file: cannot read \(file)")
                throw ExitCode(.invalid)
            }
            entries = String(decoding: data, as: UTF8.self).split(whereSeparator: \.isNewline).map(String.init)
        } else if let list = Environment.value("RH_API_KEYS") {
            entries = list.split(separator: ",").map(String.init)
        } else if let name = environmentName, let key = Environment.value(name) {
            entries = [key]
        }
        var keys: [(name: String, key: String)] = []
        for entry in entries {
            let text = entry.trimmingCharacters(in: .whitespaces)
            if text.isEmpty || text.hasPrefix("#") { continue }
            if let equals = text.firstIndex(of: "="), equals != text.startIndex,
                text[..<equals].allSatisfy({ $0.isLetter || $0.isNumber || "._-".contains($0) }),
                text.index(after: equals) < text.endIndex
            {
                keys.append((String(text[..<equals]), String(text[text.index(after: equals)...])))
            } else {
                keys.append(("key\(keys.count + 1)", text))
            }
        }
        if keys.isEmpty { return file == nil ? nil : [] }
        let names = keys.map(\.name)
        if Set(names).count != names.count {
            Console.error("error: two API keys have the same name; give each a distinct name= prefix")
            throw ExitCode(.invalid)
        }
        return keys
    }

    /// One client configuration per key, named.
    static func clients(_ keys: [(name: String, key: String)], baseURL: String, maxFileMB: Int)
        -> [(name: String, key: String, configuration: RunningHubClient.Configuration)]
    {
        keys.map { key in
            var client = RunningHubClient.Configuration(baseURL: baseURL, apiKey: APIKey(key.key)!)
            client.maxDownloadBytes = maxFileMB * 1024 * 1024
            return (name: key.name, key: key.key, configuration: client)
        }
    }

    static func execute(
        plan: Plan,
        options: RunOptions,
        clients: [(name: String, key: String, configuration: RunningHubClient.Configuration)],
        logger: Logger,
        presenter: RunPresenter,
        interrupts: AsyncStream<Void>,
        prepared: PreparedFolder?,
        callbacks: AsyncStream<String>? = nil
    ) async throws -> RunOutcome {
        guard !clients.isEmpty else {
            Console.error("error: the keys file names no key")
            throw ExitCode(.invalid)
        }
        // One HTTP client per key, all open for the run; several keys share the run as a pool.
        // The HTTP client's own lines are not decisions: warnings only, even with --verbose.
        var clientLogger = logger
        clientLogger.logLevel = .warning
        return try await RunningHubClient.withClients(clients.map(\.configuration), logger: clientLogger) { services in
            let service: any RunningHubService =
                services.count == 1
                ? services[0]
                : KeyPool(
                    zip(clients, services).map { KeyPool.Member(name: $0.name, key: $0.key, service: $1) },
                    logger: logger)
            let runner = BatchRunner(
                plan: plan, options: options, service: service, logger: logger, exitCode: RunPresenter.exitCode
            ) { update in
                presenter.show(update)
            }
            do {
                return try await runner.run(interrupts: interrupts, prepared: prepared, callbacks: callbacks)
            } catch {
                Console.error("error: \(error)")
                throw ExitCode(.stopped)
            }
        }
    }
}

/// Turns SIGINT and SIGTERM into an async stream, one element per signal.
enum SignalWatcher {
    /// The stream of interrupts; the default handlers are replaced for the life of the process.
    static func interrupts() -> AsyncStream<Void> {
        let (stream, continuation) = AsyncStream.makeStream(of: Void.self)
        let queue = DispatchQueue(label: "rh-batch.signals")
        var sources: [any DispatchSourceSignal] = []
        for number in [SIGINT, SIGTERM] {
            signal(number, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: number, queue: queue)
            source.setEventHandler { continuation.yield() }
            source.resume()
            sources.append(source)
        }
        Retained.sources = sources
        return stream
    }

    /// Keeps the signal sources alive for the process's life.
    private enum Retained {
        nonisolated(unsafe) static var sources: [any DispatchSourceSignal] = []
    }
}

/// Reads the process environment.
enum Environment {
    static func value(_ name: String) -> String? {
        guard let pointer = getenv(name) else { return nil }
        let text = String(cString: pointer)
        return text.isEmpty ? nil : text
    }
}
