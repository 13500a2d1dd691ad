import RunningHubModel

/// What the journal says about one job, folded from its records.
package struct JournalEntry: Sendable, Hashable {
    /// Where the job stands.
    package enum Stage: String, Sendable, Hashable {
        /// A submit was about to go out and no answer was recorded: it may have created a task.
        case submitting
        /// Every submit so far was refused before a task existed: the job is still to do.
        case refused
        /// A task exists and had not finished when last seen.
        case submitted
        /// The task succeeded; see ``JournalEntry/downloads`` for what was written.
        case succeeded
        /// The job failed.
        case failed
        /// The submit's outcome is unknown.
        case unknown
        /// The task was cancelled or timed out.
        case cancelled
    }

    /// Where the job stands.
    package var stage: Stage
    /// Submits sent for it, over all runs.
    package var attempts = 0
    /// The task id, once submitted.
    package var taskId: String?
    /// The fingerprint of the key that created the task, when the run had several keys.
    package var keyID: String?
    /// When the (last) task was submitted and finished.
    package var submittedAt: String?
    package var finishedAt: String?
    /// The URL each input image was sent as.
    package var inputURLs: [String] = []
    /// Result URLs and types of a succeeded task.
    package var results: [TaskResult] = []
    /// What it cost, as reported.
    package var cost: String?
    /// Failure details.
    package var phase: String?
    package var code: String?
    package var message: String?
    /// Written results by index (from 1).
    package var downloads: [Int: Download] = [:]

    /// A result written to disk.
    package struct Download: Sendable, Hashable {
        /// Relative to the output root.
        package var path: String
        package var sha256: String
        package var bytes: Int
        package var at: String
        /// The file's modification time (ns since 1970) when it was written.
        package var mtime: Int?
    }

    /// True when every result of a succeeded task has been written.
    package var isComplete: Bool {
        stage == .succeeded && !results.isEmpty && (1...results.count).allSatisfy { downloads[$0] != nil }
    }
}

