import RunningHubModel
import YAML

extension Plan {
    /// RH coins the workflow and app jobs are estimated at (`estimate_seconds`), and how many
    /// have no estimate.
    package var coinEstimate: (coins: Int, unknown: Int) {
        var result = (coins: 0, unknown: 0)
        for entry in jobsPerModel {
            guard let workflow = catalog.model(named: entry.model)?.workflow else { continue }
            if let each = workflow.estimatedCoins {
                result.coins += each * entry.jobs
            } else {
                result.unknown += entry.jobs
            }
        }
        return result
    }

    /// The plan as `rh-batch plan --json` prints it.
    package func summaryJSON(examples: Int = 5) -> JSONValue {
        let perModel = jobsPerModel.map { entry in
            var members: [(String, JSONValue)] = [
                ("model", .string(entry.model)),
                ("jobs", .integer(entry.jobs)),
                ("estimatedCost", .string(entry.cost.description)),
            ]
            if let workflow = catalog.model(named: entry.model)?.workflow {
                members.append(("estimatedCoins", workflow.estimatedCoins.map { .integer($0 * entry.jobs) } ?? .null))
            }
            return JSONValue.object(members)
        }
        let mergedReasons = mergedReasonCounts
        return .object([
            ("manifest", .string(manifest.file)),
            ("name", .string(manifest.name)),
            ("output", .string(outputDirectory)),
            ("concurrency", .integer(manifest.concurrency)),
            ("jobs", .integer(jobs.count)),
            ("perModel", .array(perModel)),
            ("localImages", .integer(localImages.count)),
            ("merged", .integer(merged.count)),
            (
                "mergedReasons",
                .array(mergedReasons.map { .object([("reason", .string($0.0)), ("jobs", .integer($0.1))]) })
            ),
            (
                "skipped",
                .array(
                    skipped.map { item in
                        .object([
                            ("job", .string(item.summary)),
                            ("reason", .string(item.reason)),
                            ("location", .string(location(item.mark))),
                            ("path", .string(item.path.description)),
                        ])
                    })
            ),
            (
                "estimatedCost",
                .object([("amount", .string(estimatedCost.description)), ("currency", .string(currency))])
            ),
            ("unpricedJobs", .integer(unpricedJobs)),
            // The account's currency, when an earlier run into the folder read one unlike the catalog's.
            ("billingCurrency", billingCurrency.map(JSONValue.string) ?? .null),
            ("estimatedCoins", .integer(coinEstimate.coins)),
            ("jobsWithoutCoinEstimate", .integer(coinEstimate.unknown)),
            ("exampleOutputs", .array(exampleOutputs(examples).map(JSONValue.string))),
        ])
    }

