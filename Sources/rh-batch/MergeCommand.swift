import ArgumentParser
import Foundation
import RHBatchCore

/// `rh-batch merge DIR... -o DIR`: shard folders of one manifest as one report.
struct MergeCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "merge",
        abstract: "Combine the output folders of a manifest's shards into one report, index and dataset.",
        discussion: """
            Writes report.json, report.html and index.jsonl in -o DIR, with paths relative to it \
            that point into the shard folders: no result file is copied. Folders from different \
            manifests (by the manifest's SHA-256) are refused. Run it again after the shards run \
            again; it rewrites its own files only. As a dataset, load the folder that holds the \
            shard folders: each shard's metadata.jsonl covers its own folder. A shard may also be \
            named by its report.json alone (copied back from a node-local disk without its \
            results): the merged report then marks those results "local": false and says how many.
            """
    )

    @Argument(
        help: "The shard output folders, or their report.json files (copied back without their results).",
        completion: .file())
    var folders: [String]

    @Option(name: [.customShort("o"), .long], help: "The folder for the merged report.", completion: .directory)
    var output: String

    func run() throws {
        let target = URL(fileURLWithPath: output).standardizedFileURL.path
        var reports: [(folder: String, relative: String, report: ReportFile)] = []
        for given in folders {
            // A report file alone (its shard's folder may be on another machine's disk).
            var isFolder: ObjCBool = false
            let isFile = FileManager.default.fileExists(atPath: given, isDirectory: &isFolder) && !isFolder.boolValue
            let folder = isFile ? ManifestLoader.directory(of: given) : given
            let report: ReportFile
            do {
                report = try ReportFile.read(isFile ? given : folder + "/report.json")
            } catch {
                Console.error("error: \(error.path): \(error.message); run the shard first")
                throw ExitCode(.invalid)
            }
            let absolute = URL(fileURLWithPath: folder).standardizedFileURL.path
            guard absolute != target else {
                Console.error("error: -o \(output) is one of the shard folders; merge into a folder of its own")
                throw ExitCode(.invalid)
            }
            reports.append((folder, InitCommand.relative(absolute, from: target), report))
        }
        guard Set(reports.map(\.report.manifest.sha256)).count == 1 else {
            let names = reports.map { "\($0.folder): \($0.report.manifest.sha256.prefix(12))" }
            Console.error(
                "error: these folders come from different manifests (by their SHA-256): \(names.joined(separator: ", "))"
            )
            throw ExitCode(.invalid)
        }
        // Bills in two currencies (shards on accounts of the .cn and the .ai site) do not add up.
        let currencies = Set(reports.map(\.report.totals.cost.currency))
        guard currencies.count == 1 else {
            let named = reports.map { "\($0.folder): \($0.report.totals.cost.currency)" }
            Console.error(
                "error: these shards were billed in different currencies (\(named.joined(separator: ", "))): their costs cannot be added up"
            )
            throw ExitCode(.invalid)
        }
        try FileManager.default.createDirectory(atPath: output, withIntermediateDirectories: true)
        var merged = try Self.merge(reports.map { ($0.folder, $0.relative, $0.report) })
        let missing = Self.markMissing(&merged, folders: reports.map { ($0.folder, $0.relative) }, target: target)
        try write(try merged.encoded(), to: output + "/report.json")
        try write(Self.mergedIndex(reports.map { ($0.folder, $0.relative) }), to: output + "/index.jsonl")
        var inputs: [String: String] = [:]
        for (folder, relative, _) in reports {
            for (hash, path) in ContactSheet.placedInputs(in: folder) where inputs[hash] == nil {
                inputs[hash] = Self.join(relative, path)
            }
        }
        let sheet = ViewCommand.sheet(report: merged, inputs: inputs)
        try write(Array(sheet.html.utf8), to: output + "/report.html")
        print(
            "merged \(reports.count) folders, \(merged.jobs.count) jobs, into \(output)/ (report.json, report.html, index.jsonl)"
        )
        if missing.count > 0 {
            print(
                "\(missing.count) result files are not here (\"local\": false in report.json), e.g. \(missing.first!): the report lists them where their shards wrote them"
            )
        }
    }

    /// Marks the results whose files are not where the merged report says (`local: false`) and
    /// counts them per shard; returns them.
    static func markMissing(_ merged: inout ReportFile, folders: [(folder: String, relative: String)], target: String)
        -> [String]
    {
        var missing: [String] = []
        var perShard: [String: Int] = [:]
        for jobIndex in merged.jobs.indices {
            guard var outputs = merged.jobs[jobIndex].outputs else { continue }
            for outputIndex in outputs.indices {
                let path = outputs[outputIndex].path
                let absolute = path.hasPrefix("/") ? path : target + "/" + path
                guard !FileManager.default.fileExists(atPath: absolute) else { continue }
                outputs[outputIndex].local = false
                missing.append(path)
                if let shard = folders.first(where: { path.hasPrefix($0.relative == "." ? "" : $0.relative + "/") }) {
                    perShard[shard.relative, default: 0] += 1
                }
            }
            merged.jobs[jobIndex].outputs = outputs
        }
        if let shards = merged.merged {
            merged.merged = shards.map { shard in
                var shard = shard
                shard.notLocal = perShard[shard.folder]
                return shard
            }
        }
        return missing
    }

    /// The shards' reports as one: every job (result paths made relative to the merge), totals
    /// added up, the earliest start and latest finish, the worst exit code.
    static func merge(_ reports: [(folder: String, relative: String, report: ReportFile)]) throws -> ReportFile {
        var merged = reports[0].report
        var keys = Set<String>()
        merged.jobs = []
        var totals = ReportFile.Totals(cost: JobReport.Cost(amount: "0", currency: merged.totals.cost.currency))
        var cost = Money.zero
        for (folder, relative, report) in reports {
            for var job in report.jobs {
                if let key = job.key, !keys.insert(key).inserted {
                    Console.error(
                        "error: job \(key.prefix(12)) is in more than one folder (\(folder)); were these shards of one --shard N?"
                    )
                    throw ExitCode(.invalid)
                }
                job.outputs = job.outputs?.map { output in
                    var output = output
                    output.path = join(relative, output.path)
                    return output
                }
                merged.jobs.append(job)
            }
            totals.add(report.totals)
            cost = Money(micros: cost.micros + (Money(report.totals.cost.amount)?.micros ?? 0))
        }
        totals.cost.amount = cost.description
        merged.totals = totals
        merged.exitCode = reports.map(\.report.exitCode).max() ?? 0
        merged.startedAt = reports.map(\.report.startedAt).min() ?? ""
        merged.finishedAt = reports.map(\.report.finishedAt).max() ?? ""
        merged.durationSeconds = nil
        merged.stopReason = reports.compactMap(\.report.stopReason).first
        merged.merged = reports.map { ReportFile.Merged(folder: $0.relative, jobs: $0.report.jobs.count) }
        // Currencies agree (checked before); drift and webhook counts add up across shards.
        merged.currencies = reports.lazy.compactMap(\.report.currencies).first
        let drift = reports.compactMap(\.report.priceDrift)
        merged.priceDrift = drift.isEmpty ? nil : ReportFile.PriceDrift.merged(drift)
        merged.webhook = Self.mergedWebhook(reports.compactMap(\.report.webhook))
        return merged
    }

    /// Webhook counts of the shards that listened, member by member (`nil` when none did).
    static func mergedWebhook(_ counts: [JSONValue]) -> JSONValue? {
        var totals: [(String, Int)] = []
        for case .object(let members) in counts {
            for case (let name, .integer(let count)) in members {
                if let position = totals.firstIndex(where: { $0.0 == name }) {
                    totals[position].1 += count
                } else {
                    totals.append((name, count))
                }
            }
        }
        return totals.isEmpty ? nil : .object(totals.map { ($0.0, .integer($0.1)) })
    }

    /// The shards' `index.jsonl` lines, paths made relative to the merge. (No metadata.jsonl:
    /// each shard's own covers its folder, and a dataset loader refuses paths that leave the
    /// folder of the metadata file.)
    static func mergedIndex(_ shards: [(folder: String, relative: String)]) throws -> [UInt8] {
        var index: [UInt8] = []
        for (folder, relative) in shards {
            for line in lines(folder + "/index.jsonl") {
                var object = line
                if let path = object["path"] as? String { object["path"] = join(relative, path) }
                let options: JSONSerialization.WritingOptions = [.sortedKeys, .withoutEscapingSlashes]
                index += Array(try JSONSerialization.data(withJSONObject: object, options: options)) + [10]
            }
        }
        return index
    }

    func write(_ bytes: [UInt8], to path: String) throws {
        do {
            try AtomicFile.write(bytes, to: path, durable: false)
        } catch {
            Console.error("error: \(error)")
            throw ExitCode(.failed)
        }
    }

    static func join(_ folder: String, _ path: String) -> String {
        folder == "." ? path : folder + "/" + path
    }

    static func lines(_ path: String) -> [[String: Any]] {
        guard let data = FileManager.default.contents(atPath: path) else { return [] }
        return data.split(separator: UInt8(ascii: "\n")).compactMap {
            try? JSONSerialization.jsonObject(with: Data($0)) as? [String: Any]
        }
    }
}
