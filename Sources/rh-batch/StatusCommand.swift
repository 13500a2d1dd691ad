import ArgumentParser
import Foundation
import RHBatchCore

#if canImport(Glibc)
    import Glibc
#endif

/// `rh-batch status DIR-or-MANIFEST`: what the journal of an output folder says.
struct StatusCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "status",
        abstract: "Show what an output folder's journal says: done, in flight, failed, unknown, spend.",
        discussion:
            "Given a manifest, reads its output folder and also counts jobs not started and jobs that left the manifest. Sends nothing."
    )

    @Argument(help: "An output folder, or a manifest (its output folder is read).", completion: .file())
    var target: String

    @Option(name: [.customShort("o"), .long], help: "The output folder, when it is not the manifest's.")
    var output: String?

    @Flag(help: "Print JSON.")
    var json = false

    @OptionGroup var catalogOption: CatalogOption

    func run() throws {
        var info = stat()
        let isFolder = stat(target, &info) == 0 && info.st_mode & S_IFMT == S_IFDIR
        var plan: Plan?
        var folder = output ?? target
        if !isFolder {
            let catalog = try catalogOption.load()
            do {
                // A manifest's workflows as the output folder's copy has them: status sends nothing.
                var folders = [
                    (output ?? ManifestLoader.outputDirectory(of: target)).map(WorkflowLibrary.folder(inOutput:))
                ]
                folders.append(WorkflowLibrary.userFolder(environment: Environment.value))
                let workflows = WorkflowLibrary(folders: folders.compactMap { $0 }, preferSource: false).cached(
                    ManifestLoader.declarations(of: target), orSimulated: true)
                plan = try ManifestLoader(catalog: catalog).load(target, workflows: workflows)
            } catch {
                Console.report(error)
                throw ExitCode(.invalid)
            }
            folder = output ?? plan!.outputDirectory
        }
        guard stat(folder, &info) == 0, info.st_mode & S_IFMT == S_IFDIR else {
            if plan != nil {
                print("\(folder): not run yet (\(plan!.jobs.count) jobs not started)")
                return
            }
            Console.error("error: \(folder) is not an output folder")
            throw ExitCode(.invalid)
        }
        let status: OutputStatus
        do {
            // Key names come from the last report, which has them; the journal keeps fingerprints.
            var names: [String: String] = [:]
            if let data = FileManager.default.contents(atPath: folder + "/report.json"),
                let report = try? JSONSerialization.jsonObject(with: data) as? [String: Any],
                let keys = report["keys"] as? [[String: Any]]
            {
                for key in keys {
                    if let id = key["fingerprint"] as? String, let name = key["name"] as? String { names[id] = name }
                }
            }
            status = try OutputStatus.load(folder: folder, plan: plan, keyNames: names)
        } catch {
            Console.error(error.description)
            throw ExitCode(.stopped)
        }
        for warning in status.warnings { Console.error("warning: \(warning)") }
        print(json ? status.json.pretty : status.text)
    }
}
