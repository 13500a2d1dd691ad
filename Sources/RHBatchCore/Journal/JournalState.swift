import RunningHubModel

/// What the journal says about one job, folded from its records.
///
/// Held compactly, since a folder's journal may cover a million jobs: times as milliseconds,
/// hashes as bytes, texts many jobs share (input URLs, result types, costs) once per folder,
/// failure texts out of line, and the usual single result inline.
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
    /// For a workflow or app job: SHA-256 of the graph or field list it was sent with.
    package var graph: String?
    /// When the (last) task was submitted and finished.
    package var submitted: StoredTimestamp?
    package var finished: StoredTimestamp?
    /// The URL each input image was sent as (one list shared by the jobs of the same inputs).
    package var inputURLs: [String] = []
    /// Result URLs and types of a succeeded task, space-separated as recorded.
    package var resultURLs: String?
    package var resultTypes: String?
    /// What it cost, as reported.
    package var cost: String?
    /// What a workflow or app task cost in RH coins, as reported.
    package var coins: String?
    /// The output node of each result of a workflow or app task, space-separated (`-`: none).
    package var resultNodes: String?
    /// Failure details (rare: kept out of line).
    private var failure: Boxed<FailureText>?
    /// Written results, by index.
    package var downloads = ResultList<Download>()

    /// Makes an entry at `stage`.
    package init(stage: Stage) {
        self.stage = stage
    }

    /// A result written to disk.
    package struct Download: Sendable, Hashable {
        /// Relative to the output root.
        package var path: String
        package var sha256: HexDigest
        package var bytes: Int
        package var at: StoredTimestamp
        /// The file's modification time (ns since 1970) when it was written.
        package var mtime: Int?
    }

    /// A failure's phase, code and message.
    struct FailureText: Sendable, Hashable {
        var phase: String?
        var code: String?
        var message: String?
    }

    package var phase: String? { failure?.value.phase }
    package var code: String? { failure?.value.code }
    package var message: String? { failure?.value.message }

    /// Sets (or, with all three `nil`, clears) the failure details.
    package mutating func setFailure(phase: String?, code: String?, message: String?) {
        failure =
            phase == nil && code == nil && message == nil
            ? nil : Boxed(FailureText(phase: phase, code: code, message: message))
    }

    package var submittedAt: String? { submitted?.text }
    package var finishedAt: String? { finished?.text }

    /// Result URLs and types of a succeeded task.
    package var results: [TaskResult] {
        JournalState.results(urls: resultURLs, types: resultTypes, nodes: resultNodes)
    }

    /// True when every result of a succeeded task has been written.
    package var isComplete: Bool {
        let count = results.count
        return stage == .succeeded && count > 0 && (1...count).allSatisfy { downloads[$0] != nil }
    }
}

