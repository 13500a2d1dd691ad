import RunningHubModel

/// A job's way through the machine: resume, inputs, submit, polls, downloads.
extension RunMachine {
    // MARK: Resume

    /// A recorded cost as money: most jobs cost the same text, read once.
    mutating func resumedCost(_ text: String?) -> Money? {
        guard let text else { return nil }
        if let last = lastResumedCost, last.text == text { return last.money }
        let money = Money(text)
        lastResumedCost = (text, money)
        return money
    }

    /// What the journal says to do with a job.
    mutating func resume(_ index: Int) {
        let recorded = historyPosition(index).flatMap { history[position: $0] }
        guard let entry = recorded, entry.stage != .refused else {
            jobs[index].attempts = recorded?.attempts ?? 0
            needSubmit(index)
            return
        }
        jobs[index].attempts = entry.attempts
        jobs[index].taskId = entry.taskId
        jobs[index].submittedAt = entry.submitted
        jobs[index].finishedAt = entry.finished
        jobs[index].cost = resumedCost(entry.cost)
        jobs[index].coins = entry.coins.flatMap { Money($0) }
        jobs[index].inputURLs = entry.inputURLs
        jobs[index].resumed = true
        switch entry.stage {
        case .succeeded:
            resumeSucceeded(index, entry)
        case .submitted, .cancelled:
            if let taskId = entry.taskId {
                if keyGone[index] == nil {
                    scheduler.adopt(
                        index, estimate: budgetEstimate(index), coins: plan.jobs[index].shape.value.coinEstimate)
                }
                pollResumed(index, taskId: taskId, holdsSlot: true, keyID: entry.keyID)
            } else {
                needSubmit(index)
            }
        case .refused:
            needSubmit(index)
        case .submitting, .unknown:
            resumeUnknown(index, entry)
        case .failed:
            resumeFailed(index, entry)
        }
    }

    /// A job an earlier run finished: done when its files are intact on disk; else its task is
    /// asked for fresh URLs (never run again).
    mutating func resumeSucceeded(_ index: Int, _ entry: JournalEntry) {
        let results = entry.results
        var missing = false
        for resultIndex in 1...max(1, results.count) {
            if let download = entry.downloads[resultIndex],
                verified.contains(Self.resultID(job: index, index: resultIndex))
            {
                jobs[index].outputs[resultIndex] = OutputRecord(
                    path: download.path,
                    url: resultIndex <= results.count ? results[resultIndex - 1].url : "",
                    bytes: download.bytes,
                    sha256: download.sha256,
                    node: resultIndex <= results.count ? results[resultIndex - 1].nodeId : nil
                )
            } else {
                missing = true
            }
        }
        if !missing {
            jobs[index].alreadyDone = true
            end(index, .succeeded)
        } else if let taskId = entry.taskId {
            // Results were never fetched, or were deleted: ask the task for fresh URLs.
            pollResumed(index, taskId: taskId, holdsSlot: false, keyID: entry.keyID)
        } else {
            needSubmit(index)
        }
    }

    /// A job whose submit's outcome an earlier run never learnt: unknown, unless
    /// `--resubmit-unknown` sends it again.
    mutating func resumeUnknown(_ index: Int, _ entry: JournalEntry) {
        if options.resubmitUnknown {
            decide(.resubmitUnknown, job: index, ["from": "an earlier run"])
            needSubmit(index)
            return
        }
        let failure = JobFailure(
            phase: .submit,
            code: entry.code.map(JobFailure.Code.init(rawValue:)) ?? .interrupted,
            message: entry.message.map { "earlier run: \($0)" }
                ?? "an earlier run stopped between sending the submit and recording its answer; a task may exist (use --resubmit-unknown to send it again, which may bill twice)"
        )
        end(index, .unknown, failure)
    }

    /// A job an earlier run failed: left alone unless `--retry-failed`, which asks a paid task
    /// whose files went missing for fresh URLs and submits any other again.
    mutating func resumeFailed(_ index: Int, _ entry: JournalEntry) {
        if options.retryFailed, entry.phase == JobFailure.Phase.download.rawValue, let taskId = entry.taskId {
            // The task succeeded and was paid for; only its files are missing: ask it for fresh
            // URLs, never submit (and pay) again.
            jobs[index].askedForFreshURLs = true
            pollResumed(index, taskId: taskId, holdsSlot: false, keyID: entry.keyID)
        } else if options.retryFailed {
            needSubmit(index)
        } else {
            let failure = JobFailure(
                phase: entry.phase.flatMap(JobFailure.Phase.init(rawValue:)) ?? .submit,
                code: entry.code.map(JobFailure.Code.init(rawValue:)) ?? .failed,
                message: "earlier run: " + (entry.message ?? "failed") + " (use --retry-failed to run it again)"
            )
            end(index, .failed, failure)
        }
    }

    /// Asks a task of an earlier run again, with the key that created it; when this run does not
    /// have that key, the job ends `unknown` with why (never sent again by itself).
    mutating func pollResumed(_ index: Int, taskId: String, holdsSlot: Bool, keyID: String?) {
        guard let gone = keyGone[index] else {
            startPoll(index, taskId: taskId, holdsSlot: holdsSlot, immediately: true, keyID: keyID)
            return
        }
        let failure = JobFailure(
            phase: .poll,
            code: .keyGone,
            message:
                "task \(taskId) was created with the key whose fingerprint is \(gone), which this run does not have; run again with that key to collect it"
        )
        end(index, .unknown, failure)
    }

    /// Queues a job for submitting once its local inputs are uploaded.
    mutating func needSubmit(_ index: Int) {
        jobs[index].taskId = nil
        jobs[index].outputs = OutputRecords()
        jobs[index].alreadyDone = false
        var waiting = 0
        for source in plan.jobs[index].allSources {
            guard case .local(let image) = source else { continue }
            let number = imageNumber(for: image)
            if images[number].url != nil { continue }
            if let failure = images[number].failure {
                failUpload(index, failure)
                return
            }
            if !images[number].uploading && images[number].waitingJobs.isEmpty {
                uploadQueue.append(number)
            }
            if images[number].waitingJobs.last != index {
                images[number].waitingJobs.append(index)
                waiting += 1
            }
        }
        if waiting == 0 {
            enqueue(index)
        } else {
            move(index, to: .awaitingInputs(missing: waiting))
        }
    }

