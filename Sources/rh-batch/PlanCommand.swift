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

    @OptionGroup var simulation: WorkflowSimulationOptions

    @OptionGroup var catalogOption: CatalogOption

    func run() async throws {
        let workflows = await WorkflowReading.definitions(
            manifest: manifest, output: nil, simulator: simulation.simulator, preferSource: true,
            writesOutputFolder: false)
        let plan = try Console.loadPlan(
            manifest, skipInvalid: skipInvalid, catalog: try catalogOption.load(), workflows: workflows)
        print(json ? plan.summaryJSON().pretty : plan.summaryText())
    }
}
