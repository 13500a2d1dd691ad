import RunningHubModel

/// The records a run writes, one constructor per kind, with the members ``JournalSchema`` states
/// for it (a test checks each against it); the one encoder (``JournalRecord/line``) and decoder
/// (``JournalRecord/parse(_:)-(UnsafeBufferPointer<UInt8>)``) serve them all.
extension JournalRecord {
    /// How soon a record of this kind must be on disk. Stated by the kind: what a crash may lose
    /// of it decides.
    package enum Durability: Int, Sendable, Hashable, Comparable {
        /// With the next sync anyone asks for: losing it costs a repeated query or download,
        /// never a result or a bill.
        case lazy
        /// A sync starts at once; nobody waits for it (a task id: the first query waits).
        case soon
        /// Synced before anything that depends on it happens.
        case durable

        package static func < (lhs: Self, rhs: Self) -> Bool { lhs.rawValue < rhs.rawValue }
    }

    /// How soon this record must be on disk: its kind's, from ``JournalSchema``.
    package var durability: Durability {
        JournalSchema.kinds[event]?.durability ?? .durable
    }

    /// Makes a record of members named by ``JournalField`` (the writer's only way to name one).
    init(_ event: Event, at: String, members: [(JournalField, FieldValue)]) {
        self.init(event, at: at, members.map { ($0.0.name, $0.1) })
    }

    /// A run started.
    package static func run(manifest: String, jobs: Int, simulated: Bool, at: String) -> JournalRecord {
        JournalRecord(
            .run, at: at,
            members: [
                (.manifest, .text(manifest)), (.jobs, .number(jobs)),
                (.simulated, .text(simulated ? "true" : "false")),
            ])
    }

    /// A job seen for the first time, with its output path template.
    package static func planned(key: String, path: String, at: String) -> JournalRecord {
        JournalRecord(.planned, at: at, members: [(.key, .text(key)), (.path, .text(path))])
    }

    /// An input uploaded.
    package static func uploaded(sha256: String, url: String, at: String) -> JournalRecord {
        JournalRecord(.uploaded, at: at, members: [(.sha256, .text(sha256)), (.url, .text(url))])
    }

    /// A submit about to be sent.
    package static func submitting(key: String, attempt: Int, at: String) -> JournalRecord {
        JournalRecord(.submitting, at: at, members: [(.key, .text(key)), (.attempt, .number(attempt))])
    }

    /// A submit accepted: the task, the inputs it was sent with, and (several keys) the
    /// fingerprint of the key that created it, never the key.
    package static func submitted(
        key: String, task: TaskSnapshot, inputs: [String], graph: String? = nil, at: String
    ) -> JournalRecord {
        var fields: [(JournalField, FieldValue)] = [
            (.key, .text(key)), (.taskId, .text(task.taskId)), (.inputs, .text(inputs.joined(separator: " "))),
        ]
        if let keyID = task.keyID { fields.append((.keyId, .text(keyID))) }
        if let graph { fields.append((.graph, .text(graph))) }
        return JournalRecord(.submitted, at: at, members: fields)
    }

    /// A task ended: how, its results and cost.
    package static func finished(key: String, task: TaskSnapshot, at: String) -> JournalRecord {
        let status: String
        switch task.state {
        case .succeeded: status = "succeeded"
        case .cancelled: status = "cancelled"
        default: status = "failed"
        }
        var fields: [(JournalField, FieldValue)] = [
            (.key, .text(key)), (.taskId, .text(task.taskId)), (.status, .text(status)),
        ]
        if !task.results.isEmpty {
            fields.append((.urls, .text(task.results.map(\.url).joined(separator: " "))))
            fields.append((.types, .text(task.results.map { $0.outputType ?? "" }.joined(separator: " "))))
            if task.results.contains(where: { $0.nodeId != nil }) {
                fields.append((.nodes, .text(JournalState.nodesText(task.results))))
            }
        }
        if let cost = task.cost { fields.append((.cost, .text(cost))) }
        if let coins = task.coins { fields.append((.coins, .text(coins))) }
        if let code = task.errorCode { fields.append((.code, .text(code))) }
        if let message = task.errorMessage { fields.append((.message, .text(message))) }
        return JournalRecord(.finished, at: at, members: fields)
    }

    /// A task not ended within the time bound (the next run asks again).
    package static func timedOut(key: String, taskId: String, seconds: Int, at: String) -> JournalRecord {
        JournalRecord(
            .finished, at: at,
            members: [
                (.key, .text(key)), (.taskId, .text(taskId)), (.status, .text("timeout")),
                (.code, .text(JobFailure.Code.timeout.rawValue)), (.message, .text("no result after \(seconds) s")),
            ])
    }

    /// A result on disk.
    package static func downloaded(key: String, index: Int, record: OutputRecord, mtime: Int?, at: String)
        -> JournalRecord
    {
        var fields: [(JournalField, FieldValue)] = [
            (.key, .text(key)), (.index, .number(index)), (.path, .text(record.path)),
            (.sha256, .text(record.sha256.description)), (.bytes, .number(record.bytes)),
        ]
        if let mtime { fields.append((.mtime, .number(mtime))) }
        return JournalRecord(.downloaded, at: at, members: fields)
    }

    /// A submit refused before any task existed: still to do.
    package static func refused(key: String, failure: APIFailure, at: String) -> JournalRecord {
        JournalRecord(
            .refused, at: at,
            members: [(.key, .text(key)), (.code, .text(failure.code)), (.message, .text(failure.message))])
    }

    /// A job failed for good: a later run leaves it alone unless `--retry-failed`.
    package static func failed(key: String, failure: JobFailure, at: String) -> JournalRecord {
        JournalRecord(
            .failed, at: at,
            members: [
                (.key, .text(key)), (.phase, .text(failure.phase.rawValue)),
                (.code, .text(failure.code.rawValue)), (.message, .text(failure.message)),
            ])
    }

    /// A submit whose outcome is unknown: a task may exist.
    package static func unknown(key: String, failure: APIFailure, at: String) -> JournalRecord {
        JournalRecord(
            .unknown, at: at,
            members: [(.key, .text(key)), (.code, .text(failure.code)), (.message, .text(failure.message))])
    }
}
