import RunningHubModel

/// A moment of a run: how long it has been running (what schedules are made of) and the wall
/// clock (what records are stamped with). The machine reads no clock; every event brings one.
package struct RunMoment: Sendable, Hashable {
    /// Time since the run started.
    package var elapsed: Duration
    /// The wall clock, in milliseconds since 1970.
    package var epochMilliseconds: Int64

    /// Makes a moment.
    package init(elapsed: Duration, epochMilliseconds: Int64) {
        self.elapsed = elapsed
        self.epochMilliseconds = epochMilliseconds
    }

    /// The wall clock as a record's timestamp.
    package var timestamp: String {
        Timestamp.format(epochMilliseconds: epochMilliseconds)
    }
}

/// The whole run as one value-type state machine: every job's state (waiting for its inputs,
/// ready, submitting, running, downloading, ended), the ``SubmitScheduler``, the upload and
/// download queues, retry counts, the poll cadence and the query budget, why the run stops and
/// what it counted.
///
/// ``handle(_:at:)`` takes one ``Event`` and the moment it happened and returns the
/// ``Action``s to carry out; it does no I/O, reads no clock and never suspends. A driver
/// (``BatchRunner``) performs each action with one call on the service, the journal, the file
/// system or a clock, and feeds what came of it back as an event; tests feed events by hand and
/// read the actions (a transcript).
package struct RunMachine: Sendable {
    // MARK: Events and actions

    /// A wake-up the machine asked for with ``Action/wait(until:_:)``.
    package enum Timer: Sendable, Hashable {
        /// The scheduler's (a refusal's backoff is over).
        case scheduler
        /// A task's next query is due (unless a later timer replaced this one).
        case poll(job: Int, generation: UInt32)
        /// The query budget of key number `key` has room again.
        case querySlot(key: Int)
        /// An upload's retry.
        case uploadRetry(image: Int)
        /// A result download's retry.
        case downloadRetry(job: Int, index: Int)
        /// The first Ctrl-C's drain time is over.
        case drainOver
    }

    /// Something that happened: what a performed action came to, a timer, a signal.
    package enum Event: Sendable {
        /// What the driver found before the loop: intact recorded results, tasks whose key this
        /// run lacks, the key's concurrency limit, a journal that cannot be written.
        case started(StartFacts)
        /// One upload attempt ended.
        case uploaded(image: Int, Result<UploadedFile, APIFailure>)
        /// A submit came back.
        case submitted(job: Int, SubmitOutcome)
        /// A query came back.
        case queried(job: Int, QueryOutcome)
        /// One download attempt ended.
        case downloaded(DownloadWork, Result<SavedResult, DownloadError>)
        /// A timer fired.
        case timer(Timer)
        /// A durable journal write ended; `error` says why it failed.
        case journalWritten(error: String?)
        /// The journal could not be synced before this job's submit or first query, which was
        /// therefore not sent.
        case journalFailed(job: Int, String)
        /// A webhook callback named this task as ended (a hint: the run asks the task itself).
        case callback(taskId: String)
        /// Ctrl-C or SIGTERM.
        case interrupt
        /// A call was cancelled (the second Ctrl-C) while working for this job (`nil`: for no
        /// job in particular).
        case cancelled(job: Int?)
    }

    /// Something to do.
    package enum Action: Sendable {
        /// Append records to the journal, in this order after every earlier one, as durable as
        /// the most any of them needs by its kind (durable ones are followed by
        /// ``Event/journalWritten(error:)``).
        case journal([JournalRecord], JournalRecord.Durability)
        /// Upload an input file (one attempt).
        case upload(image: Int, LocalImage)
        /// Send a submit (never retried by the service), once its `submitting` record, queued
        /// here in order, is on disk: a crash can never leave a sent submit unrecorded.
        case submit(job: Int, endpoint: String, body: [UInt8], record: JournalRecord)
        /// Ask for a task's state now; with `afterSync`, once everything journaled so far is on
        /// disk (a task's first query: its task id must be on disk before it is polled).
        case query(job: Int, taskId: String, afterSync: Bool)
        /// Download a result and write its sidecar (one attempt).
        case download(DownloadWork)
        /// Deliver ``Event/timer(_:)`` at this run time.
        case wait(until: Duration, Timer)
        /// Tell the user.
        case notice(RunNotice)
        /// Stop every call in flight now (the second Ctrl-C).
        case cancelAll
        /// Say a decision (only with ``RunOptions/logDecisions``).
        case log(RunDecision)
    }

    /// What the driver learnt before the loop.
    package struct StartFacts: Sendable {
        /// ``RunMachine/resultID(job:index:)`` of the recorded results found intact on disk.
        package var verified: Set<Int> = []
        /// Jobs whose task was created by a key this run does not have, with its fingerprint.
        package var keyGone: [Int: String] = [:]
        /// The key's concurrency limit and tasks running, when asked.
        package var accountLimit: QueueStatus?
        /// Why the journal cannot be written, when it cannot.
        package var journalFailure: String?

        package init(
            verified: Set<Int> = [], keyGone: [Int: String] = [:], accountLimit: QueueStatus? = nil,
            journalFailure: String? = nil
        ) {
            self.verified = verified
            self.keyGone = keyGone
            self.accountLimit = accountLimit
            self.journalFailure = journalFailure
        }
    }

    /// One result to download: where from, where to, and what its sidecar says.
    package struct DownloadWork: Sendable {
        package var job: Int
        /// From 1.
        package var index: Int
        package var url: String
        /// Relative to the output folder.
        package var path: String
        /// The extension the API's answer implies (the bytes may say another).
        package var fileExtension: String
        package var expecting: OutputKind
        /// The workflow node that made the result, for a workflow or app job.
        package var node: String?
        /// The sidecar's members before the file is known.
        package var sidecar: SidecarDraft
        /// Remove the temporary files a killed run may have left for this path first.
        package var clearLeftovers: Bool
        /// Attempts made so far, this one included.
        package var attempt = 1
    }

    /// A result on disk.
    package struct SavedResult: Sendable, Hashable {
        package var record: OutputRecord
        /// Its modification time (nanoseconds), so a resume can trust it without reading it.
        package var mtime: Int?

        package init(record: OutputRecord, mtime: Int?) {
            self.record = record
            self.mtime = mtime
        }
    }

    /// Where a task's polling stands (the data of ``JobPhase/polling(_:)``).
    package struct PollState: Sendable {
        var taskId: String
        /// When polling started (run time).
        var started: Duration
        /// A task of an earlier run: asked at once, and its time is not learnt.
        var immediately: Bool
        /// Queries sent so far.
        var attempt = 0
        /// Queries sent on the growing schedule since the learnt one last had a place.
        var growing = 0
        /// Answers of `1004` in a row, and when the first came.
        var notFound: (count: Int, since: Duration)?
        /// When the previous query was sent, and when this one was.
        var previousQuery: Duration?
        var sentAt: Duration = .zero
        /// A query is out and its answer due.
        var answerDue = false
        /// Waiting in its key's query queue for the budget.
        var queued = false
        /// The number of the poll's timer now in force (an earlier timer is stale), and when it
        /// is due.
        var generation: UInt32 = 0
        var due: Duration = .zero
        /// The query budget's number of the query out, for its answer.
        var budgetNumber = 0
        /// Sent with this run's webhook URL: a callback says when to ask, and polls are the safety
        /// net for a callback that does not come.
        var expectsCallback = false
        /// A callback came and its query has not yet found the task unfinished; when it came.
        var hintedAt: Duration?
        /// A callback came while a query sent before it was out: ask again at once.
        var queryAgain = false
        /// One of the first 4 tasks of a model with no known task times (0...3; -1: not a
        /// scout): asked on a short growing schedule, the four a quarter step apart, and the
        /// first time found moves the other tasks' queries.
        var scout: Int8 = -1
        var random: SplitMix
    }

    /// Webhook callbacks that reached the run, and what came of them.
    package struct CallbackCounts: Sendable, Hashable {
        /// Callbacks for a task the run was waiting on: each made the run ask that task at once.
        package var used = 0
        /// Callbacks for a task whose callback had already been acted on.
        package var duplicates = 0
        /// Callbacks for a task the run does not know or no longer waits on (late, forged).
        package var ignored = 0
        /// Tasks the safety net found finished before their callback came.
        package var missed = 0

        package init() {}

        /// Every callback the run was handed.
        package var received: Int { used + duplicates + ignored }
    }

    /// An input file of the run and where its upload stands.
    struct ImageSlot: Sendable {
        let image: LocalImage
        var url: String?
        /// The upload's `fileName`: what a workflow's load node takes.
        var fileName: String?
        var uploadedAt: Duration?
        var failure: String?
        var attempt = 0
        var uploading = false
        /// An upload attempt is out and its answer due.
        var answerDue = false
        /// Jobs not yet queued that wait for it.
        var waitingJobs: [Int] = []
        /// Jobs being submitted that wait for a fresh URL.
        var waitingSubmits: [Int] = []
    }

    // MARK: State

    package let plan: Plan
    package let options: RunOptions
    /// What the journal of earlier runs says; dropped once every job has resumed from it.
    private(set) var history: JournalState
    /// The cost text the last resumed job recorded, read.
    var lastResumedCost: (text: String, money: Money?)?
    /// Workflows and apps the service said it does not have or cannot run (380, 810, 901), by
    /// endpoint: their other jobs are not sent, and stay to do for the next run.
    var unavailableWorkflows: [String: APIFailure] = [:]
    /// Each plan job's place in ``history`` (-1: unknown to it), found once.
    private(set) var historyPositions: [Int32] = []

    /// The submit decisions.
    package internal(set) var scheduler: SubmitScheduler
    /// Every plan job's run (only ``selected`` ones change).
    package internal(set) var jobs: [JobRun]
    /// Plan indexes of the jobs this run covers (after `--shard`).
    package internal(set) var selected: [Int] = []

    var images: [ImageSlot] = []
    var imageIndex: [String: Int] = [:]
    var uploadQueue: [Int] = []
    var uploadHead = 0
    var uploadsActive = 0

    /// Input URL lists, held once however many jobs were sent with them.
    var inputLists = SharedValues<[String], [String]>()

    /// Task times per endpoint: this run's, seeded from the journal of earlier runs.
    package internal(set) var durations: [String: TaskDurations] = [:]
    /// When this run's scouts were seen still running, per endpoint, as offsets from their
    /// submits: while few times are known, a task found done by its first query (the one a
    /// scout's find sent) ended between the latest of these below that query and the query.
    var scoutsNotYet: [String: LastDurations] = [:]
    /// One query budget per API key (``budgetKeys``), shared by every poll of that key's tasks,
    /// with the polls waiting for it in order.
    package internal(set) var budgets: [QueryBudget] = []
    var budgetKeys: [String: UInt8] = [:]
    var queryQueues: [[Int]] = []
    var queryHeads: [Int] = []
    /// When each budget's wake-up is set for, if one is.
    var budgetTimers: [Duration?] = []
    /// The polled jobs by task id (for callbacks), and each model's scouts.
    var pollingTasks: [String: Int] = [:]
    var scouts: [String: [Int]] = [:]
    var pollGeneration: UInt32 = 0
    /// Webhook callbacks and what came of them.
    package internal(set) var callbacks = CallbackCounts()
    /// Callbacks for task ids the run did not know yet (newest 4,096): a callback may come before
    /// its submit's answer.
    var earlyCallbacks: Set<String> = []
    var earlyCallbackOrder: [String] = []
    /// Whether the run said that callbacks are not arriving.
    var saidNoCallbacks = false

    var downloadQueue: [DownloadWork] = []
    var downloadHead = 0
    var downloadsActive = 0
    /// Downloads waiting for their retry, by result.
    var downloadRetries: [Int: DownloadWork] = [:]

    var journalWritesActive = 0
    /// Jobs whose task was created by a key this run does not have.
    var keyGone: [Int: String] = [:]
    var verified: Set<Int> = []
    var jitter: SplitMix

    /// How many jobs are in each phase (kept by ``move(_:to:failure:)`` alone).
    package private(set) var tally = PhaseTally()
    /// Events that came for a job (or an upload, a download, a write) no phase was waiting for
    /// them in: a late answer after a cancel, a duplicate. They changed nothing.
    package private(set) var strays = 0
    /// A move the phase table refused, when one happened: the run stopped submitting.
    package private(set) var internalFailure: IllegalMove?

    /// Ctrl-Cs so far.
    package internal(set) var interrupts = 0
    /// Why the run stopped submitting, once it has (the scheduler's: one place holds it).
    package var stopReason: SubmitScheduler.StopReason? { scheduler.stopReason }
    /// A local failure that stopped the run (the journal cannot be written).
    package internal(set) var localFailure: String?
    /// Whether every call was cancelled (the second Ctrl-C).
    package internal(set) var cancelledAll = false
    /// Submits sent.
    package internal(set) var submitsSent = 0
    /// Queries sent.
    package internal(set) var queriesSent = 0

    var now = RunMoment(elapsed: .zero, epochMilliseconds: 0)
    var out: [Action] = []
    /// The scheduler's ceiling as last said (a change is a decision).
    var saidCeiling: Int?

    /// A machine for `plan` run with `options`, over what the journal of earlier runs says.
    package init(plan: Plan, options: RunOptions, history: JournalState) {
        self.plan = plan
        self.options = options
        self.history = history
        self.jobs = Array(repeating: JobRun(), count: plan.jobs.count)
        self.tally.add(.idle, count: plan.jobs.count)
        self.jitter = SplitMix(seed: UInt64(truncatingIfNeeded: plan.jobs.count) &+ 0x1234)
        self.budgets = [QueryBudget(rate: options.queryRate)]
        self.budgetKeys = ["": 0]
        self.queryQueues = [[]]
        self.queryHeads = [0]
        self.budgetTimers = [nil]
        self.scheduler = SubmitScheduler(
            .init(
                maxInFlight: options.concurrency ?? plan.manifest.concurrency,
                retryBase: options.retryBase,
                resubmitUnknown: options.resubmitUnknown,
                maxCost: options.maxCost,
                countsBills: !Self.budgetCountsEstimates(plan: plan, options: options),
                maxCoins: options.maxCoins,
                unreachableLimit: options.unreachableLimit
            ))
        for (index, job) in plan.jobs.enumerated() {
            if let shard = options.shard, Self.shard(of: job.digest.prefix(12), count: shard.count) != shard.index {
                continue
            }
            selected.append(index)
        }
        if !history.isEmpty {
            historyPositions = Array(repeating: -1, count: plan.jobs.count)
            for index in selected {
                if let position = history.position(plan.jobs[index].digest) { historyPositions[index] = position }
            }
        }
        seedDurationsFromJournal()
    }

    /// The shard a job key belongs to, of `count`.
    package static func shard(of key: String, count: Int) -> Int {
        Int(UInt64(key.prefix(12), radix: 16).map { $0 % UInt64(count) } ?? 0)
    }

    /// One number for result `index` (from 1) of plan job `job`.
    package static func resultID(job: Int, index: Int) -> Int {
        job << 16 | index
    }

    // MARK: Before the loop

    /// The records that open the run in the journal: the run itself, and each selected job it
    /// has never seen with its output path.
    ///
    /// In batches: `batch` is a range of ``selected``, and the run's own record comes with the
    /// one that starts at 0 (a million jobs' records at once would be most of a gigabyte).
    package func startRecords(at moment: RunMoment, batch: Range<Int>) -> [JournalRecord] {
        let at = moment.timestamp
        var records: [JournalRecord] = []
        if batch.lowerBound == 0 {
            records.append(
                .run(manifest: plan.manifest.file, jobs: plan.jobs.count, simulated: options.simulated, at: at))
        }
        for index in selected[batch.clamped(to: selected.indices)] where historyPosition(index) == nil {
            let job = plan.jobs[index]
            records.append(.planned(key: job.key, path: job.outputTemplate, at: at))
        }
        return records
    }

    /// Where plan job `index` is in ``history``, if the journal knows it.
    func historyPosition(_ index: Int) -> Int32? {
        guard index < historyPositions.count else { return nil }
        let position = historyPositions[index]
        return position < 0 ? nil : position
    }

    /// The results earlier runs recorded for the selected jobs, to check on disk.
    package var recordedDownloads: RecordedDownloads {
        RecordedDownloads(selected: selected, history: history, positions: historyPositions)
    }

    /// The results earlier runs recorded, read in place from the journal's state, a range of the
    /// selected jobs at a time (so that several cores can check them). It holds the state while
    /// it lives: let it go before the run drops the state.
    package struct RecordedDownloads: Sendable {
        let selected: [Int]
        let history: JournalState
        let positions: [Int32]

        /// How many jobs it ranges over.
        package var jobCount: Int { selected.count }

        /// Calls `body` with each recorded result of the jobs at `range` of the selected jobs.
        package func forEach(
            in range: Range<Int>, _ body: (_ job: Int, _ index: Int, _ download: JournalEntry.Download) -> Void
        ) {
            for job in selected[range] {
                guard job < positions.count, positions[job] >= 0, history[position: positions[job]]?.stage == .succeeded
                else { continue }
                history[position: positions[job]]?.downloads.forEach { body(job, $0, $1) }
            }
        }
    }

    /// The tasks of earlier runs this run asks about again, with the key that created them.
    package var recordedTasks: [(job: Int, taskId: String, keyID: String)] {
        selected.compactMap { index in
            guard let position = historyPosition(index), let stage = history[position: position]?.stage,
                stage != .failed,
                let taskId = history[position: position]?.taskId, let keyID = history[position: position]?.keyID
            else { return nil }
            return (index, taskId, keyID)
        }
    }

    /// Whether anything may be submitted: only then is the key's concurrency limit worth asking.
    package var needsSubmits: Bool {
        selected.contains { index in
            guard let position = historyPosition(index), let stage = history[position: position]?.stage else {
                return true
            }
            switch stage {
            case .refused: return true
            case .failed: return options.retryFailed
            case .unknown, .submitting: return options.resubmitUnknown
            default: return false
            }
        }
    }

    /// Seeds each model's task times from the journal of earlier runs in this folder (the last
    /// 64 per endpoint), so a nightly run polls well from its first task.
    mutating func seedDurationsFromJournal() {
        guard history.entryCount > 0 else { return }
        for index in selected.reversed() {
            let job = plan.jobs[index]
            guard durations[job.endpoint]?.count ?? 0 < 64, let position = historyPosition(index),
                let entry = history[position: position],
                entry.stage == .succeeded,
                let submitted = entry.submitted?.seconds, let finished = entry.finished?.seconds,
                finished > submitted
            else { continue }
            durations[job.endpoint, default: TaskDurations()].record(
                .milliseconds(Int64((finished - submitted) * 1000)))
        }
    }

    // MARK: The loop

    /// True once nothing is left to do.
    package var isFinished: Bool {
        if cancelledAll { return true }
        let uploadsLeft = uploadsActive > 0 || (uploadHead < uploadQueue.count && stopReason == nil)
        let downloadsLeft = downloadsActive > 0 || downloadHead < downloadQueue.count
        return !uploadsLeft && scheduler.isIdle && tally[.polling] == 0 && !downloadsLeft && journalWritesActive == 0
    }

    // MARK: Phases

    /// Says a decision about `job` (with its key and task id), when decisions are said.
    mutating func decide(_ kind: RunDecision.Kind, job: Int?, _ facts: [String: String] = [:]) {
        guard options.logDecisions else { return }
        var facts = facts
        if let job {
            facts["job.key"] = String(plan.jobs[job].key.prefix(12))
            if let taskId = jobs[job].taskId { facts["task.id"] = taskId }
        }
        out.append(.log(RunDecision(kind, facts)))
    }

    /// The one place a job changes phase: checks the move against the phase table (a refused
    /// move stops the run with an internal error, never a silent drop) and keeps the tally.
    mutating func move(_ job: Int, to next: JobPhase, failure: JobFailure? = nil) {
        if case .polling(let poll) = jobs[job].phase, next.name != .polling {
            // Polling is over: its task id no longer takes callbacks, and its model needs a new scout.
            if pollingTasks[poll.taskId] == job { pollingTasks[poll.taskId] = nil }
            if poll.scout >= 0 { scouts[plan.jobs[job].endpoint]?.removeAll { $0 == job } }
        }
        do {
            let old = try jobs[job].enter(next, failure: failure, job: job)
            tally.moved(from: old, to: next.name)
            if options.logDecisions, case .ended(let status) = next {
                var facts = ["status": status.rawValue]
                if let failure { facts["code"] = failure.code.rawValue }
                decide(.jobEnded, job: job, facts)
            }
        } catch {
            guard internalFailure == nil else { return }
            internalFailure = error
            localFailure = error.description
            out.append(.notice(.internalError(error.description)))
            if stopReason == nil { execute(scheduler.interrupt()) }
        }
    }

    /// Ends a live job with `status` and why; a job that ended already stays as it is.
    mutating func end(_ job: Int, _ status: JobStatus, _ failure: JobFailure? = nil) {
        guard jobs[job].status == .pending else { return }
        move(job, to: .ended(status), failure: failure)
    }

    /// An event no phase was waiting for: counted, said unless the run is being cancelled (when
    /// late answers are expected), and otherwise ignored.
    mutating func stray(_ what: String, job: Int?) {
        strays += 1
        decide(.stray, job: job, ["event": what])
        guard !cancelledAll else { return }
        let whose = job.map { " for job \(plan.jobs[$0].key.prefix(12)) (\(jobs[$0].phase.name.rawValue))" } ?? ""
        out.append(.notice(.warning("ignored \(what)\(whose): nothing was waiting for it")))
    }

    /// Takes one event and returns what to do about it.
    package mutating func handle(_ event: Event, at moment: RunMoment) -> [Action] {
        now = moment
        switch event {
        case .started(let facts): start(facts)
        case .uploaded(let image, let result): uploaded(image, result)
        case .submitted(let job, let outcome): submitted(job, outcome)
        case .queried(let job, let outcome): queried(job, outcome)
        case .downloaded(let work, let result): downloaded(work, result)
        case .timer(let timer): fired(timer)
        case .journalWritten(let error):
            guard journalWritesActive > 0 else {
                stray("a journal write's end", job: nil)
                break
            }
            journalWritesActive -= 1
            decide(.journalSync, job: nil, ["result": error.map { "failed: \($0)" } ?? "synced"])
            if let error { journalFailed(job: nil, error) }
        case .journalFailed(let job, let message): notSent(job, message)
        case .callback(let taskId): callback(taskId)
        case .interrupt: interrupted()
        case .cancelled(let job): cancelled(job)
        }
        if options.logDecisions, saidCeiling != scheduler.ceiling {
            if saidCeiling != nil || scheduler.ceiling != scheduler.configuration.maxInFlight {
                decide(
                    .limitLearnt, job: nil,
                    ["ceiling": String(scheduler.ceiling), "configured": String(scheduler.configuration.maxInFlight)])
            }
            saidCeiling = scheduler.ceiling
        }
        let actions = out
        out = []
        return actions
    }

    /// Whether `--max-cost` counts the catalog's estimates rather than what was billed: its
    /// stated currency is the catalog's, and the account is billed in another.
    static func budgetCountsEstimates(plan: Plan, options: RunOptions) -> Bool {
        guard options.maxCost != nil, let stated = options.maxCostCurrency else { return false }
        return stated != plan.moneyCurrency && stated == plan.currency
    }

    /// A job's estimate as the `--max-cost` count takes it: its catalog price when the limit
    /// counts estimates, else its estimate in the billing currency.
    func budgetEstimate(_ index: Int) -> Money {
        Self.budgetCountsEstimates(plan: plan, options: options) ? plan.jobs[index].price : plan.moneyEstimate(index)
    }

    /// A `--max-cost-currency` that is neither the billing currency nor the catalog's.
    var uncountableBudget: SubmitScheduler.StopReason? { Self.uncountableBudget(plan: plan, options: options) }

    /// ``uncountableBudget`` for a plan and options.
    static func uncountableBudget(plan: Plan, options: RunOptions) -> SubmitScheduler.StopReason? {
        guard options.maxCost != nil, let stated = options.maxCostCurrency,
            stated != plan.moneyCurrency, stated != plan.currency
        else { return nil }
        return .uncountableBudget(currency: stated, account: plan.accountCurrency, catalog: plan.currency)
    }

    mutating func start(_ facts: StartFacts) {
        verified = facts.verified
        keyGone = facts.keyGone
        if let status = facts.accountLimit, status.concurrencyLimit > 0,
            status.concurrencyLimit < scheduler.configuration.maxInFlight
        {
            out.append(
                .notice(
                    .accountLimit(
                        limit: status.concurrencyLimit, running: status.running,
                        configured: scheduler.configuration.maxInFlight)))
            scheduler.limit(to: status.concurrencyLimit)
        }
        if let reason = uncountableBudget {
            // Before any job is resumed: none is sent, and every one not already done ends
            // "not submitted" with the reason.
            execute(scheduler.refuseBudget(reason))
        }
        if let failure = facts.journalFailure {
            localFailure = failure
            execute(scheduler.interrupt())
            for job in selected {
                end(job, .cancelled, JobFailure(phase: .submit, code: .journal, message: failure))
            }
            return
        }
        var changed: [String: Int] = [:]
        for job in selected {
            resume(job)
            if let model = graphChanged(job) { changed[model, default: 0] += 1 }
        }
        for (model, count) in changed.sorted(by: { $0.key < $1.key }) {
            out.append(
                .notice(
                    .warning(
                        "\(model)'s workflow changed since \(count) of its \(count == 1 ? "jobs was" : "jobs were") done: they are kept as they are (an earlier graph made them); to run them with the new one, write them to another output folder"
                    )))
        }
        // Every job has what it needs of the journal now; its folded state is not kept.
        history = JournalState()
        historyPositions = []
        pumpUploads()
        pumpDownloads()
    }

    /// The model of a job done in an earlier run with another graph of its workflow than the
    /// plan's, or `nil`.
    func graphChanged(_ job: Int) -> String? {
        guard jobs[job].alreadyDone || jobs[job].status == .succeeded || jobs[job].resumed,
            let current = plan.jobs[job].shape.value.graphSHA256, let position = historyPosition(job),
            let recorded = history[position: position]?.graph, recorded != current
        else { return nil }
        return plan.jobs[job].model
    }

    mutating func fired(_ timer: Timer) {
        switch timer {
        case .scheduler: execute(scheduler.tick(now: now.elapsed))
        case .poll(let job, let generation): pollDue(job, generation: generation)
        case .querySlot(let key):
            budgetTimers[key] = nil
            pumpQueries(key, waited: true)
        case .uploadRetry(let image): startUpload(image)
        case .downloadRetry(let job, let index):
            guard let work = downloadRetries.removeValue(forKey: Self.resultID(job: job, index: index)) else {
                stray("a download retry's timer", job: job)
                return
            }
            if cancelledAll {
                downloadsActive -= 1
            } else {
                out.append(.download(work))
            }
        case .drainOver:
            if !isFinished {
                out.append(.notice(.drainOver))
                cancelAll()
            }
        }
    }

    /// Writes records, as durable as their kinds need (durable ones are followed by
    /// ``Event/journalWritten(error:)``).
    mutating func write(_ records: [JournalRecord]) {
        switch records.map(\.durability).max() ?? .durable {
        case .durable:
            journalWritesActive += 1
            out.append(.journal(records, .durable))
        case .soon:
            out.append(.journal(records, .soon))
        case .lazy:
            out.append(.journal(records, .lazy))
        }
    }

    /// The journal could not be synced before a job's submit or first query: it was not sent.
    mutating func notSent(_ job: Int, _ error: String) {
        switch jobs[job].phase {
        case .submitting(let submitting) where submitting.sent:
            // No task, nothing billed. The run stops first, so the slot given back does not go
            // to another submit.
            journalFailed(job: job, "the journal cannot be written (\(error)); the submit was not sent")
            execute(
                scheduler.submitFinished(
                    job,
                    .refused(
                        APIFailure(code: JobFailure.Code.journal.rawValue, message: error, errorClass: .retryable)),
                    now: now.elapsed))
        case .polling(let poll) where poll.answerDue:
            let message = "the journal cannot be written (\(error))"
            endPoll(job, JobFailure(phase: .poll, code: .journal, message: message))
            journalFailed(job: job, message)
        default:
            stray("a journal failure", job: job)
        }
    }

    mutating func journalFailed(job: Int?, _ message: String) {
        localFailure = message
        if let job { markCancelled(job, code: .journal, message: message) }
        if stopReason == nil {
            out.append(.notice(.journalError(message)))
            execute(scheduler.interrupt())
        }
    }

    mutating func interrupted() {
        interrupts += 1
        if interrupts == 1 {
            out.append(.notice(.interrupted(inFlight: scheduler.inFlight)))
            execute(scheduler.interrupt())
            out.append(.wait(until: now.elapsed + options.drainTimeout, .drainOver))
        } else {
            out.append(.notice(.stoppingNow))
            cancelAll()
        }
    }

    mutating func cancelAll() {
        guard !cancelledAll else { return }
        cancelledAll = true
        if stopReason == nil { execute(scheduler.interrupt()) }
        out.append(.cancelAll)
    }

    mutating func cancelled(_ job: Int?) {
        guard let job else { return }
        end(job, .cancelled, interruptedFailure(job))
    }

    /// Why a job stopped by Ctrl-C did not end.
    func interruptedFailure(_ job: Int) -> JobFailure {
        JobFailure(
            phase: jobs[job].taskId == nil ? .submit : .poll,
            code: .interrupted,
            message: "stopped by Ctrl-C; the journal lets the next run pick it up"
        )
    }

    mutating func markCancelled(_ job: Int, code: JobFailure.Code, message: String) {
        end(job, .cancelled, JobFailure(phase: .submit, code: code, message: message))
    }

    // MARK: Scheduler actions

    mutating func execute(_ actions: [SubmitScheduler.Action]) {
        for action in actions {
            switch action {
            case .submit(let job):
                startSubmit(job)
            case .wake(let at):
                out.append(.wait(until: at, .scheduler))
            case .jobEnded(let job, let end):
                switch end {
                case .failed(let failure)
                where plan.jobs[job].shape.value.sendsFileNames
                    && Self.workflowUnavailableCodes.contains(failure.code):
                    // The workflow cannot run, not the job: left to do, as a stopped run leaves it.
                    self.end(
                        job, .cancelled,
                        JobFailure(
                            phase: .submit, code: .init(failure),
                            message: "not run: \(failure.message); the next run tries it again"))
                case .failed(let failure):
                    self.end(job, .failed, JobFailure(phase: .submit, code: .init(failure), message: failure.message))
                case .unknown(let failure):
                    let message =
                        failure.message
                        + " (the task may exist and may be billed; use --resubmit-unknown to send it again)"
                    self.end(job, .unknown, JobFailure(phase: .submit, code: .init(failure), message: message))
                }
            case .stop(let reason):
                let message = reason.description
                if case .interrupted = reason {} else { out.append(.notice(.stopping(message))) }
                for job in scheduler.waitingJobs {
                    markCancelled(job, code: .stopped, message: "not submitted: \(message)")
                }
                for slot in images where slot.url == nil {
                    for job in slot.waitingJobs {
                        markCancelled(job, code: .stopped, message: "not submitted: \(message)")
                    }
                }
                uploadQueue.removeAll()
                uploadHead = 0
            }
        }
    }

    // MARK: After the loop

    /// Time since the run started, as of the last event.
    package var elapsed: Duration { now.elapsed }

    /// Moves the machine's clock without an event (for a progress snapshot).
    package mutating func note(_ moment: RunMoment) {
        now = moment
    }

    /// Ends the jobs that did not end (the run stopped early).
    package mutating func settle() {
        let stoppedMessage = stopReason?.description ?? "the run ended early"
        for index in selected where jobs[index].status == .pending {
            let failure = JobFailure(
                phase: jobs[index].taskId == nil ? .submit : .poll,
                code: interrupts > 0 ? .interrupted : .stopped,
                message: jobs[index].taskId == nil
                    ? "not submitted: \(stoppedMessage)"
                    : "still running when the run stopped; the next run picks it up"
            )
            end(index, .cancelled, failure)
        }
    }

    /// Where the run stands, for a progress display.
    package func progress(final: Bool = false) -> RunProgress {
        var progress = RunProgress(total: selected.count, elapsed: now.elapsed, final: final)
        for index in selected {
            let run = jobs[index]
            switch run.status {
            case .succeeded: progress.done += 1
            case .pending: break
            default: progress.failed += 1
            }
            if run.status != .pending && !run.alreadyDone { progress.endedThisRun += 1 }
            if !run.alreadyDone, run.taskId != nil, run.status != .pending || run.cost != nil {
                progress.spent += run.cost(estimate: plan.moneyEstimate(index))
            }
        }
        progress.inFlight = scheduler.inFlight
        progress.queued = scheduler.queued + uploadQueue.count - uploadHead
        if let paused = scheduler.pausedUntil, paused > now.elapsed { progress.pausedFor = paused - now.elapsed }
        return progress
    }
}

