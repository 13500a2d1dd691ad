import Testing

@testable import RHBatchCore

@Suite("Model catalog")
struct CatalogTests {
    let catalog = ModelCatalog.builtIn

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

    @Test func gptImage2Fields() throws {
        let model = try #require(catalog.model(named: "gpt-image-2"))
        #expect(model.image.apiKey == "imageUrls")
        #expect(model.image.isList)
        #expect(model.image.maxCount == 10)
        #expect(model.image.formats == [.jpeg, .png, .webp])
        #expect(model.image.maxBytes == 10 * 1024 * 1024)
        #expect(model.option(.aspectRatio)?.values.count == 15)
        #expect(model.option(.aspectRatio)?.required == false)
        #expect(model.option(.resolution)?.defaultValue == "2k")
        #expect(model.option(.quality)?.defaultValue == "medium")
        #expect(model.price.price(for: [.quality: "high", .resolution: "4k"]) == Money("4.738"))
        #expect(model.price.price(for: [.quality: "low", .resolution: "1k"]) == Money("0.29"))
        #expect(model.price.table.count == 9)
    }

    @Test func grokImagineFields() throws {
        let model = try #require(catalog.model(named: "grok-imagine"))
        #expect(model.image.apiKey == "image")
        #expect(!model.image.isList)
        #expect(model.image.maxCount == 1)
        #expect(model.options.isEmpty)
        #expect(model.price.price(for: [:]) == Money("0.14"))
    }

    @Test func nanoBananaProFields() throws {
        let model = try #require(catalog.model(named: "nano-banana-pro"))
        #expect(model.image.formats == [.jpeg, .png])
        #expect(model.option(.quality) == nil)
        #expect(model.option(.resolution)?.required == true)
        #expect(model.option(.resolution)?.defaultValue == "1k")
        #expect(model.option(.aspectRatio)?.values.count == 10)
        #expect(model.option(.aspectRatio)?.values.contains("1:3") == false)
        #expect(model.price.price(for: [.resolution: "2k"]) == Money("1.0"))
    }

    @Test func catalogRendersAsJSONAndText() throws {
        #expect(catalog.json.canonical.contains("\"endpoint\":\"rhart-image-x-official/edit\""))
        #expect(catalog.text.contains("nano-banana-pro"))
        #expect(catalog.text.contains("takes no: aspect_ratio, resolution, quality"))
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
