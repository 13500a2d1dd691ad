/// Renders jobs as report entries and index lines: a value copy of what the run knows, so that
/// chunks of a 100,000-job report can be rendered on several cores at once.
struct JobRenderer: Sendable {
    let plan: Plan
    let jobs: [JobRun]

    /// Decimal texts of the amounts jobs cost: a batch has a handful of distinct prices.
    let amounts: [Int64: String]

    init(plan: Plan, jobs: [JobRun]) {
        self.plan = plan
        self.jobs = jobs
        var amounts: [Int64: String] = [:]
        for job in plan.jobs where amounts[job.price.micros] == nil { amounts[job.price.micros] = job.price.description }
        for run in jobs {
            if let cost = run.cost, amounts[cost.micros] == nil { amounts[cost.micros] = cost.description }
        }
        amounts[0] = Money.zero.description
        self.amounts = amounts
    }

    func amount(_ money: Money) -> String {
        amounts[money.micros] ?? money.description
    }

    /// Rendered members that many jobs share (their model's, their prompt's, their images'),
    /// kept while one chunk of jobs is rendered: most of a job's description is the same text as
    /// other jobs'. Each piece is kept with what it was rendered from and used only for the same.
    struct SharedPieces {
        fileprivate var shapes: [ObjectIdentifier: (model: String, params: String)] = [:]
        fileprivate var prompts: [String: (prompt: PromptRef, text: String)] = [:]
        fileprivate var images: [String: (image: ImageInput, urls: [String], text: String)] = [:]

        init() {}
    }

    /// The members of ``JobDescription/members(_:_:)``, written straight into `writer`.
    func writeJobDescription(_ index: Int, to writer: inout JSONObjectWriter, shared: inout SharedPieces) {
        let job = plan.jobs[index]
        let run = jobs[index]
        writer.string("id", job.id)
        writer.string("key", job.key)
        let shape = ObjectIdentifier(job.shape)
        let pieces: (model: String, params: String)
        if let known = shared.shapes[shape] {
            pieces = known
        } else {
            pieces = (JSONObjectWriter.fragment { Self.writeModel(job, to: &$0) }, JSONObjectWriter.fragment { Self.writeParams(job, to: &$0) })
            shared.shapes[shape] = pieces
        }
        writer.members(pieces.model)
        if let known = shared.prompts[job.prompt.id], known.prompt == job.prompt {
            writer.members(known.text)
        } else {
            let text = JSONObjectWriter.fragment { Self.writePrompt(job.prompt, to: &$0) }
            shared.prompts[job.prompt.id] = (job.prompt, text)
            writer.members(text)
        }
        if let known = shared.images[job.image.id], known.image == job.image, known.urls == run.inputURLs {
            writer.members(known.text)
        } else {
            let text = JSONObjectWriter.fragment { Self.writeImages(job.image, urls: run.inputURLs, to: &$0) }
            shared.images[job.image.id] = (job.image, run.inputURLs, text)
            writer.members(text)
        }
        writer.members(pieces.params)
        writer.integer("sample", job.sample)
    }

    private static func writeModel(_ job: PlannedJob, to writer: inout JSONObjectWriter) {
        writer.string("model", job.model)
        writer.string("endpoint", job.endpoint)
    }

    private static func writePrompt(_ prompt: PromptRef, to writer: inout JSONObjectWriter) {
        writer.object("prompt") { object in
            object.string("id", prompt.id)
            object.string("text", prompt.text)
        }
    }

    private static func writeImages(_ input: ImageInput, urls: [String], to writer: inout JSONObjectWriter) {
        writer.objects("images", input.sources.enumerated()) { image, item in
            let (position, source) = item
            image.string("id", input.id)
            switch source {
            case .local(let local):
                image.string("source", local.path)
                image.string("sha256", local.sha256)
            case .remote(let url):
                image.string("source", url)
            }
            if position < urls.count, !urls[position].isEmpty {
                image.string("uploadedURL", urls[position])
            }
        }
    }

    private static func writeParams(_ job: PlannedJob, to writer: inout JSONObjectWriter) {
        if !job.media.isEmpty {
            // Media inputs other than the main image: the body key and each file's source.
            writer.objects("media", job.media) { media, field in
                media.string("field", field.apiKey)
                media.string("id", field.input.id)
                media.value("sources", .array(field.input.sources.map { .string($0.reference) }))
            }
        }
        writer.object("params") { params in
            for field in job.bodyFields { params.value(field.key, field.value) }
        }
    }

    /// One job of the report, as compact JSON text.
    func reportEntry(_ index: Int, shared: inout SharedPieces) -> String {
        let run = jobs[index]
        let job = plan.jobs[index]
        var writer = JSONObjectWriter()
        writeJobDescription(index, to: &writer, shared: &shared)
        writer.string("status", run.status.rawValue)
        writer.boolean("alreadyDone", run.alreadyDone)
        writer.string("taskId", run.taskId)
        writer.integer("attempts", run.attempts)
        writer.string("submittedAt", run.submittedAt?.text)
        writer.string("finishedAt", run.finishedAt?.text)
        writer.number("durationSeconds", JobDescription.duration(run.submittedAt, run.finishedAt))
        writer.object("cost") { cost in
            cost.string("amount", amount(run.cost ?? (run.status == .succeeded ? job.price : .zero)))
            cost.string("currency", plan.currency)
            cost.string("estimated", amount(job.price))
        }
        writer.objects("outputs", run.outputs.values) { entry, output in
            entry.string("path", output.path)
            entry.string("url", output.url)
            entry.integer("bytes", output.bytes)
            entry.string("sha256", output.sha256.description)
        }
        if let failure = run.failure, run.status != .succeeded {
            writer.object("error") { error in
                error.string("phase", failure.phase.rawValue)
                error.string("code", failure.code.rawValue)
                error.string("message", failure.message)
            }
        }
        return writer.finish()
    }

    /// One `index.jsonl` line per result file of `index`'s job.
    func indexLines(_ index: Int, into text: inout String, shared: inout SharedPieces) {
        let run = jobs[index]
        for (resultIndex, output) in run.outputs.all {
            var line = JSONObjectWriter()
            writeJobDescription(index, to: &line, shared: &shared)
            line.integer("index", resultIndex)
            line.string("path", output.path)
            line.integer("bytes", output.bytes)
            line.string("sha256", output.sha256.description)
            line.string("resultURL", output.url)
            line.string("taskId", run.taskId)
            line.string("cost", amount(run.cost ?? plan.jobs[index].price))
            text += line.finish()
            text += "\n"
        }
    }

}
