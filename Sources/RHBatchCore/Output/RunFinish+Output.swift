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

/// A job's description: the members that its sidecar, its `index.jsonl` lines and its
/// `report.json` entry all begin with, made here only, so the three cannot drift apart.
enum JobDescription {
    /// The description in four groups of members, as ``JobRenderer/SharedPieces`` keeps them
    /// rendered (what many jobs share: a model's, a prompt's, an input's) around the job's own
    /// `id`, `key` and `sample`.
    struct Parts {
        /// `model`, `endpoint`.
        var model: [(String, JSONValue)]
        /// `prompt` (`id`, `text`).
        var prompt: [(String, JSONValue)]
        /// `images`: each input's `id`, `source`, `sha256` (local files) and `uploadedURL`.
        var images: [(String, JSONValue)]
        /// `media` (inputs other than the main image, when the job has some) and `params`.
        var params: [(String, JSONValue)]
    }

    static func modelPart(_ job: PlannedJob) -> [(String, JSONValue)] {
        [("model", .string(job.model)), ("endpoint", .string(job.endpoint))]
    }

    static func promptPart(_ prompt: PromptRef) -> [(String, JSONValue)] {
        [("prompt", .object([("id", .string(prompt.id)), ("text", .string(prompt.text))]))]
    }

    static func imagesPart(_ input: ImageInput, urls: [String]) -> [(String, JSONValue)] {
        var images: [JSONValue] = []
        for (position, source) in input.sources.enumerated() {
            var members: [(String, JSONValue)] = [("id", .string(input.id))]
            switch source {
            case .local(let image):
                members.append(("source", .string(image.path)))
                members.append(("sha256", .string(image.sha256)))
            case .remote(let url):
                members.append(("source", .string(url)))
            }
            if position < urls.count, !urls[position].isEmpty {
                members.append(("uploadedURL", .string(urls[position])))
            }
            images.append(.object(members))
        }
        return [("images", .array(images))]
    }

    static func paramsPart(_ job: PlannedJob) -> [(String, JSONValue)] {
        var members: [(String, JSONValue)] = []
        if !job.media.isEmpty {
            // Media inputs other than the main image: the body key and each file's source.
            let media = job.media.map { field -> JSONValue in
                .object([
                    ("field", .string(field.apiKey)), ("id", .string(field.input.id)),
                    ("sources", .array(field.input.sources.map { .string($0.reference) })),
                ])
            }
            members.append(("media", .array(media)))
        }
        members.append(("params", .object(job.bodyFields.map { ($0.key, $0.value) })))
        return members
    }

    /// The whole description of `job`, sent with the input URLs `urls`, in order.
    static func members(_ job: PlannedJob, urls: [String]) -> [(String, JSONValue)] {
        [("id", .string(job.id)), ("key", .string(job.key))] + modelPart(job) + promptPart(job.prompt)
            + imagesPart(job.image, urls: urls) + paramsPart(job) + [("sample", .integer(job.sample))]
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
