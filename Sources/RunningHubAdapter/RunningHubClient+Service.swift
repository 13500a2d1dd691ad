import RHBatchCore
import RunningHubAPI

/// The real client is the run's service: the one place the core's seam meets async-http-client.
extension RunningHubClient: RunningHubService {}
