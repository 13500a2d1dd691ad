import Logging
import NIOConcurrencyHelpers
import RunningHubModel

/// Runs a plan: the driver of the ``RunMachine``.
///
/// One task group carries every piece of I/O as a child task. The loop in ``run(interrupts:prepared:)``
/// is the only code that touches the machine: it hands each event to ``RunMachine/handle(_:at:)``
/// and performs each action it gets back with one call on the service, the journal, the file
/// system or the clock, as a child task whose result comes back as the next event.
package struct BatchRunner: Sendable {
    let plan: Plan
    let options: RunOptions
    let service: any RunningHubService
    let logger: Logger
    let clock: any RunClock
    let exitCode: @Sendable (RunEnding) -> Int32
    let observer: @Sendable (RunUpdate) -> Void

    /// Makes a runner.
    ///
    /// - Parameters:
    ///   - clock: the run's clock (a test may pass one it moves by hand).
    ///   - exitCode: the process exit code for how a run ended (the report records it).
    ///   - observer: receives notices and progress snapshots, to show as the caller likes.
    package init(
        plan: Plan,
        options: RunOptions,
        service: any RunningHubService,
        logger: Logger,
        clock: any RunClock = SystemRunClock(),
        exitCode: @escaping @Sendable (RunEnding) -> Int32,
        observer: @escaping @Sendable (RunUpdate) -> Void
    ) {
        self.plan = plan
        self.options = options
        self.service = service
        self.logger = logger
        self.clock = clock
        self.exitCode = exitCode
        self.observer = observer
    }

    /// The output folder this run writes.
    package var outputDirectory: String {
        options.outputDirectory ?? plan.outputDirectory
    }

    /// What a child task reports to the loop.
    private enum Report: Sendable {
        case machine(RunMachine.Event)
        /// A webhook callback for this task id.
        case callback(String)
        case progressTick
        /// A watcher or a timer that ended without news.
        case nothing
    }

    /// Runs the plan and writes the report.
    ///
    /// - Parameters:
    ///   - interrupts: one element per Ctrl-C: the first stops new submits and drains, the second
    ///     stops at once.
    ///   - prepared: the output folder, locked and read, when the caller prepared it (while the
    ///     plan was expanding); otherwise it is prepared here.
    ///   - callbacks: the task ids of webhook callbacks as they arrive (webhook mode), each a hint
    ///     to ask that task at once.
    /// - Returns: the outcome, after `report.json` and `index.jsonl` are written.
    /// - Throws: ``RunSetupError`` when the output folder cannot be used (locked, damaged journal).
    package func run(
        interrupts: AsyncStream<Void>, prepared: PreparedFolder? = nil, callbacks: AsyncStream<String>? = nil
    ) async throws(RunSetupError) -> RunOutcome {
        let startedAt = Timestamp.now()
        let folder = outputDirectory
        let ready: PreparedFolder
        if let prepared, prepared.folder == folder {
            ready = prepared
        } else {
            ready = try PreparedFolder(folder)
        }
        for warning in ready.warnings { observer(.notice(.warning(warning))) }
        // The journal's writer runs beside the whole run, as a child task.
        let outcome = await ready.journal.serve {
            await drive(ready, folder: folder, startedAt: startedAt, interrupts: interrupts, callbacks: callbacks)
        }
        if let problem = await ready.journal.waitUntilCompacted() { observer(.notice(.warning(problem))) }
        ready.lock.markEnded()
        withExtendedLifetime(ready) {}
        return outcome
    }

    /// The run itself, once its folder is ready: what the driver learns before the loop, the
    /// loop, and what the run leaves.
    private func drive(
        _ ready: PreparedFolder, folder: String, startedAt: String, interrupts: AsyncStream<Void>,
        callbacks: AsyncStream<String>?
    ) async -> RunOutcome {
        // The account's currency, read once: bills in another currency than the catalog's are
        // counted as they are, never mixed with estimates.
        var plan = plan
        // The key's concurrency limit is asked beside the currency: on the real API each is a
        // round trip of a fraction of a second, and the first submit waits for both. (A run that
        // turns out to have nothing to submit has asked for nothing it pays for: it is a free read.)
        let limitRequest = options.askAccountLimit ? Task { await accountLimit() } : nil
        let answered = await accountCurrency()
        // A resumed folder keeps the currency an earlier run read when this read fails.
        plan.billed(in: answered ?? FolderCurrency.read(folder))
        if let answered { FolderCurrency.write(answered, in: folder) }
        if let account = plan.billingCurrency {
            let countsEstimates = RunMachine.budgetCountsEstimates(plan: plan, options: options)
            observer(
                .notice(
                    .billingCurrency(
                        account: account, catalog: plan.currency,
                        // A limit in a third currency is refused at the start instead.
                        maxCost: RunMachine.uncountableBudget(plan: plan, options: options) == nil
                            ? options.maxCost : nil,
                        countsEstimates: countsEstimates)))
        }
        var machine = RunMachine(plan: plan, options: options, history: ready.takeHistory())
        let facts = await startFacts(machine, ready, folder: folder, limitRequest: limitRequest)
        await loop(
            &machine, facts, journal: ready.journal, folder: folder, interrupts: interrupts, callbacks: callbacks)
        machine.note(clock.now())
        machine.settle()
        if options.progressInterval != nil { observer(.progress(machine.progress(final: true))) }
        let keyUsage = await service.keyUsage()
        var finish = RunFinish(
            machine: machine, service: service, journal: ready.journal, folder: folder, keyUsage: keyUsage)
        let observer = observer
        var outcome = await finish.finish(startedAt: startedAt, exitCode: exitCode) { observer(.notice($0)) }
        outcome.state = RunState(finish: finish)
        return outcome
    }

    /// What the machine needs to know before the loop: the opening records written (a failure
    /// to write them stops the run before any submit), which recorded results are intact on disk,
    /// which tasks were made by a key this run lacks, and the key's concurrency limit.
    private func startFacts(
        _ machine: RunMachine, _ ready: PreparedFolder, folder: String, limitRequest: Task<QueueStatus?, Never>?
    ) async -> RunMachine.StartFacts {
        var facts = RunMachine.StartFacts()
        do {
            let moment = clock.now()
            let batch = 16_384
            for start in stride(from: 0, through: machine.selected.count, by: batch) {
                let records = machine.startRecords(at: moment, batch: start..<start + batch)
                // New jobs' records are written batch by batch (a million at once would be most
                // of a gigabyte); the run's own record alone is only queued, so that resuming a
                // finished folder does not wait for the journal (it may be compacting).
                if records.count > 1 {
                    try await ready.journal.append(records)
                } else {
                    ready.journal.appendLazily(records)
                }
            }
        } catch {
            facts.journalFailure = "the journal cannot be written: \(error)"
        }
        do {
            // Let go of before the run starts: it holds the journal's state, which the run drops.
            let recorded = machine.recordedDownloads
            facts.verified = await Self.verify(recorded, in: folder)
            if ready.lock.lastRunWasCut {
                // The last run was killed: a download it had under way may have been of a result
                // an earlier run had already recorded, which no one fetches again to clear its
                // leftovers.
                Self.removeLeftovers(beside: recorded, in: folder)
            }
        }
        for task in machine.recordedTasks where !(await service.attach(taskId: task.taskId, keyID: task.keyID)) {
            facts.keyGone[task.job] = task.keyID
        }
        if machine.needsSubmits, facts.journalFailure == nil, let limitRequest {
            // An unstructured task does not follow this one's cancellation by itself.
            facts.accountLimit = await withTaskCancellationHandler {
                await limitRequest.value
            } onCancel: {
                limitRequest.cancel()
            }
        } else {
            limitRequest?.cancel()
        }
        return facts
    }

    /// The loop: the only code that touches the machine. Each event goes to the machine, each
    /// action it returns is performed (a child task for anything that waits), until it is finished.
    private func loop(
        _ machine: inout RunMachine, _ facts: RunMachine.StartFacts, journal: Journal, folder: String,
        interrupts: AsyncStream<Void>, callbacks: AsyncStream<String>?
    ) async {
        let clock = clock
        let observer = observer
        let every = options.progressInterval
        await withTaskGroup(of: Report.self) { group in
            func watch(_ group: inout TaskGroup<Report>) {
                group.addTask {
                    var iterator = interrupts.makeAsyncIterator()
                    guard await iterator.next() != nil else { return .nothing }
                    return .machine(.interrupt)
                }
            }
            // One callback at a time, each handed to the machine as it comes.
            func listen(_ group: inout TaskGroup<Report>) {
                guard let callbacks else { return }
                group.addTask {
                    var iterator = callbacks.makeAsyncIterator()
                    guard let taskId = await iterator.next() else { return .nothing }
                    return .callback(taskId)
                }
            }
            func tick(_ group: inout TaskGroup<Report>) {
                guard let every else { return }
                group.addTask {
                    do {
                        try await clock.sleep(until: clock.now().elapsed + every)
                        return .progressTick
                    } catch {
                        return .nothing
                    }
                }
            }
            watch(&group)
            listen(&group)
            tick(&group)
            for action in machine.handle(.started(facts), at: clock.now()) {
                perform(action, in: &group, journal: journal, folder: folder)
            }
            if machine.isFinished { group.cancelAll() }
            while let report = await group.next() {
                switch report {
                case .machine(let event):
                    for action in machine.handle(event, at: clock.now()) {
                        perform(action, in: &group, journal: journal, folder: folder)
                    }
                    if case .interrupt = event, !machine.cancelledAll { watch(&group) }
                case .callback(let taskId):
                    for action in machine.handle(.callback(taskId: taskId), at: clock.now()) {
                        perform(action, in: &group, journal: journal, folder: folder)
                    }
                    if !machine.isFinished { listen(&group) }
                case .progressTick:
                    machine.note(clock.now())
                    observer(.progress(machine.progress()))
                    if !machine.isFinished { tick(&group) }
                case .nothing:
                    break
                }
                if machine.isFinished { group.cancelAll() }
            }
        }
    }

    /// Performs one action: at once, or as a child task whose result comes back as an event.
    private func perform(
        _ action: RunMachine.Action, in group: inout TaskGroup<Report>, journal: Journal, folder: String
    ) {
        let service = service
        let clock = clock
        switch action {
        case .journal(let records, let durability):
            switch durability {
            case .lazy:
                journal.appendLazily(records)
            case .soon:
                journal.enqueue(records, sync: true)
            case .durable:
                // Queued here, in the machine's order; only the wait is a child.
                let ticket = journal.enqueue(records, sync: true)
                group.addTask { await Self.written(ticket, journal) }
            }
        case .upload(let number, let image):
            group.addTask {
                guard let result = await Self.upload(image, service) else { return .machine(.cancelled(job: nil)) }
                return .machine(.uploaded(image: number, result))
            }
        case .submit(let job, let endpoint, let body, let record):
            // The record is queued now, in order; the submit goes once it is on disk.
            let ticket = journal.enqueue([record], sync: true)
            group.addTask { await Self.submit(job, endpoint: endpoint, body: body, after: ticket, journal, service) }
        case .query(let job, let taskId, let afterSync):
            let workflowTask = plan.jobs[job].shape.value.sendsFileNames
            group.addTask {
                await Self.query(
                    job, taskId: taskId, workflowTask: workflowTask, afterSync: afterSync, journal, service)
            }
        case .download(let work):
            group.addTask {
                if Task.isCancelled { return .machine(.cancelled(job: work.job)) }
                return .machine(.downloaded(work, await Self.save(work, in: folder, service)))
            }
        case .wait(let until, let timer):
            group.addTask {
                do {
                    try await clock.sleep(until: until)
                    return .machine(.timer(timer))
                } catch {
                    return .machine(.cancelled(job: timer.job))
                }
            }
        case .notice(let notice):
            observer(.notice(notice))
        case .cancelAll:
            group.cancelAll()
        case .log(let decision):
            decision.log(to: logger)
        }
    }

    /// Waits until the records up to `ticket` are on disk.
    private static func written(_ ticket: Journal.Ticket, _ journal: Journal) async -> Report {
        do {
            try await journal.waitUntilDurable(ticket)
            return .machine(.journalWritten(error: nil))
        } catch {
            return .machine(.journalWritten(error: "\(error)"))
        }
    }

    /// Sends a submit once its `submitting` record (up to `ticket`) is on disk.
    private static func submit(
        _ job: Int, endpoint: String, body: [UInt8], after ticket: Journal.Ticket, _ journal: Journal,
        _ service: any RunningHubService
    ) async -> Report {
        do {
            try await journal.waitUntilDurable(ticket)
        } catch {
            return .machine(.journalFailed(job: job, "\(error)"))
        }
        do {
            return .machine(.submitted(job: job, try await service.submit(endpoint: endpoint, body: body)))
        } catch {
            return .machine(.cancelled(job: job))
        }
    }

    /// Asks for a task's state, after everything journaled is on disk when `afterSync`.
    private static func query(
        _ job: Int, taskId: String, workflowTask: Bool, afterSync: Bool, _ journal: Journal,
        _ service: any RunningHubService
    ) async -> Report {
        if afterSync {
            do {
                try await journal.flushQueued()
            } catch {
                return .machine(.journalFailed(job: job, "\(error)"))
            }
        }
        do {
            let outcome =
                workflowTask ? try await service.query(workflowTask: taskId) : try await service.query(taskId: taskId)
            return .machine(.queried(job: job, outcome))
        } catch {
            return .machine(.cancelled(job: job))
        }
    }

    /// Asks the API for the account's currency (bounded by the client's request timeout, not a
    /// shorter wait of its own: a slow answer must not make USD bills look like CNY); `nil` when
    /// it does not say.
    func accountCurrency() async -> String? {
        await service.accountCurrency()
    }

    /// Asks the API for the key's concurrency limit, waiting at most ``RunOptions/accountLimitWait``
    /// (5 s): the account's limit, which other clients share, is the real ceiling, better read than
    /// learnt from refusals.
    func accountLimit() async -> QueueStatus? {
        let service = service
        let wait = options.accountLimitWait
        return await withTaskGroup(of: QueueStatus?.self) { group -> QueueStatus? in
            group.addTask { try? await service.queueStatus() }
            group.addTask {
                try? await Task.sleep(for: wait)
                return nil
            }
            let first = await group.next() ?? nil
            group.cancelAll()
            return first
        }
    }

    /// One upload attempt of an input file; `nil` when it was cancelled.
    static func upload(_ image: LocalImage, _ service: any RunningHubService) async -> Result<UploadedFile, APIFailure>?
    {
        guard case .success(let bytes) = FileSystem.readAll(image.absolutePath) else {
            return .failure(APIFailure(code: "file", message: "cannot read \(image.path) any more", errorClass: .final))
        }
        do {
            return .success(
                try await service.upload(
                    bytes: bytes, fileName: FilePath.name(of: image.path), contentType: image.format.mimeType))
        } catch let error as UploadError {
            return .failure(error.failure)
        } catch is CancellationError {
            return nil
        } catch {
            return .failure(APIFailure(code: "upload", message: "\(error)", errorClass: .transient))
        }
    }

    /// One download attempt: the file (named after its bytes), then its sidecar.
    static func save(_ work: RunMachine.DownloadWork, in folder: String, _ service: any RunningHubService) async
        -> Result<RunMachine.SavedResult, DownloadError>
    {
        if work.clearLeftovers {
            // A run killed mid-download may have left its temporary files here.
            let destination = folder + "/" + work.path
            FileSystem.removeLeftovers(
                in: FilePath.directory(of: destination),
                for: [
                    FilePath.name(of: work.path),
                    FilePath.name(of: FilePath.replacingExtension(of: work.path, with: "json")),
                ]
            )
        }
        if work.clearLeftovers, let adopted = adoptUnrecorded(work, in: folder) {
            return .success(adopted)
        }
        do {
            // Not synced here: the journal's next sync (syncfs) covers the file and its rename.
            let file = try await service.download(
                url: work.url, to: folder + "/" + work.path, durable: false, expecting: work.expecting)
            var path = work.path
            if file.format != work.fileExtension {
                // The bytes say another format than the API did: name the file after the bytes.
                let renamed = FilePath.replacingExtension(of: work.path, with: file.format)
                if FileSystem.move(folder + "/" + work.path, to: folder + "/" + renamed) { path = renamed }
            }
            let record = OutputRecord(
                path: path, url: work.url, bytes: file.bytes, sha256: HexDigest(file.sha256), node: work.node)
            var sidecar = work.sidecar
            sidecar.complete(with: record)
            // Not synced: the result and its journal record are; a sidecar is rewritten with them.
            try? AtomicFile.write(
                Array((sidecar.value.pretty + "\n").utf8),
                to: folder + "/" + FilePath.replacingExtension(of: path, with: "json"),
                durable: false
            )
            return .success(
                RunMachine.SavedResult(record: record, mtime: FileSystem.fileInfo(folder + "/" + path)?.mtime))
        } catch let error as DownloadError {
            return .failure(error)
        } catch {
            return .failure(DownloadError(reason: .transport, message: "\(error)"))
        }
    }

    /// A result an earlier run downloaded but was killed before journaling: its file is in place
    /// and its sidecar (written after the file) names this job, task and result and the file's
    /// size and SHA-256, which the file still has. Taken as it is: asking the URL again could find
    /// it expired and write off a result that is on disk (found by the chaos soak, issue 27).
    static func adoptUnrecorded(_ work: RunMachine.DownloadWork, in folder: String) -> RunMachine.SavedResult? {
        let sidecarPath = folder + "/" + FilePath.replacingExtension(of: work.path, with: "json")
        guard let size = FileSystem.fileInfo(sidecarPath)?.bytes, size < 1 << 20,
            case .success(let bytes) = FileSystem.readAll(sidecarPath),
            case .object(let members)? = WorkflowDefinition.parseAny(bytes)
        else { return nil }
        let found = Dictionary(members, uniquingKeysWith: { first, _ in first })
        let expected = Dictionary(work.sidecar.members, uniquingKeysWith: { first, _ in first })
        for name in ["key", "taskId", "index", "sample"] where found[name] != expected[name] { return nil }
        guard case .object(let fileMembers)? = found["file"], case .string(let url)? = found["resultURL"] else {
            return nil
        }
        let file = Dictionary(fileMembers, uniquingKeysWith: { first, _ in first })
        guard case .string(let path)? = file["path"], case .integer(let size)? = file["bytes"],
            case .string(let sha256)? = file["sha256"],
            // The file is the one the layout names, or the same with the extension its bytes gave it.
            FilePath.replacingExtension(of: path, with: "json")
                == FilePath.replacingExtension(of: work.path, with: "json"),
            FileSystem.fileInfo(folder + "/" + path)?.bytes == size,
            FileSystem.sha256(ofFile: folder + "/" + path) == sha256
        else { return nil }
        let record = OutputRecord(path: path, url: url, bytes: size, sha256: HexDigest(sha256), node: work.node)
        return RunMachine.SavedResult(record: record, mtime: FileSystem.fileInfo(folder + "/" + path)?.mtime)
    }

    /// Clears the temporary files of every folder that holds a recorded result.
    static func removeLeftovers(beside recorded: RunMachine.RecordedDownloads, in folder: String) {
        var folders = Set<String>()
        recorded.forEach(in: 0..<recorded.jobCount) { _, _, download in
            folders.insert(FilePath.directory(of: folder + "/" + download.path))
        }
        for path in folders { FileSystem.removeLeftovers(in: path, keeping: PreparedFolder.ownFiles) }
    }

    /// Checks every recorded result on disk, on all cores: the resume of a large finished folder
    /// is mostly this. Returns the ``RunMachine/resultID(job:index:)`` of those intact.
    static func verify(_ recorded: RunMachine.RecordedDownloads, in folder: String) async -> Set<Int> {
        guard recorded.jobCount > 0 else { return [] }
        let chunks = 4
        let size = (recorded.jobCount + chunks - 1) / chunks
        return await withTaskGroup(of: [Int].self) { group in
            for chunk in 0..<chunks {
                let range = min(recorded.jobCount, chunk * size)..<min(recorded.jobCount, (chunk + 1) * size)
                guard !range.isEmpty else { continue }
                group.addTask {
                    var passed: [Int] = []
                    recorded.forEach(in: range) { job, index, download in
                        if FileSystem.isIntact(download, in: folder) {
                            passed.append(RunMachine.resultID(job: job, index: index))
                        }
                    }
                    return passed
                }
            }
            var all = Set<Int>(minimumCapacity: recorded.jobCount)
            for await passed in group { all.formUnion(passed) }
            return all
        }
    }
}

