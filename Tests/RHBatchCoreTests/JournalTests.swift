import Foundation
import RunningHubModel
import Testing

@testable import RHBatchCore

@Suite("Journal")
struct JournalTests {
    func folder() throws -> String {
        let path = FileManager.default.temporaryDirectory.path + "/rh-journal-" + UUID().uuidString
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        return path
    }

    @Test func recordsRoundTrip() throws {
        let record = JournalRecord(
            .finished, at: "2026-11-21T05:30:00.123Z",
            [
                ("key", .text("k")), ("message", .text("a \"quoted\"\nline\\ \u{1}")), ("bytes", .number(-12)),
                ("urls", .text("https://x/1.png?a=1&b=2 https://x/2.png")), ("prompt", .text("植物园温室")),
            ])
        let line = record.line
        #expect(line.hasSuffix("}\n"))
        let parsed = try #require(JournalRecord.parse(line.dropLast().utf8))
        #expect(parsed == record)
        #expect(parsed["message"] == "a \"quoted\"\nline\\ \u{1}")
        #expect(parsed.number("bytes") == -12)
        #expect(parsed["prompt"] == "植物园温室")
    }

    @Test(arguments: [
        "", "{", "[1]", #"{"event":"nope","at":""}"#, #"{"event":"run","at":"x","n":{"a":1}}"#,
        #"{"event":"run","at":"x"} extra"#,
    ])
    func malformedLinesAreRejected(line: String) {
        #expect(JournalRecord.parse(line[...].utf8) == nil)
    }

    @Test func appendsAreDurableAndFoldIntoState() async throws {
        let folder = try folder()
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let journal = try Journal(folder: folder)
        try await withThrowingTaskGroup(of: Void.self) { group in
            for job in 0..<50 {
                group.addTask {
                    try await journal.append(
                        JournalRecord(.submitting, at: "t", [("key", .text("k\(job)")), ("attempt", .number(1))]))
                    try await journal.append(
                        JournalRecord(.submitted, at: "t", [("key", .text("k\(job)")), ("taskId", .text("\(job)"))]))
                }
            }
            try await group.waitForAll()
        }
        let contents = try Journal.read(folder: folder)
        #expect(contents.warnings.isEmpty)
        #expect(contents.state.entries.count == 50)
        #expect(contents.state.entries["k7"]?.stage == .submitted)
        #expect(contents.state.entries["k7"]?.taskId == "7")
        #expect(contents.state.entries["k7"]?.attempts == 1)
    }

    @Test func stagesFollowTheEvents() {
        var state = JournalState()
        let key: (String, JournalRecord.FieldValue) = ("key", .text("k"))
        state.apply(JournalRecord(.submitting, at: "t1", [key, ("attempt", .number(1))]))
        #expect(state.entries["k"]?.stage == .submitting)
        state.apply(JournalRecord(.submitted, at: "t2", [key, ("taskId", .text("9")), ("inputs", .text("u1 u2"))]))
        state.apply(
            JournalRecord(
                .finished, at: "t3",
                [
                    key, ("taskId", .text("9")), ("status", .text("succeeded")), ("urls", .text("a b")),
                    ("types", .text("png ")),
                ]))
        var entry = state.entries["k"]!
        #expect(entry.stage == .succeeded)
        #expect(entry.results == [TaskResult(url: "a", outputType: "png"), TaskResult(url: "b", outputType: nil)])
        #expect(entry.inputURLs == ["u1", "u2"])
        #expect(!entry.isComplete)
        state.apply(
            JournalRecord(
                .downloaded, at: "t4",
                [key, ("index", .number(1)), ("path", .text("p1")), ("sha256", .text("h1")), ("bytes", .number(3))]))
        state.apply(
            JournalRecord(
                .downloaded, at: "t4",
                [key, ("index", .number(2)), ("path", .text("p2")), ("sha256", .text("h2")), ("bytes", .number(4))]))
        entry = state.entries["k"]!
        #expect(entry.isComplete)

        // Compacting keeps exactly the same state.
        var replayed = JournalState()
        for record in state.compacted(at: "t9") { replayed.apply(record) }
        #expect(replayed.entries == state.entries)
    }

