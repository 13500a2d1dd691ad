import Foundation
import RunningHubModel
import Testing

@testable import RHBatchCore

@Suite("Model catalog")
struct CatalogTests {
    let catalog = ModelCatalog.builtIn

    static func vendorFile(_ name: String) -> String {
        // The test bundle and the simulator's resource bundle sit side by side in the build folder.
        let folder = (Bundle.module.bundlePath as NSString).deletingLastPathComponent
        return folder + "/rh-batch_RunningHubSimulator.resources/" + name
    }

    @Test(arguments: [
        ("gpt-image-2", "rhart-image-g-2-official/image-to-image", "gpt-image-2/image-to-image-official-stable"),
        ("grok-imagine", "rhart-image-x-official/edit", "xai/grok-imagine-image/edit-official-stable"),
        ("nano-banana-pro", "rhart-image-n-pro-official/edit", "nano-banana-pro/edit-official-stable"),
    ])
    func modelsAreFoundByEveryName(alias: String, endpoint: String, vendorName: String) throws {
        for name in [alias, endpoint, vendorName, alias.uppercased()] {
            let model = try #require(catalog.model(named: name))
            #expect(model.alias == alias)
            #expect(model.endpoint == endpoint)
            #expect(model.vendorName == vendorName)
        }
    }

    func choices(_ model: ModelSpec, _ name: String) -> [String]? {
        if case .choice(let values) = model.field(named: name)?.kind { values } else { nil }
    }

