import ArgumentParser
import RHBatchCore

/// The `rh-batch` command: batch image edits on RunningHub from a YAML manifest.
@main
struct RHBatchCommand: AsyncParsableCommand {
    /// Accepts `--simulate=SCENARIO` as `--simulate --scenario SCENARIO` before parsing.
    static func main() async {
        var arguments: [String] = []
        for argument in CommandLine.arguments.dropFirst() {
            if argument.hasPrefix("--simulate=") {
                arguments += ["--simulate", "--scenario", String(argument.dropFirst("--simulate=".count))]
            } else {
                arguments.append(argument)
            }
        }
        await main(arguments)
    }

    static let configuration = CommandConfiguration(
        commandName: "rh-batch",
        abstract: "Run batches of RunningHub image edits from a YAML manifest.",
        discussion: """
            A manifest lists prompts × images × models × aspect ratios; rh-batch validates it, \
            uploads the images, runs the jobs within the API's concurrency, downloads the results \
            and writes a report. Exit codes: 0 all done, 1 some jobs failed, 2 stopped early, \
            64 invalid input, 130 interrupted.

            Start with: rh-batch init --images photos/ -o batch.yaml, then rh-batch run batch.yaml --simulate. \
            Read more in the repository's docs/: manifest.md (the manifest format), cli.md (every \
            command, option, exit code and how runs resume), output.md (the output folder and \
            report.json), simulator.md (the built-in simulator); man rh-batch (docs/rh-batch.1).
            """,
        version: RHBatchVersion.description,
        subcommands: [
            RunCommand.self, ValidateCommand.self, PlanCommand.self, StatusCommand.self, ModelsCommand.self,
            ViewCommand.self, MergeCommand.self, InitCommand.self, SchemaCommand.self, CatalogCommand.self,
            ExportCardCommand.self, SimulatorCommand.self, InspectCommand.self,
        ]
    )
}

/// The tool's version, as reports name it.
enum RHBatchVersion {
    static let current = "0.1.0"
    /// What `--version` prints: the version and the catalog commands use (the built-in one, or
    /// the one `catalog update` stored, or `RH_CATALOG`'s), with where it comes from.
    static var description: String { "\(current) (catalog: \(ModelCatalog.choice(path: nil).description))" }
}
