/// One query budget for the whole run: every poll reserves a moment to send its query, at most
/// `rate` per second in all, and a rate-limit answer (`1003`, HTTP 429) to any query holds every
/// poll back for its `Retry-After`.
///
/// 500 tasks in flight would otherwise query as fast as their own schedules say (about 170 a
/// second at a 3 s minimum); the budget spreads the same queries over time instead.
package actor QueryBudget {
    private let interval: Duration
    private let clock = ContinuousClock()
    private var next: ContinuousClock.Instant
    private var pausedUntil: ContinuousClock.Instant

    /// A budget of `rate` queries per second; `nil` or a rate of 0 or less is no limit.
    package init(rate: Double?) {
        if let rate, rate > 0 {
            interval = .nanoseconds(Int64(1e9 / rate))
        } else {
            interval = .zero
        }
        next = clock.now
        pausedUntil = clock.now
    }

    /// The moment the caller may send its query (now, or later when the budget is spent or paused).
    package func reserve() -> ContinuousClock.Instant {
        let now = clock.now
        let start = max(now, next, pausedUntil)
        next = start + interval
        return start
    }

    /// Holds every later query back for `duration` (a rate-limit answer's `Retry-After`).
    package func pause(for duration: Duration) {
        pausedUntil = max(pausedUntil, clock.now + duration)
        next = max(next, pausedUntil)
    }
}