    @Test func gptImage2Fields() throws {
        let model = try #require(catalog.model(named: "gpt-image-2"))
        let image = try #require(model.image)
        #expect(image.apiKey == "imageUrls")
        #expect(image.isList)
        #expect(image.maxCount == 10)
        #expect(Set(image.formats) == [.jpeg, .png, .webp])
        #expect(image.maxBytes == 10 * 1024 * 1024)
        #expect(model.prompt?.apiKey == "prompt")
        #expect(choices(model, "aspect_ratio")?.count == 15)
        #expect(model.field(named: "aspect_ratio")?.required == false)
        #expect(model.field(named: "resolution")?.defaultValue == .string("2k"))
        #expect(model.field(named: "quality")?.defaultValue == .string("medium"))
        #expect(
            model.price.price(for: ["quality": .string("high"), "resolution": .string("4k")], promptLength: 10)
                == Money("4.738"))
        #expect(
            model.price.price(for: ["quality": .string("low"), "resolution": .string("1k")], promptLength: 10)
                == Money("0.29"))
        #expect(model.price.rules.count == 9)
    }

    @Test func grokImagineFields() throws {
        let model = try #require(catalog.model(named: "grok-imagine"))
        let image = try #require(model.image)
        #expect(image.apiKey == "image")
        #expect(!image.isList)
        #expect(image.maxCount == 1)
        #expect(model.otherFields.isEmpty)
        #expect(model.price.price(for: [:], promptLength: 10) == Money("0.14"))
    }

    @Test func nanoBananaProFields() throws {
        let model = try #require(catalog.model(named: "nano-banana-pro"))
        #expect(model.image?.formats == [.jpeg, .png])
        #expect(model.field(named: "quality") == nil)
        #expect(model.field(named: "resolution")?.required == true)
        #expect(model.field(named: "resolution")?.defaultValue == .string("1k"))
        #expect(choices(model, "aspect_ratio")?.count == 10)
        #expect(choices(model, "aspect_ratio")?.contains("1:3") == false)
        #expect(model.price.price(for: ["resolution": .string("2k")], promptLength: 10) == Money("1.0"))
    }

    @Test func theBuiltInCatalogHasEveryRegistryModel() throws {
        #expect(catalog.models.count == 299)
        var byOutput: [OutputKind: Int] = [:]
        for model in catalog.models { byOutput[model.output, default: 0] += 1 }
        #expect(byOutput == [.image: 67, .video: 174, .audio: 16, .model3D: 16, .text: 26])
        #expect(Set(catalog.models.map(\.alias)).count == 299)
        #expect(catalog.source.contains("public-2026-04-29"))
        // Every alias, endpoint and vendor name finds its own model.
        for model in catalog.models {
            #expect(catalog.model(named: model.alias)?.endpoint == model.endpoint)
            #expect(catalog.model(named: model.endpoint)?.endpoint == model.endpoint)
        }
    }

    @Test func theBuiltInCatalogIsTheImportOfTheShippedRegistry() throws {
        let imported = try CatalogFile.load(
            Self.vendorFile("model-registry.public.json"), pricing: Self.vendorFile("pricing.public.json"))
        let regenerated = String(decoding: try imported.encoded(), as: UTF8.self)
        let resource =
            (Bundle.module.bundlePath as NSString).deletingLastPathComponent
            + "/rh-batch_RHBatchCore.resources/catalog.json"
        let committed = try String(contentsOfFile: resource, encoding: .utf8)
        #expect(regenerated == committed, "run Scripts/regenerate-docs.sh: the catalog is stale")
    }

    /// The built-in catalog is read in two halves at once: the halves make the same catalog as one
    /// decoder reading the whole file, and a file laid out otherwise is left to that one decoder.
    @Test func theCatalogReadInHalvesIsTheWholeFile() throws {
        let resource =
            (Bundle.module.bundlePath as NSString).deletingLastPathComponent
            + "/rh-batch_RHBatchCore.resources/catalog.json"
        let data = try Data(contentsOf: URL(fileURLWithPath: resource))
        let halves = try #require(CatalogFile.decodedInHalves(data))
        let whole = try JSONDecoder().decode(CatalogFile.self, from: data)
        #expect(halves.models.count == whole.models.count)
        #expect(try halves.encoded() == whole.encoded())
        #expect(try halves.encoded() == data)
        // One model a line is the layout read in halves; the same JSON on one line is not.
        let oneLine = try JSONSerialization.data(withJSONObject: JSONSerialization.jsonObject(with: data))
        #expect(CatalogFile.decodedInHalves(oneLine) == nil)
        #expect(try CatalogFile.decode(oneLine, file: "catalog.json", pricing: nil).models.count == whole.models.count)
    }

    /// The version line's source comes from the built-in file's header, without its models, and
    /// says what decoding the whole file says.
    @Test func theSourceIsReadFromTheHeaderAlone() throws {
        let resource =
            (Bundle.module.bundlePath as NSString).deletingLastPathComponent
            + "/rh-batch_RHBatchCore.resources/catalog.json"
        let data = try Data(contentsOf: URL(fileURLWithPath: resource))
        let header = try #require(CatalogFile.source(header: data))
        #expect(header.description == ModelCatalog.builtIn.source)
        #expect(ModelCatalog.builtInSource == ModelCatalog.builtIn.source)
        // The bytes before the models are all it reads: models that do not decode do not matter.
        let end = try #require(data.range(of: Data(",\"models\":".utf8)))
        #expect(
            CatalogFile.source(header: data[..<end.upperBound] + Data("[{\"broken\"".utf8))?.registry == header.registry
        )
        // Another layout (the members in another order) is not read so.
        let oneLine = try JSONSerialization.data(
            withJSONObject: JSONSerialization.jsonObject(with: data), options: [.sortedKeys])
        #expect(CatalogFile.source(header: oneLine) == nil)
    }

    @Test func pricesOfEveryKind() throws {
        // Per second × the job's duration.
        let kling = try #require(catalog.model(named: "kling-v3.0-pro/image-to-video"))
        #expect(kling.price.unit == .second)
        #expect(
            kling.price.price(for: ["sound": .boolean(true), "duration": .string("5")], promptLength: 10)
                == Money("5.20"))
        #expect(
            kling.price.price(for: ["sound": .boolean(false), "duration": .string("10")], promptLength: 10)
                == Money("6.90"))
        // Per 1000 characters of the text, started thousands whole.
        let speech = try #require(catalog.models.first { $0.price.unit == .thousandCharacters })
        let perThousand = try #require(speech.price.amount(for: [:]))
        #expect(speech.price.price(for: [:], promptLength: 999) == perThousand)
        #expect(speech.price.price(for: [:], promptLength: 1001) == Money(micros: perThousand.micros * 2))
        // Unknown: no entry in the price table, a unit with no structure, or placeholder prices only
        // (marble's upload at 9999, wan-2.7 video edit at 0).
        let unknown = catalog.models.filter { $0.price.unknown != nil }
        #expect(unknown.count == 12)
        #expect(catalog.model(named: "marble-upload-media-asset")?.price.unknown?.contains("placeholder") == true)
        #expect(catalog.model(named: "wan-2.7-video-edit")?.price.unknown?.contains("placeholder") == true)
        #expect(unknown.allSatisfy { $0.price.price(for: [:], promptLength: 1) == nil })
        #expect(catalog.model(named: "alibaba/wan-2.7/reference-to-video")?.price.unknown != nil)
        // A rule with an empty value matches any value.
        let wan = try #require(catalog.model(named: "alibaba/wan-2.5-preview/text-to-image"))
        #expect(wan.price.price(for: ["n": .integer(3)], promptLength: 5) == Money("0.13"))
    }

    @Test func fieldNamesAndRoles() throws {
        let tts = try #require(catalog.models.first { $0.output == .audio && $0.prompt?.apiKey == "text" })
        #expect(tts.image == nil)
        let upscaler = try #require(catalog.model(named: "topazlabs/image-upscale-standard-v2"))
        #expect(upscaler.prompt == nil)
        #expect(upscaler.image != nil)
        let video = try #require(catalog.model(named: "kling-v3.0-pro/image-to-video"))
        #expect(video.image?.apiKey == "firstImageUrl")
        #expect(video.field(named: "last_image_url")?.media?.kind == .image)
        #expect(video.field(named: "lastImageUrl")?.name == "last_image_url")
        #expect(video.field(named: "negative_prompt")?.isContent == true)
        #expect(FieldSpec.snakeCase("aspectRatio") == "aspect_ratio")
        #expect(FieldSpec.snakeCase("firstImageUrl") == "first_image_url")
        #expect(FieldSpec.snakeCase("voice_id") == "voice_id")
        #expect(FieldSpec.snakeCase("imageURL") == "image_url")
    }

    @Test func aliasRule() {
        #expect(
            VendorRegistry.generatedAlias(vendorName: "google/veo3.1-fast/image-to-video-official-stable")
                == "google-veo3.1-fast-image-to-video-official")
        #expect(
            VendorRegistry.generatedAlias(
                vendorName: "gpt-image-1.5/edit-channel-low-price-[Deprecated] Please use gpt-image-2 instead")
                == "gpt-image-1.5-edit-low-price")
        #expect(VendorRegistry.generatedAlias(vendorName: "Seedance2.0 Text to Video") == "seedance2.0-text-to-video")
    }

    @Test func aliasCollisionsFallBackToTheEndpoint() throws {
        let registry: [String: Any] = [
            "version": "test",
            "models": [
                ["endpoint": "b/one", "name_en": "Same Name", "output_type": "image", "params": []],
                ["endpoint": "a/two", "name_en": "same name", "output_type": "image", "params": []],
            ],
        ]
        let file = try VendorRegistry.convert(registry: registry, pricing: nil, file: "x.json")
        #expect(Set(file.models.map(\.alias)) == ["same-name", "b-one"])
        #expect(file.models.allSatisfy { $0.price.unknown != nil })
    }

    /// Found by the fuzzer (Tests/Fuzz/regressions/catalog): a blank `name_en` made a model named
    /// "". The endpoint names it instead; a blank endpoint is refused; and an rh-batch catalog
    /// with a blank alias, endpoint or name is a located error, not a model no one can name.
    @Test func blankNamesAreNeverModelNames() throws {
        let registry: [String: Any] = [
            "version": "test",
            "models": [["endpoint": "x/edit", "name_en": " ", "output_type": "image", "params": []]],
        ]
        let file = try VendorRegistry.convert(registry: registry, pricing: nil, file: "x.json")
        #expect(file.models.map(\.name) == ["x/edit"])
        #expect(file.models.map(\.alias) == ["x-edit"])
        #expect {
            _ = try VendorRegistry.convert(
                registry: ["models": [["endpoint": "  ", "name_en": "A"]]], pricing: nil, file: "x.json")
        } throws: { "\($0)" == "x.json:1:1: error: models[0]: a model entry needs an 'endpoint' string" }

        let written = String(decoding: try file.encoded(), as: UTF8.self)
        for (key, value) in [("alias", "x-edit"), ("endpoint", "x/edit"), ("name", "x/edit")] {
            let present = #""\#(key)":"\#(value)""#
            #expect(written.contains(present), "\(written)")
            let broken = written.replacingOccurrences(of: present, with: #""\#(key)":"""#)
            // Compact, as rh-batch writes it (read in one pass), and spaced, as an editor may
            // leave it (read after a look at its top level).
            let spaced = broken.replacingOccurrences(of: #"{"format":"#, with: #"{"format": "#)
            #expect(spaced != broken)
            for text in [broken, spaced] {
                #expect {
                    _ = try CatalogFile.decode(Data(text.utf8), file: "catalog.json", pricing: nil)
                } throws: { "\($0)" == "catalog.json:1:1: error: models[0].\(key): is empty" }
            }
        }
    }

    @Test func anUnknownFieldKindMakesOnlyThatModelUnsupported() throws {
        let registry: [String: Any] = [
            "version": "test",
            "models": [
                [
                    "endpoint": "x/hologram", "name_en": "x/hologram", "output_type": "image",
                    "params": [
                        ["fieldKey": "prompt", "type": "STRING", "required": true, "maxLength": 100],
                        ["fieldKey": "shape", "type": "HOLOGRAM", "required": true],
                    ],
                ],
                [
                    "endpoint": "x/fine", "name_en": "x/fine", "output_type": "image",
                    "params": [
                        ["fieldKey": "prompt", "type": "STRING", "required": true, "maxLength": 100]
                    ],
                ],
            ],
        ]
        let catalog = try VendorRegistry.convert(registry: registry, pricing: nil, file: "x.json").catalog()
        #expect(catalog.model(named: "x/hologram")?.unsupported?.contains("HOLOGRAM") == true)
        #expect(catalog.model(named: "x/fine")?.unsupported == nil)
        #expect(catalog.text.contains("UNSUPPORTED"))
    }

    @Test func aCatalogFileThatIsNotJSONIsALocatedError() throws {
        let path = NSTemporaryDirectory() + "/rh-catalog-\(UUID().uuidString).json"
        try Data("{\n  \"models\": [\n    oops\n]}".utf8).write(to: URL(fileURLWithPath: path))
        defer { try? FileManager.default.removeItem(atPath: path) }
        #expect {
            _ = try CatalogFile.load(path)
        } throws: { error in
            let text = "\(error)"
            return text.hasPrefix(path + ":3:") && text.contains("error:") && text.contains("not JSON")
        }
    }

    @Test func aJSONFileThatIsNotARegistryIsRefused() throws {
        let path = NSTemporaryDirectory() + "/rh-catalog-\(UUID().uuidString).json"
        try Data("{\"hello\": 1}".utf8).write(to: URL(fileURLWithPath: path))
        defer { try? FileManager.default.removeItem(atPath: path) }
        #expect {
            _ = try CatalogFile.load(path)
        } throws: { error in
            "\(error)".contains("neither an rh-batch catalog") && "\(error)".hasPrefix(path + ":1:1: error:")
        }
    }

    @Test func catalogRendersAsJSONAndText() throws {
        #expect(catalog.json.canonical.contains("\"endpoint\":\"rhart-image-x-official/edit\""))
        #expect(catalog.text.contains("nano-banana-pro"))
        let grok = try #require(catalog.model(named: "grok-imagine"))
        #expect(grok.text.contains("image (image): one image"))
        #expect(
            catalog.filtered(output: .video, input: .image).models.allSatisfy {
                $0.output == .video && $0.fields.contains { $0.media?.kind == .image }
            })
        #expect(catalog.filtered(word: "seedream").models.count >= 6)
    }

    @Test func moneyIsExact() {
        #expect(Money("0.1")! + Money("0.2")! == Money("0.3"))
        #expect(Money("2.948")!.description == "2.948")
        #expect(Money("12")!.description == "12.00")
        #expect(Money("0.14")! * 3 == Money("0.42"))
        #expect(Money("abc") == nil)
        #expect(Money("1.2345678") == nil)
        #expect(Money("-0.5")!.description == "-0.50")
    }
}

