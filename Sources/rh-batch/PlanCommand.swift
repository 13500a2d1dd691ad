import ArgumentParser
import RHBatchCore
import RunningHubSimulator

/// `rh-batch plan MANIFEST`: expand and price a manifest without sending anything.
struct PlanCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "plan",
        abstract: "Expand a manifest into jobs: counts per model, merged and skipped jobs, cost, example paths."
    )

    @Argument(help: "The manifest.", completion: .file(extensions: ["yaml", "yml"]))
    var manifest: String

    @Flag(help: "Print the plan as JSON.")
    var json = false

    @Flag(help: "Skip jobs that do not fit their model instead of refusing the manifest.")
    var skipInvalid = false

    @Flag(help: "Read the manifest's workflows and apps from the built-in simulator, not the API or the cache.")
    var simulate = false

    @Option(
        name: .customLong("sim-workflow"),
        help: ArgumentHelp("With --simulate: a workflow of your own, ID=FILE (repeatable).", valueName: "ID=FILE"),
        transform: SimulatedWorkflow.parse)
    var simWorkflows: [SimulatedWorkflow] = []

    /// The simulator `--simulate` reads workflows from, or `nil`.
    var simulator: SimulatorConfiguration? {
        guard simulate else { return nil }
        var configuration = SimulatorConfiguration()
        configuration.workflows = SimulatedWorkflow.List(entries: simWorkflows).files
        return configuration
    }

    @OptionGroup var catalogOption: CatalogOption

    func run() async throws {
        let workflows = await WorkflowReading.definitions(
            manifest: manifest, output: nil, simulator: simulator, preferSource: true,
            writesOutputFolder: false)
        let plan = try Console.loadPlan(
            manifest, skipInvalid: skipInvalid, catalog: try catalogOption.load(), workflows: workflows)
        print(json ? plan.summaryJSON().pretty : plan.summaryText())
    }
}
