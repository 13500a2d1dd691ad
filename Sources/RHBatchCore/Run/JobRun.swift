import RunningHubModel

/// How a job of the plan ended in (or before) this run; the report's `status`.
package enum JobStatus: String, Sendable, Hashable {
    /// Not ended yet (only during the run).
    case pending
    case succeeded
    case failed
    case unknown
    case skipped
    case cancelled
    case timeout
}

/// Why a job did not succeed: the report's `error`. One type from the client's answer to the
/// journal and the report: a phase and a code, compared as values, never as loose strings.
package struct JobFailure: Error, Sendable, Hashable {
    /// Where the job was when it failed.
    package enum Phase: String, Sendable, Hashable {
        case validate, upload, submit, poll, download
    }

    /// The API's code (`1000`, `421`, `http-502`) or one of rh-batch's own (the static members).
    package struct Code: RawRepresentable, Sendable, Hashable, CustomStringConvertible {
        package var rawValue: String

        package init(rawValue: String) {
            self.rawValue = rawValue
        }

        /// The code of an API failure.
        package init(_ failure: APIFailure) {
            rawValue = failure.code
        }

        package var description: String { rawValue }

        /// The journal cannot be written.
        package static let journal = Code(rawValue: "journal")
        /// Stopped by Ctrl-C.
        package static let interrupted = Code(rawValue: "interrupted")
        /// Not submitted: the run stopped first.
        package static let stopped = Code(rawValue: "stopped")
        /// The task's key is not in this run.
        package static let keyGone = Code(rawValue: "key-gone")
        /// An input could not be uploaded.
        package static let upload = Code(rawValue: "upload")
        /// No result within the task time bound.
        package static let timeout = Code(rawValue: "timeout")
        /// The task succeeded without results.
        package static let noResults = Code(rawValue: "no-results")
        /// The result URL no longer works, also after asking the task again.
        package static let expired = Code(rawValue: "expired")
        /// The result URL points where rh-batch does not download from.
        package static let refusedTarget = Code(rawValue: "refused-target")
        /// The result is larger than the cap.
        package static let tooLarge = Code(rawValue: "too-large")
        /// The download failed otherwise.
        package static let download = Code(rawValue: "download")
        /// The task was cancelled.
        package static let cancelled = Code(rawValue: "cancelled")
        /// The task failed without a code.
        package static let failed = Code(rawValue: "failed")
        /// The job's endpoint is not in the catalog.
        package static let catalog = Code(rawValue: "catalog")
        /// The body is not of the kind the model makes.
        package static func mismatch(_ kind: OutputKind) -> Code { Code(rawValue: kind.mismatchCode) }
    }

    package var phase: Phase
    package var code: Code
    /// One sentence.
    package var message: String

    /// Makes a failure.
    package init(phase: Phase, code: Code, message: String) {
        self.phase = phase
        self.code = code
        self.message = message
    }
}

/// A result file of a job.
package struct OutputRecord: Sendable, Hashable {
    /// Relative to the output root.
    package var path: String
    /// The result URL it came from.
    package var url: String
    package var bytes: Int
    package var sha256: HexDigest
    /// The workflow node that made it, for a workflow or app job.
    package var node: String?

    package init(path: String, url: String, bytes: Int, sha256: HexDigest, node: String? = nil) {
        self.path = path
        self.url = url
        self.bytes = bytes
        self.sha256 = sha256
        self.node = node
    }
}

