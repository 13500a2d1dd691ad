/// The query budget of one API key: how fast that key's polls may go, learnt from the API's own
/// signals rather than fixed by the tool.
///
/// It starts high (``initialRate`` a second, or the user's `--query-rate` cap) and, until the API
/// refuses a query, doubles after every second in which queries waited for it: no limit of
/// rh-batch's own holds a run back. A refusal (`1003`, HTTP 429) is a new episode when the refused
/// query was sent after the last decrease; the rate then falls to 0.85 of what it was, and to no
/// more than 0.9 of the queries sent in the second before the refused one that the API answered
/// (the limit it just showed: answers, not queries sent, since queries still on their way may be
/// refused too). When the refusal's wait ends (a second at the earliest), that count is taken
/// again, with the answers that were still on their way (a refusal may come back before them),
/// and sets the rate anew, up or down, to no more than 0.85 of the rate before the refusal.
/// Every query waits out the refusal's `Retry-After`. After each quiet second in which queries
/// waited, the rate climbs back by 1% (at least 0.5 a second), the same shape as the submit
/// ceiling: down fast on a refusal, up slowly while it holds. A value: the caller says what time
/// it is (run time).
package struct QueryBudget: Sendable, Hashable {
    /// The first rate when no cap is given: high enough that only the API's own limit holds a run
    /// back (64 queries due at once go within 64 ms), low enough that the answer to the first
    /// refused query comes back before many more are sent.
    package static let initialRate = 1000.0
    /// The lowest rate a run falls to.
    package static let minimumRate = 0.5

    /// The user's cap (`--query-rate`), if any.
    package let cap: Double?
    /// The queries a second it allows now.
    package private(set) var rate: Double
    /// Refusals that lowered the rate (episodes), and refusals in all.
    package private(set) var decreases = 0
    package private(set) var refusals = 0
    private var next: Duration = .zero
    private var pausedUntil: Duration = .zero
    /// Queries sent, numbered from 1; the number of the last one sent before the last decrease.
    private var sent = 0
    private var sentAtDecrease = 0
    /// When the rate last changed or was last confirmed by a quiet second.
    private var lastChange: Duration = .zero
    /// Whether a refusal came since ``lastChange``.
    private var refusedSinceChange = false
    /// When each recent query was sent: query number `sendBase + 1 + i` at `sendTimes[i]`.
    private var sendTimes: [Duration] = []
    private var sendBase = 0
    /// When the queries the API answered (not refused) were sent, for the last few seconds: what
    /// it accepted.
    private var accepted: [Duration] = []
    private var acceptedKept = 0
    /// The second of sends whose answers set the rate again when the refusal's wait ends.
    private var review: Review?
    private struct Review: Sendable, Hashable {
        var at: Duration
        var from: Duration
        var to: Duration
        /// 0.85 of the rate before the refusal: the most the recount may set.
        var ceiling: Double
    }
    /// How long send moments are kept: answers later than this do not count.
    private static let memory: Duration = .seconds(5)

    /// A budget capped at `rate` queries a second (no lower than ``minimumRate``); `nil` or 0 or
    /// less learns its rate from the API.
    package init(rate: Double?) {
        if let rate, rate > 0 {
            let rate = max(rate, Self.minimumRate)
            cap = rate
            self.rate = rate
        } else {
            cap = nil
            self.rate = Self.initialRate
        }
    }

    /// The earliest moment the next query may go: `now`, or later when the rate is spent or a
    /// refusal's `Retry-After` holds queries back.
    package func moment(now: Duration) -> Duration {
        max(now, next, pausedUntil)
    }

    /// Spends the budget on a query sent at `now` (no earlier than ``moment(now:)``); `waited`
    /// says it had to wait for the budget (the rate, not the API, was holding it). Returns the
    /// query's number, for ``answered(_:refused:retryAfter:now:)``.
    package mutating func spend(now: Duration, waited: Bool) -> Int {
        if let review, now >= review.at {
            // The answers to the second of queries before the refusal are in by now: they set
            // the rate, higher or lower than the count at the refusal made it.
            let count = acceptedSent(from: review.from, to: review.to)
            if count >= 1 {
                rate = min(max(Self.minimumRate, min(review.ceiling, Double(count) * 0.9)), cap ?? .infinity)
            }
            self.review = nil
            lastChange = now
        }
        grow(now: now, waited: waited)
        next = max(next, now) + .nanoseconds(Int64(1e9 / rate))
        sent += 1
        sendTimes.append(now)
        if let first = sendTimes.first, now - first > Self.memory * 2 {
            let old = sendTimes.prefix { now - $0 > Self.memory }.count
            sendTimes.removeFirst(old)
            sendBase += old
        }
        return sent
    }

    /// When query `number` was sent, if that was recent.
    private func sendTime(of number: Int) -> Duration? {
        let index = number - sendBase - 1
        return sendTimes.indices.contains(index) ? sendTimes[index] : nil
    }

    /// How many of the queries sent from `from` to `to` the API answered.
    private func acceptedSent(from: Duration, to: Duration) -> Int {
        accepted.reduce(0) { $0 + (from <= $1 && $1 <= to ? 1 : 0) }
    }

    /// A query's answer came: `refused` when the API refused it for its rate (`1003`, HTTP 429),
    /// with the wait it asked for; else the API answered it (the task's state, or any other code:
    /// it reached the API and counted toward its limit).
    package mutating func answered(_ number: Int, refused: Bool, retryAfter: Duration?, now: Duration) {
        let sentAt = sendTime(of: number)
        guard refused else {
            guard let sentAt else { return }
            accepted.append(sentAt)
            if accepted.count > 2 * acceptedKept + 256 {
                accepted.removeAll { now - $0 > Self.memory }
                acceptedKept = accepted.count
            }
            return
        }
        refusals += 1
        refusedSinceChange = true
        let wait = retryAfter ?? .seconds(1)
        pausedUntil = max(pausedUntil, now + wait)
        next = max(next, pausedUntil)
        // Queries sent before the last decrease were paced by the old rate: their refusals are
        // the same episode.
        guard number > sentAtDecrease else { return }
        var lowered = rate * 0.85
        if let sentAt {
            let count = acceptedSent(from: sentAt - .seconds(1), to: sentAt)
            if count >= 1 { lowered = min(lowered, Double(count) * 0.9) }
            // Counted again a second from now at the earliest, once the answers on their way
            // have come.
            review = Review(
                at: max(pausedUntil, now + .seconds(1)), from: sentAt - .seconds(1), to: sentAt,
                ceiling: max(Self.minimumRate, rate * 0.85))
        }
        rate = min(max(Self.minimumRate, lowered), cap ?? .infinity)
        decreases += 1
        sentAtDecrease = sent
        lastChange = now
        refusedSinceChange = false
    }

    /// After a quiet second in which queries waited for the budget, a higher rate: doubled until
    /// the API has refused a query, 1% more after.
    private mutating func grow(now: Duration, waited: Bool) {
        guard now - lastChange >= .seconds(1) else { return }
        defer {
            lastChange = now
            refusedSinceChange = false
        }
        guard waited, !refusedSinceChange else { return }
        let raised = decreases == 0 ? rate * 2 : rate + max(Self.minimumRate, rate * 0.01)
        rate = min(raised, cap ?? .infinity)
    }
}
