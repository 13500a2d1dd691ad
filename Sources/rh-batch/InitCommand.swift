import ArgumentParser
import Foundation
import RHBatchCore
import RunningHubModel

/// `rh-batch init`: a commented starter manifest for a model and a folder of images.
struct InitCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "init",
        abstract: "Write a commented starter manifest for a model and a folder of images.",
        discussion: """
            Prints the manifest, or writes it to -o FILE (never over an existing file) together \
            with the schema the manifest's first line names (rh-batch.schema.json beside it, if \
            not there yet). Example: rh-batch init --model nano-banana-pro --images photos/ -o batch.yaml
            """
    )

    @Option(help: "The model: alias, endpoint or vendor name (see rh-batch models).")
    var model = "nano-banana-pro"

    @Option(help: "A folder of input images (PNG, JPG, WEBP as the model accepts).", completion: .directory)
    var images: String

    @Option(
        name: [.customShort("o"), .long], help: "Write the manifest to this file instead of printing it.",
        completion: .file(extensions: ["yaml", "yml"]))
    var output: String?

    @Option(help: "The manifest's name (default: the output file's name, else 'batch').")
    var name: String?

    static let schemaFile = "rh-batch.schema.json"

    func run() throws {
        guard let spec = ModelCatalog.builtIn.model(named: model) else {
            Console.error("error: unknown model '\(model)'; `rh-batch models` lists them")
            throw ExitCode(.invalid)
        }
        guard spec.image != nil else {
            Console.error(
                "error: \(spec.alias) takes no input image; `rh-batch init` starts image batches (see `rh-batch models --input image`)"
            )
            throw ExitCode(.invalid)
        }
        let fileManager = FileManager.default
        var isDirectory: ObjCBool = false
        guard fileManager.fileExists(atPath: images, isDirectory: &isDirectory), isDirectory.boolValue else {
            Console.error("error: --images: '\(images)' is not a folder")
            throw ExitCode(.invalid)
        }
        if let output, fileManager.fileExists(atPath: output) {
            Console.error("error: \(output) exists; rh-batch init never overwrites a file")
            throw ExitCode(.invalid)
        }
        let manifestFolder =
            output.map { URL(fileURLWithPath: $0).deletingLastPathComponent().path } ?? fileManager.currentDirectoryPath
        let folder = Self.relative(
            URL(fileURLWithPath: images).standardizedFileURL.path,
            from: URL(fileURLWithPath: manifestFolder).standardizedFileURL.path)
        let values = try imageValues(spec: spec, folder: folder)
        let stem = output.map { URL(fileURLWithPath: $0).deletingPathExtension().lastPathComponent } ?? "batch"
        let manifestName =
            name
            ?? String(
                stem.unicodeScalars.filter {
                    $0.properties.isAlphabetic || ("0"..."9").contains($0) || "._-".unicodeScalars.contains($0)
                })
        let text = StarterManifest(
            model: spec, images: values, name: manifestName.isEmpty ? "batch" : manifestName, schema: Self.schemaFile
        ).text
        guard let output else {
            print(text, terminator: "")
            Console.error("for editor checks, write the schema beside it: rh-batch schema > \(Self.schemaFile)")
            return
        }
        guard fileManager.createFile(atPath: output, contents: nil), let handle = FileHandle(forWritingAtPath: output)
        else {
            Console.error("error: cannot write \(output)")
            throw ExitCode(.invalid)
        }
        try handle.write(contentsOf: Data(text.utf8))
        try handle.close()
        let schemaPath = manifestFolder + "/" + Self.schemaFile
        if !fileManager.fileExists(atPath: schemaPath) {
            try Data(ManifestSchema.json(catalog: .builtIn).utf8).write(
                to: URL(fileURLWithPath: schemaPath), options: .withoutOverwriting)
        }
        print("wrote \(output); next: rh-batch plan \(output)")
    }

    /// Globs per extension where every file with that extension is an image the model takes, the
    /// files one by one otherwise; relative to the manifest's folder.
    func imageValues(spec: ModelSpec, folder: String) throws -> [String] {
        let names = try FileManager.default.contentsOfDirectory(atPath: images).sorted()
        var byExtension: [String: (accepted: [String], all: Int)] = [:]
        for name in names where !name.hasPrefix(".") {
            let path = images + "/" + name
            var isDirectory: ObjCBool = false
            guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory), !isDirectory.boolValue else {
                continue
            }
            let ext = (name as NSString).pathExtension
            var entry = byExtension[ext] ?? ([], 0)
            entry.all += 1
            if let handle = FileHandle(forReadingAtPath: path) {
                let head = (try? handle.read(upToCount: 12)) ?? Data()
                try? handle.close()
                let size = (try? FileManager.default.attributesOfItem(atPath: path)[.size] as? Int) ?? Int.max
                if let format = MediaFormat(magic: Array(head)), spec.image?.formats.contains(format) == true,
                    size <= spec.image?.maxBytes ?? 0
                {
                    entry.accepted.append(name)
                }
            }
            byExtension[ext] = entry
        }
        var values: [String] = []
        let prefix = folder == "." ? "" : folder + "/"
        for ext in byExtension.keys.sorted() {
            let entry = byExtension[ext]!
            if !ext.isEmpty && entry.accepted.count == entry.all && entry.all > 1 {
                values.append(prefix + "*." + ext)
            } else {
                values += entry.accepted.map { prefix + $0 }
            }
        }
        guard !values.isEmpty else {
            let formats = (spec.image?.formats ?? []).map(\.displayName).joined(separator: ", ")
            Console.error(
                "error: --images: no \(formats) file of at most \((spec.image?.maxBytes ?? 0) / 1024 / 1024) MB in '\(images)' for \(spec.alias)"
            )
            throw ExitCode(.invalid)
        }
        return values
    }

    /// `path` relative to `base` (both absolute, standardized).
    static func relative(_ path: String, from base: String) -> String {
        let target = path.split(separator: "/")
        let origin = base.split(separator: "/")
        var common = 0
        while common < min(target.count, origin.count) && target[common] == origin[common] { common += 1 }
        let ups = Array(repeating: "..", count: origin.count - common)
        let rest = target[common...].map(String.init)
        let parts = ups + rest
        return parts.isEmpty ? "." : parts.joined(separator: "/")
    }
}