    /// Hands a job whose inputs are uploaded to the submit scheduler.
    mutating func enqueue(_ index: Int) {
        move(index, to: .queued)
        execute(
            scheduler.enqueue(
                index, estimate: budgetEstimate(index), coins: plan.jobs[index].shape.value.coinEstimate,
                now: now.elapsed))
    }

    mutating func imageNumber(for image: LocalImage) -> Int {
        if let number = imageIndex[image.sha256] { return number }
        images.append(ImageSlot(image: image))
        imageIndex[image.sha256] = images.count - 1
        return images.count - 1
    }

    /// An upload failed: nothing was sent or billed, so the job is not journaled as failed and
    /// the next run tries again.
    mutating func failUpload(_ index: Int, _ message: String) {
        end(index, .failed, JobFailure(phase: .upload, code: .upload, message: message))
    }

    // MARK: Uploads

    mutating func pumpUploads() {
        while uploadsActive < options.uploadConcurrency, uploadHead < uploadQueue.count, stopReason == nil {
            let number = uploadQueue[uploadHead]
            uploadHead += 1
            uploadsActive += 1
            images[number].attempt = 0
            startUpload(number)
        }
    }

    mutating func startUpload(_ number: Int) {
        images[number].uploading = true
        images[number].answerDue = true
        images[number].attempt += 1
        decide(.uploadSent, job: nil, ["image": images[number].image.path, "attempt": String(images[number].attempt)])
        out.append(.upload(image: number, images[number].image))
    }

    mutating func uploaded(_ number: Int, _ result: Result<UploadedFile, APIFailure>) {
        guard images.indices.contains(number), images[number].answerDue else {
            stray("an upload's answer", job: nil)
            return
        }
        images[number].answerDue = false
        switch result {
        case .success(let file): decide(.uploadEnded, job: nil, ["image": images[number].image.path, "url": file.url])
        case .failure(let failure):
            decide(.uploadEnded, job: nil, ["image": images[number].image.path, "code": failure.code])
        }
        switch result {
        case .success(let file):
            let url = file.url
            uploadsActive -= 1
            images[number].uploading = false
            images[number].url = url
            images[number].fileName = file.fileName
            images[number].uploadedAt = now.elapsed
            write([.uploaded(sha256: images[number].image.sha256, url: url, at: now.timestamp)])
            let waiting = images[number].waitingJobs
            images[number].waitingJobs = []
            for job in waiting {
                guard case .awaitingInputs(let missing) = jobs[job].phase else { continue }
                if missing > 1 {
                    move(job, to: .awaitingInputs(missing: missing - 1))
                } else {
                    enqueue(job)
                }
            }
            let submits = images[number].waitingSubmits
            images[number].waitingSubmits = []
            for job in submits {
                guard case .submitting(var submitting) = jobs[job].phase, !submitting.sent else { continue }
                for (position, source) in plan.jobs[job].allSources.enumerated() {
                    if case .local(let image) = source, image.sha256 == images[number].image.sha256 {
                        submitting.urls[position] = url
                    }
                }
                submitting.waiting -= 1
                move(job, to: .submitting(submitting))
                if submitting.waiting == 0 { recordSubmitting(job) }
            }
        case .failure(let failure):
            let retry = failure.errorClass != .fatal && failure.errorClass != .final
            if retry, images[number].attempt < 4, !cancelledAll {
                out.append(
                    .wait(until: now.elapsed + .seconds(1 << (images[number].attempt - 1)), .uploadRetry(image: number))
                )
                return
            }
            uploadsActive -= 1
            images[number].uploading = false
            let submits = images[number].waitingSubmits
            images[number].waitingSubmits = []
            for job in submits {
                guard case .submitting(let submitting) = jobs[job].phase, !submitting.sent else { continue }
                // A fresh URL for a submit: nothing was sent; the scheduler tries again later
                // (or stops the run on a fatal answer).
                var refusal = failure
                if refusal.errorClass != .fatal { refusal.errorClass = .retryable }
                submitRefused(job, refusal)
            }
            if failure.errorClass == .fatal {
                // Fatal for the run (bad key, wrong base URL): the jobs waiting for the file are
                // not failed; the stop leaves them to do, as not submitted.
                execute(scheduler.stopFatal(failure))
            } else if images[number].url == nil {
                let message = "uploading \(images[number].image.path) failed: \(failure)"
                images[number].failure = message
                let waiting = images[number].waitingJobs
                images[number].waitingJobs = []
                for job in waiting { failUpload(job, message) }
            }
        }
        pumpUploads()
    }

    // MARK: Submits

    /// What the job's body names each input by: its URL, or for a workflow's load node the
    /// upload's file name (a URL of the job's own is sent as it is).
    func inputURLs(for index: Int) -> [String] {
        let fileNames = plan.jobs[index].shape.value.sendsFileNames
        return plan.jobs[index].allSources.map { source in
            switch source {
            case .remote(let url): url
            case .local(let image):
                imageIndex[image.sha256].flatMap { fileNames ? images[$0].fileName ?? images[$0].url : images[$0].url }
                    ?? ""
            }
        }
    }

    /// The scheduler let a job go: inputs whose URL is older than the bound are uploaded again
    /// first; then its `submitting` record is written; then it is sent.
    mutating func startSubmit(_ index: Int) {
        let job = plan.jobs[index]
        var waiting = 0
        for source in job.allSources {
            guard case .local(let image) = source, let number = imageIndex[image.sha256], images[number].url != nil
            else { continue }
            // Stale, or being uploaded again for another submit right now.
            let stale =
                images[number].uploading
                || images[number].uploadedAt.map { now.elapsed - $0 > options.uploadLifetime } ?? false
            guard stale, !images[number].waitingSubmits.contains(index) else { continue }
            images[number].waitingSubmits.append(index)
            waiting += 1
            if !images[number].uploading {
                uploadsActive += 1
                images[number].attempt = 0
                startUpload(number)
            }
        }
        move(index, to: .submitting(.init(urls: inputURLs(for: index), waiting: waiting)))
        if waiting == 0 { recordSubmitting(index) }
    }

