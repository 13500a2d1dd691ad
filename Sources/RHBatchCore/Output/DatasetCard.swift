import Crypto

/// The dataset card: `README.md` at the output root with the Hugging Face Hub's YAML header, so
/// the folder can be pushed to the Hub as it is and `load_dataset(folder)` finds its data files.
///
/// Written after a run when the manifest says `dataset_card: true`, or by `rh-batch export-card`;
/// never over a card the user edited (the hash of the last card written is kept in
/// `.rh-batch-card`).
package struct DatasetCard: Sendable {
    /// What the card says, gathered from a run or from a folder's `metadata.jsonl`.
    package struct Facts: Sendable {
        package var name: String
        /// The day the results were made, `YYYY-MM-DD`.
        package var date: String
        package var results: Int
        /// Result files per model alias, in first-seen order.
        package var perModel: [(model: String, results: Int)]
        /// Result files per prompt text, in first-seen order.
        package var prompts: [(text: String, results: Int)]
        package var cost: String
        package var currency: String
        /// Result file extensions, e.g. `png`.
        package var extensions: [String]
        /// The columns of `metadata.jsonl`.
        package var columns: [String]

        package init(
            name: String, date: String, results: Int, perModel: [(model: String, results: Int)],
            prompts: [(text: String, results: Int)], cost: String, currency: String, extensions: [String],
            columns: [String]
        ) {
            self.name = name
            self.date = date
            self.results = results
            self.perModel = perModel
            self.prompts = prompts
            self.cost = cost
            self.currency = currency
            self.extensions = extensions
            self.columns = columns
        }
    }

    package var facts: Facts

    /// Facts from result rows: (model, prompt text, cost, file name) per result file.
    package static func facts(
        name: String, date: String, currency: String, columns: [String],
        rows: some Sequence<(model: String, prompt: String, cost: Money, fileName: String)>
    ) -> Facts {
        var perModel: [(model: String, results: Int)] = []
        var prompts: [(text: String, results: Int)] = []
        var extensions: [String] = []
        var total = Money.zero
        var results = 0
        for row in rows {
            results += 1
            total = Money(micros: total.micros + row.cost.micros)
            if let at = perModel.firstIndex(where: { $0.model == row.model }) {
                perModel[at].results += 1
            } else {
                perModel.append((row.model, 1))
            }
            if let at = prompts.firstIndex(where: { $0.text == row.prompt }) {
                prompts[at].results += 1
            } else {
                prompts.append((row.prompt, 1))
            }
            if let dot = row.fileName.lastIndex(of: ".") {
                let ext = String(row.fileName[row.fileName.index(after: dot)...])
                if !extensions.contains(ext) { extensions.append(ext) }
            }
        }
        return Facts(
            name: name, date: date, results: results, perModel: perModel, prompts: prompts,
            cost: total.description, currency: currency, extensions: extensions.sorted(), columns: columns
        )
    }

    package init(facts: Facts) {
        self.facts = facts
    }

    /// The card's Markdown, with its YAML header.
    package var text: String {
        var lines = [
            "---", "# license: fill in the license of your inputs and results, e.g. cc-by-4.0",
            "pretty_name: \(quoted(facts.name))",
        ]
        lines += [
            "tags:", "- rh-batch", "- image-editing", "configs:", "- config_name: default", "  data_files:",
            "  - split: train", "    path:", "    - metadata.jsonl",
        ]
        for ext in facts.extensions { lines.append("    - \(quoted("**/*." + ext))") }
        lines += ["---", "", "# \(facts.name)", ""]
        lines.append(
            "\(facts.results) results made with rh-batch on [RunningHub](https://www.runninghub.ai) on \(facts.date), for \(facts.cost) \(facts.currency) in all."
        )
        lines += [
            "", "Load it with `datasets`:", "", "```python", "from datasets import load_dataset",
            "ds = load_dataset(\"imagefolder\", data_dir=\".\", split=\"train\")", "```", "",
        ]
        lines.append(
            "Each row is one result: `image` (the result), `input` (the input images, in `inputs/`), and the columns \(facts.columns.filter { $0 != "file_name" && $0 != "input_file_names" }.map { "`\($0)`" }.joined(separator: ", "))."
        )
        lines += ["", "## Results per model", "", "| model | results |", "|---|---|"]
        for (model, count) in facts.perModel { lines.append("| \(model) | \(count) |") }
        lines += ["", "## Prompts", "", "| prompt | results |", "|---|---|"]
        for (text, count) in facts.prompts {
            lines.append("| \(text.replacingAll("|", with: "\\|").replacingAll("\n", with: " ")) | \(count) |")
        }
        lines.append("")
        return lines.joined(separator: "\n")
    }

    private func quoted(_ text: String) -> String {
        var out = ""
        JSONValue.writeString(text, to: &out)
        return out
    }

    /// What writing the card did.
    package enum Outcome: Sendable, Equatable {
        case written
        /// `README.md` differs from the card rh-batch last wrote: the user's, left alone.
        case keptUsersFile
    }

    /// Writes `README.md` in `folder` unless the user edited the one there.
    package func write(to folder: String) throws(AtomicFile.Failure) -> Outcome {
        let cardPath = folder + "/README.md"
        let hashPath = folder + "/.rh-batch-card"
        if case .success(let existing) = FileSystem.readAll(cardPath) {
            var last = ""
            if case .success(let recorded) = FileSystem.readAll(hashPath) {
                last = String(decoding: recorded, as: UTF8.self)
            }
            if SHA256.hash(data: existing).hexString != last.trimmed { return .keptUsersFile }
        }
        let bytes = Array(text.utf8)
        try AtomicFile.write(bytes, to: cardPath, durable: false)
        try AtomicFile.write(Array((SHA256.hash(data: bytes).hexString + "\n").utf8), to: hashPath, durable: false)
        return .written
    }
}

extension String {
    fileprivate func replacingAll(_ target: Character, with replacement: String) -> String {
        var out = ""
        for character in self { if character == target { out += replacement } else { out.append(character) } }
        return out
    }
}
