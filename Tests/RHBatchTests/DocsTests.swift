import Foundation
import Testing

/// The user's documentation in the repository: generated files are fresh, examples and fixtures
/// validate with real JSON Schema validators, and nothing points outside the repository.
@Suite("docs, schema, completions, man page")
struct DocsTests {
    /// The package root: three folders above this file.
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().path

    static func read(_ relative: String) throws -> String {
        try String(contentsOfFile: root + "/" + relative, encoding: .utf8)
    }

    static func files(_ folder: String, ending: String) -> [String] {
        ((try? FileManager.default.contentsOfDirectory(atPath: root + "/" + folder)) ?? [])
            .filter { $0.hasSuffix(ending) }.sorted().map { folder + "/" + $0 }
    }

    /// Runs a program (found on PATH) and returns its exit status and standard output.
    static func shell(_ arguments: [String], input: String? = nil) throws -> (status: Int32, output: String) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = arguments
        process.currentDirectoryURL = URL(fileURLWithPath: root)
        let out = Pipe()
        process.standardOutput = out
        process.standardError = out
        let inPipe = Pipe()
        process.standardInput = inPipe
        try process.run()
        if let input { inPipe.fileHandleForWriting.write(Data(input.utf8)) }
        try inPipe.fileHandleForWriting.close()
        let data = out.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return (process.terminationStatus, String(decoding: data, as: UTF8.self))
    }

    /// The real validators are there (CI installs them), or the run is CI's, where they must be.
    static let validatorsPresent: Bool = {
        if ProcessInfo.processInfo.environment["CI"] == "true" { return true }
        let probe = try? shell([
            "python3", "-c",
            "import jsonschema, yaml, shutil, sys; sys.exit(0 if shutil.which('check-jsonschema') else 1)",
        ])
        return probe?.status == 0
    }()

    @Test func theCommittedSchemaIsFresh() throws {
        let generated = try CLI.run(["schema"])
        #expect(generated.status == 0)
        #expect(
            generated.stdout == (try Self.read("docs/manifest.schema.json")),
            "run: rh-batch schema > docs/manifest.schema.json")
    }

    @Test(arguments: ["bash", "zsh", "fish"])
    func theCommittedCompletionsAreFresh(shell: String) throws {
        let generated = try CLI.run(["--generate-completion-script", shell])
        #expect(generated.status == 0)
        #expect(
            generated.stdout == (try Self.read("docs/completions/rh-batch.\(shell)")),
            "run: rh-batch --generate-completion-script \(shell) > docs/completions/rh-batch.\(shell)")
        #expect(generated.stdout.contains("yaml"), "manifest arguments complete as .yaml files")
    }

    @Test func theCommittedManPageIsFresh() throws {
        let help = try CLI.run(["--experimental-dump-help"])
        #expect(help.status == 0)
        let page = try Self.shell(["python3", "Scripts/generate-manual.py"], input: help.stdout)
        #expect(page.status == 0, "\(page.output)")
        #expect(
            page.output == (try Self.read("docs/rh-batch.1")),
            "run: rh-batch --experimental-dump-help | Scripts/generate-manual.py > docs/rh-batch.1")
        for command in ["run", "validate", "plan", "status", "models", "init", "schema", "simulator"] {
            #expect(page.output.contains(".Ss \(command)"))
        }
    }

    @Test func everyExampleAndFixtureManifestStartsWithTheSchemaLine() throws {
        for path in Self.files("manifests", ending: ".yaml")
            + Self.files("Tests/Fixtures/manifests/valid", ending: ".yaml")
        {
            let first = try Self.read(path).split(separator: "\n").first.map(String.init) ?? ""
            #expect(first.hasPrefix("# yaml-language-server: $schema="), "\(path)")
            let target = URL(fileURLWithPath: Self.root + "/" + path).deletingLastPathComponent()
                .appendingPathComponent(String(first.dropFirst("# yaml-language-server: $schema=".count)))
                .standardizedFileURL.path
            #expect(target == Self.root + "/docs/manifest.schema.json", "\(path) names \(target)")
        }
    }

    @Test(
        .enabled(if: validatorsPresent, "needs python3 with jsonschema, PyYAML and check-jsonschema (CI installs them)")
    )
    func realValidatorsAcceptTheExamplesAndRefuseBrokenManifests() throws {
        let valid =
            Self.files("manifests", ending: ".yaml") + Self.files("Tests/Fixtures/manifests/valid", ending: ".yaml")
        let invalid = Self.files("Tests/Fixtures/manifests/invalid", ending: ".yaml")
        #expect(valid.count >= 6 && invalid.count >= 6)
        let result = try Self.shell(
            ["python3", "Tests/Tools/check_manifest_schema.py", "docs/manifest.schema.json", "--valid"] + valid + [
                "--invalid"
            ] + invalid
        )
        #expect(result.status == 0, "\(result.output)")
        #expect(result.output.contains("\(valid.count + invalid.count) manifests, 0 disagreements"), "\(result.output)")
    }

    @Test(
        .enabled(if: validatorsPresent, "needs python3 with jsonschema, PyYAML and check-jsonschema (CI installs them)")
    )
    func initWritesAManifestBothValidatorsAccept() throws {
        let folder = try TempFolder()
        for (position, name) in ["a.png", "b.png"].enumerated() {
            try folder.write(
                "photos/" + name,
                Data([0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A] + [UInt8](repeating: UInt8(position), count: 32)))
        }
        try folder.write("photos/notes.txt", "not an image")
        for model in ["nano-banana-pro", "gpt-image-2", "grok-imagine"] {
            let manifest = folder.path + "/\(model).yaml"
            let made = try CLI.run(["init", "--model", model, "--images", folder.path + "/photos", "-o", manifest])
            #expect(made.status == 0, "\(made.stderr)")
            let text = try String(contentsOfFile: manifest, encoding: .utf8)
            #expect(text.hasPrefix("# yaml-language-server: $schema=rh-batch.schema.json\n"))
            #expect(text.contains("photos/*.png"))
            let validated = try CLI.run(["validate", manifest])
            #expect(validated.status == 0, "\(validated.stdout)\(validated.stderr)")
            #expect(validated.stdout.contains("ok, 2 jobs"))
            let checked = try Self.shell([
                "python3", Self.root + "/Tests/Tools/check_manifest_schema.py", folder.path + "/rh-batch.schema.json",
                "--valid", manifest,
            ])
            #expect(checked.status == 0, "\(checked.output)")
            let again = try CLI.run(["init", "--model", model, "--images", folder.path + "/photos", "-o", manifest])
            #expect(again.status == 64)
            #expect(again.stderr.contains("never overwrites"))
            #expect(try String(contentsOfFile: manifest, encoding: .utf8) == text)
        }
        let schema = try String(contentsOfFile: folder.path + "/rh-batch.schema.json", encoding: .utf8)
        #expect(schema == (try Self.read("docs/manifest.schema.json")))
    }

    @Test func nothingPointsOutsideTheRepository() throws {
        var texts: [(String, String)] = [("README.md", try Self.read("README.md"))]
        for path in Self.files("docs", ending: ".md") + Self.files("manifests", ending: ".yaml") {
            texts.append((path, try Self.read(path)))
        }
        for command in ["", "run", "validate", "plan", "status", "models", "init", "schema", "simulator"] {
            let help = try CLI.run(command.isEmpty ? ["--help"] : [command, "--help"])
            texts.append(("rh-batch \(command) --help", help.stdout))
        }
        #expect(texts.count >= 14)
        for (name, text) in texts {
            #expect(!text.contains("../shared"), "\(name) points at ../shared")
            #expect(!text.contains("/work/"), "\(name) names a machine path")
        }
        // Relative links in the README and docs resolve inside the repository.
        for (name, text) in texts where name.hasSuffix(".md") {
            let folder = URL(fileURLWithPath: Self.root + "/" + name).deletingLastPathComponent()
            var rest = Substring(text)
            while let open = rest.range(of: "](") {
                rest = rest[open.upperBound...]
                guard let close = rest.firstIndex(of: ")") else { break }
                let link = String(rest[..<close])
                let target = link.split(separator: "#").first.map(String.init) ?? ""
                rest = rest[close...]
                if link.hasPrefix("#") || target.isEmpty || target.hasPrefix("http://") || target.hasPrefix("https://")
                {
                    continue
                }
                let resolved = folder.appendingPathComponent(target).standardizedFileURL.path
                #expect(resolved.hasPrefix(Self.root + "/"), "\(name) links outside: \(target)")
                #expect(FileManager.default.fileExists(atPath: resolved), "\(name) links to a missing file: \(target)")
            }
        }
    }
}
