import RunningHubModel

/// The run's submit decisions as a value-type state machine: what to submit next, what to retry
/// and when, when to lower or raise the in-flight ceiling, and when to stop.
///
/// It does no I/O and reads no clock: every event carries `now` (time since the run started),
/// and every decision comes back as an ``Action`` for the runner's task group to carry out. Tests
/// drive it as a transcript.
package struct SubmitScheduler: Sendable {
    /// Limits and policies.
    package struct Configuration: Sendable {
        /// The most tasks in flight (submitting or accepted and unfinished): `-j` / `concurrency`.
        package var maxInFlight: Int
        /// First backoff after a refusal; doubles with each refusal in a row.
        package var retryBase: Duration
        /// The longest backoff.
        package var retryCap: Duration
        /// Accepted submits in a row before the ceiling climbs back by one.
        package var raiseAfter: Int
        /// Resubmit jobs whose submit outcome is unknown (may bill twice).
        package var resubmitUnknown: Bool
        /// Stop submitting before estimated plus actual spend would pass this.
        package var maxCost: Money?
        /// Whether what a task was billed replaces its estimate in the `maxCost` count: not when
        /// the limit is in the catalog's currency and the account is billed in another.
        package var countsBills: Bool
        /// The same for the RH coins of workflow and app tasks.
        package var maxCoins: Money?
        /// Stop when the API cannot be reached for this long.
        package var unreachableLimit: Duration
        /// Give a job up after this many retry-safe refusals.
        package var maxRefusals: Int
        /// Seeds the jitter.
        package var seed: UInt64

        /// Makes a configuration.
        package init(
            maxInFlight: Int,
            retryBase: Duration = .seconds(1),
            retryCap: Duration = .seconds(60),
            raiseAfter: Int = 4,
            resubmitUnknown: Bool = false,
            maxCost: Money? = nil,
            countsBills: Bool = true,
            maxCoins: Money? = nil,
            unreachableLimit: Duration = .seconds(300),
            maxRefusals: Int = 200,
            seed: UInt64 = 0x5EED
        ) {
            self.maxInFlight = max(1, maxInFlight)
            self.retryBase = retryBase
            self.retryCap = retryCap
            self.raiseAfter = raiseAfter
            self.resubmitUnknown = resubmitUnknown
            self.maxCost = maxCost
            self.countsBills = countsBills
            self.maxCoins = maxCoins
            self.unreachableLimit = unreachableLimit
            self.maxRefusals = maxRefusals
            self.seed = seed
        }
    }

    /// Why the run stopped submitting.
    package enum StopReason: Sendable, Hashable {
        /// A fatal API error: bad key, wrong key type, no balance.
        case fatal(APIFailure)
        /// The next submit would pass `--max-cost`.
        case budget(limit: Money)
        /// The next submit would pass `--max-coins`.
        case coinBudget(limit: Money)
        /// `--max-cost-currency` is neither the account's currency nor the catalog's: the limit
        /// cannot be counted, so nothing is submitted.
        case uncountableBudget(currency: String, account: String?, catalog: String)
        /// The API could not be reached for too long.
        case unreachable(APIFailure)
        /// Ctrl-C.
        case interrupted
    }

    /// What a submit came to, as the scheduler needs to know it.
    package enum SubmitResult: Sendable, Hashable {
        /// A task exists and is unfinished: it holds a slot until ``SubmitScheduler/taskEnded(_:actualCost:now:)``.
        case accepted
        /// A task exists and already finished (an instant `SUCCESS`): no slot is held.
        case acceptedFinished(actualCost: Money?, actualCoins: Money? = nil)
        /// Refused before anything happened; safe to send again after a wait.
        case refused(APIFailure)
        /// Refused for good: the job fails.
        case failed(APIFailure)
        /// The outcome is unknown: a task may exist and may be billed.
        case unknown(APIFailure)
    }

    /// A decision for the runner.
    package enum Action: Sendable, Hashable {
        /// Send this job's submit now.
        case submit(Int)
        /// Deliver a ``SubmitScheduler/tick(now:)`` at this time.
        case wake(at: Duration)
        /// The job ended at submit: failed, unknown, or gave up after refusals.
        case jobEnded(Int, JobEnd)
        /// No more submits in this run; in-flight tasks drain.
        case stop(StopReason)
    }

    /// How a job ended at the submit stage.
    package enum JobEnd: Sendable, Hashable {
        case failed(APIFailure)
        case unknown(APIFailure)
    }

    package private(set) var configuration: Configuration
    /// The current in-flight ceiling.
    package private(set) var ceiling: Int
    /// Jobs submitting or accepted and unfinished.
    package private(set) var inFlight = 0
    /// Jobs accepted and unfinished.
    package private(set) var accepted = 0
    /// Submits sent, refusals received.
    package private(set) var submitsSent = 0
    package private(set) var refusals = 0
    /// Why the run stopped, once it has.
    package private(set) var stopReason: StopReason?
    /// Until when submits are held back, if they are.
    package private(set) var pausedUntil: Duration?
    /// Estimated plus actual spend of everything submitted so far.
    package private(set) var committed = Money.zero
    /// The same in RH coins (workflow and app tasks).
    package private(set) var committedCoins = Money.zero
    private var coinEstimates: [Int: Money] = [:]

    private var ready: [Int] = []
    private var readyHead = 0
    private var retry: [Int] = []
    private var estimates: [Int: Money] = [:]
    private var refusalsByJob: [Int: Int] = [:]
    private var refusalStreak = 0
    private var cleanStreak = 0
    private var unreachableSince: Duration?
    private var wakeScheduled: Duration?
    private var sentAt: [Int: Int] = [:]
    private var lastEpisode = 0
    private var random: SplitMix

    /// Starts with nothing queued.
    package init(_ configuration: Configuration) {
        self.configuration = configuration
        self.ceiling = configuration.maxInFlight
        self.random = SplitMix(seed: configuration.seed)
    }

    /// Jobs waiting to be submitted.
    package var queued: Int { retry.count + ready.count - readyHead }

    /// True when nothing is waiting and nothing is in flight.
    package var isIdle: Bool { inFlight == 0 && (queued == 0 || stopReason != nil) }

    /// The jobs still waiting, in order; after a stop, these will not run.
    package var waitingJobs: [Int] { retry + ready[readyHead...] }

    // MARK: Events

    /// Lowers the most tasks in flight for the whole run (the account's own limit is lower).
    package mutating func limit(to maximum: Int) {
        configuration.maxInFlight = max(1, min(configuration.maxInFlight, maximum))
        ceiling = min(ceiling, configuration.maxInFlight)
    }

    /// A task from an earlier run that is still unfinished: it holds a slot like an accepted one.
    package mutating func adopt(_ job: Int, estimate: Money, coins: Money = .zero) {
        inFlight += 1
        accepted += 1
        committed += estimate
        committedCoins += coins
        // Kept, so that the task's end replaces the estimate by what it was billed.
        estimates[job] = estimate
        if coins != .zero { coinEstimates[job] = coins }
    }

    /// A job is ready to submit (its images are uploaded).
    package mutating func enqueue(_ job: Int, estimate: Money, coins: Money = .zero, now: Duration) -> [Action] {
        ready.append(job)
        estimates[job] = estimate
        if coins != .zero { coinEstimates[job] = coins }
        return pump(now: now)
    }

    /// A submit came back.
    package mutating func submitFinished(_ job: Int, _ result: SubmitResult, now: Duration) -> [Action] {
        var actions: [Action] = []
        switch result {
        case .accepted:
            accepted += 1
            noteSuccess()
        case .acceptedFinished(let cost, let coins):
            inFlight -= 1
            if configuration.countsBills {
                committed += (cost ?? estimates[job] ?? .zero) - (estimates[job] ?? .zero)
            }
            committedCoins += (coins ?? coinEstimates[job] ?? .zero) - (coinEstimates[job] ?? .zero)
            noteSuccess()
            forget(job)
        case .refused(let failure):
            inFlight -= 1
            committed += Money(micros: -(estimates[job]?.micros ?? 0))
            committedCoins += Money(micros: -(coinEstimates[job]?.micros ?? 0))
            refusals += 1
            cleanStreak = 0
            // Submits sent together are refused together: one congestion episode, counted once
            // for the backoff and the ceiling however many of them come back refused.
            let newEpisode = (sentAt[job] ?? 0) > lastEpisode
            if newEpisode {
                lastEpisode = submitsSent
                refusalStreak += 1
            }
            if failure.isConnectionFailure {
                unreachableSince = unreachableSince ?? now
                if let since = unreachableSince, now - since >= configuration.unreachableLimit {
                    actions += stop(.unreachable(failure))
                }
            } else {
                unreachableSince = nil
                if newEpisode { lowerCeiling(after: failure) }
            }
            refusalsByJob[job, default: 0] += 1
            if refusalsByJob[job, default: 0] >= configuration.maxRefusals {
                forget(job)
                actions.append(.jobEnded(job, .failed(failure)))
            } else {
                // Refused jobs go first when submits resume, in plan order.
                let position = retry.firstIndex { $0 > job } ?? retry.endIndex
                retry.insert(job, at: position)
                // A full queue while our own tasks run frees up as they end: the lowered ceiling
                // makes the next submit wait for one of them, not for a timer. Otherwise (a rate
                // limit, or the account full of someone else's tasks) wait, with backoff.
                let capacity = !failure.isRateLimit && !failure.isConnectionFailure
                if !capacity || accepted == 0 || failure.retryAfter != nil {
                    let delay = failure.retryAfter ?? backoff(max(1, refusalStreak))
                    let until = now + delay
                    pausedUntil = max(pausedUntil ?? until, until)
                }
            }
        case .failed(let failure):
            inFlight -= 1
            committed += Money(micros: -(estimates[job]?.micros ?? 0))
            committedCoins += Money(micros: -(coinEstimates[job]?.micros ?? 0))
            unreachableSince = nil
            if failure.errorClass == .fatal {
                actions += stop(.fatal(failure))
            }
            forget(job)
            actions.append(.jobEnded(job, .failed(failure)))
        case .unknown(let failure):
            inFlight -= 1
            unreachableSince = nil
            if configuration.resubmitUnknown {
                ready.append(job)
            } else {
                forget(job)
                actions.append(.jobEnded(job, .unknown(failure)))
            }
        }
        return actions + pump(now: now)
    }

    /// An accepted task finished (any way); its slot is free.
    package mutating func taskEnded(_ job: Int, actualCost: Money?, actualCoins: Money? = nil, now: Duration)
        -> [Action]
    {
        inFlight -= 1
        accepted -= 1
        if let actualCost, configuration.countsBills { committed += actualCost - (estimates[job] ?? .zero) }
        if let actualCoins { committedCoins += actualCoins - (coinEstimates[job] ?? .zero) }
        forget(job)
        return pump(now: now)
    }

    /// Drops what was kept about a job that has left the scheduler: a million-job run keeps
    /// nothing here for the jobs it is done with.
    private mutating func forget(_ job: Int) {
        estimates[job] = nil
        coinEstimates[job] = nil
        sentAt[job] = nil
        refusalsByJob[job] = nil
    }

    /// Jobs something is still kept about (tests: it empties as jobs end).
    package var jobsKept: Int {
        Set(estimates.keys).union(coinEstimates.keys).union(sentAt.keys).union(refusalsByJob.keys).count
    }

    /// A wake-up requested with ``Action/wake(at:)``.
    package mutating func tick(now: Duration) -> [Action] {
        if let scheduled = wakeScheduled, now >= scheduled { wakeScheduled = nil }
        return pump(now: now)
    }

    /// A fatal error met outside a submit (an upload or a query): no more submits.
    package mutating func stopFatal(_ failure: APIFailure) -> [Action] {
        stop(.fatal(failure))
    }

    /// A `--max-cost` this run cannot count (``StopReason/uncountableBudget(currency:account:catalog:)``):
    /// no submits at all.
    package mutating func refuseBudget(_ reason: StopReason) -> [Action] {
        stop(reason)
    }

    /// Ctrl-C: no more submits.
    package mutating func interrupt() -> [Action] {
        stop(.interrupted)
    }

    // MARK: Deciding

    private mutating func pump(now: Duration) -> [Action] {
        guard stopReason == nil else { return [] }
        var actions: [Action] = []
        if let paused = pausedUntil {
            if now < paused {
                if queued > 0 && wakeScheduled != paused {
                    wakeScheduled = paused
                    actions.append(.wake(at: paused))
                }
                return actions
            }
            pausedUntil = nil
        }
        while queued > 0 && inFlight < ceiling {
            let job = retry.first ?? ready[readyHead]
            let estimate = estimates[job] ?? .zero
            // A job of no estimate in the billing currency (an unpriced job, or an account billed in
            // another currency) is not sent once what was billed has reached the limit.
            if let limit = configuration.maxCost,
                committed + estimate > limit || estimate == .zero && committed >= limit
            {
                actions += stop(.budget(limit: limit))
                break
            }
            let coins = coinEstimates[job] ?? .zero
            if let limit = configuration.maxCoins, committedCoins + coins > limit {
                actions += stop(.coinBudget(limit: limit))
                break
            }
            if retry.isEmpty {
                readyHead += 1
                if readyHead > 1024 && readyHead * 2 > ready.count {
                    ready.removeFirst(readyHead)
                    readyHead = 0
                }
            } else {
                retry.removeFirst()
            }
            inFlight += 1
            submitsSent += 1
            sentAt[job] = submitsSent
            committed += estimate
            committedCoins += coins
            actions.append(.submit(job))
        }
        return actions
    }

    /// A capacity refusal (`421`, `415`) means the account holds no more tasks than we have
    /// accepted: the ceiling drops to that, and by at least one. A rate limit (`1003`, HTTP 429)
    /// is about pace, not capacity: only the pause applies.
    private mutating func lowerCeiling(after failure: APIFailure) {
        guard !failure.isRateLimit else { return }
        ceiling = max(1, min(ceiling - 1, accepted))
    }

    private mutating func stop(_ reason: StopReason) -> [Action] {
        guard stopReason == nil else { return [] }
        stopReason = reason
        return [.stop(reason)]
    }

    private mutating func noteSuccess() {
        unreachableSince = nil
        refusalStreak = 0
        cleanStreak += 1
        // Additive increase: one more slot per ceiling's worth of clean submits, so probing the
        // account's limit costs about one refusal per round of tasks.
        if cleanStreak >= max(configuration.raiseAfter, ceiling) && ceiling < configuration.maxInFlight {
            ceiling += 1
            cleanStreak = 0
        }
    }

    /// `base · 2^(n-1)`, capped, with ±20% jitter.
    private mutating func backoff(_ attempt: Int) -> Duration {
        let base = configuration.retryBase * (1 << min(attempt - 1, 20))
        let capped = min(base, configuration.retryCap)
        let jitter = 0.8 + 0.4 * random.unit()
        return capped * jitter
    }
}

/// A small seeded generator for jitter, so transcripts repeat.
package struct SplitMix: Sendable {
    private var state: UInt64

    /// Starts a sequence.
    package init(seed: UInt64) {
        state = seed
    }

    /// The next 64 random bits.
    package mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    /// A value in 0..<1.
    package mutating func unit() -> Double {
        Double(next() >> 11) / Double(1 << 53)
    }
}

extension Money {
    package static func - (lhs: Money, rhs: Money) -> Money { Money(micros: lhs.micros - rhs.micros) }
}
