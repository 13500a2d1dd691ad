/// One task the simulator accepted.
struct SimulatedTask: Sendable {
    enum Outcome: Sendable {
        case success(results: Int)
        case failure(code: String, message: String)
    }

    var id: String
    var apiKey: String
    var endpoint: String
    /// What the model makes: the registry's `output_type` (`image`, `video`, `audio`, `3d`, `string`).
    var output: String = "image"
    /// The body as canonical JSON (sorted keys), for the ledger.
    var canonicalBody: String
    var createdAt: ContinuousClock.Instant
    var runningAt: ContinuousClock.Instant
    var finishesAt: ContinuousClock.Instant
    var outcome: Outcome
    var price: Double
    var billed: Bool
    var cancelled = false
    /// Queries answered `1004` so far (`lagging`, `forgetTask`).
    var notFoundAnswers = 0
    /// Every query answers `1004` (`forgetTask`).
    var forgotten = false
    /// The result images' width and height.
    var width: Int
    var height: Int
    /// Drives the result's pixels, so different jobs get different images.
    var pixelSeed: UInt64
    /// For a workflow or app task: the output node of each result.
    var resultNodes: [String] = []
    /// For a workflow or app task: the GPU seconds and RH coins it is billed.
    var costSeconds = 0
    var coins = 0
    /// ComfyUI's validation result, as the service sends it with a workflow's submit.
    var promptTips = ""

    /// The status at `now`: `QUEUED`, `RUNNING`, `SUCCESS`, `FAILED` or `CANCEL`.
    func status(at now: ContinuousClock.Instant) -> String {
        if cancelled { return "CANCEL" }
        if now < runningAt { return "QUEUED" }
        if now < finishesAt { return "RUNNING" }
        switch outcome {
        case .success: return "SUCCESS"
        case .failure: return "FAILED"
        }
    }

    /// True while the task counts against its key's concurrency.
    func isActive(at now: ContinuousClock.Instant) -> Bool {
        !cancelled && now < finishesAt
    }
}
