import ArgumentParser
import Testing

@testable import rh_batch

/// `--shard auto`: the index, and the count where the engine gives it, from each array-job engine.
@Suite("shard environment")
struct ShardEnvironmentTests {
    static func parse(_ text: String, _ environment: [String: String]) throws -> (index: Int, count: Int) {
        try ShardEnvironment.parse(text) { environment[$0] }
    }

    static func message(_ text: String, _ environment: [String: String]) -> String {
        do {
            _ = try parse(text, environment)
            return "no error"
        } catch {
            return "\(error)"
        }
    }

    @Test(arguments: [
        (["JOB_COMPLETION_INDEX": "2"], 2),
        (["SLURM_ARRAY_TASK_ID": "3", "SLURM_ARRAY_TASK_MIN": "1"], 2),
        (["SLURM_ARRAY_TASK_ID": "2"], 2),
        (["AWS_BATCH_JOB_ARRAY_INDEX": "2"], 2),
        (["CLOUD_RUN_TASK_INDEX": "2"], 2),
        (["BATCH_TASK_INDEX": "2"], 2),
        (["PBS_ARRAY_INDEX": "2"], 2),
        (["SGE_TASK_ID": "3"], 2),
        (["SGE_TASK_ID": "7", "SGE_TASK_FIRST": "5"], 2),
        (["SGE_TASK_ID": "5", "SGE_TASK_FIRST": "1", "SGE_TASK_STEPSIZE": "2"], 2),
    ])
    func eachEngineGivesTheIndex(environment: [String: String], index: Int) throws {
        let shard = try Self.parse("auto/4", environment)
        #expect(shard.index == index && shard.count == 4)
    }

    @Test(arguments: [
        (["SLURM_ARRAY_TASK_ID": "1", "SLURM_ARRAY_TASK_COUNT": "6"], 1, 6),
        (["CLOUD_RUN_TASK_INDEX": "0", "CLOUD_RUN_TASK_COUNT": "3"], 0, 3),
        (["BATCH_TASK_INDEX": "4", "BATCH_TASK_COUNT": "5"], 4, 5),
        (["SGE_TASK_ID": "2", "SGE_TASK_FIRST": "1", "SGE_TASK_LAST": "8"], 1, 8),
    ])
    func autoAloneTakesTheCountFromTheEngine(environment: [String: String], index: Int, count: Int) throws {
        let shard = try Self.parse("auto", environment)
        #expect(shard.index == index && shard.count == count)
        // With /N as well, the two must agree.
        #expect(try Self.parse("auto/\(count)", environment).count == count)
        #expect(Self.message("auto/\(count + 1)", environment).contains("says there are \(count) shards"))
    }

    @Test func errorsNameTheVariables() {
        let none = Self.message("auto/4", [:])
        for name in ["JOB_COMPLETION_INDEX", "SLURM_ARRAY_TASK_ID", "CLOUD_RUN_TASK_INDEX", "SGE_TASK_ID"] {
            #expect(none.contains(name), "\(none)")
        }
        let disagree = Self.message("auto/4", ["JOB_COMPLETION_INDEX": "1", "PBS_ARRAY_INDEX": "2"])
        #expect(disagree.contains("JOB_COMPLETION_INDEX says shard 1") && disagree.contains("PBS_ARRAY_INDEX says 2"))
        let counts = Self.message(
            "auto",
            [
                "SLURM_ARRAY_TASK_ID": "0", "SLURM_ARRAY_TASK_COUNT": "4", "BATCH_TASK_INDEX": "0",
                "BATCH_TASK_COUNT": "5",
            ])
        #expect(counts.contains("SLURM_ARRAY_TASK_COUNT says 4 shards") && counts.contains("BATCH_TASK_COUNT says 5"))
        #expect(Self.message("auto", ["JOB_COMPLETION_INDEX": "1"]).contains("write auto/N"))
        #expect(Self.message("auto/4", ["JOB_COMPLETION_INDEX": "x"]).contains("JOB_COMPLETION_INDEX=x"))
        #expect(Self.message("auto/4", ["JOB_COMPLETION_INDEX": "4"]).contains("0 <= I < N"))
        #expect(Self.message("5/4", [:]).contains("0 <= I < N"))
        #expect(Self.message("1", [:]).contains("I/N"))
        #expect(Self.message("a/b/c", [:]).contains("I/N"))
    }

    @Test func byHandStaysAsItWas() throws {
        let shard = try Self.parse("3/4", ["JOB_COMPLETION_INDEX": "1"])
        #expect(shard.index == 3 && shard.count == 4)
    }
}
