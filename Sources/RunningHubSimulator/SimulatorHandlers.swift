import Foundation
import Hummingbird
import NIOCore

/// The request handlers: parse, ask the state, answer in RunningHub's shapes.
///
/// Answers are built with `JSONSerialization` from plain dictionaries: the simulator shares no wire
/// types with rh-batch's client, so an encoding bug cannot hide on both sides.
struct SimulatorHandlers: Sendable {
    let state: SimulatorState

    var scenarios: Set<Scenario> { state.configuration.scenarios }
    var quirky: Bool { scenarios.contains(.quirky) }

    // MARK: Submit

    func submit(_ request: Request, endpoint: String) async throws -> Response {
        var request = request
        let bytes = try await Array(buffer: request.collectBody(upTo: 4 * 1024 * 1024))
        switch await state.check(key: Self.bearer(request)) {
        case .invalid:
            await state.refuse("1002")
            return v2Error(code: "1002", message: "Invalid API Key, please check your credentials")
        case .wrongType:
            await state.refuse("1014")
            return v2Error(
                code: "1014",
                message: "Access Denied: Standard Model API is restricted to Enterprise-Shared API Keys only."
            )
        case .ok:
            break
        }
        guard let body = (try? JSONSerialization.jsonObject(with: Data(bytes))) as? [String: Any] else {
            await state.refuse("1007")
            return v2Error(
                code: "1007", message: "Invalid parameters, please check your input: the body is not a JSON object")
        }
        if await state.roll(.flaky, 0.05) {
            await state.refuse("5xx")
            return Self.html(status: .serviceUnavailable, "503 Service Temporarily Unavailable")
        }
        let canonical = Self.canonical(body)
        let webhookURL = body["webhookUrl"] as? String
        switch await state.submit(
            key: Self.bearer(request) ?? "", endpoint: endpoint, body: body, canonicalBody: canonical)
        {
        case .refused(let code, let message, let httpStatus, let retryAfter):
            var response = v2Error(code: code, message: message)
            response.status = HTTPResponse.Status(code: httpStatus)
            if let retryAfter { response.headers[.retryAfter] = String(retryAfter) }
            return response
        case .accepted(let task, let loseAnswer, let callback):
            if let url = webhookURL, let callback {
                scheduleCallback(
                    task, plan: callback, url: url, base: Self.baseURL(request, fallback: state.configuration))
            }
            let gatewayFailed = await state.roll(.flaky, 0.08)
            if loseAnswer || gatewayFailed {
                await state.loseAnswer()
                return Self.html(status: .badGateway, "502 Bad Gateway")
            }
            // A task to be forgotten is answered as just queued, never with its result.
            let status = task.forgotten ? "QUEUED" : task.status(at: state.configuration.clock.now)
            var object = taskObject(task, status: status, request: request)
            // A submit's answer names the task it made, even one that has already failed (on a
            // loaded machine a short task can end before its submit is answered): the vendor's
            // failure example without a task id is a query's answer, about a task already known.
            if object["taskId"] == nil {
                object["taskId"] = quirky ? (NSNumber(value: UInt64(task.id) ?? 0) as Any) : task.id
            }
            if status != "SUCCESS" {
                object["results"] = NSNull()
                object["usage"] = nil
            }
            if await state.roll(.flaky, 0.04) {
                await state.loseAnswer()
                return Self.cutOff(object)
            }
            // A task that finished before its submit was answered hands its results over here:
            // the runner collects them without a query, so the ledger counts them as seen.
            if status == "SUCCESS" { await state.sawFinished(taskId: task.id) }
            return json(object)
        }
    }

    // MARK: Query

    func query(_ request: Request) async throws -> Response {
        var request = request
        let bytes = try await Array(buffer: request.collectBody(upTo: 64 * 1024))
        guard await state.check(key: Self.bearer(request)) == .ok else {
            return v2Error(code: "1002", message: "Invalid API Key, please check your credentials")
        }
        let body = (try? JSONSerialization.jsonObject(with: Data(bytes))) as? [String: Any]
        let taskId: String
        switch body?["taskId"] {
        case let text as String: taskId = text
        case let number as NSNumber: taskId = number.stringValue
        default:
            return v2Error(code: "1007", message: "Invalid parameters, please check your input: taskId is required")
        }
        if await !state.admitQuery(key: Self.bearer(request) ?? "") {
            var response = v2Error(
                code: "1003", message: "Rate limit exceeded, please slow down requests", taskId: taskId, status: "")
            response.status = .tooManyRequests
            response.headers[.retryAfter] = "1"
            return response
        }
        if await state.roll(.flaky, 0.10) { return Self.html(status: .badGateway, "502 Bad Gateway") }
        // Answers about the query, not the task, carry no terminal status.
        if await state.roll(.flaky, 0.08) {
            return v2Error(
                code: "1011", message: "System is currently busy, please retry later", taskId: taskId, status: "")
        }
        guard let (task, status) = await state.query(taskId: taskId) else {
            return v2Error(
                code: "1004", message: "Task not found, please check the task ID", taskId: taskId, status: "")
        }
        let object = taskObject(task, status: status, request: request)
        if await state.roll(.flaky, 0.04) { return Self.cutOff(object) }
        return json(object)
    }