/// The whole journal folded into one entry per job key.
package struct JournalState: Sendable {
    /// Entries by job key.
    package var entries: [String: JournalEntry] = [:]
    /// Upload URLs by image SHA-256, from the latest run.
    package var uploads: [String: String] = [:]
    /// Output templates by key, from `planned` records.
    package var plannedPaths: [String: String] = [:]
    /// Runs recorded.
    package var runs = 0

    /// Makes an empty state, with room for about `capacity` jobs.
    package init(capacity: Int = 0) {
        entries.reserveCapacity(capacity)
    }

    /// Space-separated words; most fields hold one, so that case skips the general split.
    static func words(_ text: String?) -> [String] {
        guard let text, !text.isEmpty else { return [] }
        if !text.utf8.contains(UInt8(ascii: " ")) { return [text] }
        return text.split(separator: " ", omittingEmptySubsequences: false).map(String.init)
    }

    static func results(urls: String?, types: String?) -> [TaskResult] {
        let urls = words(urls).filter { !$0.isEmpty }
        let types = words(types)
        return urls.enumerated().map { TaskResult(url: $1, outputType: $0 < types.count && !types[$0].isEmpty ? types[$0] : nil) }
    }

    /// Applies one record.
    package mutating func apply(_ record: JournalRecord) {
        switch record.event {
        case .run:
            runs += 1
            uploads = [:]
            return
        case .uploaded:
            if let sha = record["sha256"], let url = record["url"] { uploads[sha] = url }
            return
        default:
            break
        }
        guard let key = record["key"] else { return }
        if record.event == .planned {
            if let path = record["path"] { plannedPaths[key] = path }
            return
        }
        var entry = entries[key] ?? JournalEntry(stage: .submitting)
        switch record.event {
        case .submitting:
            entry.stage = .submitting
            entry.attempts = max(entry.attempts + 1, record.number("attempt") ?? 0)
            entry.taskId = nil
            entry.keyID = nil
            entry.results = []
            entry.downloads = [:]
            entry.code = nil
            entry.message = nil
            entry.phase = nil
        case .submitted:
            entry.stage = .submitted
            entry.taskId = record["taskId"]
            entry.keyID = record["keyId"]
            entry.submittedAt = record.at
            entry.inputURLs = Self.words(record["inputs"])
        case .finished:
            entry.taskId = record["taskId"] ?? entry.taskId
            entry.finishedAt = record.at
            entry.cost = record["cost"]
            entry.results = Self.results(urls: record["urls"], types: record["types"])
            switch record["status"] {
            case "succeeded": entry.stage = .succeeded
            case "cancelled", "timeout": entry.stage = .cancelled
            default: entry.stage = .failed
            }
            entry.code = record["code"]
            entry.message = record["message"]
            entry.phase = entry.stage == .succeeded ? nil : "poll"
        case .downloaded:
            if let index = record.number("index"), let path = record["path"], let sha = record["sha256"] {
                entry.downloads[index] = .init(
                    path: path,
                    sha256: sha,
                    bytes: record.number("bytes") ?? 0,
                    at: record.at,
                    mtime: record.number("mtime")
                )
            }
        case .refused:
            entry.stage = .refused
            entry.code = record["code"]
            entry.message = record["message"]
        case .failed:
            entry.stage = .failed
            entry.phase = record["phase"]
            entry.code = record["code"]
            entry.message = record["message"]
        case .unknown:
            entry.stage = .unknown
            entry.code = record["code"]
            entry.message = record["message"]
        case .state:
            entry.stage = record["stage"].flatMap(JournalEntry.Stage.init(rawValue:)) ?? entry.stage
            entry.attempts = record.number("attempts") ?? entry.attempts
            entry.taskId = record["taskId"]
            entry.keyID = record["keyId"]
            entry.submittedAt = record["submittedAt"]
            entry.finishedAt = record["finishedAt"]
            entry.cost = record["cost"]
            entry.phase = record["phase"]
            entry.code = record["code"]
            entry.message = record["message"]
            entry.results = Self.results(urls: record["urls"], types: record["types"])
            entry.inputURLs = Self.words(record["inputs"])
            entry.downloads = [:]
            if let path = record["path"] { plannedPaths[key] = path }
        case .run, .uploaded, .planned:
            break
        }
        entries[key] = entry
    }

    /// The compacted records that reproduce this state: one `state` line per job, then its
    /// `downloaded` lines.
    package func compacted(at time: String) -> [JournalRecord] {
        var records: [JournalRecord] = []
        records.reserveCapacity(entries.count * 2)
        forEachCompacted(at: time) { records.append($0) }
        return records
    }

    /// The same records one at a time, without holding them all.
    package func forEachCompacted(at time: String, _ body: (JournalRecord) -> Void) {
        for key in entries.keys.sorted() {
            let entry = entries[key]!
            var fields: [(String, JournalRecord.FieldValue)] = [
                ("key", .text(key)), ("stage", .text(entry.stage.rawValue)), ("attempts", .number(entry.attempts)),
            ]
            if let path = plannedPaths[key] { fields.append(("path", .text(path))) }
            func add(_ name: String, _ value: String?) {
                if let value { fields.append((name, .text(value))) }
            }
            add("taskId", entry.taskId)
            add("keyId", entry.keyID)
            add("submittedAt", entry.submittedAt)
            add("finishedAt", entry.finishedAt)
            add("cost", entry.cost)
            add("phase", entry.phase)
            add("code", entry.code)
            add("message", entry.message)
            if !entry.inputURLs.isEmpty { add("inputs", entry.inputURLs.joined(separator: " ")) }
            if !entry.results.isEmpty {
                add("urls", entry.results.map(\.url).joined(separator: " "))
                add("types", entry.results.map { $0.outputType ?? "" }.joined(separator: " "))
            }
            body(JournalRecord(.state, at: time, fields))
            for index in entry.downloads.keys.sorted() {
                let download = entry.downloads[index]!
                var fields: [(String, JournalRecord.FieldValue)] = [
                    ("key", .text(key)), ("index", .number(index)), ("path", .text(download.path)),
                    ("sha256", .text(download.sha256)), ("bytes", .number(download.bytes)),
                ]
                if let mtime = download.mtime { fields.append(("mtime", .number(mtime))) }
                body(JournalRecord(.downloaded, at: download.at, fields))
            }
        }
    }
}