    /// Sends the submit, with its `submitting` record to be on disk first.
    mutating func recordSubmitting(_ index: Int) {
        let job = plan.jobs[index]
        guard case .submitting(var submitting) = jobs[index].phase, !submitting.sent, submitting.waiting == 0 else {
            return
        }
        let urls = submitting.urls
        if let failure = unavailableWorkflows[job.endpoint] {
            submitRefused(index, failure)
            return
        }
        // By alias: two workflow entries may run one workflow id with different settings.
        guard let model = plan.catalog.model(named: job.model) ?? plan.catalog.model(named: job.endpoint) else {
            submitRefused(
                index,
                APIFailure(
                    code: JobFailure.Code.catalog.rawValue, message: "unknown endpoint \(job.endpoint)",
                    errorClass: .final))
            return
        }
        submitting.sent = true
        move(index, to: .submitting(submitting))
        jobs[index].attempts += 1
        decide(.submitSent, job: index, ["attempt": String(jobs[index].attempts), "endpoint": job.endpoint])
        submitsSent += 1
        out.append(
            .submit(
                job: index,
                endpoint: job.endpoint,
                body: Array(
                    job.body(urls: urls, model: model, webhookURL: sendsWebhook(index) ? options.webhookURL : nil).json
                        .utf8),
                record: .submitting(key: job.key, attempt: jobs[index].attempts, at: now.timestamp)
            ))
    }

    /// A submit that was not sent or was refused.
    mutating func submitRefused(_ index: Int, _ failure: APIFailure) {
        if failure.errorClass == .retryable {
            // The scheduler queues it again (or ends it after too many refusals).
            move(index, to: .queued)
            execute(scheduler.submitFinished(index, .refused(failure), now: now.elapsed))
        } else {
            execute(scheduler.submitFinished(index, .failed(failure), now: now.elapsed))
        }
    }

    mutating func submitted(_ index: Int, _ outcome: SubmitOutcome) {
        guard case .submitting(let submitting) = jobs[index].phase, submitting.sent else {
            stray("a submit's answer", job: index)
            return
        }
        let urls = submitting.urls
        let key = plan.jobs[index].key
        let at = now.timestamp
        switch outcome {
        case .accepted(let task):
            var records: [JournalRecord] = [
                .submitted(key: key, task: task, inputs: urls, graph: plan.jobs[index].shape.value.graphSHA256, at: at)
            ]
            jobs[index].taskId = task.taskId
            decide(.submitAccepted, job: index, ["state": "\(task.state)"])
            jobs[index].submittedAt = .milliseconds(now.epochMilliseconds)
            jobs[index].inputURLs = inputLists.value(urls)
            if task.state.isFinished {
                records.append(.finished(key: key, task: task, at: at))
                write(records)
                execute(
                    scheduler.submitFinished(
                        index,
                        .acceptedFinished(
                            actualCost: task.cost.flatMap { Money($0) },
                            actualCoins: task.coins.flatMap { Money($0) }),
                        now: now.elapsed))
                taskFinished(index, task)
            } else {
                // Synced at once without holding anything up; the first query waits for the sync,
                // so the task id is on disk before the task is polled.
                write(records)
                execute(scheduler.submitFinished(index, .accepted, now: now.elapsed))
                startPoll(index, taskId: task.taskId, holdsSlot: true, immediately: false, keyID: task.keyID)
            }
        case .refused(let failure):
            let record: JournalRecord
            let job = plan.jobs[index]
            if job.shape.value.sendsFileNames, Self.workflowUnavailableCodes.contains(failure.code) {
                // The workflow, not the job: one message, and its jobs stay to do.
                if unavailableWorkflows[job.endpoint] == nil {
                    unavailableWorkflows[job.endpoint] = failure
                    out.append(
                        .notice(
                            .warning(
                                "\(job.model) (\(job.endpoint)) cannot run: \(failure); its jobs are not sent, and the next run tries them again"
                            )))
                }
                record = .refused(key: key, failure: failure, at: at)
            } else if failure.errorClass == .final {
                // The job itself is refused (invalid parameters, moderation): a later run leaves
                // it alone unless --retry-failed.
                record = .failed(
                    key: key, failure: JobFailure(phase: .submit, code: .init(failure), message: failure.message),
                    at: at)
            } else {
                // No task was created (queue full, rate limit, bad key, no balance): still to do.
                record = .refused(key: key, failure: failure, at: at)
            }
            write([record])
            submitRefused(index, failure)
            var facts = ["code": failure.code, "class": "\(failure.errorClass)", "ceiling": String(scheduler.ceiling)]
            if let paused = scheduler.pausedUntil, paused > now.elapsed {
                facts["backoff.seconds"] = (paused - now.elapsed).decisionText
            }
            decide(.submitRefused, job: index, facts)
        case .unknown(let failure):
            write([.unknown(key: key, failure: failure, at: at)])
            decide(options.resubmitUnknown ? .resubmitUnknown : .submitUnknown, job: index, ["code": failure.code])
            // With --resubmit-unknown the scheduler queues it again; otherwise it ends it.
            if options.resubmitUnknown { move(index, to: .queued) }
            execute(scheduler.submitFinished(index, .unknown(failure), now: now.elapsed))
        }
    }

    // MARK: Polls

    mutating func startPoll(_ index: Int, taskId: String, holdsSlot: Bool, immediately: Bool, keyID: String? = nil) {
        jobs[index].holdsSlot = holdsSlot
        if let keyID { jobs[index].budgetKey = budgetKey(keyID) }
        var poll = PollState(
            taskId: taskId, started: now.elapsed, immediately: immediately, random: SplitMix(seed: jitter.next()))
        // A task of an earlier run sent its callback to a receiver that is gone: it is polled.
        poll.expectsCallback = !immediately && sendsWebhook(index)
        move(index, to: .polling(poll))
        pollingTasks[taskId] = index
        if poll.expectsCallback, earlyCallbacks.remove(taskId) != nil {
            // Its callback came before its submit's answer: a hint, acted on now.
            callbacks.ignored -= 1
            callbacks.used += 1
            poll.hintedAt = now.elapsed
            move(index, to: .polling(poll))
            enqueueQuery(index)
            return
        }
        schedulePoll(index)
    }

    /// A polled job's poll state.
    func pollState(_ index: Int) -> PollState? {
        if case .polling(let poll) = jobs[index].phase { poll } else { nil }
    }

