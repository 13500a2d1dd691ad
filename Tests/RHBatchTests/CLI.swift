import Foundation

/// Runs the built `rh-batch` binary as a subprocess, the way users and cron run it.
enum CLI {
    struct Result {
        var status: Int32
        var stdout: String
        var stderr: String
    }

    /// The `rh-batch` executable beside the test bundle.
    static var executable: String {
        let testBinary = URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath()
        var folder = testBinary.deletingLastPathComponent()
        while !FileManager.default.isExecutableFile(atPath: folder.appendingPathComponent("rh-batch").path),
            folder.path != "/"
        {
            folder = folder.deletingLastPathComponent()
        }
        return folder.appendingPathComponent("rh-batch").path
    }

    /// A copy of the executable and its resource bundles in `folder`, readable by everyone: a
    /// test that runs it as another user (`runuser -u nobody`) cannot reach the build folder
    /// when the checkout is inside a folder only its owner can enter (`/root`, a `mktemp -d`).
    static func copyForAnyUser(into folder: String) throws -> String {
        let files = FileManager.default
        let source = URL(fileURLWithPath: executable).deletingLastPathComponent()
        let target = URL(fileURLWithPath: folder).appendingPathComponent("bin")
        try files.createDirectory(at: target, withIntermediateDirectories: true)
        let names = try files.contentsOfDirectory(atPath: source.path).filter {
            $0 == "rh-batch" || $0.hasSuffix(".resources")
        }
        for name in names {
            try files.copyItem(at: source.appendingPathComponent(name), to: target.appendingPathComponent(name))
        }
        // Everything readable (and folders and the binary enterable) by everyone.
        var paths = [folder, target.path]
        if let walker = files.enumerator(atPath: target.path) {
            for case let path as String in walker { paths.append(target.appendingPathComponent(path).path) }
        }
        for path in paths {
            var isFolder: ObjCBool = false
            _ = files.fileExists(atPath: path, isDirectory: &isFolder)
            let mode = isFolder.boolValue || path.hasSuffix("/rh-batch") ? 0o755 : 0o644
            try files.setAttributes([.posixPermissions: mode], ofItemAtPath: path)
        }
        return target.appendingPathComponent("rh-batch").path
    }

    /// Runs `rh-batch` (or the copy at `executable`) with arguments; `prefix` runs it under
    /// another program (`runuser`).
    static func run(
        _ arguments: [String],
        prefix: [String] = [],
        executable: String = CLI.executable,
        environment: [String: String]? = nil,
        directory: String? = nil
    ) throws -> Result {
        let command = prefix + [executable] + arguments
        // A cache folder of its own: a catalog the developer updated must not change what a test sees.
        var environment = environment ?? ProcessInfo.processInfo.environment
        if environment["XDG_CACHE_HOME"] == ProcessInfo.processInfo.environment["XDG_CACHE_HOME"] {
            environment["XDG_CACHE_HOME"] = noCache
        }
        return try runTool(command[0], Array(command.dropFirst()), environment: environment, directory: directory)
    }

    /// A cache folder that is never made.
    static let noCache = FileManager.default.temporaryDirectory.path + "/rh-batch-tests-no-cache-" + UUID().uuidString

    /// A child's environment: `base` and this test process's sanitizer options, so that a child
    /// built with a sanitizer reports as `Scripts/sanitize.sh` asks (its suppressions, its log).
    static func childEnvironment(_ base: [String: String]) -> [String: String] {
        let sanitizers = ProcessInfo.processInfo.environment.filter { $0.key.hasSuffix("SAN_OPTIONS") }
        return base.merging(sanitizers) { mine, _ in mine }
    }

    /// Runs any program and collects its output.
    static func runTool(
        _ path: String,
        _ arguments: [String],
        environment: [String: String]? = nil,
        directory: String? = nil
    ) throws -> Result {
        let process = Process()
        let command = [path] + arguments
        process.executableURL = URL(fileURLWithPath: command[0])
        process.arguments = Array(command.dropFirst())
        if let environment { process.environment = childEnvironment(environment) }
        if let directory { process.currentDirectoryURL = URL(fileURLWithPath: directory) }
        let out = Pipe()
        let err = Pipe()
        process.standardOutput = out
        process.standardError = err
        try process.run()
        let outData = out.fileHandleForReading.readDataToEndOfFile()
        let errData = err.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return Result(
            status: process.terminationStatus,
            stdout: String(decoding: outData, as: UTF8.self),
            stderr: String(decoding: errData, as: UTF8.self)
        )
    }
}

/// A temporary folder for one test.
final class TempFolder: Sendable {
    let path: String

    init() throws {
        path = FileManager.default.temporaryDirectory.path + "/rh-batch-cli-" + UUID().uuidString
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    }

    deinit {
        try? FileManager.default.removeItem(atPath: path)
    }

    @discardableResult
    func write(_ name: String, _ text: String) throws -> String {
        try write(name, Data(text.utf8))
    }

    @discardableResult
    func write(_ name: String, _ data: Data) throws -> String {
        let file = path + "/" + name
        try FileManager.default.createDirectory(
            atPath: (file as NSString).deletingLastPathComponent,
            withIntermediateDirectories: true
        )
        try data.write(to: URL(fileURLWithPath: file))
        return file
    }
}
