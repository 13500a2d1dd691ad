import NIOConcurrencyHelpers
import RHBatchCore

/// How `rh-batch run` shows a run: the words of its notices, the progress display, the summary
/// and the exit codes. The core reports facts (``RunUpdate``, ``RunOutcome``); this words them.
final class RunPresenter: Sendable {
    /// How progress is shown.
    enum Mode: Sendable, Hashable {
        /// A live status line with a bar, redrawn in place (a terminal).
        case live
        /// A plain line every few seconds (cron, CI).
        case lines(every: Duration)
        /// Nothing until the summary.
        case off
    }

    let mode: Mode
    let quiet: Bool
    private let currencyCode: NIOLockedValueBox<String>
    /// The currency spend is shown in: the catalog's, until the run reads the account's.
    var currency: String { currencyCode.withLockedValue { $0 } }
    let write: @Sendable (String) -> Void
    private let lastLine = NIOLockedValueBox("")

    init(mode: Mode, quiet: Bool, currency: String, write: @escaping @Sendable (String) -> Void = { Console.out($0) }) {
        self.mode = mode
        self.quiet = quiet
        self.currencyCode = NIOLockedValueBox(currency)
        self.write = write
    }

    /// How often the run should report progress for this mode.
    var interval: Duration? {
        switch mode {
        case .off: nil
        case .live: .milliseconds(250)
        case .lines(let every): every
        }
    }

    /// Shows one update.
    func show(_ update: RunUpdate) {
        switch update {
        case .progress(let progress): show(progress)
        case .notice(let notice): show(notice)
        }
    }

    func show(_ notice: RunNotice) {
        switch notice {
        case .warning(let text):
            write("warning: \(text)\n")
        case .accountLimit(let limit, let running, let configured):
            if !quiet {
                write(
                    "the key allows \(limit) tasks at once (\(running) running now); using \(limit) instead of \(configured)\n"
                )
            }
        case .interrupted(let inFlight):
            write(mode == .off ? "" : "\n")
            write("interrupted: no new submits; waiting for \(inFlight) tasks in flight (Ctrl-C again to stop now)\n")
        case .stoppingNow:
            write("stopping now; tasks in flight stay recorded in the journal for the next run\n")
        case .drainOver:
            write("the drain time is over; stopping now\n")
        case .stopping(let reason):
            write((mode == .live ? "\n" : "") + "stopping: \(reason)\n")
        case .journalError(let message):
            write("error: \(message); no further submits\n")
        case .internalError(let message):
            write("error: \(message)\n")
        case .datasetCardKept:
            write("README.md: edited since rh-batch wrote it; the dataset card was not rewritten\n")
        case .billingCurrency(let account, let catalog, let maxCost, let countsEstimates):
            currencyCode.withLockedValue { $0 = account }
            let budget =
                maxCost.map {
                    countsEstimates
                        ? "; --max-cost \($0) counts the catalog's \(catalog) estimates (--max-cost-currency \(catalog)), not what was billed"
                        : "; --max-cost \($0) counts \(account) billed, not the estimates"
                } ?? ""
            write(
                "this account is billed in \(account); the catalog's estimates are in \(catalog): spend counts what was billed, in \(account)\(budget)\n"
            )
        }
    }

    func show(_ progress: RunProgress) {
        switch mode {
        case .off:
            return
        case .live:
            let line = Self.line(progress, currency: currency)
            let changed = lastLine.withLockedValue { last in
                defer { last = line }
                return last != line
            }
            guard changed || progress.final else { return }
            write(
                "\r\u{1B}[2K" + Self.bar(progress.done + progress.failed, of: progress.total) + " " + line
                    + (progress.final ? "\n" : ""))
        case .lines:
            guard !progress.final else { return }
            write("[\(Self.clockText(progress.elapsed.seconds))] " + Self.line(progress, currency: currency) + "\n")
        }
    }

    /// `done 31/51 (60%) · failed 2 · in flight 8 · queued 10 · spent 4.20 CNY · 12 jobs/min · ETA 1m40s`
    static func line(_ progress: RunProgress, currency: String) -> String {
        let total = progress.total
        let elapsed = progress.elapsed.seconds
        let rate = elapsed > 1 ? Double(progress.endedThisRun) / elapsed * 60 : 0
        let percent = total > 0 ? (progress.done + progress.failed) * 100 / total : 100
        var line =
            "done \(progress.done)/\(total) (\(percent)%) · failed \(progress.failed) · in flight \(progress.inFlight) · queued \(progress.queued) · spent \(progress.spent) \(currency)"
        if rate > 0 {
            line += " · \(Int(rate.rounded())) jobs/min"
            let left = total - progress.done - progress.failed
            if left > 0 { line += " · ETA \(clockText(Double(left) / rate * 60))" }
        }
        if let paused = progress.pausedFor {
            line += " · waiting \(Int(paused.components.seconds) + 1)s: queue full"
        }
        return line
    }

