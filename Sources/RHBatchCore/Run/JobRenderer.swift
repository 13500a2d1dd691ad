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

    /// The members of ``JobDescription/members(_:_:)``, written straight into `writer`.
    func writeJobDescription(_ index: Int, to writer: inout JSONObjectWriter) {
        let job = plan.jobs[index]
        let run = jobs[index]
        writer.string("id", job.id)
        writer.string("key", job.key)
        writer.string("model", job.model)
        writer.string("endpoint", job.endpoint)
        writer.object("prompt") { prompt in
            prompt.string("id", job.prompt.id)
            prompt.string("text", job.prompt.text)
        }
        writer.objects("images", job.image.sources.enumerated()) { image, item in
            let (position, source) = item
            image.string("id", job.image.id)
            switch source {
            case .local(let local):
                image.string("source", local.path)
                image.string("sha256", local.sha256)
            case .remote(let url):
                image.string("source", url)
            }
            if position < run.inputURLs.count, !run.inputURLs[position].isEmpty {
                image.string("uploadedURL", run.inputURLs[position])
            }
        }
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
        writer.integer("sample", job.sample)
    }

    /// One job of the report, as compact JSON text.
    func reportEntry(_ index: Int) -> String {
        let run = jobs[index]
        let job = plan.jobs[index]
        var writer = JSONObjectWriter()
        writeJobDescription(index, to: &writer)
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
    func indexLines(_ index: Int, into text: inout String) {
        let run = jobs[index]
        for (resultIndex, output) in run.outputs.all {
            var line = JSONObjectWriter()
            writeJobDescription(index, to: &line)
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
