import RunningHubModel

#if canImport(Glibc)
import Glibc
#endif

/// The child tasks of a run: each does its I/O, journals what it must, and reports one event.
extension RunCoordinator {
    // MARK: Uploads

    mutating func pumpUploads(_ group: inout TaskGroup<RunEvent>) {
        while uploadsActive < options.uploadConcurrency, !uploadQueue.isEmpty, stopReason == nil {
            let number = uploadQueue.removeFirst()
            let image = images[number]
            uploadsActive += 1
            let service = service
            let journal = journal
            group.addTask {
                let bytes: [UInt8]
                switch Journal.readAll(image.absolutePath) {
                case .success(let contents): bytes = contents
                case .missing, .failure:
                    return .uploaded(image: number, .failure(UploadError(failure: APIFailure(
                        code: "file", message: "cannot read \(image.path) any more", errorClass: .final
                    ))))
                }
                var lastError = UploadError(failure: APIFailure(code: "upload", message: "not attempted", errorClass: .transient))
                for attempt in 1...4 {
                    do {
                        let url = try await service.upload(
                            bytes: bytes,
                            fileName: FilePath.name(of: image.path),
                            contentType: image.format.mimeType
                        )
                        try? await journal.append(JournalRecord(.uploaded, at: Timestamp.now(), [
                            ("sha256", .text(image.sha256)), ("url", .text(url)),
                        ]))
                        return .uploaded(image: number, .success(url))
                    } catch let error as UploadError {
                        lastError = error
                        if error.failure.errorClass == .fatal || error.failure.errorClass == .final { break }
                    } catch is CancellationError {
                        break
                    } catch {
                        lastError = UploadError(failure: APIFailure(code: "upload", message: "\(error)", errorClass: .transient))
                    }
                    if Task.isCancelled { break }
                    try? await Task.sleep(for: .seconds(1 << (attempt - 1)))
                }
                return .uploaded(image: number, .failure(lastError))
            }
        }
    }

    mutating func handleUpload(_ number: Int, _ result: Result<String, UploadError>, _ group: inout TaskGroup<RunEvent>) {
        let waiting = jobsWaitingForImage[number] ?? []
        switch result {
        case .success(let url):
            imageURLs[number] = url
            imageUploadedAt[number] = now
            for job in waiting where jobs[job].status == .pending {
                missingImages[job, default: 1] -= 1
                if missingImages[job] == 0 {
                    missingImages[job] = nil
                    execute(scheduler.enqueue(job, estimate: plan.jobs[job].price, now: now), &group)
                }
            }
        case .failure(let error):
            let message = "uploading \(images[number].path) failed: \(error.failure)"
            imageFailures[number] = message
            if error.failure.errorClass == .fatal {
                // Fatal for the run (bad key, wrong base URL): the jobs are not failed, they stay
                // to do and end the run as not submitted.
                execute(scheduler.stopFatal(error.failure), &group)
            } else {
                for job in waiting where jobs[job].status == .pending { failUpload(job, message) }
            }
        }
        jobsWaitingForImage[number] = nil
    }

    // MARK: Submits

    func inputURLs(for index: Int) -> [String] {
        plan.jobs[index].allSources.map { source in
            switch source {
            case .remote(let url): url
            case .local(let image): imageIndex[image.sha256].flatMap { imageURLs[$0] } ?? ""
            }
        }
    }

