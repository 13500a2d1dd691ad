import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1

/// What the simulator will do with one task's callback, drawn with the seed at submit time.
struct CallbackPlan: Sendable {
    var drop: Bool
    var duplicate: Bool
    /// Extra seconds before each send (the duplicate's own).
    var delays: (Double, Double)
    /// A task id the simulator never issued, for a forged callback sent beside it.
    var forgedTaskId: String?
    /// Held back until another callback has been sent.
    var reorder: Bool
    /// A forged success for the task itself, sent while it runs (the task is held running).
    var forgeRunning: Bool
}

extension SimulatorState {
    /// Draws the faults of a task's callback (``SimulatorConfiguration/webhooks``).
    func callbackPlan() -> CallbackPlan {
        let faults = configuration.webhooks
        let drop = faults.drop > 0 && random.chance(faults.drop)
        let duplicate = faults.duplicate > 0 && random.chance(faults.duplicate)
        let delays = (
            faults.delay > 0 ? Double.random(in: 0...faults.delay, using: &random) : 0,
            faults.delay > 0 ? Double.random(in: 0...faults.delay, using: &random) : 0
        )
        var forged: String?
        if faults.forge > 0 && random.chance(faults.forge) {
            forged = String(UInt64.random(in: 1_000_000_000_000_000_000...1_999_999_999_999_999_999, using: &random))
        }
        let reorder = faults.reorder > 0 && random.chance(faults.reorder)
        let forgeRunning = faults.forgeRunning > 0 && random.chance(faults.forgeRunning)
        if drop { ledger.callbacksDropped += 1 }
        if duplicate && !drop { ledger.callbacksDuplicated += 1 }
        if forged != nil { ledger.callbacksForged += 1 }
        ledgerChanged()
        return CallbackPlan(
            drop: drop, duplicate: duplicate, delays: delays, forgedTaskId: forged, reorder: reorder,
            forgeRunning: forgeRunning)
    }

    /// Numbers a task's callback as it becomes ready to send, in the order tasks' callbacks
    /// become ready.
    func callbackReady() -> Int {
        readyCallbacks += 1
        return readyCallbacks
    }

    /// A task's callback, numbered by ``callbackReady()``, is being sent.
    func callbackSending(_ number: Int) {
        latestSentCallback = max(latestSentCallback, number)
    }

    /// Whether a callback that became ready after callback `number` has been sent.
    func overtaken(_ number: Int) -> Bool {
        latestSentCallback > number
    }

    /// Counts a callback held back and sent after one that became ready later.
    func callbackReordered() {
        ledger.callbacksReordered += 1
        ledgerChanged()
    }

    /// Counts a forged success sent for a task that still runs.
    func forgedRunningSent() {
        ledger.callbacksForgedRunning += 1
        ledgerChanged()
    }

    /// Holds a task `RUNNING` until ``releaseEnd(_:)``, so that a forged success sent "while it
    /// runs" is sent while it runs however late a loaded machine lets it go; it counts against its
    /// key's concurrency meanwhile. Returns the task as held, or `nil` for a task that never runs
    /// (a workflow that failed validation, failed at submit), which is not held.
    func holdEnd(_ taskId: String) -> SimulatedTask? {
        guard var task = tasks[taskId], heldFinishes[taskId] == nil else { return nil }
        if case .failure = task.outcome, task.finishesAt <= task.createdAt { return nil }
        heldFinishes[taskId] = task.finishesAt
        task.finishesAt = clock.now + .seconds(3600)
        tasks[taskId] = task
        setActiveFinish(task)
        return task
    }

    /// Lets a held task end at its own time, or now if that has passed.
    func releaseEnd(_ taskId: String) {
        guard let original = heldFinishes.removeValue(forKey: taskId), var task = tasks[taskId] else { return }
        task.finishesAt = max(original, clock.now)
        tasks[taskId] = task
        setActiveFinish(task)
    }

    /// The task's entry among its key's running tasks, at its end as it now stands (none once it
    /// has ended or was cancelled).
    private func setActiveFinish(_ task: SimulatedTask) {
        var running = activeFinishes[task.apiKey, default: []]
        running.removeAll { $0.id == task.id }
        if task.isActive(at: clock.now) { running.append((task.id, task.finishesAt)) }
        activeFinishes[task.apiKey] = running
    }

    /// A task as it stands, if the simulator issued it.
    func task(_ taskId: String) -> SimulatedTask? {
        tasks[taskId]
    }

    /// Counts a callback's delivery attempt.
    func callbackAnswered(delivered: Bool) {
        if delivered { ledger.callbacksDelivered += 1 } else { ledger.callbacksFailed += 1 }
        ledgerChanged()
    }
}

