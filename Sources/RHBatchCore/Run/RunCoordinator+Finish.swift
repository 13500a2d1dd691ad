import YAML
import RunningHubModel

extension RunCoordinator {
    // MARK: Progress

    mutating func scheduleProgress(_ group: inout TaskGroup<RunEvent>) {
        let every: Duration
        switch options.progress {
        case .off: return
        case .live: every = .milliseconds(250)
        case .lines(let interval): every = interval
        }
        helpersRunning += 1
        group.addTask {
            try? await Task.sleep(for: every)
            return .progress
        }
    }

    func counts() -> (done: Int, failed: Int, inFlight: Int, queued: Int, spent: Money) {
        var done = 0
        var failed = 0
        var spent = Money.zero
        for index in selected {
            let run = jobs[index]
            switch run.status {
            case .succeeded: done += 1
            case .pending: break
            default: failed += 1
            }
            if !run.alreadyDone, run.taskId != nil, run.status != .pending || run.cost != nil {
                spent += run.cost ?? (run.status == .succeeded ? plan.jobs[index].price : .zero)
            }
        }
        return (done, failed, scheduler.inFlight, scheduler.queued + uploadQueue.count, spent)
    }

    mutating func showProgress(final: Bool) {
        let (done, failed, inFlight, queued, spent) = counts()
        let total = selected.count
        let elapsed = Double(now.components.seconds) + Double(now.components.attoseconds) / 1e18
        let finishedThisRun = selected.filter { jobs[$0].status != .pending && !jobs[$0].alreadyDone }.count
        let rate = elapsed > 1 ? Double(finishedThisRun) / elapsed * 60 : 0
        let percent = total > 0 ? (done + failed) * 100 / total : 100
        var line = "done \(done)/\(total) (\(percent)%) · failed \(failed) · in flight \(inFlight) · queued \(queued) · spent \(spent) \(plan.currency)"
        if rate > 0 {
            line += " · \(Int(rate.rounded())) jobs/min"
            let left = total - done - failed
            if left > 0 { line += " · ETA \(Self.clockText(Double(left) / rate * 60))" }
        }
        if let paused = scheduler.pausedUntil, paused > now {
            line += " · waiting \(Int((paused - now).components.seconds) + 1)s: queue full"
        }
        switch options.progress {
        case .off: return
        case .live:
            guard line != lastProgressLine || final else { return }
            lastProgressLine = line
            console("\r\u{1B}[2K" + Self.bar(done + failed, of: total) + " " + line + (final ? "\n" : ""))
        case .lines:
            console("[\(Self.clockText(elapsed))] " + line + "\n")
        }
    }

    /// A progress bar, `[#######-------------]`, 20 steps wide.
    static func bar(_ done: Int, of total: Int) -> String {
        let filled = total > 0 ? min(20, done * 20 / total) : 20
        return "[" + String(repeating: "#", count: filled) + String(repeating: "-", count: 20 - filled) + "]"
    }

    static func clockText(_ seconds: Double) -> String {
        let total = Int(seconds.rounded())
        if total >= 3600 { return "\(total / 3600)h\(String(format2: (total % 3600) / 60))m" }
        if total >= 60 { return "\(total / 60)m\(String(format2: total % 60))s" }
        return "\(total)s"
    }

    // MARK: The end