    mutating func startSubmit(_ index: Int, _ group: inout TaskGroup<RunEvent>) {
        let job = plan.jobs[index]
        guard let model = plan.catalog.model(named: job.endpoint) else {
            execute(scheduler.submitFinished(index, .failed(APIFailure(code: "catalog", message: "unknown endpoint \(job.endpoint)", errorClass: .final)), now: now), &group)
            return
        }
        var urls = inputURLs(for: index)
        // Images whose URL is older than the bound are uploaded again, in the submit's own task,
        // before the body is built; the fresh URL then serves later jobs too (handleSubmit).
        var stale: [(position: Int, image: LocalImage)] = []
        for (position, source) in job.allSources.enumerated() {
            guard case .local(let image) = source, let number = imageIndex[image.sha256],
                let uploadedAt = imageUploadedAt[number], now - uploadedAt > options.uploadLifetime
            else { continue }
            stale.append((position, image))
        }
        jobs[index].attempts += 1
        submitsSent += 1
        let attempt = jobs[index].attempts
        let key = job.key
        let endpoint = job.endpoint
        let service = service
        let journal = journal
        group.addTask {
            for (position, image) in stale {
                guard case .success(let bytes) = Journal.readAll(image.absolutePath) else {
                    let failure = APIFailure(code: "file", message: "cannot read \(image.path) any more", errorClass: .final)
                    return .submitted(job: index, .refused(failure), inputURLs: urls, at: Timestamp.now())
                }
                do {
                    urls[position] = try await service.upload(
                        bytes: bytes,
                        fileName: FilePath.name(of: image.path),
                        contentType: image.format.mimeType
                    )
                    try? await journal.append(JournalRecord(.uploaded, at: Timestamp.now(), [
                        ("sha256", .text(image.sha256)), ("url", .text(urls[position])),
                    ]))
                } catch let error as UploadError {
                    // Not sent: a refusal the scheduler retries (or a fatal one that stops the run).
                    var failure = error.failure
                    if failure.errorClass != .fatal { failure.errorClass = .retryable }
                    return .submitted(job: index, .refused(failure), inputURLs: urls, at: Timestamp.now())
                } catch {
                    return .cancelled(job: index)
                }
            }
            let body = Array(job.body(urls: urls, model: model).json.utf8)
            do {
                try await journal.append(JournalRecord(.submitting, at: Timestamp.now(), [
                    ("key", .text(key)), ("attempt", .number(attempt)),
                ]))
            } catch {
                return .journalFailed(job: index, "the journal cannot be written (\(error)); the submit was not sent")
            }
            let outcome: SubmitOutcome
            do {
                outcome = try await service.submit(endpoint: endpoint, body: body)
            } catch {
                return .cancelled(job: index)
            }
            let at = Timestamp.now()
            var records: [JournalRecord] = []
            switch outcome {
            case .accepted(let task):
                var fields: [(String, JournalRecord.FieldValue)] = [
                    ("key", .text(key)), ("taskId", .text(task.taskId)), ("inputs", .text(urls.joined(separator: " "))),
                ]
                // With several keys, which one created the task: its fingerprint, never the key.
                if let keyID = task.keyID { fields.append(("keyId", .text(keyID))) }
                records.append(JournalRecord(.submitted, at: at, fields))
                if task.state.isFinished { records.append(RunCoordinator.finishedRecord(key: key, task)) }
            case .refused(let failure) where failure.errorClass == .final:
                // The job itself is refused (invalid parameters, moderation): a later run leaves it
                // alone unless --retry-failed.
                records.append(JournalRecord(.failed, at: at, [
                    ("key", .text(key)), ("phase", .text("submit")), ("code", .text(failure.code)), ("message", .text(failure.message)),
                ]))
            case .refused(let failure):
                // No task was created (queue full, rate limit, bad key, no balance): still to do.
                records.append(JournalRecord(.refused, at: at, [
                    ("key", .text(key)), ("code", .text(failure.code)), ("message", .text(failure.message)),
                ]))
            case .unknown(let failure):
                records.append(JournalRecord(.unknown, at: at, [
                    ("key", .text(key)), ("code", .text(failure.code)), ("message", .text(failure.message)),
                ]))
            }
            if case .accepted(let task) = outcome, !task.state.isFinished {
                // Synced at once without holding this child up; startPoll waits for the sync before
                // its first query, so the task id is on disk before the task is polled.
                journal.appendSoon(records)
            } else {
                do {
                    try await journal.append(records)
                } catch {
                    return .journalFailed(job: index, "the journal cannot be written (\(error)) after a submit")
                }
            }
            return .submitted(job: index, outcome, inputURLs: urls, at: at)
        }
    }