/// Registries as the vendor publishes them later: the importer survives their anomalies, each
/// handled or the model marked, never a crash or a silently wrong price (issue 28).
@Suite("Catalog importer anomalies")
struct CatalogAnomalyTests {
    static func model(_ endpoint: String, _ params: [[String: Any]], output: String = "image") -> [String: Any] {
        ["endpoint": endpoint, "name_en": endpoint, "output_type": output, "params": params]
    }

    static var prompt: [String: Any] { ["fieldKey": "prompt", "type": "STRING", "required": true, "maxLength": 100] }

    @Test func placeholderZeroAndBlankPricesAreUnknownNotPrices() throws {
        let registry: [String: Any] = [
            "version": "later",
            "models": [
                Self.model("a/placeholder", [Self.prompt]), Self.model("a/zero", [Self.prompt]),
                Self.model("a/blank", [Self.prompt]),
                Self.model(
                    "a/partly",
                    [
                        Self.prompt,
                        [
                            "fieldKey": "resolution", "type": "LIST", "required": true, "defaultValue": "1k",
                            "options": [["value": "1k"], ["value": "2k"]],
                        ],
                    ]),
                Self.model("a/fine", [Self.prompt]),
            ],
        ]
        let pricing: [String: Any] = [
            "version": "later",
            "pricing": [
                ["endpoint": "a/placeholder", "pricing_type": "fixed", "price": 9999, "unit": "/次"],
                ["endpoint": "a/zero", "pricing_type": "fixed", "price": 0.0, "unit": "/次"],
                ["endpoint": "a/blank", "pricing_type": "fixed", "price": "", "unit": "/次"],
                [
                    "endpoint": "a/partly", "pricing_type": "parameter_based", "unit": "/次",
                    "depends_on": ["resolution"],
                    "rules": [
                        ["when": ["resolution": "1k"], "price": 0.5], ["when": ["resolution": "2k"], "price": 9999],
                        // A row without a number is unknown too.
                        ["when": ["resolution": "3k"], "price": NSNull()],
                        // A catch-all row after the placeholders must not price 2k or 3k.
                        ["when": [String: Any](), "price": 0.3],
                    ],
                ],
                ["endpoint": "a/fine", "pricing_type": "fixed", "price": 0.19, "unit": "/次"],
            ],
        ]
        let file = try VendorRegistry.convert(registry: registry, pricing: pricing, file: "x.json")
        // As imported, and as written to a catalog file and read back: the same prices.
        let reread = try CatalogFile.decode(try file.encoded(), file: "catalog.json", pricing: nil).catalog()
        for catalog in [file.catalog(), reread] {
            try Self.checkAnomalies(catalog)
        }
    }

