import Crypto
import Logging
import RunningHubModel

#if canImport(Glibc)
import Glibc
#endif

/// The run's state and its reactions to events; owned by the loop in ``BatchRunner/run(interrupts:)``.
struct RunCoordinator {
    let plan: Plan
    let options: RunOptions
    let service: any RunningHubService
    let journal: Journal
    let folder: String
    let history: JournalState
    let logger: Logger
    let console: @Sendable (String) -> Void
    let clock = ContinuousClock()
    let startInstant: ContinuousClock.Instant

    var scheduler: SubmitScheduler
    var jobs: [JobRun]
    /// Plan indexes of the jobs this run covers (after `--shard`).
    var selected: [Int] = []

    // Uploads
    var imageIndex: [String: Int] = [:]
    var images: [LocalImage] = []
    var imageURLs: [Int: String] = [:]
    /// The run's one query budget, shared by every poll.
    lazy var queryBudget = QueryBudget(rate: options.queryRate)
    /// When each image's URL was uploaded (run time): URLs older than the options' bound are
    /// uploaded again before a submit uses them.
    var imageUploadedAt: [Int: Duration] = [:]
    /// Remote inputs fetched into `inputs/` at the end of the run, by URL.
    var remoteInputs: [String: String] = [:]
    var imageFailures: [Int: String] = [:]
    var uploadQueue: [Int] = []
    var uploadsActive = 0
    var jobsWaitingForImage: [Int: [Int]] = [:]
    var missingImages: [Int: Int] = [:]

    // Polls and downloads
    var pollsActive = 0
    /// Task times per endpoint: this run's, seeded from the journal of earlier runs.
    var durations: [String: TaskDurations] = [:]
    /// The same, shared with the polls once the run starts (``seedDurationsFromJournal()``).
    var modelTimes = ModelTimes()
    var downloadQueue: [(job: Int, index: Int, result: TaskResult)] = []
    var downloadHead = 0
    var downloadsActive = 0

    // Stopping
    var interrupts = 0
    var stopReason: SubmitScheduler.StopReason?
    var localFailure: String?
    var cancelledAll = false
    var helpersRunning = 0
    var jitter: SplitMix

    /// Records the loop itself decided on, written by the next journal child or at the end.
    var pendingJournal: [JournalRecord] = []
    var journalWritesActive = 0

    // Counters for progress
    var submitsSent = 0
    var lastProgressLine = ""

    init(
        plan: Plan,
        options: RunOptions,
        service: any RunningHubService,
        journal: Journal,
        folder: String,
        history: JournalState,
        logger: Logger,
        console: @escaping @Sendable (String) -> Void
    ) {
        self.plan = plan
        self.options = options
        self.service = service
        self.journal = journal
        self.folder = folder
        self.history = history
        self.logger = logger
        self.console = console
        self.startInstant = ContinuousClock.now
        self.jobs = Array(repeating: JobRun(), count: plan.jobs.count)
        self.jitter = SplitMix(seed: UInt64(truncatingIfNeeded: plan.jobs.count) &+ 0x1234)
        self.scheduler = SubmitScheduler(.init(
            maxInFlight: options.concurrency ?? plan.manifest.concurrency,
            retryBase: options.retryBase,
            resubmitUnknown: options.resubmitUnknown,
            maxCost: options.maxCost,
            unreachableLimit: options.unreachableLimit
        ))
    }

    var now: Duration { clock.now - startInstant }

    // MARK: Start

    /// Decides each job's first step from the journal and records the run's start.
    mutating func start() async {
        var records: [JournalRecord] = [
            JournalRecord(.run, at: Timestamp.now(), [
                ("manifest", .text(plan.manifest.file)), ("jobs", .number(plan.jobs.count)),
                ("simulated", .text(options.simulated ? "true" : "false")),
            ])
        ]
        for (index, job) in plan.jobs.enumerated() {
            if let shard = options.shard, Self.shard(of: job.key, count: shard.count) != shard.index { continue }
            selected.append(index)
            if history.entries[job.key] == nil, history.plannedPaths[job.key] == nil {
                records.append(JournalRecord(.planned, at: Timestamp.now(), [
                    ("key", .text(job.key)), ("path", .text(job.outputTemplate)),
                ]))
            }
        }
        do {
            try await journal.append(records)
        } catch {
            localFailure = "the journal cannot be written: \(error)"
        }
    }

