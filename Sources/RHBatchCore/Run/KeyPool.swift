import Crypto
import Logging
import RunningHubModel

/// Several API keys (several accounts) as one service: each submit goes to the key with the most
/// free slots, each task is asked about with the key that created it, and a key that is refused
/// for good (bad key, no balance) is retired for the run while the others go on. The run stops
/// only when no key is left: the pool then answers with the last key's refusal.
package actor KeyPool: RunningHubService {
    /// One key and its service.
    package struct Member: Sendable {
        package var name: String
        package var service: any RunningHubService
        /// The key's fingerprint: the first 12 hex digits of its SHA-256.
        package var fingerprint: String

        package init(name: String, key: String, service: any RunningHubService) {
            self.name = name
            self.service = service
            self.fingerprint = KeyPool.fingerprint(key)
        }
    }

    struct State {
        var member: Member
        var limit: Int?
        var inFlight = 0
        /// Its tasks accepted and not yet seen finished.
        var open = 0
        var retired: String?
        var tasks = 0
        var spend = Money.zero
        var refusals: [String: Int] = [:]
    }

    private var keys: [State]
    private var owner: [String: Int] = [:]
    private var open: Set<String> = []
    private let logger: Logger?

    /// A pool over these keys, in order of preference when all are equally free; `logger` hears
    /// when a key is retired.
    package init(_ members: [Member], logger: Logger? = nil) {
        keys = members.map { State(member: $0) }
        self.logger = logger
    }

    /// Retires key `index` for the rest of the run (the first reason stays).
    private func retire(_ index: Int, _ failure: APIFailure) {
        guard keys[index].retired == nil else { return }
        keys[index].retired = "\(failure.code): \(failure.message)"
        guard let logger else { return }
        let facts = [
            "key": keys[index].member.name, "key.fingerprint": keys[index].member.fingerprint, "code": failure.code,
        ]
        RunDecision(.keyRetired, facts).log(to: logger)
    }

    /// The short SHA-256 prefix that names a key in journals and reports.
    package static func fingerprint(_ key: String) -> String {
        String(SHA256.hash(data: Array(key.utf8)).hexString.prefix(12))
    }

    private var active: [Int] { keys.indices.filter { keys[$0].retired == nil } }

    package func upload(bytes: [UInt8], fileName: String, contentType: String) async throws -> UploadedFile {
        // Uploaded files are readable by URL from any key's tasks: the first key that works.
        var lastError: (any Error)?
        for index in active {
            do {
                return try await keys[index].member.service.upload(
                    bytes: bytes, fileName: fileName, contentType: contentType)
            } catch let error as UploadError where error.failure.errorClass == .fatal {
                retire(index, error.failure)
                keys[index].refusals[error.failure.code, default: 0] += 1
                lastError = error
            }
        }
        throw lastError
            ?? UploadError(
                failure: APIFailure(code: "no-key", message: "every API key was retired", errorClass: .fatal))
    }

    package func submit(endpoint: String, body: [UInt8]) async throws(CancellationError) -> SubmitOutcome {
        var last: SubmitOutcome?
        var tried: Set<Int> = []
        while true {
            // The key with the most free slots (an unknown limit counts as free), not yet tried.
            let candidates = active.filter { !tried.contains($0) }
            guard let index = candidates.max(by: { free($0) < free($1) }) else { break }
            tried.insert(index)
            // The slot is taken before the call: submits run concurrently, and the actor lets the
            // next one in while this one waits for its answer.
            keys[index].inFlight += 1
            let outcome: SubmitOutcome
            do {
                outcome = try await keys[index].member.service.submit(endpoint: endpoint, body: body)
            } catch {
                keys[index].inFlight -= 1
                throw error
            }
            switch outcome {
            case .accepted(var task):
                task.keyID = keys[index].member.fingerprint
                keys[index].tasks += 1
                owner[task.taskId] = index
                if task.state.isFinished {
                    keys[index].inFlight -= 1
                    keys[index].spend += task.cost.flatMap { Money($0) } ?? .zero
                } else {
                    open.insert(task.taskId)
                    keys[index].open += 1
                }
                return .accepted(task)
            case .refused(let failure):
                keys[index].inFlight -= 1
                keys[index].refusals[failure.code, default: 0] += 1
                last = outcome
                if failure.errorClass == .fatal {
                    // This key cannot work (bad key, wrong type, no balance): the others go on.
                    retire(index, failure)
                    continue
                }
                if failure.errorClass == .retryable {
                    // Its queue is full (or it is rate limited): another key may have room. Its
                    // limit is at most the tasks it holds (not the submits racing beside this
                    // one), and a refusal never raises a limit read from the API.
                    keys[index].limit = max(1, min(keys[index].limit ?? .max, keys[index].open))
                    continue
                }
                return outcome
            case .unknown:
                // A task may exist on this key: never sent again elsewhere by the pool.
                keys[index].inFlight -= 1
                return outcome
            }
        }
        return last ?? .refused(APIFailure(code: "no-key", message: "every API key was retired", errorClass: .fatal))
    }

    private func free(_ index: Int) -> Int {
        (keys[index].limit ?? 1_000_000) - keys[index].inFlight
    }

    package func query(taskId: String) async throws(CancellationError) -> QueryOutcome {
        try await query(taskId, workflowTask: false)
    }

    package func query(workflowTask taskId: String) async throws(CancellationError) -> QueryOutcome {
        try await query(taskId, workflowTask: true)
    }

    private func query(_ taskId: String, workflowTask: Bool) async throws(CancellationError) -> QueryOutcome {
        let index = owner[taskId] ?? active.first ?? 0
        let service = keys[index].member.service
        let outcome =
            workflowTask ? try await service.query(workflowTask: taskId) : try await service.query(taskId: taskId)
        if case .task(let task) = outcome, task.state.isFinished, open.remove(taskId) != nil {
            keys[index].inFlight -= 1
            keys[index].open = max(0, keys[index].open - 1)
            keys[index].spend += task.cost.flatMap { Money($0) } ?? .zero
        }
        return outcome
    }

    /// The first key's account currency that is known (keys of one pool are one site's).
    package func accountCurrency() async -> String? {
        for index in active {
            if let currency = await keys[index].member.service.accountCurrency() { return currency }
        }
        return nil
    }

    /// Every key's queue status, asked at once; their limits are taken only together, when every
    /// key has answered. A key whose limit is known beside one whose limit is not (counted as
    /// free) would draw every submit to the other: so when a key does not answer (an error, or
    /// the run's wait for the status ends first and cancels this), no limit is taken and this
    /// throws; the limits are then learnt from refusals.
    package func queueStatus() async throws -> QueueStatus {
        let asked = active.map { ($0, keys[$0].member.service) }
        let answers = await withTaskGroup(of: (Int, QueueStatus?).self) { group in
            for (index, service) in asked {
                group.addTask { (index, try? await service.queueStatus()) }
            }
            var answers: [(Int, QueueStatus)] = []
            for await (index, status) in group {
                if let status { answers.append((index, status)) }
            }
            return answers
        }
        guard answers.count == asked.count, !answers.isEmpty else {
            let message =
                answers.isEmpty
                ? "no key answered queue/status"
                : "\(asked.count - answers.count) of \(asked.count) keys did not answer queue/status"
            throw APIFailure(code: "queue-status", message: message, errorClass: .transient)
        }
        var total = QueueStatus(keyType: "POOL", concurrencyLimit: 0, running: 0, queued: 0)
        for (index, status) in answers {
            keys[index].limit = status.concurrencyLimit
            total.concurrencyLimit += status.concurrencyLimit
            total.running += status.running
            total.queued += status.queued
        }
        return total
    }

    package func download(url: String, to destination: String, durable: Bool, expecting: OutputKind) async throws
        -> DownloadedFile
    {
        try await keys[active.first ?? 0].member.service.download(
            url: url, to: destination, durable: durable, expecting: expecting)
    }

    package func attach(taskId: String, keyID: String?) async -> Bool {
        guard let keyID else { return true }
        guard let index = keys.firstIndex(where: { $0.member.fingerprint == keyID }) else { return false }
        owner[taskId] = index
        if open.insert(taskId).inserted {
            keys[index].inFlight += 1
            keys[index].open += 1
        }
        return true
    }

    package func keyUsage() async -> [KeyUsage] {
        keys.map { key in
            KeyUsage(
                name: key.member.name, fingerprint: key.member.fingerprint, tasks: key.tasks, spend: key.spend,
                refusals: key.refusals, retired: key.retired, limit: key.limit
            )
        }
    }
}
