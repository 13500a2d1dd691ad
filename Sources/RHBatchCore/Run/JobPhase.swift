import RunningHubModel

/// Where one job of a run is, with what that phase needs.
///
/// Each case names the phases it may move to; ``JobRun/enter(_:failure:)`` refuses any other
/// move, and ``RunMachine`` changes a job's phase in one place only (`RunMachine.move`), which
/// keeps the per-phase tallies. A job that no phase can take an event in (an answer for a job
/// that already ended, a second download result) is not moved: the machine counts the event as
/// stray (``RunMachine/strays``).
package enum JobPhase: Sendable {
    /// Not looked at yet (before the run starts, or a job of another shard).
    /// Next: any phase.
    case idle
    /// Waits for `missing` of its input files to finish uploading.
    /// Next: `awaitingInputs` (one fewer), `queued`, `ended`.
    case awaitingInputs(missing: Int)
    /// In the submit scheduler's queue.
    /// Next: `submitting`, `ended`.
    case queued
    /// The scheduler let it go: fresh input uploads, the `submitting` record, the submit and its
    /// answer. Next: `submitting`, `queued` (refused, or sent again after an unknown answer),
    /// `polling`, `downloading` (finished at once), `ended`.
    indirect case submitting(Submitting)
    /// Its task is asked until it ends.
    /// Next: `polling`, `downloading`, `ended`.
    indirect case polling(RunMachine.PollState)
    /// Its results are downloading.
    /// Next: `downloading`, `polling` (the task is asked for fresh URLs), `ended`.
    indirect case downloading(Downloading)
    /// Ended (never ``JobStatus/pending``); the job's ``JobRun/failure`` says why unless it succeeded.
    /// Next: none.
    case ended(JobStatus)

    /// A submit on its way.
    package struct Submitting: Sendable, Hashable {
        /// The input URLs it is sent with, by source.
        package var urls: [String]
        /// Fresh uploads it still waits for.
        package var waiting: Int
        /// Whether the submit went out (its answer is due).
        package var sent = false

        package init(urls: [String], waiting: Int) {
            self.urls = urls
            self.waiting = waiting
        }
    }

    /// Result downloads on their way.
    package struct Downloading: Sendable, Hashable {
        /// Result indexes (from 1) whose download has not ended.
        package var pending: [Int]
        /// The last download failure so far.
        package var failure: JobFailure?

        package init(pending: [Int]) {
            self.pending = pending
        }
    }

    /// The phase's name, as decisions and errors say it.
    package var name: Name {
        switch self {
        case .idle: .idle
        case .awaitingInputs: .awaitingInputs
        case .queued: .queued
        case .submitting: .submitting
        case .polling: .polling
        case .downloading: .downloading
        case .ended: .ended
        }
    }

    /// A phase without its data.
    package enum Name: String, Sendable, Hashable, CaseIterable {
        case idle, awaitingInputs, queued, submitting, polling, downloading, ended
    }

    /// Whether a job may move from this phase to `next`.
    package func allows(_ next: Name) -> Bool {
        name.allows(next)
    }

    /// The report's status: the end's, or ``JobStatus/pending`` while the job is live.
    package var status: JobStatus {
        if case .ended(let status) = self { status } else { .pending }
    }
}

extension JobPhase.Name {
    /// The phase table: whether a job may move from this phase to `next`.
    package func allows(_ next: JobPhase.Name) -> Bool {
        switch (self, next) {
        case (.idle, _): true
        case (.awaitingInputs, .awaitingInputs), (.awaitingInputs, .queued), (.awaitingInputs, .ended): true
        case (.queued, .submitting), (.queued, .ended): true
        case (.submitting, .submitting), (.submitting, .queued), (.submitting, .polling),
            (.submitting, .downloading), (.submitting, .ended):
            true
        case (.polling, .polling), (.polling, .downloading), (.polling, .ended): true
        case (.downloading, .downloading), (.downloading, .polling), (.downloading, .ended): true
        default: false
        }
    }
}

/// How many jobs are in each phase: kept by the one transition, read by ``RunMachine/isFinished``
/// and the tests.
package struct PhaseTally: Sendable, Hashable {
    private var counts = [Int](repeating: 0, count: JobPhase.Name.allCases.count)

    package init() {}

    /// Jobs in phase `name`.
    package subscript(name: JobPhase.Name) -> Int {
        counts[Self.slot(name)]
    }

    mutating func moved(from old: JobPhase.Name, to new: JobPhase.Name) {
        counts[Self.slot(old)] -= 1
        counts[Self.slot(new)] += 1
    }

    mutating func add(_ name: JobPhase.Name, count: Int) {
        counts[Self.slot(name)] += count
    }

    private static func slot(_ name: JobPhase.Name) -> Int {
        JobPhase.Name.allCases.firstIndex(of: name)!
    }
}

/// A move the phase table does not allow: a fault of rh-batch itself, never of the API or the
/// user. The run stops submitting and says so; nothing already recorded is touched.
package struct IllegalMove: Error, Sendable, Hashable, CustomStringConvertible {
    /// The plan job.
    package var job: Int
    package var from: JobPhase.Name
    package var to: JobPhase.Name

    package var description: String {
        "internal error: job \(job) cannot move from \(from.rawValue) to \(to.rawValue); the run stops submitting (please report this)"
    }
}