/// The whole journal folded into one entry per job key.
package struct JournalState: Sendable {
    /// One job key's entry (once it was submitted) and output template (once it was planned).
    struct Slot: Sendable {
        var entry: JournalEntry?
        var path: String?
    }

    /// Job keys as bytes, to their place in ``keys`` and ``slots``.
    private var positions: [HexDigest: Int32] = [:]
    private(set) var keys: [HexDigest] = []
    private(set) var slots: [Slot] = []
    /// Jobs with an entry.
    package private(set) var entryCount = 0
    /// Whether it knows no job at all.
    package var isEmpty: Bool { keys.isEmpty }
    /// Upload URLs by image SHA-256, from the latest run.
    package var uploads: [String: String] = [:]
    /// Runs recorded.
    package var runs = 0
    /// Texts many jobs share, held once.
    private var sharedTexts = SharedValues<String, String>()
    /// Input URL lists many jobs share, held once, by their recorded text.
    private var sharedLists = SharedValues<String, [String]>()

    /// Makes an empty state, with room for about `capacity` jobs.
    package init(capacity: Int = 0) {
        positions.reserveCapacity(capacity)
        keys.reserveCapacity(capacity)
        slots.reserveCapacity(capacity)
    }

    private func slot(_ key: HexDigest) -> Slot? {
        positions[key].map { slots[Int($0)] }
    }

    /// The entry of job `key`, once it was submitted.
    package func entry(_ key: String) -> JournalEntry? {
        slot(HexDigest(key))?.entry
    }

    /// The entry of the job whose key is `digest`, once it was submitted.
    package func entry(_ digest: HexDigest) -> JournalEntry? {
        slot(digest)?.entry
    }

    /// Where the job whose key is `digest` is held (planned or submitted), for
    /// ``subscript(position:)``: a run looks each job up once, not once per pass.
    package func position(_ digest: HexDigest) -> Int32? {
        positions[digest]
    }

    /// The entry held at `position`, read in place.
    package subscript(position position: Int32) -> JournalEntry? {
        _read { yield slots[Int(position)].entry }
    }

    /// The output template a `planned` or `state` record gave job `key`.
    package func plannedPath(_ key: String) -> String? {
        slot(HexDigest(key))?.path
    }

    /// How many records the compacted form has: a `state` line per entry, a `downloaded` line
    /// per written result.
    package var compactedRecordCount: Int {
        var count = 0
        for position in slots.indices {
            // Read in place, not a copy of each entry.
            if let downloads = slots[position].entry?.downloads.count { count += 1 + downloads }
        }
        return count
    }

    /// Places in key order.
    var sortedPositions: [Int] {
        keys.indices.sorted { keys[$0] < keys[$1] }
    }

    /// Every job with an entry, by key in text order.
    package func forEachEntry(_ body: (String, JournalEntry) -> Void) {
        for position in sortedPositions {
            guard let entry = slots[position].entry else { continue }
            body(keys[position].description, entry)
        }
    }

    /// Every job with an entry (tests and small folders).
    package var entries: [String: JournalEntry] {
        var all: [String: JournalEntry] = [:]
        forEachEntry { all[$0] = $1 }
        return all
    }

    /// `text` held once per folder when many jobs share it.
    private mutating func share(_ text: String?) -> String? {
        text.map { sharedTexts.value($0) }
    }

    /// The words of `text`, one list per folder when many jobs share it.
    private mutating func sharedWords(_ text: String?) -> [String] {
        guard let text, !text.isEmpty else { return [] }
        return sharedLists.value(for: text) { Self.words($0) }
    }

    /// Space-separated words; most fields hold one, so that case skips the general split.
    static func words(_ text: String?) -> [String] {
        guard let text, !text.isEmpty else { return [] }
        if !text.utf8.contains(UInt8(ascii: " ")) { return [text] }
        return text.split(separator: " ", omittingEmptySubsequences: false).map(String.init)
    }

    static func results(urls: String?, types: String?, nodes: String? = nil) -> [TaskResult] {
        let urls = words(urls).filter { !$0.isEmpty }
        let types = words(types)
        let nodes = words(nodes)
        return urls.enumerated().map {
            TaskResult(
                url: $1, outputType: $0 < types.count && !types[$0].isEmpty ? types[$0] : nil,
                nodeId: $0 < nodes.count && !nodes[$0].isEmpty && nodes[$0] != "-" ? nodes[$0] : nil)
        }
    }

    /// Results' output nodes as the journal writes them: space-separated, `-` for none.
    package static func nodesText(_ results: [TaskResult]) -> String {
        results.map { $0.nodeId.flatMap { $0.isEmpty || $0.contains(" ") ? nil : $0 } ?? "-" }.joined(separator: " ")
    }

    /// Applies one record.
    package mutating func apply(_ record: JournalRecord) {
        fold(record)
    }

    /// Applies one record: one made in memory, or one line read in place.
    private mutating func fold(_ record: some JournalFields) {
        switch record.event {
        case .run:
            runs += 1
            uploads = [:]
            return
        case .uploaded:
            if let sha = record[.sha256], let url = record[.url] { uploads[sha] = url }
            return
        default:
            break
        }
        guard let key = record.digest(.key) else { return }
        let position: Int
        if let known = positions[key] {
            position = Int(known)
        } else {
            position = slots.count
            positions[key] = Int32(position)
            keys.append(key)
            slots.append(Slot())
        }
        if record.event == .planned {
            if let path = record[.path] { slots[position].path = path }
            return
        }
        // The texts many jobs share are looked up first; the entry then changes in place.
        var shared = SharedFields()
        switch record.event {
        case .submitted:
            shared.keyID = share(record[.keyId])
            shared.graph = share(record[.graph])
            shared.inputs = sharedWords(record[.inputs])
        case .finished:
            shared.cost = share(record[.cost])
            shared.types = share(record[.types])
            shared.coins = share(record[.coins])
            shared.nodes = share(record[.nodes])
        case .state:
            shared.keyID = share(record[.keyId])
            shared.graph = share(record[.graph])
            shared.cost = share(record[.cost])
            shared.types = share(record[.types])
            shared.coins = share(record[.coins])
            shared.nodes = share(record[.nodes])
            shared.inputs = sharedWords(record[.inputs])
            if let path = record[.path] { slots[position].path = path }
        default:
            break
        }
        if slots[position].entry == nil {
            entryCount += 1
            slots[position].entry = JournalEntry(stage: .submitting)
        }
        Self.update(&slots[position].entry!, with: record, shared)
    }

    /// The texts of a record held once per folder, looked up before its entry changes.
    private struct SharedFields {
        var keyID: String?
        var graph: String?
        var cost: String?
        var types: String?
        var coins: String?
        var nodes: String?
        var inputs: [String] = []
    }

    /// Applies a job's record to its entry, in place.
    private static func update(_ entry: inout JournalEntry, with record: some JournalFields, _ shared: SharedFields) {
        switch record.event {
        case .submitting:
            entry.stage = .submitting
            entry.attempts = max(entry.attempts + 1, record.number(.attempt) ?? 0)
            entry.taskId = nil
            entry.keyID = nil
            entry.graph = nil
            entry.resultURLs = nil
            entry.resultTypes = nil
            entry.resultNodes = nil
            entry.coins = nil
            entry.downloads = ResultList()
            entry.setFailure(phase: nil, code: nil, message: nil)
        case .submitted:
            entry.stage = .submitted
            entry.taskId = record[.taskId]
            entry.keyID = shared.keyID
            entry.graph = shared.graph
            entry.submitted = record.time
            entry.inputURLs = shared.inputs
        case .finished:
            entry.taskId = record[.taskId] ?? entry.taskId
            entry.finished = record.time
            entry.cost = shared.cost
            entry.coins = shared.coins
            entry.resultURLs = record[.urls]
            entry.resultTypes = shared.types
            entry.resultNodes = shared.nodes
            switch record[.status] {
            case "succeeded": entry.stage = .succeeded
            case "cancelled", "timeout": entry.stage = .cancelled
            default: entry.stage = .failed
            }
            entry.setFailure(
                phase: entry.stage == .succeeded ? nil : "poll", code: record[.code], message: record[.message])
        case .downloaded:
            if let index = record.number(.index), let path = record[.path], let sha = record.digest(.sha256) {
                entry.downloads[index] = .init(
                    path: path,
                    sha256: sha,
                    bytes: record.number(.bytes) ?? 0,
                    at: record.time,
                    mtime: record.number(.mtime)
                )
            }
        case .refused:
            entry.stage = .refused
            entry.setFailure(phase: entry.phase, code: record[.code], message: record[.message])
        case .failed:
            entry.stage = .failed
            entry.setFailure(phase: record[.phase], code: record[.code], message: record[.message])
        case .unknown:
            entry.stage = .unknown
            entry.setFailure(phase: entry.phase, code: record[.code], message: record[.message])
        case .state:
            entry.stage = record[.stage].flatMap(JournalEntry.Stage.init(rawValue:)) ?? entry.stage
            entry.attempts = record.number(.attempts) ?? entry.attempts
            entry.taskId = record[.taskId]
            entry.keyID = shared.keyID
            entry.graph = shared.graph
            entry.submitted = record.timestamp(.submittedAt)
            entry.finished = record.timestamp(.finishedAt)
            entry.cost = shared.cost
            entry.coins = shared.coins
            entry.setFailure(phase: record[.phase], code: record[.code], message: record[.message])
            entry.resultURLs = record[.urls]
            entry.resultTypes = shared.types
            entry.resultNodes = shared.nodes
            entry.inputURLs = shared.inputs
            entry.downloads = ResultList()
        case .run, .uploaded, .planned:
            break
        }
    }

    /// Applies one line of the journal (without its newline); false when it is not a record.
    package mutating func apply(line: UnsafeBufferPointer<UInt8>) -> Bool {
        if let record = JournalLine(line) {
            fold(record)
        } else if let record = JournalRecord.parse(line) {
            fold(record)
        } else {
            return false
        }
        return true
    }

    /// The compacted records that reproduce this state: one `state` line per job, then its
    /// `downloaded` lines.
    package func compacted(at time: String) -> [JournalRecord] {
        var records: [JournalRecord] = []
        records.reserveCapacity(entryCount * 2)
        forEachCompacted(at: time) { records.append($0) }
        return records
    }

    /// The same records one at a time, without holding them all.
    package func forEachCompacted(at time: String, _ body: (JournalRecord) -> Void) {
        for position in sortedPositions {
            let slot = slots[position]
            guard let entry = slot.entry else { continue }
            let key = keys[position].description
            var fields: [(JournalField, JournalRecord.FieldValue)] = [
                (.key, .text(key)), (.stage, .text(entry.stage.rawValue)), (.attempts, .number(entry.attempts)),
            ]
            if let path = slot.path { fields.append((.path, .text(path))) }
            func add(_ name: JournalField, _ value: String?) {
                if let value { fields.append((name, .text(value))) }
            }
            add(.taskId, entry.taskId)
            add(.keyId, entry.keyID)
            add(.graph, entry.graph)
            add(.submittedAt, entry.submittedAt)
            add(.finishedAt, entry.finishedAt)
            add(.cost, entry.cost)
            add(.coins, entry.coins)
            add(.phase, entry.phase)
            add(.code, entry.code)
            add(.message, entry.message)
            if !entry.inputURLs.isEmpty { add(.inputs, entry.inputURLs.joined(separator: " ")) }
            let results = entry.results
            if !results.isEmpty {
                add(.urls, results.map(\.url).joined(separator: " "))
                if results.contains(where: { $0.outputType != nil }) {
                    add(.types, results.map { $0.outputType ?? "" }.joined(separator: " "))
                }
                if results.contains(where: { $0.nodeId != nil }) { add(.nodes, JournalState.nodesText(results)) }
            }
            body(JournalRecord(.state, at: time, members: fields))
            for (index, download) in entry.downloads.all {
                var fields: [(JournalField, JournalRecord.FieldValue)] = [
                    (.key, .text(key)), (.index, .number(index)), (.path, .text(download.path)),
                    (.sha256, .text(download.sha256.description)), (.bytes, .number(download.bytes)),
                ]
                if let mtime = download.mtime { fields.append((.mtime, .number(mtime))) }
                body(JournalRecord(.downloaded, at: download.at.text, members: fields))
            }
        }
    }
}
