import Foundation
import RHBatchFuzz

// Built two ways (Scripts/fuzz.sh):
// - with `-sanitize=fuzzer,address -D RH_FUZZ`: libFuzzer's entry point; the target is named by
//   RH_FUZZ_TARGET, and a finding traps so that libFuzzer keeps the input;
// - without: `rh-batch-fuzz TARGET FILE...` runs files through a target and prints what it finds
//   (to reproduce a crash input without the fuzzing build).

#if RH_FUZZ
    nonisolated(unsafe) private var target: FuzzTarget = .manifest

    @_cdecl("LLVMFuzzerInitialize")
    public func fuzzInitialize(
        _ argc: UnsafeMutablePointer<CInt>,
        _ argv: UnsafeMutablePointer<UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?>
    ) -> CInt {
        let name = ProcessInfo.processInfo.environment["RH_FUZZ_TARGET"] ?? ""
        guard let chosen = FuzzTarget(rawValue: name) else {
            let names = FuzzTarget.allCases.map(\.rawValue).joined(separator: ", ")
            FileHandle.standardError.write(Data("RH_FUZZ_TARGET must be one of: \(names)\n".utf8))
            exit(2)
        }
        target = chosen
        return 0
    }

    @_cdecl("LLVMFuzzerTestOneInput")
    public func fuzzOneInput(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
        let bytes = data.map { Array(UnsafeBufferPointer(start: $0, count: size)) } ?? []
        if let finding = target.run(bytes) { fatalError("finding (\(target.rawValue)): \(finding)") }
        return 0
    }

    /// libFuzzer's driver (LLVM 12 and later), started from this module's entry point: SwiftPM
    /// links an executable's `main` to `<module>_main`, so libFuzzer's own `main` is not used.
    @_silgen_name("LLVMFuzzerRunDriver")
    func runDriver(
        _ argc: UnsafeMutablePointer<CInt>,
        _ argv: UnsafeMutablePointer<UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?>,
        _ callback: @convention(c) (UnsafePointer<UInt8>?, Int) -> CInt
    ) -> CInt

    @_cdecl("rh_batch_fuzz_main")
    public func fuzzMain(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> CInt {
        var count = argc
        var arguments = argv
        return runDriver(&count, &arguments) { data, size in fuzzOneInput(data, size) }
    }
#else
    @main
    struct FuzzReplay {
        static func main() {
            let arguments = Array(CommandLine.arguments.dropFirst())
            guard let name = arguments.first, let target = FuzzTarget(rawValue: name), arguments.count > 1 else {
                let names = FuzzTarget.allCases.map(\.rawValue).joined(separator: "|")
                print("usage: rh-batch-fuzz \(names) FILE...")
                exit(2)
            }
            var findings = 0
            for path in arguments.dropFirst() {
                guard let data = FileManager.default.contents(atPath: path) else {
                    print("\(path): cannot read")
                    exit(2)
                }
                if let finding = target.run(Array(data)) {
                    print("\(path): \(finding)")
                    findings += 1
                }
            }
            exit(findings == 0 ? 0 : 1)
        }
    }
#endif