    /// The number of the query budget of an API key (by its fingerprint), made on first use.
    mutating func budgetKey(_ keyID: String) -> UInt8 {
        if let number = budgetKeys[keyID] { return number }
        guard budgets.count < Int(UInt8.max) else { return 0 }
        let number = UInt8(budgets.count)
        budgetKeys[keyID] = number
        budgets.append(QueryBudget(rate: options.queryRate))
        queryQueues.append([])
        queryHeads.append(0)
        budgetTimers.append(nil)
        return number
    }

    /// Decides when the next query goes and sets a timer for it. A re-attached task of an earlier
    /// run is asked at once and has no start to measure from. See ``nextQueryMoment(_:endpoint:)``.
    mutating func schedulePoll(_ index: Int) {
        guard var poll = pollState(index) else { return }
        if poll.immediately && poll.attempt == 0 {
            move(index, to: .polling(poll))
            enqueueQuery(index)
            return
        }
        let endpoint = plan.jobs[index].endpoint
        if poll.scout < 0, !poll.expectsCallback, !poll.immediately, durations[endpoint] == nil,
            scouts[endpoint, default: []].count < 4
        {
            let taken = Set(scouts[endpoint, default: []].compactMap { pollState($0)?.scout })
            poll.scout = (0..<4).first { !taken.contains($0) } ?? 0
            scouts[endpoint, default: []].append(index)
        }
        var due = nextQueryMoment(&poll, endpoint: endpoint)
        // The net's last query comes before the time bound, never after it.
        let last = poll.started + options.poll.taskTimeout * 0.99
        if poll.expectsCallback, due > last, now.elapsed < last { due = last }
        armTimer(index, &poll, due: due)
    }

    /// Sets a poll's one timer in force for `due` (any earlier one goes stale), capped just past
    /// the time bound, where the timer ends the task as timed out (``pollDue(_:generation:)``).
    mutating func armTimer(_ index: Int, _ poll: inout PollState, due: Duration) {
        pollGeneration &+= 1
        poll.generation = pollGeneration
        poll.due = due
        move(index, to: .polling(poll))
        decide(.queryScheduled, job: index, ["at.seconds": due.decisionText, "attempt": String(poll.attempt + 1)])
        let timeout = poll.started + options.poll.taskTimeout + .milliseconds(1)
        out.append(.wait(until: min(due, timeout), .poll(job: index, generation: poll.generation)))
    }

    /// Ends a poll past its time bound as timed out (journaled); `false` within it.
    mutating func endIfPastBound(_ index: Int, _ poll: PollState) -> Bool {
        let elapsed = now.elapsed - poll.started
        guard elapsed > options.poll.taskTimeout else { return false }
        write([
            .timedOut(
                key: plan.jobs[index].key, taskId: poll.taskId, seconds: Int(elapsed.components.seconds),
                at: now.timestamp)
        ])
        pollEnded(index, .timeout(elapsed: elapsed))
        return true
    }

    /// When to ask next. With this model's task times known, queries go where results are likely
    /// (every tenth of the known times, asked afresh before each query, so tasks that started
    /// before the times were known use them too), then past the longest seen on a schedule that
    /// grows from 2% of the median. With none known, a model's scout asks on a short growing
    /// schedule (offsets from its start, a geometric series) and the others wait the configured
    /// first delay (the scouts' first time moves them).
    /// A task that expects a callback is asked only as a safety net.
    mutating func nextQueryMoment(_ poll: inout PollState, endpoint: String) -> Duration {
        let schedule = options.poll
        let times = poll.immediately ? nil : durations[endpoint]
        let elapsed = now.elapsed - poll.started
        // A hinted task whose confirming query failed is asked again soon, not by the net.
        if poll.expectsCallback && poll.notFound == nil && poll.hintedAt == nil {
            return poll.started + safetyNet(&poll, times: times, elapsed: elapsed)
        }
        if let times, let next = times.nextQuery(after: elapsed) {
            poll.growing = 0
            return poll.started + next * (0.99 + 0.02 * poll.random.unit())
        }
        poll.growing += 1
        let jitter = 0.9 + 0.2 * poll.random.unit()
        if let times, let step = times.step, let longest = times.longest {
            // Already past every known time and never asked (a scout's sibling), or last asked
            // by a scout's own coarse schedule before its model's first ends were known: ask
            // now, and from there on the schedule's first step (not the scout's step count).
            // The last query sent, whatever its answer: a scout whose queries fail is not asked
            // again and again at once.
            if poll.attempt == 0 || poll.scout >= 0 && poll.sentAt - poll.started < longest * 0.98 {
                poll.growing = 0
                return now.elapsed
            }
            let wait = min(step.grown(by: 1.5, times: poll.growing - 1), schedule.maximum)
            return now.elapsed + wait * jitter
        }
        if poll.scout >= 0 {
            // Scout i asks at offsets f·1.5^(n + i/4) from its start: the four together ask every
            // 10.7% of time, so the first end is found within about a tenth of its time.
            let first = (schedule.minimum / 12).grown(by: 1.106_68, times: Int(poll.scout))
            let offset = first.grown(by: 1.5, times: poll.growing - 1)
            if offset <= elapsed { return now.elapsed + first }
            return poll.started + min(offset, elapsed + schedule.maximum)
        }
        let wait =
            poll.attempt == 0
            ? schedule.firstDelay(expected: times?.typical, jitter: poll.random.unit())
            : schedule.delay(attempt: poll.growing, jitter: poll.random.unit())
        return now.elapsed + wait
    }

    /// The safety net of a task whose callback has not come, as an offset from its start: once
    /// it is past the longest time of its model's last 64 tasks by a tenth (the time by which
    /// nearly all have ended), then on a schedule growing by half from a quarter of that, up to 8
    /// times the configured longest wait. Until 8 times are known, from 4 times the configured
    /// longest wait, growing from 2 times it. A lost callback costs a little time, never a result.
    /// Once callbacks are seen lost (over 2% of those that came), first at the time 75% of the
    /// model's tasks have ended, 5% after: a late callback is then likely a lost one. A first net
    /// timer that fires before the net's first moment as it is known then (times learnt since it
    /// was set) waits on instead of asking (``pollDue(_:generation:)``).
    func safetyNet(_ poll: inout PollState, times: TaskDurations?, elapsed: Duration) -> Duration {
        let schedule = options.poll
        let (first, base) = netStart(times)
        let jitter = 0.95 + 0.1 * poll.random.unit()
        if elapsed < first { return first * jitter }
        poll.growing += 1
        let wait = min(base.grown(by: 1.5, times: poll.growing - 1), schedule.maximum * 8)
        return elapsed + wait * jitter
    }

