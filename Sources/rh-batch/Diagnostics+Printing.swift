import ArgumentParser
import RHBatchCore
import Synchronization

#if canImport(Glibc)
    import Glibc
#endif

/// Where commands write what they say.
enum Console {
    /// Writes a line to standard error.
    static func error(_ text: String) {
        let line = Array((text + "\n").utf8)
        line.withUnsafeBytes { _ = write(STDERR_FILENO, $0.baseAddress, $0.count) }
    }

    /// Writes text to standard output, unbuffered, so progress and summaries appear at once.
    static func out(_ text: String) {
        guard !text.isEmpty else { return }
        let bytes = Array(text.utf8)
        bytes.withUnsafeBytes { _ = write(STDOUT_FILENO, $0.baseAddress, $0.count) }
    }

    /// Keeps a large value (a plan of a million jobs) until the process exits, which gives its
    /// memory back at once: freeing it object by object took a quarter of a second of `plan`.
    static func keepUntilExit(_ value: some Sendable) {
        kept.withLock { $0.append(value) }
    }

    private static let kept = Mutex<[any Sendable]>([])

    /// Writes the diagnostics of a manifest to standard error, then a count.
    static func report(_ error: ManifestError) {
        for diagnostic in error.diagnostics {
            Console.error(diagnostic.description)
        }
        let errors = error.diagnostics.filter { $0.severity == .error }.count
        if errors > 0 {
            Console.error("\(errors) \(errors == 1 ? "error" : "errors") found; nothing was sent")
        }
    }

    /// Loads and plans a manifest, or prints every diagnostic and exits 64.
    static func loadPlan(
        _ path: String, skipInvalid: Bool, catalog: ModelCatalog, workflows: WorkflowDefinitions = WorkflowDefinitions()
    ) throws -> Plan {
        do {
            let plan = try ManifestLoader(catalog: catalog, options: Planner.Options(skipInvalid: skipInvalid)).load(
                path, workflows: workflows)
            warnings(plan.warnings)
            return plan
        } catch {
            report(error)
            throw ExitCode(.invalid)
        }
    }

    /// Writes warnings, if any, to standard error.
    static func warnings(_ diagnostics: [Diagnostic]) {
        for diagnostic in diagnostics { Console.error(diagnostic.description) }
    }
}
