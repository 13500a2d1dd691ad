/// What an output folder's journal says, optionally against the manifest that fills it:
/// `rh-batch status`.
package struct OutputStatus: Sendable {
    /// One job worth naming: failed, unknown or in flight.
    package struct Item: Sendable {
        /// The short key.
        package var id: String
        /// `model image prompt` when the manifest is known, else the planned output path.
        package var label: String
        package var stage: String
        package var taskId: String?
        package var phase: String?
        package var code: String?
        package var message: String?
    }

    /// The folder read.
    package var folder: String
    /// Jobs by stage: `done`, `in flight`, `unknown`, `failed`, `cancelled`, `results missing`,
    /// `submitting`, and with a manifest `not started` and `left the manifest`.
    package var counts: [(String, Int)]
    /// Spend recorded in the journal.
    package var spent: Money
    /// The currency of the spend.
    package var currency: String
    /// RH coins recorded for workflow and app tasks.
    package var coins = Money.zero
    /// Failed, unknown and in-flight jobs.
    package var items: [Item]
    /// Per key of several (by fingerprint, with its name when a report names it): tasks, tasks
    /// in flight, spend.
    package var keys: [(id: String, name: String?, tasks: Int, inFlight: Int, spent: Money)] = []
    /// Warnings from reading the journal.
    package var warnings: [String]

    /// Reads `folder`'s journal; with a plan, also counts jobs not started and jobs that left it.
    package static func load(folder: String, plan: Plan?, keyNames: [String: String] = [:]) throws(JournalError)
        -> OutputStatus
    {
        let contents = try Journal.read(folder: folder)
        let state = contents.state
        var jobsByKey: [String: PlannedJob] = [:]
        if let plan { for job in plan.jobs { jobsByKey[job.key] = job } }
        var counts: [String: Int] = [:]
        var items: [Item] = []
        var spent = Money.zero
        var perKey: [String: (tasks: Int, inFlight: Int, spent: Money)] = [:]
        var coins = Money.zero
        state.forEachEntry { key, entry in
            if let cost = entry.cost.flatMap({ Money($0) }) { spent += cost }
            if let billed = entry.coins.flatMap({ Money($0) }) { coins += billed }
            if let keyID = entry.keyID {
                var usage = perKey[keyID] ?? (0, 0, .zero)
                usage.tasks += 1
                if entry.stage == .submitted { usage.inFlight += 1 }
                usage.spent += entry.cost.flatMap { Money($0) } ?? .zero
                perKey[keyID] = usage
            }
            if plan != nil && jobsByKey[key] == nil {
                counts["left the manifest", default: 0] += 1
                return
            }
            let stage: String
            switch entry.stage {
            case .succeeded: stage = entry.isComplete ? "done" : "results missing"
            case .submitted: stage = "in flight"
            case .submitting: stage = "unknown"
            case .refused: stage = "not started"
            case .unknown: stage = "unknown"
            case .failed: stage = "failed"
            case .cancelled: stage = "cancelled"
            }
            counts[stage, default: 0] += 1
            guard stage != "done" else { return }
            let label: String
            if let job = jobsByKey[key] {
                label = "\(job.model) \(job.image.id) \(job.prompt.id)"
            } else {
                label = state.plannedPath(key) ?? key
            }
            items.append(
                Item(
                    id: String(key.prefix(12)),
                    label: label,
                    stage: stage,
                    taskId: entry.taskId,
                    phase: entry.phase,
                    code: entry.code ?? (entry.stage == .submitting ? "interrupted" : nil),
                    message: entry.message
                        ?? (entry.stage == .submitting
                            ? "a run stopped between sending the submit and recording its answer" : nil)
                ))
        }
        if let plan {
            let notStarted = plan.jobs.filter { state.entry($0.digest) == nil }.count
            if notStarted > 0 { counts["not started"] = notStarted }
        }
        let order = [
            "done", "in flight", "results missing", "unknown", "failed", "cancelled", "not started",
            "left the manifest",
        ]
        var status = OutputStatus(
            folder: folder,
            counts: order.compactMap { name in counts[name].map { (name, $0) } },
            spent: spent,
            // The account's, as the last run read it; else the catalog's.
            currency: FolderCurrency.read(folder) ?? plan?.currency ?? "CNY",
            items: items,
            warnings: contents.warnings
        )
        status.coins = coins
        status.keys = perKey.keys.sorted().map { id in
            let usage = perKey[id]!
            return (id, keyNames[id], usage.tasks, usage.inFlight, usage.spent)
        }
        return status
    }

    /// As `rh-batch status` prints it.
    package var text: String {
        var lines = [
            "\(folder): "
                + (counts.isEmpty ? "no jobs recorded" : counts.map { "\($0.1) \($0.0)" }.joined(separator: ", "))
        ]
        lines.append("spent so far: \(spent) \(currency)" + (coins == .zero ? "" : " and \(coins) RH coins"))
        for key in keys {
            lines.append(
                "  key \(key.name.map { "\($0) (\(key.id))" } ?? key.id): \(key.tasks) tasks, \(key.inFlight) in flight, \(key.spent) \(currency)"
            )
        }
        for stage in ["in flight", "unknown", "failed", "cancelled", "results missing"] {
            let matching = items.filter { $0.stage == stage }
            guard !matching.isEmpty else { continue }
            lines.append("\(stage):")
            for item in matching.prefix(50) {
                var line = "  \(item.id) \(item.label)"
                if let taskId = item.taskId { line += " task \(taskId)" }
                if let code = item.code { line += ": \(item.phase.map { "\($0) " } ?? "")\(code)" }
                if let message = item.message { line += " \(message)" }
                lines.append(line)
            }
            if matching.count > 50 { lines.append("  ... and \(matching.count - 50) more") }
        }
        return lines.joined(separator: "\n")
    }

    /// As `rh-batch status --json` prints it.
    package var json: JSONValue {
        .object([
            ("folder", .string(folder)),
            ("counts", .object(counts.map { ($0.0, .integer($0.1)) })),
            ("spent", .object([("amount", .string(spent.description)), ("currency", .string(currency))])),
            ("coins", .string(coins.description)),
            (
                "keys",
                .array(
                    keys.map { key in
                        .object([
                            ("fingerprint", .string(key.id)), ("name", key.name.map(JSONValue.string) ?? .null),
                            ("tasks", .integer(key.tasks)),
                            ("inFlight", .integer(key.inFlight)), ("spent", .string(key.spent.description)),
                        ])
                    })
            ),
            (
                "jobs",
                .array(
                    items.map { item in
                        var members: [(String, JSONValue)] = [
                            ("id", .string(item.id)), ("label", .string(item.label)), ("stage", .string(item.stage)),
                        ]
                        if let taskId = item.taskId { members.append(("taskId", .string(taskId))) }
                        if let phase = item.phase { members.append(("phase", .string(phase))) }
                        if let code = item.code { members.append(("code", .string(code))) }
                        if let message = item.message { members.append(("message", .string(message))) }
                        return .object(members)
                    })
            ),
        ])
    }
}
