import ArgumentParser
import Foundation
import RHBatchCore

/// `rh-batch export-card DIR`: the dataset card for an output folder.
struct ExportCardCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "export-card",
        abstract: "Write a Hugging Face dataset card (README.md) for an output folder.",
        discussion: """
            Reads the folder's metadata.jsonl and report.json and writes README.md with the Hub's \
            YAML header (configs, data_files), the manifest's name, results per model, the \
            prompts, the total cost and the date. A README.md edited since rh-batch wrote it is \
            never overwritten. Runs of a manifest with 'dataset_card: true' do this by themselves.
            """
    )

    @Argument(help: "The output folder.", completion: .directory)
    var folder: String

    func run() throws {
        let metadataPath = folder + "/metadata.jsonl"
        guard let metadata = FileManager.default.contents(atPath: metadataPath) else {
            Console.error(
                "error: \(metadataPath): not found; run the manifest first (rh-batch writes it after every run)")
            throw ExitCode(.invalid)
        }
        var rows: [(model: String, prompt: String, cost: Money, fileName: String)] = []
        var columns: [String] = []
        var currency = "CNY"
        for (number, line) in metadata.split(separator: UInt8(ascii: "\n")).enumerated() {
            guard let object = try? JSONSerialization.jsonObject(with: Data(line)) as? [String: Any] else {
                Console.error("error: \(metadataPath):\(number + 1): not a JSON object")
                throw ExitCode(.invalid)
            }
            if columns.isEmpty { columns = object.keys.sorted() }
            currency = object["currency"] as? String ?? currency
            let cost = (object["cost"] as? NSNumber).flatMap { Money(String(format: "%.6f", $0.doubleValue)) } ?? .zero
            rows.append(
                (
                    object["model"] as? String ?? "", object["prompt"] as? String ?? "", cost,
                    object["file_name"] as? String ?? ""
                ))
        }
        let report = FileManager.default.contents(atPath: folder + "/report.json")
            .flatMap { try? JSONSerialization.jsonObject(with: $0) as? [String: Any] }
        let name =
            (report?["manifest"] as? [String: Any])?["name"] as? String
            ?? URL(fileURLWithPath: folder).lastPathComponent
        let date = (report?["finishedAt"] as? String).map { String($0.prefix(10)) } ?? ""
        let facts = DatasetCard.facts(name: name, date: date, currency: currency, columns: columns, rows: rows)
        switch try DatasetCard(facts: facts).write(to: folder) {
        case .written:
            print("wrote \(folder)/README.md (\(facts.results) results)")
        case .keptUsersFile:
            Console.error(
                "error: \(folder)/README.md was edited since rh-batch wrote it; not overwritten (move it away to write a new card)"
            )
            throw ExitCode(.failed)
        }
    }
}
