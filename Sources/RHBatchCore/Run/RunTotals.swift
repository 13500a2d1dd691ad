/// Jobs by how they ended, and their result files: what a run's totals and a report's `totals`
/// count, in one type (the report writes its members in ``members`` order, the contact sheet
/// shows ``sheetCounts``).
package struct JobCounts: Codable, Sendable, Hashable {
    package var jobs = 0
    package var succeeded = 0
    package var failed = 0
    package var unknown = 0
    package var skipped = 0
    package var cancelled = 0
    package var timeout = 0
    package var alreadyDone = 0
    package var outputs = 0
    package var bytes = 0

    package init() {}

    /// Every count by its report name, in the order `report.json`'s `totals` has them.
    package var members: [(String, Int)] {
        [
            ("jobs", jobs), ("succeeded", succeeded), ("failed", failed), ("unknown", unknown), ("skipped", skipped),
            ("cancelled", cancelled), ("timeout", timeout), ("alreadyDone", alreadyDone), ("outputs", outputs),
            ("bytes", bytes),
        ]
    }

    /// The job counts in the order the contact sheet's header shows them.
    package var sheetCounts: [(String, Int)] {
        [
            ("jobs", jobs), ("succeeded", succeeded), ("alreadyDone", alreadyDone), ("failed", failed),
            ("unknown", unknown), ("timeout", timeout), ("cancelled", cancelled), ("skipped", skipped),
        ]
    }

    /// Adds another's counts.
    package mutating func add(_ other: JobCounts) {
        jobs += other.jobs
        succeeded += other.succeeded
        failed += other.failed
        unknown += other.unknown
        skipped += other.skipped
        cancelled += other.cancelled
        timeout += other.timeout
        alreadyDone += other.alreadyDone
        outputs += other.outputs
        bytes += other.bytes
    }
}

/// A run's totals: its job counts, with spend. `totals.succeeded` reads the counts.
@dynamicMemberLookup
package struct RunTotals: Sendable, Hashable {
    package var counts = JobCounts()
    /// Spend of this run's tasks (actual where reported, else the catalog price).
    package var cost = Money.zero
    /// RH coins this run's workflow and app tasks were billed, in all and by model, as reported.
    package var coins = Money.zero
    package var coinsByModel: [String: Money] = [:]
    /// Per model, this run's tasks billed another amount than the catalog's estimate.
    package var drift: [String: PriceDrift] = [:]

    package init() {}

    /// Counts a task the API billed `billed` where the catalog said `estimate`.
    package mutating func billed(_ billed: Money, estimate: Money, model: String) {
        guard billed != estimate else { return }
        drift[model, default: PriceDrift(model: model, estimate: estimate, lowest: billed, highest: billed)]
            .add(billed, estimate: estimate)
    }

    /// The drift, by model name.
    package var driftByModel: [PriceDrift] { drift.values.sorted { $0.model < $1.model } }

    package subscript(dynamicMember count: WritableKeyPath<JobCounts, Int>) -> Int {
        get { counts[keyPath: count] }
        set { counts[keyPath: count] = newValue }
    }
}

/// One model's tasks that the API billed differently from the catalog: prices moved since the
/// catalog was made (`rh-batch catalog update`), or the catalog's rule misses a field.
package struct PriceDrift: Sendable, Hashable {
    package var model: String
    /// The catalog's price of one such task (the first met).
    package var estimate: Money
    /// The least and most one was billed.
    package var lowest: Money
    package var highest: Money
    /// How many tasks, and their estimates and bills in all.
    package var tasks = 0
    package var estimated = Money.zero
    package var billed = Money.zero

    mutating func add(_ amount: Money, estimate: Money) {
        tasks += 1
        estimated += estimate
        billed += amount
        lowest = min(lowest, amount)
        highest = max(highest, amount)
    }

    /// `0.14 → 0.11` or `0.14 → 0.10-0.12`.
    package var change: String {
        "\(estimate) → " + (lowest == highest ? "\(lowest)" : "\(lowest)-\(highest)")
    }
}