extension SimulatorHandlers {
    /// Sends a task's `TASK_END` callback to `url` once the task ends, as the service does for a
    /// submit with a `webhookUrl`: `{"event":"TASK_END","taskId":…,"eventData":…}`, the v2 task
    /// object as `eventData` (a workflow or app task's legacy outputs answer as a JSON string),
    /// retried 3 times a second apart when the receiver does not answer 2xx. Only to loopback
    /// addresses (the simulator never calls out): `plan` was drawn with the submit (``SimulatorState/submit(key:endpoint:body:canonicalBody:)``),
    /// which also held the task running when it is to get a forged success.
    func scheduleCallback(_ task: SimulatedTask, plan: CallbackPlan, url: String, base: String) {
        let handlers = self
        if plan.forgeRunning {
            Task {
                // After the submit's answer, while the task runs (it is held running until this
                // is sent): a false success, with a result that is not the task's.
                try? await Task.sleep(for: .milliseconds(50))
                if let current = await handlers.state.task(task.id), !current.cancelled {
                    let forged: [String: Any] = [
                        "taskId": task.id, "status": "SUCCESS",
                        "results": [["url": "http://127.0.0.1:9/forged.png", "outputType": "png"]],
                    ]
                    await handlers.state.forgedRunningSent()
                    await handlers.send(url: url, body: Self.callbackBody(taskId: task.id, eventData: forged))
                }
                await handlers.state.releaseEnd(task.id)
            }
        }
        Task {
            guard let ended = await handlers.waitUntilEnded(task.id) else { return }
            if let forged = plan.forgedTaskId {
                await handlers.send(
                    url: url,
                    body: Self.callbackBody(taskId: forged, eventData: ["taskId": forged, "status": "SUCCESS"]))
            }
            guard !plan.drop else { return }
            let status = ended.status(at: handlers.state.configuration.clock.now)
            let object = handlers.taskObject(ended, status: status, base: base)
            let eventData: Any =
                ended.resultNodes.isEmpty ? object : Self.outputsAnswer(ended, status: status, base: base)
            let body = Self.callbackBody(taskId: ended.id, eventData: eventData)
            try? await Task.sleep(for: .seconds(plan.delays.0))
            let number = await handlers.state.callbackReady()
            if plan.reorder {
                // Held until a task's callback that became ready later has been sent, or 2 s.
                let start = ContinuousClock.now
                while ContinuousClock.now - start < .seconds(2) {
                    if await handlers.state.overtaken(number) {
                        await handlers.state.callbackReordered()
                        break
                    }
                    try? await Task.sleep(for: .milliseconds(10))
                }
            }
            await handlers.state.callbackSending(number)
            await handlers.send(url: url, body: body)
            if plan.duplicate {
                try? await Task.sleep(for: .seconds(plan.delays.1))
                await handlers.send(url: url, body: body)
            }
        }
    }

    /// Waits until a task has ended by the simulator's clock (which tests may stop and move);
    /// `nil` when it is cancelled or unknown.
    private func waitUntilEnded(_ taskId: String) async -> SimulatedTask? {
        while true {
            guard let task = await state.task(taskId), !task.cancelled else { return nil }
            let remaining = task.finishesAt - state.configuration.clock.now
            if remaining <= .zero { return task }
            try? await Task.sleep(for: min(remaining, .milliseconds(100)))
        }
    }

    /// POSTs a callback, 4 attempts in all.
    private func send(url: String, body: [UInt8]) async {
        for attempt in 0..<4 {
            if attempt > 0 { try? await Task.sleep(for: .seconds(1)) }
            var request = HTTPClientRequest(url: url)
            request.method = .POST
            request.headers.add(name: "Content-Type", value: "application/json")
            request.body = .bytes(ByteBuffer(bytes: body))
            let delivered: Bool
            do {
                let response = try await HTTPClient.shared.execute(request, timeout: .seconds(5))
                _ = try? await response.body.collect(upTo: 64 * 1024)
                delivered = (200..<300).contains(Int(response.status.code))
            } catch {
                delivered = false
            }
            await state.callbackAnswered(delivered: delivered)
            if delivered { return }
        }
    }

    static func callbackBody(taskId: String, eventData: Any) -> [UInt8] {
        let object: [String: Any] = ["event": "TASK_END", "taskId": taskId, "eventData": eventData]
        return Array((try? JSONSerialization.data(withJSONObject: object)) ?? Data())
    }

    /// A workflow task's `eventData`: the legacy outputs answer, as a JSON string.
    static func outputsAnswer(_ task: SimulatedTask, status: String, base: String) -> String {
        let items: [[String: Any]] =
            status == "SUCCESS"
            ? task.resultNodes.enumerated().map { offset, node in
                [
                    "fileUrl": "\(base)/results/\(task.id)/\(offset + 1).png", "fileType": "png", "nodeId": node,
                    "taskCostTime": String(task.costSeconds),
                ]
            } : []
        let answer: [String: Any] = ["code": status == "SUCCESS" ? 0 : 805, "msg": "success", "data": items]
        let data = (try? JSONSerialization.data(withJSONObject: answer)) ?? Data()
        return String(decoding: data, as: UTF8.self)
    }
}
