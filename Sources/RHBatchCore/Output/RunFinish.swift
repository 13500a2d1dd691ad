import RunningHubModel
import YAML

/// The end of a run: settles what the machine holds into `index.jsonl`, `metadata.jsonl`, the
/// compacted journal, `report.json`, `report.html` and the dataset card.
struct RunFinish: Sendable {
    let machine: RunMachine
    let service: any RunningHubService
    let journal: Journal
    let folder: String
    /// Per key of several: tasks, spend, refusals (read from the service when the run ended).
    let keyUsage: [KeyUsage]
    /// Remote inputs fetched into `inputs/`, by URL.
    var remoteInputs: [String: String] = [:]

    // Copied out of the machine once: loops over every job read them.
    let plan: Plan
    let options: RunOptions
    let jobs: [JobRun]
    let selected: [Int]
    let stopReason: SubmitScheduler.StopReason?

    init(machine: RunMachine, service: any RunningHubService, journal: Journal, folder: String, keyUsage: [KeyUsage]) {
        self.machine = machine
        self.service = service
        self.journal = journal
        self.folder = folder
        self.keyUsage = keyUsage
        plan = machine.plan
        options = machine.options
        jobs = machine.jobs
        selected = machine.selected
        stopReason = machine.stopReason
    }

    /// The largest journal compacted at the end of a run (about 50,000 jobs' records).
    static let compactLimit = 64 << 20

    /// How the run ended.
    func ending(_ totals: RunTotals) -> RunEnding {
        if machine.interrupts > 0 { return .interrupted }
        if let reason = stopReason, !(reason == .interrupted && machine.localFailure == nil) { return .stopped }
        if machine.localFailure != nil { return .stopped }
        if totals.failed + totals.unknown + totals.cancelled + totals.timeout + totals.skipped > 0 {
            return .someJobsDidNotSucceed
        }
        return .succeeded
    }

    /// Writes everything and returns the outcome; `exitCode` words the ending as the caller's
    /// policy says, for the report.
    mutating func finish(
        startedAt: String,
        exitCode policy: (RunEnding) -> Int32,
        notice: (RunNotice) -> Void
    ) async -> RunOutcome {
        let finishedAt = Timestamp.now()
        let totals = totals()
        let ending = ending(totals)
        let exitCode = policy(ending)

        let problems = await writeFiles(
            startedAt: startedAt, finishedAt: finishedAt, totals: totals, exitCode: exitCode, notice: notice)
        let troubled = selected.filter { [.failed, .unknown, .timeout].contains(jobs[$0].status) }
        var stoppedEarly: String?
        if let reason = stopReason, !(reason == .interrupted && machine.interrupts == 0 && machine.localFailure == nil)
        {
            stoppedEarly = reason.description
        }
        var outcome = RunOutcome(
            ending: ending,
            exitCode: exitCode,
            totals: totals,
            name: plan.manifest.name,
            currency: plan.moneyCurrency,
            folder: folder,
            elapsed: machine.elapsed,
            keys: keyUsage,
            stoppedEarly: stoppedEarly,
            troubled: troubled.prefix(15).map { (plan.jobs[$0], jobs[$0].status, jobs[$0].failure) },
            troubledCount: troubled.count,
            problems: problems,
            state: nil
        )
        if !plan.estimatesAreBilledMoney { outcome.estimateCurrency = plan.currency }
        outcome.maxCostCountsEstimates = RunMachine.budgetCountsEstimates(plan: plan, options: machine.options)
        return outcome
    }

    /// What the run's jobs add up to.
    func totals() -> RunTotals {
        var totals = RunTotals()
        totals.jobs = selected.count + plan.skipped.count
        totals.skipped = plan.skipped.count
        for index in selected {
            // Read in place: a copy of each job's run would retain a dozen texts and lists.
            if jobs[index].alreadyDone {
                totals.alreadyDone += 1
            } else {
                switch jobs[index].status {
                case .succeeded: totals.succeeded += 1
                case .failed: totals.failed += 1
                case .unknown: totals.unknown += 1
                case .skipped: totals.skipped += 1
                case .cancelled: totals.cancelled += 1
                case .timeout: totals.timeout += 1
                case .pending: break
                }
            }
            if jobs[index].status == .succeeded {
                totals.outputs += jobs[index].outputs.count
                jobs[index].outputs.forEach { _, output in totals.bytes += output.bytes }
            }
            if !jobs[index].alreadyDone, jobs[index].taskId != nil,
                jobs[index].submittedAt != nil || jobs[index].cost != nil
            {
                totals.cost += jobs[index].cost(estimate: plan.moneyEstimate(index))
                let job = plan.jobs[index]
                // Billed tasks that made their results (a failed task's zero is no price).
                if let billed = jobs[index].cost, jobs[index].status == .succeeded, job.priceKnown,
                    !job.shape.value.sendsFileNames, plan.estimatesAreBilledMoney
                {
                    totals.billed(billed, estimate: job.price, model: job.model)
                }
                if let coins = jobs[index].coins, !jobs[index].alreadyDone {
                    totals.coins += coins
                    totals.coinsByModel[plan.jobs[index].model, default: .zero] += coins
                }
            }
        }
        return totals
    }

