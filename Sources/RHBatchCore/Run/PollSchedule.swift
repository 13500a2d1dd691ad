#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// When to ask about a task: soon at first, then less and less often, with jitter, and never
/// after the task's time bound.
package struct PollSchedule: Sendable, Hashable {
    /// The first wait and the shortest.
    package var minimum: Duration
    /// The longest wait between two queries.
    package var maximum: Duration
    /// How much each wait grows over the previous one.
    package var growth: Double
    /// How long a task may take before it is given up as `timeout`.
    package var taskTimeout: Duration

    /// The schedule for real use: tasks of 10-60 s take about 3-7 queries.
    package static let standard = PollSchedule(
        minimum: .seconds(3), maximum: .seconds(15), growth: 1.5, taskTimeout: .seconds(1800))

    /// Makes a schedule.
    package init(minimum: Duration, maximum: Duration, growth: Double = 1.5, taskTimeout: Duration = .seconds(1800)) {
        self.minimum = minimum
        self.maximum = max(minimum, maximum)
        self.growth = max(1, growth)
        self.taskTimeout = taskTimeout
    }

    /// The first wait when tasks of this run have been seen to take at least about `expected`:
    /// nine tenths of it (but no less than ``minimum``), so a task is rarely asked about before
    /// it can be done. Without an expectation it is the schedule's first wait.
    package func firstDelay(expected: Duration?, jitter: Double) -> Duration {
        guard let expected else { return delay(attempt: 1, jitter: jitter) }
        let informed = min(expected * 0.9, taskTimeout)
        return max(informed, minimum) * (0.95 + 0.1 * jitter)
    }

    /// The wait before query number `attempt` (from 1), with `jitter` in 0..<1 spreading it by ±10%.
    package func delay(attempt: Int, jitter: Double) -> Duration {
        var wait = minimum
        if attempt > 1 {
            let factor = pow(growth, Double(min(attempt - 1, 60)))
            wait = min(minimum * factor, maximum)
        }
        return wait * (0.9 + 0.2 * jitter)
    }
}

extension Duration {
    /// This duration grown `times` times by `factor` (at most 40 times).
    func grown(by factor: Double, times: Int) -> Duration {
        self * pow(factor, Double(min(max(times, 0), 40)))
    }
}
