import Foundation

extension WorkflowRules {
    /// `run/workflow/{id}` → (`workflow`, id); `run/ai-app/{id}` → (`app`, id); else `nil`.
    static func target(of endpoint: String) -> (kind: String, id: String)? {
        for (prefix, kind) in [("run/workflow/", "workflow"), ("run/ai-app/", "app")] where endpoint.hasPrefix(prefix) {
            return (kind, String(endpoint.dropFirst(prefix.count)))
        }
        return nil
    }
}

extension SimulatorState {
    /// The graph (as `getJsonApiFormat` gives it) of a workflow, or `nil` when there is none.
    func workflowGraph(id: String) -> String? {
        workflowRules.graphs[id]?.text
    }

    /// An app's name and `nodeInfoList` (JSON text), or `nil` when there is none.
    func appFields(id: String) -> (name: String, list: String)? {
        workflowRules.apps[id].map { ($0.name, $0.text) }
    }

    /// A run of a workflow or app: checked as the service does (see ``WorkflowRules/check``),
    /// then a task with one result per output node, billed `ceil(seconds × rate)` RH coins
    /// (0.2 a second, 0.4 on `plus`), unless it failed validation (never billed).
    func submitWorkflow(
        key: String, kind: String, id: String, endpoint: String, body: [String: Any], canonicalBody: String,
        scripted: ScriptedFault?, now: ContinuousClock.Instant
    ) -> SubmitDecision {
        func refused(_ code: String, _ message: String, httpStatus: Int = 200) -> SubmitDecision {
            refuse(code)
            return .refused(code: code, message: message, httpStatus: httpStatus, retryAfter: nil)
        }
        if case .refuse(let code, let httpStatus, _) = scripted {
            return refused(code, "scripted refusal", httpStatus: httpStatus)
        }
        var running = activeFinishes[key, default: []]
        running.removeAll { $0.at <= now }
        activeFinishes[key] = running
        if running.count >= limit(for: key) { return refused("421", "TASK_QUEUE_MAXED") }
        let verdict = workflowRules.check(kind: kind, id: id, body: body) { name in
            let stem = name.hasPrefix("openapi/") ? String(name.dropFirst("openapi/".count)) : name
            return self.uploads[String(stem.prefix { $0 != "." })] != nil
        }
        var latency = Double.random(in: configuration.latency, using: &random)
        if configuration.scenarios.contains(.slow) { latency *= 5 }
        nextTaskNumber += UInt64.random(in: 1...997, using: &random)
        var task = SimulatedTask(
            id: String(nextTaskNumber), apiKey: key, endpoint: endpoint, canonicalBody: canonicalBody, createdAt: now,
            runningAt: now + .seconds(latency * 0.2), finishesAt: now + .seconds(latency),
            outcome: .success(results: 1),
            price: 0, billed: true, width: configuration.resultSide, height: configuration.resultSide * 3 / 4,
            pixelSeed: Self.hash(endpoint + canonicalBody))
        switch verdict {
        case .refused(let code, let message):
            return refused(code, message)
        case .invalid(let tips):
            // A task that never runs: failed at once, not billed.
            task.runningAt = now
            task.finishesAt = now
            task.billed = false
            task.outcome = .failure(code: "433", message: "VALIDATE_PROMPT_FAILED")
            task.promptTips = tips
        case .run(let nodes):
            task.resultNodes = nodes
            task.outcome = .success(results: max(1, nodes.count))
            // GPU seconds: the latency scaled up, as a real run takes tens of seconds.
            task.costSeconds = max(1, Int((latency * 20).rounded(.up)))
            let rate = (body["instanceType"] as? String) == "plus" ? 0.4 : 0.2
            task.coins = Int((Double(task.costSeconds) * rate).rounded(.up))
            task.promptTips = WorkflowRules.tips(result: true, errors: [:], outputs: nodes)
        }
        tasks[task.id] = task
        if task.finishesAt > now { activeFinishes[key, default: []].append((task.id, task.finishesAt)) }
        ledger.submitsAccepted += 1
        ledger.peakConcurrent = max(ledger.peakConcurrent, running.count + 1)
        ledger.peakByKey[key] = max(ledger.peakByKey[key] ?? 0, running.count + 1)
        if task.billed {
            var billed = Ledger.BilledTask(
                taskId: task.id, endpoint: endpoint, body: canonicalBody, price: 0, latency: latency, apiKey: key)
            billed.coins = task.coins
            ledger.billed.append(billed)
            if !billedBodies.insert(endpoint + "\n" + canonicalBody).inserted { ledger.doubleBilled += 1 }
        }
        ledgerChanged()
        return .accepted(task, loseAnswer: scripted == .loseAnswer)
    }
}
