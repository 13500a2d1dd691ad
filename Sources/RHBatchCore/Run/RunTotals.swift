/// Job counts by how they ended, with spend: the report's `totals`.
package struct RunTotals: Sendable, Hashable {
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
    /// Spend of this run's tasks (actual where reported, else the catalog price).
    package var cost = Money.zero
    /// RH coins this run's workflow and app tasks were billed, in all and by model, as reported.
    package var coins = Money.zero
    package var coinsByModel: [String: Money] = [:]

    package init() {}
}
