/// One query budget for the whole run: every poll reserves a moment to send its query, at most
/// `rate` per second in all, and a rate-limit answer (`1003`, HTTP 429) to any query holds every
/// poll back for its `Retry-After`.
///
/// 500 tasks in flight would otherwise query as fast as their own schedules say (about 170 a
/// second at a 3 s minimum); the budget spreads the same queries over time instead. A value: the
/// caller says what time it is (run time).
package struct QueryBudget: Sendable, Hashable {
    private let interval: Duration
    private var next: Duration = .zero
    private var pausedUntil: Duration = .zero

    /// A budget of `rate` queries per second; `nil` or a rate of 0 or less is no limit.
    package init(rate: Double?) {
        if let rate, rate > 0 {
            interval = .nanoseconds(Int64(1e9 / rate))
        } else {
            interval = .zero
        }
    }

    /// The moment the caller may send its query: `now`, or later when the budget is spent or
    /// paused.
    package mutating func reserve(now: Duration) -> Duration {
        let start = max(now, next, pausedUntil)
        next = start + interval
        return start
    }

    /// Whether there is no rate to keep (every query may go when it is due).
    package var isUnlimited: Bool {
        interval == .zero
    }

    /// Whether queries are held back at `now` (a rate-limit answer came after a query's moment
    /// was reserved: it reserves again).
    package func isPaused(at now: Duration) -> Bool {
        pausedUntil > now
    }

    /// Holds every later query back for `duration` (a rate-limit answer's `Retry-After`).
    package mutating func pause(for duration: Duration, now: Duration) {
        pausedUntil = max(pausedUntil, now + duration)
        next = max(next, pausedUntil)
    }
}
