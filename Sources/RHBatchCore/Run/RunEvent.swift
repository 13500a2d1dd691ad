import RunningHubModel

/// What a child task of the run reports back to the loop that owns the run's state.
enum RunEvent: Sendable {
    /// An upload finished.
    case uploaded(image: Int, Result<String, UploadError>)
    /// A submit came back (already journaled).
    case submitted(job: Int, SubmitOutcome, inputURLs: [String], at: String)
    /// Polling a task ended (already journaled when it finished).
    case taskEnded(job: Int, PollEnd)
    /// A result download ended (already journaled when it succeeded).
    case downloaded(job: Int, index: Int, Result<OutputRecord, JobFailure>)
    /// A wake-up the scheduler asked for.
    case wake
    /// Time to show progress.
    case progress
    /// Ctrl-C (or SIGTERM).
    case interrupt
    /// The first Ctrl-C's drain time is over.
    case drainOver
    /// A child was cancelled (second Ctrl-C) while working on a job.
    case cancelled(job: Int)
    /// The journal could not be written: nothing more can be done safely.
    case journalFailed(job: Int?, String)
    /// The interrupt stream ended (no more signals will come).
    case signalsClosed
    /// Records the loop decided on were written (or the error that stopped them).
    case journalWritten(error: String?)
}

/// How polling a task ended.
enum PollEnd: Sendable {
    /// The task ended; the snapshot says how. `took` estimates how long it ran: from the start of
    /// polling to halfway between the last query that saw it running and the one that saw it
    /// finished (`nil` when no earlier query saw it running).
    case finished(TaskSnapshot, took: Duration? = nil)
    /// The task did not end within the time bound.
    case timeout(elapsed: Duration)
    /// The key stopped working while polling.
    case fatal(APIFailure)
    /// The API no longer knows the task (`1004`), or answered the task's query with a final error.
    case lost(APIFailure)
}