    /// The safety net's first moment (as an offset from a task's start) and the base of its
    /// growing waits after it.
    func netStart(_ times: TaskDurations?) -> (first: Duration, base: Duration) {
        let schedule = options.poll
        guard let times, times.count >= 8, let longest = times.longest else {
            return (schedule.maximum * 4, schedule.maximum * 2)
        }
        let losing = callbacks.missed * 50 > callbacks.used
        return (losing ? times.quantile(0.75) * 1.05 : longest * 1.1, max(longest / 4, schedule.minimum))
    }

    mutating func pollDue(_ index: Int, generation: UInt32) {
        // A timer replaced by a later decision (a callback, a learnt time) is stale: expected,
        // not a stray.
        guard let poll = pollState(index), poll.generation == generation, !poll.answerDue, !poll.queued else {
            return
        }
        guard !cancelledAll else {
            endPoll(index, interruptedFailure(index))
            return
        }
        if endIfPastBound(index, poll) { return }
        let elapsed = now.elapsed - poll.started
        if poll.expectsCallback, poll.hintedAt == nil, poll.notFound == nil, poll.attempt == 0 {
            // The first net timer was set with what was known then; the tasks that ended since
            // may say its task is not yet likely to have ended (the first times learnt are the
            // shortest): it waits on, without a query.
            let first = min(
                netStart(durations[plan.jobs[index].endpoint]).first, options.poll.taskTimeout * 0.99)
            if elapsed < first * 0.95 {
                var waiting = poll
                armTimer(index, &waiting, due: poll.started + first)
                return
            }
        }
        enqueueQuery(index)
    }

    /// Puts a poll in its key's query queue: it goes as soon as that key's budget allows.
    mutating func enqueueQuery(_ index: Int) {
        guard var poll = pollState(index), !poll.answerDue, !poll.queued else { return }
        poll.queued = true
        // Any timer set for it is stale now.
        pollGeneration &+= 1
        poll.generation = pollGeneration
        move(index, to: .polling(poll))
        let key = Int(jobs[index].budgetKey)
        queryQueues[key].append(index)
        pumpQueries(key, waited: false)
    }

    /// Sends the queued queries of key `key` its budget allows now, and sets a wake-up for the
    /// rest; `waited` says they waited for the budget (a wake-up).
    mutating func pumpQueries(_ key: Int, waited: Bool) {
        while queryHeads[key] < queryQueues[key].count {
            let moment = budgets[key].moment(now: now.elapsed)
            if moment > now.elapsed {
                if budgetTimers[key].map({ $0 > moment }) ?? true {
                    budgetTimers[key] = moment
                    out.append(.wait(until: moment, .querySlot(key: key)))
                }
                return
            }
            let index = queryQueues[key][queryHeads[key]]
            queryHeads[key] += 1
            if queryHeads[key] > 1024 && queryHeads[key] * 2 > queryQueues[key].count {
                queryQueues[key].removeFirst(queryHeads[key])
                queryHeads[key] = 0
            }
            // A poll that ended while it waited (a cancel, a drain) is skipped.
            guard var poll = pollState(index), poll.queued else { continue }
            poll.queued = false
            poll.budgetNumber = budgets[key].spend(now: now.elapsed, waited: waited)
            move(index, to: .polling(poll))
            sendQuery(index)
        }
        if queryHeads[key] > 0 {
            queryQueues[key].removeAll(keepingCapacity: true)
            queryHeads[key] = 0
        }
    }

    mutating func sendQuery(_ index: Int) {
        guard var poll = pollState(index), !poll.answerDue else {
            stray("a query's turn", job: index)
            return
        }
        guard !cancelledAll else {
            endPoll(index, interruptedFailure(index))
            return
        }
        poll.sentAt = now.elapsed
        poll.answerDue = true
        poll.attempt += 1
        queriesSent += 1
        move(index, to: .polling(poll))
        // The first query of a task goes once its task id is on disk.
        out.append(.query(job: index, taskId: poll.taskId, afterSync: poll.attempt == 1))
    }

    /// A webhook callback: a hint that the task ended, so the run asks it at once (one query
    /// confirms it and fetches the results). Never trusted beyond that: a forged or stale callback
    /// costs one query, never a wrong result.
    mutating func callback(_ taskId: String) {
        guard let index = pollingTasks[taskId], var poll = pollState(index) else {
            callbacks.ignored += 1
            // It may have come before its submit's answer (a task that ended at once): kept a
            // while, bounded, so that the task is asked at once when its answer comes.
            if options.webhookURL != nil, earlyCallbacks.insert(taskId).inserted {
                earlyCallbackOrder.append(taskId)
                if earlyCallbackOrder.count > 4096 { earlyCallbacks.remove(earlyCallbackOrder.removeFirst()) }
            }
            return
        }
        guard poll.hintedAt == nil else {
            callbacks.duplicates += 1
            return
        }
        callbacks.used += 1
        poll.hintedAt = now.elapsed
        decide(.callback, job: index, ["waiting": poll.answerDue ? "answer" : poll.queued ? "budget" : "timer"])
        if poll.answerDue {
            // The query out was sent before the callback: its answer may be stale.
            poll.queryAgain = true
            move(index, to: .polling(poll))
        } else {
            move(index, to: .polling(poll))
            enqueueQuery(index)
        }
    }

