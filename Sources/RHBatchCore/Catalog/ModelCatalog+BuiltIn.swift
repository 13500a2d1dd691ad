extension ModelCatalog {
    /// Where the built-in catalog's facts come from, and their date.
    package static let builtInSource = "RunningHub model registry and price table public-2026-04-29"

    /// The models of the vendor pages rh-batch started from.
    ///
    /// Field rules come from the vendor's model registry (public-2026-04-29) and its newest doc
    /// pages; prices from the vendor's published price table of 2026-04-29, in CNY per call.
    package static let builtIn = ModelCatalog([
        ModelSpec(
            alias: "gpt-image-2",
            endpoint: "rhart-image-g-2-official/image-to-image",
            vendorName: "gpt-image-2/image-to-image-official-stable",
            summary: "GPT Image 2 image-to-image (official stable): faithful edits, 1-10 reference images",
            prompt: PromptField(maxLength: 20_000),
            image: ImageField(
                apiKey: "imageUrls",
                isList: true,
                maxCount: 10,
                formats: [.jpeg, .png, .webp],
                maxBytes: 10 * 1024 * 1024
            ),
            options: [
                OptionField(
                    key: .aspectRatio,
                    apiKey: "aspectRatio",
                    // The 2026-07 doc page's 15 ratios (the 2026-04 registry listed the first 10).
                    values: [
                        "1:1", "2:3", "3:2", "3:4", "4:3", "4:5", "5:4", "9:16", "16:9", "21:9",
                        "1:2", "2:1", "1:3", "3:1", "9:21",
                    ],
                    required: false,
                    defaultValue: "16:9",
                    whenOmitted: "16:9"
                ),
                OptionField(
                    key: .resolution,
                    apiKey: "resolution",
                    values: ["1k", "2k", "4k"],
                    required: true,
                    defaultValue: "2k"
                ),
                OptionField(
                    key: .quality,
                    apiKey: "quality",
                    values: ["low", "medium", "high"],
                    required: true,
                    defaultValue: "medium"
                ),
            ],
            price: .byOptions(
                [.quality, .resolution],
                [
                    ["low", "1k"]: "0.29", ["low", "2k"]: "0.328", ["low", "4k"]: "0.378",
                    ["medium", "1k"]: "0.586", ["medium", "2k"]: "0.926", ["medium", "4k"]: "1.373",
                    ["high", "1k"]: "1.581", ["high", "2k"]: "2.948", ["high", "4k"]: "4.738",
                ],
                source: "pricing.public.json 2026-04-29"
            )
        ),
        ModelSpec(
            alias: "grok-imagine",
            endpoint: "rhart-image-x-official/edit",
            vendorName: "xai/grok-imagine-image/edit-official-stable",
            summary: "Grok Imagine image edit (official stable): one input image, keeps its framing",
            prompt: PromptField(maxLength: 20_000),
            image: ImageField(
                apiKey: "image",
                isList: false,
                maxCount: 1,
                formats: [.jpeg, .png, .webp],
                maxBytes: 10 * 1024 * 1024
            ),
            options: [],
            price: .fixed("0.14", source: "pricing.public.json 2026-04-29")
        ),
        ModelSpec(
            alias: "nano-banana-pro",
            endpoint: "rhart-image-n-pro-official/edit",
            vendorName: "nano-banana-pro/edit-official-stable",
            summary: "Nano Banana Pro edit (official stable): up to 10 JPG/PNG inputs",
            prompt: PromptField(maxLength: 20_000),
            image: ImageField(
                apiKey: "imageUrls",
                isList: true,
                maxCount: 10,
                formats: [.jpeg, .png],
                maxBytes: 10 * 1024 * 1024
            ),
            options: [
                OptionField(
                    key: .resolution,
                    apiKey: "resolution",
                    values: ["1k", "2k", "4k"],
                    required: true,
                    defaultValue: "1k"
                ),
                OptionField(
                    key: .aspectRatio,
                    apiKey: "aspectRatio",
                    values: ["1:1", "3:2", "2:3", "3:4", "4:3", "4:5", "5:4", "9:16", "16:9", "21:9"],
                    required: false,
                    defaultValue: "3:4",
                    whenOmitted: "adapts to the input image"
                ),
            ],
            price: .byOptions(
                [.resolution],
                [["1k"]: "0.8", ["2k"]: "1.0", ["4k"]: "1.5"],
                source: "pricing.public.json 2026-04-29"
            )
        ),
    ])
}
