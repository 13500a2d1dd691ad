import ArgumentParser
import Foundation

/// Where `--shard auto` finds its shard: the array-job engines' own environment variables.
enum ShardEnvironment {
    /// One engine: its index variable, counted from `base` (or from the value of `baseVariable`
    /// when set), and its count variable when it has one.
    struct Engine {
        var name: String
        var index: String
        var base: Int = 0
        var baseVariable: String?
        var count: String?
    }

    static let engines: [Engine] = [
        Engine(name: "Kubernetes Indexed Job", index: "JOB_COMPLETION_INDEX"),
        Engine(
            name: "Slurm array", index: "SLURM_ARRAY_TASK_ID", baseVariable: "SLURM_ARRAY_TASK_MIN",
            count: "SLURM_ARRAY_TASK_COUNT"),
        Engine(name: "AWS Batch array", index: "AWS_BATCH_JOB_ARRAY_INDEX"),
        Engine(name: "Cloud Run job", index: "CLOUD_RUN_TASK_INDEX", count: "CLOUD_RUN_TASK_COUNT"),
        Engine(name: "Google Batch", index: "BATCH_TASK_INDEX", count: "BATCH_TASK_COUNT"),
        Engine(name: "PBS Pro array", index: "PBS_ARRAY_INDEX"),
        // Grid Engine counts from 1 (from SGE_TASK_FIRST when set), in steps of SGE_TASK_STEPSIZE.
        Engine(name: "Grid Engine array", index: "SGE_TASK_ID", base: 1, baseVariable: "SGE_TASK_FIRST"),
    ]

    /// `I/N`; `auto/N` with I from the engine's environment; `auto` with N from it too.
    static func parse(_ text: String, environment: (String) -> String?) throws -> (index: Int, count: Int) {
        let parts = text.split(separator: "/", omittingEmptySubsequences: false)
        let usage = "--shard must be I/N with 0 <= I < N, e.g. 0/4, auto/N or auto"
        guard parts.count <= 2, !parts.isEmpty else { throw ValidationError(usage) }
        var count: Int?
        if parts.count == 2 {
            guard let given = Int(parts[1]), given >= 1 else { throw ValidationError(usage) }
            count = given
        }
        let index: Int
        if parts[0] == "auto" {
            let found = try read(environment)
            index = found.index
            if let engineCount = found.count {
                if let count, count != engineCount {
                    throw ValidationError(
                        "--shard \(text): \(found.countVariable ?? "the engine") says there are \(engineCount) shards, not \(count)"
                    )
                }
                count = engineCount
            }
            guard count != nil else {
                throw ValidationError(
                    "--shard auto: \(found.variable) gives the index but the engine gives no count; write auto/N")
            }
        } else {
            guard let given = Int(parts[0]), count != nil else { throw ValidationError(usage) }
            index = given
        }
        guard let count, (0..<count).contains(index) else {
            throw ValidationError("--shard must be I/N with 0 <= I < N, e.g. 0/4; got \(text) (I = \(index))")
        }
        return (index, count)
    }

    /// The index (from 0) and count the environment gives, with the variables that gave them.
    static func read(_ environment: (String) -> String?) throws
        -> (index: Int, variable: String, count: Int?, countVariable: String?)
    {
        var seen: [(variable: String, index: Int)] = []
        var counts: [(variable: String, count: Int)] = []
        func number(_ name: String) throws -> Int? {
            guard let text = environment(name) else { return nil }
            guard let value = Int(text.trimmingCharacters(in: .whitespaces)) else {
                throw ValidationError("--shard auto: \(name)=\(text) is not a whole number")
            }
            return value
        }
        for engine in engines {
            guard let raw = try number(engine.index) else { continue }
            let base = try engine.baseVariable.flatMap(number) ?? engine.base
            var index = raw - base
            if engine.index == "SGE_TASK_ID" {
                let step = max(1, try number("SGE_TASK_STEPSIZE") ?? 1)
                index /= step
                if let last = try number("SGE_TASK_LAST") {
                    counts.append(("SGE_TASK_FIRST..SGE_TASK_LAST", (last - base) / step + 1))
                }
            }
            seen.append((engine.index, index))
            if let name = engine.count, let count = try number(name) { counts.append((name, count)) }
        }
        guard let first = seen.first else {
            let names = engines.map(\.index).joined(separator: ", ")
            throw ValidationError(
                "--shard auto needs the array index of an engine in the environment; looked at \(names)")
        }
        if let other = seen.first(where: { $0.index != first.index }) {
            throw ValidationError(
                "--shard auto: \(first.variable) says shard \(first.index) but \(other.variable) says \(other.index); unset the one that is not this job's"
            )
        }
        if let firstCount = counts.first, let other = counts.first(where: { $0.count != firstCount.count }) {
            throw ValidationError(
                "--shard auto: \(firstCount.variable) says \(firstCount.count) shards but \(other.variable) says \(other.count)"
            )
        }
        return (first.index, first.variable, counts.first?.count, counts.first?.variable)
    }
}