    static func checkAnomalies(_ catalog: ModelCatalog) throws {
        for name in ["a/placeholder", "a/zero", "a/blank"] {
            let model = try #require(catalog.model(named: name))
            #expect(model.price.unknown != nil, "\(name): \(model.price.summary)")
            #expect(model.price.price(for: [:], promptLength: 10) == nil)
        }
        #expect(catalog.model(named: "a/placeholder")?.price.unknown?.contains("placeholder") == true)
        let partly = try #require(catalog.model(named: "a/partly"))
        #expect(partly.price.price(for: ["resolution": .string("1k")], promptLength: 10) == Money("0.5"))
        #expect(partly.price.price(for: ["resolution": .string("2k")], promptLength: 10) == nil)
        #expect(partly.price.price(for: ["resolution": .string("3k")], promptLength: 10) == nil)
        #expect(partly.price.price(for: ["resolution": .string("4k")], promptLength: 10) == Money("0.3"))
        #expect(partly.price.short == "0.30-0.50 CNY/call, some combinations unknown", "\(partly.price.short)")
        #expect(partly.price.summary.contains("resolution=2k: unknown"), "\(partly.price.summary)")
        #expect(partly.price.note?.contains("placeholder") == true)
        #expect(catalog.model(named: "a/fine")?.price.price(for: [:], promptLength: 10) == Money("0.19"))
    }

