/// The models rh-batch knows, looked up by alias, endpoint or vendor name.
package struct ModelCatalog: Sendable {
    /// Every model, in display order.
    package let models: [ModelSpec]
    private let index: [String: Int]

    /// Makes a catalog; later entries never shadow earlier names.
    package init(_ models: [ModelSpec]) {
        self.models = models
        var index: [String: Int] = [:]
        for (position, model) in models.enumerated() {
            for name in [model.alias, model.endpoint, model.vendorName] {
                index[name.lowercased()] = index[name.lowercased()] ?? position
            }
        }
        self.index = index
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
