import Foundation

/// Which shard an output folder holds (`.rh-batch/shard`, `I/N`), so that a folder is never run
/// as another shard: a Slurm array task submitted again on its own (`sbatch --array=1`) is an
/// array of one, whose count and first index are not the batch's, and `--shard auto` would read
/// `0/1` there and run every other shard's jobs, billing them twice.
package enum ShardMarker {
    /// The marker's path in an output folder.
    package static func path(in folder: String) -> String { folder + "/.rh-batch/shard" }

    /// Checks a run's shard against the folder's, and records it the first time; a message when
    /// the run must not go on.
    package static func claim(folder: String, shard: (index: Int, count: Int)?) -> String? {
        let file = path(in: folder)
        let recorded = (try? String(contentsOfFile: file, encoding: .utf8))?.trimmingCharacters(
            in: .whitespacesAndNewlines)
        let wanted = shard.map { "\($0.index)/\($0.count)" }
        switch (recorded, wanted) {
        case (nil, nil):
            return nil
        case (let held?, nil):
            return
                "\(folder) holds shard \(held) of its batch; this run is not sharded and would run the other shards' jobs too: run it with --shard \(held), or give it a folder of its own"
        case (let held?, let asked?) where held != asked:
            return
                "\(folder) holds shard \(held) of its batch; this run is shard \(asked) (an array task submitted again on its own reads another count and index) and would run other shards' jobs, billing them twice: run it with --shard \(held)"
        case (.some, .some):
            return nil
        case (nil, let asked?):
            do {
                try FileManager.default.createDirectory(
                    atPath: folder + "/.rh-batch", withIntermediateDirectories: true)
                try AtomicFile.write(Array((asked + "\n").utf8), to: file, durable: true)
            } catch {
                return "cannot record the shard in \(folder): \(error)"
            }
            return nil
        }
    }
}

/// The currency an output folder's tasks were billed in (`.rh-batch/currency`), as the account
/// said it when a run read it: `rh-batch status` labels the journal's bills with it, and a resumed
/// run whose `accountStatus` read fails keeps it, so USD bills are never shown as CNY.
package enum FolderCurrency {
    /// The file's path in an output folder.
    package static func path(in folder: String) -> String { folder + "/.rh-batch/currency" }

    /// The recorded currency, when a run recorded one.
    package static func read(_ folder: String) -> String? {
        guard let text = try? String(contentsOfFile: path(in: folder), encoding: .utf8) else { return nil }
        let code = text.trimmingCharacters(in: .whitespacesAndNewlines)
        return code.isEmpty ? nil : code
    }

    /// Records the account's currency (quietly: a folder that cannot take it only loses the label).
    package static func write(_ code: String, in folder: String) {
        guard read(folder) != code else { return }
        try? FileManager.default.createDirectory(atPath: folder + "/.rh-batch", withIntermediateDirectories: true)
        try? AtomicFile.write(Array((code + "\n").utf8), to: path(in: folder), durable: true)
    }
}
