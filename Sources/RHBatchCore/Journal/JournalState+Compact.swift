import RunningHubModel

/// The compacted journal written straight as bytes: the same lines as the records of
/// ``JournalState/forEachCompacted(at:_:)``, without making a record, a field list and a dozen
/// texts per job (a million jobs' compaction is most of a gigabyte).
extension JournalState {
    /// Appends the compacted form's lines to `out`, a job at a time, calling `flush` whenever
    /// `out` holds a megabyte or more (and once at the end).
    package func writeCompacted(at time: String, flush: (inout [UInt8]) -> Void) {
        var line = JournalBytes()
        line.json.out.reserveCapacity((1 << 20) + 64 * 1024)
        for position in sortedPositions {
            let slot = slots[position]
            guard let entry = slot.entry else { continue }
            let key = keys[position]
            line.begin(.state, at: time)
            line.digest(.key, key)
            line.text(.stage, entry.stage.rawValue)
            line.number(.attempts, entry.attempts)
            if let path = slot.path { line.text(.path, path) }
            if let taskId = entry.taskId { line.text(.taskId, taskId) }
            if let keyID = entry.keyID { line.text(.keyId, keyID) }
            if let graph = entry.graph { line.text(.graph, graph) }
            if let submitted = entry.submitted { line.timestamp(.submittedAt, submitted) }
            if let finished = entry.finished { line.timestamp(.finishedAt, finished) }
            if let cost = entry.cost { line.text(.cost, cost) }
            if let coins = entry.coins { line.text(.coins, coins) }
            if let phase = entry.phase { line.text(.phase, phase) }
            if let code = entry.code { line.text(.code, code) }
            if let message = entry.message { line.text(.message, message) }
            if !entry.inputURLs.isEmpty { line.words(.inputs, entry.inputURLs) }
            Self.writeResults(entry, to: &line)
            line.end()
            entry.downloads.forEach { index, download in
                line.begin(.downloaded, at: download.at)
                line.digest(.key, key)
                line.number(.index, index)
                line.text(.path, download.path)
                line.digest(.sha256, download.sha256)
                line.number(.bytes, download.bytes)
                if let mtime = download.mtime { line.number(.mtime, mtime) }
                line.end()
            }
            if line.json.out.count >= 1 << 20 { flush(&line.json.out) }
        }
        flush(&line.json.out)
    }

    /// The `urls` and `types` members: as recorded when they are one plain word each (most
    /// jobs), else rebuilt from the results as ``forEachCompacted(at:_:)`` does.
    private static func writeResults(_ entry: JournalEntry, to line: inout JournalBytes) {
        if let urls = entry.resultURLs, !urls.isEmpty, !urls.utf8.contains(0x20),
            entry.resultTypes.map({ !$0.utf8.contains(0x20) }) ?? true
        {
            line.text(.urls, urls)
            if let types = entry.resultTypes, !types.isEmpty { line.text(.types, types) }
            if let nodes = entry.resultNodes, !nodes.isEmpty { line.text(.nodes, nodes) }
            return
        }
        let results = entry.results
        guard !results.isEmpty else { return }
        line.text(.urls, results.map(\.url).joined(separator: " "))
        if results.contains(where: { $0.outputType != nil }) {
            line.text(.types, results.map { $0.outputType ?? "" }.joined(separator: " "))
        }
        if results.contains(where: { $0.nodeId != nil }) { line.text(.nodes, JournalState.nodesText(results)) }
    }
}

/// Journal lines written as bytes, as ``JournalRecord/line`` writes them.
struct JournalBytes {
    var json = JSONBytes()

    /// `{"event":"EVENT","at":"AT"`
    mutating func begin(_ event: JournalRecord.Event, at time: String) {
        start(event)
        json.string(time)
    }

    mutating func begin(_ event: JournalRecord.Event, at time: StoredTimestamp) {
        start(event)
        json.timestamp(time)
    }

    private mutating func start(_ event: JournalRecord.Event) {
        json.raw(#"{"event":""#)
        json.raw(event.rawValue)
        json.raw(#"","at":"#)
    }

    mutating func end() {
        json.raw("}\n")
    }

    private mutating func name(_ field: JournalField) {
        json.raw(#",""#)
        json.out += JournalField.nameBytes[field.rawValue]
        json.raw(#"":"#)
    }

    mutating func text(_ name: JournalField, _ value: String) {
        self.name(name)
        json.string(value)
    }

    mutating func number(_ name: JournalField, _ value: Int) {
        self.name(name)
        json.integer(value)
    }

    mutating func digest(_ name: JournalField, _ value: HexDigest) {
        self.name(name)
        json.digest(value)
    }

    mutating func timestamp(_ name: JournalField, _ value: StoredTimestamp) {
        self.name(name)
        json.timestamp(value)
    }

    /// Words joined by spaces, as one text.
    mutating func words(_ name: JournalField, _ words: [String]) {
        if words.count == 1 { return text(name, words[0]) }
        text(name, words.joined(separator: " "))
    }
}