    /// Tells the service which key created each task this run asks about again (several keys);
    /// a task whose key this run does not have is noted, and its job ends `unknown` with why.
    mutating func attachKeys() async {
        for index in selected {
            guard let entry = history.entries[plan.jobs[index].key], let taskId = entry.taskId, let keyID = entry.keyID,
                entry.stage != .failed
            else { continue }
            if !(await service.attach(taskId: taskId, keyID: keyID)) {
                keyGone[index] = keyID
            }
        }
    }

    /// When there is anything to submit, asks the API for the key's concurrency limit (waiting at
    /// most 5 s) and starts the ceiling there instead of learning it from refusals: the account's
    /// limit, which other clients share, is the real ceiling.
    mutating func fitToAccountLimit() async {
        let needsSubmits = selected.contains { index in
            guard let entry = history.entries[plan.jobs[index].key] else { return true }
            switch entry.stage {
            case .refused: return true
            case .failed: return options.retryFailed
            case .unknown, .submitting: return options.resubmitUnknown
            default: return false
            }
        }
        guard needsSubmits, localFailure == nil, options.askAccountLimit else { return }
        let service = service
        let status = await withTaskGroup(of: QueueStatus?.self) { group -> QueueStatus? in
            group.addTask { try? await service.queueStatus() }
            group.addTask {
                try? await Task.sleep(for: .seconds(5))
                return nil
            }
            let first = await group.next() ?? nil
            group.cancelAll()
            return first
        }
        guard let status, status.concurrencyLimit > 0, status.concurrencyLimit < scheduler.configuration.maxInFlight else { return }
        if !options.quiet {
            console("the key allows \(status.concurrencyLimit) tasks at once (\(status.running) running now); using \(status.concurrencyLimit) instead of \(scheduler.configuration.maxInFlight)\n")
        }
        scheduler.limit(to: status.concurrencyLimit)
    }

    static func shard(of key: String, count: Int) -> Int {
        Int(UInt64(key.prefix(12), radix: 16).map { $0 % UInt64(count) } ?? 0)
    }

    /// Starts the first child tasks: uploads, re-attached polls, downloads of earlier results, the
    /// progress timer and the signal watcher.
    /// Seeds each model's task times from the journal of earlier runs in this folder (the last
    /// 64 per endpoint), so a nightly run polls well from its first task.
    mutating func seedDurationsFromJournal() {
        defer { modelTimes = ModelTimes(durations) }
        guard !history.entries.isEmpty else { return }
        for index in selected.reversed() {
            let job = plan.jobs[index]
            guard durations[job.endpoint]?.count ?? 0 < 64, let entry = history.entries[job.key], entry.stage == .succeeded,
                let submitted = entry.submittedAt.flatMap(Timestamp.parse), let finished = entry.finishedAt.flatMap(Timestamp.parse),
                finished > submitted
            else { continue }
            durations[job.endpoint, default: TaskDurations()].record(.milliseconds(Int64((finished - submitted) * 1000)))
        }
    }

    mutating func launch(_ group: inout TaskGroup<RunEvent>, interrupts stream: AsyncStream<Void>) {
        seedDurationsFromJournal()
        helpersRunning += 1
        group.addTask {
            var iterator = stream.makeAsyncIterator()
            guard await iterator.next() != nil else { return .signalsClosed }
            return .interrupt
        }
        signalStream = stream
        scheduleProgress(&group)
        if let failure = localFailure {
            stopReason = .interrupted
            localFailure = failure
            for job in selected { jobs[job].status = .cancelled; jobs[job].failure = JobFailure(phase: "submit", code: "journal", message: failure) }
            return
        }
        for job in selected { resume(job, &group) }
        pumpUploads(&group)
        pumpDownloads(&group)
    }

    var signalStream: AsyncStream<Void>?
    /// ``resultID(job:index:)`` of the recorded results found intact on disk.
    var verified: Set<Int> = []
    /// Jobs whose task was created by a key this run does not have, with that key's fingerprint.
    var keyGone: [Int: String] = [:]
    /// Per key of several: tasks, spend, refusals (read from the service when the run ends).
    var keyUsage: [KeyUsage] = []

    /// Asks a task of an earlier run again, with the key that created it; when this run does not
    /// have that key, the job ends `unknown` with why (never sent again by itself).
    mutating func pollResumed(_ index: Int, taskId: String, holdsSlot: Bool, _ group: inout TaskGroup<RunEvent>) {
        guard let keyID = keyGone[index] else {
            startPoll(index, taskId: taskId, holdsSlot: holdsSlot, immediately: true, &group)
            return
        }
        jobs[index].status = .unknown
        jobs[index].failure = JobFailure(
            phase: "poll",
            code: "key-gone",
            message: "task \(taskId) was created with the key whose fingerprint is \(keyID), which this run does not have; run again with that key to collect it"
        )
    }

