import Foundation
import RHBatchCore
import Testing

/// `rh-batch catalog update`, `status` and `reset` against registries served on loopback: a
/// current copy, a changed one, a broken one and one that drops most models (issue 28).
@Suite("catalog update")
struct CatalogUpdateTests {
    /// The vendor's files, as the simulator ships them.
    static let vendorFolder = DocsTests.root + "/Sources/RunningHubSimulator/Resources"

    /// The vendor's two files, and copies changed as later registries change them.
    static func files() throws -> [String: [UInt8]] {
        let registryPath = Self.vendorFolder + "/model-registry.public.json"
        let pricingPath = Self.vendorFolder + "/pricing.public.json"
        let registry = try [UInt8](Data(contentsOf: URL(fileURLWithPath: registryPath)))
        let pricing = try [UInt8](Data(contentsOf: URL(fileURLWithPath: pricingPath)))
        var top = try #require(try JSONSerialization.jsonObject(with: Data(registry)) as? [String: Any])
        var models = try #require(top["models"] as? [[String: Any]])
        // Changed: one model gone, one added, a field from text to a list, grok-imagine cheaper.
        var changedModels = models
        let gone = changedModels.remove(
            at: changedModels.firstIndex { $0["endpoint"] as? String == "rhart-image-g-2-official/image-to-image" }!)
        var added = gone
        added["endpoint"] = "rhart-image-g-2-official/image-to-image-v9"
        added["name_en"] = "gpt-image-9/image-to-image"
        changedModels.append(added)
        let speech = changedModels.firstIndex {
            $0["endpoint"] as? String == "rhart-audio/text-to-audio/speech-2.8-turbo"
        }!
        var params = try #require(changedModels[speech]["params"] as? [[String: Any]])
        let voice = params.firstIndex { $0["fieldKey"] as? String == "voice_id" }!
        params[voice]["type"] = "LIST"
        params[voice]["options"] = [["value": "Elegant_Man"], ["value": "Calm_Woman"]]
        changedModels[speech]["params"] = params
        top["models"] = changedModels
        let changedRegistry = try JSONSerialization.data(withJSONObject: top)
        var prices = try #require(try JSONSerialization.jsonObject(with: Data(pricing)) as? [String: Any])
        var rows = try #require(prices["pricing"] as? [[String: Any]])
        let grok = rows.firstIndex { $0["endpoint"] as? String == "rhart-image-x-official/edit" }!
        rows[grok]["price"] = 0.11
        prices["pricing"] = rows
        let changedPricing = try JSONSerialization.data(withJSONObject: prices)
        // Few: only 10 models left.
        models = Array(models.prefix(10))
        top["models"] = models
        let few = try JSONSerialization.data(withJSONObject: top)
        return [
            "good/model-registry.public.json": registry, "good/pricing.public.json": pricing,
            "changed/model-registry.public.json": [UInt8](changedRegistry),
            "changed/pricing.public.json": [UInt8](changedPricing),
            "broken/model-registry.public.json": Array("{\"models\": [oops".utf8),
            "broken/pricing.public.json": pricing,
            "few/model-registry.public.json": [UInt8](few), "few/pricing.public.json": pricing,
        ]
    }

