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

    @Flag(
        help: ArgumentHelp(
            "Print every job as one JSON line: key, model, prompt, inputs, fields, output path, estimated cost, and the manifest or table line that made it."
        ))
    var jobs = false

    @Option(help: ArgumentHelp("With --jobs: print only the first N jobs.", valueName: "N"))
    var limit: Int?

    @Flag(help: "Skip jobs that do not fit their model instead of refusing the manifest.")
    var skipInvalid = false

    @OptionGroup var simulation: WorkflowSimulationOptions

    @OptionGroup var catalogOption: CatalogOption

    func validate() throws {
        if let limit, limit < 0 { throw ValidationError("--limit must be 0 or more") }
        if limit != nil && !jobs { throw ValidationError("--limit goes with --jobs") }
        if jobs && json { throw ValidationError("--jobs prints JSON lines already; leave out --json") }
    }

    func run() async throws {
        let workflows = await WorkflowReading.definitions(
            manifest: manifest, output: nil, simulator: simulation.simulator, preferSource: true,
            writesOutputFolder: false)
        var plan = try Console.loadPlan(
            manifest, skipInvalid: skipInvalid, catalog: try catalogOption.load(), workflows: workflows)
        defer { Console.keepUntilExit(plan) }
        // The account's currency as an earlier run into the output folder read it (no request).
        plan.billed(in: FolderCurrency.read(plan.outputDirectory))
        if jobs {
            var out = ""
            for index in plan.jobs.indices.prefix(limit ?? plan.jobs.count) {
                out += plan.jobLine(index)
                out += "\n"
                if out.utf8.count > 1 << 16 {
                    Console.out(out)
                    out = ""
                }
            }
            Console.out(out)
            return
        }
        print(json ? plan.summaryJSON().pretty : plan.summaryText())
    }
}
