import ArgumentParser
import Foundation
import RHBatchCore

/// `rh-batch view DIR`: (re)writes the folder's `report.html` from its `report.json`.
struct ViewCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "view",
        abstract: "Write an output folder's report.html (the contact sheet) from its report.json.",
        discussion: """
            Every run writes report.html by itself; this rebuilds it, for example after copying a \
            folder or upgrading rh-batch. The page is one self-contained file: open it from disk, \
            no server or network needed. --open opens it with the system's opener (xdg-open or open).
            """
    )

    @Argument(help: "The output folder.", completion: .directory)
    var folder: String

    @Flag(help: "Open the page once written.")
    var open = false

    func run() throws {
        let reportPath = folder + "/report.json"
        guard let data = FileManager.default.contents(atPath: reportPath) else {
            Console.error("error: \(reportPath): not found; run the manifest into this folder first")
            throw ExitCode(ExitCodes.invalid)
        }
        guard let report = try? JSONSerialization.jsonObject(with: data) as? [String: Any] else {
            Console.error("error: \(reportPath): not a JSON object")
            throw ExitCode(ExitCodes.invalid)
        }
        let sheet = Self.sheet(report: report, inputs: Self.placedInputs(in: folder))
        let page = folder + "/report.html"
        do {
            try AtomicFile.write(Array(sheet.html.utf8), to: page, durable: false)
        } catch {
            Console.error("error: \(error)")
            throw ExitCode(1)
        }
        print("wrote \(page) (\(sheet.jobs.count) jobs)")
        if open {
            let opener = Process()
            opener.executableURL = URL(fileURLWithPath: "/usr/bin/env")
            #if os(macOS)
                opener.arguments = ["open", page]
            #else
                opener.arguments = ["xdg-open", page]
            #endif
            do { try opener.run() } catch { Console.error("could not open it: \(error)") }
        }
    }

    /// The files under `inputs/`, by the 16-digit hash prefix that names them.
    static func placedInputs(in folder: String) -> [String: String] {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: folder + "/inputs")) ?? []
        var byHash: [String: String] = [:]
        for name in names where !name.hasPrefix(".") {
            byHash[String(name.prefix { $0 != "." })] = "inputs/" + name
        }
        return byHash
    }

    /// The contact sheet of a parsed `report.json`.
    static func sheet(report: [String: Any], inputs: [String: String]) -> ContactSheet {
        let totals = report["totals"] as? [String: Any] ?? [:]
        let cost = totals["cost"] as? [String: Any] ?? [:]
        let header = ContactSheet.Header(
            name: (report["manifest"] as? [String: Any])?["name"] as? String ?? "rh-batch",
            totals: ["jobs", "succeeded", "alreadyDone", "failed", "unknown", "timeout", "cancelled", "skipped"].map {
                ($0, totals[$0] as? Int ?? 0)
            },
            cost: "\(cost["amount"] as? String ?? "0") \(cost["currency"] as? String ?? "")",
            durationSeconds: report["durationSeconds"] as? Double,
            simulated: report["simulated"] as? Bool ?? false,
            finishedAt: report["finishedAt"] as? String ?? ""
        )
        let jobs = (report["jobs"] as? [[String: Any]] ?? []).map { job -> ContactSheet.Job in
            let prompt = job["prompt"] as? [String: Any] ?? [:]
            let images = (job["images"] as? [[String: Any]] ?? []).map {
                image -> (id: String, path: String?, source: String) in
                let source = image["source"] as? String ?? ""
                let hash = (image["sha256"] as? String).map { String($0.prefix(16)) }
                let name = (source.split(separator: "/").last.map(String.init) ?? source)
                let stem = name.contains(".") ? String(name[..<name.lastIndex(of: ".")!]) : name
                return (stem, hash.flatMap { inputs[$0] }, source)
            }
            var fields: [(String, String)] = []
            if let params = job["params"] as? [String: Any] {
                for key in params.keys.sorted() {
                    let value = params[key]!
                    fields.append((key, (value as? String) ?? String(describing: value)))
                }
            }
            let status = job["status"] as? String ?? "unknown"
            let jobCost = job["cost"] as? [String: Any] ?? [:]
            let error = job["error"] as? [String: Any]
            let reason = error.map {
                "\($0["phase"] as? String ?? "") \($0["code"] as? String ?? ""): \($0["message"] as? String ?? "")"
            }
            let skipped = job["key"] is NSNull || job["key"] == nil
            return ContactSheet.Job(
                key: job["key"] as? String ?? "",
                model: skipped ? "(skipped)" : job["model"] as? String ?? "",
                promptID: prompt["id"] as? String ?? "",
                prompt: skipped ? job["summary"] as? String ?? "" : prompt["text"] as? String ?? "",
                inputs: images,
                fields: fields,
                sample: job["sample"] as? Int ?? 1,
                status: status,
                outputs: status == "succeeded"
                    ? (job["outputs"] as? [[String: Any]] ?? []).compactMap { $0["path"] as? String } : [],
                cost:
                    "\(jobCost["amount"] as? String ?? "0") \(jobCost["currency"] as? String ?? header.cost.split(separator: " ").last.map(String.init) ?? "")",
                seconds: job["durationSeconds"] as? Double,
                taskID: job["taskId"] as? String,
                reason: status == "succeeded" ? nil : reason
            )
        }
        return ContactSheet(header: header, jobs: jobs)
    }
}
