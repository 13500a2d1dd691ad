import YAML

extension RunFinish {
    /// Writes `report.html` (see ``ContactSheet``) when this run changed any job or the page is
    /// missing: a resume that found everything done leaves the page it finds.
    func writeContactSheetIfChanged(totals: RunTotals, startedAt: String, finishedAt: String) throws(AtomicFile.Failure)
    {
        let path = folder + "/report.html"
        guard journal.jobRecordsAppended > 0 || FileSystem.fileInfo(path) == nil else { return }
        let placed = ContactSheet.placedInputs(in: folder)
        // Written as the jobs are described, one at a time: a million-job page is never held.
        func describe(_ add: (ContactSheet.Job) -> Void) {
            for index in selected {
                let report = JobReport(
                    job: plan.jobs[index], run: jobs[index], currency: plan.moneyCurrency,
                    estimate: plan.moneyEstimate(index))
                add(ContactSheet.Job(report, placedInputs: placed, currency: plan.moneyCurrency))
            }
            for skipped in plan.skipped {
                let report = JobReport(skipped: skipped, location: plan.location(skipped.mark))
                add(ContactSheet.Job(report, placedInputs: placed, currency: plan.moneyCurrency))
            }
        }
        let header = ContactSheet.Header(
            name: plan.manifest.name,
            totals: totals.counts.sheetCounts,
            cost: "\(totals.cost) \(plan.moneyCurrency)" + (totals.coins == .zero ? "" : " + \(totals.coins) RH coins"),
            durationSeconds: JobDescription.duration(startedAt, finishedAt),
            simulated: options.simulated,
            finishedAt: finishedAt
        )
        let writer = try AtomicFileWriter(path: path)
        ContactSheet.write(header: header, to: writer.write, jobs: describe)
        try writer.commit(durable: false)
    }
}

extension ContactSheet {
    /// The input files placed under `inputs/` of `folder`, by the 16 hex digits of their hash
    /// that name them.
    package static func placedInputs(in folder: String) -> [String: String] {
        var byHash: [String: String] = [:]
        for name in FileSystem.names(in: folder + "/inputs") ?? [] where !name.hasPrefix(".") {
            byHash[String(name.prefix { $0 != "." })] = "inputs/" + name
        }
        return byHash
    }

    /// A file's name without its folder and extension, as an input's label.
    static func stem(_ path: String) -> String {
        let name = path.split(separator: "/").last.map(String.init) ?? path
        guard let dot = name.lastIndex(of: "."), dot != name.startIndex else { return name }
        return String(name[..<dot])
    }
}

extension ContactSheet.Header {
    /// The header of a report read back.
    package init(_ report: ReportFile) {
        self.init(
            name: report.manifest.name, totals: report.totals.counts.sheetCounts,
            cost: "\(report.totals.cost.amount) \(report.totals.cost.currency)",
            durationSeconds: report.durationSeconds, simulated: report.simulated, finishedAt: report.finishedAt)
    }
}

extension ContactSheet.Job {
    /// A job's cell, from its record: the one way both a run and `view` describe a job.
    ///
    /// - Parameters:
    ///   - placedInputs: the folder's placed inputs by hash (``ContactSheet/placedInputs(in:)``).
    ///   - currency: for a record without a cost (a skipped job).
    package init(_ report: JobReport, placedInputs: [String: String], currency: String) {
        let skipped = report.key == nil
        let fields = (report.params.flatMap { if case .object(let members) = $0 { members } else { nil } } ?? [])
            .sorted { $0.0 < $1.0 }
            .map { key, value -> (String, String) in
                if case .string(let text) = value { return (key, text) }
                return (key, value.json)
            }
        let succeeded = report.status == JobStatus.succeeded.rawValue
        self.init(
            key: report.key ?? "",
            model: skipped ? "(skipped)" : report.model ?? "",
            promptID: report.prompt?.id ?? "",
            prompt: skipped ? report.summary ?? "" : report.prompt?.text ?? "",
            inputs: (report.images ?? []).map { image in
                (
                    ContactSheet.stem(image.source), image.sha256.flatMap { placedInputs[String($0.prefix(16))] },
                    image.source
                )
            },
            fields: fields,
            sample: report.sample ?? 1,
            status: report.status,
            outputs: succeeded ? (report.outputs ?? []).map(\.path) : [],
            // A workflow or app job is billed in RH coins, not money.
            cost: report.coins.map { "\($0) RH coins" }
                ?? "\(report.cost?.amount ?? "0") \(report.cost?.currency ?? currency)",
            seconds: report.durationSeconds,
            taskID: report.taskId,
            reason: succeeded ? nil : report.error.map { "\($0.phase) \($0.code): \($0.message)" }
        )
    }
}