    mutating func queried(_ index: Int, _ outcome: QueryOutcome) {
        guard var poll = pollState(index), poll.answerDue else {
            stray("a query's answer", job: index)
            return
        }
        poll.answerDue = false
        move(index, to: .polling(poll))
        switch outcome {
        case .task(let task): decide(.queryAnswer, job: index, ["state": "\(task.state)"])
        case .failed(let failure): decide(.queryAnswer, job: index, ["code": failure.code])
        }
        let key = Int(jobs[index].budgetKey)
        if case .failed(let failure) = outcome, failure.isRateLimit {
            budgets[key].answered(poll.budgetNumber, refused: true, retryAfter: failure.retryAfter, now: now.elapsed)
            // Asked again as soon as the budget allows: the refusal was about pace, not the task.
            // Past the time bound it ends as timed out, as any poll does.
            if endIfPastBound(index, poll) { return }
            enqueueQuery(index)
            return
        }
        // Every answer of the API's counts toward the limit it shows (an unknown task, a busy or
        // server code, a gateway's error page): only a query that never reached it does not.
        if case .failed(let failure) = outcome, failure.isConnectionFailure {
        } else {
            budgets[key].answered(poll.budgetNumber, refused: false, retryAfter: nil, now: now.elapsed)
        }
        switch outcome {
        case .task(let task) where task.state.isFinished:
            // A lost "finished" costs one more query on resume, never a result or a bill.
            write([.finished(key: plan.jobs[index].key, task: task, at: now.timestamp)])
            if task.state == .succeeded, !poll.immediately { learnTime(index, poll) }
            pollEnded(index, .finished(task))
        case .task:
            poll.notFound = nil
            poll.previousQuery = poll.sentAt
            if poll.scout >= 0 {
                scoutsNotYet[plan.jobs[index].endpoint, default: LastDurations()].record(poll.sentAt - poll.started)
            }
            if poll.queryAgain {
                poll.queryAgain = false
                move(index, to: .polling(poll))
                enqueueQuery(index)
            } else {
                // A callback whose task is still running was stale or forged: the next one counts.
                poll.hintedAt = nil
                move(index, to: .polling(poll))
                schedulePoll(index)
            }
        case .failed(let failure) where failure.isNotFound:
            // Not found: ask again for a while (at least three times) before giving a billed task
            // up; it is then lost, never resubmitted by itself.
            let seen = (count: (poll.notFound?.count ?? 0) + 1, since: poll.notFound?.since ?? now.elapsed)
            poll.notFound = seen
            move(index, to: .polling(poll))
            if seen.count >= 3 && now.elapsed - seen.since >= options.notFoundWindow {
                var lost = failure
                lost.message +=
                    " (asked \(seen.count) times over \(Int((now.elapsed - seen.since).components.seconds)) s)"
                pollEnded(index, .lost(lost))
            } else {
                schedulePoll(index)
            }
        case .failed(let failure):
            poll.notFound = nil
            move(index, to: .polling(poll))
            switch failure.errorClass {
            case .fatal: pollEnded(index, .fatal(failure))
            case .final: pollEnded(index, .lost(failure))
            default: schedulePoll(index)
            }
        }
    }

    /// How soon after a callback its confirming query must go for the callback's moment to be
    /// taken as the task's end.
    static let promptConfirmation: Duration = .milliseconds(250)

    /// Learns a succeeded task's time: when its callback came, if the query that confirmed it went
    /// at once (a callback is not trusted beyond "ask now": a forged one that came while the task
    /// ran, its confirming query held back by the budget until the task really ended, would say
    /// the task took 50 ms); else halfway between the last two
    /// queries (the time seen finished is late by up to a whole gap, and would push every later
    /// query late); else, found on its first query, 1% before that query (it ended no later, and
    /// only an estimate below the last one lets the plan move earlier: tasks of one length are
    /// then asked within a few percent of it); while fewer than 64 are known, 10% before, or
    /// halfway from the latest moment a scout of its model was seen running if that is later (the
    /// tasks a scout's find sent to ask at once are then timed within the scouts' step, not at
    /// its lower end, and the next wave is not asked well before its tasks can end). While a model
    /// has fewer than 8 known times, the other tasks of its model are asked again by the new
    /// ones, so the tasks sent with the scout are fetched together with it.
    mutating func learnTime(_ index: Int, _ poll: PollState) {
        let endpoint = plan.jobs[index].endpoint
        let known = durations[endpoint]?.count ?? 0
        let took: Duration
        // A callback confirmed late is timed as if it had not come, by the queries.
        if let hinted = poll.hintedAt, poll.sentAt - hinted <= Self.promptConfirmation {
            took = hinted - poll.started
        } else if poll.expectsCallback, poll.hintedAt == nil {
            // Found by the safety net: its time says when the net asked, not when it ended.
            callbacks.missed += 1
            warnIfNoCallbacks()
            guard callbacks.used == 0, let previous = poll.previousQuery else { return }
            took = ((previous - poll.started) + (poll.sentAt - poll.started)) / 2
        } else if let previous = poll.previousQuery {
            took = ((previous - poll.started) + (poll.sentAt - poll.started)) / 2
        } else if known < 64 {
            // While few times are known, the queries that found them were placed by a scout's
            // coarse step: 10% before, or halfway from the latest moment a scout of its model was
            // seen still running, if later (the scouts' last "not yet").
            let sent = poll.sentAt - poll.started
            let notYet = scoutsNotYet[endpoint]?.latest(below: sent) ?? .zero
            took = max(sent * 0.9, (notYet + sent) / 2)
        } else {
            took = (poll.sentAt - poll.started) * 0.99
        }
        // A callback that came before its submit's answer says nothing of the task's time.
        guard took > .zero else { return }
        durations[endpoint, default: TaskDurations()].record(took)
        guard known < 8, !poll.expectsCallback else { return }
        for (_, other) in pollingTasks where other != index && plan.jobs[other].endpoint == endpoint {
            reschedulePoll(other)
        }
    }

    /// Moves a waiting poll's timer earlier when what is now known says its task may be done
    /// sooner (never later: a reschedule is not a step of its growing schedule).
    mutating func reschedulePoll(_ index: Int) {
        guard var poll = pollState(index), !poll.answerDue, !poll.queued, !poll.immediately, !poll.expectsCallback
        else { return }
        let growing = poll.growing
        let due = nextQueryMoment(&poll, endpoint: plan.jobs[index].endpoint)
        // A step of the growing schedule taken here is undone; a fresh start is kept.
        if poll.growing > 0 { poll.growing = growing }
        guard due < poll.due else { return }
        armTimer(index, &poll, due: due)
    }

