/// The simulator's own copy of what each model accepts (api.md §6), written independently of
/// rh-batch's catalog so that a mistake in one is caught by the other.
struct ModelRules: Sendable {
    enum ImageRule: Sendable {
        /// A list of 1...max URLs under this key.
        case list(key: String, max: Int)
        /// A single URL string under this key.
        case single(key: String)
    }

    struct Choice: Sendable {
        var key: String
        var values: Set<String>
        var required: Bool
    }

    var endpoint: String
    var image: ImageRule
    var choices: [Choice]
    /// Price by the values of `priceKeys` joined with `/`.
    var priceKeys: [String]
    var prices: [String: Double]

    static let all: [String: ModelRules] = {
        let ratios10: Set<String> = ["1:1", "2:3", "3:2", "3:4", "4:3", "4:5", "5:4", "9:16", "16:9", "21:9"]
        let rules = [
            ModelRules(
                endpoint: "rhart-image-g-2-official/image-to-image",
                image: .list(key: "imageUrls", max: 10),
                choices: [
                    Choice(key: "aspectRatio", values: ratios10.union(["1:2", "2:1", "1:3", "3:1", "9:21"]), required: false),
                    Choice(key: "resolution", values: ["1k", "2k", "4k"], required: true),
                    Choice(key: "quality", values: ["low", "medium", "high"], required: true),
                ],
                priceKeys: ["quality", "resolution"],
                prices: [
                    "low/1k": 0.29, "low/2k": 0.328, "low/4k": 0.378,
                    "medium/1k": 0.586, "medium/2k": 0.926, "medium/4k": 1.373,
                    "high/1k": 1.581, "high/2k": 2.948, "high/4k": 4.738,
                ]
            ),
            ModelRules(
                endpoint: "rhart-image-x-official/edit",
                image: .single(key: "image"),
                choices: [],
                priceKeys: [],
                prices: ["": 0.14]
            ),
            ModelRules(
                endpoint: "rhart-image-n-pro-official/edit",
                image: .list(key: "imageUrls", max: 10),
                choices: [
                    Choice(key: "resolution", values: ["1k", "2k", "4k"], required: true),
                    Choice(key: "aspectRatio", values: ratios10, required: false),
                ],
                priceKeys: ["resolution"],
                prices: ["1k": 0.8, "2k": 1.0, "4k": 1.5]
            ),
        ]
        return Dictionary(uniqueKeysWithValues: rules.map { ($0.endpoint, $0) })
    }()

    /// The problem with a body, or `nil` when it is valid.
    func problem(with body: [String: Any]) -> String? {
        guard let prompt = body["prompt"] as? String else { return "prompt is required and must be a string" }
        let length = prompt.count
        if length < 1 || length > 20_000 { return "prompt must be 1-20000 characters, got \(length)" }
        switch image {
        case .list(let key, let max):
            guard let urls = body[key] as? [Any] else { return "\(key) is required and must be a list" }
            if urls.isEmpty || urls.count > max { return "\(key) must hold 1-\(max) images, got \(urls.count)" }
            for url in urls {
                guard let text = url as? String, Self.isImageReference(text) else { return "\(key) must hold URL strings" }
            }
        case .single(let key):
            guard let url = body[key] as? String else { return "\(key) is required and must be one URL string" }
            if !Self.isImageReference(url) { return "\(key) must be a URL" }
        }
        for choice in choices {
            guard let value = body[choice.key] else {
                if choice.required { return "\(choice.key) is required" }
                continue
            }
            guard let text = value as? String, choice.values.contains(text) else {
                return "\(choice.key) must be one of \(choice.values.sorted().joined(separator: ", "))"
            }
        }
        if let webhook = body["webhookUrl"], !(webhook is String) { return "webhookUrl must be a string" }
        return nil
    }

    func price(for body: [String: Any]) -> Double {
        let key = priceKeys.map { body[$0] as? String ?? "" }.joined(separator: "/")
        return prices[key] ?? 0
    }

    static func isImageReference(_ text: String) -> Bool {
        text.hasPrefix("http://") || text.hasPrefix("https://") || text.hasPrefix("data:image/")
    }
}
