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
            shard folders: each shard's metadata.jsonl covers its own folder.
            """
    )

    @Argument(help: "The shard output folders.", completion: .directory)
    var folders: [String]

    @Option(name: [.customShort("o"), .long], help: "The folder for the merged report.", completion: .directory)
    var output: String

    func run() throws {
        let fileManager = FileManager.default
        let target = URL(fileURLWithPath: output).standardizedFileURL.path
        var reports: [(folder: String, relative: String, report: [String: Any])] = []
        for folder in folders {
            let path = folder + "/report.json"
            guard let data = fileManager.contents(atPath: path),
                let report = (try? JSONSerialization.jsonObject(with: data)) as? [String: Any]
            else {
                Console.error("error: \(path): not found or not a report; run the shard first")
                throw ExitCode(ExitCodes.invalid)
            }
            let absolute = URL(fileURLWithPath: folder).standardizedFileURL.path
            guard absolute != target else {
                Console.error("error: -o \(output) is one of the shard folders; merge into a folder of its own")
                throw ExitCode(ExitCodes.invalid)
            }
            reports.append((folder, InitCommand.relative(absolute, from: target), report))
        }
        let manifests = Set(reports.map { (($0.report["manifest"] as? [String: Any])?["sha256"] as? String) ?? "" })
        guard manifests.count == 1 else {
            let names = reports.map {
                "\($0.folder): \(((($0.report["manifest"] as? [String: Any])?["sha256"] as? String) ?? "?").prefix(12))"
            }
            Console.error(
                "error: these folders come from different manifests (by their SHA-256): \(names.joined(separator: ", "))"
            )
            throw ExitCode(ExitCodes.invalid)
        }
        try fileManager.createDirectory(atPath: output, withIntermediateDirectories: true)

        var merged = reports[0].report
        var jobs: [[String: Any]] = []
        var totals: [String: Any] = [:]
        var cost = Money.zero
        var currency = ""
        var exitCode = 0
        var started: [String] = []
        var finished: [String] = []
        var keys = Set<String>()
        for (folder, relative, report) in reports {
            for var job in report["jobs"] as? [[String: Any]] ?? [] {
                if let key = job["key"] as? String, !keys.insert(key).inserted {
                    Console.error(
                        "error: job \(key.prefix(12)) is in more than one folder (\(folder)); were these shards of one --shard N?"
                    )
                    throw ExitCode(ExitCodes.invalid)
                }
                if let outputs = job["outputs"] as? [[String: Any]] {
                    job["outputs"] = outputs.map { output in
                        var output = output
                        if let path = output["path"] as? String { output["path"] = Self.join(relative, path) }
                        return output
                    }
                }
                jobs.append(job)
            }
            for (name, value) in report["totals"] as? [String: Any] ?? [:] {
                if let number = value as? Int { totals[name] = (totals[name] as? Int ?? 0) + number }
                if name == "cost", let money = value as? [String: Any] {
                    cost = Money(micros: cost.micros + (Money(money["amount"] as? String ?? "0")?.micros ?? 0))
                    currency = money["currency"] as? String ?? currency
                }
            }
            exitCode = max(exitCode, report["exitCode"] as? Int ?? 0)
            if let at = report["startedAt"] as? String { started.append(at) }
            if let at = report["finishedAt"] as? String { finished.append(at) }
        }
        totals["cost"] = ["amount": cost.description, "currency": currency]
        merged["jobs"] = jobs
        merged["totals"] = totals
        merged["exitCode"] = exitCode
        merged["startedAt"] = started.min() ?? ""
        merged["finishedAt"] = finished.max() ?? ""
        merged["durationSeconds"] = nil
        merged["stopReason"] = reports.compactMap { $0.report["stopReason"] as? String }.first ?? NSNull()
        merged["merged"] = reports.map {
            ["folder": $0.relative, "jobs": ($0.report["jobs"] as? [Any])?.count ?? 0] as [String: Any]
        }
        let reportData = try JSONSerialization.data(
            withJSONObject: merged, options: [.sortedKeys, .prettyPrinted, .withoutEscapingSlashes])
        try write(Array(reportData) + [10], to: output + "/report.json")

        // index.jsonl: the shards' lines, paths made relative to the merge. (No metadata.jsonl:
        // each shard's own covers its folder, and a dataset loader refuses paths that leave the
        // folder of the metadata file.)
        var index: [UInt8] = []
        for (folder, relative, _) in reports {
            for line in Self.lines(folder + "/index.jsonl") {
                var object = line
                if let path = object["path"] as? String { object["path"] = Self.join(relative, path) }
                index +=
                    Array(
                        try JSONSerialization.data(
                            withJSONObject: object, options: [.sortedKeys, .withoutEscapingSlashes])) + [10]
            }
        }
        try write(index, to: output + "/index.jsonl")

        var inputs: [String: String] = [:]
        for (folder, relative, _) in reports {
            for (hash, path) in ViewCommand.placedInputs(in: folder) where inputs[hash] == nil {
                inputs[hash] = Self.join(relative, path)
            }
        }
        let sheet = ViewCommand.sheet(report: merged, inputs: inputs)
        try write(Array(sheet.html.utf8), to: output + "/report.html")
        print(
            "merged \(reports.count) folders, \(jobs.count) jobs, into \(output)/ (report.json, report.html, index.jsonl)"
        )
    }

    func write(_ bytes: [UInt8], to path: String) throws {
        do {
            try AtomicFile.write(bytes, to: path, durable: false)
        } catch {
            Console.error("error: \(error)")
            throw ExitCode(1)
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
