import Foundation
import RHBatchFuzz
import Testing

/// The fuzz targets' committed inputs (issue 27), replayed in the ordinary test run: the seeds
/// (each a case the target must take cleanly) and every input a fuzzer found a bug with, kept in
/// `Tests/Fuzz/regressions/TARGET` beside the fix.
@Suite("Fuzz corpus")
struct FuzzCorpusTests {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("Fuzz")

    static func inputs(_ target: FuzzTarget) -> [URL] {
        ["seeds", "regressions"].flatMap { kind in
            let folder = root.appendingPathComponent(kind).appendingPathComponent(target.rawValue)
            let names = (try? FileManager.default.contentsOfDirectory(atPath: folder.path)) ?? []
            return names.sorted().map { folder.appendingPathComponent($0) }
        }
    }

    @Test(arguments: FuzzTarget.allCases)
    func everyCommittedInputPasses(_ target: FuzzTarget) throws {
        let inputs = Self.inputs(target)
        #expect(!inputs.isEmpty, "no seeds for \(target.rawValue)")
        for input in inputs {
            let bytes = try [UInt8](Data(contentsOf: input))
            let finding = target.run(bytes)
            #expect(finding == nil, "\(input.lastPathComponent): \(finding ?? "")")
        }
    }
}
