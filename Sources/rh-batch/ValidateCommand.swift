import ArgumentParser
import RHBatchCore
import RunningHubSimulator

/// `rh-batch validate MANIFEST...`: check manifests and print every problem, compiler-style.
struct ValidateCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "validate",
        abstract: "Check manifests; print file:line:col: error: path: message for every problem."
    )

    @Argument(help: "The manifests to check.", completion: .file(extensions: ["yaml", "yml"]))
    var manifests: [String]

    @Flag(help: "Skip jobs that do not fit their model instead of reporting them as errors.")
    var skipInvalid = false

    @OptionGroup var simulation: WorkflowSimulationOptions

    @OptionGroup var catalogOption: CatalogOption

    func run() async throws {
        var failed = false
        let loader = ManifestLoader(
            catalog: try catalogOption.load(), options: Planner.Options(skipInvalid: skipInvalid))
        for path in manifests {
            do {
                let workflows = await WorkflowReading.definitions(
                    manifest: path, output: nil, simulator: simulation.simulator,
                    preferSource: true,
                    writesOutputFolder: false)
                let plan = try loader.load(path, workflows: workflows)
                Console.warnings(plan.warnings)
                let skipped = plan.skipped.isEmpty ? "" : ", \(plan.skipped.count) skipped"
                print("\(path): ok, \(plan.jobs.count) \(plan.jobs.count == 1 ? "job" : "jobs")\(skipped)")
            } catch {
                Console.report(error)
                failed = true
            }
        }
        if failed { throw ExitCode(.invalid) }
    }
}
