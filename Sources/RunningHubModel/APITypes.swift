/// The state of a task on RunningHub.
package enum TaskState: String, Sendable, Hashable, Codable {
    case queued, running, succeeded, failed, cancelled

    /// Whether the task has ended.
    package var isFinished: Bool {
        switch self {
        case .queued, .running: false
        case .succeeded, .failed, .cancelled: true
        }
    }
}

/// One result of a finished task.
package struct TaskResult: Sendable, Hashable, Codable {
    /// Where to download it (signed; expires after about a day).
    package var url: String
    /// The file extension the API reports (`png`, `jpg`), when it reports one.
    package var outputType: String?
    /// The workflow node that made it (`"9"`), for workflow and app tasks.
    package var nodeId: String?

    /// Makes a result.
    package init(url: String, outputType: String?, nodeId: String? = nil) {
        self.url = url
        self.outputType = outputType
        self.nodeId = nodeId
    }
}

/// An uploaded input file: the URL standard models take, and the name workflow nodes take.
package struct UploadedFile: Sendable, Hashable {
    /// The `download_url`.
    package var url: String
    /// The `fileName` (`openapi/<sha256>.png`), when the answer gave one.
    package var fileName: String?

    package init(url: String, fileName: String?) {
        self.url = url
        self.fileName = fileName
    }
}

/// A task as a submit or a query reported it.
package struct TaskSnapshot: Sendable, Hashable {
    /// The task id (always a string, whatever the API sent).
    package var taskId: String
    /// Its state.
    package var state: TaskState
    /// Results, when it succeeded.
    package var results: [TaskResult]
    /// What it cost, as the API's decimal string, when reported.
    package var cost: String?
    /// What a workflow or app task cost in RH coins, as the API's decimal string, when reported.
    package var coins: String?
    /// The GPU seconds it was billed for (`taskCostTime`), when reported.
    package var costSeconds: String?
    /// The error code of a failed task.
    package var errorCode: String?
    /// The error message of a failed task.
    package var errorMessage: String?
    /// Which of several keys created the task: its fingerprint (see `KeyPool`), never the key.
    package var keyID: String?

    /// Makes a snapshot.
    package init(
        taskId: String,
        state: TaskState,
        results: [TaskResult] = [],
        cost: String? = nil,
        errorCode: String? = nil,
        errorMessage: String? = nil
    ) {
        self.taskId = taskId
        self.state = state
        self.results = results
        self.cost = cost
        self.errorCode = errorCode
        self.errorMessage = errorMessage
    }
}

/// An error answer or a transport failure, classified.
package struct APIFailure: Error, Sendable, Hashable, CustomStringConvertible {
    /// The API's code (`421`, `1501`), `http-502`, or a transport name (`timeout`, `connection-refused`).
    package var code: String
    /// What the API or the transport said; never contains the key.
    package var message: String
    /// The HTTP status, when there was an answer.
    package var httpStatus: Int?
    /// What it means for the job.
    package var errorClass: ErrorClass
    /// How long the API asked to wait (`Retry-After`).
    package var retryAfter: Duration?

    /// Makes a failure.
    package init(
        code: String, message: String, httpStatus: Int? = nil, errorClass: ErrorClass, retryAfter: Duration? = nil
    ) {
        self.code = code
        self.message = message
        self.httpStatus = httpStatus
        self.errorClass = errorClass
        self.retryAfter = retryAfter
    }

    package var description: String {
        let name = ErrorTable.name(of: code).map { " (\($0))" } ?? ""
        return "\(code)\(name): \(message)"
    }

    /// A rate limit (`1003`, HTTP 429): wait, do not lower the ceiling.
    package var isRateLimit: Bool {
        code == "1003" || httpStatus == 429
    }

    /// The task is not known (`1004`): perhaps not yet, just after its submit.
    package var isNotFound: Bool {
        code == "1004"
    }

    /// The API could not be reached at all.
    package var isConnectionFailure: Bool {
        code == "connection-failed"
    }
}

