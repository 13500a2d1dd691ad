import ArgumentParser
import Logging
import RunningHubSimulator

#if canImport(Glibc)
    import Glibc
#endif

/// `rh-batch simulator`: the built-in RunningHub simulator as a server of its own.
struct SimulatorCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "simulator",
        abstract: "Run the built-in RunningHub simulator on 127.0.0.1 until interrupted.",
        discussion: """
            Point rh-batch at it with RH_API_BASE_URL=<printed URL>/openapi/v2 and any API key \
            (keys starting with 'bad' are refused as invalid, 'personal' as the wrong key type). \
            Scenarios combine with '+': clean, flaky, ratelimit, moderation, slow, multi, quirky, \
            expire, failing, lagging, chaos (all at once). GET /__simulator/ledger shows what it saw.
            """
    )

    @Option(help: "The port; 0 picks a free one.")
    var port = 0

    @Option(help: "The loopback address to listen on.")
    var host = "127.0.0.1"

    @Option(help: "Fault scenarios, combined with '+' (e.g. flaky+multi).")
    var scenario = ScenarioList(argument: "clean")!

    @Option(help: "Task latency range in seconds, MIN:MAX.")
    var latency = SecondsRange(0.5...2)

    @Option(help: "Most unfinished tasks per key before submits get 421 (default 50, 8 under ratelimit).")
    var concurrencyLimit: Int?

    @Option(help: "Submits per second per key before HTTP 429, under ratelimit.")
    var submitsPerSecond = 20

    @Option(help: "Queries per second per key before HTTP 429 with 1003 (a sliding second); default: no limit.")
    var queriesPerSecond: Int?

    @Option(help: "Share of webhook callbacks never sent (0...1).")
    var webhookDrop = 0.0

    @Option(help: "Share of webhook callbacks sent twice (0...1).")
    var webhookDuplicate = 0.0

    @Option(help: "Longest extra delay of a webhook callback in seconds (each a random share of it).")
    var webhookDelay = 0.0

    @Option(help: "Share of webhook callbacks followed by a forged one for a task id never issued (0...1).")
    var webhookForge = 0.0

    @Option(help: "Share of webhook callbacks held back until another callback has been sent (0...1).")
    var webhookReorder = 0.0

    @Option(
        help:
            "Share of tasks that get a forged success callback (their own task id, a foreign result) while they run (0...1)."
    )
    var webhookForgeRunning = 0.0

    @Option(help: "Seed of the simulator's random choices.")
    var seed: UInt64 = 1

    @Option(help: "Seconds result URLs work under the expire scenario.")
    var resultLifetime: Double?

    @Option(help: "Long side of result images in pixels.")
    var resultSide = 64

    @Option(help: "Bytes of padding added to each result image (for download benchmarks).")
    var resultPadding = 0

    @Option(help: "Account balance in CNY.")
    var balance: Double = 1_000_000

    @Option(
        name: .customLong("key-limit"),
        help: ArgumentHelp(
            "A key with a concurrency limit of its own (another account), KEY=N; repeatable.", valueName: "key=n"))
    var keyLimits: [String] = []

    @Option(
        name: .customLong("bill"),
        help: ArgumentHelp(
            "Bill every task of an endpoint this amount instead of the vendor's price table (prices that moved since the catalog was made), ENDPOINT=AMOUNT; repeatable.",
            valueName: "endpoint=amount"))
    var bills: [String] = []

    @Option(help: "The account's currency, as accountStatus answers it (CNY, or USD as on the .ai site).")
    var currency = "CNY"

    func parsedBills() throws -> [String: Double] {
        var prices: [String: Double] = [:]
        for entry in bills {
            guard let equals = entry.lastIndex(of: "="), let amount = Double(entry[entry.index(after: equals)...]),
                amount >= 0, equals != entry.startIndex
            else {
                throw ValidationError(
                    "--bill must be ENDPOINT=AMOUNT with AMOUNT 0 or more, e.g. rhart-image-x-official/edit=0.11")
            }
            prices[String(entry[..<equals])] = amount
        }
        return prices
    }

    @Option(
        name: .customLong("workflow"),
        help: ArgumentHelp(
            "A workflow of your own to serve and run beside the built-in ones: ID=FILE, FILE an API-format graph exported from ComfyUI; repeatable.",
            valueName: "ID=FILE"), transform: SimulatedWorkflow.parse)
    var workflows: [SimulatedWorkflow] = []

    func parsedKeyLimits() throws -> [String: Int] {
        var limits: [String: Int] = [:]
        for entry in keyLimits {
            guard let equals = entry.lastIndex(of: "="), let limit = Int(entry[entry.index(after: equals)...]),
                limit >= 1, equals != entry.startIndex
            else { throw ValidationError("--key-limit must be KEY=N with N at least 1, e.g. team-key=16") }
            limits[String(entry[..<equals])] = limit
        }
        return limits
    }

    func validate() throws {
        guard (0...65_535).contains(port) else { throw ValidationError("--port must be 0...65535") }
        guard host.hasPrefix("127.") || host == "::1" || host == "localhost" else {
            throw ValidationError("--host must be a loopback address (127.x.x.x, ::1 or localhost)")
        }
        if let limit = concurrencyLimit, limit < 1 { throw ValidationError("--concurrency-limit must be at least 1") }
        guard resultSide >= 1 && resultSide <= 8192 else { throw ValidationError("--result-side must be 1...8192") }
        guard resultPadding >= 0 else { throw ValidationError("--result-padding must not be negative") }
        _ = try parsedKeyLimits()
        _ = try parsedBills()
        guard currency.count == 3, currency.allSatisfy({ $0.isUppercase && $0.isASCII }) else {
            throw ValidationError("--currency must be a three-letter code such as CNY or USD")
        }
        if let queriesPerSecond, queriesPerSecond < 1 {
            throw ValidationError("--queries-per-second must be at least 1")
        }
        for (name, share) in [
            ("--webhook-drop", webhookDrop), ("--webhook-duplicate", webhookDuplicate),
            ("--webhook-forge", webhookForge), ("--webhook-reorder", webhookReorder),
            ("--webhook-forge-running", webhookForgeRunning),
        ] where !(0...1).contains(share) {
            throw ValidationError("\(name) must be a share from 0 to 1")
        }
        guard webhookDelay >= 0 && webhookDelay <= 600 else {
            throw ValidationError("--webhook-delay must be 0...600 seconds")
        }
    }

    func run() async throws {
        let scenarios = scenario.scenarios
        var configuration = SimulatorConfiguration(
            host: host,
            port: port,
            scenarios: scenarios,
            latency: latency.range,
            concurrencyLimit: concurrencyLimit,
            submitsPerSecond: submitsPerSecond,
            seed: seed,
            resultLifetime: resultLifetime ?? 86_400,
            resultSide: resultSide,
            resultPadding: resultPadding,
            balance: balance,
            keyLimits: try parsedKeyLimits()
        )
        configuration.workflows = SimulatedWorkflow.List(entries: workflows).files
        configuration.queriesPerSecond = queriesPerSecond
        configuration.billedPrices = try parsedBills()
        configuration.currency = currency
        configuration.webhooks = WebhookFaults(
            drop: webhookDrop, duplicate: webhookDuplicate, delay: webhookDelay, forge: webhookForge,
            reorder: webhookReorder, forgeRunning: webhookForgeRunning)
        if scenarios.contains(.chaos) && configuration.webhooks == WebhookFaults() { configuration.webhooks = .chaos }
        let serving = configuration
        var logger = Logger(label: "rh-batch.simulator")
        logger.logLevel = .warning
        let names = scenarios.isEmpty ? "clean" : scenarios.map(\.rawValue).sorted().joined(separator: "+")
        try await SimulatorServer.run(serving, logger: logger) { baseURL in
            let text = """
                RunningHub simulator listening on \(baseURL) (scenario: \(names), latency: \(serving.latency.lowerBound)-\(serving.latency.upperBound) s, limit: \(serving.concurrencyLimit))
                RH_API_BASE_URL=\(baseURL)/openapi/v2

                """
            let bytes = Array(text.utf8)
            bytes.withUnsafeBytes { _ = write(STDOUT_FILENO, $0.baseAddress, $0.count) }
        }
    }
}
