/// The API's value types (outcomes, failures, error classes) live in `RunningHubModel`, which
/// depends on nothing, so the core can use them without the HTTP client; users of the client get
/// them with it.
@_exported import RunningHubModel
