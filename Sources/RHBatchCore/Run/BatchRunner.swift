import Logging
import RunningHubModel

#if canImport(Glibc)
import Glibc
#endif

/// Runs a plan: uploads, submits through the ``SubmitScheduler``, polls, downloads, journals, and
/// reports.
///
/// One task group carries every piece of I/O as a child task; the children report back with
/// ``RunEvent``s and only the loop in ``run(interrupts:)`` changes the run's state, so there is no
/// shared mutable state to guard.
package struct BatchRunner: Sendable {
    let plan: Plan
    let options: RunOptions
    let service: any RunningHubService
    let logger: Logger
    let console: @Sendable (String) -> Void

    /// Makes a runner.
    ///
    /// - Parameter console: receives progress lines (with `\r` redraws for live progress).
    package init(
        plan: Plan,
        options: RunOptions,
        service: any RunningHubService,
        logger: Logger,
        console: @escaping @Sendable (String) -> Void
    ) {
        self.plan = plan
        self.options = options
        self.service = service
        self.logger = logger
        self.console = console
    }

    /// The output folder this run writes.
    package var outputDirectory: String {
        options.outputDirectory ?? plan.outputDirectory
    }

    /// Runs the plan and writes the report.
    ///
    /// - Parameters:
    ///   - interrupts: one element per Ctrl-C: the first stops new submits and drains, the second
    ///     stops at once.
    ///   - prepared: the output folder, locked and read, when the caller prepared it (while the
    ///     plan was expanding); otherwise it is prepared here.
    /// - Returns: the outcome, after `report.json` and `index.jsonl` are written.
    /// - Throws: ``RunSetupError`` when the output folder cannot be used (locked, damaged journal).
    package func run(interrupts: AsyncStream<Void>, prepared: PreparedFolder? = nil) async throws(RunSetupError) -> RunOutcome {
        let startedAt = Timestamp.now()
        let folder = outputDirectory
        let ready: PreparedFolder
        if let prepared, prepared.folder == folder {
            ready = prepared
        } else {
            ready = try PreparedFolder(folder)
        }
        for warning in ready.contents.warnings { console("warning: \(warning)\n") }

        var coordinator = RunCoordinator(
            plan: plan,
            options: options,
            service: service,
            journal: ready.journal,
            folder: folder,
            history: ready.contents.state,
            logger: logger,
            console: console
        )
        await coordinator.start()
        await coordinator.verifyRecordedFiles()
        await coordinator.attachKeys()
        await coordinator.fitToAccountLimit()
        await withTaskGroup(of: RunEvent.self) { group in
            coordinator.launch(&group, interrupts: interrupts)
            if coordinator.isFinished { group.cancelAll() }
            while let event = await group.next() {
                coordinator.handle(event, &group)
                if coordinator.isFinished {
                    group.cancelAll()
                }
            }
        }
        var outcome = await coordinator.finish(startedAt: startedAt)
        outcome.state = RunState(coordinator: coordinator)
        withExtendedLifetime(ready) {}
        return outcome
    }
}

/// An output folder made, locked against other runners, and with its journal read.
package final class PreparedFolder: Sendable {
    /// The folder.
    package let folder: String
    let lock: OutputLock
    let journal: Journal
    let contents: Journal.Contents

    /// Creates the folder if needed, takes its lock, reads its journal and clears the temporary
    /// files an interrupted run left at its top.
    package init(_ folder: String) throws(RunSetupError) {
        self.folder = folder
        do {
            try FileSystem.makeDirectory(folder)
        } catch {
            throw RunSetupError(message: "cannot create the output folder \(folder): \(error)")
        }
        do {
            lock = try OutputLock(folder: folder)
        } catch {
            throw RunSetupError(message: error.message)
        }
        do {
            contents = try Journal.read(folder: folder)
            journal = try Journal(folder: folder)
        } catch {
            throw RunSetupError(message: error.description)
        }
        FileSystem.removeLeftovers(in: folder, for: ["report.json", "index.jsonl", "metadata.jsonl", "journal.jsonl"])
    }
}

/// What a finished run held: kept by the outcome so that a command exiting right after the run
/// does not spend its last moments freeing 100,000 jobs' records one by one. (The output folder's
/// lock is not part of it: it is released when the run returns.)
package final class RunState: @unchecked Sendable {
    // Never read or changed after the run: it only keeps the memory alive.
    private let coordinator: RunCoordinator

    init(coordinator: RunCoordinator) {
        self.coordinator = coordinator
    }
}

/// The result of a run.
package struct RunOutcome: Sendable {
    /// The process exit code (0, 1, 2 or 130).
    package var exitCode: Int32
    /// The human summary.
    package var summary: String
    /// Jobs per final status.
    package var totals: RunTotals
    /// The run's state, kept alive as long as the outcome is.
    package var state: RunState?
}

/// The output folder cannot be used.
package struct RunSetupError: Error, Sendable, CustomStringConvertible {
    /// What to tell the user.
    package var message: String

    package var description: String { message }
}

/// Small file-system helpers for the runner.
package enum FileSystem {
    /// Creates a folder and its parents.
    package static func makeDirectory(_ path: String) throws(AtomicFile.Failure) {
        var current = path.hasPrefix("/") ? "" : "."
        for part in path.split(separator: "/") {
            current += "/" + part
            if mkdir(current, 0o755) != 0 && errno != EEXIST {
                throw AtomicFile.Failure(description: "cannot create \(current): \(String(cString: strerror(errno)))")
            }
        }
    }

    /// The names in a folder (without `.` and `..`), or `nil` when it cannot be read.
    package static func names(in folder: String) -> [String]? {
        guard let directory = opendir(folder) else { return nil }
        defer { closedir(directory) }
        var names: [String] = []
        while let entry = readdir(directory) {
            let name = withUnsafeBytes(of: entry.pointee.d_name) { raw in
                String(decoding: raw.prefix { $0 != 0 }, as: UTF8.self)
            }
            if name != "." && name != ".." { names.append(name) }
        }
        return names
    }

    /// Removes the temporary files a killed run may have left for `name` in `folder`
    /// (`.NAME.rh-partial-*`, `.NAME.rh-tmp-*`). Only called under the output lock.
    package static func removeLeftovers(in folder: String, for names: [String]) {
        guard let directory = opendir(folder) else { return }
        defer { closedir(directory) }
        let prefixes = names.flatMap { [".\($0).rh-partial-", ".\($0).rh-tmp-"] }
        var doomed: [String] = []
        while let entry = readdir(directory) {
            let name = withUnsafeBytes(of: entry.pointee.d_name) { raw in
                String(decoding: raw.prefix { $0 != 0 }, as: UTF8.self)
            }
            if name.hasPrefix("."), prefixes.contains(where: { name.hasPrefix($0) }) { doomed.append(name) }
        }
        for name in doomed { unlink(folder + "/" + name) }
    }

    /// Size and modification time (nanoseconds) of a regular file.
    package static func fileInfo(_ path: String) -> (bytes: Int, mtime: Int)? {
        var info = stat()
        guard stat(path, &info) == 0, info.st_mode & S_IFMT == S_IFREG else { return nil }
        return (Int(info.st_size), Int(info.st_mtim.tv_sec) * 1_000_000_000 + Int(info.st_mtim.tv_nsec))
    }
}
