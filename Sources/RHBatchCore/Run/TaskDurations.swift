/// How long this run's tasks took, so polling can wait until a task could be done instead of
/// asking early and often.
package struct TaskDurations: Sendable {
    private var recent: [Duration] = []
    private var next = 0
    private let capacity = 64

    package init() {}

    /// Records a task's time from accepted submit to seen finished.
    package mutating func record(_ duration: Duration) {
        if recent.count < capacity {
            recent.append(duration)
        } else {
            recent[next] = duration
            next = (next + 1) % capacity
        }
    }

    /// How many durations are known.
    package var count: Int { recent.count }

    /// When to query a new task, as offsets from its submit: at every `steps`-th part of the known
    /// task times (with 12: the 8th percentile, the 17th, ... the longest seen), so each query
    /// covers about the same chance that the task has just finished, and a result waits about
    /// 1/(2·steps) of the spread of task times to be seen; no query is spent before the shortest
    /// tasks could be done. Offsets closer than `minimumGap` to the previous one are skipped.
    /// Empty until 8 times are known.
    package func plannedQueries(minimumGap: Duration, steps: Int = 12) -> [Duration] {
        guard recent.count >= 8, steps >= 1 else { return [] }
        let sorted = recent.sorted()
        var offsets: [Duration] = []
        for step in 1...steps {
            let position = min(sorted.count - 1, Int((Double(sorted.count) * Double(step) / Double(steps)).rounded(.up)) - 1)
            let offset = sorted[max(0, position)]
            if let last = offsets.last, offset - last < minimumGap { continue }
            offsets.append(offset)
        }
        return offsets
    }

    /// A low estimate of how long a task takes: the 20th percentile of the last 64, once 8 are
    /// known; `nil` before.
    package var typical: Duration? {
        guard recent.count >= 8 else { return nil }
        let sorted = recent.sorted()
        return sorted[sorted.count / 5]
    }
}
