import Foundation
import NIOHTTP1
import RHBatchCore
import RunningHubAPI
import RunningHubModel
import RunningHubWebhook
import YAML

/// The fuzz targets (issue 27): one for each kind of input rh-batch reads but does not control.
///
/// Each takes any bytes and returns `nil`, or a finding: a promise the code broke (an error
/// without a place, two readers that disagree, a value past a documented cap). A crash or a trap
/// is a finding too; `rh-batch-fuzz` turns a returned finding into one, so libFuzzer keeps the
/// input. The test suite replays the committed seeds and regressions through the same targets.
package enum FuzzTarget: String, CaseIterable, Sendable {
    /// Manifest bytes through the whole frontend (`validate` in process).
    case manifest
    /// Journal lines: the in-place reader and the record parser side by side, and the file reader.
    case journal
    /// Every API answer the client reads, by endpoint (the first byte picks it, the second the
    /// HTTP status).
    case api
    /// Webhook callback bodies.
    case webhook
    /// `report.json` of another folder (`view`, `merge`).
    case report
    /// A catalog or the vendor's registry (`--catalog`, `catalog import`).
    case catalog
    /// A table (`rows: FILE`): CSV, TSV, JSON Lines or text by the first byte.
    case table

    /// Runs one input.
    package func run(_ bytes: [UInt8]) -> String? {
        switch self {
        case .manifest: Self.manifest(bytes)
        case .journal: Self.journal(bytes)
        case .api: Self.api(bytes)
        case .webhook: Self.webhook(bytes)
        case .report: Self.report(bytes)
        case .catalog: Self.catalog(bytes)
        case .table: Self.table(bytes)
        }
    }

    // MARK: Manifest

    /// The folder the manifest target's input is read as if it were in (`manifests/fuzz.yaml`),
    /// beside a link to the repository's `samples`, so the example manifests work as seeds. The
    /// folder is the process's own and goes when it exits.
    static let folder: String = {
        let folder = NSTemporaryDirectory() + "rh-batch-fuzz-\(getpid())"
        try? FileManager.default.createDirectory(atPath: folder + "/manifests", withIntermediateDirectories: true)
        let samples = FileManager.default.currentDirectoryPath + "/samples"
        try? FileManager.default.createSymbolicLink(atPath: folder + "/samples", withDestinationPath: samples)
        atexit {
            // The link alone, never the samples it points to; the manifests folder is empty.
            unlink(FuzzTarget.folder + "/samples")
            rmdir(FuzzTarget.folder + "/manifests")
            rmdir(FuzzTarget.folder)
        }
        return folder
    }()

    static func manifest(_ bytes: [UInt8]) -> String? {
        let path = folder + "/manifests/fuzz.yaml"
        let lines = lineCount(bytes)
        do {
            let plan = try ManifestLoader().load(bytes: bytes, path: path)
            for diagnostic in plan.warnings where diagnostic.mark.line < 1 || diagnostic.mark.column < 1 {
                return "unlocated warning: \(diagnostic)"
            }
        } catch {
            let errors = error.diagnostics.filter { $0.severity == .error }
            guard !errors.isEmpty else { return "the manifest was refused without an error" }
            for diagnostic in errors {
                if diagnostic.message.isEmpty { return "an error without a message: \(diagnostic)" }
                if diagnostic.mark.line < 1 || diagnostic.mark.column < 1 { return "unlocated error: \(diagnostic)" }
                if diagnostic.mark.source == 0, diagnostic.mark.line > lines + 1 {
                    return "an error past the end of the file (\(lines) lines): \(diagnostic)"
                }
            }
        }
        return nil
    }

    /// Lines as YAML counts them: LF, CR, CR LF, and the Unicode breaks NEL, LS and PS.
    static func lineCount(_ bytes: [UInt8]) -> Int {
        var lines = 1
        var index = 0
        while index < bytes.count {
            switch bytes[index] {
            case 0x0A: lines += 1
            case 0x0D: if index + 1 >= bytes.count || bytes[index + 1] != 0x0A { lines += 1 }
            case 0xC2 where index + 1 < bytes.count && bytes[index + 1] == 0x85: lines += 1
            case 0xE2 where index + 2 < bytes.count && bytes[index + 1] == 0x80 && (bytes[index + 2] & 0xFE) == 0xA8:
                lines += 1
            default: break
            }
            index += 1
        }
        return lines
    }

    // MARK: Journal

    static func journal(_ bytes: [UInt8]) -> String? {
        var inPlace = JournalState()
        var parsed = JournalState()
        var start = 0
        var lineNumber = 0
        while start <= bytes.count {
            let end = bytes[start...].firstIndex(of: 0x0A) ?? bytes.count
            lineNumber += 1
            let finding: String? = bytes[start..<end].withUnsafeBufferPointer { line in
                let record = JournalRecord.parse(line)
                if JournalLine(line) != nil, record == nil {
                    return "line \(lineNumber): the in-place reader takes a line the parser refuses"
                }
                if inPlace.apply(line: line) != (record != nil) {
                    return "line \(lineNumber): the two readers disagree on whether it is a record"
                }
                if let record { parsed.apply(record) }
                return nil
            }
            if let finding { return finding }
            start = end + 1
        }
        if inPlace.compacted(at: "t") != parsed.compacted(at: "t") {
            return "the in-place reader and the parser fold the lines to different states"
        }
        // The file reader (pieces, a carried last line, the damaged-line error) on the same bytes,
        // in pieces of 1 to 64 bytes (the first byte's low bits) and in one piece: the same result.
        let pieceSize = Int(bytes.first ?? 0) % 64 + 1
        let small = readJournal(bytes, pieceSize: pieceSize)
        let whole = readJournal(bytes, pieceSize: max(bytes.count, 1))
        switch (small, whole) {
        case (.success(let records), .success(let again)):
            if records != again { return "the journal reads differently in pieces of \(pieceSize) bytes" }
            // Its compacted form reads back to the same state.
            var state = JournalState()
            for record in records { state.apply(record) }
            if state.compacted(at: "t") != records { return "a compacted journal does not read back the same" }
        case (.failure(let error), .failure(let other)):
            if error.line != other.line { return "the journal's damaged line depends on the piece size" }
            if let line = error.line, line < 1 || line > lineNumber {
                return "a journal error at line \(line) of \(lineNumber)"
            }
        default:
            return "the journal reads in pieces of \(pieceSize) bytes but not whole, or the other way"
        }
        return nil
    }

    static func readJournal(_ bytes: [UInt8], pieceSize: Int) -> Result<[JournalRecord], JournalError> {
        do {
            let contents = try Journal.fold(path: "journal.jsonl", size: bytes.count) { body in
                bytes.withUnsafeBytes { all in
                    var start = 0
                    while start < all.count {
                        let end = min(start + pieceSize, all.count)
                        if !body(UnsafeRawBufferPointer(rebasing: all[start..<end])) { break }
                        start = end
                    }
                }
                return nil
            }
            return .success(contents.state.compacted(at: "t"))
        } catch {
            return .failure(error)
        }
    }

    // MARK: API answers

    static let statuses = [200, 200, 200, 200, 400, 401, 404, 429, 500, 502, 503]

    static func api(_ bytes: [UInt8]) -> String? {
        guard bytes.count >= 2 else { return nil }
        let status = statuses[Int(bytes[1]) % statuses.count]
        let body = Array(bytes.dropFirst(2))
        var headers = HTTPHeaders()
        if bytes[0] & 0x80 != 0 {
            headers.add(name: "Retry-After", value: String(decoding: body.prefix(8), as: UTF8.self))
        }
        switch bytes[0] & 0x7F % 10 {
        case 0:
            switch RunningHubClient.submitOutcome(status: status, headers: headers, body: body) {
            case .accepted(let snapshot): return check(snapshot)
            case .refused(let failure), .unknown(let failure): return check(failure)
            }
        case 1:
            switch RunningHubClient.queryOutcome(status: status, headers: headers, body: body, taskId: "1") {
            case .task(let snapshot): return check(snapshot)
            case .failed(let failure): return check(failure)
            }
        case 2:
            do {
                let file = try RunningHubClient.uploadedFile(status: status, body: body)
                if file.url.isEmpty { return "an upload answer taken without a URL" }
            } catch { return check(error.failure) }
        case 3:
            _ = try? RunningHubClient.queueStatus(RunningHubClient.checkedEnvelope(status: status, body: body))
        case 4:
            _ = try? RunningHubClient.accountStatus(RunningHubClient.checkedEnvelope(status: status, body: body))
        case 5:
            if let data = try? RunningHubClient.definitionBytes(
                RunningHubClient.checkedEnvelope(status: status, body: body))
            {
                _ = try? WorkflowDefinition.graph(id: "1", bytes: data)
            }
            _ = try? WorkflowDefinition.graph(id: "1", bytes: body)
        case 6:
            if let data = try? RunningHubClient.definitionBytes(
                RunningHubClient.checkedEnvelope(status: status, body: body))
            {
                _ = try? WorkflowDefinition.app(id: "1", bytes: data)
            }
            _ = try? WorkflowDefinition.app(id: "1", bytes: body)
        case 7:
            _ = RunningHubClient.legacyUsage(body: body)
        case 8:
            let format = MediaFormat(magic: body, allowText: true)
            if let format, !MediaFormat.allCases.contains(format) { return "an unknown media format" }
            _ = RunningHubClient.inlineBytes(String(decoding: body, as: UTF8.self))
        default:
            let url = String(decoding: body, as: UTF8.self)
            _ = try? RunningHubClient.checkDownloadTarget(url, apiBaseURL: "https://www.runninghub.cn/openapi/v2")
        }
        return nil
    }

    static func check(_ snapshot: TaskSnapshot) -> String? {
        if snapshot.taskId.isEmpty { return "a task taken without an id" }
        if snapshot.taskId.utf8.count > RunningHubClient.maximumTaskIdLength { return "a task id past the cap" }
        if snapshot.results.count > RunningHubClient.maximumResults { return "more results than the cap" }
        for result in snapshot.results where result.url.isEmpty { return "a result without a URL" }
        for result in snapshot.results
        where !result.url.hasPrefix("data:") && result.url.utf8.count > RunningHubClient.maximumURLLength {
            return "a result URL past the cap"
        }
        if let message = snapshot.errorMessage, message.utf8.count > RunningHubClient.maximumMessageLength + 3 {
            return "an error message past the cap"
        }
        return nil
    }

    static func check(_ failure: APIFailure) -> String? {
        if failure.code.isEmpty { return "a failure without a code" }
        if failure.code.count > 64 { return "a failure code past the cap" }
        // A message is capped where it comes from the answer; the client's own wording around a
        // described body stays short too.
        if failure.message.utf8.count > RunningHubClient.maximumMessageLength + 1_000 {
            return "a failure message past the cap"
        }
        return nil
    }

    // MARK: Webhook callbacks

    static func webhook(_ bytes: [UInt8]) -> String? {
        let (taskId, isTaskEnd) = WebhookReceiver.parse(bytes)
        if let taskId, taskId.isEmpty || taskId.count > 64 { return "a callback task id that is empty or too long" }
        if taskId == nil, isTaskEnd { return "a task end without a task id" }
        return nil
    }

    // MARK: report.json

    static func report(_ bytes: [UInt8]) -> String? {
        guard let report = try? ReportFile.decode(bytes, path: "report.json") else { return nil }
        // What was read writes and reads back the same.
        let encoder = JSONEncoder()
        encoder.outputFormatting = .sortedKeys
        guard let first = try? encoder.encode(report) else { return "a report read cannot be written" }
        guard let again = try? JSONDecoder().decode(ReportFile.self, from: first),
            let second = try? encoder.encode(again)
        else { return "a report written cannot be read" }
        return first == second ? nil : "a report does not read back the same"
    }

    // MARK: Catalogs

    static func catalog(_ bytes: [UInt8]) -> String? {
        // A registry and its price table, when the input holds a NUL between them.
        let parts = bytes.split(separator: 0, maxSplits: 1, omittingEmptySubsequences: false)
        let pricing = parts.count == 2 ? (data: Data(parts[1]), file: "pricing.json") : nil
        do {
            let file = try CatalogFile.decode(Data(parts[0]), file: "registry.json", pricing: pricing)
            let catalog = file.catalog()
            for name in catalog.allNames where name.isEmpty { return "a model without a name" }
            guard let encoded = try? file.encoded() else { return "a catalog read cannot be written" }
            guard let again = try? CatalogFile.decode(encoded, file: "catalog.json", pricing: nil),
                let reencoded = try? again.encoded()
            else { return "a catalog written cannot be read" }
            if encoded != reencoded { return "a catalog does not read back the same" }
        } catch {
            if error.line < 1 || error.column < 1 { return "an unlocated catalog error: \(error)" }
        }
        return nil
    }

    // MARK: Tables

    static func table(_ bytes: [UInt8]) -> String? {
        guard let first = bytes.first else { return nil }
        let kind = TableFile.Kind.allCases[Int(first) % TableFile.Kind.allCases.count]
        do {
            let table = try TableFile.parse(
                Array(bytes.dropFirst()), kind: kind, path: "table." + kind.rawValue, source: 1)
            if kind == .csv || kind == .tsv {
                // CSV.swift reading every record finds the same cells as the split of plain ones.
                let whole = try? TableFile.parse(
                    Array(bytes.dropFirst()), kind: kind, path: "table." + kind.rawValue, source: 1,
                    splittingPlainRecords: false)
                if whole?.columns != table.columns || whole?.cells != table.cells {
                    return "a plain record split differs from CSV.swift's reading"
                }
            }
            for row in 0..<table.rowCount {
                let mark = table.mark(row: row)
                if mark.line < 1 || mark.column < 1 { return "an unlocated row \(row)" }
                for column in table.columns.indices {
                    _ = table.cell(row, column)
                    let cell = table.mark(row: row, column: column)
                    if cell.line < 1 || cell.column < 1 { return "an unlocated cell \(row), \(column)" }
                }
            }
        } catch {
            if let mark = error.mark, mark.line < 1 || mark.column < 1 { return "an unlocated table error" }
            if error.message.isEmpty { return "a table error without a message" }
        }
        return nil
    }
}
