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

    /// A low estimate of how long a task takes: the 20th percentile of the last 64, once 8 are
    /// known; `nil` before.
    package var typical: Duration? {
        guard recent.count >= 8 else { return nil }
        let sorted = recent.sorted()
        return sorted[sorted.count / 5]
    }
}
