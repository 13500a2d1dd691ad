import Foundation
import RHBatchCore
import RunningHubSimulator
import Testing

/// Ctrl-C on the real binary, as a user would press it.
@Suite("Ctrl-C", .serialized, .timeLimit(.minutes(2)))
struct InterruptTests {
    static let jobs = 24

    func manifest(in folder: TempFolder) throws -> String {
        try folder.write("room.png", Data(PNGEncoder.solid(width: 6, height: 4, color: (5, 6, 7))))
        let prompts = (1...Self.jobs).map { "'Style number \($0).'" }.joined(separator: ", ")
        return try folder.write(
            "m.yaml",
            "version: 1\nname: ctrlc\noutput: out\nconcurrency: 2\nmatrix:\n  prompt: [\(prompts)]\n  image: room.png\n  model: grok-imagine\n"
        )
    }

    func start(_ arguments: [String]) throws -> (Process, OutputCollector) {
        let process = Process()
        // Under `nice` (which execs it: Ctrl-C goes to the runner's own pid): on a loaded machine
        // the waiter that presses Ctrl-C must not be starved until the run is over.
        process.executableURL = URL(fileURLWithPath: "/usr/bin/nice")
        process.arguments = ["-n", "10", CLI.executable] + arguments
        let out = Pipe()
        process.standardOutput = out
        process.standardError = out
        let collector = OutputCollector(out)
        try process.run()
        return (process, collector)
    }

    /// Result images written so far (each is renamed into place whole).
    static func results(in folder: String) -> Int {
        RunHarness.files(folder + "/out").filter { $0.hasSuffix(".png") && !$0.hasPrefix("inputs/") }.count
    }

    /// `submitted` records in the journal so far.
    static func submitted(in folder: String) -> Int {
        let text = (try? String(contentsOfFile: folder + "/out/journal.jsonl", encoding: .utf8)) ?? ""
        return text.components(separatedBy: "\"event\":\"submitted\"").count - 1
    }

    @Test func firstCtrlCDrainsAndExits130WithAReport() async throws {
        let folder = try TempFolder()
        let manifest = try manifest(in: folder)
        let (process, out) = try start([
            "run", manifest, "--simulate", "--sim-latency", "0.8:1.2", "--poll-interval", "0.1:0.2",
        ])
        // Press Ctrl-C once a first result is on disk: 24 jobs two at a time leave most to do.
        // Pressed on the waiting thread itself, at the moment, whatever the other tests hold.
        let pid = process.processIdentifier
        let path = folder.path
        try await waitUntil("a first result", in: path, then: { kill(pid, SIGINT) }, { Self.results(in: path) > 0 })
        let output = try await out.waitForEnd()
        await process.exited()
        #expect(process.terminationStatus == 130, "\(output)")
        #expect(output.contains("interrupted: no new submits"))
        let report = try RunHarness.json(folder.path + "/out/report.json")
        #expect(report["exitCode"] as? Int == 130)
        let totals = try #require(report["totals"] as? [String: Any])
        let succeeded = totals["succeeded"] as? Int ?? -1
        let cancelled = totals["cancelled"] as? Int ?? -1
        #expect(succeeded > 0 && cancelled > 0 && succeeded + cancelled == Self.jobs, "\(totals)")
        // Drained: nothing was left running, and the journal reads cleanly.
        let journal = try Journal.read(folder: folder.path + "/out")
        #expect(journal.warnings.isEmpty)
        #expect(journal.state.entries.values.allSatisfy { $0.stage == .succeeded && $0.isComplete })
        #expect(journal.state.entries.count == succeeded)

        // The next run does only what is left.
        let rerun = try CLI.run([
            "run", manifest, "--simulate", "--sim-latency", "0.05:0.1", "--poll-interval", "0.05:0.1",
        ])
        #expect(rerun.status == 0, "\(rerun.stdout)\(rerun.stderr)")
        #expect(rerun.stdout.contains("\(Self.jobs - succeeded) succeeded, \(succeeded) already done"))
    }

    @Test func secondCtrlCStopsAtOnce() async throws {
        let folder = try TempFolder()
        let manifest = try manifest(in: folder)
        let (process, out) = try start([
            "run", manifest, "--simulate", "--sim-latency", "20:30", "--poll-interval", "0.1:0.2",
        ])
        // Both tasks the concurrency allows are in flight (their submits journaled) before Ctrl-C.
        let pid = process.processIdentifier
        let path = folder.path
        try await waitUntil(
            "two submitted tasks", in: path, then: { kill(pid, SIGINT) }, { Self.submitted(in: path) >= 2 })
        try await out.waitFor("interrupted: no new submits")
        process.interrupt()
        let output = try await out.waitForEnd()
        await process.exited()
        #expect(process.terminationStatus == 130, "\(output)")
        let report = try RunHarness.json(folder.path + "/out/report.json")
        #expect(report["exitCode"] as? Int == 130)
        // The two tasks in flight (20–30 s each) stay in the journal, unfinished, for the next run
        // to pick up: the run stopped without waiting for them.
        let journal = try Journal.read(folder: folder.path + "/out")
        #expect(journal.state.entries.values.filter { $0.stage == .submitted }.count == 2)
    }
}
