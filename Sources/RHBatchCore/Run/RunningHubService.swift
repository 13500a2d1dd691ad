import RunningHubModel

/// The API calls a run makes: the seam between the runner and the network.
///
/// Written in the core's own types (`RunningHubModel`, which depends on nothing): the core never
/// sees the HTTP client. The real client conforms in `RunningHubAdapter`; tests may put anything
/// that answers the same way here.
package protocol RunningHubService: Sendable {
    /// Uploads an image and returns the URL job bodies use.
    func upload(bytes: [UInt8], fileName: String, contentType: String) async throws -> String
    /// Submits a task; never retried by the implementation.
    func submit(endpoint: String, body: [UInt8]) async throws(CancellationError) -> SubmitOutcome
    /// Asks for a task's state.
    func query(taskId: String) async throws(CancellationError) -> QueryOutcome
    /// The key's concurrency limit and current load.
    func queueStatus() async throws -> QueueStatus
    /// Downloads a result, atomically, to `destination`; `durable` syncs it before the rename.
    /// The bytes must be a file of the `expecting` kind (a video model's result is a video).
    func download(url: String, to destination: String, durable: Bool, expecting: OutputKind) async throws -> DownloadedFile
}
