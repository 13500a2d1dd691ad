import RHBatchCore
import RunningHubModel
import Testing

/// The journal's schema (``JournalSchema``) is the one statement of what each record holds: every
/// record the writer makes follows it, and the in-place reader's tables are large enough for it.
@Suite("journal schema")
struct JournalSchemaTests {
    static let key = String(repeating: "ab", count: 32)
    static let at = "2026-12-05T10:00:00.000Z"

    /// One record of every kind the writer makes, with every optional member it can have.
    static var everyKind: [JournalRecord] {
        let task = TaskSnapshot(
            taskId: "t1", state: .failed, results: [TaskResult(url: "https://cdn.example/1.png", outputType: "png")],
            cost: "0.25", errorCode: "1000", errorMessage: "no")
        var keyed = TaskSnapshot(taskId: "t2", state: .queued)
        keyed.keyID = "0123456789ab"
        let failure = APIFailure(code: "421", message: "full", errorClass: .retryable)
        return [
            .run(manifest: "m.yaml", jobs: 3, simulated: true, at: at),
            .planned(key: key, path: "a/1.{ext}", at: at),
            .uploaded(sha256: key, url: "https://files.example/1.png", at: at),
            .submitting(key: key, attempt: 1, at: at),
            .submitted(key: key, task: keyed, inputs: ["https://files.example/1.png"], at: at),
            .finished(key: key, task: task, at: at),
            .timedOut(key: key, taskId: "t1", seconds: 1800, at: at),
            .downloaded(
                key: key, index: 1, record: OutputRecord(path: "a/1.png", url: "u", bytes: 3, sha256: HexDigest(key)),
                mtime: 5, at: at),
            .refused(key: key, failure: failure, at: at),
            .failed(key: key, failure: JobFailure(phase: .poll, code: .expired, message: "gone"), at: at),
            .unknown(key: key, failure: failure, at: at),
        ]
    }

    @Test func everyRecordTheWriterMakesFollowsTheSchema() {
        for record in Self.everyKind {
            #expect(JournalSchema.violation(of: record) == nil, "\(record.line)")
        }
        // And every kind has a schema.
        #expect(Set(Self.everyKind.map(\.event)).union([.state]).count == JournalSchema.kinds.count)
    }

    @Test func compactedStatesFollowTheSchemaInBothWriters() {
        var state = JournalState()
        for record in Self.everyKind where record.event != .failed && record.event != .refused { state.apply(record) }
        var records: [JournalRecord] = []
        state.forEachCompacted(at: Self.at) { records.append($0) }
        #expect(records.map(\.event) == [.state, .downloaded])
        for record in records { #expect(JournalSchema.violation(of: record) == nil, "\(record.line)") }
        // The byte writer's lines are the same records.
        var bytes: [UInt8] = []
        state.writeCompacted(at: Self.at) { chunk in
            bytes += chunk
            chunk.removeAll()
        }
        #expect(String(decoding: bytes, as: UTF8.self) == records.map(\.line).joined())
    }

    @Test func theSchemaSaysWhatIsMissingOrOutOfPlace() {
        #expect(
            JournalSchema.violation(of: JournalRecord(.planned, at: Self.at, [("key", .text(Self.key))]))
                == "'planned' lacks 'path'")
        #expect(
            JournalSchema.violation(
                of: JournalRecord(.planned, at: Self.at, [("path", .text("p")), ("key", .text(Self.key))]))
                == "'key' out of order")
        #expect(
            JournalSchema.violation(
                of: JournalRecord(
                    .uploaded, at: Self.at, [("sha256", .text("x")), ("url", .text("u")), ("jobs", .number(1))]))
                == "'jobs' is not a member of 'uploaded'")
    }

    @Test func theInPlaceReadersTablesHoldEveryFoldedField() {
        let folded = JournalField.allCases.filter(\.isFolded)
        // A field added to the folded ones needs a slot: this fails before a line overflows.
        #expect(JournalLine.slotsNeeded <= JournalLine.capacity)
        #expect(folded.allSatisfy { $0.rawValue < JournalLine.capacity })
        // Every folded name is found by its bytes, whatever its length; others are not.
        for field in JournalField.allCases {
            let bytes = Array(field.name.utf8)
            let found = bytes.withUnsafeBufferPointer { JournalField.named($0) }
            #expect(found == (field.isFolded ? field : nil), "\(field.name)")
        }
        // Every member a schema names is a field, and every durability comes from the schema.
        for kind in JournalSchema.kinds.values {
            #expect(JournalRecord(kind.event, at: Self.at).durability == kind.durability)
        }
    }
}
