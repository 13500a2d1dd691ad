/// Renders jobs as report entries and index lines: a value copy of what the run knows, so that
/// chunks of a 100,000-job report can be rendered on several cores at once.
struct JobRenderer: Sendable {
    let plan: Plan
    let jobs: [JobRun]

    /// The members of ``RunCoordinator/jobDescription(_:)``, written straight into `writer`.
    func writeJobDescription(_ index: Int, to writer: inout JSONObjectWriter) {
        let job = plan.jobs[index]
        let run = jobs[index]
        writer.string("id", job.id)
        writer.string("key", job.key)
        writer.string("model", job.model)
        writer.string("endpoint", job.endpoint)
        var prompt = JSONObjectWriter()
        prompt.string("id", job.prompt.id)
        prompt.string("text", job.prompt.text)
        writer.raw("prompt", prompt.finish())
        var images = "["
        for (position, source) in job.image.sources.enumerated() {
            var image = JSONObjectWriter(prefix: position == 0 ? "" : ",")
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
            images += image.finish()
        }
        writer.raw("images", images + "]")
        var params = JSONObjectWriter()
        for field in job.bodyFields { params.value(field.key, field.value) }
        writer.raw("params", params.finish())
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
        writer.string("submittedAt", run.submittedAt)
        writer.string("finishedAt", run.finishedAt)
        writer.number("durationSeconds", RunCoordinator.duration(run.submittedAt, run.finishedAt))
        var cost = JSONObjectWriter()
        cost.string("amount", (run.cost ?? (run.status == .succeeded ? job.price : .zero)).description)
        cost.string("currency", plan.currency)
        cost.string("estimated", job.price.description)
        writer.raw("cost", cost.finish())
        var outputs = "["
        for (position, key) in run.outputs.keys.sorted().enumerated() {
            let output = run.outputs[key]!
            var entry = JSONObjectWriter(prefix: position == 0 ? "" : ",")
            entry.string("path", output.path)
            entry.string("url", output.url)
            entry.integer("bytes", output.bytes)
            entry.string("sha256", output.sha256)
            outputs += entry.finish()
        }
        writer.raw("outputs", outputs + "]")
        if let failure = run.failure, run.status != .succeeded {
            var error = JSONObjectWriter()
            error.string("phase", failure.phase)
            error.string("code", failure.code)
            error.string("message", failure.message)
            writer.raw("error", error.finish())
        }
        return writer.finish()
    }

    /// One `index.jsonl` line per result file of `index`'s job.
    func indexLines(_ index: Int, into text: inout String) {
        let run = jobs[index]
        for resultIndex in run.outputs.keys.sorted() {
            let output = run.outputs[resultIndex]!
            var line = JSONObjectWriter()
            writeJobDescription(index, to: &line)
            line.integer("index", resultIndex)
            line.string("path", output.path)
            line.integer("bytes", output.bytes)
            line.string("sha256", output.sha256)
            line.string("resultURL", output.url)
            line.string("taskId", run.taskId)
            line.string("cost", (run.cost ?? plan.jobs[index].price).description)
            text += line.finish()
            text += "\n"
        }
    }

}