extension RunMachine.Timer {
    /// The job a timer is for, if any.
    var job: Int? {
        switch self {
        case .poll(let job, _), .downloadRetry(let job, _): job
        case .scheduler, .querySlot, .uploadRetry, .drainOver: nil
        }
    }
}

/// What the run tells its caller along the way.
package enum RunUpdate: Sendable, Hashable {
    case notice(RunNotice)
    case progress(RunProgress)
}

/// How a run ended, as an exit code states it.
package enum RunEnding: Sendable, Hashable {
    /// Every job succeeded (now or before).
    case succeeded
    /// The run finished, but some jobs did not succeed.
    case someJobsDidNotSucceed
    /// The run stopped early on its own: the key, the budget, the API unreachable, the journal.
    case stopped
    /// Ctrl-C or SIGTERM.
    case interrupted
}

/// The clock a run reads and sleeps on.
package protocol RunClock: Sendable {
    /// Now: time since the run started, and the wall clock.
    func now() -> RunMoment
    /// Returns at run time `elapsed` (at once when that is past); throws when cancelled.
    func sleep(until elapsed: Duration) async throws
}

/// The real clock: monotonic time since the clock was made, and the system's wall clock.
package struct SystemRunClock: RunClock {
    private let start = ContinuousClock.now

    package init() {}

    package func now() -> RunMoment {
        RunMoment(elapsed: ContinuousClock.now - start, epochMilliseconds: Timestamp.epochMilliseconds())
    }

    package func sleep(until elapsed: Duration) async throws {
        try await Task.sleep(until: start + elapsed, clock: .continuous)
    }
}

