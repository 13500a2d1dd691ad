import Foundation

/// The simulator's shared state: tasks, uploads, the account and the ledger.
///
/// An actor because every request handler reads and changes it; its random choices come from
/// one seeded generator, so a run is repeatable request for request.
package actor SimulatorState {
    package nonisolated let configuration: SimulatorConfiguration
    var random: SeededRandom
    var tasks: [String: SimulatedTask] = [:]
    private var seenFinished: Set<String> = []
    var uploads: [String: [UInt8]] = [:]
    var ledger = Ledger()
    var billedBodies: Set<String> = []
    /// Tasks' callbacks numbered as they became ready to send, and the latest number sent
    /// (``WebhookFaults/reorder``).
    var readyCallbacks = 0
    var latestSentCallback = 0
    /// Tasks held running until their forged success is sent, with the time each ends on its own.
    var heldFinishes: [String: ContinuousClock.Instant] = [:]
    var balance: Double
    /// Balances of keys with their own account (``SimulatorConfiguration/keyBalances``).
    var keyBalances: [String: Double]
    var nextTaskNumber: UInt64 = 2_013_508_786_110_730_241
    private var submitCount = 0
    /// How long result URLs work under `expire`; tests may change it between runs.
    private var resultLifetime: Double
    private var recentSubmits: [String: [ContinuousClock.Instant]] = [:]
    /// Finish times of each key's unfinished tasks (cancelled ones removed), kept small by
    /// dropping the finished ones at each submit, so a submit costs O(limit), not O(all tasks).
    var activeFinishes: [String: [(id: String, at: ContinuousClock.Instant)]] = [:]
    var clock: SimulatorClock { configuration.clock }
    /// The workflows and apps it serves.
    nonisolated let workflowRules: WorkflowRules
    /// Tests waiting for the ledger to reach a state.
    private var waiters: [(predicate: @Sendable (Ledger) -> Bool, continuation: CheckedContinuation<Void, Never>)] = []

    /// Makes the state for a configuration.
    package init(configuration: SimulatorConfiguration) {
        self.configuration = configuration
        self.random = SeededRandom(seed: configuration.seed)
        self.balance = configuration.balance
        self.keyBalances = configuration.keyBalances
        self.resultLifetime = configuration.resultLifetime
        self.workflowRules = WorkflowRules.make(extra: configuration.workflows)
    }

    /// Changes how long result URLs work under `expire` (a test control: "the file host works again").
    package func setResultLifetime(_ seconds: Double) {
        resultLifetime = seconds
    }

    /// Returns once the ledger satisfies `predicate` (at once if it does already): tests wait on
    /// what the simulator saw, such as a first refusal, instead of on time.
    package func waitUntil(_ predicate: @escaping @Sendable (Ledger) -> Bool) async {
        if predicate(ledger) { return }
        await withCheckedContinuation { continuation in
            waiters.append((predicate, continuation))
        }
    }

    /// Wakes the waiters whose condition now holds; called after every change to the ledger.
    func ledgerChanged() {
        guard !waiters.isEmpty else { return }
        var waiting: [(predicate: @Sendable (Ledger) -> Bool, continuation: CheckedContinuation<Void, Never>)] = []
        for waiter in waiters {
            if waiter.predicate(ledger) { waiter.continuation.resume() } else { waiting.append(waiter) }
        }
        waiters = waiting
    }

    /// Records that a runner was handed a finished task's outcome in a submit answer (an instant
    /// `SUCCESS`), so the task counts as collected like one a query saw finish.
    func sawFinished(taskId: String) {
        seenFinished.insert(taskId)
    }

    /// A copy of the ledger as it stands.
    package func snapshot() -> Ledger {
        var copy = ledger
        let now = clock.now
        copy.unpolledFinished = tasks.values.filter { !$0.isActive(at: now) && !seenFinished.contains($0.id) }.count
        return copy
    }

    // MARK: Auth and account

    enum KeyCheck {
        case ok
        case invalid
        case wrongType
    }

    func check(key: String?) -> KeyCheck {
        guard let key, !key.isEmpty else { return .invalid }
        if let keys = configuration.apiKeys { return keys.contains(key) ? .ok : .invalid }
        if key.hasPrefix("bad") { return .invalid }
        if key.hasPrefix("personal") { return .wrongType }
        return .ok
    }

    func account(key: String? = nil) -> (balance: Double, running: Int, currency: String) {
        let now = clock.now
        let running = tasks.values.filter { $0.isActive(at: now) && (key == nil || $0.apiKey == key) }.count
        return (key.flatMap { keyBalances[$0] } ?? balance, running, configuration.currency)
    }

    /// The concurrency limit of a key.
    func limit(for key: String) -> Int {
        configuration.keyLimits[key] ?? configuration.concurrencyLimit
    }

    // MARK: Decisions with chance

    /// Draws with probability `p` when the scenario is in force.
    func roll(_ scenario: Scenario, _ p: Double) -> Bool {
        configuration.scenarios.contains(scenario) && random.chance(p)
    }

    /// Counts a submit answer lost after its task was made.
    func loseAnswer() {
        ledger.answersLost += 1
        ledgerChanged()
    }

    func refuse(_ reason: String) {
        ledger.submitsRefused[reason, default: 0] += 1
        ledgerChanged()
    }

    // MARK: Submit

    enum SubmitDecision {
        /// A task was created; `loseAnswer` asks the handler to answer as if the gateway failed;
        /// `callback` is what becomes of its callback, when it has a loopback `webhookUrl`.
        case accepted(SimulatedTask, loseAnswer: Bool, callback: CallbackPlan? = nil)
        case refused(code: String, message: String, httpStatus: Int, retryAfter: Int?)
    }

    /// A submit decided, and for a task with a loopback `webhookUrl` its callback's faults drawn
    /// in the same step (so that a seed gives the same faults however submits interleave), the
    /// task held running for a forged success before anyone can see it.
    func submit(key: String, endpoint: String, body: [String: Any], canonicalBody: String) -> SubmitDecision {
        let decision = decideSubmit(key: key, endpoint: endpoint, body: body, canonicalBody: canonicalBody)
        guard case .accepted(var task, let loseAnswer, _) = decision,
            let url = body["webhookUrl"] as? String, Self.isLoopback(url)
        else { return decision }
        var plan = callbackPlan()
        if plan.forgeRunning, let held = holdEnd(task.id) {
            task = held
        } else {
            plan.forgeRunning = false
        }
        return .accepted(task, loseAnswer: loseAnswer, callback: plan)
    }

    /// Whether a callback URL is on this machine: the simulator never calls out.
    static func isLoopback(_ url: String) -> Bool {
        guard let host = URLComponents(string: url)?.host else { return false }
        return host.hasPrefix("127.") || host == "localhost" || host == "::1" || host == "[::1]"
    }

    private func decideSubmit(key: String, endpoint: String, body: [String: Any], canonicalBody: String)
        -> SubmitDecision
    {
        let now = clock.now
        submitCount += 1
        let scripted = configuration.submitScript[submitCount]
        if let target = WorkflowRules.target(of: endpoint) {
            return submitWorkflow(
                key: key, kind: target.kind, id: target.id, endpoint: endpoint, body: body,
                canonicalBody: canonicalBody,
                scripted: scripted, now: now)
        }
        let rules: ModelRules
        let price: Double
        let active: Int
        switch admit(key: key, endpoint: endpoint, body: body, scripted: scripted, now: now) {
        case .refused(let decision): return decision
        case .admitted(let admittedRules, let admittedPrice, let running):
            (rules, price, active) = (admittedRules, admittedPrice, running)
        }
        let (task, latency) = newTask(
            key: key, endpoint: endpoint, body: body, canonicalBody: canonicalBody, rules: rules, price: price,
            now: now)
        var stored = task
        if scripted == .forgetTask { stored.forgotten = true }
        tasks[stored.id] = stored
        if stored.finishesAt > now { activeFinishes[key, default: []].append((stored.id, stored.finishesAt)) }
        ledger.submitsAccepted += 1
        ledger.peakConcurrent = max(ledger.peakConcurrent, active + 1)
        ledger.peakByKey[key] = max(ledger.peakByKey[key] ?? 0, active + 1)
        if stored.billed { bill(stored, key: key, price: price, latency: latency) }
        ledgerChanged()
        return .accepted(stored, loseAnswer: scripted == .loseAnswer)
    }

    /// Whether a submit is let in, and why not.
    private enum Admission {
        case refused(SubmitDecision)
        /// With the model's rules, the task's price and the key's tasks running.
        case admitted(ModelRules, Double, Int)
    }

    /// The checks a submit passes, in the service's order: a scripted refusal, the rate limit,
    /// the key's concurrency limit, the endpoint, the parameters, the uploads, the balance.
    private func admit(
        key: String, endpoint: String, body: [String: Any], scripted: ScriptedFault?, now: ContinuousClock.Instant
    )
        -> Admission
    {
        func refused(_ code: String, _ message: String, httpStatus: Int = 200, retryAfter: Int? = nil) -> Admission {
            refuse(httpStatus == 429 ? "429" : code)
            return .refused(.refused(code: code, message: message, httpStatus: httpStatus, retryAfter: retryAfter))
        }
        if case .refuse(let code, let httpStatus, let retryAfter) = scripted {
            return refused(code, "scripted refusal", httpStatus: httpStatus, retryAfter: retryAfter)
        }
        if configuration.scenarios.contains(.ratelimit) {
            var recent = recentSubmits[key, default: []].filter { now - $0 < .seconds(1) }
            if recent.count >= configuration.submitsPerSecond {
                recentSubmits[key] = recent
                return refused(
                    "1003", "Rate limit exceeded, please slow down requests", httpStatus: 429, retryAfter: 1)
            }
            recent.append(now)
            recentSubmits[key] = recent
        }
        var running = activeFinishes[key, default: []]
        running.removeAll { $0.at <= now }
        activeFinishes[key] = running
        if running.count >= limit(for: key) { return refused("421", "TASK_QUEUE_MAXED") }
        guard let rules = ModelRules.all[endpoint] else {
            return refused("1001", "Invalid URL, please check your link")
        }
        if let problem = rules.problem(with: body, format: { url in uploadFormat(url) }) {
            return refused("1007", "Invalid parameters, please check your input: \(problem)")
        }
        if let missing = missingUpload(in: body) {
            return refused("1013", "File processing failed, please check the URL or retry: \(missing)")
        }
        let price = configuration.billedPrices[endpoint] ?? rules.price(for: body)
        if price > (keyBalances[key] ?? balance) { return refused("416", "TASK_CREATE_FAILED_BY_NOT_ENOUGH_WALLET") }
        return .admitted(rules, price, running.count)
    }

    /// A new task for an admitted submit, with its latency drawn and its outcome set by the
    /// scenarios (moderation, failing, multi).
    private func newTask(
        key: String, endpoint: String, body: [String: Any], canonicalBody: String, rules: ModelRules, price: Double,
        now: ContinuousClock.Instant
    ) -> (SimulatedTask, latency: Double) {
        var latency = Double.random(in: configuration.latency, using: &random)
        if configuration.scenarios.contains(.slow) { latency *= 5 }
        if configuration.scenarios.contains(.quirky) && random.chance(0.25) { latency = 0 }
        let prompt = (body["prompt"] as? String) ?? (body["text"] as? String) ?? (body["textPrompt"] as? String) ?? ""
        let moderated = configuration.scenarios.contains(.moderation) && prompt.contains(configuration.moderationMarker)
        let crashed = configuration.scenarios.contains(.failing) && prompt.contains("CRASH")
        let outcome: SimulatedTask.Outcome =
            moderated
            ? .failure(code: "1501", message: "Content verification failed, please modify your prompt or images")
            : crashed
                ? .failure(code: "1000", message: "unknown error")
                : .success(results: configuration.scenarios.contains(.multi) ? 2 : 1)
        let (width, height) = Self.size(ratio: body["aspectRatio"] as? String, longSide: configuration.resultSide)
        nextTaskNumber += UInt64.random(in: 1...997, using: &random)
        var task = SimulatedTask(
            id: String(nextTaskNumber), apiKey: key, endpoint: endpoint, canonicalBody: canonicalBody, createdAt: now,
            runningAt: now + .seconds(latency * 0.2), finishesAt: now + .seconds(latency), outcome: outcome,
            price: moderated ? 0 : price, billed: !moderated, width: width, height: height,
            pixelSeed: Self.hash(endpoint + canonicalBody)
        )
        task.output = rules.output
        return (task, latency)
    }

    /// Charges the key for a task and writes it in the ledger (a second task of the same body
    /// counts as billed twice).
    private func bill(_ task: SimulatedTask, key: String, price: Double, latency: Double) {
        if keyBalances[key] != nil { keyBalances[key]! -= price } else { balance -= price }
        ledger.billed.append(
            Ledger.BilledTask(
                taskId: task.id, endpoint: task.endpoint, body: task.canonicalBody, price: price, latency: latency,
                apiKey: key))
        if !billedBodies.insert(task.endpoint + "\n" + task.canonicalBody).inserted { ledger.doubleBilled += 1 }
    }

    /// A `/view` URL of this simulator that names no upload, or `nil`.
    private func missingUpload(in body: [String: Any]) -> String? {
        var urls: [String] = []
        for value in body.values {
            if let list = value as? [Any] { urls += list.compactMap { $0 as? String } }
            if let single = value as? String { urls.append(single) }
        }
        for url in urls where url.contains("/view?filename=") {
            guard let name = URLComponents(string: url)?.queryItems?.first(where: { $0.name == "filename" })?.value
            else {
                return url
            }
            if uploads[String(name.prefix { $0 != "." })] == nil { return url }
        }
        return nil
    }

    /// The format of an upload of this simulator named by a `/view` URL, by its bytes.
    private func uploadFormat(_ url: String) -> String? {
        guard url.contains("/view?filename="),
            let name = URLComponents(string: url)?.queryItems?.first(where: { $0.name == "filename" })?.value,
            let bytes = uploads[String(name.prefix { $0 != "." })]
        else { return nil }
        return ResultFiles.format(Array(bytes.prefix(64)))
    }

    // MARK: Query, cancel

    private var recentQueries: [String: [ContinuousClock.Instant]] = [:]

    /// Whether a key's query is within ``SimulatorConfiguration/queriesPerSecond`` (a sliding
    /// second); a refused one is counted.
    func admitQuery(key: String) -> Bool {
        guard let limit = configuration.queriesPerSecond else { return true }
        let now = clock.now
        var recent = recentQueries[key, default: []].filter { now - $0 < .seconds(1) }
        defer { recentQueries[key] = recent }
        guard recent.count < limit else {
            ledger.queriesRefused += 1
            ledgerChanged()
            return false
        }
        recent.append(now)
        return true
    }

    func query(taskId: String) -> (SimulatedTask, String)? {
        guard var task = tasks[taskId] else {
            ledger.unknownTaskQueries += 1
            ledgerChanged()
            return nil
        }
        if task.forgotten || (configuration.scenarios.contains(.lagging) && task.notFoundAnswers < 2) {
            task.notFoundAnswers += 1
            tasks[taskId] = task
            ledger.notFoundAnswers += 1
            ledgerChanged()
            return nil
        }
        ledger.queries[taskId, default: 0] += 1
        let status = task.status(at: clock.now)
        if status == "SUCCESS" || status == "FAILED" || status == "CANCEL" { seenFinished.insert(taskId) }
        ledgerChanged()
        return (task, status)
    }

    func cancel(taskId: String) -> Bool {
        guard var task = tasks[taskId] else { return false }
        if task.isActive(at: clock.now) {
            task.cancelled = true
            activeFinishes[task.apiKey]?.removeAll { $0.id == taskId }
            if task.billed {
                if keyBalances[task.apiKey] != nil {
                    keyBalances[task.apiKey]! += task.price
                } else {
                    balance += task.price
                }
            }
            tasks[taskId] = task
        }
        return true
    }

    // MARK: Files

    package func storeUpload(_ bytes: [UInt8], name: String) -> String {
        ledger.uploads += 1
        uploads[name] = bytes
        ledgerChanged()
        return name
    }

    func upload(named name: String) -> [UInt8]? {
        uploads[name]
    }

    enum ResultLookup {
        case found(SimulatedTask)
        case expired
        case missing
    }

    func result(taskId: String, index: Int, path: String) -> ResultLookup {
        guard let task = tasks[taskId], task.status(at: clock.now) == "SUCCESS",
            case .success(let count) = task.outcome, (1...count).contains(index)
        else { return .missing }
        let age = clock.now - task.finishesAt
        if age > .seconds(resultLifetime) {
            ledger.expiredDownloads += 1
            ledgerChanged()
            return .expired
        }
        ledger.downloads[path, default: 0] += 1
        ledgerChanged()
        return .found(task)
    }

    // MARK: Helpers

    static func size(ratio: String?, longSide: Int) -> (Int, Int) {
        guard let ratio, let colon = ratio.firstIndex(of: ":"),
            let w = Double(ratio[..<colon]), let h = Double(ratio[ratio.index(after: colon)...]), w > 0, h > 0
        else { return (longSide, longSide * 3 / 4) }
        if w >= h { return (longSide, max(1, Int((Double(longSide) * h / w).rounded()))) }
        return (max(1, Int((Double(longSide) * w / h).rounded())), longSide)
    }

    static func hash(_ text: String) -> UInt64 {
        var value: UInt64 = 0xCBF2_9CE4_8422_2325
        for byte in text.utf8 {
            value ^= UInt64(byte)
            value = value &* 0x0000_0100_0000_01B3
        }
        return value
    }
}
