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
        let record = JournalRecord(.finished, at: "2026-11-21T05:30:00.123Z", [
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

    @Test(arguments: ["", "{", "[1]", #"{"event":"nope","at":""}"#, #"{"event":"run","at":"x","n":{"a":1}}"#, #"{"event":"run","at":"x"} extra"#])
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
                    try await journal.append(JournalRecord(.submitting, at: "t", [("key", .text("k\(job)")), ("attempt", .number(1))]))
                    try await journal.append(JournalRecord(.submitted, at: "t", [("key", .text("k\(job)")), ("taskId", .text("\(job)"))]))
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
        state.apply(JournalRecord(.finished, at: "t3", [key, ("taskId", .text("9")), ("status", .text("succeeded")), ("urls", .text("a b")), ("types", .text("png "))]))
        var entry = state.entries["k"]!
        #expect(entry.stage == .succeeded)
        #expect(entry.results == [TaskResult(url: "a", outputType: "png"), TaskResult(url: "b", outputType: nil)])
        #expect(entry.inputURLs == ["u1", "u2"])
        #expect(!entry.isComplete)
        state.apply(JournalRecord(.downloaded, at: "t4", [key, ("index", .number(1)), ("path", .text("p1")), ("sha256", .text("h1")), ("bytes", .number(3))]))
        state.apply(JournalRecord(.downloaded, at: "t4", [key, ("index", .number(2)), ("path", .text("p2")), ("sha256", .text("h2")), ("bytes", .number(4))]))
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
        try (good + #"{"event":"downloaded","at":"t","key":"k","in"#).write(toFile: folder + "/journal.jsonl", atomically: true, encoding: .utf8)
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
            text += JournalRecord(.submitted, at: "2026-11-28T00:00:00.000Z", [
                ("key", .text("key-\(job)")), ("taskId", .text(String(repeating: "7", count: 19) + "\(job)")),
                ("inputs", .text("https://files.example/\(job)/" + String(repeating: "a", count: 80))),
            ]).line
        }
        #expect(text.utf8.count > 2 << 20)
        try (text + #"{"event":"finished","at":"t","key":"key-1"#).write(toFile: folder + "/journal.jsonl", atomically: true, encoding: .utf8)
        let contents = try Journal.read(folder: folder)
        #expect(contents.state.entries.count == 12_000)
        #expect(contents.state.entries["key-11999"]?.taskId == String(repeating: "7", count: 19) + "11999")
        #expect(contents.state.entries["key-5000"]?.inputURLs.first?.hasSuffix(String(repeating: "a", count: 80)) == true)
        #expect(contents.warnings.count == 1 && contents.warnings[0].contains("journal.jsonl:12001: the last line is incomplete"))

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
}
