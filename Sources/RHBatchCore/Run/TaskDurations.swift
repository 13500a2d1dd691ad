/// How long this run's tasks took, so polling can wait until a task could be done instead of
/// asking early and often.
package struct TaskDurations: Sendable {
    private var last = LastDurations()
    private var recent: [Duration] { last.values }

    package init() {}

    /// Records a task's time from accepted submit to seen finished.
    package mutating func record(_ duration: Duration) {
        last.record(duration)
    }

    /// How many durations are known.
    package var count: Int { recent.count }

    /// When to query a new task, as offsets from its submit: at every `steps`-th part of the known
    /// task times (with 10: the 10th percentile, the 20th, ... the longest seen), so each query
    /// covers about the same chance that the task has just finished, and a result waits about
    /// 1/(2·steps) of the spread of task times to be seen; no query is spent before the shortest
    /// tasks could be done. Offsets closer than `minimumGap` are one query, at the latest of them
    /// (chosen from the longest down): a query a little later finds all the tasks the skipped
    /// offsets would have found, where one at the earliest finds few and the rest wait a gap
    /// more (tasks of one length are asked once, at the longest seen). Empty while no time is
    /// known.
    package func plannedQueries(minimumGap: Duration, steps: Int = 10) -> [Duration] {
        guard !recent.isEmpty, steps >= 1 else { return [] }
        let sorted = recent.sorted()
        var offsets: [Duration] = []
        for step in stride(from: steps, through: 1, by: -1) {
            let position = min(
                sorted.count - 1, Int((Double(sorted.count) * Double(step) / Double(steps)).rounded(.up)) - 1)
            let offset = sorted[max(0, position)]
            if let last = offsets.last, last - offset < minimumGap { continue }
            offsets.append(offset)
        }
        return offsets.reversed()
    }

    /// A low estimate of how long a task takes: the 20th percentile of the last 64, once 8 are
    /// known; `nil` before.
    package var typical: Duration? {
        guard recent.count >= 8 else { return nil }
        let sorted = recent.sorted()
        return sorted[sorted.count / 5]
    }

    /// The `q`-quantile (0...1) of the last 64; zero while none is known.
    package func quantile(_ q: Double) -> Duration {
        guard !recent.isEmpty else { return .zero }
        let sorted = recent.sorted()
        return sorted[min(sorted.count - 1, max(0, Int((Double(sorted.count) * q).rounded(.up)) - 1))]
    }

    /// The longest of the last 64; `nil` while none is known.
    package var longest: Duration? { recent.max() }

    /// The median of the last 64; `nil` while none is known.
    package var median: Duration? {
        guard !recent.isEmpty else { return nil }
        return recent.sorted()[recent.count / 2]
    }

    /// The gap between two queries of one task where times are known, and the first wait past the
    /// longest: 2% of the median (no less than 10 ms). Relative, not absolute: tasks of 1 s and of
    /// 60 s are asked with the same precision.
    package var step: Duration? {
        median.map { max($0 * 0.02, .milliseconds(10)) }
    }

    /// The planned query offset after `elapsed`, or `nil` when none is known (no time known, or
    /// past the longest seen). The plan moves a little as times are learnt, and a query is sent
    /// up to 1% early (its jitter), so the next offset must lie at least half a gap past
    /// `elapsed`, and 1.1% of it: a query is never repeated just because its quantile moved or
    /// it went early. Offsets are at least a gap apart (``step``), so none is skipped.
    package func nextQuery(after elapsed: Duration) -> Duration? {
        guard let gap = step else { return nil }
        let earliest = elapsed + max(gap / 2, elapsed * 0.011)
        return plannedQueries(minimumGap: gap).first { $0 > earliest }
    }
}

/// The last 64 durations recorded, in no particular order (a ring). Also when the scouts of one
/// model were seen still running, as offsets from their submits (``RunMachine/scoutsNotYet``).
struct LastDurations: Sendable {
    private(set) var values: [Duration] = []
    private var next = 0
    private let capacity = 64

    mutating func record(_ value: Duration) {
        if values.count < capacity {
            values.append(value)
        } else {
            values[next] = value
            next = (next + 1) % capacity
        }
    }

    /// The latest of the last 64 below `limit`; `nil` when there is none.
    func latest(below limit: Duration) -> Duration? {
        values.lazy.filter { $0 < limit }.max()
    }
}
