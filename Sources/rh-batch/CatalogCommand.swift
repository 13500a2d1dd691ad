import ArgumentParser
import Foundation
import RHBatchCore
import RunningHubAPI
import RunningHubModel

/// `--catalog FILE`: the model catalog a command uses instead of the built-in one.
struct CatalogOption: ParsableArguments {
    @Option(
        name: .customLong("catalog"),
        help: ArgumentHelp(
            "A model catalog to use instead of the default one: an rh-batch catalog or the vendor's model-registry.public.json (with pricing.public.json beside it). Default: $RH_CATALOG, else the catalog `rh-batch catalog update` stored, else the built-in one.",
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
        abstract: "Keep the model catalog current: update it from the vendor, see which is in use, reset, import.",
        subcommands: [
            CatalogUpdateCommand.self, CatalogStatusCommand.self, CatalogResetCommand.self, CatalogImportCommand.self,
        ]
    )
}

/// `rh-batch catalog update [--from URL] [--registry URL --pricing URL] [--force]`.
struct CatalogUpdateCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "update",
        abstract: "Fetch the vendor's current model registry and price table and use them from now on.",
        discussion: """
            Downloads model-registry.public.json and pricing.public.json (by default from the \
            vendor's public ComfyUI_RH_OpenAPI repository), imports them, prints what changed \
            against the catalog in use (models added and removed, fields, prices old → new) and \
            stores the result in $XDG_CACHE_HOME/rh-batch/ (else ~/.cache/rh-batch/), which every \
            command then uses. --catalog and RH_CATALOG still win. A result that does not import, \
            or that would drop most models, is refused and nothing changes (--force accepts the \
            second). Exit 0 updated (or unchanged), 1 refused or not fetched.
            """
    )

    /// Where the vendor publishes the two files.
    static let defaultBase = "https://raw.githubusercontent.com/HM-RunningHub/ComfyUI_RH_OpenAPI/HEAD/developer-kit"

    @Option(
        help: ArgumentHelp(
            "A folder URL with model-registry.public.json and pricing.public.json in it (default: the vendor's repository).",
            valueName: "url"))
    var from: String?

    @Option(help: ArgumentHelp("The registry's URL (with --pricing).", valueName: "url"))
    var registry: String?

    @Option(help: ArgumentHelp("The price table's URL (with --registry).", valueName: "url"))
    var pricing: String?

    @Flag(help: "Accept a registry that drops most of the models of the catalog in use.")
    var force = false

    func validate() throws {
        if from != nil && (registry != nil || pricing != nil) {
            throw ValidationError("--from names a folder; leave it out when --registry and --pricing name the files")
        }
        if (registry == nil) != (pricing == nil) { throw ValidationError("--registry and --pricing go together") }
    }

    func run() async throws {
        var base = from ?? Self.defaultBase
        while base.hasSuffix("/") { base.removeLast() }
        let registryURL = registry ?? base + "/model-registry.public.json"
        let pricingURL = pricing ?? base + "/pricing.public.json"
        guard let cache = CatalogCache() else {
            Console.error("error: no cache folder to keep the catalog in: set XDG_CACHE_HOME or HOME")
            throw ExitCode(.failed)
        }
        let registryBytes: [UInt8]
        let pricingBytes: [UInt8]
        do {
            registryBytes = try await PublicFile.download(registryURL)
            pricingBytes = try await PublicFile.download(pricingURL)
        } catch {
            Console.error("error: cannot fetch the catalog: \(error.description); nothing changed")
            throw ExitCode(.failed)
        }
        let file: CatalogFile
        do {
            file = try Self.importFiles(
                registryBytes, pricingBytes, registryURL: registryURL, pricingURL: pricingURL)
        } catch {
            Console.error("error: the fetched registry does not import: \(error.message); nothing changed")
            throw ExitCode(.failed)
        }
        let new = file.catalog()
        var environment = ProcessInfo.processInfo.environment
        environment["RH_CATALOG"] = nil
        let current = (try? ModelCatalog.selected(path: nil, environment: environment)) ?? .builtIn
        let supported = new.models.filter { $0.unsupported == nil }.count
        if supported == 0 {
            Console.error("error: the fetched registry has no model rh-batch can run; refusing it; nothing changed")
            throw ExitCode(.failed)
        }
        if new.models.count * 2 < current.models.count && !force {
            Console.error(
                "error: the fetched registry has \(new.models.count) models where the catalog in use has \(current.models.count): most would be dropped; refusing it (--force accepts it); nothing changed"
            )
            throw ExitCode(.failed)
        }
        let diff = CatalogDiff.between(current, new)
        for line in diff.lines { print(line) }
        let origin = CatalogCache.Origin(
            registryURL: registryURL, pricingURL: pricingURL, fetchedAt: Timestamp.now(),
            source: file.sourceDescription, models: new.models.count,
            registrySHA256: CatalogCache.sha256(registryBytes), pricingSHA256: CatalogCache.sha256(pricingBytes))
        do {
            try cache.store(file, origin: origin)
        } catch {
            Console.error("error: cannot store the catalog: \(error.description)")
            throw ExitCode(.failed)
        }
        print(
            "stored \(cache.catalogPath): \(new.models.count) models from \(file.sourceDescription); every command uses it now (rh-batch catalog status; rh-batch catalog reset goes back to the built-in one)"
        )
        if let overriding = ProcessInfo.processInfo.environment["RH_CATALOG"], !overriding.isEmpty {
            print("note: RH_CATALOG=\(overriding) is set, and wins over the updated catalog")
        }
    }

    /// The two files imported as they were fetched (errors name their URLs).
    static func importFiles(_ registry: [UInt8], _ pricing: [UInt8], registryURL: String, pricingURL: String)
        throws(CatalogError) -> CatalogFile
    {
        do {
            return try CatalogFile.decode(
                Data(registry), file: registryURL, pricing: (Data(pricing), pricingURL))
        } catch {
            var error = error
            error.message = "\(error.path.isEmpty ? "" : error.path + ": ")\(error.message)"
            throw error
        }
    }
}

