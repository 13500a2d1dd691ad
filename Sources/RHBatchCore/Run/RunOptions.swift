/// What `rh-batch run` was asked to do beyond the manifest (how it is shown is the caller's).
package struct RunOptions: Sendable {
    /// Tasks in flight at once; `nil` takes the manifest's `concurrency`.
    package var concurrency: Int?
    /// The output folder; `nil` takes the manifest's.
    package var outputDirectory: String?
    /// Run again jobs that ended failed in an earlier run.
    package var retryFailed = false
    /// Resubmit jobs whose submit outcome is unknown (may bill twice).
    package var resubmitUnknown = false
    /// Stop submitting before estimated plus actual spend passes this.
    package var maxCost: Money?
    /// The currency `maxCost` is in (`--max-cost-currency`); `nil`: the account's. The catalog's
    /// currency on an account billed in another counts the catalog's estimates, not the bills.
    package var maxCostCurrency: String?
    /// Stop submitting before the RH coins of workflow and app tasks (estimated, then as
    /// reported) would pass this.
    package var maxCoins: Money?
    /// Run only shard `index` of `count` (by job key).
    package var shard: (index: Int, count: Int)?
    /// When to query tasks.
    package var poll = PollSchedule.standard
    /// Downloads at once.
    package var downloadConcurrency = 8
    /// Uploads at once.
    package var uploadConcurrency = 4
    /// Attempts per result download.
    package var downloadAttempts = 5
    /// How long the first Ctrl-C waits for in-flight tasks before giving up on them.
    package var drainTimeout: Duration = .seconds(300)
    /// Base of the wait after a refused submit.
    package var retryBase: Duration = .seconds(1)
    /// How long a task answered `1004` (not found) is asked again before it is given up as
    /// lost: a distributed service may not know a task just after its submit.
    package var notFoundWindow: Duration = .seconds(120)
    /// Fetch remote (URL) inputs into the output folder's `inputs/` for the dataset; when false
    /// they are listed by URL only.
    package var fetchRemoteInputs = true
    /// The most queries per second per API key (every task's polls together); `nil` learns the
    /// rate from the API's refusals (see ``QueryBudget``).
    package var queryRate: Double?
    /// This run's webhook URL, its secret included: every submit carries it as `webhookUrl`
    /// (unless the job sets its own), and its tasks are polled only as a safety net.
    package var webhookURL: String?
    /// How long an upload URL is used before the image is uploaded again (RunningHub's upload
    /// URLs expire after about a day).
    package var uploadLifetime: Duration = .seconds(12 * 3600)
    /// Stop when the API cannot be reached for this long.
    package var unreachableLimit: Duration = .seconds(300)
    /// Ask the API for the key's concurrency limit before the first submit.
    package var askAccountLimit = true
    /// How long the first submit waits for that answer before it goes without it (the limit is
    /// then learnt from refusals).
    package var accountLimitWait: Duration = .seconds(5)
    /// Whether the run is against the built-in simulator.
    package var simulated = false
    /// The API base URL, for the report.
    package var apiBaseURL = ""
    /// How often the run reports a progress snapshot; `nil` is never (only the final one).
    package var progressInterval: Duration?
    /// Whether the machine says each decision it makes (``RunMachine/Action/log(_:)``), for
    /// `--verbose`; off, it makes none of those actions.
    package var logDecisions = false

    /// Makes default options.
    package init() {}
}