    static func finishedRecord(key: String, _ task: TaskSnapshot) -> JournalRecord {
        let status: String
        switch task.state {
        case .succeeded: status = "succeeded"
        case .cancelled: status = "cancelled"
        default: status = "failed"
        }
        var fields: [(String, JournalRecord.FieldValue)] = [
            ("key", .text(key)), ("taskId", .text(task.taskId)), ("status", .text(status)),
        ]
        if !task.results.isEmpty {
            fields.append(("urls", .text(task.results.map(\.url).joined(separator: " "))))
            fields.append(("types", .text(task.results.map { $0.outputType ?? "" }.joined(separator: " "))))
        }
        if let cost = task.cost { fields.append(("cost", .text(cost))) }
        if let code = task.errorCode { fields.append(("code", .text(code))) }
        if let message = task.errorMessage { fields.append(("message", .text(message))) }
        return JournalRecord(.finished, at: Timestamp.now(), fields)
    }

    mutating func handleSubmit(_ index: Int, _ outcome: SubmitOutcome, inputURLs urls: [String], at: String, _ group: inout TaskGroup<RunEvent>) {
        // Images uploaded again for this submit: their fresh URLs serve the jobs after it.
        for (position, source) in plan.jobs[index].allSources.enumerated() where position < urls.count {
            guard case .local(let image) = source, let number = imageIndex[image.sha256],
                let known = imageURLs[number], known != urls[position], !urls[position].isEmpty
            else { continue }
            imageURLs[number] = urls[position]
            imageUploadedAt[number] = now
        }
        switch outcome {
        case .accepted(let task):
            jobs[index].taskId = task.taskId
            jobs[index].submittedAt = at
            jobs[index].inputURLs = urls
            if task.state.isFinished {
                execute(scheduler.submitFinished(index, .acceptedFinished(actualCost: task.cost.flatMap { Money($0) }), now: now), &group)
                taskFinished(index, task, &group)
            } else {
                jobs[index].acceptedAt = clock.now
                execute(scheduler.submitFinished(index, .accepted, now: now), &group)
                startPoll(index, taskId: task.taskId, holdsSlot: true, immediately: false, &group)
            }
        case .refused(let failure):
            let result: SubmitScheduler.SubmitResult = failure.errorClass == .retryable ? .refused(failure) : .failed(failure)
            execute(scheduler.submitFinished(index, result, now: now), &group)
        case .unknown(let failure):
            execute(scheduler.submitFinished(index, .unknown(failure), now: now), &group)
            if options.resubmitUnknown { jobs[index].status = .pending }
        }
    }

    // MARK: Polls