/// `rh-batch catalog status`.
struct CatalogStatusCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "status",
        abstract: "Say which model catalog commands use, where it comes from and when it was fetched."
    )

    @OptionGroup var catalogOption: CatalogOption

    func run() throws {
        let choice = ModelCatalog.choice(path: catalogOption.path)
        let catalog = try catalogOption.load()
        let unpriced = catalog.models.filter { $0.price.unknown != nil }.count
        print("in use: \(choice.description)")
        print("models: \(catalog.models.count) (\(unpriced) without a known price)")
        if case .cache(_, let origin?) = choice {
            print("registry: \(origin.registryURL) (sha256 \(origin.registrySHA256.prefix(16)))")
            print("price table: \(origin.pricingURL) (sha256 \(origin.pricingSHA256.prefix(16)))")
            print("fetched: \(origin.fetchedAt)")
        }
        if let cache = CatalogCache(), cache.hasCatalog {
            switch choice {
            case .option, .environment:
                print("also stored: \(cache.catalogPath) (updated; not in use while the above is named)")
            default: break
            }
        }
        if case .builtIn = choice { print("update it: rh-batch catalog update") }
    }
}

/// `rh-batch catalog reset`.
struct CatalogResetCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "reset",
        abstract: "Forget the updated catalog: commands use the built-in one again."
    )

    func run() throws {
        guard let cache = CatalogCache() else {
            print("no cache folder: commands use the built-in catalog (\(ModelCatalog.builtInSource))")
            return
        }
        let removed = cache.reset()
        print(
            removed
                ? "removed \(cache.catalogPath); commands use the built-in catalog (\(ModelCatalog.builtInSource))"
                : "no updated catalog; commands use the built-in one (\(ModelCatalog.builtInSource))")
    }
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
