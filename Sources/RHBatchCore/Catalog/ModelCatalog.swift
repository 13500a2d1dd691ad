import RunningHubModel

/// The models rh-batch knows, looked up by alias, endpoint or vendor name.
package struct ModelCatalog: Sendable {
    /// Every model, in display order (unsupported ones included).
    package let models: [ModelSpec]
    /// Where the facts come from: the registry and price table versions.
    package var source: String
    /// How long reading the catalog file took (`rh-batch models --stats`).
    package var loadTime: Duration = .zero
    private let index: [String: Int]
    /// Every manifest name of a field some model takes (snake_case and the vendor's spelling).
    package let fieldNames: Set<String>

    /// Makes a catalog; later entries never shadow earlier names.
    package init(_ models: [ModelSpec], source: String = "") {
        self.models = models
        self.source = source
        var index: [String: Int] = [:]
        var fieldNames: Set<String> = []
        for (position, model) in models.enumerated() {
            for name in [model.alias, model.endpoint, model.vendorName] {
                index[name.lowercased()] = index[name.lowercased()] ?? position
            }
            for field in model.fields {
                fieldNames.insert(field.name)
                fieldNames.insert(field.apiKey)
            }
        }
        self.index = index
        self.fieldNames = fieldNames
    }

    /// The model a manifest names by alias, endpoint or vendor name (case-insensitive).
    package func model(named name: String) -> ModelSpec? {
        index[name.trimmed.lowercased()].map { models[$0] }
    }

    /// Every name a model may be written as, for "did you mean" hints.
    package var allNames: [String] {
        models.flatMap { [$0.alias, $0.endpoint, $0.vendorName] }
    }
}