/// What became of a submit.
package enum SubmitOutcome: Sendable, Hashable {
    /// A task exists (it may already be finished).
    case accepted(TaskSnapshot)
    /// Definitely refused: no task was created. The failure's class says whether to retry.
    case refused(APIFailure)
    /// The request may have reached the server and created a task; resending could bill twice.
    case unknown(APIFailure)
}

/// What a query found.
package enum QueryOutcome: Sendable, Hashable {
    /// The task's state.
    case task(TaskSnapshot)
    /// The query failed; the failure's class says whether to ask again.
    case failed(APIFailure)
}

/// The key's concurrency and current load (`GET /openapi/v2/queue/status`).
package struct QueueStatus: Sendable, Hashable {
    /// The key type: `SHARED`, `EXCLUSIVE`, `NORMAL`.
    package var keyType: String
    /// The most tasks the key may have running.
    package var concurrencyLimit: Int
    /// Tasks running now.
    package var running: Int
    /// Tasks queued now.
    package var queued: Int

    package init(keyType: String, concurrencyLimit: Int, running: Int, queued: Int) {
        self.keyType = keyType
        self.concurrencyLimit = concurrencyLimit
        self.running = running
        self.queued = queued
    }
}

/// The account's balance (`POST /uc/openapi/accountStatus`).
package struct AccountStatus: Sendable, Hashable {
    /// Money left, as the API's decimal string, when reported.
    package var remainingMoney: String?
    /// The currency, when reported.
    package var currency: String?
    /// Tasks running now.
    package var runningTasks: Int

    package init(remainingMoney: String?, currency: String?, runningTasks: Int) {
        self.remainingMoney = remainingMoney
        self.currency = currency
        self.runningTasks = runningTasks
    }
}

/// A result file written to disk.
package struct DownloadedFile: Sendable, Hashable {
    /// The final path.
    package var path: String
    /// Its size in bytes.
    package var bytes: Int
    /// SHA-256 of its contents, lowercase hex.
    package var sha256: String
    /// The file extension its first bytes declare: `png`, `jpg`, `mp4`, `wav`, `glb`, `txt`.
    package var format: String

    package init(path: String, bytes: Int, sha256: String, format: String) {
        self.path = path
        self.bytes = bytes
        self.sha256 = sha256
        self.format = format
    }
}

/// A download that did not produce a file (and left none behind).
package struct DownloadError: Error, Sendable, Hashable, CustomStringConvertible {
    /// What went wrong.
    package enum Reason: String, Sendable, Hashable {
        /// The URL no longer works (HTTP 403/404/410): retrying will not help.
        case expired
        /// The server answered with another error status.
        case httpStatus
        /// The body was shorter or longer than announced, or the connection broke.
        case incomplete
        /// The bytes are not a file of the kind the model makes (an image, a video, ...).
        case wrongKind
        /// Writing the file failed.
        case fileSystem
        /// The transfer timed out or the connection failed.
        case transport
        /// The URL is not one rh-batch fetches: not http(s), or a loopback, link-local or
        /// private address while the API itself is not on one.
        case refusedTarget
        /// The file is larger than the byte cap.
        case tooLarge
    }

    /// What went wrong.
    package var reason: Reason
    /// Details for the report.
    package var message: String

    /// Whether trying again may succeed.
    package var isRetryable: Bool {
        switch reason {
        case .incomplete, .transport, .httpStatus: true
        case .expired, .wrongKind, .fileSystem, .refusedTarget, .tooLarge: false
        }
    }

    /// For ``Reason/wrongKind``: the kind that was expected.
    package var expected: OutputKind?

    /// Makes a download error.
    package init(reason: Reason, message: String, expected: OutputKind? = nil) {
        self.reason = reason
        self.message = message
        self.expected = expected
    }

    package var description: String { "\(reason.rawValue): \(message)" }
}

/// An upload that did not produce a URL.
package struct UploadError: Error, Sendable, Hashable, CustomStringConvertible {
    /// The classified failure.
    package var failure: APIFailure

    /// Wraps a failure.
    package init(failure: APIFailure) {
        self.failure = failure
    }

    package var description: String { "upload failed: \(failure)" }
}
