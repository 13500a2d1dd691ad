import AsyncHTTPClient
import Foundation
import Logging
import NIOCore
import NIOFoundationCompat
import NIOHTTP1
import NIOPosix

/// The RunningHub HTTP client: submit, query, upload, download, account and queue status.
///
/// Every call returns a classified outcome instead of throwing for API errors; the only error
/// thrown by `submit` and `query` is `CancellationError`. Nothing is retried here: retrying is the
/// scheduler's decision, and a submit is never sent twice by the client.
package struct RunningHubClient: Sendable {
    /// Where and how to reach the API.
    package struct Configuration: Sendable {
        /// The standard-model base URL, `https://www.runninghub.ai/openapi/v2`.
        package var baseURL: String
        /// The key, sent as `Authorization: Bearer`.
        package var apiKey: APIKey
        /// How long to wait for a connection.
        package var connectTimeout: Duration
        /// How long one JSON call may take.
        package var requestTimeout: Duration
        /// How long an upload may take.
        package var uploadTimeout: Duration
        /// How long a result download may take in all.
        package var downloadTimeout: Duration
        /// How long a result download may go without receiving a byte.
        package var stallTimeout: Duration = .seconds(60)
        /// The largest result file accepted, in bytes (default 2 GiB).
        package var maxDownloadBytes: Int = 2 << 30
        /// The pauses before the legacy outputs call that reports a workflow task's coins is asked
        /// again (see ``RunningHubClient/query(workflowTask:)``): 0.5 s, then 1 s.
        package var legacyRetryPauses: [Duration] = [.milliseconds(500), .seconds(1)]

        /// The default base URL.
        package static let defaultBaseURL = "https://www.runninghub.ai/openapi/v2"

        /// Makes a configuration.
        package init(
            baseURL: String = defaultBaseURL,
            apiKey: APIKey,
            connectTimeout: Duration = .seconds(10),
            requestTimeout: Duration = .seconds(60),
            uploadTimeout: Duration = .seconds(300),
            downloadTimeout: Duration = .seconds(600)
        ) {
            var base = baseURL
            while base.hasSuffix("/") { base.removeLast() }
            self.baseURL = base
            self.apiKey = apiKey
            self.connectTimeout = connectTimeout
            self.requestTimeout = requestTimeout
            self.uploadTimeout = uploadTimeout
            self.downloadTimeout = downloadTimeout
        }

        /// `scheme://host[:port]` of ``baseURL``: the root of the legacy `/uc` and `/task` paths.
        package var hostRoot: String {
            guard let range = baseURL.range(of: "://") else { return baseURL }
            let rest = baseURL[range.upperBound...]
            let host = rest.prefix { $0 != "/" }
            return String(baseURL[..<range.upperBound]) + host
        }
    }

    let http: HTTPClient
    /// The client for result downloads: it follows no redirect by itself, so that every hop is
    /// checked (scheme, address) before it is fetched.
    let downloads: HTTPClient
    /// The configuration in use.
    package let configuration: Configuration
    let logger: Logger

    /// Makes a client over `HTTPClient`s the caller owns and shuts down (`downloads` defaults to
    /// `http`; ``withClient(_:logger:_:)`` gives downloads one of their own).
    package init(http: HTTPClient, downloads: HTTPClient? = nil, configuration: Configuration, logger: Logger) {
        self.http = http
        self.downloads = downloads ?? http
        self.configuration = configuration
        self.logger = logger
    }

    /// The `HTTPClient` configuration rh-batch uses: connect timeout and no redirects loops.
    package static func httpConfiguration(connectTimeout: Duration = .seconds(10)) -> HTTPClient.Configuration {
        var configuration = HTTPClient.Configuration()
        configuration.timeout = .init(connect: .nanoseconds(Int64(connectTimeout.components.seconds) * 1_000_000_000))
        configuration.redirectConfiguration = .follow(max: 5, allowCycles: false)
        configuration.connectionPool = .init(idleTimeout: .seconds(60), concurrentHTTP1ConnectionsPerHostSoftLimit: 64)
        configuration.decompression = .disabled
        return configuration
    }

    // MARK: Submit

    /// Submits a task: `POST {base}/{endpoint}` with a JSON body.
    ///
    /// Not an error: an API refusal (``SubmitOutcome/refused(_:)``) or a lost answer
    /// (``SubmitOutcome/unknown(_:)``); both are outcomes for the caller to act on.
    package func submit(endpoint: String, body: [UInt8]) async throws(CancellationError) -> SubmitOutcome {
        let url = configuration.baseURL + "/" + endpoint
        var request = jsonRequest(url: url, method: .POST)
        request.body = .bytes(ByteBuffer(bytes: body))
        switch try await exchange(request, timeout: configuration.requestTimeout) {
        case .success(let answer):
            return Self.submitOutcome(status: answer.status, headers: answer.headers, body: answer.body)
        case .failure(let failure):
            return failure.errorClass == .retryable ? .refused(failure) : .unknown(failure)
        }
    }

    /// Interprets a submit answer (pure, for tests).
    package static func submitOutcome(status: Int, headers: HTTPHeaders, body: [UInt8]) -> SubmitOutcome {
        let retryAfter = headers.first(name: "retry-after").flatMap(Self.retryAfter)
        let object = Self.jsonObject(body)
        if status == 200, let object, var failure = Self.promptFailure(object) {
            // A workflow the service would not run (ComfyUI's validation, `433` or not): nothing
            // ran, and sending it again fails the same way.
            failure.code = Self.errorCode(object) ?? failure.code
            if var ended = Self.snapshot(object) {
                ended.state = .failed
                ended.errorCode = failure.code
                ended.errorMessage = failure.message
                return .accepted(ended)
            }
            return .refused(failure)
        }
        if let object, let code = Self.errorCode(object) {
            let message = Self.errorMessage(object)
            var errorClass = ErrorTable.classify(code: code)
            // A task id with a terminal status: the task exists and has already ended (it may
            // have been billed). That is the task's outcome, never a refusal to retry: sending it
            // again could pay twice.
            if errorClass != .fatal, (500...599).contains(status) == false, var ended = Self.snapshot(object),
                ended.state == .failed || ended.state == .cancelled
            {
                ended.errorCode = code
                ended.errorMessage = message
                return .accepted(ended)
            }
            if status == 429 { errorClass = .retryable }
            if (500...599).contains(status) && errorClass != .fatal { errorClass = .unknownOutcome }
            // A server error in a submit's answer (not a 5xx, not a 429), with no task that ended:
            // without a task id, `1005`, `1010`, `1011` and `1012` ask to be sent again later
            // (nothing was made), so the job waits and is sent again; `500`, `1000` ("unknown
            // error"), `804` and `813` may have made a task, so the submit's outcome is unknown
            // and it is never sent again by itself.
            // (Counted failed for the run but left to do in the journal, as they were, the next
            // run sent them again, and a task that had been made was paid for twice.)
            // An answer that names a task made it: a live one is polled, one whose state cannot
            // be read is unknown.
            if errorClass == .transient {
                if let taskId = Self.string(object["taskId"]), !taskId.isEmpty {
                    if let live = Self.snapshot(object) { return .accepted(live) }
                    errorClass = .unknownOutcome
                } else {
                    errorClass = ErrorTable.asksToRetryLater(code: code) ? .retryable : .unknownOutcome
                }
            }
            let text =
                ErrorTable.meansWrongEndpoint(code: code)
                ? ErrorTable.wrongEndpointMessage("\(code) \(message)") : message
            let failure = APIFailure(
                code: code, message: text, httpStatus: status, errorClass: errorClass, retryAfter: retryAfter)
            return errorClass == .unknownOutcome ? .unknown(failure) : .refused(failure)
        }
        guard status == 200 else {
            // 404/405 (no such path) are fatal refusals: nothing was created, and the run stops.
            let errorClass = ErrorTable.classify(httpStatus: status, duringSubmit: true)
            let detail = "HTTP \(status)\(Self.describeBody(body))"
            let failure = APIFailure(
                code: "http-\(status)",
                message: ErrorTable.meansWrongEndpoint(code: "http-\(status)")
                    ? ErrorTable.wrongEndpointMessage(detail) : detail,
                httpStatus: status,
                errorClass: errorClass,
                retryAfter: retryAfter
            )
            return errorClass == .unknownOutcome ? .unknown(failure) : .refused(failure)
        }
        guard let object, let snapshot = Self.snapshot(object) else {
            return .unknown(
                APIFailure(
                    code: "bad-answer",
                    message: "the submit answer is not a task object\(Self.describeBody(body))",
                    httpStatus: status,
                    errorClass: .unknownOutcome
                ))
        }
        return .accepted(snapshot)
    }

    /// A submit answer's `promptTips` (ComfyUI's `validate_prompt` result, a JSON string) when
    /// it says the graph is invalid: `result: false` or non-empty `node_errors`; `nil` otherwise.
    package static func promptFailure(_ object: [String: Any]) -> APIFailure? {
        var tips = object["promptTips"]
        if let text = tips as? String {
            guard !text.isEmpty else { return nil }
            tips = try? JSONSerialization.jsonObject(with: Data(text.utf8))
        }
        guard let tips = tips as? [String: Any] else { return nil }
        var problems: [String] = []
        if let errors = tips["node_errors"] as? [String: Any] {
            for (node, value) in errors.sorted(by: { $0.key < $1.key }) {
                let entry = value as? [String: Any] ?? [:]
                let classType = string(entry["class_type"]).map { " (\($0))" } ?? ""
                let messages = (entry["errors"] as? [Any] ?? []).compactMap { item -> String? in
                    guard let error = item as? [String: Any] else { return nil }
                    let message = string(error["message"]) ?? string(error["type"]) ?? "invalid"
                    let details = string(error["details"]).map { ": \($0)" } ?? ""
                    return message + details
                }
                problems.append(
                    "node \(node)\(classType): \(messages.isEmpty ? "invalid" : messages.joined(separator: "; "))")
            }
        }
        let result = tips["result"] as? Bool ?? (tips["result"] as? NSNumber)?.boolValue
        // `result: true` beside node errors: ComfyUI runs the outputs that did validate, and the
        // task is billed; it is polled like any other, never written off here.
        if result == true || (problems.isEmpty && result == nil) { return nil }
        if problems.isEmpty {
            let error = tips["error"] as? [String: Any]
            problems.append(string(error?["message"]) ?? string(tips["error"]) ?? "the workflow did not validate")
        }
        return APIFailure(
            code: "node-errors", message: capped(problems.joined(separator: "; ")), errorClass: .final)
    }

    // MARK: Query

    /// Queries a task: `POST {base}/query`.
    package func query(taskId: String) async throws(CancellationError) -> QueryOutcome {
        var request = jsonRequest(url: configuration.baseURL + "/query", method: .POST)
        request.body = .bytes(ByteBuffer(bytes: Array("{\"taskId\":\(Self.jsonString(taskId))}".utf8)))
        switch try await exchange(request, timeout: configuration.requestTimeout) {
        case .success(let answer):
            return Self.queryOutcome(status: answer.status, headers: answer.headers, body: answer.body, taskId: taskId)
        case .failure(var failure):
            // A query is safe to repeat, whatever happened to this one.
            failure.errorClass = .transient
            return .failed(failure)
        }
    }

    /// Queries a workflow or app task. A finished one whose v2 answer carries no usage (the
    /// vendor's own app sample has none) gets its coins from the legacy outputs call
    /// (``legacyUsage(taskId:)``, asked up to 3 times).
    package func query(workflowTask taskId: String) async throws(CancellationError) -> QueryOutcome {
        let outcome = try await query(taskId: taskId)
        guard case .task(var task) = outcome, task.state == .succeeded, (Double(task.coins ?? "") ?? 0) == 0,
            let usage = try await legacyUsage(taskId: taskId)
        else { return outcome }
        task.coins = usage.coins
        task.costSeconds = usage.seconds ?? task.costSeconds
        return .task(task)
    }

    /// Interprets a query answer (pure, for tests).
    package static func queryOutcome(status: Int, headers: HTTPHeaders, body: [UInt8], taskId: String) -> QueryOutcome {
        let retryAfter = headers.first(name: "retry-after").flatMap(Self.retryAfter)
        var object = Self.jsonObject(body)
        // The vendor's failure example carries no task id: the answer is about the task asked for.
        if object != nil, (Self.string(object?["taskId"]) ?? "").isEmpty { object?["taskId"] = taskId }
        if let object, let code = Self.errorCode(object) {
            let message = Self.errorMessage(object)
            var errorClass = ErrorTable.classify(code: code)
            if errorClass == .retryable || (500...599).contains(status) {
                errorClass = errorClass == .fatal ? .fatal : .transient
            }
            // A bad key or an empty account is about every call, whatever the answer says; a
            // task not found (1004) is the runner's to ask again before it gives the task up; a
            // rate limit (1003, HTTP 429) is about the query's pace, whatever status it carries:
            // a billed task is never written off because its query was refused.
            if errorClass == .fatal || code == "1004" || code == "1003" || status == 429 {
                return .failed(
                    APIFailure(
                        code: code, message: message, httpStatus: status,
                        errorClass: code == "1004" ? .final : errorClass, retryAfter: retryAfter))
            }
            // A terminal status is the task's own end, whatever its error code (the vendor's
            // failure example is FAILED with 1000); a final code (moderation, bad input) is too.
            // Busy, rate and server codes without a terminal status are about the query.
            let terminal = Self.taskState(object).map { $0 == .failed || $0 == .cancelled } ?? false
            if terminal || errorClass == .final, var failed = Self.snapshot(object) {
                if !terminal || failed.state != .cancelled { failed.state = .failed }
                failed.errorCode = code
                failed.errorMessage = message
                return .task(failed)
            }
            return .failed(
                APIFailure(
                    code: code, message: message, httpStatus: status, errorClass: errorClass, retryAfter: retryAfter))
        }
        if let object, status == 200, let snapshot = Self.snapshot(object) {
            return .task(snapshot)
        }
        let errorClass: ErrorClass =
            status == 200 ? .transient : ErrorTable.classify(httpStatus: status, duringSubmit: false)
        return .failed(
            APIFailure(
                code: status == 200 ? "bad-answer" : "http-\(status)",
                message:
                    "the query answer for task \(taskId) is not a task object: HTTP \(status)\(Self.describeBody(body))",
                httpStatus: status,
                errorClass: errorClass == .final ? .transient : errorClass,
                retryAfter: retryAfter
            ))
    }

    /// A finished workflow or app task's coins and seconds from `POST {host}/task/openapi/outputs`
    /// (every output item repeats the task's totals: the first is read); `nil` when the call
    /// fails or says nothing.
    ///
    /// The call is asked again after each of ``Configuration/legacyRetryPauses`` while it fails
    /// (a cut connection, a 5xx) or answers that the task is still running or queued (the legacy
    /// endpoint may lag the v2 answer), but not after a timeout, which has already waited a whole
    /// request timeout. The run machine asks for a task's coins once, when its query says it is
    /// done, so this bounded retry is what stands between a passing fault and lost coins.
    func legacyUsage(taskId: String) async throws(CancellationError) -> (coins: String?, seconds: String?)? {
        var request = jsonRequest(url: configuration.hostRoot + "/task/openapi/outputs", method: .POST)
        let key = String(configuration.apiKey.authorizationHeader.dropFirst("Bearer ".count))
        request.body = .bytes(
            ByteBuffer(bytes: Array("{\"apiKey\":\(Self.jsonString(key)),\"taskId\":\(Self.jsonString(taskId))}".utf8)))
        for pause in [nil] + configuration.legacyRetryPauses {
            if let pause {
                do { try await Task.sleep(for: pause) } catch { throw CancellationError() }
            }
            switch try await exchange(request, timeout: configuration.requestTimeout) {
            case .failure(let failure):
                if failure.code == "timeout" { return nil }
            case .success(let answer):
                let object = Self.jsonObject(answer.body)
                if let object, let usage = Self.legacyUsage(object: object) { return usage }
                let notDone = object.flatMap { Self.string($0["code"]) }.map(ErrorTable.meansTaskNotDone) ?? false
                guard (500...599).contains(answer.status) || notDone else { return nil }
            }
        }
        return nil
    }

    /// Reads an outputs answer's coins and seconds (pure, for tests and the fuzz target).
    package static func legacyUsage(body: [UInt8]) -> (coins: String?, seconds: String?)? {
        jsonObject(body).flatMap(legacyUsage(object:))
    }

    static func legacyUsage(object: [String: Any]) -> (coins: String?, seconds: String?)? {
        guard string(object["code"]) == "0", let first = (object["data"] as? [Any])?.first as? [String: Any],
            let coins = string(first["consumeCoins"]), !coins.isEmpty
        else { return nil }
        return (coins, string(first["taskCostTime"]))
    }

    // MARK: Account and queue

    /// The key's concurrency limit and load.
    package func queueStatus() async throws -> QueueStatus {
        let request = jsonRequest(url: configuration.baseURL + "/queue/status", method: .GET)
        return try Self.queueStatus(await sendChecked(request))
    }

    /// Reads a queue status answer's `data` (pure, for tests and the fuzz target).
    package static func queueStatus(_ answer: [String: Any]) throws(APIFailure) -> QueueStatus {
        guard let data = answer["data"] as? [String: Any] else { throw envelopeFailure(answer) }
        return QueueStatus(
            keyType: string(data["apiKeyType"]) ?? "",
            concurrencyLimit: int(data["concurrentLimit"]) ?? 0,
            running: int(data["runningCount"]) ?? 0,
            queued: int(data["queuedCount"]) ?? 0
        )
    }

    /// The account's balance.
    package func accountStatus() async throws -> AccountStatus {
        var request = jsonRequest(url: configuration.hostRoot + "/uc/openapi/accountStatus", method: .POST)
        // The legacy endpoint wants the key in the body as well; it goes nowhere else.
        let key = String(configuration.apiKey.authorizationHeader.dropFirst("Bearer ".count))
        request.body = .bytes(ByteBuffer(bytes: Array("{\"apikey\":\(Self.jsonString(key))}".utf8)))
        return try Self.accountStatus(await sendChecked(request))
    }

    /// Reads an account status answer's `data` (pure, for tests and the fuzz target).
    package static func accountStatus(_ answer: [String: Any]) throws(APIFailure) -> AccountStatus {
        guard let data = answer["data"] as? [String: Any] else { throw envelopeFailure(answer) }
        return AccountStatus(
            remainingMoney: string(data["remainMoney"]),
            currency: string(data["currency"]),
            runningTasks: int(data["currentTaskCounts"]) ?? 0
        )
    }

    /// The currency the account is billed in, as `accountStatus` says it (`CNY` on the .cn site,
    /// `USD` on the .ai site); `nil` when the call fails or names none.
    package func accountCurrency() async -> String? {
        guard let currency = try? await accountStatus().currency?.trimmingCharacters(in: .whitespaces),
            !currency.isEmpty
        else { return nil }
        return currency.uppercased()
    }

    // MARK: Workflow and app definitions

    /// A workflow's API graph (`POST {host}/api/openapi/getJsonApiFormat`, a free read): the
    /// answer's `data` as JSON bytes.
    package func workflowGraph(id: String) async throws -> [UInt8] {
        var request = jsonRequest(url: configuration.hostRoot + "/api/openapi/getJsonApiFormat", method: .POST)
        let key = String(configuration.apiKey.authorizationHeader.dropFirst("Bearer ".count))
        request.body = .bytes(
            ByteBuffer(bytes: Array("{\"apiKey\":\(Self.jsonString(key)),\"workflowId\":\(Self.jsonString(id))}".utf8)))
        return try await definitionData(request)
    }

    /// An app's field list (`GET {host}/api/webapp/apiCallDemo`, a free read): the answer's
    /// `data` as JSON bytes.
    package func appFields(id: String) async throws -> [UInt8] {
        let key = String(configuration.apiKey.authorizationHeader.dropFirst("Bearer ".count))
        let query = "apiKey=\(Self.percentEncoded(key))&webappId=\(Self.percentEncoded(id))"
        let request = jsonRequest(url: configuration.hostRoot + "/api/webapp/apiCallDemo?" + query, method: .GET)
        return try await definitionData(request)
    }

    private func definitionData(_ request: HTTPClientRequest) async throws -> [UInt8] {
        return try Self.definitionBytes(await sendChecked(request))
    }

    /// A definition answer's `data` as JSON bytes (pure, for tests and the fuzz target).
    package static func definitionBytes(_ answer: [String: Any]) throws(APIFailure) -> [UInt8] {
        guard let data = answer["data"], !(data is NSNull),
            let bytes = try? JSONSerialization.data(withJSONObject: data, options: [.fragmentsAllowed])
        else { throw envelopeFailure(answer) }
        return Array(bytes)
    }

    static func percentEncoded(_ text: String) -> String {
        text.addingPercentEncoding(withAllowedCharacters: .alphanumerics.union(CharacterSet(charactersIn: "-._~")))
            ?? text
    }

    /// Sends a `{code, msg, data}` call and returns the object when `code` is 0.
    private func sendChecked(_ request: HTTPClientRequest) async throws -> [String: Any] {
        let answer = try await exchange(request, timeout: configuration.requestTimeout).get()
        return try Self.checkedEnvelope(status: answer.status, body: answer.body)
    }

    /// A `{code, msg, data}` answer's object when `code` is 0 (pure, for tests and the fuzz target).
    package static func checkedEnvelope(status: Int, body: [UInt8]) throws(APIFailure) -> [String: Any] {
        guard let object = jsonObject(body) else {
            throw APIFailure(
                code: "http-\(status)",
                message: "HTTP \(status)\(describeBody(body))",
                httpStatus: status,
                errorClass: ErrorTable.classify(httpStatus: status, duringSubmit: false)
            )
        }
        if let code = string(object["code"]), code != "0", code != "200" {
            throw envelopeFailure(object, status: status)
        }
        return object
    }

    static func envelopeFailure(_ object: [String: Any], status: Int = 200) -> APIFailure {
        let code = string(object["code"]).flatMap { $0.isEmpty ? nil : String($0.prefix(64)) } ?? "bad-answer"
        let message = capped(string(object["message"]) ?? string(object["msg"]) ?? "the answer has no data")
        return APIFailure(code: code, message: message, httpStatus: status, errorClass: ErrorTable.classify(code: code))
    }

    // MARK: Transport

    struct Answer {
        var status: Int
        var headers: HTTPHeaders
        var body: [UInt8]
    }

    func jsonRequest(url: String, method: HTTPMethod) -> HTTPClientRequest {
        var request = HTTPClientRequest(url: url)
        request.method = method
        request.headers.add(name: "Authorization", value: configuration.apiKey.authorizationHeader)
        request.headers.add(name: "Content-Type", value: "application/json")
        request.headers.add(name: "Accept", value: "application/json")
        request.headers.add(name: "User-Agent", value: "rh-batch")
        return request
    }

    /// Sends a request; a transport error comes back classified, cancellation is thrown.
    func exchange(_ request: HTTPClientRequest, timeout: Duration) async throws(CancellationError) -> Result<
        Answer, APIFailure
    > {
        do {
            return .success(try await send(request, timeout: timeout))
        } catch let error as CancellationError {
            throw error
        } catch {
            return .failure(Self.transportFailure(error))
        }
    }

    /// Sends a request and collects an answer of at most 4 MiB.
    func send(_ request: HTTPClientRequest, timeout: Duration) async throws -> Answer {
        do {
            let response = try await http.execute(request, timeout: Self.timeAmount(timeout), logger: logger)
            var body = try await response.body.collect(upTo: Self.maximumAnswerBytes)
            let bytes = body.readBytes(length: body.readableBytes) ?? []
            return Answer(status: Int(response.status.code), headers: response.headers, body: bytes)
        } catch {
            if Task.isCancelled { throw CancellationError() }
            throw error
        }
    }

    /// Classifies a transport error: a connection that never opened is safe to retry; anything
    /// after the request may have been sent is not.
    static func transportFailure(_ error: any Error) -> APIFailure {
        if let error = error as? APIFailure { return error }
        if isConnectFailure(error) {
            return APIFailure(code: "connection-failed", message: "could not connect: \(error)", errorClass: .retryable)
        }
        if let error = error as? HTTPClientError {
            switch error {
            case .readTimeout, .deadlineExceeded:
                return APIFailure(code: "timeout", message: "no answer in time (\(error))", errorClass: .unknownOutcome)
            case .remoteConnectionClosed:
                return APIFailure(
                    code: "connection-lost", message: "the connection closed before the answer was complete",
                    errorClass: .unknownOutcome)
            default:
                break
            }
        }
        return APIFailure(code: "transport", message: "\(error)", errorClass: .unknownOutcome)
    }

    static func isConnectFailure(_ error: any Error) -> Bool {
        if error is NIOConnectionError { return true }
        if let error = error as? HTTPClientError, error == .connectTimeout || error == .getConnectionFromPoolTimeout {
            return true
        }
        if let error = error as? IOError, [ECONNREFUSED, ENETUNREACH, EHOSTUNREACH].contains(error.errnoCode) {
            return true
        }
        if let error = error as? ChannelError, case .connectTimeout = error { return true }
        return false
    }

    static func timeAmount(_ duration: Duration) -> TimeAmount {
        let (seconds, attoseconds) = duration.components
        return .nanoseconds(seconds * 1_000_000_000 + attoseconds / 1_000_000_000)
    }

    // MARK: Tolerant JSON reading

    static func jsonObject(_ body: [UInt8]) -> [String: Any]? {
        guard !body.isEmpty else { return nil }
        return (try? JSONSerialization.jsonObject(with: Data(body))) as? [String: Any]
    }

    /// The state a v2 answer's `status` names, or `nil` when it names none.
    static func taskState(_ object: [String: Any]) -> TaskState? {
        switch (string(object["status"]) ?? "").uppercased() {
        case "QUEUED", "CREATE", "PENDING": .queued
        case "RUNNING", "PROCESSING": .running
        case "SUCCESS", "SUCCEEDED", "FINISHED": .succeeded
        case "FAILED", "FAIL", "ERROR": .failed
        case "CANCEL", "CANCELLED", "CANCELED": .cancelled
        default: nil
        }
    }

    /// A text result (a text model's answer has no file, only `text`), carried as a `data:` URL
    /// so that it is journaled and "downloaded" like any other result.
    package static func textResult(_ text: String) -> TaskResult {
        TaskResult(
            url: "data:text/plain;charset=utf-8;base64," + Data(text.utf8).base64EncodedString(), outputType: "txt")
    }

    /// The bytes of a base64 `data:` URL, or `nil`.
    package static func inlineBytes(_ url: String) -> [UInt8]? {
        guard url.hasPrefix("data:"), let comma = url.firstIndex(of: ","), url[..<comma].hasSuffix(";base64"),
            let data = Data(base64Encoded: String(url[url.index(after: comma)...]))
        else { return nil }
        return Array(data)
    }

    /// The longest task id taken (the service's are 19 digits): an answer with a longer one is not
    /// a task object. docs/limits.md lists every cap on what the network sends.
    package static let maximumTaskIdLength = 128
    /// The most results one task's answer may carry; past it, the first are kept.
    package static let maximumResults = 1_000
    /// The longest error message kept (in UTF-8 bytes, cut at a character); it goes to the journal.
    package static let maximumMessageLength = 2_000
    /// The longest result URL taken (in UTF-8 bytes); a longer one is not a result. Text results
    /// (`data:` URLs made here) are bounded by the answer's size instead.
    package static let maximumURLLength = 16 * 1024
    /// The largest answer read from the API (submit, query, upload, reads): a larger one is a
    /// transport failure.
    package static let maximumAnswerBytes = 4 * 1024 * 1024

    /// A task object from a v2 answer, tolerating numeric ids and unknown fields.
    static func snapshot(_ object: [String: Any]) -> TaskSnapshot? {
        guard let taskId = string(object["taskId"]), !taskId.isEmpty, taskId.utf8.count <= maximumTaskIdLength,
            let state = taskState(object)
        else { return nil }
        var results: [TaskResult] = []
        if let list = object["results"] as? [Any] {
            for item in list {
                guard results.count < maximumResults else { break }
                guard let entry = item as? [String: Any] else { continue }
                guard let url = string(entry["url"]) ?? string(entry["outputUrl"]) ?? string(entry["fileUrl"]),
                    !url.isEmpty, url.utf8.count <= maximumURLLength
                else {
                    // A text model's result: the answer itself, in `text` (some clients read `content`/`output`).
                    if let text = string(entry["text"]) ?? string(entry["content"]) ?? string(entry["output"]),
                        !text.isEmpty
                    {
                        results.append(textResult(text))
                    }
                    continue
                }
                results.append(
                    TaskResult(
                        url: url, outputType: string(entry["outputType"]) ?? string(entry["fileType"]),
                        nodeId: string(entry["nodeId"]).flatMap { $0.isEmpty ? nil : $0 }))
            }
        }
        var cost: String?
        var coins: String?
        var seconds: String?
        if let usage = object["usage"] as? [String: Any] {
            cost = string(usage["thirdPartyConsumeMoney"]) ?? string(usage["consumeMoney"])
            coins = string(usage["consumeCoins"]).flatMap { $0.isEmpty ? nil : $0 }
            seconds = string(usage["taskCostTime"]).flatMap { $0.isEmpty ? nil : $0 }
        }
        var snapshot = TaskSnapshot(
            taskId: taskId,
            state: state,
            results: results,
            cost: cost,
            errorCode: errorCode(object),
            errorMessage: string(object["errorMessage"]).flatMap { $0.isEmpty ? nil : capped($0) }
        )
        snapshot.coins = coins
        snapshot.costSeconds = seconds
        return snapshot
    }

    /// The error text of an answer, whichever field it is in.
    static func errorMessage(_ object: [String: Any]) -> String {
        capped(string(object["errorMessage"]) ?? string(object["message"]) ?? string(object["msg"]) ?? "")
    }

    /// `text` cut to ``maximumMessageLength`` bytes of UTF-8, at a character, with `…` when cut.
    package static func capped(_ text: String) -> String {
        guard text.utf8.count > maximumMessageLength else { return text }
        let scalars = text.unicodeScalars
        var end = scalars.startIndex
        var bytes = 0
        for scalar in scalars {
            bytes += scalar.utf8.count
            if bytes > maximumMessageLength { break }
            end = scalars.index(after: end)
        }
        return String(scalars[..<end]) + "…"
    }

    /// A non-empty, non-zero error code, as a string.
    static func errorCode(_ object: [String: Any]) -> String? {
        let value = object["errorCode"] ?? (object["taskId"] == nil ? object["code"] : nil)
        guard let code = string(value), !code.isEmpty, code != "0" else { return nil }
        return String(code.prefix(64))
    }

    static func string(_ value: Any?) -> String? {
        switch value {
        case let text as String: return text
        case let number as NSNumber: return number.stringValue
        case let number as Int: return String(number)
        case let number as Double: return String(number)
        default: return nil
        }
    }

    static func int(_ value: Any?) -> Int? {
        switch value {
        case let number as Int: return number
        case let number as NSNumber: return number.intValue
        case let text as String: return Int(text.trimmingCharacters(in: .whitespaces))
        default: return nil
        }
    }

    static func retryAfter(_ value: String) -> Duration? {
        if let seconds = Double(value.trimmingCharacters(in: .whitespaces)), seconds >= 0 {
            return .milliseconds(Int64(min(seconds, 3600) * 1000))
        }
        return nil
    }

    static func describeBody(_ body: [UInt8]) -> String {
        let text = String(decoding: body.prefix(200), as: UTF8.self)
        if text.lowercased().contains("<html") { return " (an HTML error page)" }
        let oneLine = text.replacingOccurrences(of: "\n", with: " ").trimmingCharacters(in: .whitespaces)
        return oneLine.isEmpty ? " (empty body)" : ": \(oneLine)"
    }

    static func jsonString(_ text: String) -> String {
        let data = (try? JSONSerialization.data(withJSONObject: [text], options: [])) ?? Data("[\"\"]".utf8)
        let array = String(decoding: data, as: UTF8.self)
        return String(array.dropFirst().dropLast())
    }
}