/// An output folder made, locked against other runners, and with its journal read.
package final class PreparedFolder: Sendable {
    /// The folder.
    package let folder: String
    let lock: OutputLock
    let journal: Journal
    /// Problems reading the journal that did not stop it.
    let warnings: [String]
    /// The journal's folded state, until the run takes it.
    private let history: NIOLockedValueBox<JournalState?>

    /// Creates the folder if needed, takes its lock, reads its journal and clears the temporary
    /// files an interrupted run left at its top.
    package init(_ folder: String) throws(RunSetupError) {
        self.folder = folder
        do {
            try FileSystem.makeDirectory(folder)
        } catch {
            throw RunSetupError(message: "cannot create the output folder \(folder): \(error)")
        }
        do {
            lock = try OutputLock(folder: folder)
        } catch {
            throw RunSetupError(message: error.message)
        }
        let contents: Journal.Contents
        do {
            contents = try Journal.read(folder: folder)
        } catch {
            throw RunSetupError(message: error.description)
        }
        let warnings = contents.warnings
        // Before the journal opens: its compaction (below) writes a temporary file of its own.
        FileSystem.removeLeftovers(in: folder, for: Array(Self.ownFiles))
        FileSystem.removeLeftovers(in: folder + "/.rh-batch", for: FolderNote.names)
        // A journal the last run left loose (too large to fold again at its end) is compacted
        // now, beside the run: only its state is in memory, and its writes wait for it.
        do {
            journal = try Journal(
                folder: folder, compacting: contents.isLoose ? contents.state : nil, at: Timestamp.now())
        } catch {
            throw RunSetupError(message: error.description)
        }
        self.warnings = warnings
        history = NIOLockedValueBox(contents.state)
    }

    /// The files of the run itself at the folder's top, written through temporary files.
    static let ownFiles: Set<String> = ["report.json", "index.jsonl", "metadata.jsonl", "journal.jsonl"]

    /// The journal's state, once: the run drops it when it has resumed every job from it.
    func takeHistory() -> JournalState {
        history.withLockedValue { state in
            defer { state = nil }
            return state ?? JournalState()
        }
    }
}