    /// A progress bar, `[#######-------------]`, 20 steps wide.
    static func bar(_ done: Int, of total: Int) -> String {
        let filled = total > 0 ? min(20, done * 20 / total) : 20
        return "[" + String(repeating: "#", count: filled) + String(repeating: "-", count: 20 - filled) + "]"
    }

    /// `42s`, `3m05s`, `2h07m`.
    static func clockText(_ seconds: Double) -> String {
        let total = Int(seconds.rounded())
        func two(_ value: Int) -> String { value < 10 ? "0\(value)" : String(value) }
        if total >= 3600 { return "\(total / 3600)h\(two((total % 3600) / 60))m" }
        if total >= 60 { return "\(total / 60)m\(two(total % 60))s" }
        return "\(total)s"
    }

    /// The exit code of a run that ended this way (docs/cli.md "Exit codes").
    static func exitCode(_ ending: RunEnding) -> Int32 {
        ExitStatus(ending).rawValue
    }
}

extension RunOutcome {
    /// The summary `rh-batch run` prints at the end.
    var summary: String {
        var lines: [String] = []
        var parts = ["\(totals.succeeded) succeeded"]
        if totals.alreadyDone > 0 { parts.append("\(totals.alreadyDone) already done") }
        for (count, name) in [
            (totals.failed, "failed"), (totals.unknown, "unknown"), (totals.timeout, "timed out"),
            (totals.cancelled, "cancelled"), (totals.skipped, "skipped"),
        ] where count > 0 {
            parts.append("\(count) \(name)")
        }
        lines.append("\(name): \(totals.jobs) jobs: " + parts.joined(separator: ", "))
        lines.append(
            "spent \(totals.cost) \(currency)\(totals.coins == .zero ? "" : " and \(totals.coins) RH coins") in \(RunPresenter.clockText(elapsed.seconds)); \(totals.outputs) files, \(totals.bytes) bytes"
        )
        if let estimates = estimateCurrency {
            lines.append(
                "this account is billed in \(currency): spend is what was billed, in \(currency); the catalog's estimates (plan) are in \(estimates)"
                    + (maxCostCountsEstimates ? "; --max-cost counted the catalog's \(estimates) estimates" : "")
            )
        }
        if !totals.drift.isEmpty {
            let models = totals.driftByModel.map { "\($0.model) \($0.change) \(currency) a task (\($0.tasks))" }
            lines.append(
                "billed otherwise than the catalog estimates: \(models.joined(separator: ", ")); prices may have moved: rh-batch catalog update"
            )
        }
        for key in keys {
            let refused = key.refusals.values.reduce(0, +)
            let retired = key.retired.map { "; retired: \($0)" } ?? ""
            lines.append(
                "  key \(key.name) (\(key.fingerprint)): \(key.tasks) tasks, \(key.spend) \(currency), \(refused) refusals\(retired)"
            )
        }
        lines.append("results: \(folder)/ (report.json, index.jsonl, metadata.jsonl, journal.jsonl)")
        lines.append("see them: \(folder)/report.html")
        if let reason = stoppedEarly { lines.append("stopped early: \(reason)") }
        if troubledCount > 0 {
            lines.append("not succeeded:")
            for (job, status, failure) in troubled {
                lines.append(
                    "  \(job.id) \(job.model) \(job.image.id) \(job.prompt.id): \(status.rawValue) at \(failure?.phase.rawValue ?? "?"): \(failure?.code.rawValue ?? "?") \(failure?.message ?? "")"
                )
            }
            if troubledCount > troubled.count {
                lines.append("  ... and \(troubledCount - troubled.count) more (see report.json)")
            }
        }
        for problem in problems { lines.append("warning: \(problem)") }
        return lines.joined(separator: "\n")
    }
}

extension Duration {
    /// In seconds, with the fraction.
    var seconds: Double {
        Double(components.seconds) + Double(components.attoseconds) / 1e18
    }
}
