/// Renders jobs as report entries and index lines: a value copy of what the run knows, so that
/// chunks of a 100,000-job report can be rendered on several cores at once.
package struct JobRenderer: Sendable {
    let plan: Plan
    let jobs: [JobRun]

    /// Decimal texts of the amounts jobs cost: a batch has a handful of distinct prices.
    let amounts: [Int64: String]

    package init(plan: Plan, jobs: [JobRun]) {
        self.plan = plan
        self.jobs = jobs
        var amounts: [Int64: String] = [:]
        for job in plan.jobs where amounts[job.price.micros] == nil {
            amounts[job.price.micros] = job.price.description
        }
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
        private var shapes: [ObjectIdentifier: (model: String, params: String)] = [:]
        private var prompts: [String: (prompt: PromptRef, text: String)] = [:]
        private var images: [String: (image: ImageInput, urls: [String], text: String)] = [:]

        init() {}

        /// A job's shared members, each rendered as members of an object (without braces): its
        /// model's, its prompt's, its images' (with the URLs they were uploaded as), its fields'.
        mutating func pieces(of job: PlannedJob, urls: [String]) -> (
            model: String, prompt: String, images: String, params: String
        ) {
            let shape = ObjectIdentifier(job.shape)
            let model: (model: String, params: String)
            if let known = shapes[shape] {
                model = known
            } else {
                model = (
                    JSONValue.object(JobDescription.modelPart(job)).members,
                    JSONValue.object(JobDescription.paramsPart(job)).members
                )
                shapes[shape] = model
            }
            let prompt: String
            if let known = prompts[job.prompt.id], known.prompt == job.prompt {
                prompt = known.text
            } else {
                prompt = JSONValue.object(JobDescription.promptPart(job.prompt)).members
                prompts[job.prompt.id] = (job.prompt, prompt)
            }
            let images: String
            if let known = self.images[job.image.id], known.image == job.image, known.urls == urls {
                images = known.text
            } else {
                images = JSONValue.object(JobDescription.imagesPart(job.image, urls: urls)).members
                self.images[job.image.id] = (job.image, urls, images)
            }
            return (model.model, prompt, images, model.params)
        }
    }

    /// The members of ``JobDescription/members(_:_:)``, written straight into `writer`.
    func writeJobDescription(_ index: Int, to writer: inout JSONObjectWriter, shared: inout SharedPieces) {
        let job = plan.jobs[index]
        writer.string("id", job.id)
        writer.string("key", job.key)
        let pieces = shared.pieces(of: job, urls: jobs[index].inputURLs)
        writer.members(pieces.model)
        writer.members(pieces.prompt)
        writer.members(pieces.images)
        writer.members(pieces.params)
        writer.integer("sample", job.sample)
    }

    /// One job of the report, as compact JSON, appended to `json` (what ``JSONObjectWriter``
    /// would write, in bytes: the report has a line per job).
    func writeReportEntry(_ index: Int, shared: inout SharedPieces, to json: inout JSONBytes) {
        let job = plan.jobs[index]
        json.raw(#"{"id":"#)
        json.digest(job.digest, prefix: 12)
        json.raw(#","key":"#)
        json.digest(job.digest)
        let pieces = shared.pieces(of: job, urls: jobs[index].inputURLs)
        for piece in [pieces.model, pieces.prompt, pieces.images, pieces.params] where !piece.isEmpty {
            json.raw(",")
            json.raw(piece)
        }
        json.raw(#","sample":"#)
        json.integer(job.sample)
        // Read in place: a copy of the job's run would retain a dozen texts and lists.
        let status = jobs[index].status
        json.raw(#","status":"#)
        json.string(status.rawValue)
        json.raw(jobs[index].alreadyDone ? #","alreadyDone":true"# : #","alreadyDone":false"#)
        json.raw(#","taskId":"#)
        json.string(jobs[index].taskId)
        json.raw(#","attempts":"#)
        json.integer(jobs[index].attempts)
        json.raw(#","submittedAt":"#)
        json.timestamp(jobs[index].submittedAt)
        json.raw(#","finishedAt":"#)
        json.timestamp(jobs[index].finishedAt)
        json.raw(#","durationSeconds":"#)
        if let duration = jobs[index].durationSeconds {
            json.raw("\(duration)")
        } else {
            json.raw("null")
        }
        json.raw(#","cost":{"amount":"#)
        json.string(amount(jobs[index].cost(estimate: plan.moneyEstimate(index))))
        json.raw(#","currency":"#)
        json.string(plan.moneyCurrency)
        json.raw(#","estimated":"#)
        json.string(amount(job.price))
        json.raw("}")
        if let coins = jobs[index].coins {
            json.raw(#","coins":"#)
            json.string(coins.description)
        }
        json.raw(#","outputs":["#)
        var first = true
        jobs[index].outputs.forEach { _, output in
            json.raw(first ? #"{"path":"# : #",{"path":"#)
            first = false
            json.string(output.path)
            json.raw(#","url":"#)
            json.string(output.url)
            json.raw(#","bytes":"#)
            json.integer(output.bytes)
            json.raw(#","sha256":"#)
            json.digest(output.sha256)
            if let node = output.node {
                json.raw(#","node":"#)
                json.string(node)
            }
            json.raw("}")
        }
        json.raw("]")
        if let failure = jobs[index].reportedFailure {
            json.raw(#","error":{"phase":"#)
            json.string(failure.phase.rawValue)
            json.raw(#","code":"#)
            json.string(failure.code.rawValue)
            json.raw(#","message":"#)
            json.string(failure.message)
            json.raw("}")
        }
        json.raw("}")
    }

    /// Job `index`'s report entry alone, as the report's streaming writer writes it.
    package func reportEntry(_ index: Int) -> [UInt8] {
        var json = JSONBytes()
        var shared = SharedPieces()
        writeReportEntry(index, shared: &shared, to: &json)
        return json.out
    }

    /// One `index.jsonl` line per result file of `index`'s job.
    func indexLines(_ index: Int, into text: inout String, shared: inout SharedPieces) {
        let run = jobs[index]
        for (resultIndex, output) in run.outputs.all {
            var line = JSONObjectWriter()
            writeJobDescription(index, to: &line, shared: &shared)
            line.integer("index", resultIndex)
            if let node = output.node { line.string("node", node) }
            line.string("path", output.path)
            line.integer("bytes", output.bytes)
            line.string("sha256", output.sha256.description)
            line.string("resultURL", output.url)
            line.string("taskId", run.taskId)
            line.string("cost", amount(run.cost(estimate: plan.moneyEstimate(index))))
            text += line.finish()
            text += "\n"
        }
    }

}
