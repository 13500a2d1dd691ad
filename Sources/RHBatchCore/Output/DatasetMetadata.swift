import Crypto
import RunningHubModel

/// `metadata.jsonl` and `inputs/`: the output folder as a dataset that loads as it is.
///
/// One line per result file of every succeeded job, with `file_name` (the result) and
/// `input_file_names` (the job's local inputs, placed once per content under `inputs/`), so that
/// Hugging Face's `load_dataset("imagefolder", data_dir=...)` returns the result as `image`, the
/// inputs as a list of images and every other column typed. Every line has the same columns
/// (absent values are `null`), and a column whose values have mixed JSON types is written as text,
/// so the typed loader never fails on a mixed run. Nothing in it points outside the folder: remote
/// inputs are fetched once into `inputs/` (with the checks results get); one that cannot be, or
/// every one when the run says so, is listed by URL in `input_urls` (a column present only then).
struct DatasetMetadata {
    let plan: Plan
    let jobs: [JobRun]
    let selected: [Int]
    let folder: String
    /// Remote inputs already fetched into the folder, by URL (``fetchRemoteInputs``).
    var remoteInputs: [String: String] = [:]

    /// The folder's name prefix for a remote input, by its URL's hash; the extension follows the
    /// bytes.
    static func remoteInputStem(_ url: String) -> String {
        "inputs/url-" + String(SHA256.hash(data: Array(url.utf8)).hexString.prefix(16))
    }

    /// The distinct remote inputs of the succeeded jobs, in plan order.
    func remoteURLs() -> [String] {
        var seen: Set<String> = []
        var urls: [String] = []
        for index in selected where jobs[index].status == .succeeded {
            for case .remote(let url) in plan.jobs[index].image.sources where seen.insert(url).inserted {
                urls.append(url)
            }
        }
        return urls
    }

    /// The folder's name for an input: its content hash and the extension of its format.
    static func inputName(_ image: LocalImage) -> String {
        "inputs/" + String(image.sha256.prefix(16)) + "." + image.format.fileExtension
    }

    /// The dataset card's facts for these results.
    func cardFacts(date: String) -> DatasetCard.Facts {
        var rows: [(model: String, prompt: String, cost: Money, fileName: String)] = []
        for index in selected where jobs[index].status == .succeeded {
            let job = plan.jobs[index]
            for output in jobs[index].outputs.values.sorted(by: { $0.path < $1.path }) {
                rows.append(
                    (job.model, job.prompt.text, jobs[index].cost(estimate: plan.moneyEstimate(index)), output.path))
            }
        }
        return DatasetCard.facts(
            name: plan.manifest.name, date: date, currency: plan.moneyCurrency, columns: columns().all, rows: rows)
    }

    /// Whether some result came from a workflow or app: then every line has `node` and `coins`.
    private var hasWorkflows: Bool {
        selected.contains { jobs[$0].status == .succeeded && plan.jobs[$0].shape.value.sendsFileNames }
    }

    /// The columns every line has, and the API fields among them with their types settled.
    private func columns() -> (all: [String], fields: [String], mixed: Set<String>, hasRemote: Bool) {
        let succeeded = selected.filter { jobs[$0].status == .succeeded && !jobs[$0].outputs.isEmpty }
        var fieldOrder: [String] = []
        var fieldTypes: [String: String] = [:]
        var mixed: Set<String> = []
        for index in succeeded {
            for field in plan.jobs[index].bodyFields {
                if fieldTypes[field.key] == nil {
                    fieldOrder.append(field.key)
                    fieldTypes[field.key] = field.value.typeName
                } else if fieldTypes[field.key] != field.value.typeName {
                    mixed.insert(field.key)
                }
            }
        }
        // A column of URLs only where some job has a remote input: an always-empty list column
        // would be typed as nulls.
        let hasRemote = succeeded.contains { index in
            plan.jobs[index].image.sources.contains {
                if case .remote(let url) = $0 { remoteInputs[url] == nil } else { false }
            }
        }
        let all =
            ["file_name", "input_file_names"] + (hasRemote ? ["input_urls"] : [])
            + ["prompt", "prompt_id", "image_id", "model", "endpoint"] + fieldOrder
            + ["sample", "result_index", "key", "task_id", "cost", "currency", "sha256"]
            + (hasWorkflows ? ["node", "coins"] : [])
        return (all, fieldOrder, mixed, hasRemote)
    }

