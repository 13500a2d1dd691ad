/// The journal's schema, stated once: each kind of record with the members it carries (in the
/// order they are written), which of them it always has, and how soon it must be on disk.
///
/// The journal is rh-batch's crash-safety contract: the writer (``JournalRecord``'s kinds and
/// compaction) names members by ``JournalField`` in this order, ``JournalRecord/durability`` is
/// read from here, and the tests check every record the writer makes against it.
package enum JournalSchema {
    /// A member of a kind.
    package struct Member: Sendable, Hashable {
        package var field: JournalField
        /// Written in every record of the kind.
        package var required: Bool
    }

    /// A kind of record.
    package struct Kind: Sendable {
        package var event: JournalRecord.Event
        package var durability: JournalRecord.Durability
        /// After `event` and `at`, in writing order.
        package var members: [Member]
    }

    private static func kind(
        _ event: JournalRecord.Event, _ durability: JournalRecord.Durability, _ required: [JournalField],
        optional: [JournalField] = []
    ) -> Kind {
        Kind(
            event: event, durability: durability,
            members: required.map { Member(field: $0, required: true) }
                + optional.map { Member(field: $0, required: false) })
    }

    /// Every kind, by event.
    package static let kinds: [JournalRecord.Event: Kind] = {
        let list = [
            kind(.run, .durable, [.manifest, .jobs, .simulated]),
            kind(.planned, .durable, [.key, .path]),
            // An input's URL: losing it costs an upload again.
            kind(.uploaded, .lazy, [.sha256, .url]),
            // On disk before the submit is sent: a crash can never leave a sent submit unrecorded.
            kind(.submitting, .durable, [.key, .attempt]),
            // Synced at once; the task's first query waits for it.
            // `graph`: a workflow job's graph, to see a change since it was done.
            kind(.submitted, .soon, [.key, .taskId, .inputs], optional: [.keyId, .graph]),
            // Losing it costs a query again, never a result or a bill.
            kind(
                .finished, .lazy, [.key, .taskId, .status],
                optional: [.urls, .types, .nodes, .cost, .coins, .code, .message]),
            // Losing it costs a download again (the file is checked on resume).
            kind(.downloaded, .lazy, [.key, .index, .path, .sha256, .bytes], optional: [.mtime]),
            kind(.refused, .durable, [.key, .code, .message]),
            kind(.failed, .durable, [.key, .phase, .code, .message]),
            kind(.unknown, .durable, [.key, .code, .message]),
            // A job's folded state, written by compaction.
            kind(
                .state, .durable, [.key, .stage, .attempts],
                optional: [
                    .path, .taskId, .keyId, .graph, .submittedAt, .finishedAt, .cost, .coins, .phase, .code, .message,
                    .inputs,
                    .urls, .types, .nodes,
                ]),
        ]
        return Dictionary(uniqueKeysWithValues: list.map { ($0.event, $0) })
    }()

    /// Why `record` does not follow its kind's schema (a member it should not have, one missing,
    /// one out of order), or `nil` when it does. Members a later rh-batch may add are for
    /// readers to skip; the writer of this one never makes them.
    package static func violation(of record: JournalRecord) -> String? {
        guard let kind = kinds[record.event] else { return "no schema for '\(record.event.rawValue)'" }
        var position = 0
        for (name, _) in record.fields {
            guard let offset = kind.members[position...].firstIndex(where: { $0.field.name == name }) else {
                let known = kind.members.contains { $0.field.name == name }
                return known ? "'\(name)' out of order" : "'\(name)' is not a member of '\(record.event.rawValue)'"
            }
            position = offset + 1
        }
        for member in kind.members where member.required && record[member.field.name] == nil {
            return "'\(record.event.rawValue)' lacks '\(member.field.name)'"
        }
        return nil
    }
}
