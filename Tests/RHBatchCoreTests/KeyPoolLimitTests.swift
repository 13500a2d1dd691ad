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
            if gated && !open { await withCheckedContinuation { gate = $0 } }
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

    /// While one key's queue status is slow, the other's answer is not taken alone: a key whose
    /// limit is known beside one whose limit is not (counted as free) would draw every submit to
    /// the unknown one. Until both have answered, submits go to both keys in turn.
    @Test(.timeLimit(.minutes(1))) func limitsAreTakenTogetherOnceEveryKeyHasAnswered() async throws {
        let (events, continuation) = AsyncStream.makeStream(of: String.self)
        let quick = Key(gated: false, events: continuation)
        let gated = Key(gated: true, events: continuation)
        let pool = KeyPool([
            .init(name: "quick", key: "key-quick", service: quick),
            .init(name: "gated", key: "key-gated", service: gated),
        ])
        let status = Task { try await pool.queueStatus() }
        // The quick key has answered and the gated one has been asked.
        var seen: Set<String> = []
        for await event in events {
            seen.insert(event)
            if seen.isSuperset(of: ["quick answered", "gated asked"]) { break }
        }
        var accepted = 0
        for _ in 0..<4 {
            if case .accepted = try await pool.submit(endpoint: "e", body: []) { accepted += 1 }
        }
        #expect(accepted == 4)
        let split = (await quick.submits, await gated.submits)
        #expect(split == (2, 2), "both keys take submits while the limits are unknown")
        await gated.openGate()
        let total = try await status.value
        #expect(total.concurrencyLimit == 16)
        continuation.finish()
    }
}
