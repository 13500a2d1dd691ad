import Logging
import RHBatchCore
import RunningHubAPI
import RunningHubAdapter
import RunningHubSimulator

/// Reads the graphs and field lists a manifest's `workflows` need, before it is planned.
enum WorkflowReading {
    /// The definitions of the workflows `manifest` declares (none read when it declares none).
    ///
    /// - Parameters:
    ///   - output: the output folder (`-o`), else the manifest's; its cache is read and written.
    ///   - simulator: read from the built-in simulator with this configuration (no key, no user
    ///     cache: a simulated workflow is not the real one).
    ///   - preferSource: ask the source even when a cache has a copy (`run`, to see a change).
    static func definitions(
        manifest: String, output: String?, simulator: SimulatorConfiguration?, preferSource: Bool,
        writesOutputFolder: Bool = true, keysFile: String? = nil
    ) async -> WorkflowDefinitions {
        let declarations = ManifestLoader.declarations(of: manifest)
        guard !declarations.isEmpty else { return WorkflowDefinitions() }
        let definitions = await definitions(
            declarations, outputFolder: output ?? ManifestLoader.outputDirectory(of: manifest), simulator: simulator,
            preferSource: preferSource, writesOutputFolder: writesOutputFolder, keysFile: keysFile)
        for (_, message) in definitions.changed.sorted(by: { $0.key < $1.key }) {
            Console.error("\(manifest): warning: \(message)")
        }
        return definitions
    }

    /// The definitions of `declarations`, read and cached as ``definitions(manifest:output:simulator:preferSource:)`` says.
    static func definitions(
        _ declarations: [WorkflowDeclaration], outputFolder: String?, simulator: SimulatorConfiguration?,
        preferSource: Bool, writesOutputFolder: Bool = true, keysFile: String? = nil
    ) async -> WorkflowDefinitions {
        var folders: [String] = []
        var skipped: String?
        if let folder = outputFolder {
            folders.append(WorkflowLibrary.folder(inOutput: folder))
            if !writesOutputFolder { skipped = folders[0] }
        }
        let logger = Logger(label: "rh-batch.workflows", factory: { _ in SwiftLogNoOpLogHandler() })
        if let simulator {
            // Simulated copies have names of their own: a real run's or a keyless plan's reads
            // never take one for the real workflow.
            var simulated = WorkflowLibrary(
                folders: folders, preferSource: true, writeFolders: folders.filter { $0 != skipped })
            simulated.nameSuffix = ".simulated"
            let library = simulated
            do {
                return try await SimulatorServer.withRunning(simulator) { baseURL, _ in
                    let configuration = RunningHubClient.Configuration(
                        baseURL: baseURL + "/openapi/v2", apiKey: APIKey(SimulatorConfiguration.defaultKey)!)
                    return try await RunningHubClient.withClient(configuration, logger: logger) { client in
                        await library.load(declarations, source: client)
                    }
                }
            } catch {
                return await library.load(declarations, source: nil)
            }
        }
        if let user = WorkflowLibrary.userFolder(environment: Environment.value) { folders.append(user) }
        let library = WorkflowLibrary(
            folders: folders, preferSource: preferSource, writeFolders: folders.filter { $0 != skipped })
        // The reads are free and any of the run's keys may make them: the first one.
        let first = (try? RunCommand.keys(file: keysFile, environmentName: "RH_API_KEY"))??.first
        guard let key = first.flatMap({ APIKey($0.key) }) else {
            return await library.load(declarations, source: nil)
        }
        let configuration = RunningHubClient.Configuration(
            baseURL: Environment.value("RH_API_BASE_URL") ?? RunningHubClient.Configuration.defaultBaseURL, apiKey: key)
        do {
            return try await RunningHubClient.withClient(configuration, logger: logger) { client in
                await library.load(declarations, source: client)
            }
        } catch {
            return await library.load(declarations, source: nil)
        }
    }
}
