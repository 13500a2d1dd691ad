import Foundation
import RHBatchCore
import RunningHubSimulator
import Testing

/// Ctrl-C on the real binary, as a user would press it.
@Suite("Ctrl-C", .serialized, .timeLimit(.minutes(2)))
struct InterruptTests {
    func manifest(in folder: TempFolder) throws -> String {
        try folder.write("room.png", Data(PNGEncoder.solid(width: 6, height: 4, color: (5, 6, 7))))
        let prompts = (1...12).map { "'Style number \($0).'" }.joined(separator: ", ")
        return try folder.write(
            "m.yaml",
            "version: 1\nname: ctrlc\noutput: out\nconcurrency: 3\nmatrix:\n  prompt: [\(prompts)]\n  image: room.png\n  model: grok-imagine\n"
        )
    }

    func start(_ arguments: [String]) throws -> (Process, Pipe) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: CLI.executable)
        process.arguments = arguments
        let out = Pipe()
        process.standardOutput = out
        process.standardError = out
        try process.run()
        return (process, out)
    }

    @Test func firstCtrlCDrainsAndExits130WithAReport() async throws {
        let folder = try TempFolder()
        let manifest = try manifest(in: folder)
        let (process, out) = try start(["run", manifest, "--simulate", "--sim-latency", "0.8:1.2", "--poll-interval", "0.1:0.2"])
        try await Task.sleep(for: .milliseconds(1500))
        process.interrupt()
        let output = String(decoding: out.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        #expect(process.terminationStatus == 130, "\(output)")
        #expect(output.contains("interrupted: no new submits"))
        let report = try RunHarness.json(folder.path + "/out/report.json")
        #expect(report["exitCode"] as? Int == 130)
        let totals = try #require(report["totals"] as? [String: Any])
        let succeeded = totals["succeeded"] as? Int ?? -1
        let cancelled = totals["cancelled"] as? Int ?? -1
        #expect(succeeded > 0 && cancelled > 0 && succeeded + cancelled == 12, "\(totals)")
        // Drained: nothing was left running, and the journal reads cleanly.
        let journal = try Journal.read(folder: folder.path + "/out")
        #expect(journal.warnings.isEmpty)
        #expect(journal.state.entries.values.allSatisfy { $0.stage == .succeeded && $0.isComplete })
        #expect(journal.state.entries.count == succeeded)

        // The next run does only what is left.
        let rerun = try CLI.run(["run", manifest, "--simulate", "--sim-latency", "0.05:0.1", "--poll-interval", "0.05:0.1"])
        #expect(rerun.status == 0, "\(rerun.stdout)\(rerun.stderr)")
        #expect(rerun.stdout.contains("\(12 - succeeded) succeeded, \(succeeded) already done"))
    }

    @Test func secondCtrlCStopsAtOnce() async throws {
        let folder = try TempFolder()
        let manifest = try manifest(in: folder)
        let (process, out) = try start(["run", manifest, "--simulate", "--sim-latency", "20:30", "--poll-interval", "0.1:0.2"])
        try await Task.sleep(for: .milliseconds(1500))
        let clock = ContinuousClock()
        let start = clock.now
        process.interrupt()
        try await Task.sleep(for: .milliseconds(300))
        process.interrupt()
        let output = String(decoding: out.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        #expect(clock.now - start < .seconds(10))
        #expect(process.terminationStatus == 130, "\(output)")
        let report = try RunHarness.json(folder.path + "/out/report.json")
        #expect(report["exitCode"] as? Int == 130)
        // The three tasks in flight stay in the journal for the next run to pick up.
        let journal = try Journal.read(folder: folder.path + "/out")
        #expect(journal.state.entries.values.filter { $0.stage == .submitted }.count == 3)
    }
}
