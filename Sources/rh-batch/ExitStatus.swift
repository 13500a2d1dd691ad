import ArgumentParser
import RHBatchCore

/// Every exit code of the command line, in one place (docs/cli.md, "Exit codes").
enum ExitStatus: Int32 {
    /// A run whose every job succeeded (now or before); any other command that did what it was
    /// asked.
    case success = 0
    /// A run that finished with some jobs not succeeded; a command that could not write or find
    /// what it was asked for.
    case failed = 1
    /// A run that stopped early (the key, the budget, the API unreachable, the journal, the output
    /// folder), or could not start (no key).
    case stopped = 2
    /// The command line or the manifest is invalid: nothing was sent.
    case invalid = 64
    /// Ctrl-C or SIGTERM.
    case interrupted = 130

    /// How a run that ended this way exits.
    init(_ ending: RunEnding) {
        switch ending {
        case .succeeded: self = .success
        case .someJobsDidNotSucceed: self = .failed
        case .stopped: self = .stopped
        case .interrupted: self = .interrupted
        }
    }
}

extension ExitCode {
    /// The exit code of `status`.
    init(_ status: ExitStatus) {
        self.init(status.rawValue)
    }
}