    /// The v2 task object for a task in a status.
    func taskObject(_ task: SimulatedTask, status: String, request: Request) -> [String: Any] {
        taskObject(task, status: status, base: Self.baseURL(request, fallback: state.configuration))
    }

    /// The v2 task object, its result URLs under `base`.
    func taskObject(_ task: SimulatedTask, status: String, base: String) -> [String: Any] {
        var object: [String: Any] = [
            "taskId": quirky ? (NSNumber(value: UInt64(task.id) ?? 0) as Any) : task.id,
            "status": status,
            "errorCode": "",
            "errorMessage": "",
            "results": NSNull(),
            "clientId": String(format: "%016llx", task.pixelSeed),
            "promptTips": task.promptTips,
            "failedReason": [String: Any](),
        ]
        switch (status, task.outcome) {
        case ("SUCCESS", .success(let count)):
            object["results"] = (1...count).map { index -> [String: Any] in
                if task.output == "string" {
                    return [
                        "url": NSNull(), "outputType": "txt",
                        "text": ResultFiles.text(endpoint: task.endpoint, seed: task.pixelSeed &+ UInt64(index)),
                    ]
                }
                let ext = ResultFiles.file(output: task.output, seed: task.pixelSeed &+ UInt64(index))?.ext ?? "png"
                var result: [String: Any] = [
                    "url": "\(base)/results/\(task.id)/\(index).\(ext)", "outputType": ext, "text": NSNull(),
                ]
                if index <= task.resultNodes.count { result["nodeId"] = task.resultNodes[index - 1] }
                return result
            }
            // An app task's v2 answer carries no usage, as in the vendor's own sample: its coins
            // come from the legacy outputs call.
            let appTask = task.endpoint.hasPrefix("run/ai-app/")
            object["usage"] =
                task.resultNodes.isEmpty
                ? [
                    "consumeMoney": NSNull(), "consumeCoins": NSNull(), "taskCostTime": "0",
                    "thirdPartyConsumeMoney": String(format: "%.3f", task.price),
                ]
                : [
                    "consumeMoney": NSNull(), "consumeCoins": appTask ? NSNull() : String(task.coins),
                    "taskCostTime": appTask ? "0" : String(task.costSeconds), "thirdPartyConsumeMoney": NSNull(),
                ]
        case ("FAILED", .failure(let code, let message)):
            object["errorCode"] = quirky ? (NSNumber(value: Int(code) ?? 0) as Any) : code
            object["errorMessage"] = message
            if code == "1000" {
                // The vendor's failure example: no task id, a failedReason from the workflow.
                object["taskId"] = nil
                object["failedReason"] =
                    [
                        "exception_type": "TypeError", "node_id": "276", "node_name": "SONIC_PreData",
                        "traceback": ["..."],
                    ] as [String: Any]
            }
        default:
            break
        }
        if quirky { object["someNewField"] = ["nested": true, "list": [1, 2, 3]] }
        return object
    }

    // MARK: Workflows and apps

    /// `POST /api/openapi/getJsonApiFormat` `{apiKey, workflowId}`: the graph as a JSON string.
    func workflowGraph(_ request: Request) async throws -> Response {
        var request = request
        let bytes = try await Array(buffer: request.collectBody(upTo: 64 * 1024))
        let body = (try? JSONSerialization.jsonObject(with: Data(bytes))) as? [String: Any] ?? [:]
        guard await state.check(key: WorkflowRules.text(body["apiKey"])) == .ok else {
            return json(["code": 802, "msg": "APIKEY_UNAUTHORIZED", "data": NSNull()])
        }
        guard let graph = await state.workflowGraph(id: WorkflowRules.text(body["workflowId"])) else {
            return json(["code": 380, "msg": "WORKFLOW_NOT_EXISTS", "data": NSNull()])
        }
        return json(["code": 0, "msg": "SUCCESS", "data": ["prompt": graph]])
    }

