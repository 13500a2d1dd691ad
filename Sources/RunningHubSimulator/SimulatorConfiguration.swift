/// How the simulator behaves: latency, limits, faults and the seed that makes its random choices
/// repeatable.
package struct SimulatorConfiguration: Sendable {
    /// The address to listen on: loopback only.
    package var host: String
    /// The port; 0 picks any free port.
    package var port: Int
    /// The fault scenarios in force (several may combine).
    package var scenarios: Set<Scenario>
    /// The shortest and longest time from submit to a finished task, in seconds.
    package var latency: ClosedRange<Double>
    /// The most unfinished tasks one key may have; past it submits get `421`.
    package var concurrencyLimit: Int
    /// Submits per second one key may send under `ratelimit` before getting HTTP 429.
    package var submitsPerSecond: Int
    /// The seed of every random choice.
    package var seed: UInt64
    /// Prompts containing this text fail moderation (`1501`) under `moderation`.
    package var moderationMarker: String
    /// How long result URLs work under `expire`, in seconds.
    package var resultLifetime: Double
    /// The long side of result images, in pixels.
    package var resultSide: Int
    /// Extra bytes to pad each result PNG with (an ancillary chunk), for download benchmarks.
    package var resultPadding: Int
    /// The account balance in CNY; submits that would overdraw it get `416`.
    package var balance: Double
    /// Concurrency limits of given keys (others have ``concurrencyLimit``): several accounts.
    package var keyLimits: [String: Int] = [:]
    /// Balances of given keys, in CNY (others share ``balance``): several accounts.
    package var keyBalances: [String: Double] = [:]
    /// Keys the simulator accepts; `nil` accepts any key except those starting with `bad`
    /// (answered `1002`) and `personal` (answered `1014`, the wrong key type).
    package var apiKeys: Set<String>?
    /// The clock every time-based decision reads; tests pass a stopped one to hold tasks.
    package var clock: SimulatorClock
    /// Faults for given submits, by their 1-based number in arrival order (counted over all keys):
    /// deterministic where a scenario's faults are drawn by chance.
    package var submitScript: [Int: ScriptedFault]
    /// Workflows of the user's, by id: API-format graphs (JSON text) the simulator serves and
    /// runs beside its built-in ones.
    package var workflows: [String: String] = [:]
    /// Queries per second one key may send before getting HTTP 429 with `1003` (a sliding second);
    /// `nil` is no limit.
    package var queriesPerSecond: Int?
    /// How webhook callbacks misbehave.
    package var webhooks = WebhookFaults()
    /// Prices billed per call by endpoint instead of the vendor's price table: a service whose
    /// prices moved since the catalog was made.
    package var billedPrices: [String: Double] = [:]
    /// The account's currency, as `accountStatus` says it (`USD` on the .ai site); every amount
    /// the simulator bills is in it.
    package var currency = "CNY"

    /// The key `--simulate` runs use.
    package static let defaultKey = "rh-batch-simulator-key"

    /// Makes a configuration; the defaults are a clean, fast simulator on any free port.
    package init(
        host: String = "127.0.0.1",
        port: Int = 0,
        scenarios: Set<Scenario> = [],
        latency: ClosedRange<Double> = 0.5...2.0,
        concurrencyLimit: Int? = nil,
        submitsPerSecond: Int = 20,
        seed: UInt64 = 1,
        moderationMarker: String = "FORBIDDEN",
        resultLifetime: Double = 86_400,
        resultSide: Int = 64,
        resultPadding: Int = 0,
        balance: Double = 1_000_000,
        apiKeys: Set<String>? = nil,
        keyLimits: [String: Int] = [:],
        keyBalances: [String: Double] = [:],
        clock: SimulatorClock = .real,
        submitScript: [Int: ScriptedFault] = [:]
    ) {
        self.keyLimits = keyLimits
        self.keyBalances = keyBalances
        self.host = host
        self.port = port
        self.scenarios = scenarios
        self.latency = latency
        self.concurrencyLimit = concurrencyLimit ?? (scenarios.contains(.ratelimit) ? 8 : 50)
        self.submitsPerSecond = submitsPerSecond
        self.seed = seed
        self.moderationMarker = moderationMarker
        // Under `chaos` long enough that a killed run's successor usually fetches what finished
        // (a lost result is the service's doing, and the soak counts it), short enough to happen.
        self.resultLifetime =
            scenarios.contains(.expire) && resultLifetime == 86_400
            ? (scenarios.contains(.chaos) ? 30 : 2) : resultLifetime
        self.resultSide = resultSide
        self.resultPadding = resultPadding
        self.balance = balance
        self.apiKeys = apiKeys
        self.clock = clock
        self.submitScript = submitScript
    }
}