    /// Says once that tasks are ending without their callbacks reaching the run.
    mutating func warnIfNoCallbacks() {
        guard !saidNoCallbacks, callbacks.received == 0, callbacks.missed >= 3 else { return }
        saidNoCallbacks = true
        out.append(
            .notice(
                .warning(
                    "\(callbacks.missed) tasks ended without a webhook callback reaching this run, and none has come yet: check that the service can reach the webhook URL (--listen, --webhook-url); the run goes on polling them"
                )))
    }

    /// Whether a job's submit carries this run's webhook URL: webhook mode is on and the job sets
    /// no `webhookUrl` of its own (which passes through, and the job is then polled).
    func sendsWebhook(_ index: Int) -> Bool {
        options.webhookURL != nil && !plan.jobs[index].bodyFields.contains { $0.key == "webhookUrl" }
    }

    /// How polling a task ended.
    enum PollEnd {
        case finished(TaskSnapshot)
        case timeout(elapsed: Duration)
        /// The key stopped working while polling.
        case fatal(APIFailure)
        /// The API no longer knows the task (`1004`), or answered its query with a final error.
        case lost(APIFailure)
    }

    /// Polling stopped without an end of its own (cancelled, or the journal failed).
    mutating func endPoll(_ index: Int, _ failure: JobFailure) {
        if jobs[index].holdsSlot {
            jobs[index].holdsSlot = false
            execute(scheduler.taskEnded(index, actualCost: nil, now: now.elapsed))
        }
        end(index, .cancelled, failure)
    }

    mutating func pollEnded(_ index: Int, _ end: PollEnd) {
        var cost: Money?
        var coins: Money?
        if case .finished(let task) = end {
            cost = task.cost.flatMap { Money($0) } ?? (task.state == .succeeded ? nil : .zero)
            // A task that names no coins keeps its estimate in the budget, failed or not: a failed
            // run may have been billed for its time.
            coins = task.coins.flatMap { Money($0) }
        }
        if jobs[index].holdsSlot {
            jobs[index].holdsSlot = false
            execute(scheduler.taskEnded(index, actualCost: cost, actualCoins: coins, now: now.elapsed))
        }
        switch end {
        case .finished(let task):
            taskFinished(index, task)
        case .timeout(let elapsed):
            let message = "no result after \(Int(elapsed.components.seconds)) s; the next run asks again"
            self.end(index, .timeout, JobFailure(phase: .poll, code: .timeout, message: message))
        case .fatal(let failure):
            self.end(index, .unknown, JobFailure(phase: .poll, code: .init(failure), message: failure.message))
            execute(scheduler.stopFatal(failure))
        case .lost(let failure):
            // The task may have run and been billed: it is not sent again unless --retry-failed.
            let hint =
                jobs[index].resumed ? " (the task of an earlier run is gone; --retry-failed runs the job again)" : ""
            failJob(index, JobFailure(phase: .poll, code: .init(failure), message: failure.message + hint))
        }
    }

    mutating func taskFinished(_ index: Int, _ task: TaskSnapshot) {
        jobs[index].finishedAt = .milliseconds(now.epochMilliseconds)
        if let cost = task.cost.flatMap({ Money($0) }) { jobs[index].cost = cost }
        if let coins = task.coins.flatMap({ Money($0) }) { jobs[index].coins = coins }
        switch task.state {
        case .succeeded:
            if task.results.isEmpty {
                end(
                    index, .failed,
                    JobFailure(phase: .poll, code: .noResults, message: "the task succeeded without results"))
                return
            }
            let job = plan.jobs[index]
            let isWorkflow = job.shape.value.sendsFileNames
            var pending: [Int] = []
            var perNode: [String: Int] = [:]
            for (offset, result) in task.results.enumerated() {
                // A workflow's results are named by their node, and counted per node.
                let node = isWorkflow ? result.nodeId ?? "out" : nil
                let number = node.map { node in
                    perNode[node, default: 0] += 1
                    return perNode[node]!
                }
                guard jobs[index].outputs[offset + 1] == nil else { continue }
                pending.append(offset + 1)
                let expecting = isWorkflow ? Self.kind(of: result) : job.output
                let fileExtension = Self.fileExtension(result, kind: expecting)
                let path = job.outputPath(index: number ?? offset + 1, fileExtension: fileExtension, node: node)
                downloadQueue.append(
                    DownloadWork(
                        job: index, index: offset + 1, url: result.url, path: path, fileExtension: fileExtension,
                        expecting: expecting, node: node, sidecar: sidecar(index, resultIndex: offset + 1, node: node),
                        clearLeftovers: jobs[index].resumed
                    ))
            }
            if pending.isEmpty {
                end(index, .succeeded)
            } else {
                move(index, to: .downloading(.init(pending: pending)))
            }
            pumpDownloads()
        case .cancelled:
            let code = task.errorCode.map(JobFailure.Code.init(rawValue:)) ?? .cancelled
            end(
                index, .cancelled,
                JobFailure(phase: .poll, code: code, message: task.errorMessage ?? "the task was cancelled"))
        default:
            jobs[index].cost = jobs[index].cost ?? .zero
            let code = task.errorCode.map(JobFailure.Code.init(rawValue:)) ?? .failed
            end(index, .failed, JobFailure(phase: .poll, code: code, message: task.errorMessage ?? "the task failed"))
        }
    }

    // MARK: Downloads

    mutating func pumpDownloads() {
        while downloadsActive < options.downloadConcurrency, downloadHead < downloadQueue.count, !cancelledAll {
            let work = downloadQueue[downloadHead]
            downloadHead += 1
            downloadsActive += 1
            decide(.downloadStart, job: work.job, ["index": String(work.index), "path": work.path])
            out.append(.download(work))
        }
        if downloadHead == downloadQueue.count, downloadHead > 0 {
            downloadQueue.removeAll(keepingCapacity: true)
            downloadHead = 0
        } else if downloadHead > 1024 && downloadHead * 2 > downloadQueue.count {
            // A queue that never quite empties (a million results arriving as fast as they are
            // fetched) drops what it has handed out, rather than keeping every job's work.
            downloadQueue.removeFirst(downloadHead)
            downloadHead = 0
        }
    }

