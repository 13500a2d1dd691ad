import Foundation
import YAML

/// One job as `report.json` holds it: the one record of a job that the report entry, the
/// contact sheet's cell and (by their shared description and rules) the sidecars, `index.jsonl`
/// and `metadata.jsonl` lines agree with, and the typed reader of a report that `view`, `merge`
/// and the tests use.
///
/// ``init(job:run:currency:)`` makes it from the run's state; the report's streaming writer
/// (``JobRenderer/writeReportEntry(_:shared:to:)``) writes the same members as bytes, from the
/// same description (``JobDescription``) and the same rules (``JobRun/cost(estimate:)``,
/// ``JobRun/durationSeconds``, ``JobRun/reportedFailure``); a test decodes every entry it wrote
/// and compares it with this record. A skipped job (it never became a plan job) has no `id`,
/// `key` or description, and a `summary` instead.
package struct JobReport: Codable, Sendable, Hashable {
    package struct Prompt: Codable, Sendable, Hashable {
        package var id: String
        package var text: String
    }

    package struct Image: Codable, Sendable, Hashable {
        package var id: String
        /// The path or URL as the manifest wrote it.
        package var source: String
        /// A local file's content hash.
        package var sha256: String?
        /// The URL it was sent to the API as.
        package var uploadedURL: String?
    }

    package struct Media: Codable, Sendable, Hashable {
        /// The API field.
        package var field: String
        package var id: String
        package var sources: [String]
    }

    package struct Cost: Codable, Sendable, Hashable {
        package var amount: String
        package var currency: String
        /// The catalog's estimate.
        package var estimated: String?

        package init(amount: String, currency: String, estimated: String? = nil) {
            self.amount = amount
            self.currency = currency
            self.estimated = estimated
        }
    }

    package struct Output: Codable, Sendable, Hashable {
        package var path: String
        package var url: String
        package var bytes: Int
        package var sha256: String
        /// The workflow node that made it (workflow and app jobs).
        package var node: String?
        /// In a merged report: `false` when the file is not where `path` says (the shard's
        /// `report.json` was merged without its result files); absent otherwise.
        package var local: Bool?
    }

    package struct Failure: Codable, Sendable, Hashable {
        package var phase: String
        package var code: String
        package var message: String
    }

    package var id: String?
    package var key: String?
    /// A skipped job's one-line summary.
    package var summary: String?
    package var model: String?
    package var endpoint: String?
    package var prompt: Prompt?
    package var images: [Image]?
    package var media: [Media]?
    package var params: JSONValue?
    package var sample: Int?
    package var status: String
    package var alreadyDone: Bool?
    package var taskId: String?
    package var attempts: Int?
    package var submittedAt: String?
    package var finishedAt: String?
    package var durationSeconds: Double?
    package var cost: Cost?
    /// RH coins a workflow or app task was billed, as the API reported.
    package var coins: String?
    package var outputs: [Output]?
    package var error: Failure?

    /// The record of plan job `job` after `run`, with amounts in `currency`.
    package init(job: PlannedJob, run: JobRun, currency: String, estimate: Money? = nil) {
        id = job.id
        key = job.key
        model = job.model
        endpoint = job.endpoint
        prompt = Prompt(id: job.prompt.id, text: job.prompt.text)
        images = job.image.sources.enumerated().map { position, source in
            var image: Image
            switch source {
            case .local(let local): image = Image(id: job.image.id, source: local.path, sha256: local.sha256)
            case .remote(let url): image = Image(id: job.image.id, source: url)
            }
            if position < run.inputURLs.count, !run.inputURLs[position].isEmpty {
                image.uploadedURL = run.inputURLs[position]
            }
            return image
        }
        media =
            job.media.isEmpty
            ? nil
            : job.media.map { Media(field: $0.apiKey, id: $0.input.id, sources: $0.input.sources.map(\.reference)) }
        params = .object(job.bodyFields.map { ($0.key, $0.value) })
        sample = job.sample
        status = run.status.rawValue
        alreadyDone = run.alreadyDone
        taskId = run.taskId
        attempts = run.attempts
        submittedAt = run.submittedAt?.text
        finishedAt = run.finishedAt?.text
        durationSeconds = run.durationSeconds
        cost = Cost(
            amount: run.cost(estimate: estimate ?? job.price).description, currency: currency,
            estimated: job.price.description)
        coins = run.coins?.description
        outputs = run.outputs.values.map {
            Output(path: $0.path, url: $0.url, bytes: $0.bytes, sha256: $0.sha256.description, node: $0.node)
        }
        error = run.reportedFailure.map {
            Failure(phase: $0.phase.rawValue, code: $0.code.rawValue, message: $0.message)
        }
    }

    /// The record of a job skipped before the run (`--skip-invalid`).
    package init(skipped: SkippedJob, location: String) {
        summary = skipped.summary
        status = JobStatus.skipped.rawValue
        error = Failure(
            phase: JobFailure.Phase.validate.rawValue, code: "invalid",
            message: "\(location): \(skipped.path): \(skipped.reason)")
    }

    private enum CodingKeys: String, CodingKey {
        case id, key, summary, model, endpoint, prompt, images, media, params, sample, status, alreadyDone, taskId
        case attempts, submittedAt, finishedAt, durationSeconds, cost, coins, outputs, error
    }

    /// Written as the run writes it: a planned job's missing values as `null`, a skipped job's
    /// `id` and `key` as `null` and nothing else it lacks.
    package func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(id, forKey: .id)
        try container.encode(key, forKey: .key)
        try container.encodeIfPresent(summary, forKey: .summary)
        try container.encodeIfPresent(model, forKey: .model)
        try container.encodeIfPresent(endpoint, forKey: .endpoint)
        try container.encodeIfPresent(prompt, forKey: .prompt)
        try container.encodeIfPresent(images, forKey: .images)
        try container.encodeIfPresent(media, forKey: .media)
        try container.encodeIfPresent(params, forKey: .params)
        try container.encodeIfPresent(sample, forKey: .sample)
        try container.encode(status, forKey: .status)
        try container.encodeIfPresent(alreadyDone, forKey: .alreadyDone)
        if summary == nil {
            try container.encode(taskId, forKey: .taskId)
            try container.encodeIfPresent(attempts, forKey: .attempts)
            try container.encode(submittedAt, forKey: .submittedAt)
            try container.encode(finishedAt, forKey: .finishedAt)
            try container.encode(durationSeconds, forKey: .durationSeconds)
        }
        try container.encodeIfPresent(cost, forKey: .cost)
        try container.encodeIfPresent(coins, forKey: .coins)
        try container.encodeIfPresent(outputs, forKey: .outputs)
        try container.encodeIfPresent(error, forKey: .error)
    }
}