    /// `POST /task/openapi/outputs` `{apiKey, taskId}`: a finished task's outputs, each with the
    /// node that made it and the task's totals (804 running, 813 queued, 805 failed).
    func outputs(_ request: Request) async throws -> Response {
        var request = request
        let bytes = try await Array(buffer: request.collectBody(upTo: 64 * 1024))
        let body = (try? JSONSerialization.jsonObject(with: Data(bytes))) as? [String: Any] ?? [:]
        guard await state.check(key: WorkflowRules.text(body["apiKey"])) == .ok else {
            return json(["code": 802, "msg": "APIKEY_UNAUTHORIZED", "data": NSNull()])
        }
        let taskId = WorkflowRules.text(body["taskId"])
        guard let (task, status) = await state.query(taskId: taskId) else {
            return json(["code": 807, "msg": "APIKEY_TASK_NOT_FOUND", "data": NSNull()])
        }
        switch status {
        case "QUEUED": return json(["code": 813, "msg": "APIKEY_TASK_IS_QUEUED", "data": NSNull()])
        case "RUNNING": return json(["code": 804, "msg": "APIKEY_TASK_IS_RUNNING", "data": NSNull()])
        case "SUCCESS": break
        default: return json(["code": 805, "msg": "APIKEY_TASK_STATUS_ERROR", "data": NSNull()])
        }
        let base = Self.baseURL(request, fallback: state.configuration)
        let items: [[String: Any]] = task.resultNodes.enumerated().map { offset, node in
            [
                "fileUrl": "\(base)/results/\(task.id)/\(offset + 1).png", "fileType": "png", "nodeId": node,
                "taskCostTime": String(task.costSeconds), "consumeCoins": String(task.coins),
                "consumeMoney": NSNull(), "thirdPartyConsumeMoney": NSNull(),
            ]
        }
        return json(["code": 0, "msg": "success", "data": items])
    }

    /// `GET /api/webapp/apiCallDemo?apiKey=&webappId=`: an app's fields.
    func appFields(_ request: Request) async throws -> Response {
        let key = request.uri.queryParameters.get("apiKey")
        guard await state.check(key: key) == .ok else {
            return json(["code": 802, "msg": "APIKEY_UNAUTHORIZED", "data": NSNull()])
        }
        guard let app = await state.appFields(id: request.uri.queryParameters.get("webappId") ?? "") else {
            return json(["code": 901, "msg": "WEBAPP_NOT_EXISTS", "data": NSNull()])
        }
        let list = (try? JSONSerialization.jsonObject(with: Data(app.list.utf8))) ?? []
        return json(["code": 0, "msg": "success", "data": ["webappName": app.name, "nodeInfoList": list]])
    }

    // MARK: Upload and files

    func upload(_ request: Request) async throws -> Response {
        var request = request
        let bytes = try await Array(buffer: request.collectBody(upTo: 40 * 1024 * 1024))
        guard await state.check(key: Self.bearer(request)) == .ok else {
            return json(["code": 401, "message": "ApiKey verification failed", "data": NSNull()])
        }
        if await state.roll(.chaos, 0.05) { return Self.html(status: .serviceUnavailable, "503 Service Unavailable") }
        guard let boundary = request.headers[.contentType].flatMap(Multipart.boundary(fromContentType:)),
            let parts = Multipart.parts(bytes, boundary: boundary),
            let file = parts.first(where: { $0.name == "file" })
        else {
            return json([
                "code": 808, "message": "APIKEY_UPLOAD_FAILED: expected multipart/form-data with a 'file' field",
                "data": NSNull(),
            ])
        }
        if file.body.count > 30 * 1024 * 1024 {
            return json(["code": 809, "message": "File size limit exceeded", "data": NSNull()])
        }
        let content = Array(file.body)
        let name = String(
            format: "%016llx%08x",
            SimulatorState.hash(String(decoding: content.prefix(4096), as: UTF8.self) + "\(content.count)")
                ^ Self.fnv(content), content.count)
        _ = await state.storeUpload(content, name: name)
        let ext = (file.filename?.split(separator: ".").last).map(String.init)?.lowercased() ?? "png"
        let base = Self.baseURL(request, fallback: state.configuration)
        return json([
            "code": 0,
            "message": "success",
            "data": [
                "type": "image",
                "download_url": "\(base)/view?filename=\(name).\(ext)&type=input&subfolder=&Rh-Identify=simulator",
                "fileName": "openapi/\(name).\(ext)",
                "size": String(content.count),
            ] as [String: Any],
        ])
    }

