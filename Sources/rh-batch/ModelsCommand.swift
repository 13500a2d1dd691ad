import ArgumentParser
import RHBatchCore

/// `rh-batch models`: the model catalog.
struct ModelsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "models",
        abstract: "List the models: aliases, endpoints, fields, accepted values and prices."
    )

    @Flag(help: "Print the catalog as JSON.")
    var json = false

    func run() {
        let catalog = ModelCatalog.builtIn
        print(json ? catalog.json.pretty : catalog.text)
    }
}