/// `report.json`, read back: the run's header and every job (``JobReport``).
///
/// Members a later rh-batch may add are not read; `merge` writes what it read.
package struct ReportFile: Codable, Sendable {
    package struct Tool: Codable, Sendable, Hashable {
        package var name: String
        package var version: String
    }

    package struct Manifest: Codable, Sendable, Hashable {
        package var path: String
        package var name: String
        package var sha256: String
    }

    package struct Key: Codable, Sendable, Hashable {
        package var name: String
        package var fingerprint: String
        package var tasks: Int
        package var spend: String
        package var limit: Int?
        package var refusals: [String: Int]
        package var retired: String?
    }

    /// `totals`: the job counts (members of their own, read into ``JobCounts``), spend, submits.
    @dynamicMemberLookup
    package struct Totals: Codable, Sendable, Hashable {
        package var counts = JobCounts()
        package var cost: JobReport.Cost
        package var submits = 0
        package var refusals = 0
        /// RH coins of workflow and app tasks, when the run had any.
        package var coins: Coins?

        /// RH coins, in all and per workflow.
        package struct Coins: Codable, Sendable, Hashable {
            package var amount: String
            package var byModel: [String: String]

            /// Adds another report's coins.
            package mutating func add(_ other: Coins) {
                amount = Self.sum(amount, other.amount)
                for (model, coins) in other.byModel { byModel[model] = Self.sum(byModel[model] ?? "0", coins) }
            }

            static func sum(_ left: String, _ right: String) -> String {
                Money(micros: (Money(left)?.micros ?? 0) + (Money(right)?.micros ?? 0)).description
            }
        }

        package init(cost: JobReport.Cost) {
            self.cost = cost
        }

        private enum CodingKeys: String, CodingKey {
            case cost, submits, refusals, coins
        }

        package init(from decoder: any Decoder) throws {
            counts = try JobCounts(from: decoder)
            let container = try decoder.container(keyedBy: CodingKeys.self)
            cost = try container.decode(JobReport.Cost.self, forKey: .cost)
            submits = try container.decodeIfPresent(Int.self, forKey: .submits) ?? 0
            refusals = try container.decodeIfPresent(Int.self, forKey: .refusals) ?? 0
            coins = try container.decodeIfPresent(Coins.self, forKey: .coins)
        }

        package func encode(to encoder: any Encoder) throws {
            try counts.encode(to: encoder)
            var container = encoder.container(keyedBy: CodingKeys.self)
            try container.encode(cost, forKey: .cost)
            try container.encode(submits, forKey: .submits)
            try container.encode(refusals, forKey: .refusals)
            try container.encodeIfPresent(coins, forKey: .coins)
        }

        package subscript(dynamicMember count: WritableKeyPath<JobCounts, Int>) -> Int {
            get { counts[keyPath: count] }
            set { counts[keyPath: count] = newValue }
        }

        /// Adds another report's counts (not its cost: money is added as money, by the caller).
        package mutating func add(_ other: Totals) {
            counts.add(other.counts)
            submits += other.submits
            refusals += other.refusals
            if let more = other.coins {
                if coins == nil { coins = Coins(amount: "0", byModel: [:]) }
                coins?.add(more)
            }
        }
    }

    /// One shard folder of a merged report.
    package struct Merged: Codable, Sendable, Hashable {
        package var folder: String
        package var jobs: Int
        /// Result files of its jobs that are not in the folder (a report merged without them).
        package var notLocal: Int?

        package init(folder: String, jobs: Int, notLocal: Int? = nil) {
            self.folder = folder
            self.jobs = jobs
            self.notLocal = notLocal
        }
    }

    package var schemaVersion: Int
    package var tool: Tool
    package var manifest: Manifest
    package var apiBaseURL: String
    package var simulated: Bool
    package var startedAt: String
    package var finishedAt: String
    package var durationSeconds: Double?
    package var exitCode: Int
    package var stopReason: String?
    package var keys: [Key]
    package var totals: Totals
    package var jobs: [JobReport]
    /// Webhook mode's callback counts (`null` without `--listen`).
    package var webhook: JSONValue?
    /// The currency of billed amounts and of the catalog's estimates.
    package var currencies: Currencies?
    /// Models billed otherwise than the catalog estimates.
    package var priceDrift: [PriceDrift]?
    /// The shard folders, in a report `merge` wrote.
    package var merged: [Merged]?

    /// The currencies of a report's amounts.
    package struct Currencies: Codable, Sendable, Hashable {
        package var billed: String
        package var estimates: String
    }

    /// A model billed otherwise than the catalog estimates (`priceDrift`).
    package struct PriceDrift: Codable, Sendable, Hashable {
        package var model: String
        package var tasks: Int
        package var estimate: String
        package var billedLowest: String
        package var billedHighest: String
        package var estimated: String
        package var billed: String
        package var currency: String

        /// The drift of several shards' reports as one, per model as a run lists it: the tasks
        /// and amounts added up, the lowest and highest bill kept, and the first shard's
        /// estimate (a run's entry too keeps the first estimate it met).
        package static func merged(_ lists: [[PriceDrift]]) -> [PriceDrift] {
            func sum(_ left: String, _ right: String) -> String {
                Money(micros: (Money(left)?.micros ?? 0) + (Money(right)?.micros ?? 0)).description
            }
            func pick(_ left: String, _ right: String, _ better: (Money, Money) -> Bool) -> String {
                guard let a = Money(left), let b = Money(right) else { return left }
                return better(b, a) ? right : left
            }
            var merged: [PriceDrift] = []
            var positions: [String: Int] = [:]
            for drift in lists.joined() {
                guard let position = positions[drift.model] else {
                    positions[drift.model] = merged.count
                    merged.append(drift)
                    continue
                }
                var entry = merged[position]
                entry.tasks += drift.tasks
                entry.estimated = sum(entry.estimated, drift.estimated)
                entry.billed = sum(entry.billed, drift.billed)
                entry.billedLowest = pick(entry.billedLowest, drift.billedLowest, <)
                entry.billedHighest = pick(entry.billedHighest, drift.billedHighest, >)
                merged[position] = entry
            }
            return merged.sorted { $0.model < $1.model }
        }
    }

    /// Reads a `report.json`.
    package static func read(_ path: String) throws(ReportReadError) -> ReportFile {
        guard case .success(let bytes) = FileSystem.readAll(path) else {
            throw ReportReadError(path: path, message: "not found; run the manifest into this folder first")
        }
        return try decode(bytes, path: path)
    }

    /// Reads a `report.json`'s bytes (``read(_:)`` after the read, and the report fuzz target).
    package static func decode(_ bytes: [UInt8], path: String) throws(ReportReadError) -> ReportFile {
        do {
            return try JSONDecoder().decode(ReportFile.self, from: Data(bytes))
        } catch let error as DecodingError {
            throw ReportReadError(path: path, message: "not a report of rh-batch (\(Self.describe(error)))")
        } catch {
            throw ReportReadError(path: path, message: "not a report of rh-batch (\(error))")
        }
    }

    /// The report as `merge` writes it: sorted keys, two-space indentation, slashes as they are.
    package func encoded() throws -> [UInt8] {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .prettyPrinted, .withoutEscapingSlashes]
        return Array(try encoder.encode(self)) + [10]
    }

    private static func describe(_ error: DecodingError) -> String {
        func path(_ context: DecodingError.Context) -> String {
            let keys = context.codingPath.map { $0.intValue.map { "[\($0)]" } ?? "." + $0.stringValue }.joined()
            return keys.isEmpty ? "" : String(keys.drop { $0 == "." }) + ": "
        }
        switch error {
        case .keyNotFound(let key, let context): return "\(path(context))missing '\(key.stringValue)'"
        case .typeMismatch(_, let context), .valueNotFound(_, let context), .dataCorrupted(let context):
            return "\(path(context))\(context.debugDescription)"
        @unknown default: return "\(error)"
        }
    }

    private enum CodingKeys: String, CodingKey {
        case schemaVersion, tool, manifest, apiBaseURL, simulated, startedAt, finishedAt, durationSeconds, exitCode
        case stopReason, keys, totals, jobs, webhook, currencies, priceDrift, merged
    }

    package func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(schemaVersion, forKey: .schemaVersion)
        try container.encode(tool, forKey: .tool)
        try container.encode(manifest, forKey: .manifest)
        try container.encode(apiBaseURL, forKey: .apiBaseURL)
        try container.encode(simulated, forKey: .simulated)
        try container.encode(startedAt, forKey: .startedAt)
        try container.encode(finishedAt, forKey: .finishedAt)
        try container.encode(durationSeconds, forKey: .durationSeconds)
        try container.encode(exitCode, forKey: .exitCode)
        try container.encode(stopReason, forKey: .stopReason)
        try container.encode(keys, forKey: .keys)
        try container.encode(totals, forKey: .totals)
        try container.encode(jobs, forKey: .jobs)
        try container.encode(webhook ?? .null, forKey: .webhook)
        try container.encodeIfPresent(currencies, forKey: .currencies)
        try container.encodeIfPresent(priceDrift, forKey: .priceDrift)
        try container.encodeIfPresent(merged, forKey: .merged)
    }
}