    /// Settles jobs that did not end, writes `index.jsonl`, compacts the journal and writes
    /// `report.json`.
    mutating func finish(startedAt: String) async -> RunOutcome {
        if options.progress == .live { showProgress(final: true) }
        keyUsage = await service.keyUsage()
        let stoppedMessage = stopReason.map(Self.describe) ?? "the run ended early"
        for index in selected where jobs[index].status == .pending {
            jobs[index].status = .cancelled
            jobs[index].failure = jobs[index].failure ?? JobFailure(
                phase: jobs[index].taskId == nil ? "submit" : "poll",
                code: interrupts > 0 ? "interrupted" : "stopped",
                message: jobs[index].taskId == nil ? "not submitted: \(stoppedMessage)" : "still running when the run stopped; the next run picks it up"
            )
        }
        let finishedAt = Timestamp.now()
        var totals = RunTotals()
        totals.jobs = selected.count + plan.skipped.count
        totals.skipped = plan.skipped.count
        for index in selected {
            let run = jobs[index]
            if run.alreadyDone {
                totals.alreadyDone += 1
            } else {
                switch run.status {
                case .succeeded: totals.succeeded += 1
                case .failed: totals.failed += 1
                case .unknown: totals.unknown += 1
                case .skipped: totals.skipped += 1
                case .cancelled: totals.cancelled += 1
                case .timeout: totals.timeout += 1
                case .pending: break
                }
            }
            if run.status == .succeeded {
                totals.outputs += run.outputs.count
                totals.bytes += run.outputs.values.reduce(0) { $0 + $1.bytes }
            }
            if !run.alreadyDone, run.taskId != nil, run.submittedAt != nil || run.cost != nil {
                if run.status == .succeeded { totals.cost += run.cost ?? plan.jobs[index].price } else if let cost = run.cost { totals.cost += cost }
            }
        }

        let exitCode: Int32
        if interrupts > 0 {
            exitCode = 130
        } else if let reason = stopReason, !(reason == .interrupted && localFailure == nil) {
            exitCode = 2
        } else if localFailure != nil {
            exitCode = 2
        } else if totals.failed + totals.unknown + totals.cancelled + totals.timeout + totals.skipped > 0 {
            exitCode = 1
        } else {
            exitCode = 0
        }

        var problems: [String] = []
        do {
            try await journal.append(pendingJournal)
            try await journal.flushQueued()
        } catch {
            problems.append("the journal could not be written: \(error)")
        }
        pendingJournal = []
        if let failure = localFailure { problems.append("local failure: \(failure)") }
        if interrupts < 2 { remoteInputs = await fetchRemoteInputs() }
        do {
            let changed = try writeIndexIfChanged()
            if try writeDatasetCard(resultsChanged: changed, date: String(finishedAt.prefix(10))) == .keptUsersFile {
                console("README.md: edited since rh-batch wrote it; the dataset card was not rewritten\n")
            }
        } catch {
            problems.append("index.jsonl, metadata.jsonl or README.md could not be written: \(error)")
        }
        // Fold this run's records into the journal's compact form, so the next read stays quick;
        // a run that recorded nothing about any job leaves the journal as it is.
        if journal.jobRecordsAppended > 0, let contents = try? Journal.read(folder: folder) {
            do {
                try Journal.compact(folder: folder, state: contents.state, at: finishedAt)
            } catch {
                problems.append("\(error)")
            }
        }
        do {
            try await writeReport(startedAt: startedAt, finishedAt: finishedAt, totals: totals, exitCode: exitCode)
        } catch {
            problems.append("report.json could not be written: \(error)")
        }
        do {
            try writeContactSheetIfChanged(totals: totals, startedAt: startedAt, finishedAt: finishedAt)
        } catch {
            problems.append("report.html could not be written: \(error)")
        }
        let summary = summaryText(totals: totals, exitCode: exitCode, problems: problems)
        return RunOutcome(exitCode: exitCode, summary: summary, totals: totals, state: nil)
    }

    /// Writes `report.json`: the top level indented, each job on one line, streamed to disk;
    /// chunks of jobs are rendered on all cores, two chunks ahead of the writer.
    func writeReport(startedAt: String, finishedAt: String, totals: RunTotals, exitCode: Int32) async throws(AtomicFile.Failure) {
        let writer = try AtomicFileWriter(path: folder + "/report.json")
        let header = reportHeader(startedAt: startedAt, finishedAt: finishedAt, totals: totals, exitCode: exitCode)
        var text = header.pretty
        text.removeLast(2)  // "\n}": the jobs follow as the last member.
        text += ",\n  \"jobs\": ["
        writer.write(text)
        let renderer = JobRenderer(plan: plan, jobs: jobs)
        let selected = selected
        let chunk = 4096
        let chunks = (selected.count + chunk - 1) / chunk
        var first = true
        await withTaskGroup(of: (Int, String).self) { group in
            var rendered: [Int: String] = [:]
            var next = 0
            var launched = 0
            func launch(_ number: Int, _ group: inout TaskGroup<(Int, String)>) {
                let range = (number * chunk)..<min(selected.count, (number + 1) * chunk)
                group.addTask {
                    var text = ""
                    for (offset, position) in range.enumerated() {
                        text += number == 0 && offset == 0 ? "\n    " : ",\n    "
                        text += renderer.reportEntry(selected[position])
                    }
                    return (number, text)
                }
            }
            while launched < min(chunks, 3) {
                launch(launched, &group)
                launched += 1
            }
            while let (number, text) = await group.next() {
                rendered[number] = text
                while let ready = rendered.removeValue(forKey: next) {
                    writer.write(ready)
                    first = false
                    next += 1
                    if launched < chunks {
                        launch(launched, &group)
                        launched += 1
                    }
                }
            }
        }
        for skipped in plan.skipped {
            writer.write(first ? "\n    " : ",\n    ")
            first = false
            writer.write(skippedEntry(skipped).json)
        }
        writer.write(first ? "]\n}\n" : "\n  ]\n}\n")
        try writer.commit()
    }

    func skippedEntry(_ skipped: SkippedJob) -> JSONValue {
        return .object([
            ("id", .null), ("key", .null), ("summary", .string(skipped.summary)), ("status", .string("skipped")),
            ("error", .object([
                ("phase", .string("validate")), ("code", .string("invalid")),
                ("message", .string("\(plan.manifest.file):\(skipped.mark.line):\(skipped.mark.column): \(skipped.path): \(skipped.reason)")),
            ])),
        ])
    }

