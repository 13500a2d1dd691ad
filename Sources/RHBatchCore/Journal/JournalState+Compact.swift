import RunningHubModel

/// The compacted journal written straight as bytes: the same lines as the records of
/// ``JournalState/forEachCompacted(at:_:)``, without making a record, a field list and a dozen
/// texts per job (a million jobs' compaction is most of a gigabyte).
extension JournalState {
    /// Appends the compacted form's lines to `out`, a job at a time, calling `flush` whenever
    /// `out` holds a megabyte or more (and once at the end).
    package func writeCompacted(at time: String, flush: (inout [UInt8]) -> Void) {
        var line = JournalBytes(out: [])
        line.out.reserveCapacity((1 << 20) + 64 * 1024)
        for position in sortedPositions {
            let slot = slots[position]
            guard let entry = slot.entry else { continue }
            let key = keys[position]
            line.begin(.state, at: time)
            line.digest("key", key)
            line.text("stage", entry.stage.rawValue)
            line.number("attempts", entry.attempts)
            if let path = slot.path { line.text("path", path) }
            if let taskId = entry.taskId { line.text("taskId", taskId) }
            if let keyID = entry.keyID { line.text("keyId", keyID) }
            if let submitted = entry.submitted { line.timestamp("submittedAt", submitted) }
            if let finished = entry.finished { line.timestamp("finishedAt", finished) }
            if let cost = entry.cost { line.text("cost", cost) }
            if let phase = entry.phase { line.text("phase", phase) }
            if let code = entry.code { line.text("code", code) }
            if let message = entry.message { line.text("message", message) }
            if !entry.inputURLs.isEmpty { line.words("inputs", entry.inputURLs) }
            Self.writeResults(entry, to: &line)
            line.end()
            entry.downloads.forEach { index, download in
                line.begin(.downloaded, at: download.at)
                line.digest("key", key)
                line.number("index", index)
                line.text("path", download.path)
                line.digest("sha256", download.sha256)
                line.number("bytes", download.bytes)
                if let mtime = download.mtime { line.number("mtime", mtime) }
                line.end()
            }
            if line.out.count >= 1 << 20 { flush(&line.out) }
        }
        flush(&line.out)
    }

    /// The `urls` and `types` members: as recorded when they are one plain word each (most
    /// jobs), else rebuilt from the results as ``forEachCompacted(at:_:)`` does.
    private static func writeResults(_ entry: JournalEntry, to line: inout JournalBytes) {
        if let urls = entry.resultURLs, !urls.isEmpty, !urls.utf8.contains(0x20),
            entry.resultTypes.map({ !$0.utf8.contains(0x20) }) ?? true
        {
            line.text("urls", urls)
            if let types = entry.resultTypes, !types.isEmpty { line.text("types", types) }
            return
        }
        let results = entry.results
        guard !results.isEmpty else { return }
        line.text("urls", results.map(\.url).joined(separator: " "))
        if results.contains(where: { $0.outputType != nil }) {
            line.text("types", results.map { $0.outputType ?? "" }.joined(separator: " "))
        }
    }
}

/// Journal lines written as bytes, as ``JournalRecord/line`` writes them.
struct JournalBytes {
    var out: [UInt8]

    /// `{"event":"EVENT","at":"AT"`
    mutating func begin(_ event: JournalRecord.Event, at time: String) {
        out.append(contentsOf: #"{"event":""#.utf8)
        out.append(contentsOf: event.rawValue.utf8)
        out.append(contentsOf: #"","at":"#.utf8)
        string(time)
    }

    mutating func begin(_ event: JournalRecord.Event, at time: StoredTimestamp) {
        out.append(contentsOf: #"{"event":""#.utf8)
        out.append(contentsOf: event.rawValue.utf8)
        out.append(contentsOf: #"","at":"#.utf8)
        timestamp(time)
    }

    mutating func end() {
        out.append(contentsOf: "}\n".utf8)
    }

    private mutating func name(_ name: StaticString) {
        out.append(contentsOf: #",""#.utf8)
        name.withUTF8Buffer { out.append(contentsOf: $0) }
        out.append(contentsOf: #"":"#.utf8)
    }

    mutating func text(_ name: StaticString, _ value: String) {
        self.name(name)
        string(value)
    }

    mutating func number(_ name: StaticString, _ value: Int) {
        self.name(name)
        out.append(contentsOf: String(value).utf8)
    }

    mutating func digest(_ name: StaticString, _ value: HexDigest) {
        self.name(name)
        guard case .bytes(let a, let b, let c, let d) = value else { return string(value.description) }
        out.append(UInt8(ascii: "\""))
        for word in [a, b, c, d] {
            for nibble in 0..<16 {
                let digit = UInt8(truncatingIfNeeded: word >> UInt64(60 - nibble * 4)) & 0xF
                out.append(digit < 10 ? 48 + digit : 87 + digit)
            }
        }
        out.append(UInt8(ascii: "\""))
    }

    mutating func timestamp(_ name: StaticString, _ value: StoredTimestamp) {
        self.name(name)
        timestamp(value)
    }

    private mutating func timestamp(_ value: StoredTimestamp) {
        switch value {
        case .text(let text): string(text)
        case .milliseconds:
            out.append(UInt8(ascii: "\""))
            out.append(contentsOf: value.text.utf8)
            out.append(UInt8(ascii: "\""))
        }
    }

    /// Words joined by spaces, as one text.
    mutating func words(_ name: StaticString, _ words: [String]) {
        if words.count == 1 { return text(name, words[0]) }
        text(name, words.joined(separator: " "))
    }

    /// A JSON string literal, escaped as ``JSONValue/writeString(_:to:)`` escapes it.
    private mutating func string(_ text: String) {
        out.append(UInt8(ascii: "\""))
        for byte in text.utf8 {
            switch byte {
            case UInt8(ascii: "\""): out.append(contentsOf: #"\""#.utf8)
            case UInt8(ascii: "\\"): out.append(contentsOf: #"\\"#.utf8)
            case 0x0A: out.append(contentsOf: #"\n"#.utf8)
            case 0x0D: out.append(contentsOf: #"\r"#.utf8)
            case 0x09: out.append(contentsOf: #"\t"#.utf8)
            case 0..<0x20:
                out.append(contentsOf: #"\u00"#.utf8)
                out.append(byte >> 4 < 10 ? 48 + byte >> 4 : 87 + byte >> 4)
                out.append(byte & 0xF < 10 ? 48 + byte & 0xF : 87 + byte & 0xF)
            default: out.append(byte)
            }
        }
        out.append(UInt8(ascii: "\""))
    }
}