    mutating func startPoll(_ index: Int, taskId: String, holdsSlot: Bool, immediately: Bool, _ group: inout TaskGroup<RunEvent>) {
        jobs[index].holdsSlot = holdsSlot
        jobs[index].status = .pending
        pollsActive += 1
        let schedule = options.poll
        let notFoundWindow = options.notFoundWindow
        let budget = queryBudget
        // With this model's task times known, queries go where results are likely (every tenth
        // of the known times, asked afresh before each query, so tasks that started before the
        // times were known use them too); after the longest seen, or with none known, the
        // growing schedule. A re-attached task of an earlier run has no start to measure from.
        let times = immediately ? nil : modelTimes
        let endpoint = plan.jobs[index].endpoint
        let key = plan.jobs[index].key
        let service = service
        let journal = journal
        let seed = jitter.next()
        group.addTask {
            var random = SplitMix(seed: seed)
            let clock = ContinuousClock()
            let started = clock.now
            var attempt = 0
            // Answers of 1004 (task not found) in a row, and when the first of them came.
            var notFound: (count: Int, since: ContinuousClock.Instant)?
            // When the previous query was sent, for the estimate of when the task finished.
            var previousQuery: ContinuousClock.Instant?
            // Queries sent on the growing schedule since the learnt one last had a place.
            var growing = 0
            while true {
                attempt += 1
                if !(immediately && attempt == 1) {
                    do {
                        let elapsed = clock.now - started
                        if let next = await times?.nextQuery(endpoint, after: elapsed, minimumGap: schedule.minimum / 2) {
                            growing = 0
                            try await Task.sleep(until: started + next * (0.99 + 0.02 * random.unit()), clock: clock)
                        } else {
                            growing += 1
                            let expected = await times?.typical(endpoint)
                            let wait = attempt == 1
                                ? schedule.firstDelay(expected: expected, jitter: random.unit())
                                : schedule.delay(attempt: growing, jitter: random.unit())
                            try await Task.sleep(for: wait)
                        }
                    } catch {
                        return .cancelled(job: index)
                    }
                }
                let elapsed = clock.now - started
                if elapsed > schedule.taskTimeout {
                    try? await journal.append(JournalRecord(.finished, at: Timestamp.now(), [
                        ("key", .text(key)), ("taskId", .text(taskId)), ("status", .text("timeout")),
                        ("code", .text("timeout")), ("message", .text("no result after \(Int(elapsed.components.seconds)) s")),
                    ]))
                    return .taskEnded(job: index, .timeout(elapsed: elapsed))
                }
                if attempt == 1 {
                    // The task id must be on disk before the task is polled.
                    do {
                        try await journal.sync()
                    } catch {
                        return .journalFailed(job: index, "the journal cannot be written (\(error))")
                    }
                }
                let outcome: QueryOutcome
                var sentAt = clock.now
                do {
                    // The run's query budget paces this query among all the others.
                    let moment = await budget.reserve()
                    if moment > clock.now { try await Task.sleep(until: moment, clock: clock) }
                    sentAt = clock.now
                    outcome = try await service.query(taskId: taskId)
                } catch {
                    return .cancelled(job: index)
                }
                if case .failed(let failure) = outcome, failure.code == "1003" || failure.httpStatus == 429 {
                    await budget.pause(for: failure.retryAfter ?? .seconds(1))
                }
                switch outcome {
                case .task(let task) where task.state.isFinished:
                    // A lost "finished" costs one more query on resume, never a result or a bill.
                    journal.appendLazily([RunCoordinator.finishedRecord(key: key, task)])
                    let took = previousQuery.map { (($0 - started) + (sentAt - started)) / 2 }
                    // Halfway between the last two queries when known: the time seen finished is
                    // late by up to a whole gap, and would push every later query late.
                    if task.state == .succeeded { await times?.record(endpoint, took ?? (clock.now - started)) }
                    return .taskEnded(job: index, .finished(task, took: took))
                case .task:
                    notFound = nil
                    previousQuery = sentAt
                    continue
                case .failed(let failure) where failure.code == "1004":
                    // Not found: ask again for a while (at least three times) before giving a
                    // billed task up; it is then lost, never resubmitted by itself.
                    let seen = (count: (notFound?.count ?? 0) + 1, since: notFound?.since ?? clock.now)
                    notFound = seen
                    if seen.count >= 3 && clock.now - seen.since >= notFoundWindow {
                        var lost = failure
                        lost.message += " (asked \(seen.count) times over \(Int((clock.now - seen.since).components.seconds)) s)"
                        return .taskEnded(job: index, .lost(lost))
                    }
                    continue
                case .failed(let failure):
                    notFound = nil
                    switch failure.errorClass {
                    case .fatal: return .taskEnded(job: index, .fatal(failure))
                    case .final: return .taskEnded(job: index, .lost(failure))
                    default: continue
                    }
                }
            }
        }
    }

    mutating func handlePollEnd(_ index: Int, _ end: PollEnd, _ group: inout TaskGroup<RunEvent>) {
        var cost: Money?
        if case .finished(let task, _) = end { cost = task.cost.flatMap { Money($0) } ?? (task.state == .succeeded ? nil : .zero) }
        if jobs[index].holdsSlot {
            jobs[index].holdsSlot = false
            execute(scheduler.taskEnded(index, actualCost: cost, now: now), &group)
        }
        switch end {
        case .finished(let task, _):
            taskFinished(index, task, &group)
        case .timeout(let elapsed):
            jobs[index].status = .timeout
            jobs[index].failure = JobFailure(phase: "poll", code: "timeout", message: "no result after \(Int(elapsed.components.seconds)) s; the next run asks again")
        case .fatal(let failure):
            jobs[index].status = .unknown
            jobs[index].failure = JobFailure(phase: "poll", code: failure.code, message: failure.message)
            execute(scheduler.stopFatal(failure), &group)
        case .lost(let failure):
            // The task may have run and been billed: it is not sent again unless --retry-failed.
            let hint = jobs[index].resumed ? " (the task of an earlier run is gone; --retry-failed runs the job again)" : ""
            failJob(index, JobFailure(phase: "poll", code: failure.code, message: failure.message + hint))
        }
    }

