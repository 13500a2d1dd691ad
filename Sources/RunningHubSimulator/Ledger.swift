/// What the simulator saw, for tests and benchmarks to check a runner against.
package struct Ledger: Sendable, Codable, Equatable {
    /// One task that was charged.
    package struct BilledTask: Sendable, Codable, Equatable {
        package var taskId: String
        package var endpoint: String
        package var body: String
        package var price: Double
        /// How long the task took, in seconds (for benchmarks' ideal schedules).
        package var latency: Double = 0
        /// The key that created it.
        package var apiKey: String = ""
        /// RH coins, for a workflow or app task (billed by GPU time, not by price).
        package var coins: Int = 0
    }

    /// Submits that created a task.
    package var submitsAccepted = 0
    /// Submits refused, by reason (`421`, `429`, `1007`, `1002`, `5xx`, ...).
    package var submitsRefused: [String: Int] = [:]
    /// Tasks charged, in order.
    package var billed: [BilledTask] = []
    /// Submits that created (and billed) a task but whose answer never arrived whole (a 502 or a
    /// cut connection): the runner cannot know the task, so each may leave an `unknown` job.
    package var answersLost = 0
    /// Queries per task id.
    package var queries: [String: Int] = [:]
    /// Queries of task ids the simulator never issued.
    package var unknownTaskQueries = 0
    /// Queries of issued tasks answered `1004` on purpose (`lagging`, `forgetTask`).
    package var notFoundAnswers = 0
    /// Result downloads per path (complete and cut off).
    package var downloads: [String: Int] = [:]
    /// Result downloads refused because the URL had expired.
    package var expiredDownloads = 0
    /// Uploads received.
    package var uploads = 0
    /// The most unfinished tasks one key had at once.
    package var peakConcurrent = 0
    /// The most unfinished tasks each key had at once.
    package var peakByKey: [String: Int] = [:]
    /// Billed tasks whose endpoint and body repeat an earlier billed task: double billing.
    package var doubleBilled = 0
    /// Finished tasks that no query saw finished: results a runner never collected.
    package var unpolledFinished = 0
    /// Queries refused for their rate (`--queries-per-second`): HTTP 429, `1003`.
    package var queriesRefused = 0
    /// Webhook callbacks: delivered (answered 2xx), answered otherwise (each attempt), dropped on
    /// purpose, sent twice on purpose, forged (for a task id the simulator never issued), sent
    /// after a callback that was ready later (held back on purpose), and forged for a running
    /// task (its own id, a false success).
    package var callbacksDelivered = 0
    package var callbacksFailed = 0
    package var callbacksDropped = 0
    package var callbacksDuplicated = 0
    package var callbacksForged = 0
    package var callbacksReordered = 0
    package var callbacksForgedRunning = 0

    /// RH coins billed for workflow and app tasks.
    package var totalCoins: Int { billed.reduce(0) { $0 + $1.coins } }
    /// The number of submits refused for every reason.
    package var totalRefused: Int { submitsRefused.values.reduce(0, +) }
    /// The number of queries of every task.
    package var totalQueries: Int { queries.values.reduce(0, +) }
    /// The number of downloads of every result.
    package var totalDownloads: Int { downloads.values.reduce(0, +) }
}
