import RunningHubModel
import YAML

/// A prompt as a job uses it.
package struct PromptRef: Sendable, Hashable {
    /// The library id, or a slug of the text with a short hash.
    package var id: String
    /// The text sent to the API (trimmed).
    package var text: String
}

/// Where in the manifest a job came from.
package struct JobOrigin: Sendable, Hashable {
    /// `matrix`, `matrix[1]` or `jobs[3]`.
    package var path: KeyPath
    /// Where that block or entry starts.
    package var mark: Mark
}

/// What the jobs of one block, model and set of field values have in common: held once and
/// shared by all of them (a million jobs each holding their own copy took 110 MB more).
package struct JobShape: Sendable, Hashable {
    /// The model's alias.
    package var model: String
    /// The model's endpoint.
    package var endpoint: String
    /// Final field values as text by snake_case name, for layout placeholders (defaults applied,
    /// fields the model does not take dropped; media fields give their input id).
    package var options: [String: String]
    /// Final option values as body fields, in the model's order.
    package var apiOptions: [Param]
    /// Extra body fields from `params`, sorted by key.
    package var params: [Param]
    /// Whether the layout places `{index}` itself.
    package var layoutHasIndex: Bool
    /// The catalog price of one call (zero when unknown).
    package var price: Money
    /// Whether the catalog knows the price.
    package var priceKnown: Bool
    /// What the model makes: results are checked to be of this kind.
    package var output: OutputKind
    /// Media inputs other than the main image, in the model's field order.
    package var media: [MediaInput]
    /// Where it came from.
    package var origin: JobOrigin
    /// Whether uploaded inputs are named by their `fileName` (a workflow's or app's load
    /// nodes), not their URL.
    package var sendsFileNames = false
    /// For a workflow or app: SHA-256 of the graph or field list the job was checked against.
    package var graphSHA256: String?
    /// For a workflow or app: the RH coins a job is estimated at (`estimate_seconds`), else zero.
    package var coinEstimate = Money.zero
    /// For jobs made from a table's rows: the table, as an index into ``Plan/tables``.
    package var table: Int32 = -1
}

/// One job of a plan: a model call with final fields, a stable key and an output path.
///
/// A plan holds one per job (a million at once), so what jobs share is one ``JobShape`` object.
package struct PlannedJob: Sendable {
    /// The stable key: SHA-256 of the endpoint, final fields, input identities and sample, held
    /// as its bytes (a million jobs' keys as text would be 112 MB).
    package var digest: HexDigest
    /// The prompt.
    package var prompt: PromptRef
    /// The input image(s).
    package var image: ImageInput
    /// The sample number, from 1.
    package var sample: Int
    /// The output path relative to the output root, with `{ext}` and `{index}` still in it.
    package var outputTemplate: String
    /// What it shares with the other jobs of its block, model and field values.
    package let shape: Boxed<JobShape>
    /// The table row (from 0) that made it, for jobs made from a table's rows; else -1.
    package var row: Int32 = -1

    /// Makes a job that shares `shape` with others.
    package init(
        digest: HexDigest, prompt: PromptRef, image: ImageInput, sample: Int, outputTemplate: String,
        shape: Boxed<JobShape>
    ) {
        self.digest = digest
        self.prompt = prompt
        self.image = image
        self.sample = sample
        self.outputTemplate = outputTemplate
        self.shape = shape
    }

    /// The model's alias.
    package var model: String { shape.value.model }
    /// The model's endpoint.
    package var endpoint: String { shape.value.endpoint }
    /// Final field values as text by snake_case name (see ``JobShape/options``).
    package var options: [String: String] { shape.value.options }
    /// Final option values as body fields, in the model's order.
    package var apiOptions: [Param] { shape.value.apiOptions }
    /// Extra body fields from `params`, sorted by key.
    package var params: [Param] { shape.value.params }
    /// Whether ``outputTemplate`` places `{index}` itself.
    package var layoutHasIndex: Bool { shape.value.layoutHasIndex }
    /// The catalog price of one call (zero when unknown).
    package var price: Money { shape.value.price }
    /// Whether the catalog knows the price.
    package var priceKnown: Bool { shape.value.priceKnown }
    /// What the model makes.
    package var output: OutputKind { shape.value.output }
    /// Media inputs other than the main image, in the model's field order.
    package var media: [MediaInput] { shape.value.media }
    /// Where it came from.
    package var origin: JobOrigin { shape.value.origin }

    /// The stable key as text (64 hex digits).
    package var key: String { digest.description }

    /// The short key used in reports and `{key}`.
    package var id: String { digest.prefix(12) }

    /// The path of result number `index` (from 1) with the given extension.
    ///
    /// When the layout has no `{index}`, the first result takes the plain path and later ones
    /// get `-2`, `-3`, ... before the extension.
    ///
    /// A workflow's result is named with its node: at `{node}`, else after the name
    /// (`..._1_9.png`); `index` then counts that node's results.
    package func outputPath(index: Int = 1, fileExtension: String, node: String? = nil) -> String {
        var template = outputTemplate
        if let node {
            if !template.contains("{node}") {
                template =
                    template.contains(".{ext}")
                    ? template.replacingAll(".{ext}", with: "_{node}.{ext}")
                    : template.replacingAll("{ext}", with: "{node}.{ext}")
            }
            template = template.replacingAll("{node}", with: OutputLayout.safe(node))
        }
        var path = template.replacingAll("{index}", with: String(index))
        if !layoutHasIndex && index > 1 {
            path = path.replacingAll(".{ext}", with: "-\(index).{ext}")
        }
        return path.replacingAll("{ext}", with: OutputLayout.safe(fileExtension))
    }

    /// The API body fields other than the prompt and the images: what the report lists as `params`.
    package var bodyFields: [Param] {
        apiOptions + params
    }

    /// Every input file of the job: the main image's, then each other media field's.
    package var allSources: [ImageSource] {
        media.isEmpty ? image.sources : image.sources + media.flatMap(\.input.sources)
    }

    /// The submit body, given the URL of each of ``allSources`` in order: the prompt, the main
    /// image, the other media fields, then the other fields, then the run's `webhookUrl` when
    /// given (it is not part of the job: the job key never includes it).
    package func body(urls: [String], model: ModelSpec, webhookURL: String? = nil) -> JSONValue {
        var members: [(String, JSONValue)] = []
        if let promptField = model.prompt, !prompt.text.isEmpty {
            members.append((promptField.apiKey, .string(prompt.text)))
        }
        var rest = urls[...]
        func value(_ count: Int, isList: Bool) -> JSONValue {
            let taken = Array(rest.prefix(count))
            rest = rest.dropFirst(count)
            return isList ? .array(taken.map(JSONValue.string)) : .string(taken.first ?? "")
        }
        if let imageField = model.image, !image.sources.isEmpty {
            members.append((imageField.apiKey, value(image.sources.count, isList: imageField.isList)))
        }
        for field in media {
            members.append((field.apiKey, value(field.input.sources.count, isList: field.isList)))
        }
        for field in bodyFields {
            members.append((field.key, field.value))
        }
        if let webhookURL { members.append(("webhookUrl", .string(webhookURL))) }
        if let workflow = model.workflow { return workflow.body(members) }
        return .object(members)
    }
}

