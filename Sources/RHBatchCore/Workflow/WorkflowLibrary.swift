import RunningHubModel

/// Where workflow graphs and app field lists are read from: the API's free reads
/// (`getJsonApiFormat`, `apiCallDemo`), or the simulator's.
package protocol WorkflowSource: Sendable {
    /// The `data` of `getJsonApiFormat` for a workflow (its API graph); throws ``APIFailure``.
    func workflowGraph(id: String) async throws -> [UInt8]
    /// The `data` of `apiCallDemo` for an app (its field list); throws ``APIFailure``.
    func appFields(id: String) async throws -> [UInt8]
}

/// The definitions a manifest's workflows were read as, by kind and id; what could not be read
/// says why.
package struct WorkflowDefinitions: Sendable {
    package var found: [String: WorkflowDefinition] = [:]
    package var problems: [String: String] = [:]
    /// Those read from the source that differ from the copy cached before: what changed, said
    /// as a warning.
    package var changed: [String: String] = [:]

    package init() {}

    package static func key(_ kind: WorkflowKind, _ id: String) -> String { "\(kind.rawValue)-\(id)" }

    package subscript(_ declaration: WorkflowDeclaration) -> WorkflowDefinition? {
        found[Self.key(declaration.kind, declaration.id)]
    }
}

/// Reads the definitions a manifest needs, once each: from the source when there is one (and
/// keeps a copy in each cache folder), else from the first cache folder that has it.
package struct WorkflowLibrary: Sendable {
    /// Cache folders, most specific first: the output folder's, then the user's.
    package var folders: [String]
    /// Whether the source is asked even when a cache has the definition (a run asks, to see a
    /// change; `plan` and `validate` use the cache when they can).
    package var preferSource: Bool
    /// The folders a fresh copy is written to (`plan` and `validate` leave the output folder
    /// alone: only a run makes it).
    package var writeFolders: [String]
    /// Added to the copies' names: `.simulated` keeps a simulator's apart from the service's.
    package var nameSuffix = ""

    package init(folders: [String], preferSource: Bool, writeFolders: [String]? = nil) {
        self.folders = folders
        self.preferSource = preferSource
        self.writeFolders = writeFolders ?? folders
    }

    /// The cache folder inside an output folder.
    package static func folder(inOutput output: String) -> String {
        FilePath.join(output, ".rh-batch/workflows")
    }

    /// The user's cache folder: `$XDG_CACHE_HOME/rh-batch/workflows`, else `~/.cache/...`.
    package static func userFolder(environment: (String) -> String?) -> String? {
        if let base = environment("XDG_CACHE_HOME"), base.hasPrefix("/") {
            return FilePath.join(base, "rh-batch/workflows")
        }
        guard let home = environment("HOME"), home.hasPrefix("/") else { return nil }
        return FilePath.join(home, ".cache/rh-batch/workflows")
    }

    /// Reads every declaration's definition.
    package func load(_ declarations: [WorkflowDeclaration], source: (any WorkflowSource)?) async
        -> WorkflowDefinitions
    {
        var result = WorkflowDefinitions()
        for declaration in declarations {
            let key = WorkflowDefinitions.key(declaration.kind, declaration.id)
            guard result.found[key] == nil, result.problems[key] == nil else { continue }
            let cached = preferSource && source != nil ? nil : cachedBytes(key)
            if let cached, let definition = try? Self.read(declaration, cached) {
                result.found[key] = definition
                continue
            }
            guard let source else {
                result.problems[key] =
                    "no copy of its \(declaration.kind == .workflow ? "graph" : "field list") is cached; set RH_API_KEY (or use --simulate) to read it"
                continue
            }
            do {
                let bytes: [UInt8]
                do {
                    bytes =
                        declaration.kind == .workflow
                        ? try await source.workflowGraph(id: declaration.id)
                        : try await source.appFields(id: declaration.id)
                } catch let failure as APIFailure where failure.errorClass != .final && failure.errorClass != .fatal {
                    // The service could not be reached: the cached copy, if there is one.
                    guard let cached = cachedBytes(key), let definition = try? Self.read(declaration, cached) else {
                        throw failure
                    }
                    result.found[key] = definition
                    let what = declaration.kind == .workflow ? "workflow" : "app"
                    result.changed[key] =
                        "reading \(what) \(declaration.id) failed (\(failure)); its cached copy is used, and a change since it was cached is not seen"
                    continue
                }
                let definition = try Self.read(declaration, bytes)
                result.found[key] = definition
                if let old = cachedBytes(key).flatMap({ try? Self.read(declaration, $0) }),
                    old.sha256 != definition.sha256
                {
                    let what = declaration.kind == .workflow ? "workflow" : "app"
                    result.changed[key] =
                        "\(what) \(declaration.id) changed since the copy cached in \(folders.first ?? "the cache") was read (sha256 \(old.sha256.prefix(12)) → \(definition.sha256.prefix(12))): its jobs are checked against the new one"
                }
                store(key, bytes)
            } catch let failure as APIFailure {
                result.problems[key] = Self.explain(failure, declaration)
            } catch {
                result.problems[key] = "\(error)"
            }
        }
        return result
    }

    /// Every declaration's definition from the caches alone (`status`, which sends nothing);
    /// `orSimulated`: a simulated run's copy when there is no other (its folder was simulated).
    package func cached(_ declarations: [WorkflowDeclaration], orSimulated: Bool = false) -> WorkflowDefinitions {
        var result = WorkflowDefinitions()
        var simulated = self
        simulated.nameSuffix = ".simulated"
        for declaration in declarations {
            let key = WorkflowDefinitions.key(declaration.kind, declaration.id)
            let bytes = cachedBytes(key) ?? (orSimulated ? simulated.cachedBytes(key) : nil)
            if let bytes, let definition = try? Self.read(declaration, bytes) {
                result.found[key] = definition
            } else {
                result.problems[key] = "no copy of it is cached"
            }
        }
        return result
    }

    static func read(_ declaration: WorkflowDeclaration, _ bytes: [UInt8]) throws(WorkflowDefinition.ReadError)
        -> WorkflowDefinition
    {
        switch declaration.kind {
        case .workflow: try WorkflowDefinition.graph(id: declaration.id, bytes: bytes)
        case .app: try WorkflowDefinition.app(id: declaration.id, bytes: bytes)
        }
    }

    /// The message for a failed read, naming what to check.
    static func explain(_ failure: APIFailure, _ declaration: WorkflowDeclaration) -> String {
        switch failure.code {
        case "380", "901":
            "the service knows no \(declaration.kind == .workflow ? "workflow" : "app") \(declaration.id) (\(failure.code) \(failure.message)); check the id and the site (runninghub.ai or .cn)"
        case "810":
            "workflow \(declaration.id) was never saved and run on the web (810); run it once there first"
        default:
            "reading it failed: \(failure)"
        }
    }

    func cachedBytes(_ key: String) -> [UInt8]? {
        for folder in folders {
            if case .success(let bytes) = FileSystem.readAll(FilePath.join(folder, key + nameSuffix + ".json")) {
                return bytes
            }
        }
        return nil
    }

    /// Keeps a copy in every cache folder; a folder that cannot be written is skipped (the copy
    /// only saves a free read).
    func store(_ key: String, _ bytes: [UInt8]) {
        for folder in writeFolders {
            do {
                try FileSystem.makeDirectory(folder)
                try AtomicFile.write(bytes, to: FilePath.join(folder, key + nameSuffix + ".json"), durable: false)
            } catch {
                continue
            }
        }
    }
}
