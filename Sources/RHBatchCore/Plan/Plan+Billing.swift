/// Estimates and bills: the catalog's prices are in its currency (CNY, the vendor's .cn price
/// table); an account of the .ai site is billed in USD. Every amount a run writes is in the
/// currency of what it counts.
extension Plan {
    /// The currency of the money a run spends and writes: the account's, else the catalog's.
    package var moneyCurrency: String { billingCurrency ?? currency }

    /// Whether the catalog's estimates are money of the billing currency.
    package var estimatesAreBilledMoney: Bool { billingCurrency == nil || billingCurrency == currency }

    /// A job's estimate as money of ``moneyCurrency``: its catalog price, or zero when the
    /// account is billed in another currency (then only what was billed counts).
    package func moneyEstimate(_ index: Int) -> Money {
        estimatesAreBilledMoney ? jobs[index].price : .zero
    }

    /// Reads the account's currency into the plan: kept only when it differs from the catalog's.
    package mutating func billed(in accountCurrency: String?) {
        self.accountCurrency = accountCurrency
        guard let accountCurrency, accountCurrency != currency else {
            billingCurrency = nil
            return
        }
        billingCurrency = accountCurrency
    }
}
