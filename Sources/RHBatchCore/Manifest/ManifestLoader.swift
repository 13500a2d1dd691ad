import Crypto
import RunningHubModel
import YAML

/// Reads a manifest file from disk and plans it: the one call the commands make.
package struct ManifestLoader: Sendable {
    let catalog: ModelCatalog
    let options: Planner.Options

    /// Makes a loader.
    package init(catalog: ModelCatalog = .builtIn, options: Planner.Options = Planner.Options()) {
        self.catalog = catalog
        self.options = options
    }

    /// Reads, decodes and plans the manifest at `path`; its `workflows` are checked against
    /// `workflows` (read beforehand: see ``declarations(of:)`` and ``WorkflowLibrary``).
    ///
    /// - Throws: ``ManifestError`` with every diagnostic when the manifest is unreadable or invalid.
    package func load(_ path: String, workflows: WorkflowDefinitions = WorkflowDefinitions()) throws(ManifestError)
        -> Plan
    {
        switch Self.readFile(path, limit: ManifestDecoder.maxFileSize) {
        case .success(let contents):
            return try load(bytes: contents, path: path, workflows: workflows)
        case .failure(let message):
            var diagnostics = Diagnostics(file: path)
            diagnostics.error(message, at: .start, path: "")
            throw ManifestError(diagnostics.all)
        }
    }

    /// Decodes and plans a manifest's bytes as if read from `path` (whose folder relative paths
    /// start from): ``load(_:workflows:)`` after the read, and the manifest fuzz target.
    package func load(bytes: [UInt8], path: String, workflows: WorkflowDefinitions = WorkflowDefinitions())
        throws(ManifestError) -> Plan
    {
        var diagnostics = Diagnostics(file: path)
        let directory = Self.directory(of: path)
        guard
            let manifest = ManifestDecoder(catalog: catalog).decode(
                bytes, file: path, directory: directory, diagnostics: &diagnostics)
        else {
            throw ManifestError(Self.sorted(diagnostics.all))
        }
        let catalog = Self.catalog(self.catalog, adding: manifest.workflows, workflows, &diagnostics)
        let plan = Planner(catalog: catalog, options: options).plan(manifest, diagnostics: &diagnostics)
        guard var plan, !diagnostics.hasErrors else {
            throw ManifestError(Self.sorted(diagnostics.all))
        }
        plan.manifestSHA256 = SHA256.hash(data: bytes).hexString
        return plan
    }

    /// The catalog with a model for each of the manifest's workflows, checked against its
    /// definition; one that could not be read is a model that cannot run, and an error.
    static func catalog(
        _ catalog: ModelCatalog, adding declarations: [WorkflowDeclaration], _ definitions: WorkflowDefinitions,
        _ diagnostics: inout Diagnostics
    ) -> ModelCatalog {
        guard !declarations.isEmpty else { return catalog }
        var specs: [ModelSpec] = []
        for declaration in declarations {
            if let definition = definitions[declaration] {
                specs.append(WorkflowModel.spec(declaration, definition, diagnostics: &diagnostics))
                continue
            }
            let key = WorkflowDefinitions.key(declaration.kind, declaration.id)
            let what = declaration.kind == .workflow ? "workflow" : "app"
            let problem = definitions.problems[key] ?? "it was not read"
            diagnostics.error(
                "cannot check \(what) \(declaration.id): \(problem)", at: declaration.idMark,
                path: declaration.path.key(declaration.kind == .workflow ? "workflow" : "app").description)
            specs.append(
                ModelSpec(
                    alias: declaration.name, endpoint: declaration.kind.endpoint(id: declaration.id),
                    vendorName: "\(what) \(declaration.id)", output: .image, fields: [],
                    price: .unknown("not read", source: "workflow"), unsupported: "its \(what) could not be read"))
        }
        return ModelCatalog(specs + catalog.models, source: catalog.source)
    }

    /// The workflows a manifest declares, from a quick read of the file; empty when it declares
    /// none or cannot be read (the full load then reports why).
    package static func declarations(of path: String) -> [WorkflowDeclaration] {
        guard case .success(let bytes) = readFile(path, limit: ManifestDecoder.maxFileSize) else { return [] }
        var diagnostics = Diagnostics(file: path)
        return ManifestDecoder(readsTables: false).decode(
            bytes, file: path, directory: directory(of: path), diagnostics: &diagnostics)?
            .workflows ?? []
    }

    /// The output folder a manifest names, from a quick read of the file without expanding it;
    /// `nil` when the file cannot be read as a manifest (the full load then reports why).
    package static func outputDirectory(of path: String) -> String? {
        guard case .success(let bytes) = readFile(path, limit: ManifestDecoder.maxFileSize) else { return nil }
        var diagnostics = Diagnostics(file: path)
        guard
            let manifest = ManifestDecoder(readsTables: false).decode(
                bytes, file: path, directory: directory(of: path), diagnostics: &diagnostics),
            !diagnostics.hasErrors
        else { return nil }
        return FilePath.join(manifest.directory, manifest.outputPath)
    }

    /// Diagnostics in file order, those at the same place in the order found.
    static func sorted(_ diagnostics: [Diagnostic]) -> [Diagnostic] {
        diagnostics.enumerated().sorted { ($0.element.mark, $0.offset) < ($1.element.mark, $1.offset) }.map(\.element)
    }

    /// The folder a path is in (`.` for a bare file name).
    package static func directory(of path: String) -> String {
        guard let slash = path.lastIndex(of: "/") else { return "." }
        let folder = String(path[..<slash])
        return folder.isEmpty ? "/" : folder
    }

    enum ReadResult {
        case success([UInt8])
        case failure(String)
    }

    /// Reads a whole file, refusing directories and files over `limit` bytes without reading them.
    static func readFile(_ path: String, limit: Int) -> ReadResult {
        switch FileSystem.status(path) {
        case .missing: return .failure("cannot read the manifest: No such file or directory")
        case .failure(let reason): return .failure("cannot read the manifest: \(reason)")
        case .directory: return .failure("this is a directory, not a manifest file")
        case .regular(let bytes, _) where bytes > limit:
            return .failure("the file is \(bytes) bytes; a manifest may be at most \(limit / 1024 / 1024) MiB")
        default: break
        }
        var bytes: [UInt8] = []
        var tooLarge = false
        let problem = FileSystem.readPieces(path, pieceSize: 64 * 1024) { piece in
            bytes.append(contentsOf: piece)
            tooLarge = bytes.count > limit
            return !tooLarge
        }
        if tooLarge {
            return .failure("the file is larger than \(limit / 1024 / 1024) MiB, the most a manifest may be")
        }
        switch problem {
        case .missing: return .failure("cannot read the manifest: No such file or directory")
        case .failure(let reason): return .failure("cannot read the manifest: \(reason)")
        default: return .success(bytes)
        }
    }
}
