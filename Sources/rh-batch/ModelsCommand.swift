import ArgumentParser
import Foundation
import RHBatchCore
import RunningHubModel

extension OutputKind: ExpressibleByArgument {}

/// `rh-batch models [NAME]`: the model catalog.
struct ModelsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "models",
        abstract:
            "List the models (alias, output, inputs, price), or show one model's fields, limits, defaults and price rule.",
        discussion: "Filters combine: rh-batch models --output video --input image kling"
    )

    @Argument(
        help: "A model (alias, endpoint or vendor name) to show in full; or, with no exact match, a word to search for."
    )
    var name: String?

    @Option(help: "Only models that produce this: image, video, audio, 3d, text.")
    var output: OutputKind?

    @Option(help: "Only models that take this kind of input file: image, video, audio.")
    var input: OutputKind?

    @Flag(help: "Print JSON.")
    var json = false

    @Flag(help: "Print the catalog's source, counts and how long it took to load.")
    var stats = false

    @OptionGroup var catalogOption: CatalogOption

    func run() throws {
        let catalog = try catalogOption.load()
        if stats {
            var byOutput: [String: Int] = [:]
            for model in catalog.models { byOutput[model.output.rawValue, default: 0] += 1 }
            let counts = OutputKind.allCases.map { "\(byOutput[$0.rawValue] ?? 0) \($0.rawValue)" }.joined(
                separator: ", ")
            let unsupported = catalog.models.filter { $0.unsupported != nil }.count
            let unpriced = catalog.models.filter { $0.price.unknown != nil }.count
            let milliseconds =
                Double(catalog.loadTime.components.attoseconds) / 1e15 + Double(catalog.loadTime.components.seconds)
                * 1000
            print(
                "\(catalog.source): \(catalog.models.count) models (\(counts)); \(unsupported) unsupported, \(unpriced) of unknown price; loaded in \(String(format: "%.1f", milliseconds)) ms"
            )
            return
        }
        if let name, output == nil, input == nil, let model = catalog.model(named: name) {
            print(json ? model.json.pretty : model.text)
            return
        }
        let shown = catalog.filtered(output: output, input: input, word: name)
        if shown.models.isEmpty {
            Console.error("no model matches; `rh-batch models` lists all \(catalog.models.count)")
            throw ExitCode(.failed)
        }
        print(json ? shown.json.pretty : shown.text)
    }
}