    /// Writes what the run leaves, in order (the journal's records first, then the index, the
    /// dataset, the compacted journal, the report and the page); returns what could not be.
    mutating func writeFiles(
        startedAt: String, finishedAt: String, totals: RunTotals, exitCode: Int32, notice: (RunNotice) -> Void
    ) async -> [String] {
        var problems: [String] = []
        // The run's records are on disk before the files that follow from them. (Its own `run`
        // record alone is left to the journal's writer: it may wait for a compaction.)
        if journal.jobRecordsAppended > 0 {
            do {
                try await journal.flushQueued()
            } catch {
                problems.append("the journal could not be written: \(error)")
            }
        }
        if let failure = machine.localFailure { problems.append("local failure: \(failure)") }
        if machine.interrupts < 2 { remoteInputs = await fetchRemoteInputs() }
        do {
            let changed = try writeIndexIfChanged()
            if try writeDatasetCard(resultsChanged: changed, date: String(finishedAt.prefix(10))) == .keptUsersFile {
                notice(.datasetCardKept)
            }
        } catch {
            problems.append("index.jsonl, metadata.jsonl or README.md could not be written: \(error)")
        }
        if let problem = await compactJournal(at: finishedAt) { problems.append(problem) }
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
        return problems
    }

    /// Folds this run's records into the journal's compact form, so the next read stays quick; a
    /// run that recorded nothing about any job leaves the journal as it is. A journal larger than
    /// `compactLimit` is left for the next run to compact when it reads it: folding it again here
    /// would hold a second copy of every job beside the run's own. (A compaction begun at the
    /// start is over by then: after the flush.)
    func compactJournal(at finishedAt: String) async -> String? {
        guard journal.jobRecordsAppended > 0,
            FileSystem.fileInfo(folder + "/journal.jsonl")?.bytes ?? 0 <= Self.compactLimit,
            await journal.waitUntilCompacted() == nil, let contents = try? Journal.read(folder: folder)
        else { return nil }
        do {
            try Journal.compact(folder: folder, state: contents.state, at: finishedAt)
            return nil
        } catch {
            return "\(error)"
        }
    }