    func reportHeader(startedAt: String, finishedAt: String, totals: RunTotals, exitCode: Int32) -> JSONValue {
        let duration = (Timestamp.parse(finishedAt) ?? 0) - (Timestamp.parse(startedAt) ?? 0)
        return .object([
            ("schemaVersion", .integer(1)),
            ("tool", .object([("name", .string("rh-batch")), ("version", .string(RHBatchInfo.version))])),
            ("manifest", .object([
                ("path", .string(plan.manifest.file)), ("name", .string(plan.manifest.name)),
                ("sha256", .string(plan.manifestSHA256)),
            ])),
            ("apiBaseURL", .string(options.apiBaseURL)),
            ("simulated", .boolean(options.simulated)),
            ("startedAt", .string(startedAt)),
            ("finishedAt", .string(finishedAt)),
            ("durationSeconds", .number(duration.rounded(toPlaces: 3))),
            ("exitCode", .integer(Int(exitCode))),
            ("stopReason", stopReason.map { .string(Self.describe($0)) } ?? .null),
            ("keys", .array(keyUsage.map { key in
                .object([
                    ("name", .string(key.name)), ("fingerprint", .string(key.fingerprint)), ("tasks", .integer(key.tasks)),
                    ("spend", .string(key.spend.description)), ("limit", key.limit.map { .integer($0) } ?? .null),
                    ("refusals", .object(key.refusals.sorted { $0.key < $1.key }.map { ($0.key, .integer($0.value)) })),
                    ("retired", key.retired.map { .string($0) } ?? .null),
                ])
            })),
            ("totals", .object([
                ("jobs", .integer(totals.jobs)), ("succeeded", .integer(totals.succeeded)), ("failed", .integer(totals.failed)),
                ("unknown", .integer(totals.unknown)), ("skipped", .integer(totals.skipped)),
                ("cancelled", .integer(totals.cancelled)), ("timeout", .integer(totals.timeout)),
                ("alreadyDone", .integer(totals.alreadyDone)), ("outputs", .integer(totals.outputs)),
                ("bytes", .integer(totals.bytes)),
                ("cost", .object([("amount", .string(totals.cost.description)), ("currency", .string(plan.currency))])),
                ("submits", .integer(submitsSent)), ("refusals", .integer(scheduler.refusals)),
            ])),
        ])
    }

    func summaryText(totals: RunTotals, exitCode: Int32, problems: [String]) -> String {
        var lines: [String] = []
        let elapsed = Double(now.components.seconds) + Double(now.components.attoseconds) / 1e18
        var parts = ["\(totals.succeeded) succeeded"]
        if totals.alreadyDone > 0 { parts.append("\(totals.alreadyDone) already done") }
        for (count, name) in [(totals.failed, "failed"), (totals.unknown, "unknown"), (totals.timeout, "timed out"), (totals.cancelled, "cancelled"), (totals.skipped, "skipped")] where count > 0 {
            parts.append("\(count) \(name)")
        }
        lines.append("\(plan.manifest.name): \(totals.jobs) jobs: " + parts.joined(separator: ", "))
        lines.append("spent \(totals.cost) \(plan.currency) in \(Self.clockText(elapsed)); \(totals.outputs) files, \(totals.bytes) bytes")
        for key in keyUsage {
            let refused = key.refusals.values.reduce(0, +)
            let retired = key.retired.map { "; retired: \($0)" } ?? ""
            lines.append("  key \(key.name) (\(key.fingerprint)): \(key.tasks) tasks, \(key.spend) \(plan.currency), \(refused) refusals\(retired)")
        }
        lines.append("results: \(folder)/ (report.json, index.jsonl, metadata.jsonl, journal.jsonl)")
        lines.append("see them: \(folder)/report.html")
        if let reason = stopReason, !(reason == .interrupted && interrupts == 0 && localFailure == nil) {
            lines.append("stopped early: \(Self.describe(reason))")
        }
        let troubled = selected.filter { [.failed, .unknown, .timeout].contains(jobs[$0].status) }
        if !troubled.isEmpty {
            lines.append("not succeeded:")
            for index in troubled.prefix(15) {
                let job = plan.jobs[index]
                let failure = jobs[index].failure
                lines.append("  \(job.id) \(job.model) \(job.image.id) \(job.prompt.id): \(jobs[index].status.rawValue) at \(failure?.phase ?? "?"): \(failure?.code ?? "?") \(failure?.message ?? "")")
            }
            if troubled.count > 15 { lines.append("  ... and \(troubled.count - 15) more (see report.json)") }
        }
        for problem in problems { lines.append("warning: \(problem)") }
        return lines.joined(separator: "\n")
    }
}

extension String {
    init(format2 value: Int) {
        self = value < 10 ? "0\(value)" : String(value)
    }
}

/// The tool's name and version, as reports state them.
package enum RHBatchInfo {
    /// The version.
    package static let version = "0.1.0"
}