    /// What the journal says to do with a job.
    mutating func resume(_ index: Int, _ group: inout TaskGroup<RunEvent>) {
        let job = plan.jobs[index]
        guard let entry = history.entries[job.key], entry.stage != .refused else {
            jobs[index].attempts = history.entries[job.key]?.attempts ?? 0
            needSubmit(index, &group)
            return
        }
        jobs[index].attempts = entry.attempts
        jobs[index].taskId = entry.taskId
        jobs[index].submittedAt = entry.submittedAt
        jobs[index].finishedAt = entry.finishedAt
        jobs[index].cost = entry.cost.flatMap { Money($0) }
        jobs[index].inputURLs = entry.inputURLs
        jobs[index].resumed = true
        switch entry.stage {
        case .succeeded:
            jobs[index].results = entry.results
            var missing: [Int] = []
            for resultIndex in 1...max(1, entry.results.count) {
                if let download = entry.downloads[resultIndex], verified.contains(Self.resultID(job: index, index: resultIndex)) {
                    jobs[index].outputs[resultIndex] = OutputRecord(
                        path: download.path,
                        url: resultIndex <= entry.results.count ? entry.results[resultIndex - 1].url : "",
                        bytes: download.bytes,
                        sha256: download.sha256
                    )
                } else {
                    missing.append(resultIndex)
                }
            }
            if missing.isEmpty {
                jobs[index].status = .succeeded
                jobs[index].alreadyDone = true
            } else if let taskId = entry.taskId {
                // Results were never fetched, or were deleted: ask the task for fresh URLs.
                pollResumed(index, taskId: taskId, holdsSlot: false, &group)
            } else {
                needSubmit(index, &group)
            }
        case .submitted, .cancelled:
            if let taskId = entry.taskId {
                if keyGone[index] == nil { scheduler.adopt(estimate: job.price) }
                pollResumed(index, taskId: taskId, holdsSlot: true, &group)
            } else {
                needSubmit(index, &group)
            }
        case .refused:
            needSubmit(index, &group)
        case .submitting, .unknown:
            if options.resubmitUnknown {
                needSubmit(index, &group)
            } else {
                jobs[index].status = .unknown
                jobs[index].failure = JobFailure(
                    phase: "submit",
                    code: entry.code ?? "interrupted",
                    message: entry.message.map { "earlier run: \($0)" }
                        ?? "an earlier run stopped between sending the submit and recording its answer; a task may exist (use --resubmit-unknown to send it again, which may bill twice)"
                )
            }
        case .failed:
            if options.retryFailed, entry.phase == "download", let taskId = entry.taskId {
                // The task succeeded and was paid for; only its files are missing: ask it for
                // fresh URLs, never submit (and pay) again.
                jobs[index].askedForFreshURLs = true
                pollResumed(index, taskId: taskId, holdsSlot: false, &group)
            } else if options.retryFailed {
                needSubmit(index, &group)
            } else {
                jobs[index].status = .failed
                jobs[index].failure = JobFailure(
                    phase: entry.phase ?? "submit",
                    code: entry.code ?? "failed",
                    message: "earlier run: " + (entry.message ?? "failed") + " (use --retry-failed to run it again)"
                )
            }
        }
    }

    /// Checks every recorded result of the selected jobs on disk, on all cores: the resume of a
    /// large finished folder is mostly this.
    mutating func verifyRecordedFiles() async {
        var work: [(job: Int, index: Int, download: JournalEntry.Download)] = []
        for job in selected {
            guard let entry = history.entries[plan.jobs[job].key], entry.stage == .succeeded else { continue }
            for (index, download) in entry.downloads { work.append((job, index, download)) }
        }
        guard !work.isEmpty else { return }
        let folder = folder
        let chunks = 4
        let size = (work.count + chunks - 1) / chunks
        let items = work
        verified = await withTaskGroup(of: [Int].self) { group in
            for chunk in 0..<chunks {
                let range = min(items.count, chunk * size)..<min(items.count, (chunk + 1) * size)
                guard !range.isEmpty else { continue }
                group.addTask {
                    range.compactMap { position in
                        let item = items[position]
                        return Self.verify(item.download, in: folder) ? Self.resultID(job: item.job, index: item.index) : nil
                    }
                }
            }
            var all = Set<Int>(minimumCapacity: items.count)
            for await passed in group { all.formUnion(passed) }
            return all
        }
    }

    /// One number for result `index` (from 1) of plan job `job`.
    static func resultID(job: Int, index: Int) -> Int {
        job << 16 | index
    }