/// Where a run stands, as a progress display shows it.
package struct RunProgress: Sendable, Hashable {
    /// Jobs this run covers.
    package var total: Int
    /// Succeeded (this run or before).
    package var done = 0
    /// Ended any other way.
    package var failed = 0
    /// Ended in this run (for the rate).
    package var endedThisRun = 0
    package var inFlight = 0
    package var queued = 0
    /// What this run spent so far.
    package var spent = Money.zero
    /// How long submits are held back (a full queue), if they are.
    package var pausedFor: Duration?
    /// Time since the run started.
    package var elapsed: Duration
    /// The last one, when the loop is over.
    package var final: Bool

    package init(total: Int, elapsed: Duration, final: Bool) {
        self.total = total
        self.elapsed = elapsed
        self.final = final
    }
}

/// What the run tells its user along the way (the executable words it).
package enum RunNotice: Sendable, Hashable {
    /// A problem that did not stop the run (a torn journal line).
    case warning(String)
    /// The key allows fewer tasks at once than asked; the run uses its limit.
    case accountLimit(limit: Int, running: Int, configured: Int)
    /// The first Ctrl-C: no new submits; waiting for the tasks in flight.
    case interrupted(inFlight: Int)
    /// The second Ctrl-C: stopping now.
    case stoppingNow
    /// The first Ctrl-C's drain time is over: stopping now.
    case drainOver
    /// The run stops submitting (not a Ctrl-C): why.
    case stopping(String)
    /// The journal cannot be written: no further submits.
    case journalError(String)
    /// rh-batch refused one of its own moves (a bug): no further submits.
    case internalError(String)
    /// The dataset card was edited by hand and was not rewritten.
    case datasetCardKept
    /// The account is billed in another currency than the catalog's estimates: spend counts what
    /// was billed, in the account's currency.
    /// `countsEstimates`: `--max-cost-currency` is the catalog's, so the limit counts estimates.
    case billingCurrency(account: String, catalog: String, maxCost: Money?, countsEstimates: Bool)
}

extension SubmitScheduler.StopReason: CustomStringConvertible {
    /// Why the run stopped, as reports and messages say it.
    package var description: String {
        switch self {
        case .fatal(let failure): "the API refused the key or the account: \(failure)"
        case .budget(let limit): "the next submit would pass --max-cost \(limit)"
        case .uncountableBudget(let currency, let account, let catalog):
            "--max-cost-currency \(currency) is neither the account's currency (\(account ?? "not known: accountStatus did not say")) nor the catalog's (\(catalog)); nothing was submitted"
        case .coinBudget(let limit): "the next submit would pass --max-coins \(limit)"
        case .unreachable(let failure): "the API could not be reached for too long (\(failure.message))"
        case .interrupted: "interrupted"
        }
    }
}
