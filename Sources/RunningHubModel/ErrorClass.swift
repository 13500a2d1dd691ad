/// What an API error means for the job and the run: the one table every caller decides by.
package enum ErrorClass: String, Sendable, Hashable, Codable {
    /// The request was refused before anything happened; sending it again later is safe
    /// (queue full, rate limit, machines busy, HTTP 429, a connection that never opened).
    case retryable
    /// A query or download failed on the way; ask again (HTTP 5xx, busy, service unavailable).
    case transient
    /// The job failed for good: sending it again fails the same way (moderation, bad parameters).
    case final
    /// Every further call fails the same way: stop the run (bad key, wrong key type, no balance).
    case fatal
    /// A submit may or may not have created (and billed) a task.
    case unknownOutcome
}

/// Known RunningHub error codes and what they mean (api.md §8).
package enum ErrorTable {
    /// The class of an error code from a body (`errorCode` or `code`).
    package static func classify(code: String) -> ErrorClass {
        switch code {
        case "421", "415", "1003", "814", "1520": .retryable
        case "500", "1000", "1005", "1010", "1011", "1012", "804", "813": .transient
        case "1002", "802", "801", "811", "401", "412", "1014", "416", "812", "-1", "1001", "1009": .fatal
        default: .final
        }
    }

    /// Server codes that say "please retry later" (api.md §8): the request did nothing.
    package static func asksToRetryLater(code: String) -> Bool {
        code == "1005" || code == "1010" || code == "1011" || code == "1012"
    }

    /// Codes and HTTP statuses that say the path does not exist: the base URL is wrong, and every
    /// call will fail the same way until it is fixed.
    package static func meansWrongEndpoint(code: String) -> Bool {
        code == "1001" || code == "1009" || code == "http-404" || code == "http-405"
    }

    /// Codes that say the task is still running or queued (`APIKEY_TASK_IS_RUNNING`,
    /// `APIKEY_TASK_IS_QUEUED`): an answer about a task that is not done yet.
    package static func meansTaskNotDone(code: String) -> Bool {
        code == "804" || code == "813"
    }

    /// The message for a wrong endpoint, naming what to fix.
    package static func wrongEndpointMessage(_ detail: String) -> String {
        "\(detail): the API says this path does not exist; check RH_API_BASE_URL (it must end in /openapi/v2)"
    }

    /// The class of an HTTP status without a usable body.
    package static func classify(httpStatus: Int, duringSubmit: Bool) -> ErrorClass {
        switch httpStatus {
        case 429: .retryable
        case 401, 403, 404, 405: .fatal
        case 500...599: duringSubmit ? .unknownOutcome : .transient
        default: .final
        }
    }

    /// A short name for a code, for messages.
    package static func name(of code: String) -> String? {
        switch code {
        case "421": "TASK_QUEUE_MAXED"
        case "415": "TASK_INSTANCE_MAXED"
        case "416": "not enough balance"
        case "812": "enterprise key has no funds"
        case "1002", "802", "401": "invalid API key"
        case "1003": "rate limit exceeded"
        case "1004": "task not found"
        case "1007", "301": "invalid parameters"
        case "1013": "input file could not be processed"
        case "1014": "the key is not an Enterprise-Shared key"
        case "1001", "1009": "wrong path: check RH_API_BASE_URL"
        case "1501": "content moderation"
        case "1505": "photorealistic people are prohibited"
        default: nil
        }
    }
}