    /// True when a recorded download is still on disk unchanged (size and time, else its hash).
    static func verify(_ download: JournalEntry.Download, in folder: String) -> Bool {
        let path = folder + "/" + download.path
        guard let info = FileSystem.fileInfo(path), info.bytes == download.bytes else { return false }
        // Same size and modification time as when it was written: unchanged, without reading it.
        if let mtime = download.mtime, mtime == info.mtime { return true }
        return Self.sha256(ofFile: path) == download.sha256
    }

    static func sha256(ofFile path: String) -> String? {
        let descriptor = open(path, O_RDONLY | O_CLOEXEC)
        guard descriptor >= 0 else { return nil }
        defer { close(descriptor) }
        var hasher = SHA256()
        var buffer = [UInt8](repeating: 0, count: 256 * 1024)
        while true {
            let count = buffer.withUnsafeMutableBytes { Glibc.read(descriptor, $0.baseAddress, $0.count) }
            if count < 0 { if errno == EINTR { continue } else { return nil } }
            if count == 0 { break }
            buffer.withUnsafeBytes { hasher.update(bufferPointer: UnsafeRawBufferPointer(rebasing: $0[0..<count])) }
        }
        return hasher.finalize().hexString
    }

    /// Queues a job for submitting once its local images are uploaded.
    mutating func needSubmit(_ index: Int, _ group: inout TaskGroup<RunEvent>) {
        jobs[index].status = .pending
        jobs[index].taskId = nil
        jobs[index].results = []
        jobs[index].outputs = [:]
        jobs[index].failure = nil
        jobs[index].alreadyDone = false
        var waiting = 0
        for source in plan.jobs[index].allSources {
            guard case .local(let image) = source else { continue }
            let imageNumber = imageNumber(for: image)
            if imageURLs[imageNumber] != nil { continue }
            if let failure = imageFailures[imageNumber] {
                failUpload(index, failure)
                return
            }
            if jobsWaitingForImage[imageNumber] == nil {
                jobsWaitingForImage[imageNumber] = []
                uploadQueue.append(imageNumber)
            }
            if !(jobsWaitingForImage[imageNumber]!.last == index) {
                jobsWaitingForImage[imageNumber]!.append(index)
                waiting += 1
            }
        }
        if waiting == 0 {
            execute(scheduler.enqueue(index, estimate: plan.jobs[index].price, now: now), &group)
        } else {
            missingImages[index] = waiting
        }
    }

    mutating func imageNumber(for image: LocalImage) -> Int {
        if let number = imageIndex[image.sha256] { return number }
        images.append(image)
        imageIndex[image.sha256] = images.count - 1
        return images.count - 1
    }

    /// An upload failed: nothing was sent or billed, so the job is not journaled as failed and
    /// the next run tries again.
    mutating func failUpload(_ index: Int, _ message: String) {
        jobs[index].status = .failed
        jobs[index].failure = JobFailure(phase: "upload", code: "upload", message: message)
    }

    // MARK: The loop

    /// True once nothing is left to do (helpers are then cancelled).
    var isFinished: Bool {
        if cancelledAll { return true }
        let uploadsLeft = uploadsActive > 0 || (!uploadQueue.isEmpty && stopReason == nil)
        let downloadsLeft = downloadsActive > 0 || downloadHead < downloadQueue.count
        return !uploadsLeft && scheduler.isIdle && pollsActive == 0 && !downloadsLeft && journalWritesActive == 0
            && pendingJournal.isEmpty
    }

    mutating func handle(_ event: RunEvent, _ group: inout TaskGroup<RunEvent>) {
        handleEvent(event, &group)
        flushJournal(&group)
    }

    /// Writes the records the loop decided on, from a child task so the loop never waits on disk.
    mutating func flushJournal(_ group: inout TaskGroup<RunEvent>) {
        guard !pendingJournal.isEmpty else { return }
        let records = pendingJournal
        pendingJournal = []
        let journal = journal
        journalWritesActive += 1
        group.addTask {
            do {
                try await journal.append(records)
                return .journalWritten(error: nil)
            } catch {
                return .journalWritten(error: "the journal cannot be written (\(error))")
            }
        }
    }