/// A combination that was folded into an earlier, identical job.
package struct MergedJob: Sendable {
    /// The id of the job it became.
    package var into: String
    /// Why it is the same job.
    package var reason: String
    /// Where it was written.
    package var origin: JobOrigin
}

/// A combination left out under `--skip-invalid` because it does not fit its model.
package struct SkippedJob: Sendable {
    /// What the combination was: model, image, prompt and options.
    package var summary: String
    /// Why it was skipped.
    package var reason: String
    /// Where the offending value was written.
    package var mark: Mark
    /// Its key path.
    package var path: KeyPath
}

/// A manifest expanded into jobs, checked against the catalog and the files, and priced.
package struct Plan: Sendable {
    /// The manifest it came from.
    package var manifest: Manifest
    /// The jobs, in manifest order, each key once.
    package var jobs: [PlannedJob]
    /// Combinations merged into earlier jobs.
    package var merged: [MergedJob]
    /// Combinations skipped under `--skip-invalid`.
    package var skipped: [SkippedJob]
    /// Every distinct local input image, in first-use order.
    package var localImages: [LocalImage]
    /// The estimated cost of running every job once (jobs of unknown price count zero).
    package var estimatedCost: Money
    /// Jobs whose price the catalog does not know.
    package var unpricedJobs: Int = 0
    /// The currency of every amount.
    package var currency: String
    /// Warnings found while planning.
    package var warnings: [Diagnostic]
    /// SHA-256 of the manifest file's bytes.
    package var manifestSHA256 = ""
    /// The catalog the jobs were fitted to: the run builds bodies from it.
    package var catalog: ModelCatalog = .builtIn
    /// The currency the account is billed in, when the run read it (`accountStatus`) and it is not
    /// the catalog's: billed amounts are in it, and the catalog's estimates (in ``currency``)
    /// are not money of that currency.
    package var billingCurrency: String?
    /// The account's currency as the run read it (or the folder kept it); `nil` when not known.
    package var accountCurrency: String?
    /// The tables the manifest's `rows` read, without their cells: where each row is.
    package var tables: [TableFile] = []
    /// The files other than the manifest that marks point into (its tables), by mark source from 1.
    package var files: [String] = []
    /// Parts of tables planned at once and taken as planned (a statistic: the plan is the same).
    package var rowPartsTaken = 0

    /// Job counts per model alias, in catalog order of first appearance.
    package var jobsPerModel: [(model: String, jobs: Int, cost: Money)] {
        var order: [String] = []
        var counts: [String: (Int, Money)] = [:]
        // Jobs of one model come in runs: counted per run, not looked up per job.
        var index = jobs.startIndex
        while index < jobs.endIndex {
            let model = jobs[index].model
            var count = 0
            var cost = Money.zero
            while index < jobs.endIndex, jobs[index].model == model {
                count += 1
                cost += jobs[index].price
                index += 1
            }
            if counts[model] == nil { order.append(model) }
            let current = counts[model] ?? (0, .zero)
            counts[model] = (current.0 + count, current.1 + cost)
        }
        return order.map { ($0, counts[$0]!.0, counts[$0]!.1) }
    }
}

/// A media input other than the main image: the body field and its files.
package struct MediaInput: Sendable, Hashable {
    /// The body key.
    package var apiKey: String
    /// Whether the body value is a list.
    package var isList: Bool
    /// The files.
    package var input: ImageInput
}