    @Test func aTornLastLineIsIgnoredWithAWarning() throws {
        let folder = try folder()
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let good = JournalRecord(.submitted, at: "t", [("key", .text("k")), ("taskId", .text("1"))]).line
        try (good + #"{"event":"downloaded","at":"t","key":"k","in"#).write(
            toFile: folder + "/journal.jsonl", atomically: true, encoding: .utf8)
        let contents = try Journal.read(folder: folder)
        #expect(contents.state.entries["k"]?.stage == .submitted)
        #expect(contents.warnings.count == 1)
        #expect(contents.warnings[0].contains("journal.jsonl:2: the last line is incomplete"))
    }

    @Test func aCorruptLineIsAnErrorNamingIt() throws {
        let folder = try folder()
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let good = JournalRecord(.submitted, at: "t", [("key", .text("k")), ("taskId", .text("1"))]).line
        try (good + "garbage here\n" + good).write(toFile: folder + "/journal.jsonl", atomically: true, encoding: .utf8)
        do {
            _ = try Journal.read(folder: folder)
            Issue.record("a corrupt journal was read")
        } catch {
            #expect(error.line == 2)
            #expect(error.description.contains("journal.jsonl:2: error: this line is not a journal record"))
        }
    }

    @Test func aJournalLargerThanOneReadIsFoldedLineByLineAcrossThePieces() throws {
        // Read in 1 MiB pieces: 12,000 records of ~200 bytes put many lines across piece ends,
        // a corrupt line deep in the second piece is named by its number, and a torn last line
        // after them is still only a warning.
        let folder = try folder()
        defer { try? FileManager.default.removeItem(atPath: folder) }
        var text = ""
        for job in 0..<12_000 {
            text +=
                JournalRecord(
                    .submitted, at: "2026-11-28T00:00:00.000Z",
                    [
                        ("key", .text("key-\(job)")), ("taskId", .text(String(repeating: "7", count: 19) + "\(job)")),
                        ("inputs", .text("https://files.example/\(job)/" + String(repeating: "a", count: 80))),
                    ]
                ).line
        }
        #expect(text.utf8.count > 2 << 20)
        try (text + #"{"event":"finished","at":"t","key":"key-1"#).write(
            toFile: folder + "/journal.jsonl", atomically: true, encoding: .utf8)
        let contents = try Journal.read(folder: folder)
        #expect(contents.state.entries.count == 12_000)
        #expect(contents.state.entries["key-11999"]?.taskId == String(repeating: "7", count: 19) + "11999")
        #expect(
            contents.state.entries["key-5000"]?.inputURLs.first?.hasSuffix(String(repeating: "a", count: 80)) == true)
        #expect(
            contents.warnings.count == 1
                && contents.warnings[0].contains("journal.jsonl:12001: the last line is incomplete"))

        var lines = text.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        lines[7_000] = "not a record"
        try lines.joined(separator: "\n").write(toFile: folder + "/journal.jsonl", atomically: true, encoding: .utf8)
        do {
            _ = try Journal.read(folder: folder)
            Issue.record("a corrupt journal was read")
        } catch {
            #expect(error.line == 7_001)
        }
    }

    @Test func aSecondLockOnTheSameFolderIsRefused() throws {
        let folder = try folder()
        defer { try? FileManager.default.removeItem(atPath: folder) }
        var first: OutputLock? = try OutputLock(folder: folder)
        // flock locks belong to open files, so a second open in the same process conflicts too.
        #expect(throws: LockError.self) { _ = try OutputLock(folder: folder) }
        #expect(first != nil)
        first = nil
        _ = try OutputLock(folder: folder)
    }

    @Test func timestampsRoundTrip() {
        let text = Timestamp.format(seconds: 1_795_238_949, milliseconds: 7)
        #expect(text == "2026-11-21T05:29:09.007Z")
        #expect(Timestamp.parse(text) == 1_795_238_949.007)
        // Leap days and the turn of a century agree with gmtime.
        for seconds in [951_782_400, 4_107_542_399, 0, 1_709_164_800, 1_234_567_890] {
            #expect(Timestamp.parse(Timestamp.format(seconds: seconds)) == Double(seconds))
        }
        #expect(Timestamp.parse("not a time at all, no") == nil)
    }

    @Test func theCalendarFormatterAgreesWithGmtime() {
        // Every day of 1970…2100 at a changing time of day, and the edges of a day.
        var seconds = 0
        while seconds < 4_107_542_400 {
            let millis = seconds % 1000
            #expect(
                Timestamp.format(epochMilliseconds: Int64(seconds) * 1000 + Int64(millis))
                    == Timestamp.format(seconds: seconds, milliseconds: millis))
            seconds += 86_400 + 3_607
        }
        #expect(Timestamp.format(epochMilliseconds: 86_399_999) == "1970-01-01T23:59:59.999Z")
        #expect(Timestamp.format(epochMilliseconds: 951_782_400_000) == "2000-02-29T00:00:00.000Z")
    }

    @Test func storedTimestampsComeBackAsTheyWereRead() {
        for text in ["2026-11-21T05:29:09.007Z", "2000-02-29T23:59:59.999Z", "1970-01-01T00:00:00.000Z"] {
            let stored = StoredTimestamp(text)
            #expect(stored == .milliseconds(Int64(Timestamp.parse(text)! * 1000 + 0.5)), "\(text)")
            #expect(stored.text == text)
        }
        // Anything that would not come back the same stays text: no 30 February, no leap
        // second, no other precision or zone, no junk.
        for text in [
            "2026-02-30T00:00:00.000Z", "2025-02-29T00:00:00.000Z", "2026-12-31T23:59:60.000Z", "2026-11-21T05:29:09Z",
            "2026-11-21T05:29:09.007+00:00", "2026-11-21 05:29:09.007Z", "t1", "",
        ] {
            #expect(StoredTimestamp(text) == .text(text), "\(text)")
            #expect(StoredTimestamp(text).text == text)
        }
        #expect(StoredTimestamp("2026-11-21T05:29:09.500Z").seconds == 1_795_238_949.5)
    }

    @Test func digestsAreBytesAndComeBackAsTheyWereRead() {
        let key = "000069d9798a8ba3848a559e62a1c98649cb8079e3d72d0fd6ebf8c8acdb20f6"
        guard case .bytes = HexDigest(key) else {
            Issue.record("a 64-digit lowercase key should be held as bytes")
            return
        }
        #expect(HexDigest(key).description == key)
        for text in [
            String(key.uppercased()), String(key.dropLast()), key + "0", "k7", "", String(key.dropLast()) + "g",
            String(key.dropLast(2)) + "é",
        ] {
            #expect(HexDigest(text) == .text(text))
            #expect(HexDigest(text).description == text)
        }
        // Sorted as their text sorts.
        let keys = (0..<200).map { PlanningRunTestAccess.sha256("key \($0)") } + ["k1", "zz"]
        #expect(keys.map(HexDigest.init).sorted().map(\.description) == keys.sorted())
    }

    @Test func aCompactedJournalOfRealKeysAndTimesIsTheSameJournal() {
        var state = JournalState()
        var lines: [String] = []
        for number in 0..<300 {
            let key = PlanningRunTestAccess.sha256("job \(number)")
            let at = Timestamp.format(epochMilliseconds: 1_795_238_949_000 + Int64(number) * 1_237)
            var records: [JournalRecord] = [
                .planned(key: key, path: "out/\(number).{ext}", at: at),
                JournalRecord(.submitting, at: at, [("key", .text(key)), ("attempt", .number(1))]),
                JournalRecord(
                    .submitted, at: at,
                    [
                        ("key", .text(key)), ("taskId", .text("20135087861\(number)")),
                        ("inputs", .text("http://h/a.png http://h/b.png")),
                    ]),
            ]
            if number % 3 == 0 {
                records.append(
                    JournalRecord(
                        .finished, at: at,
                        [
                            ("key", .text(key)), ("status", .text("succeeded")),
                            ("urls", .text("http://h/r/\(number)/1.png")), ("types", .text("png")),
                            ("cost", .text("0.140")),
                        ]))
                records.append(
                    JournalRecord(
                        .downloaded, at: at,
                        [
                            ("key", .text(key)), ("index", .number(1)), ("path", .text("out/\(number).png")),
                            ("sha256", .text(PlanningRunTestAccess.sha256("file \(number)"))), ("bytes", .number(107)),
                            ("mtime", .number(1_795_906_648_187_436_733)),
                        ]))
            } else if number % 3 == 1 {
                records.append(
                    JournalRecord(
                        .failed, at: "2026-02-30T00:00:00.000Z",
                        [
                            ("key", .text(key)), ("phase", .text("download")), ("code", .text("expired")),
                            ("message", .text("gone")),
                        ]))
            }
            for record in records { state.apply(record) }
        }
        state.forEachCompacted(at: "2026-11-29T00:00:00.000Z") { lines.append($0.line) }
        var replayed = JournalState()
        var again: [String] = []
        for line in lines {
            replayed.apply(JournalRecord.parse(line.dropLast().utf8)!)
        }
        replayed.forEachCompacted(at: "2026-11-29T00:00:00.000Z") { again.append($0.line) }
        #expect(again == lines)
        #expect(replayed.entries == state.entries)
        #expect(Self.written(state, at: "2026-11-29T00:00:00.000Z") == lines.joined())
        let first = PlanningRunTestAccess.sha256("job 0")
        #expect(replayed.entry(first)?.downloads[1]?.sha256.description == PlanningRunTestAccess.sha256("file 0"))
        #expect(replayed.entry(first)?.submittedAt == "2026-11-21T05:29:09.000Z")
        #expect(replayed.plannedPath(first) == "out/0.{ext}")
        #expect(replayed.entry(PlanningRunTestAccess.sha256("job 1"))?.message == "gone")
        #expect(lines.count == 300 + 100)
    }

    /// The journal's lines are read in place when they are in the writer's form, and otherwise
    /// by the record parser: both ways fold every line the same.
    @Test func linesReadInPlaceFoldAsTheirRecordsDo() {
        let key = PlanningRunTestAccess.sha256("job")
        let sha = PlanningRunTestAccess.sha256("file")
        let at = "2026-11-29T06:03:02.123Z"
        let records: [JournalRecord] = [
            JournalRecord(.run, at: at, [("manifest", .text("m.yaml")), ("jobs", .number(3))]),
            JournalRecord(.uploaded, at: at, [("sha256", .text(sha)), ("url", .text("http://h/in.png"))]),
            .planned(key: key, path: "out/{prompt}.{ext}", at: at),
            JournalRecord(.submitting, at: at, [("key", .text(key)), ("attempt", .number(2))]),
            JournalRecord(
                .submitted, at: at,
                [
                    ("key", .text(key)), ("taskId", .text("2013508786")), ("keyId", .text("abc123")),
                    ("inputs", .text("http://h/a.png http://h/b.png")),
                ]),
            JournalRecord(
                .finished, at: at,
                [
                    ("key", .text(key)), ("taskId", .text("2013508786")), ("status", .text("succeeded")),
                    ("urls", .text("http://h/1.png http://h/2.mp4")), ("types", .text("png mp4")),
                    ("cost", .text("0.140")),
                ]),
            JournalRecord(
                .downloaded, at: at,
                [
                    ("key", .text(key)), ("index", .number(1)), ("path", .text("out/p.png")), ("sha256", .text(sha)),
                    ("bytes", .number(107)), ("mtime", .number(-1_795_906_648_187_436_733)),
                ]),
            JournalRecord(
                .downloaded, at: "not a time",
                [
                    ("key", .text("short-key")), ("index", .number(2)), ("path", .text("out/p_2.mp4")),
                    ("sha256", .text("h2")), ("bytes", .number(9)),
                ]),
            JournalRecord(
                .failed, at: at,
                [
                    ("key", .text("other")), ("phase", .text("download")), ("code", .text("expired")),
                    ("message", .text("gone")),
                ]),
            JournalRecord(
                .state, at: at,
                [
                    ("key", .text("third")), ("stage", .text("failed")), ("attempts", .number(1)),
                    ("submittedAt", .text(at)), ("finishedAt", .text("x")), ("cost", .text("0")),
                ]),
        ]
        // A line's table has a slot per field folding reads (JournalSchemaTests holds the room).
        #expect(JournalLine.slotsNeeded == 27)
        // The writer's own lines are all read in place.
        let lines = records.map { String($0.line.dropLast()) }
        for line in lines {
            var copy = line
            #expect(copy.withUTF8 { JournalLine($0) } != nil, "\(line)")
        }
        // Lines of other forms (a hand-edited journal) go to the record parser, with the same meaning.
        let others = [
            #"{ "event": "failed", "at": "t", "key": "other", "message": "a \"quoted\" word\n" }"#,
            #"{"event":"refused","at":"t","key":"other","code":"1003","code":"1004"}"#,
            #"{"event":"downloaded","at":"t","key":"third","index":"1","path":"p","sha256":"h","bytes":12345678901234567890}"#,
            #"{"event":"unknown","at":12,"key":"fourth","message":"caf\u00e9"}"#,
        ]
        for line in others {
            var copy = line
            #expect(copy.withUTF8 { JournalLine($0) } == nil, "\(line)")
        }
        var inPlace = JournalState()
        var parsed = JournalState()
        for line in lines + others {
            var copy = line
            let record = JournalRecord.parse(line.utf8[...])
            #expect(copy.withUTF8 { inPlace.apply(line: $0) } == (record != nil), "\(line)")
            if let record { parsed.apply(record) }
        }
        #expect(inPlace.entries == parsed.entries)
        #expect(inPlace.uploads == parsed.uploads && inPlace.runs == 1)
        #expect(inPlace.plannedPath(key) == "out/{prompt}.{ext}")
        #expect(inPlace.entry(key)?.downloads[1]?.sha256.description == sha)
        #expect(inPlace.entry(key)?.keyID == "abc123")
        // The first of a member named twice counts; escapes are decoded.
        #expect(inPlace.entry("other")?.code == "1003")
        #expect(inPlace.entry("fourth")?.message == "café")
        // What neither reads: not an object, an unknown event, a nested value, no event.
        for line in [
            "", "{}", "[1]", #"{"event":"run","at":"x","n":9223372036854775808}"#, #"{"event":"nope","at":""}"#,
            #"{"event":"run","at":"x","n":{"a":1}}"#, #"{"at":"x","key":"k"}"#, #"{"event":"run","at":"x",}"#,
        ] {
            var copy = line
            #expect(copy.withUTF8 { inPlace.apply(line: $0) } == false, "\(line)")
        }
    }

    /// What ``JournalState/writeCompacted(at:flush:)`` writes, as text.
    static func written(_ state: JournalState, at time: String) -> String {
        var bytes: [UInt8] = []
        state.writeCompacted(at: time) { out in
            bytes += out
            out.removeAll()
        }
        return String(decoding: bytes, as: UTF8.self)
    }

    /// The compaction writes its lines as bytes: the same text as its records' lines, whatever
    /// the entries hold (escapes, several results, types or none, texts that are not times).
    @Test func theCompactedBytesAreTheCompactedRecordsLines() {
        var state = JournalState()
        let key = PlanningRunTestAccess.sha256("a")
        let records: [JournalRecord] = [
            .planned(key: key, path: "out/\"q\"/{ext}", at: "t"),
            JournalRecord(
                .submitted, at: "2026-11-29T06:03:02.123Z",
                [
                    ("key", .text(key)), ("taskId", .text("1")), ("keyId", .text("fp")),
                    ("inputs", .text("http://h/a.png http://h/b.png")),
                ]),
            JournalRecord(
                .finished, at: "not a time",
                [
                    ("key", .text(key)), ("status", .text("succeeded")),
                    ("urls", .text("http://h/1.png  http://h/2.mp4")), ("types", .text("png mp4")),
                    ("cost", .text("0.14")),
                ]),
            JournalRecord(
                .downloaded, at: "2026-11-29T06:03:02.123Z",
                [
                    ("key", .text(key)), ("index", .number(2)), ("path", .text("out/2.mp4")),
                    ("sha256", .text("short")), ("bytes", .number(-3)), ("mtime", .number(1_795_906_648_187_436_733)),
                ]),
            JournalRecord(
                .downloaded, at: "t",
                [
                    ("key", .text(key)), ("index", .number(1)), ("path", .text("out/1.png")),
                    ("sha256", .text(PlanningRunTestAccess.sha256("f"))), ("bytes", .number(12)),
                ]),
            JournalRecord(
                .finished, at: "t",
                [
                    ("key", .text("k2")), ("status", .text("failed")), ("code", .text("1501")),
                    ("message", .text("a \"bad\"\tword\n\u{1}\\ café")),
                ]),
            JournalRecord(
                .finished, at: "t",
                [
                    ("key", .text("k3")), ("status", .text("succeeded")), ("urls", .text("http://h/3.txt")),
                    ("types", .text("txt")),
                ]),
            JournalRecord(
                .finished, at: "t",
                [
                    ("key", .text("k4")), ("status", .text("succeeded")), ("urls", .text("http://h/4.png")),
                    ("types", .text(" ")),
                ]),
            JournalRecord(.submitting, at: "t", [("key", .text("k5")), ("attempt", .number(3))]),
        ]
        for record in records { state.apply(record) }
        var lines = ""
        state.forEachCompacted(at: "2026-11-29T00:00:00.000Z") { lines += $0.line }
        #expect(Self.written(state, at: "2026-11-29T00:00:00.000Z") == lines)
        #expect(lines.contains(#""message":"a \"bad\"\tword\n\u0001\\ café""#))
    }

    @Test func aJobsResultFilesStayInIndexOrder() {
        func record(_ number: Int) -> OutputRecord {
            OutputRecord(path: "p\(number)", url: "u\(number)", bytes: number, sha256: HexDigest("h\(number)"))
        }
        var outputs = OutputRecords()
        #expect(outputs.isEmpty && outputs.count == 0 && outputs[1] == nil)
        outputs[3] = record(3)
        outputs[1] = record(1)
        outputs[2] = record(2)
        #expect(outputs.keys == [1, 2, 3] && outputs.values.map(\.path) == ["p1", "p2", "p3"] && outputs.count == 3)
        outputs[2] = record(22)
        #expect(outputs[2]?.path == "p22")
        outputs[1] = nil
        #expect(outputs.keys == [2, 3] && outputs[1] == nil && outputs[3]?.bytes == 3)
        var other = OutputRecords()
        other[3] = record(3)
        other[2] = record(22)
        #expect(other == outputs)
    }

    @Test func aLooseJournalIsCompactedWhenTheNextRunReadsIt() async throws {
        let folder = try folder()
        defer { try? FileManager.default.removeItem(atPath: folder) }
        var text = ""
        var expected = JournalState()
        for number in 0..<40 {
            let key = PlanningRunTestAccess.sha256("job \(number)")
            let at = Timestamp.format(epochMilliseconds: 1_795_238_949_000 + Int64(number))
            let records: [JournalRecord] = [
                .planned(key: key, path: "out/\(number).{ext}", at: at),
                JournalRecord(.submitting, at: at, [("key", .text(key)), ("attempt", .number(1))]),
                JournalRecord(.submitted, at: at, [("key", .text(key)), ("taskId", .text("t\(number)"))]),
                JournalRecord(
                    .finished, at: at,
                    [("key", .text(key)), ("status", .text("succeeded")), ("urls", .text("http://h/\(number).png"))]),
                JournalRecord(
                    .downloaded, at: at,
                    [
                        ("key", .text(key)), ("index", .number(1)), ("path", .text("out/\(number).png")),
                        ("sha256", .text("h")), ("bytes", .number(3)),
                    ]),
            ]
            for record in records {
                text += record.line
                expected.apply(record)
            }
        }
        try text.write(toFile: folder + "/journal.jsonl", atomically: true, encoding: .utf8)
        let before = try Journal.read(folder: folder)
        #expect(before.records == 200 && before.isLoose)

        let prepared = try PreparedFolder(folder)
        // Compacted beside the run, on the journal's writing thread; a record appended meanwhile
        // is written after it, to the compacted file.
        let late = PlanningRunTestAccess.sha256("job 40")
        try await prepared.journal.append(.planned(key: late, path: "out/40.{ext}", at: "2026-11-29T00:00:00Z"))
        #expect(await prepared.journal.waitUntilCompacted() == nil)
        let after = try Journal.read(folder: folder)
        #expect(after.records == 81 && !after.isLoose)
        #expect(after.state.entries == expected.entries)
        #expect(after.state.plannedPath(late) == "out/40.{ext}")
        #expect(after.state.plannedPath(PlanningRunTestAccess.sha256("job 3")) == "out/3.{ext}")
        #expect(prepared.takeHistory().entries == expected.entries)
        // Taken once: the run drops it after resuming its jobs.
        #expect(prepared.takeHistory().entryCount == 0)
        // Later appends go on to the compacted file.
        try await prepared.journal.append(
            .planned(key: PlanningRunTestAccess.sha256("job 41"), path: "out/41.{ext}", at: "2026-11-29T00:00:01Z"))
        #expect(try Journal.read(folder: folder).records == 82)
    }
}

extension Timestamp {
    /// The C library's calendar (`gmtime_r`): the reference the tests check rh-batch's own
    /// formatter against.
    static func format(seconds: Int, milliseconds: Int = 0) -> String {
        var time = time_t(seconds)
        var parts = tm()
        gmtime_r(&time, &parts)
        func pad(_ value: Int32, _ width: Int) -> String {
            let text = String(value)
            return String(repeating: "0", count: max(0, width - text.count)) + text
        }
        return "\(pad(parts.tm_year + 1900, 4))-\(pad(parts.tm_mon + 1, 2))-\(pad(parts.tm_mday, 2))T"
            + "\(pad(parts.tm_hour, 2)):\(pad(parts.tm_min, 2)):\(pad(parts.tm_sec, 2)).\(pad(Int32(milliseconds), 3))Z"
    }
}
