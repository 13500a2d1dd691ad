import RHBatchCore
import RunningHubAPI

/// The real client is the run's service: the one place the core's seam meets async-http-client.
extension RunningHubClient: RunningHubService {}

/// The real client reads workflow graphs and app field lists.
extension RunningHubClient: WorkflowSource {}