    func view(_ request: Request) async throws -> Response {
        let filename = request.uri.queryParameters.get("filename") ?? ""
        let name = String(filename.prefix { $0 != "." })
        guard let bytes = await state.upload(named: name) else {
            return Response(status: .notFound, body: .init(byteBuffer: ByteBuffer(string: "not found")))
        }
        return Response(
            status: .ok,
            headers: [.contentType: "image/png"],
            body: .init(byteBuffer: ByteBuffer(bytes: bytes))
        )
    }

    func result(_ request: Request, taskId: String, file: String) async throws -> Response {
        let index = Int(file.prefix { $0 != "." }) ?? 0
        switch await state.result(taskId: taskId, index: index, path: "/results/\(taskId)/\(file)") {
        case .missing:
            return Response(
                status: .notFound, body: .init(byteBuffer: ByteBuffer(string: "<Error><Code>NoSuchKey</Code></Error>")))
        case .expired:
            return Response(
                status: .forbidden,
                body: .init(
                    byteBuffer: ByteBuffer(
                        string: "<Error><Code>AccessDenied</Code><Message>Request has expired</Message></Error>")))
        case .found(let task):
            var contentType = "image/png"
            let png: [UInt8]
            if let file = ResultFiles.file(output: task.output, seed: task.pixelSeed &+ UInt64(index)) {
                png = file.bytes
                contentType = file.contentType
            } else {
                png = Self.resultImage(task, index: index, padding: state.configuration.resultPadding)
            }
            if await state.roll(.flaky, 0.15) {
                let half = png.count / 2
                return Response(
                    status: .ok,
                    headers: [.contentType: contentType],
                    body: ResponseBody(contentLength: png.count) { writer in
                        try await writer.write(ByteBuffer(bytes: png[0..<half]))
                        throw CutOff()
                    }
                )
            }
            if await state.roll(.chaos, 0.10) {
                // A slow download: the file in four pieces, a pause before each.
                let piece = max(1, (png.count + 3) / 4)
                return Response(
                    status: .ok,
                    headers: [.contentType: contentType],
                    body: ResponseBody(contentLength: png.count) { writer in
                        for start in stride(from: 0, to: png.count, by: piece) {
                            try await Task.sleep(for: .milliseconds(50))
                            try await writer.write(ByteBuffer(bytes: png[start..<min(start + piece, png.count)]))
                        }
                        try await writer.finish(nil)
                    }
                )
            }
            let buffer = ByteBuffer(bytes: png)
            return Response(status: .ok, headers: [.contentType: contentType], body: .init(byteBuffer: buffer))
        }
    }

    /// A PNG in the task's aspect ratio whose colours depend on the job and the result index.
    static func resultImage(_ task: SimulatedTask, index: Int, padding: Int) -> [UInt8] {
        var random = SeededRandom(seed: task.pixelSeed &+ UInt64(index))
        let base = (
            UInt8.random(in: 0...255, using: &random), UInt8.random(in: 0...255, using: &random),
            UInt8.random(in: 0...255, using: &random)
        )
        let width = task.width
        let height = task.height
        return PNGEncoder.encode(width: width, height: height, padding: padding) { x, y in
            (
                base.0 &+ UInt8(truncatingIfNeeded: x * 255 / max(width, 1)),
                base.1 &+ UInt8(truncatingIfNeeded: y * 255 / max(height, 1)), base.2
            )
        }
    }

    // MARK: Account, queue, cancel, ledger

    func account(_ request: Request) async throws -> Response {
        guard await state.check(key: Self.bearer(request)) == .ok else {
            return json(["code": 802, "msg": "APIKEY_UNAUTHORIZED", "data": NSNull()])
        }
        if await state.roll(.chaos, 0.05) { return Self.html(status: .badGateway, "502 Bad Gateway") }
        let (balance, running, currency) = await state.account(key: Self.bearer(request))
        return json([
            "code": 0, "msg": "success",
            "data": [
                "remainCoins": "0", "currentTaskCounts": String(running),
                "remainMoney": String(format: "%.3f", balance), "currency": currency, "apiType": "NORMAL",
            ] as [String: Any],
        ])
    }