    mutating func downloaded(_ work: DownloadWork, _ result: Result<SavedResult, DownloadError>) {
        guard case .downloading(let downloading) = jobs[work.job].phase, downloading.pending.contains(work.index),
            downloadRetries[Self.resultID(job: work.job, index: work.index)] == nil
        else {
            stray("a download's end", job: work.job)
            return
        }
        switch result {
        case .success(let saved):
            // Written with the next sync: if it is lost, the next run downloads the file again.
            write([
                .downloaded(
                    key: plan.jobs[work.job].key, index: work.index, record: saved.record, mtime: saved.mtime,
                    at: now.timestamp)
            ])
            downloadEnded(work.job, work.index, .success(saved.record))
        case .failure(let error):
            if error.isRetryable, work.attempt < max(1, options.downloadAttempts), !cancelledAll {
                var next = work
                next.attempt += 1
                downloadRetries[Self.resultID(job: work.job, index: work.index)] = next
                decide(
                    .downloadRetry, job: work.job,
                    ["index": String(work.index), "attempt": String(next.attempt), "reason": "\(error.reason)"])
                out.append(
                    .wait(
                        until: now.elapsed + .milliseconds(500 * (1 << min(work.attempt - 1, 5))),
                        .downloadRetry(job: work.job, index: work.index)
                    ))
                return
            }
            let code: JobFailure.Code
            switch error.reason {
            case .expired: code = .expired
            case .wrongKind: code = .mismatch(error.expected ?? work.expecting)
            case .refusedTarget: code = .refusedTarget
            case .tooLarge: code = .tooLarge
            default: code = .download
            }
            let hint =
                error.reason == .expired
                ? " (the result URL has expired, also after asking the task again; the task is not run again, --retry-failed asks it once more)"
                : ""
            downloadEnded(
                work.job, work.index, .failure(JobFailure(phase: .download, code: code, message: error.message + hint)))
        }
    }

    mutating func downloadEnded(_ index: Int, _ resultIndex: Int, _ result: Result<OutputRecord, JobFailure>) {
        guard case .downloading(var downloading) = jobs[index].phase else { return }
        downloadsActive -= 1
        downloading.pending.removeAll { $0 == resultIndex }
        switch result {
        case .success(let record):
            jobs[index].outputs[resultIndex] = record
            decide(.downloadEnd, job: index, ["index": String(resultIndex), "bytes": String(record.bytes)])
        case .failure(let failure):
            downloading.failure = failure
            decide(.downloadEnd, job: index, ["index": String(resultIndex), "code": failure.code.rawValue])
        }
        if !downloading.pending.isEmpty {
            move(index, to: .downloading(downloading))
        } else if let failure = downloading.failure, failure.code == .expired, !jobs[index].askedForFreshURLs,
            let taskId = jobs[index].taskId, !cancelledAll
        {
            // A 403/404 from the file host: ask the task for fresh URLs once before giving the
            // files up as expired; the task is never run (and paid for) again.
            jobs[index].askedForFreshURLs = true
            startPoll(index, taskId: taskId, holdsSlot: false, immediately: true)
        } else if let failure = downloading.failure {
            if Self.notRetriedDownloadCodes.contains(failure.code) {
                // Fetching again cannot help: recorded, so only --retry-failed runs it again.
                failJob(index, failure)
            } else {
                // The task succeeded; the next run asks it for its results again.
                end(index, .failed, failure)
            }
        } else {
            end(index, .succeeded)
        }
        pumpDownloads()
    }

    /// Marks a job failed and journals it, so the next run leaves it alone unless --retry-failed.
    mutating func failJob(_ index: Int, _ failure: JobFailure) {
        end(index, .failed, failure)
        write([.failed(key: plan.jobs[index].key, failure: failure, at: now.timestamp)])
    }

    /// Download failures that asking the task again would not mend by itself: an expired URL, a
    /// body of another kind than the model makes, a refused target, a file over the cap.
    static let notRetriedDownloadCodes: Set<JobFailure.Code> = Set(
        [.expired, .refusedTarget, .tooLarge] + OutputKind.allCases.map(JobFailure.Code.mismatch))

    /// What a workflow's result is, by the type the API gives (a workflow may make images,
    /// videos, audio or text); an image when it gives none.
    static func kind(of result: TaskResult) -> OutputKind {
        if result.url.hasPrefix("data:") { return .text }
        if let type = result.outputType, let format = MediaFormat(acceptName: type) { return format.kind }
        let path = result.url.split(separator: "?").first.map(String.init) ?? result.url
        if let dot = path.lastIndex(of: "."),
            let format = MediaFormat(acceptName: String(path[path.index(after: dot)...]))
        {
            return format.kind
        }
        return .image
    }

    /// Codes that say a workflow or app itself cannot run: unknown (380, 901), never run on the
    /// web (810).
    static let workflowUnavailableCodes: Set<String> = ["380", "810", "901"]

    static func fileExtension(_ result: TaskResult, kind: OutputKind = .image) -> String {
        if let type = result.outputType, let format = MediaFormat(acceptName: type) { return format.fileExtension }
        if !result.url.hasPrefix("data:") {
            let path = result.url.split(separator: "?").first.map(String.init) ?? result.url
            if let dot = path.lastIndex(of: "."),
                let format = MediaFormat(acceptName: String(path[path.index(after: dot)...]))
            {
                return format.fileExtension
            }
        }
        return kind.defaultExtension
    }

    /// A result's sidecar before its file is known.
    func sidecar(_ index: Int, resultIndex: Int, node: String? = nil) -> SidecarDraft {
        let run = jobs[index]
        var members = JobDescription.members(plan.jobs[index], urls: run.inputURLs)
        members.append(("index", .integer(resultIndex)))
        if let node { members.append(("node", .string(node))) }
        members.append(("taskId", run.taskId.map(JSONValue.string) ?? .null))
        members.append(
            (
                "cost",
                .object([
                    ("amount", .string(run.cost(estimate: plan.moneyEstimate(index)).description)),
                    ("currency", .string(plan.moneyCurrency)),
                ])
            ))
        members.append(("submittedAt", run.submittedAt.map { .string($0.text) } ?? .null))
        members.append(("finishedAt", .string(run.finishedAt?.text ?? now.timestamp)))
        members.append(
            (
                "durationSeconds",
                JobDescription.duration(run.submittedAt, run.finishedAt ?? .milliseconds(now.epochMilliseconds)).map(
                    JSONValue.number) ?? .null
            ))
        members.append(("simulated", .boolean(options.simulated)))
        return SidecarDraft(members: members)
    }
}
