import Logging

/// One decision of the run machine, said with `--verbose`: what it chose to do and why, with the
/// job's key and task id (swift-log's static message and dotted metadata keys).
package struct RunDecision: Sendable, Hashable {
    /// What was decided, e.g. `submit.sent`, `query.scheduled`.
    package var kind: Kind
    /// Facts by dotted key (`job.key`, `task.id`, `code`, `backoff.seconds`, …).
    package var facts: [String: String]

    package init(_ kind: Kind, _ facts: [String: String] = [:]) {
        self.kind = kind
        self.facts = facts
    }

    /// The kinds of decision.
    package enum Kind: String, Sendable, Hashable, CaseIterable {
        /// An input file's upload was started, or its answer came.
        case uploadSent = "upload.sent"
        case uploadEnded = "upload.ended"
        /// A submit went out (its `submitting` record first).
        case submitSent = "submit.sent"
        /// The API created the task.
        case submitAccepted = "submit.accepted"
        /// The API refused the submit: nothing was created; when it is sent again.
        case submitRefused = "submit.refused"
        /// The submit's outcome is unknown.
        case submitUnknown = "submit.unknown"
        /// A job whose submit's outcome was unknown is sent again (`--resubmit-unknown`).
        case resubmitUnknown = "resubmit.unknown"
        /// The in-flight ceiling changed: learnt from refusals or clean submits, or the key's limit.
        case limitLearnt = "limit.learnt"
        /// A task's next query was placed.
        case queryScheduled = "query.scheduled"
        /// A query's answer.
        case queryAnswer = "query.answer"
        /// A webhook callback for a task the run waits on: it is asked at once.
        case callback = "webhook.callback"
        /// A result's download started, is retried, ended.
        case downloadStart = "download.start"
        case downloadRetry = "download.retry"
        case downloadEnd = "download.end"
        /// A key was retired for the rest of the run (a bad key, no balance).
        case keyRetired = "key.retired"
        /// Journal records asked to be durable are on disk.
        case journalSync = "journal.sync"
        /// A job ended.
        case jobEnded = "job.ended"
        /// An event nothing waited for was ignored.
        case stray = "event.stray"
    }

    /// The logger's metadata.
    package var metadata: Logger.Metadata {
        facts.mapValues { .string($0) }
    }

    /// Says it on `logger`, at debug level.
    package func log(to logger: Logger) {
        logger.debug(Logger.Message(stringLiteral: kind.rawValue), metadata: metadata)
    }
}

extension Duration {
    /// Seconds with millisecond precision, as a decision says a time.
    var decisionText: String {
        let milliseconds = components.seconds * 1000 + components.attoseconds / 1_000_000_000_000_000
        let sign = milliseconds < 0 ? "-" : ""
        let whole = abs(milliseconds)
        let fraction = String(whole % 1000)
        return "\(sign)\(whole / 1000).\(String(repeating: "0", count: 3 - fraction.count))\(fraction)"
    }
}
