import YAML

extension RunFinish {
    /// Writes `report.html` (see ``ContactSheet``) when this run changed any job or the page is
    /// missing: a resume that found everything done leaves the page it finds.
    func writeContactSheetIfChanged(totals: RunTotals, startedAt: String, finishedAt: String) throws(AtomicFile.Failure)
    {
        let path = folder + "/report.html"
        guard journal.jobRecordsAppended > 0 || FileSystem.fileInfo(path) == nil else { return }
        var placed: [String: Bool] = [:]
        // Written as the jobs are described, one at a time: a million-job page is never held.
        func describe(_ add: (ContactSheet.Job) -> Void) {
            for index in selected {
                let job = plan.jobs[index]
                let run = jobs[index]
                let inputs = job.image.sources.map { source -> (id: String, path: String?, source: String) in
                    switch source {
                    case .local(let image):
                        let name = DatasetMetadata.inputName(image)
                        let exists = placed[name] ?? (FileSystem.fileInfo(folder + "/" + name) != nil)
                        placed[name] = exists
                        return (Self.stem(image.path), exists ? name : nil, image.path)
                    case .remote(let url):
                        return (Self.stem(url), nil, url)
                    }
                }
                let fields = job.bodyFields.map { field -> (String, String) in
                    if case .string(let text) = field.value { return (field.key, text) }
                    return (field.key, field.value.json)
                }
                let cost = run.cost ?? (run.status == .succeeded ? job.price : .zero)
                add(
                    ContactSheet.Job(
                        key: job.key, model: job.model, promptID: job.prompt.id, prompt: job.prompt.text,
                        inputs: inputs, fields: fields, sample: job.sample, status: run.status.rawValue,
                        outputs: run.status == .succeeded ? run.outputs.values.map(\.path) : [],
                        cost: "\(cost) \(plan.currency)",
                        seconds: JobDescription.duration(run.submittedAt, run.finishedAt), taskID: run.taskId,
                        reason: run.status == .succeeded
                            ? nil : run.failure.map { "\($0.phase.rawValue) \($0.code): \($0.message)" }
                    ))
            }
            for skipped in plan.skipped {
                add(
                    ContactSheet.Job(
                        key: "", model: "(skipped)", promptID: "", prompt: skipped.summary, inputs: [], fields: [],
                        sample: 1,
                        status: "skipped", outputs: [], cost: "0 \(plan.currency)", seconds: nil, taskID: nil,
                        reason:
                            "\(plan.manifest.file):\(skipped.mark.line):\(skipped.mark.column): \(skipped.path): \(skipped.reason)"
                    ))
            }
        }
        let header = ContactSheet.Header(
            name: plan.manifest.name,
            totals: [
                ("jobs", totals.jobs), ("succeeded", totals.succeeded), ("alreadyDone", totals.alreadyDone),
                ("failed", totals.failed), ("unknown", totals.unknown), ("timeout", totals.timeout),
                ("cancelled", totals.cancelled), ("skipped", totals.skipped),
            ],
            cost: "\(totals.cost) \(plan.currency)",
            durationSeconds: JobDescription.duration(startedAt, finishedAt),
            simulated: options.simulated,
            finishedAt: finishedAt
        )
        let writer = try AtomicFileWriter(path: path)
        ContactSheet.write(header: header, to: writer.write, jobs: describe)
        try writer.commit(durable: false)
    }

    /// A file's name without its folder and extension, as an input's label.
    static func stem(_ path: String) -> String {
        let name = path.split(separator: "/").last.map(String.init) ?? path
        guard let dot = name.lastIndex(of: "."), dot != name.startIndex else { return name }
        return String(name[..<dot])
    }
}
