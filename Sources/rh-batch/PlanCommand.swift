import ArgumentParser
import RHBatchCore

/// `rh-batch plan MANIFEST`: expand and price a manifest without sending anything.
struct PlanCommand: ParsableCommand {
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

    @OptionGroup var catalogOption: CatalogOption

    func run() throws {
        let plan = try Console.loadPlan(manifest, skipInvalid: skipInvalid, catalog: try catalogOption.load())
        print(json ? plan.summaryJSON().pretty : plan.summaryText())
    }
}