    func queueStatus(_ request: Request) async throws -> Response {
        guard await state.check(key: Self.bearer(request)) == .ok else {
            return json(["code": 802, "msg": "APIKEY_UNAUTHORIZED", "data": NSNull()])
        }
        let key = Self.bearer(request) ?? ""
        let (_, running, _) = await state.account(key: key)
        let limit = await state.limit(for: key)
        return json([
            "code": 0, "msg": "success",
            "data": [
                "apiKeyType": "SHARED", "concurrentLimit": limit,
                "runningCount": String(running), "queuedCount": "0", "totalCurrentTasks": String(running),
            ] as [String: Any],
        ])
    }

    func cancel(_ request: Request) async throws -> Response {
        var request = request
        let bytes = try await Array(buffer: request.collectBody(upTo: 64 * 1024))
        let body = (try? JSONSerialization.jsonObject(with: Data(bytes))) as? [String: Any]
        let key = Self.bearer(request) ?? body?["apiKey"] as? String
        guard await state.check(key: key) == .ok else {
            return json(["code": 802, "msg": "APIKEY_UNAUTHORIZED", "data": NSNull()])
        }
        let taskId = (body?["taskId"] as? String) ?? (body?["taskId"] as? NSNumber)?.stringValue ?? ""
        if await state.cancel(taskId: taskId) {
            return json(["code": 0, "msg": "success", "data": NSNull()])
        }
        return json(["code": 423, "msg": "TASK_NOT_FOUNED", "data": NSNull()])
    }

    func ledger() async throws -> Response {
        let data = try JSONEncoder().encode(await state.snapshot())
        return Response(
            status: .ok, headers: [.contentType: "application/json"], body: .init(byteBuffer: ByteBuffer(bytes: data)))
    }

    // MARK: Helpers

    func v2Error(code: String, message: String, taskId: String = "", status: String = "FAILED") -> Response {
        json([
            "taskId": taskId,
            "status": status,
            "errorCode": quirky ? (NSNumber(value: Int(code) ?? 0) as Any) : code,
            "errorMessage": message,
            "results": NSNull(),
        ])
    }

    func json(_ object: [String: Any], status: HTTPResponse.Status = .ok) -> Response {
        let data = (try? JSONSerialization.data(withJSONObject: object)) ?? Data("{}".utf8)
        return Response(
            status: status, headers: [.contentType: "application/json"],
            body: .init(byteBuffer: ByteBuffer(bytes: data)))
    }

    static func html(status: HTTPResponse.Status, _ title: String) -> Response {
        Response(
            status: status,
            headers: [.contentType: "text/html"],
            body: .init(
                byteBuffer: ByteBuffer(
                    string:
                        "<html><head><title>\(title)</title></head><body><center><h1>\(title)</h1></center><hr><center>nginx</center></body></html>"
                ))
        )
    }

    /// An answer whose connection is cut after half its body.
    static func cutOff(_ object: [String: Any]) -> Response {
        let data = [UInt8]((try? JSONSerialization.data(withJSONObject: object)) ?? Data("{}".utf8))
        return Response(
            status: .ok,
            headers: [.contentType: "application/json"],
            body: ResponseBody(contentLength: data.count) { writer in
                try await writer.write(ByteBuffer(bytes: data[0..<data.count / 2]))
                throw CutOff()
            }
        )
    }

    struct CutOff: Error {}

    static func bearer(_ request: Request) -> String? {
        guard let value = request.headers[.authorization] else { return nil }
        let prefix = "Bearer "
        guard value.hasPrefix(prefix) else { return nil }
        return String(value.dropFirst(prefix.count)).trimmingCharacters(in: .whitespaces)
    }

    static func baseURL(_ request: Request, fallback: SimulatorConfiguration) -> String {
        if let authority = request.head.authority { return "http://\(authority)" }
        return "http://\(fallback.host):\(fallback.port)"
    }

    /// Sorted-key JSON, so equal bodies compare equal in the ledger.
    static func canonical(_ object: Any) -> String {
        let data = (try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys])) ?? Data()
        return String(decoding: data, as: UTF8.self)
    }

    static func fnv(_ bytes: [UInt8]) -> UInt64 {
        var value: UInt64 = 0xCBF2_9CE4_8422_2325
        for byte in bytes {
            value ^= UInt64(byte)
            value = value &* 0x0000_0100_0000_01B3
        }
        return value
    }
}