    @Test func updatesRefusesAndResets() async throws {
        let files = try Self.files()
        let folder = try TempFolder()
        try folder.write(
            "m.yaml", "version: 1\njobs:\n  - {model: grok-imagine, prompt: Hi., image: 'https://example.com/a.png'}\n")
        var environment = ProcessInfo.processInfo.environment
        environment["XDG_CACHE_HOME"] = folder.path + "/cache"
        environment["RH_CATALOG"] = nil
        let env = environment
        try await FileServer.withRunning(files) { base in
            try await offPool {
                let cli = { (arguments: [String]) in try CLI.run(arguments, environment: env, directory: folder.path) }
                // The built-in catalog first.
                var status = try cli(["catalog", "status"])
                #expect(status.stdout.contains("in use: built in: RunningHub model registry public-2026-04-29"))

                // A changed registry: what changed is printed, and every command uses it.
                let update = try cli(["catalog", "update", "--from", base + "/changed"])
                #expect(update.status == 0, "\(update.stderr)")
                #expect(
                    update.stdout.contains("1 model added, 1 model removed, 1 model with changed fields"),
                    "\(update.stdout)")
                #expect(update.stdout.contains("added: gpt-image-9-image-to-image"))
                #expect(update.stdout.contains("removed: gpt-image-2"))
                #expect(
                    update.stdout.contains(
                        "fields of minimax-speech-2.8-turbo: voice_id: text → Elegant_Man, Calm_Woman"))
                #expect(update.stdout.contains("price of grok-imagine: 0.14 CNY per call → 0.11 CNY per call"))
                #expect(FileManager.default.fileExists(atPath: folder.path + "/cache/rh-batch/catalog.json"))
                status = try cli(["catalog", "status"])
                #expect(status.stdout.contains("fetched "), "\(status.stdout)")
                #expect(status.stdout.contains("registry: \(base)/changed/model-registry.public.json"))
                let version = try cli(["--version"])
                #expect(version.stdout.contains("from \(base)/changed/model-registry.public.json"), "\(version.stdout)")
                let plan = try cli(["plan", "m.yaml"])
                #expect(plan.stdout.contains("1 job, estimated cost 0.11 CNY"), "\(plan.stdout)\(plan.stderr)")
                // --catalog and RH_CATALOG still win.
                let builtIn = Self.vendorFolder + "/model-registry.public.json"
                let named = try cli(["plan", "m.yaml", "--catalog", builtIn])
                #expect(named.stdout.contains("estimated cost 0.14 CNY"), "\(named.stdout)\(named.stderr)")

                // A broken registry and one that drops most models are refused; nothing changes.
                let broken = try cli(["catalog", "update", "--from", base + "/broken"])
                #expect(broken.status == 1 && broken.stderr.contains("does not import"), "\(broken.stderr)")
                #expect(broken.stderr.contains("nothing changed"))
                let few = try cli([
                    "catalog", "update", "--registry", base + "/few/model-registry.public.json", "--pricing",
                    base + "/few/pricing.public.json",
                ])
                #expect(few.status == 1 && few.stderr.contains("most would be dropped"), "\(few.stderr)")
                let missing = try cli(["catalog", "update", "--from", base + "/nowhere"])
                #expect(missing.status == 1 && missing.stderr.contains("404"), "\(missing.stderr)")
                #expect(try cli(["plan", "m.yaml"]).stdout.contains("estimated cost 0.11 CNY"))
                let forced = try cli(["catalog", "update", "--from", base + "/few", "--force"])
                #expect(forced.status == 0, "\(forced.stderr)")
                #expect(try cli(["catalog", "status"]).stdout.contains("models: 10 "))
                // A kill between the two writes: the catalog of a later update beside the origin
                // of this one. The origin names its catalog by SHA-256, so it is not believed.
                let cached = folder.path + "/cache/rh-batch/catalog.json"
                var other = try Data(contentsOf: URL(fileURLWithPath: cached))
                other.append(contentsOf: Array(" ".utf8))
                try other.write(to: URL(fileURLWithPath: cached))
                let unknownOrigin = try cli(["catalog", "status"])
                #expect(unknownOrigin.stdout.contains("in use: the updated catalog"), "\(unknownOrigin.stdout)")
                #expect(!unknownOrigin.stdout.contains("registry: \(base)/few"), "\(unknownOrigin.stdout)")
                // An origin written before origins named their catalog is taken as it is.
                let originPath = folder.path + "/cache/rh-batch/catalog.origin.json"
                var origin = try #require(
                    try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: originPath)))
                        as? [String: Any])
                #expect(origin.removeValue(forKey: "catalogSHA256") != nil)
                try JSONSerialization.data(withJSONObject: origin).write(to: URL(fileURLWithPath: originPath))
                let legacy = try cli(["catalog", "status"])
                #expect(legacy.stdout.contains("registry: \(base)/few"), "\(legacy.stdout)")

                // Reset: the built-in catalog again.
                let reset = try cli(["catalog", "reset"])
                #expect(reset.status == 0 && reset.stdout.hasPrefix("removed "), "\(reset.stdout)")
                #expect(try cli(["catalog", "status"]).stdout.contains("in use: built in"))
                #expect(try cli(["plan", "m.yaml"]).stdout.contains("estimated cost 0.14 CNY"))
                let good = try cli(["catalog", "update", "--from", base + "/good"])
                #expect(
                    good.stdout.hasPrefix(
                        "0 models added, 0 models removed, 0 models with changed fields, 0 models with changed prices"),
                    "\(good.stdout)")
            }
        }
    }
}
