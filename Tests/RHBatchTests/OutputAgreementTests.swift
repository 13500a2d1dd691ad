import Foundation
import RHBatchCore
import RunningHubSimulator
import Testing

/// Every file a run writes about a job says the same as its record in `report.json`: the sidecar
/// of each result, its `index.jsonl` line, its `metadata.jsonl` line, and `view`'s page.
@Suite("one job record")
struct OutputAgreementTests {
    /// The description members every job file begins with.
    static let description = ["id", "key", "model", "endpoint", "prompt", "images", "params", "sample"]

    static func lines(_ path: String) throws -> [[String: Any]] {
        try String(contentsOfFile: path, encoding: .utf8).split(separator: "\n").map {
            try #require(try JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any])
        }
    }

    /// The record's member `name`, as JSON (so values compare whatever their type).
    static func member(_ record: JobReport, _ name: String) throws -> JSONValue? {
        let object = try JSONDecoder().decode(JSONValue.self, from: JSONEncoder().encode(record))
        guard case .object(let members) = object else { return nil }
        return members.first { $0.0 == name }?.1
    }

    static func json(_ value: Any?) throws -> JSONValue? {
        guard let value, !(value is NSNull) else { return value == nil ? nil : .null }
        let data = try JSONSerialization.data(withJSONObject: [value], options: [.fragmentsAllowed])
        let array = try JSONDecoder().decode(JSONValue.self, from: data)
        if case .array(let items) = array { return items.first }
        return nil
    }

    @Test func sidecarsIndexAndMetadataLinesAgreeWithTheReportFieldByField() async throws {
        let harness = try RunHarness()
        let manifest = RunHarness.threeModels.replacingOccurrences(
            of: "neon: Make it neon.", with: "neon: Make it CRASH.")
        // Two results a task; the neon prompt's tasks fail; the third submit's answer is lost.
        let simulator = SimulatorConfiguration(
            scenarios: [.multi, .failing], latency: 0.05...0.1, submitScript: [3: .loseAnswer])
        let result = try await harness.run(manifest, simulator: simulator)
        let report = try ReportFile.read(result.output + "/report.json")
        let statuses = Set(report.jobs.map(\.status))
        #expect(statuses.isSuperset(of: ["succeeded", "failed", "unknown"]), "\(statuses)")
        let index = try Self.lines(result.output + "/index.jsonl")
        let metadata = try Self.lines(result.output + "/metadata.jsonl")
        var checked = 0
        for job in report.jobs where job.status == "succeeded" {
            let outputs = try #require(job.outputs)
            #expect(outputs.count == 2, "two results")
            for (offset, output) in outputs.enumerated() {
                checked += 1
                let sidecarPath = result.output + "/" + output.path.replacingOccurrences(of: ".png", with: ".json")
                let sidecar = try #require(
                    try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: sidecarPath)))
                        as? [String: Any])
                let line = try #require(index.first { $0["path"] as? String == output.path })
                let row = try #require(metadata.first { $0["file_name"] as? String == output.path })
                // The description, member by member, in the sidecar and the index line.
                for name in Self.description + (job.media == nil ? [] : ["media"]) {
                    let expected = try Self.member(job, name)
                    #expect(try Self.json(sidecar[name]) == expected, "sidecar \(name)")
                    #expect(try Self.json(line[name]) == expected, "index \(name)")
                }
                // What the result adds.
                #expect(sidecar["index"] as? Int == offset + 1 && line["index"] as? Int == offset + 1)
                #expect(sidecar["taskId"] as? String == job.taskId && line["taskId"] as? String == job.taskId)
                #expect(sidecar["resultURL"] as? String == output.url && line["resultURL"] as? String == output.url)
                let file = try #require(sidecar["file"] as? [String: Any])
                #expect(file["path"] as? String == output.path && file["bytes"] as? Int == output.bytes)
                #expect(file["sha256"] as? String == output.sha256 && line["sha256"] as? String == output.sha256)
                #expect(line["bytes"] as? Int == output.bytes)
                let cost = try #require(sidecar["cost"] as? [String: Any])
                #expect(cost["amount"] as? String == job.cost?.amount && line["cost"] as? String == job.cost?.amount)
                #expect(cost["currency"] as? String == job.cost?.currency)
                #expect(sidecar["submittedAt"] as? String == job.submittedAt)
                #expect(sidecar["finishedAt"] as? String == job.finishedAt)
                #expect(sidecar["durationSeconds"] as? Double == job.durationSeconds)
                // The dataset line.
                #expect(row["key"] as? String == job.key && row["task_id"] as? String == job.taskId)
                #expect(row["model"] as? String == job.model && row["endpoint"] as? String == job.endpoint)
                #expect(row["prompt"] as? String == job.prompt?.text && row["prompt_id"] as? String == job.prompt?.id)
                #expect(row["image_id"] as? String == job.images?.first?.id)
                #expect(row["sample"] as? Int == job.sample && row["result_index"] as? Int == offset + 1)
                #expect(row["sha256"] as? String == output.sha256)
                #expect(row["cost"] as? Double == Double(job.cost?.amount ?? ""))
                #expect(row["currency"] as? String == job.cost?.currency)
                if case .object(let params)? = job.params {
                    for (name, value) in params {
                        #expect(try Self.json(row[name]) == value, "metadata \(name)")
                    }
                }
            }
        }
        #expect(checked == index.count && checked == metadata.count && checked > 0)
        // Failed and unknown jobs have no files, and say why in the report.
        for job in report.jobs where job.status != "succeeded" {
            #expect(job.outputs?.isEmpty == true && job.error != nil, "\(job.status)")
        }
        // `view` reads the same report back (typed) and rebuilds the same page.
        let page = try String(contentsOfFile: result.output + "/report.html", encoding: .utf8)
        let view = try CLI.run(["view", result.output])
        #expect(view.status == 0, "\(view.stderr)")
        #expect(try String(contentsOfFile: result.output + "/report.html", encoding: .utf8) == page)
    }

    @Test func aReportThatIsNotOneIsALocatedError() throws {
        let folder = try TempFolder()
        try folder.write("report.json", #"{"schemaVersion": 1, "jobs": "many"}"#)
        let view = try CLI.run(["view", folder.path])
        #expect(view.status == 64)
        #expect(view.stderr.contains(folder.path + "/report.json: not a report of rh-batch ("), "\(view.stderr)")
    }
}
