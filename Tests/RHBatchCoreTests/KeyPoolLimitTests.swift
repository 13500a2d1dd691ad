import RHBatchCore
import RunningHubModel
import Testing

/// The limits a key pool reads from the API's queue status, against submits that run meanwhile.
@Suite("key pool limits")
struct KeyPoolLimitTests {
    /// One key's service: submits are accepted and counted; its queue status answers when the
    /// test opens its gate, and says when it was asked and when it answered.
    actor Key: RunningHubService {
        var submits = 0
        let gated: Bool
        let events: AsyncStream<String>.Continuation
        private var gate: CheckedContinuation<Void, Never>?
        private var open = false

        init(gated: Bool, events: AsyncStream<String>.Continuation) {
            self.gated = gated
            self.events = events
        }

        func submit(endpoint: String, body: [UInt8]) async throws(CancellationError) -> SubmitOutcome {
            submits += 1
            return .accepted(TaskSnapshot(taskId: "\(ObjectIdentifier(self).hashValue)-\(submits)", state: .queued))
        }

        func queueStatus() async throws -> QueueStatus {
            events.yield(gated ? "gated asked" : "quick asked")
            if gated && !open {
                // Cancelling the caller opens the gate (as a cancelled request ends), and the
                // status is then an error.
                await withTaskCancellationHandler {
                    await withCheckedContinuation { continuation in
                        if open { continuation.resume() } else { gate = continuation }
                    }
                } onCancel: {
                    Task { await self.openGate() }
                }
                try Task.checkCancellation()
            }
            events.yield(gated ? "gated answered" : "quick answered")
            return QueueStatus(keyType: "SHARED", concurrencyLimit: 8, running: 0, queued: 0)
        }

        func openGate() {
            open = true
            gate?.resume()
            gate = nil
        }

        nonisolated func upload(bytes: [UInt8], fileName: String, contentType: String) async throws -> UploadedFile {
            UploadedFile(url: "https://files.example.com/" + fileName, fileName: fileName)
        }

        nonisolated func query(taskId: String) async throws(CancellationError) -> QueryOutcome {
            .task(TaskSnapshot(taskId: taskId, state: .running))
        }

        nonisolated func download(url: String, to destination: String, durable: Bool, expecting: OutputKind)
            async throws -> DownloadedFile
        {
            DownloadedFile(path: destination, bytes: 0, sha256: "00", format: "png")
        }
    }

    /// A pool of a quick key and a gated one, its queue status asked, once the quick key has
    /// answered and the gated one has been asked.
    func poolAskedForStatus() async -> (KeyPool, quick: Key, gated: Key, Task<QueueStatus, any Error>) {
        let (events, continuation) = AsyncStream.makeStream(of: String.self)
        let quick = Key(gated: false, events: continuation)
        let gated = Key(gated: true, events: continuation)
        let pool = KeyPool([
            .init(name: "quick", key: "key-quick", service: quick),
            .init(name: "gated", key: "key-gated", service: gated),
        ])
        let status = Task { try await pool.queueStatus() }
        var seen: Set<String> = []
        for await event in events {
            seen.insert(event)
            if seen.isSuperset(of: ["quick answered", "gated asked"]) { break }
        }
        return (pool, quick, gated, status)
    }

    /// Four submits; how many each key took.
    func submitFour(_ pool: KeyPool, _ quick: Key, _ gated: Key) async throws -> (Int, Int) {
        var accepted = 0
        for _ in 0..<4 {
            if case .accepted = try await pool.submit(endpoint: "e", body: []) { accepted += 1 }
        }
        #expect(accepted == 4)
        return (await quick.submits, await gated.submits)
    }

    /// While one key's queue status is slow, the other's answer is not taken alone: a key whose
    /// limit is known beside one whose limit is not (counted as free) would draw every submit to
    /// the unknown one. Until both have answered, submits go to both keys in turn.
    @Test(.timeLimit(.minutes(1))) func limitsAreTakenTogetherOnceEveryKeyHasAnswered() async throws {
        let (pool, quick, gated, status) = await poolAskedForStatus()
        let split = try await submitFour(pool, quick, gated)
        #expect(split == (2, 2), "both keys take submits while the limits are unknown")
        await gated.openGate()
        let total = try await status.value
        #expect(total.concurrencyLimit == 16)
        #expect(await pool.keyUsage().map(\.limit) == [8, 8])
    }

    /// The run waits at most 5 s for the status, then cancels it: a key that answered by then is
    /// not taken alone (the limits are learnt from refusals), so submits still go to both keys.
    /// Before, a slow answer of one key drew every submit to it, and the other key (in a test,
    /// the one with no balance) was never tried.
    @Test(.timeLimit(.minutes(1))) func noLimitIsTakenWhenAKeyHasNotAnswered() async throws {
        let (pool, quick, gated, status) = await poolAskedForStatus()
        status.cancel()
        let answer = await status.result
        #expect(throws: APIFailure.self) { try answer.get() }
        #expect(await pool.keyUsage().map(\.limit) == [nil, nil])
        let split = try await submitFour(pool, quick, gated)
        #expect(split == (2, 2), "both keys take submits while the limits are unknown")
    }
}
