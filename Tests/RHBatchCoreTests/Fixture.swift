import Foundation
import RHBatchCore
import RunningHubSimulator

/// A temporary folder with a manifest and real image files, removed when the test ends.
final class Fixture {
    let directory: String

    init() throws {
        let base = FileManager.default.temporaryDirectory.path + "/rh-batch-tests-" + UUID().uuidString
        try FileManager.default.createDirectory(atPath: base, withIntermediateDirectories: true)
        directory = base
    }

    deinit {
        try? FileManager.default.removeItem(atPath: directory)
    }

    /// Writes a PNG whose colour depends on `seed`, so different files have different hashes.
    @discardableResult
    func png(_ name: String, seed: UInt8 = 1, width: Int = 8, height: Int = 6) throws -> String {
        try write(name, PNGEncoder.encode(width: width, height: height) { x, y in (seed, UInt8(x), UInt8(y)) })
    }

    /// Writes raw bytes.
    @discardableResult
    func write(_ name: String, _ bytes: [UInt8]) throws -> String {
        let path = directory + "/" + name
        let folder = (path as NSString).deletingLastPathComponent
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        guard FileManager.default.createFile(atPath: path, contents: Data(bytes)) else {
            throw CocoaError(.fileWriteUnknown)
        }
        return path
    }

    /// Writes a manifest and returns its path.
    @discardableResult
    func manifest(_ text: String, name: String = "manifest.yaml") throws -> String {
        try write(name, Array(text.utf8))
    }

    /// Plans a manifest written here.
    func plan(_ text: String, options: Planner.Options = .init()) throws -> Plan {
        try ManifestLoader(options: options).load(manifest(text))
    }

    /// The diagnostics of a manifest that must fail, rendered as printed.
    func errors(_ text: String, options: Planner.Options = .init()) throws -> [String] {
        let path = try manifest(text)
        do {
            _ = try ManifestLoader(options: options).load(path)
            return []
        } catch {
            return error.diagnostics.filter { $0.severity == .error }.map {
                $0.description.replacingOccurrences(of: path, with: "m.yaml")
            }
        }
    }
}
