import Foundation

/// Which shard an output folder holds (`.rh-batch/shard`, `I/N`), so that a folder is never run
/// as another shard: a Slurm array task submitted again on its own (`sbatch --array=1`) is an
/// array of one, whose count and first index are not the batch's, and `--shard auto` would read
/// `0/1` there and run every other shard's jobs, billing them twice.
package enum ShardMarker {
    /// Checks a run's shard against the folder's, and records it the first time; a message when
    /// the run must not go on.
    package static func claim(folder: String, shard: (index: Int, count: Int)?) -> String? {
        let recorded = FolderNote.read("shard", in: folder)
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
                try FolderNote.write(asked, name: "shard", in: folder)
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
    /// The recorded currency, when a run recorded one.
    package static func read(_ folder: String) -> String? {
        FolderNote.read("currency", in: folder)
    }

    /// Records the account's currency (quietly: a folder that cannot take it only loses the label).
    package static func write(_ code: String, in folder: String) {
        guard read(folder) != code else { return }
        try? FolderNote.write(code, name: "currency", in: folder)
    }
}

/// A one-line fact an output folder keeps about itself in `.rh-batch/NAME`.
enum FolderNote {
    /// Every note's name, for the run that clears a killed run's temporary files.
    static let names = ["shard", "currency"]

    /// The fact, when recorded.
    static func read(_ name: String, in folder: String) -> String? {
        guard let text = try? String(contentsOfFile: folder + "/.rh-batch/" + name, encoding: .utf8) else { return nil }
        let line = text.trimmingCharacters(in: .whitespacesAndNewlines)
        return line.isEmpty ? nil : line
    }

    /// Records the fact, the file written whole or not at all.
    static func write(_ line: String, name: String, in folder: String) throws {
        try FileManager.default.createDirectory(atPath: folder + "/.rh-batch", withIntermediateDirectories: true)
        try AtomicFile.write(Array((line + "\n").utf8), to: folder + "/.rh-batch/" + name, durable: true)
    }
}
