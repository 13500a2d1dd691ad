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

/// Why a job did not succeed: the report's `error`.
package struct JobFailure: Error, Sendable, Hashable {
    /// `validate`, `upload`, `submit`, `poll` or `download`.
    package var phase: String
    /// The API's code or a local one (`timeout`, `stopped`, `expired`).
    package var code: String
    /// One sentence.
    package var message: String

    /// Makes a failure.
    package init(phase: String, code: String, message: String) {
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
    package var sha256: String

    package init(path: String, url: String, bytes: Int, sha256: String) {
        self.path = path
        self.url = url
        self.bytes = bytes
        self.sha256 = sha256
    }
}

/// Everything the runner knows about one job: the report's job entry.
package struct JobRun: Sendable {
    package var status = JobStatus.pending
    /// Done in an earlier run: its files exist with their recorded hashes.
    package var alreadyDone = false
    package var taskId: String?
    package var attempts = 0
    package var submittedAt: String?
    package var finishedAt: String?
    package var cost: Money?
    package var results: [TaskResult] = []
    package var outputs: [Int: OutputRecord] = [:]
    /// The URL each input image was sent as.
    package var inputURLs: [String] = []
    package var failure: JobFailure?
    /// Result downloads not finished yet.
    package var pendingDownloads = 0
    /// Whether it holds a slot in the scheduler's in-flight count.
    package var holdsSlot = false
    /// Whether it came from an earlier run's journal (a re-attached task).
    package var resumed = false
    /// When this run's submit was accepted, for learning how long tasks take.
    package var acceptedAt: ContinuousClock.Instant?
    /// Download failures so far in this run.
    package var downloadFailure: JobFailure?
    /// Whether the task was asked again for fresh result URLs after a download found its URL
    /// expired (once per run; only if that fails too is the download given up as expired).
    package var askedForFreshURLs = false

    package init() {}
}