/// A `report.json` that cannot be read.
package struct ReportReadError: Error, Sendable, Hashable, CustomStringConvertible {
    package var path: String
    package var message: String

    package var description: String { "\(path): \(message)" }
}

extension JSONValue: Codable {
    package init(from decoder: any Decoder) throws {
        if var array = try? decoder.unkeyedContainer() {
            var items: [JSONValue] = []
            while !array.isAtEnd { items.append(try array.decode(JSONValue.self)) }
            self = .array(items)
            return
        }
        if let object = try? decoder.container(keyedBy: AnyKey.self) {
            // Keys sorted: a decoder does not keep the order they were written in.
            self = .object(
                try object.allKeys.sorted { $0.stringValue < $1.stringValue }.map {
                    ($0.stringValue, try object.decode(JSONValue.self, forKey: $0))
                })
            return
        }
        let value = try decoder.singleValueContainer()
        if value.decodeNil() {
            self = .null
        } else if let bool = try? value.decode(Bool.self) {
            self = .boolean(bool)
        } else if let integer = try? value.decode(Int.self) {
            self = .integer(integer)
        } else if let number = try? value.decode(Double.self) {
            self = .number(number)
        } else {
            self = .string(try value.decode(String.self))
        }
    }

    package func encode(to encoder: any Encoder) throws {
        switch self {
        case .string(let text):
            var value = encoder.singleValueContainer()
            try value.encode(text)
        case .integer(let integer):
            var value = encoder.singleValueContainer()
            try value.encode(integer)
        case .number(let number):
            var value = encoder.singleValueContainer()
            try value.encode(number)
        case .boolean(let bool):
            var value = encoder.singleValueContainer()
            try value.encode(bool)
        case .null:
            var value = encoder.singleValueContainer()
            try value.encodeNil()
        case .array(let items):
            var array = encoder.unkeyedContainer()
            for item in items { try array.encode(item) }
        case .object(let members):
            var object = encoder.container(keyedBy: AnyKey.self)
            for (key, item) in members { try object.encode(item, forKey: AnyKey(key)) }
        }
    }

    private struct AnyKey: CodingKey {
        var stringValue: String
        var intValue: Int? { nil }

        init(_ string: String) { stringValue = string }
        init?(stringValue: String) { self.stringValue = stringValue }
        init?(intValue: Int) { nil }
    }
}
