import NIOConcurrencyHelpers

/// The simulator's sense of time: the real clock, or a clock that tests stop, move and restart.
///
/// Every decision the simulator makes with time (when a task starts and finishes, how many submits
/// fell in the last second, when a result URL expires) reads this clock, so a test can hold every
/// task where it is, step past a latency or a rate-limit window in one call, and then let time run
/// again, instead of sleeping and hoping the machine was fast enough.
package final class SimulatorClock: Sendable {
    private struct Reading {
        /// Set while the clock stands still: the instant it shows.
        var stoppedAt: ContinuousClock.Instant?
        /// How far the clock is ahead of the real one while it runs.
        var shift: Duration
    }

    private let reading: NIOLockedValueBox<Reading>

    /// A clock that runs with real time, or one that starts stopped when `stopped` is true.
    package init(stopped: Bool = false) {
        reading = NIOLockedValueBox(Reading(stoppedAt: stopped ? ContinuousClock.now : nil, shift: .zero))
    }

    /// The real clock, for everything but tests.
    package static let real = SimulatorClock()

    /// The instant the simulator sees now.
    package var now: ContinuousClock.Instant {
        reading.withLockedValue { $0.stoppedAt ?? (ContinuousClock.now + $0.shift) }
    }

    /// Moves the clock forward, whether it stands or runs.
    package func advance(by duration: Duration) {
        reading.withLockedValue { reading in
            if let stopped = reading.stoppedAt {
                reading.stoppedAt = stopped + duration
            } else {
                reading.shift += duration
            }
        }
    }

    /// Stops the clock where it is: tasks stay in their state until it moves.
    package func stop() {
        reading.withLockedValue { reading in
            if reading.stoppedAt == nil { reading.stoppedAt = ContinuousClock.now + reading.shift }
        }
    }

    /// Lets a stopped clock run on from the instant it shows.
    package func start() {
        reading.withLockedValue { reading in
            guard let stopped = reading.stoppedAt else { return }
            reading.shift = stopped - ContinuousClock.now
            reading.stoppedAt = nil
        }
    }
}