/// What a finished run held: kept by the outcome so that a command exiting right after the run
/// does not spend its last moments freeing 100,000 jobs' records one by one. (The output folder's
/// lock is not part of it: it is released when the run returns.)
package final class RunState: @unchecked Sendable {
    // Never read or changed after the run: it only keeps the memory alive.
    private let finish: RunFinish

    init(finish: RunFinish) {
        self.finish = finish
    }
}

/// The result of a run: facts for the caller to word.
package struct RunOutcome: Sendable {
    /// How it ended.
    package var ending: RunEnding
    /// The process exit code the caller's policy gave that ending (the report records it).
    package var exitCode: Int32
    /// Jobs per final status.
    package var totals: RunTotals
    /// The manifest's name.
    package var name: String
    /// The currency of the spend: the account's.
    package var currency: String
    /// The currency of the catalog's estimates, when it is not the spend's.
    package var estimateCurrency: String? = nil
    /// `--max-cost` counted the catalog's estimates (`--max-cost-currency` the catalog's).
    package var maxCostCountsEstimates = false
    /// The output folder.
    package var folder: String
    /// How long the run took.
    package var elapsed: Duration
    /// Per key of several.
    package var keys: [KeyUsage]
    /// Why the run stopped early, when it did (a plain Ctrl-C is no reason worth repeating).
    package var stoppedEarly: String?
    /// The first jobs that did not succeed (failed, unknown, timed out), in plan order, with why.
    package var troubled: [(job: PlannedJob, status: JobStatus, failure: JobFailure?)]
    /// How many jobs did not succeed in all.
    package var troubledCount: Int
    /// What went wrong writing the outputs.
    package var problems: [String]
    /// The run's state, kept alive as long as the outcome is.
    package var state: RunState?
}

/// The output folder cannot be used.
package struct RunSetupError: Error, Sendable, CustomStringConvertible {
    /// What to tell the user.
    package var message: String

    package var description: String { message }
}