/// How the simulator's webhook callbacks misbehave, each by chance with the seed (a submit with a
/// `webhookUrl` gets a callback when its task ends, to loopback addresses only).
package struct WebhookFaults: Sendable, Hashable {
    /// The share of callbacks never sent.
    package var drop = 0.0
    /// The share of callbacks sent twice.
    package var duplicate = 0.0
    /// The longest extra delay of a callback, in seconds (each is delayed by a random share of it,
    /// so callbacks arrive out of order).
    package var delay = 0.0
    /// The share of callbacks followed by a forged one: a callback for a task id the simulator
    /// never issued, to the same URL.
    package var forge = 0.0
    /// The share of callbacks held back until another callback has been sent (at most 2 s): the
    /// receiver sees them out of the order the tasks ended in.
    package var reorder = 0.0
    /// The share of tasks that get a forged callback while they still run: their own task id,
    /// claiming success with a result at a foreign URL, sent 50 ms after the submit (the task
    /// is kept running until it has been sent).
    package var forgeRunning = 0.0

    /// The webhook faults of the `chaos` scenario.
    package static let chaos = WebhookFaults(drop: 0.1, duplicate: 0.2, delay: 2, forge: 0.05)

    package init(
        drop: Double = 0, duplicate: Double = 0, delay: Double = 0, forge: Double = 0, reorder: Double = 0,
        forgeRunning: Double = 0
    ) {
        self.drop = drop
        self.duplicate = duplicate
        self.delay = delay
        self.forge = forge
        self.reorder = reorder
        self.forgeRunning = forgeRunning
    }
}

/// A fault the simulator gives one submit on purpose (see ``SimulatorConfiguration/submitScript``).
package enum ScriptedFault: Sendable, Hashable {
    /// Refuse the submit with this error code and HTTP status, creating no task.
    case refuse(code: String, httpStatus: Int = 200, retryAfter: Int? = nil)
    /// Create and bill the task, then answer `502 Bad Gateway`: the caller cannot know it exists.
    case loseAnswer
    /// Create and bill the task and answer normally, then forget it: every query answers `1004`.
    case forgetTask
}

/// A fault scenario of the simulator.
package enum Scenario: String, Sendable, Hashable, CaseIterable {
    /// No faults.
    case clean
    /// 5xx after a task was created, 5xx and busy codes on queries, connections cut mid-answer,
    /// truncated downloads.
    case flaky
    /// HTTP 429 with `Retry-After` on bursts, and a low concurrency limit.
    case ratelimit
    /// Prompts with the marker word fail with `1501`.
    case moderation
    /// Tasks take five times longer.
    case slow
    /// Two results per task.
    case multi
    /// Real quirks: numeric task ids, instant `SUCCESS` on submit, numeric error codes, extra fields.
    case quirky
    /// Result URLs stop working after ``SimulatorConfiguration/resultLifetime``.
    case expire
    /// Tasks whose prompt contains `CRASH` end `FAILED` with `errorCode` `1000` and a
    /// `failedReason`, the shape of the vendor's own failure example.
    case failing
    /// A new task is not found yet: its first two queries answer `1004`, as a distributed
    /// service may just after a submit.
    case lagging
    /// Everything at once, at random with the seed (issue 27's soak): `flaky`, `ratelimit`,
    /// `expire` and `lagging`, plus 5xx on uploads and account reads, slow downloads sent in
    /// pieces, and, unless set otherwise, webhook callbacks dropped, duplicated, delayed and forged.
    case chaos

    /// What `chaos` turns on beside itself.
    package static let chaosMix: Set<Scenario> = [.chaos, .flaky, .ratelimit, .expire, .lagging]

    /// Parses `flaky+multi` or `flaky,multi`.
    package static func parseList(_ text: String) throws(ScenarioError) -> Set<Scenario> {
        var result: Set<Scenario> = []
        for name in text.split(whereSeparator: { $0 == "+" || $0 == "," }) {
            guard let scenario = Scenario(rawValue: name.lowercased()) else {
                throw ScenarioError(name: String(name))
            }
            if scenario == .chaos {
                result.formUnion(chaosMix)
            } else if scenario != .clean {
                result.insert(scenario)
            }
        }
        return result
    }
}

/// An unknown scenario name.
package struct ScenarioError: Error, Sendable, CustomStringConvertible {
    /// The name given.
    package var name: String

    package var description: String {
        "unknown scenario '\(name)'; known: \(Scenario.allCases.map(\.rawValue).joined(separator: ", "))"
    }
}
