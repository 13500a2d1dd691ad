import NIOHTTP1
import Testing

@testable import RunningHubAPI

/// How answers are read and classified, without sockets.
@Suite("Client answer classification")
struct ClientOutcomeTests {
    func submit(_ body: String, status: Int = 200, headers: HTTPHeaders = [:]) -> SubmitOutcome {
        RunningHubClient.submitOutcome(status: status, headers: headers, body: Array(body.utf8))
    }

    func query(_ body: String, status: Int = 200) -> QueryOutcome {
        RunningHubClient.queryOutcome(status: status, headers: [:], body: Array(body.utf8), taskId: "7")
    }

    @Test func acceptedWithStringOrNumberIds() {
        let string = submit(
            #"{"taskId":"2013508786110730241","status":"RUNNING","errorCode":"","errorMessage":"","results":null}"#)
        #expect(string == .accepted(TaskSnapshot(taskId: "2013508786110730241", state: .running)))
        let number = submit(#"{"taskId":2013508786110730241,"status":"QUEUED","errorCode":0,"extra":{"a":1}}"#)
        #expect(number == .accepted(TaskSnapshot(taskId: "2013508786110730241", state: .queued)))
    }

    @Test func instantSuccessCarriesResults() {
        let outcome = submit(
            #"{"taskId":"1","status":"SUCCESS","errorCode":"","results":[{"url":"https://x/y.jpg","outputType":"jpg","text":null}],"usage":{"thirdPartyConsumeMoney":"0.14","consumeMoney":null}}"#
        )
        #expect(
            outcome
                == .accepted(
                    TaskSnapshot(
                        taskId: "1", state: .succeeded,
                        results: [TaskResult(url: "https://x/y.jpg", outputType: "jpg")], cost: "0.14")))
    }

    @Test(arguments: [
        (#"{"taskId":"","errorCode":"421","errorMessage":"TASK_QUEUE_MAXED"}"#, 200, "421", ErrorClass.retryable),
        (#"{"taskId":"","errorCode":1003,"errorMessage":"Rate limit"}"#, 200, "1003", .retryable),
        (#"{"errorCode":"415","errorMessage":"busy"}"#, 200, "415", .retryable),
        (#"{"errorCode":"1007","errorMessage":"Invalid parameters"}"#, 200, "1007", .final),
        (#"{"errorCode":"1501","errorMessage":"moderation"}"#, 200, "1501", .final),
        (#"{"errorCode":"1002","errorMessage":"Invalid API Key"}"#, 200, "1002", .fatal),
        (#"{"code":1014,"message":"invalid api type"}"#, 400, "1014", .fatal),
        (#"{"errorCode":"416","errorMessage":"wallet"}"#, 200, "416", .fatal),
        (#"{"errorCode":"812","errorMessage":"no funds"}"#, 200, "812", .fatal),
        (#"{"errorCode":"1003","errorMessage":"slow down"}"#, 429, "1003", .retryable),
        (
            #"{"errorCode":"1011","errorMessage":"System is currently busy, please retry later"}"#, 200, "1011",
            .retryable
        ),
        (
            #"{"taskId":"","errorCode":1005,"errorMessage":"Internal server error, please retry later"}"#, 200, "1005",
            .retryable
        ),
    ])
    func refusalsAreClassified(body: String, status: Int, code: String, errorClass: ErrorClass) {
        guard case .refused(let failure) = submit(body, status: status) else {
            Issue.record("expected a refusal")
            return
        }
        #expect(failure.code == code)
        #expect(failure.errorClass == errorClass)
    }

    /// A server error in a submit's answer that does not ask to be retried later may have made a
    /// task: the submit's outcome is unknown, never a refusal to send again (that paid twice).
    @Test(arguments: [
        #"{"errorCode":"1000","errorMessage":"unknown error"}"#,
        #"{"status":"FAILED","errorCode":"1000","errorMessage":"unknown error","failedReason":{"node_id":"276"}}"#,
        #"{"taskId":"","errorCode":"500","errorMessage":"UNKNOWN_ERROR"}"#,
        #"{"taskId":"123","errorCode":"1011","errorMessage":"busy"}"#,
    ])
    func serverErrorsThatMayHaveMadeATaskAreUnknown(body: String) {
        guard case .unknown(let failure) = submit(body, status: 200) else {
            Issue.record("expected an unknown outcome")
            return
        }
        #expect(failure.errorClass == .unknownOutcome)
    }

    /// "Please retry later" beside a task that is running: the task was made, and is polled.
    @Test func aRetryLaterCodeBesideALiveTaskIsTheTask() {
        guard case .accepted(let task) = submit(#"{"taskId":"123","status":"QUEUED","errorCode":"1011"}"#, status: 200)
        else {
            Issue.record("expected the task")
            return
        }
        #expect(task.taskId == "123" && task.state == .queued)
    }

    @Test func retryAfterIsRead() {
        guard case .refused(let failure) = submit("{}", status: 429, headers: ["Retry-After": "3"]) else {
            Issue.record("expected a refusal")
            return
        }
        #expect(failure.errorClass == .retryable)
        #expect(failure.retryAfter == .seconds(3))
    }

    @Test func serverErrorsAndGarbageAreUnknownOutcomes() {
        for (body, status) in [
            ("<html><body>502 Bad Gateway</body></html>", 502), ("", 500), ("not json", 200), (#"{"hello":1}"#, 200),
        ] {
            guard case .unknown(let failure) = submit(body, status: status) else {
                Issue.record("\(status) \(body) should be an unknown outcome")
                continue
            }
            #expect(failure.errorClass == .unknownOutcome)
        }
        guard case .unknown(let html) = submit("<html>502</html>", status: 502) else {
            Issue.record("an HTML 502 page must be an unknown outcome")
            return
        }
        #expect(html.message.contains("HTML error page"))
    }

    @Test func queryStates() {
        #expect(
            query(#"{"taskId":"7","status":"RUNNING","errorCode":""}"#)
                == .task(TaskSnapshot(taskId: "7", state: .running)))
        #expect(query(#"{"taskId":"7","status":"CANCEL"}"#) == .task(TaskSnapshot(taskId: "7", state: .cancelled)))
        let failed = query(
            #"{"taskId":"7","status":"FAILED","errorCode":"1501","errorMessage":"Content verification failed","failedReason":{}}"#
        )
        #expect(
            failed
                == .task(
                    TaskSnapshot(
                        taskId: "7", state: .failed, errorCode: "1501", errorMessage: "Content verification failed")))
        let numeric = query(#"{"taskId":7,"status":"FAILED","errorCode":1505,"errorMessage":"people"}"#)
        #expect(numeric == .task(TaskSnapshot(taskId: "7", state: .failed, errorCode: "1505", errorMessage: "people")))
    }

    @Test func aSubmitAnswerWithATaskThatAlreadyEndedIsThatTasksOutcome() {
        // The task exists (and may be billed): never a refusal that the runner would send again.
        let ended = submit(
            #"{"taskId":"2013","status":"FAILED","errorCode":"1000","errorMessage":"unknown error","results":null}"#)
        #expect(
            ended
                == .accepted(
                    TaskSnapshot(taskId: "2013", state: .failed, errorCode: "1000", errorMessage: "unknown error")))
        let moderated = submit(
            #"{"taskId":"2014","status":"FAILED","errorCode":"1501","errorMessage":"Content verification failed"}"#)
        #expect(
            moderated
                == .accepted(
                    TaskSnapshot(
                        taskId: "2014", state: .failed, errorCode: "1501", errorMessage: "Content verification failed"))
        )
        // Without a task id it is a refusal, as before.
        guard
            case .refused = submit(
                #"{"taskId":"","status":"FAILED","errorCode":"1007","errorMessage":"Invalid parameters"}"#)
        else {
            Issue.record("a FAILED answer without a task id is a refusal")
            return
        }
    }

    @Test func wrongEndpointAnswersAreFatalRefusalsNamingTheBaseURL() {
        for (body, status) in [
            (
                #"{"taskId":"","status":"FAILED","errorCode":"1001","errorMessage":"Invalid URL, please check your link"}"#,
                200
            ),
            (#"{"errorCode":"1009","errorMessage":"HTTP method not supported"}"#, 200),
            ("<html><body>404 Not Found</body></html>", 404),
            ("", 405),
        ] {
            guard case .refused(let failure) = submit(body, status: status) else {
                Issue.record("\(status) \(body) must be a refusal: nothing was created")
                continue
            }
            #expect(failure.errorClass == .fatal, "\(body)")
            #expect(failure.message.contains("RH_API_BASE_URL"), "\(failure.message)")
        }
    }

    @Test func aTerminalStatusEndsTheTaskWhateverItsErrorCode() {
        // The vendor's own failure example: FAILED with 1000, no task id, a failedReason.
        let example =
            #"{"status":"FAILED","errorCode":"1000","errorMessage":"unknown error","failedReason":{"exception_type":"TypeError","node_id":"276","traceback":["..."]}}"#
        #expect(
            query(example)
                == .task(TaskSnapshot(taskId: "7", state: .failed, errorCode: "1000", errorMessage: "unknown error")))
        for code in ["500", "1005", "1010", "1011", "1012"] {
            #expect(
                query(#"{"taskId":"7","status":"FAILED","errorCode":"\#(code)","errorMessage":"m"}"#)
                    == .task(TaskSnapshot(taskId: "7", state: .failed, errorCode: code, errorMessage: "m")),
                "FAILED with \(code) is the task's end, not a busy query"
            )
        }
        #expect(
            query(#"{"taskId":"7","status":"CANCEL","errorCode":"1000","errorMessage":"m"}"#)
                == .task(TaskSnapshot(taskId: "7", state: .cancelled, errorCode: "1000", errorMessage: "m")))
    }

    @Test func queryFailuresAreClassified() {
        for (body, status, expected) in [
            (#"{"taskId":"7","status":"","errorCode":"1011","errorMessage":"busy"}"#, 200, ErrorClass.transient),
            (#"{"taskId":"7","status":"RUNNING","errorCode":1010}"#, 200, .transient),
            (#"{"taskId":"7","errorCode":"1005"}"#, 200, .transient),
            (#"{"taskId":"7","status":"FAILED","errorCode":"1002"}"#, 200, .fatal),
            (#"{"taskId":"7","status":"FAILED","errorCode":"1004","errorMessage":"Task not found"}"#, 200, .final),
            ("<html>502</html>", 502, .transient),
            ("garbage", 200, .transient),
            (#"{"taskId":"7","status":"","errorCode":"1002"}"#, 200, .fatal),
            (#"{"taskId":"7","status":"","errorCode":"1004","errorMessage":"Task not found"}"#, 200, .final),
            // A rate limit is about the query's pace, even beside a terminal status: a billed task
            // is never written off because its query was refused.
            (#"{"taskId":"","status":"FAILED","errorCode":"1003","errorMessage":"Rate limit"}"#, 429, .transient),
            (#"{"taskId":"7","status":"FAILED","errorCode":"1003"}"#, 200, .transient),
            (#"{"taskId":"7","status":"FAILED","errorCode":"1011"}"#, 429, .transient),
        ] {
            guard case .failed(let failure) = query(body, status: status) else {
                Issue.record("\(body) should be a failed query")
                continue
            }
            #expect(failure.errorClass == expected, "\(body)")
        }
    }

    @Test func errorTableCoversTheDocumentedCodes() {
        for code in ["421", "415", "1003"] { #expect(ErrorTable.classify(code: code) == .retryable) }
        for code in ["1005", "1010", "1011", "1012"] { #expect(ErrorTable.classify(code: code) == .transient) }
        for code in ["1007", "301", "1501", "1505", "1013"] { #expect(ErrorTable.classify(code: code) == .final) }
        for code in ["1002", "802", "401", "1014", "416", "812"] { #expect(ErrorTable.classify(code: code) == .fatal) }
    }

    @Test func keyNeverPrints() throws {
        let key = try #require(APIKey("sk-secret-1234"))
        #expect("\(key)" == "***")
        #expect(String(reflecting: key) == "APIKey(***)")
        #expect(key.authorizationHeader == "Bearer sk-secret-1234")
        #expect(APIKey("   ") == nil)
    }

    @Test func hostRootDropsThePath() throws {
        let configuration = RunningHubClient.Configuration(
            baseURL: "https://www.runninghub.cn/openapi/v2/", apiKey: try #require(APIKey("k")))
        #expect(configuration.baseURL == "https://www.runninghub.cn/openapi/v2")
        #expect(configuration.hostRoot == "https://www.runninghub.cn")
    }

    /// Caps on what an answer can make the client keep (issue 27; docs/limits.md).
    @Test func answersAreCapped() throws {
        let longId = String(repeating: "7", count: RunningHubClient.maximumTaskIdLength + 1)
        guard case .unknown(let failure) = submit(#"{"taskId":"\#(longId)","status":"QUEUED"}"#) else {
            Issue.record("a task id past the cap was taken")
            return
        }
        #expect(failure.code == "bad-answer")

        let many = (0..<1_500).map { #"{"url":"https://x/\#($0).png","outputType":"png"}"# }.joined(separator: ",")
        guard case .task(let snapshot) = query(#"{"taskId":"7","status":"SUCCESS","results":[\#(many)]}"#) else {
            Issue.record("a task with many results was not read")
            return
        }
        #expect(snapshot.results.count == RunningHubClient.maximumResults)
        #expect(snapshot.results.last?.url == "https://x/999.png")

        let long = String(repeating: "é", count: 5_000)
        guard
            case .task(let failed) = query(
                #"{"taskId":"7","status":"FAILED","errorCode":"1000","errorMessage":"\#(long)"}"#)
        else {
            Issue.record("a failed task was not read")
            return
        }
        let message = try #require(failed.errorMessage)
        #expect(message.utf8.count <= RunningHubClient.maximumMessageLength + "…".utf8.count)
        #expect(message.hasSuffix("é…"))
        let code = String(repeating: "9", count: 500)
        guard case .refused(let refused) = submit(#"{"errorCode":"\#(code)","errorMessage":"x"}"#, status: 429) else {
            Issue.record("a refusal was not read")
            return
        }
        #expect(refused.code.count == 64)

        // ComfyUI's node errors, however many, are one capped message.
        let errors = (0..<500).map { #"\"\#($0)\": {\"errors\": [{\"message\": \"value out of range\"}]}"# }
            .joined(separator: ", ")
        let tips = #"{\"result\": false, \"node_errors\": {\#(errors)}}"#
        guard case .refused(let invalid) = submit(#"{"taskId":"","status":"","promptTips":"\#(tips)"}"#) else {
            Issue.record("an invalid graph was not refused")
            return
        }
        #expect(invalid.code == "node-errors")
        #expect(invalid.message.utf8.count <= RunningHubClient.maximumMessageLength + "…".utf8.count)
    }
}