extension RunningHubClient {
    /// Runs `body` with a client whose `HTTPClient` is shut down afterwards on every path.
    package static func withClient<Result>(
        _ configuration: Configuration,
        logger: Logger,
        _ body: (RunningHubClient) async throws -> Result
    ) async throws -> Result {
        var downloadConfiguration = httpConfiguration(connectTimeout: configuration.connectTimeout)
        downloadConfiguration.redirectConfiguration = .disallow
        downloadConfiguration.timeout.read = .nanoseconds(
            Int64(configuration.stallTimeout.components.seconds) * 1_000_000_000)
        return try await HTTPClient.withHTTPClient(
            configuration: httpConfiguration(connectTimeout: configuration.connectTimeout),
            backgroundActivityLogger: logger
        ) { http in
            try await HTTPClient.withHTTPClient(configuration: downloadConfiguration, backgroundActivityLogger: logger)
            { downloads in
                try await body(
                    RunningHubClient(http: http, downloads: downloads, configuration: configuration, logger: logger))
            }
        }
    }

    /// Runs `body` with one client per configuration (several API keys), all open until it
    /// returns, in the order given.
    package static func withClients<Result>(
        _ configurations: [Configuration],
        logger: Logger,
        _ body: ([RunningHubClient]) async throws -> Result
    ) async throws -> Result {
        func open(_ rest: ArraySlice<Configuration>, _ opened: [RunningHubClient]) async throws -> Result {
            guard let first = rest.first else { return try await body(opened) }
            return try await withClient(first, logger: logger) { client in
                try await open(rest.dropFirst(), opened + [client])
            }
        }
        return try await open(configurations[...], [])
    }
}
