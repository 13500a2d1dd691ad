import ArgumentParser
import Foundation
import RHBatchCore
import RunningHubModel

/// `--catalog FILE`: the model catalog a command uses instead of the built-in one.
struct CatalogOption: ParsableArguments {
    @Option(
        name: .customLong("catalog"),
        help: ArgumentHelp(
            "A model catalog to use instead of the built-in one: an rh-batch catalog or the vendor's model-registry.public.json (with pricing.public.json beside it). Default: $RH_CATALOG, else built in.",
            valueName: "file"
        ),
        completion: .file(extensions: ["json"])
    )
    var path: String?

    /// The selected catalog, or a located error and exit 64.
    func load() throws -> ModelCatalog {
        do {
            return try ModelCatalog.selected(path: path)
        } catch {
            Console.error(error.description)
            throw ExitCode(.invalid)
        }
    }
}

/// `rh-batch catalog`: the model catalog's own commands.
struct CatalogCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "catalog",
        abstract: "Convert the vendor's model registry into an rh-batch catalog.",
        subcommands: [CatalogImportCommand.self]
    )
}

/// `rh-batch catalog import REGISTRY [PRICING] -o FILE`.
struct CatalogImportCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "import",
        abstract: "Convert RunningHub's model-registry.public.json (and pricing.public.json) into an rh-batch catalog.",
        discussion: """
            Keeps facts only: endpoints, field keys, kinds, limits, options, defaults, accepted \
            formats, output types and prices. Models with a field kind rh-batch does not know are \
            kept, marked unsupported with the reason. Use the result with --catalog FILE or RH_CATALOG.
            """
    )

    @Argument(
        help: "The vendor's model registry (model-registry.public.json).", completion: .file(extensions: ["json"]))
    var registry: String

    @Argument(
        help: "The vendor's price table (pricing.public.json); without it every price is unknown.",
        completion: .file(extensions: ["json"]))
    var pricing: String?

    @Option(name: .shortAndLong, help: "Where to write the catalog.", completion: .file(extensions: ["json"]))
    var output: String

    func run() throws {
        let file: CatalogFile
        do {
            file = try CatalogFile.load(registry, pricing: pricing)
        } catch {
            Console.error(error.description)
            throw ExitCode(.invalid)
        }
        let data = try file.encoded()
        let temporary = output + ".rh-partial"
        try data.write(to: URL(fileURLWithPath: temporary))
        guard rename(temporary, output) == 0 else {
            unlink(temporary)
            Console.error("error: cannot write \(output): \(String(cString: strerror(errno)))")
            throw ExitCode(.failed)
        }
        let catalog = file.catalog()
        let unsupported = catalog.models.filter { $0.unsupported != nil }.count
        let unpriced = catalog.models.filter { $0.price.unknown != nil }.count
        print(
            "wrote \(output): \(catalog.models.count) models (\(unsupported) unsupported, \(unpriced) without a known price) from \(file.sourceDescription)"
        )
    }
}