    /// Writes `report.json`: the top level indented, each job on one line, streamed to disk;
    /// chunks of jobs are rendered on all cores, two chunks ahead of the writer.
    func writeReport(startedAt: String, finishedAt: String, totals: RunTotals, exitCode: Int32) async throws(AtomicFile
        .Failure)
    {
        let writer = try AtomicFileWriter(path: folder + "/report.json")
        let header = reportHeader(startedAt: startedAt, finishedAt: finishedAt, totals: totals, exitCode: exitCode)
        var text = header.pretty
        text.removeLast(2) // "\n}": the jobs follow as the last member.
        text += ",\n  \"jobs\": ["
        writer.write(text)
        let renderer = JobRenderer(plan: plan, jobs: jobs)
        let selected = selected
        let chunk = 4096
        let chunks = (selected.count + chunk - 1) / chunk
        var first = true
        await withTaskGroup(of: (Int, [UInt8]).self) { group in
            var rendered: [Int: [UInt8]] = [:]
            var next = 0
            var launched = 0
            func launch(_ number: Int, _ group: inout TaskGroup<(Int, [UInt8])>) {
                let range = (number * chunk)..<min(selected.count, (number + 1) * chunk)
                group.addTask {
                    var json = JSONBytes()
                    json.out.reserveCapacity(range.count * 1200)
                    var shared = JobRenderer.SharedPieces()
                    for (offset, position) in range.enumerated() {
                        json.raw(number == 0 && offset == 0 ? "\n    " : ",\n    ")
                        renderer.writeReportEntry(selected[position], shared: &shared, to: &json)
                    }
                    return (number, json.out)
                }
            }
            while launched < min(chunks, 3) {
                launch(launched, &group)
                launched += 1
            }
            while let (number, bytes) = await group.next() {
                rendered[number] = bytes
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

    /// A skipped job's report entry, written from its record.
    func skippedEntry(_ skipped: SkippedJob) -> JSONValue {
        let report = JobReport(skipped: skipped, location: plan.location(skipped.mark))
        let error = report.error.map {
            JSONValue.object([
                ("phase", .string($0.phase)), ("code", .string($0.code)), ("message", .string($0.message)),
            ])
        }
        return .object([
            ("id", .null), ("key", .null), ("summary", .string(report.summary ?? "")),
            ("status", .string(report.status)), ("error", error ?? .null),
        ])
    }

    func reportHeader(startedAt: String, finishedAt: String, totals: RunTotals, exitCode: Int32) -> JSONValue {
        let duration = (Timestamp.parse(finishedAt) ?? 0) - (Timestamp.parse(startedAt) ?? 0)
        return .object([
            ("schemaVersion", .integer(1)),
            ("tool", .object([("name", .string("rh-batch")), ("version", .string(RHBatchInfo.version))])),
            (
                "manifest",
                .object([
                    ("path", .string(plan.manifest.file)), ("name", .string(plan.manifest.name)),
                    ("sha256", .string(plan.manifestSHA256)),
                ])
            ),
            ("apiBaseURL", .string(options.apiBaseURL)),
            ("simulated", .boolean(options.simulated)),
            ("startedAt", .string(startedAt)),
            ("finishedAt", .string(finishedAt)),
            ("durationSeconds", .number(duration.rounded(toPlaces: 3))),
            ("exitCode", .integer(Int(exitCode))),
            ("stopReason", stopReason.map { .string($0.description) } ?? .null),
            (
                "keys",
                .array(
                    keyUsage.map { key in
                        .object([
                            ("name", .string(key.name)), ("fingerprint", .string(key.fingerprint)),
                            ("tasks", .integer(key.tasks)),
                            ("spend", .string(key.spend.description)),
                            ("limit", key.limit.map { .integer($0) } ?? .null),
                            (
                                "refusals",
                                .object(key.refusals.sorted { $0.key < $1.key }.map { ($0.key, .integer($0.value)) })
                            ),
                            ("retired", key.retired.map { .string($0) } ?? .null),
                        ])
                    })
            ),
            (
                "totals",
                .object(
                    totals.counts.members.map { ($0.0, JSONValue.integer($0.1)) } + [
                        (
                            "cost",
                            .object([
                                ("amount", .string(totals.cost.description)), ("currency", .string(plan.moneyCurrency)),
                            ])
                        ),
                        ("submits", .integer(machine.submitsSent)), ("refusals", .integer(machine.scheduler.refusals)),
                        ("queries", .integer(machine.queriesSent)),
                        ("queryRefusals", .integer(machine.budgets.reduce(0) { $0 + $1.refusals })),
                    ] + coinTotals(totals))
            ),
            ("webhook", webhookReport),
            // Billed amounts are in the account's currency; the catalog's estimates in its own.
            ("currencies", .object([("billed", .string(plan.moneyCurrency)), ("estimates", .string(plan.currency))])),
            (
                "priceDrift",
                .array(
                    totals.driftByModel.map { drift in
                        .object([
                            ("model", .string(drift.model)), ("tasks", .integer(drift.tasks)),
                            ("estimate", .string(drift.estimate.description)),
                            ("billedLowest", .string(drift.lowest.description)),
                            ("billedHighest", .string(drift.highest.description)),
                            ("estimated", .string(drift.estimated.description)),
                            ("billed", .string(drift.billed.description)), ("currency", .string(plan.currency)),
                        ])
                    })
            ),
        ])
    }
}

extension RunFinish {
    /// Webhook mode's callbacks (`null` when the run did not listen): each a hint acted on, a
    /// duplicate, one for a task the run did not wait on (late, forged), and the tasks the safety
    /// net found ended before their callback came.
    var webhookReport: JSONValue {
        guard machine.options.webhookURL != nil else { return .null }
        let counts = machine.callbacks
        return .object([
            ("callbacks", .integer(counts.received)), ("used", .integer(counts.used)),
            ("duplicates", .integer(counts.duplicates)), ("ignored", .integer(counts.ignored)),
            ("foundByPolling", .integer(counts.missed)),
        ])
    }

    /// The RH coins of workflow and app tasks, in all and by workflow: only when the plan has any.
    func coinTotals(_ totals: RunTotals) -> [(String, JSONValue)] {
        guard plan.jobs.contains(where: { $0.shape.value.sendsFileNames }) else { return [] }
        return [
            (
                "coins",
                .object([
                    ("amount", .string(totals.coins.description)),
                    (
                        "byModel",
                        .object(
                            totals.coinsByModel.sorted { $0.key < $1.key }.map {
                                ($0.key, .string($0.value.description))
                            })
                    ),
                ])
            )
        ]
    }
}

/// The tool's name and version, as reports state them.
package enum RHBatchInfo {
    /// The version.
    package static let version = "0.1.0"
}