    @Test func noParametersChangedKindsAndDuplicateEndpointsAreSurvived() throws {
        let old: [String: Any] = [
            "version": "old",
            "models": [
                Self.model("b/voice", [Self.prompt, ["fieldKey": "voice", "type": "STRING", "required": false]]),
                Self.model("b/gone", [Self.prompt]),
            ],
        ]
        let new: [String: Any] = [
            "version": "old",
            "models": [
                Self.model(
                    "b/voice",
                    [
                        Self.prompt,
                        [
                            "fieldKey": "voice", "type": "LIST", "required": true, "defaultValue": "calm",
                            "options": [["value": "calm"], ["value": "bright"]],
                        ],
                    ]),
                Self.model("b/voice", [Self.prompt]),
                Self.model("b/bare", []),
            ],
        ]
        let before = try VendorRegistry.convert(registry: old, pricing: nil, file: "old.json").catalog()
        let after = try VendorRegistry.convert(registry: new, pricing: nil, file: "new.json").catalog()
        // The first of two entries with one endpoint is the model; a model without parameters is one too.
        #expect(after.models.map(\.endpoint).sorted() == ["b/bare", "b/voice"])
        #expect(after.model(named: "b/bare")?.fields.isEmpty == true)
        let diff = CatalogDiff.between(before, after)
        #expect(diff.added == ["b-bare"] || diff.added.count == 1)
        #expect(diff.removed.count == 1)
        let voice = try #require(diff.fields.first)
        #expect(voice.changes.contains("voice: text → calm, bright"))
        #expect(voice.changes.contains("voice: now required"))
        #expect(
            diff.lines.first
                == "1 model added, 1 model removed, 1 model with changed fields, 0 models with changed prices")
    }
}