    /// Writes `metadata.jsonl` and places the inputs it names under `inputs/`.
    func write() throws(AtomicFile.Failure) {
        let succeeded = selected.filter { jobs[$0].status == .succeeded && !jobs[$0].outputs.isEmpty }
        let (_, fieldOrder, mixed, hasRemote) = columns()
        let withNodes = hasWorkflows
        var placed: Set<String> = []
        let writer = try AtomicFileWriter(path: folder + "/metadata.jsonl")
        for index in succeeded {
            let job = plan.jobs[index]
            let run = jobs[index]
            var inputs: [String] = []
            var urls: [String] = []
            for source in job.image.sources {
                switch source {
                case .local(let image):
                    let name = Self.inputName(image)
                    if placed.insert(name).inserted { try place(image, at: name) }
                    inputs.append(name)
                case .remote(let url):
                    if let path = remoteInputs[url] { inputs.append(path) } else { urls.append(url) }
                }
            }
            let fields = Dictionary(job.bodyFields.map { ($0.key, $0.value) }, uniquingKeysWith: { first, _ in first })
            for (resultIndex, output) in run.outputs.all {
                var line = JSONObjectWriter()
                line.string("file_name", output.path)
                line.value("input_file_names", .array(inputs.map { .string($0) }))
                if hasRemote { line.value("input_urls", .array(urls.map { .string($0) })) }
                line.string("prompt", job.prompt.text)
                line.string("prompt_id", job.prompt.id)
                line.string("image_id", job.image.id)
                line.string("model", job.model)
                line.string("endpoint", job.endpoint)
                for key in fieldOrder {
                    switch fields[key] {
                    case nil: line.value(key, .null)
                    case .string(let text)?: line.string(key, text)
                    case let value? where mixed.contains(key): line.string(key, value.json)
                    case let value?: line.value(key, value)
                    }
                }
                line.integer("sample", job.sample)
                line.integer("result_index", resultIndex)
                line.string("key", job.key)
                line.string("task_id", run.taskId ?? "")
                line.number("cost", Double(run.cost(estimate: plan.moneyEstimate(index)).description))
                line.string("currency", plan.moneyCurrency)
                line.string("sha256", output.sha256.description)
                if withNodes {
                    if let node = output.node { line.string("node", node) } else { line.value("node", .null) }
                    line.number("coins", run.coins.flatMap { Double($0.description) })
                }
                writer.write(line.finish())
                writer.write("\n")
            }
        }
        try writer.commit(durable: false)
    }

    /// Places one input inside the folder: a hard link where the file system allows it, a copy
    /// otherwise. An input already there with the same size is left as it is.
    private func place(_ image: LocalImage, at name: String) throws(AtomicFile.Failure) {
        let target = folder + "/" + name
        if case .regular(let bytes, _) = FileSystem.status(target, followLinks: false), bytes == image.bytes { return }
        FileSystem.makeFolder(folder + "/inputs")
        let temporary = folder + "/inputs/.rh-tmp-" + String(image.sha256.prefix(16))
        FileSystem.remove(temporary)
        // Following a symbolic link: the folder must hold the image itself, not a link to it.
        if FileSystem.hardLink(image.absolutePath, as: temporary) {
            if FileSystem.move(temporary, to: target) { return }
            FileSystem.remove(temporary)
        }
        guard case .success(let bytes) = FileSystem.readAll(image.absolutePath) else {
            throw AtomicFile.Failure(
                description: "\(image.absolutePath): cannot read the input to place it under inputs/")
        }
        try AtomicFile.write(bytes, to: target, durable: false)
    }
}