/// Everything the runner knows about one job: the report's job entry.
///
/// One is held per job of the plan (a million at once), so rare fields are out of line and the
/// one-byte fields sit together after the timestamps, where they fill what would be padding.
package struct JobRun: Sendable {
    package var taskId: String?
    package var attempts = 0
    package var cost: Money?
    /// What a workflow or app task cost in RH coins, as the API reported.
    package var coins: Money?
    package var outputs = OutputRecords()
    /// The URL each input image was sent as.
    package var inputURLs: [String] = []
    /// Why it did not succeed (held out of line: most jobs have none). Set with its end, by
    /// ``enter(_:failure:)`` only.
    package var failure: JobFailure? { failureBox?.value }
    private var failureBox: Boxed<JobFailure>?
    /// Where it is in the run. Changed by ``enter(_:failure:)`` only, which `RunMachine.move`
    /// alone calls.
    package private(set) var phase = JobPhase.idle
    package var submittedAt: StoredTimestamp?
    /// How it ended, or ``JobStatus/pending`` while it has not.
    package var status: JobStatus { phase.status }

    /// What the job cost, by the one rule every file and total uses: the amount the API billed
    /// when it said one; otherwise the catalog's `estimate` while the job is live or once it
    /// succeeded, and nothing for a job that ended any other way.
    package func cost(estimate: Money) -> Money {
        if let cost { return cost }
        switch status {
        case .pending, .succeeded: return estimate
        default: return .zero
        }
    }

    /// Seconds from submit to finish, to the millisecond, when both are known.
    package var durationSeconds: Double? {
        JobDescription.duration(submittedAt, finishedAt)
    }

    /// Why it did not succeed, as its report says it (a succeeded job has no failure).
    package var reportedFailure: JobFailure? {
        status == .succeeded ? nil : failure
    }
    /// Done in an earlier run: its files exist with their recorded hashes.
    package var alreadyDone = false
    /// Whether it holds a slot in the scheduler's in-flight count.
    package var holdsSlot = false
    /// The number of the query budget of the key that created its task (see ``RunMachine/budgets``).
    package var budgetKey: UInt8 = 0
    /// Whether it came from an earlier run's journal (a re-attached task).
    package var resumed = false
    /// Whether the task was asked again for fresh result URLs after a download found its URL
    /// expired (once per run; only if that fails too is the download given up as expired).
    package var askedForFreshURLs = false
    package var finishedAt: StoredTimestamp?

    package init() {}

    /// Moves it to phase `next`, with why it ended when `next` is an end other than success;
    /// a live phase clears any failure. Returns the phase it left, or throws (and stays) when
    /// the phase table does not allow the move.
    mutating func enter(_ next: JobPhase, failure: JobFailure?, job: Int) throws(IllegalMove) -> JobPhase.Name {
        let old = phase.name
        guard phase.allows(next.name) else { throw IllegalMove(job: job, from: old, to: next.name) }
        phase = next
        failureBox = failure.map(Boxed.init)
        return old
    }
}

/// A job's result files by index (from 1).
package typealias OutputRecords = ResultList<OutputRecord>

/// Values by result index (from 1), in index order: the first inline (most tasks give one
/// result), the others in a list, so a million jobs hold no dictionary or array each. A job's
/// result files and the journal's written results are both kept so.
package struct ResultList<Value: Sendable & Hashable>: Sendable, Hashable {
    private struct Item: Sendable, Hashable {
        var index: Int
        var value: Value
    }

    private var first: Item?
    private var later: [Item] = []

    package init() {}

    private var items: [Item] {
        get { first.map { [$0] + later } ?? [] }
        set {
            first = newValue.first
            later = Array(newValue.dropFirst())
        }
    }

    /// The value of result `index`.
    package subscript(index: Int) -> Value? {
        get {
            if let first, first.index == index { return first.value }
            return later.first { $0.index == index }?.value
        }
        set {
            // Most jobs have one result: set in place, without building lists.
            if later.isEmpty {
                switch (first?.index, newValue) {
                case (nil, let value?):
                    first = Item(index: index, value: value)
                    return
                case (index?, let value?):
                    first?.value = value
                    return
                case (index?, nil):
                    first = nil
                    return
                case (nil, nil):
                    return
                default:
                    break
                }
            }
            var all = items
            let position = all.firstIndex { $0.index >= index } ?? all.endIndex
            let present = position < all.endIndex && all[position].index == index
            switch (newValue, present) {
            case (let value?, true): all[position].value = value
            case (let value?, false): all.insert(Item(index: index, value: value), at: position)
            case (nil, true): all.remove(at: position)
            case (nil, false): break
            }
            items = all
        }
    }

    /// Calls `body` with each index and value, in index order, without making a list.
    package func forEach(_ body: (_ index: Int, _ value: Value) throws -> Void) rethrows {
        guard let first else { return }
        try body(first.index, first.value)
        for item in later { try body(item.index, item.value) }
    }

    /// The indexes, in order.
    package var keys: [Int] {
        var list: [Int] = []
        list.reserveCapacity(count)
        forEach { index, _ in list.append(index) }
        return list
    }
    /// The values, in index order.
    package var values: [Value] {
        var list: [Value] = []
        list.reserveCapacity(count)
        forEach { _, value in list.append(value) }
        return list
    }
    /// Indexes and values, in index order.
    package var all: [(index: Int, value: Value)] {
        var list: [(index: Int, value: Value)] = []
        list.reserveCapacity(count)
        forEach { index, value in list.append((index, value)) }
        return list
    }
    package var count: Int { first == nil ? 0 : 1 + later.count }
    package var isEmpty: Bool { first == nil }
}
