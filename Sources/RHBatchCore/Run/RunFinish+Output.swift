import Crypto
import RunningHubModel

/// A sidecar's JSON before its file is known.
package struct SidecarDraft: Sendable {
    var members: [(String, JSONValue)]

    var value: JSONValue { .object(members) }

    mutating func complete(with record: OutputRecord) {
        members.append(("resultURL", .string(record.url)))
        members.append(
            (
                "file",
                .object([
                    ("path", .string(record.path)), ("bytes", .integer(record.bytes)),
                    ("sha256", .string(record.sha256.description)),
                ])
            ))
    }
}

/// What every description of a job shares: the sidecar, the index line and the report entry.
enum JobDescription {
    static func members(_ job: PlannedJob, _ run: JobRun) -> [(String, JSONValue)] {
        var images: [JSONValue] = []
        for (position, source) in job.image.sources.enumerated() {
            var members: [(String, JSONValue)] = [("id", .string(job.image.id))]
            switch source {
            case .local(let image):
                members.append(("source", .string(image.path)))
                members.append(("sha256", .string(image.sha256)))
            case .remote(let url):
                members.append(("source", .string(url)))
            }
            if position < run.inputURLs.count, !run.inputURLs[position].isEmpty {
                members.append(("uploadedURL", .string(run.inputURLs[position])))
            }
            images.append(.object(members))
        }
        return [
            ("id", .string(job.id)),
            ("key", .string(job.key)),
            ("model", .string(job.model)),
            ("endpoint", .string(job.endpoint)),
            ("prompt", .object([("id", .string(job.prompt.id)), ("text", .string(job.prompt.text))])),
            ("images", .array(images)),
            ("params", .object(job.bodyFields.map { ($0.key, $0.value) })),
            ("sample", .integer(job.sample)),
        ]
    }

    /// Seconds between two timestamps, to the millisecond.
    static func duration(_ start: String?, _ end: String?) -> Double? {
        duration(start.flatMap(Timestamp.parse), end.flatMap(Timestamp.parse))
    }

    static func duration(_ start: StoredTimestamp?, _ end: StoredTimestamp?) -> Double? {
        duration(start?.seconds, end?.seconds)
    }

    static func duration(_ start: Double?, _ end: Double?) -> Double? {
        guard let start, let end, end >= start else { return nil }
        return (end - start * 1).rounded(toPlaces: 3)
    }
}

extension RunFinish {
    /// Rewrites `index.jsonl` and `metadata.jsonl` (every result file of every succeeded job, in
    /// plan order) unless they already list exactly these files: a digest of them is kept in
    /// `.rh-batch-index`.
    @discardableResult
    func writeIndexIfChanged() throws(AtomicFile.Failure) -> Bool {
        let renderer = JobRenderer(plan: plan, jobs: jobs)
        var hasher = SHA256()
        for index in selected where jobs[index].status == .succeeded {
            hasher.update(hexOf: plan.jobs[index].digest)
            jobs[index].outputs.forEach { resultIndex, output in
                hasher.update(text: String(resultIndex))
                hasher.update(hexOf: output.sha256)
            }
        }
        let digest = hasher.finalize().hexString + "\n"
        let digestPath = folder + "/.rh-batch-index"
        if case .success(let previous) = FileSystem.readAll(digestPath), previous == Array(digest.utf8),
            FileSystem.fileInfo(folder + "/index.jsonl") != nil, FileSystem.fileInfo(folder + "/metadata.jsonl") != nil
        {
            return false
        }
        var metadata = DatasetMetadata(plan: plan, jobs: jobs, selected: selected, folder: folder)
        metadata.remoteInputs = remoteInputs
        try metadata.write()
        let writer = try AtomicFileWriter(path: folder + "/index.jsonl")
        var shared = JobRenderer.SharedPieces()
        for (count, index) in selected.enumerated() where jobs[index].status == .succeeded {
            // What jobs share is kept for a few thousand jobs at a time, not for all of them.
            if count % 4096 == 0 { shared = JobRenderer.SharedPieces() }
            var text = ""
            renderer.indexLines(index, into: &text, shared: &shared)
            writer.write(text)
        }
        try writer.commit(durable: false)
        try AtomicFile.write(Array(digest.utf8), to: digestPath, durable: false)
        return true
    }

    /// Fetches the succeeded jobs' remote inputs into `inputs/` once (an input already there is
    /// kept), with the checks results get; returns their paths by URL. Failures leave the input
    /// listed by URL.
    func fetchRemoteInputs() async -> [String: String] {
        let urls = DatasetMetadata(plan: plan, jobs: jobs, selected: selected, folder: folder).remoteURLs()
        guard options.fetchRemoteInputs, !urls.isEmpty else { return [:] }
        var present: [String: String] = [:]
        if let names = FileSystem.names(in: folder + "/inputs") {
            for name in names where name.hasPrefix("url-") {
                present[String(name.prefix { $0 != "." })] = "inputs/" + name
            }
        }
        var fetched: [String: String] = [:]
        for url in urls {
            let stem = DatasetMetadata.remoteInputStem(url)
            if let path = present[FilePath.name(of: stem)] {
                fetched[url] = path
                continue
            }
            let temporary = folder + "/" + stem + ".download"
            guard let file = try? await service.download(url: url, to: temporary, durable: false, expecting: .image)
            else { continue }
            let path = stem + "." + file.format
            if FileSystem.move(temporary, to: folder + "/" + path) {
                fetched[url] = path
            } else {
                FileSystem.remove(temporary)
            }
        }
        return fetched
    }

    /// Writes the dataset card when the manifest asks for one and the results changed (or the
    /// card is missing); a card the user edited is left alone.
    func writeDatasetCard(resultsChanged: Bool, date: String) throws(AtomicFile.Failure) -> DatasetCard.Outcome? {
        guard plan.manifest.datasetCard, resultsChanged || FileSystem.fileInfo(folder + "/README.md") == nil else {
            return nil
        }
        let facts = DatasetMetadata(plan: plan, jobs: jobs, selected: selected, folder: folder).cardFacts(date: date)
        return try DatasetCard(facts: facts).write(to: folder)
    }
}

extension Double {
    func rounded(toPlaces places: Int) -> Double {
        var factor = 1.0
        for _ in 0..<places { factor *= 10 }
        return (self * factor).rounded() / factor
    }
}
