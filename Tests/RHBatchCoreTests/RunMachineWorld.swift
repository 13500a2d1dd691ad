import RHBatchCore
import RunningHubModel
import Testing

/// The run machine on a virtual clock with scripted answers: every action the machine asks for is
/// "performed" at once by the script (no sockets, no files, no sleeps), its result fed back as
/// the next event, and timers fire in time order. What the machine did is the transcript:
/// the actions in order and every journal record it wrote.
struct World {
    var machine: RunMachine
    /// The virtual clock (run time).
    var now: Duration = .zero
    /// Every journal record, in the order the machine wrote them (what a crash leaves is a prefix).
    var records: [JournalRecord] = []
    /// Every action, in order.
    var actions: [RunMachine.Action] = []
    var notices: [RunNotice] = []
    /// Decisions said (with ``RunOptions/logDecisions``).
    var decisions: [RunDecision] = []
    var cancelledAll = false

    /// Results of performed calls, delivered first come, first served.
    var pending: [RunMachine.Event] = []
    /// Timers asked for, not fired yet.
    var timers: [(at: Duration, timer: RunMachine.Timer)] = []

    // The script: answers by call (the counts are this world's, from 1).
    var uploadAnswer: (_ image: Int, _ attempt: Int) -> Result<String, APIFailure> = { image, attempt in
        .success("https://files.example/\(image)-\(attempt).png")
    }
    var submitAnswer: (_ job: Int, _ submit: Int) -> SubmitOutcome = { job, submit in
        .accepted(TaskSnapshot(taskId: "t\(submit)", state: .queued))
    }
    /// When set, answers queries instead of ``queryAnswer``, told the moment of the query.
    var timedQueryAnswer: ((_ taskId: String, _ query: Int, _ at: Duration) -> QueryOutcome)?
    var queryAnswer: (_ taskId: String, _ query: Int) -> QueryOutcome = { taskId, query in
        .task(
            TaskSnapshot(
                taskId: taskId, state: .succeeded,
                results: [TaskResult(url: "https://cdn.example/\(taskId).png", outputType: "png")], cost: "0.25"))
    }
    var downloadAnswer:
        (_ work: RunMachine.DownloadWork, _ download: Int) -> Result<RunMachine.SavedResult, DownloadError> = {
            work, _ in
            .success(
                RunMachine.SavedResult(
                    record: OutputRecord(path: work.path, url: work.url, bytes: 10, sha256: HexDigest("ab")), mtime: 1))
        }
    /// Journal writes fail (the disk is gone).
    var journalFails = false
    /// Results this answers `true` for are delivered twice (a duplicated or replayed answer).
    var duplicate: (RunMachine.Event) -> Bool = { _ in false }

    // What the script was asked.
    var uploads = 0
    var submits: [Int] = []
    var queries: [String: Int] = [:]
    /// When each query was sent (run time), in order.
    var queryTimes: [Duration] = []
    var downloads: [String] = []

    init(plan: Plan, options: RunOptions = World.options(), history: JournalState = JournalState()) {
        machine = RunMachine(plan: plan, options: options, history: history)
    }

    /// Options as a test means them: no account-limit question, fast polls, a query budget.
    static func options(_ configure: (inout RunOptions) -> Void = { _ in }) -> RunOptions {
        var options = RunOptions()
        options.poll = PollSchedule(minimum: .seconds(3), maximum: .seconds(15))
        options.askAccountLimit = false
        configure(&options)
        return options
    }

    var moment: RunMoment {
        RunMoment(elapsed: now, epochMilliseconds: 1_800_000_000_000 + Int64(now.components.seconds) * 1000)
    }

    /// Feeds one event and performs what comes back.
    mutating func send(_ event: RunMachine.Event) {
        perform(machine.handle(event, at: moment))
    }

    mutating func perform(_ list: [RunMachine.Action], log: Bool = true) {
        if log { actions += list }
        let before = pending.count
        defer {
            // Each duplicate right behind its original.
            let added = pending[before...].flatMap { duplicate($0) ? [$0, $0] : [$0] }
            pending.replaceSubrange(before..., with: added)
        }
        for action in list {
            switch action {
            case .journal(let written, let durability):
                records += written
                if case .durable = durability {
                    pending.append(.journalWritten(error: journalFails ? "disk full" : nil))
                }
            case .upload(let image, _):
                uploads += 1
                pending.append(
                    .uploaded(
                        image: image,
                        uploadAnswer(image, uploads).map { UploadedFile(url: $0, fileName: "openapi/\(image).png") }))
            case .submit(let job, _, _, let record):
                records.append(record)
                if journalFails {
                    pending.append(.journalFailed(job: job, "disk full"))
                    continue
                }
                submits.append(job)
                pending.append(.submitted(job: job, submitAnswer(job, submits.count)))
            case .query(let job, let taskId, let afterSync):
                if afterSync && journalFails {
                    pending.append(.journalFailed(job: job, "disk full"))
                    continue
                }
                queries[taskId, default: 0] += 1
                queryTimes.append(now)
                let answer = timedQueryAnswer?(taskId, queries[taskId]!, now) ?? queryAnswer(taskId, queries[taskId]!)
                pending.append(.queried(job: job, answer))
            case .download(let work):
                downloads.append(work.url)
                pending.append(.downloaded(work, downloadAnswer(work, downloads.count)))
            case .wait(let at, let timer):
                timers.append((at, timer))
            case .notice(let notice):
                notices.append(notice)
            case .cancelAll:
                cancelledAll = true
            case .log(let decision):
                decisions.append(decision)
            }
        }
    }

    /// Runs from the start until the machine is finished (or `limit` events, which fails).
    mutating func run(_ facts: RunMachine.StartFacts = .init(), limit: Int = 100_000) {
        send(.started(facts))
        runOn(limit: limit)
    }

    /// Delivers results and timers until the machine is finished.
    mutating func runOn(limit: Int = 100_000, until stop: (World) -> Bool = { _ in false }) {
        var steps = 0
        while !machine.isFinished && !stop(self) {
            steps += 1
            guard steps < limit else {
                Issue.record("the run did not finish in \(limit) events")
                return
            }
            if !pending.isEmpty {
                send(pending.removeFirst())
            } else if let next = timers.indices.min(by: { timers[$0].at < timers[$1].at }) {
                let (at, timer) = timers.remove(at: next)
                now = max(now, at)
                send(.timer(timer))
            } else {
                Issue.record("the machine waits for nothing but is not finished")
                return
            }
        }
    }

    /// The journal's events in order, by record kind.
    var recordKinds: [JournalRecord.Event] { records.map(\.event) }

    /// The journal as a later run reads it, cut after `count` records (a crash).
    func history(upTo count: Int) -> JournalState {
        var state = JournalState()
        for record in records.prefix(count) { state.apply(record) }
        return state
    }
}