    mutating func taskFinished(_ index: Int, _ task: TaskSnapshot, _ group: inout TaskGroup<RunEvent>) {
        jobs[index].finishedAt = Timestamp.now()
        if let cost = task.cost.flatMap({ Money($0) }) { jobs[index].cost = cost }
        switch task.state {
        case .succeeded:
            jobs[index].results = task.results
            if task.results.isEmpty {
                jobs[index].status = .failed
                jobs[index].failure = JobFailure(phase: "poll", code: "no-results", message: "the task succeeded without results")
                return
            }
            for (offset, result) in task.results.enumerated() where jobs[index].outputs[offset + 1] == nil {
                jobs[index].pendingDownloads += 1
                downloadQueue.append((index, offset + 1, result))
            }
            if jobs[index].pendingDownloads == 0 { jobs[index].status = .succeeded }
            pumpDownloads(&group)
        case .cancelled:
            jobs[index].status = .cancelled
            jobs[index].failure = JobFailure(phase: "poll", code: task.errorCode ?? "cancelled", message: task.errorMessage ?? "the task was cancelled")
        default:
            jobs[index].status = .failed
            jobs[index].cost = jobs[index].cost ?? .zero
            jobs[index].failure = JobFailure(phase: "poll", code: task.errorCode ?? "failed", message: task.errorMessage ?? "the task failed")
        }
    }

    // MARK: Downloads

    mutating func pumpDownloads(_ group: inout TaskGroup<RunEvent>) {
        while downloadsActive < options.downloadConcurrency, downloadHead < downloadQueue.count, !cancelledAll {
            let (index, resultIndex, result) = downloadQueue[downloadHead]
            downloadHead += 1
            downloadsActive += 1
            let job = plan.jobs[index]
            let fileExtension = Self.fileExtension(result, kind: job.output)
            let relative = job.outputPath(index: resultIndex, fileExtension: fileExtension)
            let sidecar = sidecarJSON(index, resultIndex: resultIndex, result: result, relativePath: relative)
            let folder = folder
            let attempts = options.downloadAttempts
            let service = service
            let journal = journal
            let resumed = jobs[index].resumed
            group.addTask {
                if resumed {
                    // A run killed mid-download may have left its temporary files here.
                    let destination = folder + "/" + relative
                    FileSystem.removeLeftovers(
                        in: FilePath.directory(of: destination),
                        for: [FilePath.name(of: relative), FilePath.name(of: RunCoordinator.replacingExtension(of: relative, with: "json"))]
                    )
                }
                var lastError = DownloadError(reason: .transport, message: "not attempted")
                for attempt in 1...max(1, attempts) {
                    do {
                        // Not synced here: the journal's next sync (syncfs) covers the file and its rename.
                        var file = try await service.download(url: result.url, to: folder + "/" + relative, durable: false, expecting: job.output)
                        var path = relative
                        if file.format != fileExtension {
                            // The bytes say another format than the API did: name the file after the bytes.
                            let renamed = RunCoordinator.replacingExtension(of: relative, with: file.format)
                            if rename(folder + "/" + relative, folder + "/" + renamed) == 0 {
                                path = renamed
                                file.path = folder + "/" + renamed
                            }
                        }
                        let record = OutputRecord(path: path, url: result.url, bytes: file.bytes, sha256: file.sha256)
                        var json = sidecar
                        json.complete(with: record)
                        // Not synced: the result and its journal record are; a sidecar is rewritten with them.
                        try? AtomicFile.write(
                            Array((json.value.pretty + "\n").utf8),
                            to: folder + "/" + RunCoordinator.replacingExtension(of: path, with: "json"),
                            durable: false
                        )
                        var fields: [(String, JournalRecord.FieldValue)] = [
                            ("key", .text(job.key)), ("index", .number(resultIndex)), ("path", .text(path)),
                            ("sha256", .text(file.sha256)), ("bytes", .number(file.bytes)),
                        ]
                        if let info = FileSystem.fileInfo(folder + "/" + path) { fields.append(("mtime", .number(info.mtime))) }
                        // Written with the next sync: if it is lost, the next run downloads the file again.
                        journal.appendLazily([JournalRecord(.downloaded, at: Timestamp.now(), fields)])
                        return .downloaded(job: index, index: resultIndex, .success(record))
                    } catch let error as DownloadError {
                        lastError = error
                        if !error.isRetryable { break }
                    } catch {
                        if Task.isCancelled { return .cancelled(job: index) }
                        lastError = DownloadError(reason: .transport, message: "\(error)")
                    }
                    if Task.isCancelled { return .cancelled(job: index) }
                    try? await Task.sleep(for: .milliseconds(500 * (1 << min(attempt - 1, 5))))
                }
                let code: String
                switch lastError.reason {
                case .expired: code = "expired"
                case .wrongKind: code = (lastError.expected ?? job.output).mismatchCode
                case .refusedTarget: code = "refused-target"
                case .tooLarge: code = "too-large"
                default: code = "download"
                }
                return .downloaded(job: index, index: resultIndex, .failure(JobFailure(
                    phase: "download",
                    code: code,
                    message: lastError.message + (lastError.reason == .expired ? " (the result URL has expired, also after asking the task again; the task is not run again, --retry-failed asks it once more)" : "")
                )))
            }
        }
    }

