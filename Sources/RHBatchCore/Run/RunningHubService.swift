import RunningHubModel

/// The API calls a run makes: the seam between the runner and the network.
///
/// Written in the core's own types (`RunningHubModel`, which depends on nothing): the core never
/// sees the HTTP client. The real client conforms in `RunningHubAdapter`; tests may put anything
/// that answers the same way here.
package protocol RunningHubService: Sendable {
    /// Uploads an input file and returns the URL standard models' bodies use and the file name
    /// workflow nodes take.
    func upload(bytes: [UInt8], fileName: String, contentType: String) async throws -> UploadedFile
    /// Submits a task; never retried by the implementation.
    func submit(endpoint: String, body: [UInt8]) async throws(CancellationError) -> SubmitOutcome
    /// Asks for a task's state.
    func query(taskId: String) async throws(CancellationError) -> QueryOutcome
    /// Asks for a workflow or app task's state: a finished one whose answer names no coins is
    /// asked for them another way (the legacy outputs call).
    func query(workflowTask taskId: String) async throws(CancellationError) -> QueryOutcome
    /// The key's concurrency limit and current load.
    func queueStatus() async throws -> QueueStatus
    /// Downloads a result, atomically, to `destination`; `durable` syncs it before the rename.
    /// The bytes must be a file of the `expecting` kind (a video model's result is a video).
    func download(url: String, to destination: String, durable: Bool, expecting: OutputKind) async throws
        -> DownloadedFile
    /// Before a resumed task is asked again: the key that created it (`nil` when the journal
    /// names none). `false` when this service does not have that key any more.
    func attach(taskId: String, keyID: String?) async -> Bool
    /// Jobs, spend and refusals per key, for the report (empty for a single key).
    func keyUsage() async -> [KeyUsage]
    /// The currency the account is billed in (`accountStatus`), or `nil` when it does not say.
    func accountCurrency() async -> String?
}

extension RunningHubService {
    package func query(workflowTask taskId: String) async throws(CancellationError) -> QueryOutcome {
        try await query(taskId: taskId)
    }

    package func attach(taskId: String, keyID: String?) async -> Bool { true }
    package func keyUsage() async -> [KeyUsage] { [] }
    package func accountCurrency() async -> String? { nil }
}

/// What one key of several did in a run.
package struct KeyUsage: Sendable, Hashable {
    /// The name given in `RH_API_KEYS`/`--keys-file` (`name=key`), else `key1`, `key2`, ...
    package var name: String
    /// A short SHA-256 prefix of the key: names it in journals without revealing it.
    package var fingerprint: String
    /// Tasks it created.
    package var tasks: Int
    /// What those tasks cost, as the API reported (CNY).
    package var spend: Money
    /// Submits it refused, by code.
    package var refusals: [String: Int]
    /// Why it was retired for the rest of the run (a bad key, no balance), or `nil`.
    package var retired: String?
    /// Its concurrency limit, as read or learnt.
    package var limit: Int?
}