    /// The plan as `rh-batch plan` prints it for a person.
    package func summaryText(examples: Int = 5) -> String {
        var lines: [String] = []
        let jobWord = jobs.count == 1 ? "job" : "jobs"
        // Workflow and app jobs are billed in RH coins (the line below), not counted here.
        let workflowJobs = jobs.lazy.filter { $0.shape.value.sendsFileNames }.count
        let moneyUnpriced = unpricedJobs - workflowJobs
        let unpriced =
            moneyUnpriced == 0 ? "" : " + \(moneyUnpriced) \(moneyUnpriced == 1 ? "job" : "jobs") of price unknown"
        lines.append(
            "\(manifest.file): \(jobs.count) \(jobWord), estimated cost \(estimatedCost) \(currency)\(unpriced)")
        if !manifest.workflows.isEmpty {
            let estimate = coinEstimate
            let unknown = estimate.unknown == 0 ? "" : " + \(estimate.unknown) jobs without estimate_seconds"
            lines.append(
                "workflows and apps are billed by GPU time: ≈ \(estimate.coins) RH coins\(unknown) (not in the cost above)"
            )
        }
        let perModel = jobsPerModel
        let width = perModel.map(\.model.count).max() ?? 0
        let unpricedModels = unpricedJobs == 0 ? [] : Set(jobs.lazy.filter { !$0.priceKnown }.map(\.model))
        for entry in perModel {
            let name = entry.model.padding(toLength: width)
            if let workflow = catalog.model(named: entry.model)?.workflow {
                let coins =
                    workflow.estimatedCoins.map { "≈ \($0 * entry.jobs) RH coins (\($0) a job)" }
                    ?? "RH coins unknown: declare estimate_seconds"
                lines.append(
                    "  \(name)  \(String(entry.jobs).leftPadded(toLength: 7)) jobs  \(workflow.kind.rawValue) \(workflow.id), \(coins)"
                )
                continue
            }
            let unknown = unpricedModels.contains(entry.model) ? "  (price unknown)" : ""
            lines.append(
                "  \(name)  \(String(entry.jobs).leftPadded(toLength: 7)) jobs  \(entry.cost.description.leftPadded(toLength: 10)) \(currency)\(unknown)"
            )
        }
        lines.append("  local images: \(localImages.count), concurrency: \(manifest.concurrency)")
        if let billed = billingCurrency {
            lines.append(
                "the estimates are in \(currency) (the catalog's prices); this folder's account is billed in \(billed) (an earlier run read it): run --max-cost counts \(billed) billed, or these estimates with --max-cost-currency \(currency)"
            )
        }
        if !merged.isEmpty {
            let reasons = mergedReasonCounts
            lines.append("merged \(merged.count) identical \(merged.count == 1 ? "combination" : "combinations"):")
            for (reason, count) in reasons { lines.append("  \(count) × \(reason)") }
        }
        if !skipped.isEmpty {
            lines.append("skipped \(skipped.count) invalid \(skipped.count == 1 ? "job" : "jobs") (--skip-invalid):")
            for item in skipped.prefix(20) {
                lines.append(
                    "  \(item.summary): \(item.reason) (\(location(item.mark)))")
            }
            if skipped.count > 20 { lines.append("  ... and \(skipped.count - 20) more") }
        }
        lines.append("output: \(outputDirectory)")
        let samples = exampleOutputs(examples)
        if !samples.isEmpty {
            lines.append("example outputs:")
            for path in samples { lines.append("  \(path)") }
        }
        return lines.joined(separator: "\n")
    }

    /// `file:line:col` of a mark in the manifest or one of its tables.
    package func location(_ mark: Mark) -> String {
        let file = mark.source > 0 && Int(mark.source) <= files.count ? files[Int(mark.source) - 1] : manifest.file
        return "\(file):\(mark.line):\(mark.column)"
    }

    /// How many combinations were merged for each reason, in the order the reasons first occur.
    package var mergedReasonCounts: [(String, Int)] {
        var counts: [(String, Int)] = []
        for item in merged {
            if let index = counts.firstIndex(where: { $0.0 == item.reason }) {
                counts[index].1 += 1
            } else {
                counts.append((item.reason, 1))
            }
        }
        return counts
    }

    /// The result folder: the manifest's `output` (or `out/<name>`) relative to its folder.
    package var outputDirectory: String {
        FilePath.join(manifest.directory, manifest.outputPath)
    }

    /// A few output paths spread over the plan, one per model first.
    package func exampleOutputs(_ count: Int) -> [String] {
        guard count > 0, !jobs.isEmpty else { return [] }
        var chosen: [Int] = []
        var models: Set<String> = []
        var previous: String?
        for (index, job) in jobs.enumerated() where job.model != previous {
            previous = job.model
            guard models.insert(job.model).inserted else { continue }
            chosen.append(index)
            if chosen.count == count { break }
        }
        var index = 0
        while chosen.count < min(count, jobs.count) {
            if !chosen.contains(index) { chosen.append(index) }
            index += 1
        }
        return chosen.sorted().map { jobs[$0].outputPath(fileExtension: jobs[$0].output.defaultExtension) }
    }
}

extension String {
    func padding(toLength length: Int) -> String {
        count >= length ? self : self + String(repeating: " ", count: length - count)
    }

    func leftPadded(toLength length: Int) -> String {
        count >= length ? self : String(repeating: " ", count: length - count) + self
    }
}