    mutating func handleEvent(_ event: RunEvent, _ group: inout TaskGroup<RunEvent>) {
        switch event {
        case .journalWritten(let error):
            journalWritesActive -= 1
            if let error { handleEvent(.journalFailed(job: nil, error), &group) }
        case .uploaded(let image, let result):
            uploadsActive -= 1
            handleUpload(image, result, &group)
            pumpUploads(&group)
        case .submitted(let job, let outcome, let inputURLs, let at):
            handleSubmit(job, outcome, inputURLs: inputURLs, at: at, &group)
        case .taskEnded(let job, let end):
            pollsActive -= 1
            handlePollEnd(job, end, &group)
        case .downloaded(let job, let index, let result):
            downloadsActive -= 1
            handleDownload(job, index, result, &group)
            pumpDownloads(&group)
        case .wake:
            helpersRunning -= 1
            execute(scheduler.tick(now: now), &group)
        case .progress:
            helpersRunning -= 1
            showProgress(final: false)
            if !isFinished { scheduleProgress(&group) }
        case .interrupt:
            helpersRunning -= 1
            interrupts += 1
            if interrupts == 1 {
                console(options.progress == .off ? "" : "\n")
                console("interrupted: no new submits; waiting for \(scheduler.inFlight) tasks in flight (Ctrl-C again to stop now)\n")
                execute(scheduler.interrupt(), &group)
                let drain = options.drainTimeout
                helpersRunning += 1
                group.addTask {
                    try? await Task.sleep(for: drain)
                    return .drainOver
                }
            } else {
                console("stopping now; tasks in flight stay recorded in the journal for the next run\n")
                cancelAll(&group)
            }
            if let stream = signalStream, !cancelledAll {
                helpersRunning += 1
                group.addTask {
                    var iterator = stream.makeAsyncIterator()
                    guard await iterator.next() != nil else { return .signalsClosed }
                    return .interrupt
                }
            }
        case .drainOver:
            helpersRunning -= 1
            if !isFinished && !Task.isCancelled {
                console("the drain time is over; stopping now\n")
                cancelAll(&group)
            }
        case .signalsClosed:
            helpersRunning -= 1
        case .cancelled(let job):
            if jobs[job].status == .pending {
                jobs[job].status = .cancelled
                jobs[job].failure = JobFailure(phase: jobs[job].taskId == nil ? "submit" : "poll", code: "interrupted", message: "stopped by Ctrl-C; the journal lets the next run pick it up")
            }
        case .journalFailed(let job, let message):
            localFailure = message
            if let job { markCancelled(job, code: "journal", message: message) }
            if stopReason == nil {
                console("error: \(message); no further submits\n")
                execute(scheduler.interrupt(), &group)
                stopReason = .interrupted
            }
        }
    }

    mutating func cancelAll(_ group: inout TaskGroup<RunEvent>) {
        cancelledAll = true
        if stopReason == nil { execute(scheduler.interrupt(), &group) }
        group.cancelAll()
    }

    mutating func markCancelled(_ job: Int, code: String, message: String) {
        guard jobs[job].status == .pending else { return }
        jobs[job].status = .cancelled
        jobs[job].failure = JobFailure(phase: "submit", code: code, message: message)
    }

    // MARK: Scheduler actions

    mutating func execute(_ actions: [SubmitScheduler.Action], _ group: inout TaskGroup<RunEvent>) {
        for action in actions {
            switch action {
            case .submit(let job):
                startSubmit(job, &group)
            case .wake(let at):
                let delay = at - now
                helpersRunning += 1
                group.addTask {
                    if delay > .zero { try? await Task.sleep(for: delay) }
                    return .wake
                }
            case .jobEnded(let job, let end):
                switch end {
                case .failed(let failure):
                    jobs[job].status = .failed
                    jobs[job].failure = JobFailure(phase: "submit", code: failure.code, message: failure.message)
                case .unknown(let failure):
                    jobs[job].status = .unknown
                    jobs[job].failure = JobFailure(
                        phase: "submit",
                        code: failure.code,
                        message: failure.message + " (the task may exist and may be billed; use --resubmit-unknown to send it again)"
                    )
                }
            case .stop(let reason):
                stopReason = stopReason ?? reason
                let message = Self.describe(reason)
                if case .interrupted = reason {} else { console((options.progress == .live ? "\n" : "") + "stopping: \(message)\n") }
                for job in scheduler.waitingJobs {
                    markCancelled(job, code: "stopped", message: "not submitted: \(message)")
                }
                for (image, waiting) in jobsWaitingForImage where imageURLs[image] == nil {
                    for job in waiting { markCancelled(job, code: "stopped", message: "not submitted: \(message)") }
                }
                uploadQueue.removeAll()
            }
        }
    }

    static func describe(_ reason: SubmitScheduler.StopReason) -> String {
        switch reason {
        case .fatal(let failure): "the API refused the key or the account: \(failure)"
        case .budget(let limit): "the next submit would pass --max-cost \(limit)"
        case .unreachable(let failure): "the API could not be reached for too long (\(failure.message))"
        case .interrupted: "interrupted"
        }
    }
}
