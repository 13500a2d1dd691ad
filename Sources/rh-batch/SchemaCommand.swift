import ArgumentParser
import RHBatchCore

/// `rh-batch schema`: the manifest JSON Schema, generated from the catalog.
struct SchemaCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "schema",
        abstract: "Print the JSON Schema (draft 2020-12) of manifests, generated from the model catalog.",
        discussion: """
            Editors with the YAML language server check and complete a manifest whose first line is \
            '# yaml-language-server: $schema=PATH-TO-SCHEMA'. The repository keeps a copy at \
            docs/manifest.schema.json. See docs/manifest.md for what the schema cannot check.
            """
    )

    @OptionGroup var catalogOption: CatalogOption

    func run() throws {
        print(ManifestSchema.json(catalog: try catalogOption.load()), terminator: "")
    }
}