    mutating func handleDownload(_ index: Int, _ resultIndex: Int, _ result: Result<OutputRecord, JobFailure>, _ group: inout TaskGroup<RunEvent>) {
        jobs[index].pendingDownloads -= 1
        switch result {
        case .success(let record): jobs[index].outputs[resultIndex] = record
        case .failure(let failure): jobs[index].downloadFailure = failure
        }
        if jobs[index].pendingDownloads == 0 {
            if let failure = jobs[index].downloadFailure, failure.code == "expired", !jobs[index].askedForFreshURLs,
                let taskId = jobs[index].taskId, !cancelledAll
            {
                // A 403/404 from the file host: ask the task for fresh URLs once before giving
                // the files up as expired; the task is never run (and paid for) again.
                jobs[index].askedForFreshURLs = true
                jobs[index].downloadFailure = nil
                startPoll(index, taskId: taskId, holdsSlot: false, immediately: true, &group)
                return
            }
            if let failure = jobs[index].downloadFailure {
                if Self.notRetriedDownloadCodes.contains(failure.code) {
                    // Fetching again cannot help: recorded, so only --retry-failed runs it again.
                    failJob(index, failure)
                } else {
                    // The task succeeded; the next run asks it for its results again.
                    jobs[index].status = .failed
                    jobs[index].failure = failure
                }
            } else {
                jobs[index].status = .succeeded
            }
        }
    }

    /// Marks a job failed and journals it, so the next run leaves it alone unless --retry-failed.
    mutating func failJob(_ index: Int, _ failure: JobFailure) {
        jobs[index].status = .failed
        jobs[index].failure = failure
        let record = JournalRecord(.failed, at: Timestamp.now(), [
            ("key", .text(plan.jobs[index].key)), ("phase", .text(failure.phase)),
            ("code", .text(failure.code)), ("message", .text(failure.message)),
        ])
        pendingJournal.append(record)
    }

    /// Download failures that asking the task again would not mend by itself: an expired URL, a
    /// body of another kind than the model makes, a refused target, a file over the cap.
    static let notRetriedDownloadCodes: Set<String> = Set(["expired", "refused-target", "too-large"] + OutputKind.allCases.map(\.mismatchCode))

    static func fileExtension(_ result: TaskResult, kind: OutputKind = .image) -> String {
        if let type = result.outputType, let format = MediaFormat(acceptName: type) { return format.fileExtension }
        if !result.url.hasPrefix("data:") {
            let path = result.url.split(separator: "?").first.map(String.init) ?? result.url
            if let dot = path.lastIndex(of: "."), let format = MediaFormat(acceptName: String(path[path.index(after: dot)...])) {
                return format.fileExtension
            }
        }
        return kind.defaultExtension
    }

    static func replacingExtension(of path: String, with ext: String) -> String {
        let name = FilePath.name(of: path)
        guard let dot = name.lastIndex(of: "."), dot != name.startIndex else { return path + "." + ext }
        return String(path.dropLast(name.distance(from: dot, to: name.endIndex))) + "." + ext
    }
}

