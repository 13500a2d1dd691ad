import CSV
import Foundation
import YAML

/// A table a manifest names (`rows: FILE`, `prompts: FILE`, `images: FILE`), read whole: its
/// columns and each row's cells, with where every row starts so that a problem in a cell is
/// reported at the cell (`captions.csv:17:3`).
///
/// This type finds where each CSV or TSV record and cell starts and refuses what RFC 4180 does
/// not allow (a quoted cell that never closes, text after a closing quote), which CSV.swift would
/// silently read as one long cell. CSV.swift reads the records with a '"' inside a cell (an
/// escaped quote); the others, checked already, are split where the scan found their cells,
/// which reads a million rows several times faster and gives the same cells (tests and the
/// table fuzz target compare the two). JSON Lines are read a line at a time; text files are one
/// prompt a line.
package struct TableFile: Sendable {
    /// The kinds of table, by file extension.
    package enum Kind: String, Sendable, CaseIterable {
        case csv, tsv, jsonl, txt
    }

    /// One cell: nothing (an empty cell, a JSON `null` or a missing member), text, or a list of
    /// texts (a JSON list, for several files in one cell).
    package enum Cell: Sendable, Hashable {
        case empty
        case text(String)
        case list([String])
    }

    /// A problem with the file as a whole (no mark: it is reported where the manifest names the
    /// file) or at a place in it.
    package struct Problem: Error, Sendable {
        package var message: String
        package var mark: Mark?
    }

    /// The largest table read, in bytes (its lines are counted in 32 bits).
    package static let maxFileSize = 1024 * 1024 * 1024

    /// The path errors show (the manifest's folder joined with the path as written).
    package let path: String
    /// The mark source that errors in this file carry (``Diagnostics/source(for:)``).
    package let source: Int32
    /// What kind of file it is.
    package let kind: Kind
    /// Column names, in file order.
    package let columns: [String]
    /// The cells, a row after another.
    package private(set) var cells: [Cell]
    /// The line each row starts on.
    package let lines: [Int32]
    /// Where each row starts in the file, in bytes (for the column of a cell in an error).
    private let offsets: [Int]
    /// The line of the header (column names), when the file has one.
    package let headerLine: Int
    /// Where the header starts in the file.
    private let headerOffset: Int
    /// The file's bytes, kept to locate cells in errors; dropped by ``droppingContents()``.
    private var bytes: Bytes?

    /// The file's bytes, shared (a table can be large).
    final class Bytes: Sendable {
        let contents: [UInt8]
        init(_ contents: [UInt8]) { self.contents = contents }
    }

    /// Rows read.
    package var rowCount: Int { lines.count }

    /// The cell of a row (from 0) in a column (from 0).
    package func cell(_ row: Int, _ column: Int) -> Cell {
        cells[row * columns.count + column]
    }

    /// The table without its cells and bytes: what a plan keeps to say which row made a job.
    package func droppingContents() -> TableFile {
        var copy = self
        copy.cells = []
        copy.bytes = nil
        return copy
    }

    /// The kind of table a file name says, or `nil`.
    package static func kind(of path: String) -> Kind? {
        guard let dot = path.lastIndex(of: "."), !path[dot...].contains("/") else { return nil }
        return Kind(rawValue: path[path.index(after: dot)...].lowercased())
    }

    // MARK: Reading

    /// Reads the table at `absolutePath`.
    ///
    /// - Throws: a ``Problem`` located in the file (mark source `source`) for a malformed file,
    ///   or at line 1 for one that cannot be read at all.
    package static func read(absolutePath: String, path: String, source: Int32) throws(Problem) -> TableFile {
        guard let kind = kind(of: path) else {
            let known = Kind.allCases.map { "." + $0.rawValue }.joined(separator: ", ")
            throw Problem(message: "cannot tell what kind of table '\(path)' is: use \(known)", mark: nil)
        }
        var bytes: [UInt8]
        switch FileSystem.status(absolutePath) {
        case .missing:
            throw Problem(message: "the table '\(path)' does not exist", mark: nil)
        case .directory:
            throw Problem(message: "'\(path)' is a folder, not a table", mark: nil)
        case .regular(let size, _) where size > maxFileSize:
            throw Problem(message: "'\(path)' is \(size) bytes; a table may be at most 1 GiB", mark: nil)
        case .failure(let reason):
            throw Problem(message: "cannot read the table '\(path)': \(reason)", mark: nil)
        case .other:
            throw Problem(message: "'\(path)' is not a regular file (a device or a pipe?), so not a table", mark: nil)
        default:
            switch FileSystem.readAll(absolutePath) {
            case .success(let contents):
                // A file that grew since it was looked at is still held to the limit.
                guard contents.count <= maxFileSize else {
                    throw Problem(message: "'\(path)' is over 1 GiB; a table may be at most 1 GiB", mark: nil)
                }
                bytes = contents
            case .failure(let reason): throw Problem(message: "cannot read the table '\(path)': \(reason)", mark: nil)
            case .missing: throw Problem(message: "the table '\(path)' does not exist", mark: nil)
            }
        }
        return try parse(bytes, kind: kind, path: path, source: source)
    }

    /// Reads a table's bytes (``read(absolutePath:path:source:)`` after the read, and the table
    /// fuzz target). `splittingPlainRecords: false` has CSV.swift read every record of a CSV or
    /// TSV, not only those with a '"' (for tests that the two readings agree).
    package static func parse(
        _ bytes: [UInt8], kind: Kind, path: String, source: Int32, splittingPlainRecords: Bool = true
    ) throws(Problem) -> TableFile {
        var bytes = bytes
        // A UTF-8 byte order mark, as spreadsheets write it, is not part of the first column's name.
        if bytes.starts(with: [0xEF, 0xBB, 0xBF]) { bytes.removeFirst(3) }
        var reader = TableScanner(bytes: bytes, source: source)
        reader.splitsPlainRecords = splittingPlainRecords
        try reader.checkUTF8()
        switch kind {
        case .csv: return try reader.delimited(UInt8(ascii: ","), path: path, kind: kind)
        case .tsv: return try reader.delimited(UInt8(ascii: "\t"), path: path, kind: kind)
        case .jsonl: return try reader.jsonLines(path: path)
        case .txt: return try reader.promptLines(path: path)
        }
    }

    fileprivate init(
        path: String, source: Int32, kind: Kind, columns: [String], cells: [Cell], lines: [Int32], offsets: [Int],
        headerLine: Int, headerOffset: Int, bytes: [UInt8]
    ) {
        self.headerOffset = headerOffset
        self.path = path
        self.source = source
        self.kind = kind
        self.columns = columns
        self.cells = cells
        self.lines = lines
        self.offsets = offsets
        self.headerLine = headerLine
        self.bytes = Bytes(bytes)
    }

    // MARK: Locating

    /// Where a row starts.
    package func mark(row: Int) -> Mark {
        Mark(line: Int(lines[row]), column: 1, source: source)
    }

    /// Where a cell starts (row `nil`: the column's name in the header).
    package func mark(row: Int?, column: Int) -> Mark {
        let rowMark = row.map { mark(row: $0) } ?? Mark(line: headerLine, column: 1, source: source)
        guard let bytes = bytes?.contents else { return rowMark }
        let start = row.map { offsets[$0] } ?? headerOffset
        switch kind {
        case .txt:
            return rowMark
        case .csv, .tsv:
            let delimiter = kind == .csv ? UInt8(ascii: ",") : UInt8(ascii: "\t")
            guard let at = TableScanner.fieldStart(bytes, from: start, column: column, delimiter: delimiter) else {
                return rowMark
            }
            return TableScanner.mark(bytes, at: at, lineStart: start, line: rowMark.line, source: source)
        case .jsonl:
            guard column < columns.count else { return rowMark }
            // The member's name in the line (for a column: its first line).
            let needle = Array(("\"" + columns[column] + "\"").utf8)
            var index = start
            while index < bytes.count, row == nil || bytes[index] != UInt8(ascii: "\n") {
                if bytes[index...].starts(with: needle) {
                    if row == nil {
                        return TableScanner(bytes: bytes, source: source).problem("", at: index).mark ?? rowMark
                    }
                    return TableScanner.mark(bytes, at: index, lineStart: start, line: rowMark.line, source: source)
                }
                index += 1
            }
            return rowMark
        }
    }
}

/// One pass over a table's bytes.
private struct TableScanner {
    let bytes: [UInt8]
    let source: Int32
    /// Whether a record without a '"' is split at the delimiter here rather than read by CSV.swift.
    var splitsPlainRecords = true

    func problem(_ message: String, at offset: Int) -> TableFile.Problem {
        let (line, lineStart) = lineOf(offset)
        return TableFile.Problem(
            message: message, mark: Self.mark(bytes, at: offset, lineStart: lineStart, line: line, source: source))
    }

    /// The line (from 1) an offset is on and where that line starts.
    func lineOf(_ offset: Int) -> (Int, Int) {
        var line = 1
        var start = 0
        var index = 0
        while index < offset && index < bytes.count {
            // A line ends at LF, or at a CR not followed by LF (as the record scanner counts).
            let byte = bytes[index]
            if byte == UInt8(ascii: "\n") || byte == UInt8(ascii: "\r") && bytes.at(index + 1) != UInt8(ascii: "\n") {
                line += 1
                start = index + 1
            }
            index += 1
        }
        return (line, start)
    }

    /// The mark of `offset`, counting lines from `lineStart` (on `line`) and columns in characters.
    static func mark(_ bytes: [UInt8], at offset: Int, lineStart: Int, line: Int, source: Int32) -> Mark {
        var line = line
        var column = 1
        var index = lineStart
        while index < offset && index < bytes.count {
            let byte = bytes[index]
            if byte == UInt8(ascii: "\n") || byte == UInt8(ascii: "\r") && bytes.at(index + 1) != UInt8(ascii: "\n") {
                line += 1
                column = 1
            } else if byte == UInt8(ascii: "\r") {
            } else if byte & 0xC0 != 0x80 {
                column += 1
            }
            index += 1
        }
        return Mark(line: line, column: column, source: source)
    }

    func checkUTF8() throws(TableFile.Problem) {
        // The standard library checks valid text fast, in place (a `String(validating:)` would
        // copy the whole file first); only invalid text is walked to the offset.
        if (try? UTF8Span(validating: bytes.span)) != nil { return }
        var iterator = bytes.makeIterator()
        var decoder = UTF8()
        var offset = 0
        var position = 0
        // The decoder reads ahead; count the bytes each scalar took.
        while true {
            switch decoder.decode(&iterator) {
            case .scalarValue(let scalar):
                position += UTF8.width(scalar)
                offset = position
            case .emptyInput:
                return
            case .error:
                throw problem("the table is not UTF-8 text (save it as UTF-8)", at: offset)
            }
        }
    }

    // MARK: CSV and TSV

    /// The start of each field of the record at `start`.
    static func fieldStarts(_ bytes: [UInt8], from start: Int, delimiter: UInt8) -> [Int] {
        var starts: [Int] = []
        forEachFieldStart(bytes, from: start, delimiter: delimiter) {
            starts.append($0)
            return true
        }
        return starts
    }

    /// The start of the field `column` of the record at `start`, if it has one.
    static func fieldStart(_ bytes: [UInt8], from start: Int, column: Int, delimiter: UInt8) -> Int? {
        var found: Int?
        var seen = 0
        forEachFieldStart(bytes, from: start, delimiter: delimiter) {
            if seen == column { found = $0 }
            seen += 1
            return found == nil
        }
        return found
    }

    /// Calls `body` with the start of each field of the record at `start`, while it says `true`.
    static func forEachFieldStart(_ bytes: [UInt8], from start: Int, delimiter: UInt8, _ body: (Int) -> Bool) {
        guard body(start) else { return }
        var index = start
        var fieldStart = true
        while index < bytes.count {
            let byte = bytes[index]
            if fieldStart && byte == UInt8(ascii: "\"") {
                index += 1
                while index < bytes.count {
                    if bytes[index] == UInt8(ascii: "\"") {
                        if index + 1 < bytes.count && bytes[index + 1] == UInt8(ascii: "\"") {
                            index += 2
                            continue
                        }
                        break
                    }
                    index += 1
                }
                index += 1
                fieldStart = false
                continue
            }
            if byte == delimiter {
                index += 1
                guard body(index) else { return }
                fieldStart = true
            } else if byte == UInt8(ascii: "\n") || byte == UInt8(ascii: "\r") {
                break
            } else {
                fieldStart = false
                index += 1
            }
        }
    }

    /// One record of a delimited table: where it starts and ends (before its line break), its
    /// line, and whether a '"' is in one of its cells (doubled in a quoted cell, or in an unquoted
    /// one): CSV.swift reads such a record, and the others are split here.
    struct Record {
        var offset: Int
        var end: Int
        var line: Int32
        var escaped: Bool
    }

    /// Where each record starts and on which line, checking the quoting.
    func records(delimiter: UInt8) throws(TableFile.Problem) -> [Record] {
        var records: [Record] = []
        records.reserveCapacity(bytes.count / 32 + 1)
        var index = 0
        var line: Int32 = 1
        var recordStart = 0
        var recordLine: Int32 = 1
        var fieldStart = true
        var escaped = false
        let count = bytes.count
        let quote = UInt8(ascii: "\"")
        let lf = UInt8(ascii: "\n")
        let cr = UInt8(ascii: "\r")
        while index < count {
            let byte = bytes[index]
            if fieldStart && byte == quote {
                let opened = index
                index += 1
                var closed = false
                while index < count {
                    let inner = bytes[index]
                    if inner == quote {
                        if index + 1 < count && bytes[index + 1] == quote {
                            escaped = true
                            index += 2
                            continue
                        }
                        closed = true
                        index += 1
                        break
                    }
                    if inner == lf || inner == cr && bytes.at(index + 1) != lf { line += 1 }
                    index += 1
                }
                guard closed else { throw problem("this quoted cell is never closed (a '\"' is missing)", at: opened) }
                if index < count, bytes[index] != delimiter, bytes[index] != lf, bytes[index] != cr {
                    throw problem(
                        "text after a quoted cell's closing quote: a '\"' inside a quoted cell is written '\"\"'",
                        at: index)
                }
                fieldStart = false
                continue
            }
            if byte == delimiter {
                fieldStart = true
                index += 1
            } else if byte == lf || byte == cr {
                records.append(Record(offset: recordStart, end: index, line: recordLine, escaped: escaped))
                index += byte == cr && index + 1 < count && bytes[index + 1] == lf ? 2 : 1
                line += 1
                recordStart = index
                recordLine = line
                fieldStart = true
                escaped = false
            } else {
                // A '"' inside an unquoted cell is text; the record goes to CSV.swift.
                if byte == quote { escaped = true }
                fieldStart = false
                index += 1
            }
        }
        if recordStart < count {
            records.append(Record(offset: recordStart, end: count, line: recordLine, escaped: escaped))
        }
        return records
    }

    func delimited(_ delimiter: UInt8, path: String, kind: TableFile.Kind) throws(TableFile.Problem) -> TableFile {
        var records = try records(delimiter: delimiter)
        if !splitsPlainRecords {
            for index in records.indices { records[index].escaped = true }
        }
        let parsed = try Self.parse(bytes, records, delimiter: delimiter)
        var header: [String]?
        var headerLine = 1
        var headerOffset = 0
        var cells: [TableFile.Cell] = []
        var lines: [Int32] = []
        var offsets: [Int] = []
        cells.reserveCapacity(parsed.reduce(0) { $0 + $1.cells.count })
        lines.reserveCapacity(records.count)
        offsets.reserveCapacity(records.count)
        var recordIndex = 0
        for part in parsed {
            var start = 0
            for count in part.counts {
                let record = records[recordIndex]
                let row = part.cells[start..<start + Int(count)]
                recordIndex += 1
                start += Int(count)
                // A blank line is no row.
                if row.count == 1 && row.first!.isEmpty { continue }
                guard let columns = header else {
                    header = Array(row)
                    headerLine = Int(record.line)
                    headerOffset = record.offset
                    try checkHeader(Array(row), offset: record.offset, delimiter: delimiter)
                    continue
                }
                if row.count != columns.count {
                    let starts = Self.fieldStarts(bytes, from: record.offset, delimiter: delimiter)
                    let at = row.count > columns.count ? starts[min(columns.count, starts.count - 1)] : record.offset
                    throw problem(
                        "this row has \(row.count) cells and the header \(columns.count): a cell with a '\(delimiter == 9 ? "\\t" : ",")' in it must be quoted",
                        at: at)
                }
                for value in row { cells.append(value.isEmpty ? .empty : .text(value)) }
                lines.append(record.line)
                offsets.append(record.offset)
            }
        }
        guard let columns = header else {
            throw TableFile.Problem(
                message: "the table '\(path)' is empty: it needs a header row",
                mark: Mark(line: 1, column: 1, source: source))
        }
        return TableFile(
            path: path, source: source, kind: kind, columns: columns, cells: cells, lines: lines, offsets: offsets,
            headerLine: headerLine, headerOffset: headerOffset, bytes: bytes)
    }

    /// The values of a run of records, one after another, and how many each record has.
    struct Values {
        var cells: [String] = []
        var counts: [Int32] = []
    }

    /// The records' values, in parts of records one after another. A record with a '"' in a
    /// cell (a doubled quote in a quoted cell, a quote in an unquoted one) is parsed by CSV.swift.
    /// The others, whose quoting `records` checked, are split here: at the delimiter, and a quoted
    /// cell is its text between its quotes, line breaks and all, as CSV.swift reads it
    /// (`TableTests` and the table fuzz target check that the two agree); that costs far less than
    /// the package's reading a scalar at a time. A large table is read in two halves at once,
    /// split at a record boundary. The values go into one list a part, not a list a record (a
    /// million records were a million lists).
    static func parse(_ bytes: [UInt8], _ records: [Record], delimiter: UInt8) throws(TableFile.Problem) -> [Values] {
        let parts = records.count >= 50_000 ? 2 : 1
        let halves = inParts(parts) { (part: Int) -> Values in
            let slice = records[records.count * part / parts..<records.count * (part + 1) / parts]
            // The escaped records of this part, one after another, for one reader.
            var escapedText: [UInt8] = []
            for record in slice where record.escaped {
                escapedText += bytes[record.offset..<record.end]
                escapedText.append(UInt8(ascii: "\n"))
            }
            var reader: CSVReader?
            if !escapedText.isEmpty {
                let text = String(decoding: escapedText, as: UTF8.self)
                reader = try? CSVReader(string: text, hasHeaderRow: false, delimiter: Unicode.Scalar(delimiter))
                if reader == nil { return Values() }
            }
            var values = Values()
            values.counts.reserveCapacity(slice.count)
            for record in slice {
                let before = values.cells.count
                if record.escaped {
                    guard let row = reader?.next() else { return values }
                    values.cells += row
                } else {
                    split(bytes, record.offset..<record.end, at: delimiter, into: &values.cells)
                }
                if values.counts.isEmpty, let last = slice.last {
                    // Room for as many cells a record as the first has (most records have as
                    // many), and never for more than the part's bytes could hold.
                    values.cells.reserveCapacity(
                        min(values.cells.count * slice.count, last.end - record.offset + slice.count))
                }
                values.counts.append(Int32(values.cells.count - before))
            }
            return values
        }
        let parsed = halves.reduce(0) { $0 + $1.counts.count }
        guard parsed == records.count else {
            throw TableFile.Problem(
                message: "cannot read the table: \(parsed) rows parsed for \(records.count) records",
                mark: nil)
        }
        return halves
    }

    /// Appends the values of a record without a '"' in a cell to `cells`: the text between
    /// delimiters, or between the quotes of a quoted cell (which `records` found closed, and
    /// followed by a delimiter or the record's end).
    static func split(_ bytes: [UInt8], _ range: Range<Int>, at delimiter: UInt8, into cells: inout [String]) {
        var index = range.lowerBound
        let quote = UInt8(ascii: "\"")
        while true {
            if index < range.upperBound && bytes[index] == quote {
                let open = index + 1
                var close = open
                while bytes[close] != quote { close += 1 }
                cells.append(String(decoding: bytes[open..<close], as: UTF8.self))
                index = close + 1
            } else {
                var end = index
                while end < range.upperBound && bytes[end] != delimiter { end += 1 }
                cells.append(String(decoding: bytes[index..<end], as: UTF8.self))
                index = end
            }
            if index >= range.upperBound { return }
            index += 1
        }
    }

    func checkHeader(_ names: [String], offset: Int, delimiter: UInt8) throws(TableFile.Problem) {
        let starts = Self.fieldStarts(bytes, from: offset, delimiter: delimiter)
        var seen: Set<String> = []
        for (index, name) in names.enumerated() {
            let at = index < starts.count ? starts[index] : offset
            if name.trimmed.isEmpty { throw problem("column \(index + 1) has no name in the header row", at: at) }
            if !seen.insert(name).inserted { throw problem("the column '\(name)' is named twice", at: at) }
        }
    }

    // MARK: JSON Lines and text

    /// Every line of the file (split at LF): where it starts and ends, and its number.
    func textLines() -> [(start: Int, end: Int, line: Int32)] {
        var result: [(start: Int, end: Int, line: Int32)] = []
        var start = 0
        var line: Int32 = 1
        while start < bytes.count {
            let end = bytes[start...].firstIndex(of: UInt8(ascii: "\n")) ?? bytes.count
            result.append((start, end, line))
            start = end + 1
            line += 1
        }
        return result
    }

    func jsonLines(path: String) throws(TableFile.Problem) -> TableFile {
        var columns: [String] = []
        var columnIndex: [String: Int] = [:]
        var rows: [[(Int, TableFile.Cell)]] = []
        var lines: [Int32] = []
        var offsets: [Int] = []
        let nonBlank = textLines().filter { line in
            bytes[line.start..<line.end].contains(where: { $0 != 32 && $0 != 9 && $0 != 13 })
        }
        let parsed = Self.parseLines(bytes, nonBlank.map { $0.start..<$0.end })
        rows.reserveCapacity(nonBlank.count)
        for ((start, end, line), parsed) in zip(nonBlank, parsed) {
            func offset(of name: String) -> Int {
                let needle = Array(("\"" + name + "\"").utf8)
                return (start..<end).first { bytes[$0...].starts(with: needle) } ?? start
            }
            let members: [(name: String, cell: TableFile.Cell)]
            switch parsed {
            case .notJSON:
                throw problem("this line is not JSON: each line of a .jsonl table is one JSON object", at: start)
            case .notObject(let type):
                throw problem("this line is \(type), not a JSON object", at: start)
            case .badMember(let name, let type):
                throw problem(
                    "'\(name)' is \(type); a cell is text, a number, true or false, or a list of texts",
                    at: offset(of: name))
            case .members(let cells):
                members = cells
            }
            // New columns in the order the line writes them (a dictionary has no order).
            let new = members.map(\.name).filter { columnIndex[$0] == nil }
            for name in new.count > 1 ? new.sorted(by: { offset(of: $0) < offset(of: $1) }) : new {
                columnIndex[name] = columns.count
                columns.append(name)
            }
            rows.append(members.map { (columnIndex[$0.name]!, $0.cell) })
            lines.append(line)
            offsets.append(start)
        }
        guard !rows.isEmpty else {
            throw TableFile.Problem(
                message: "the table '\(path)' has no rows", mark: Mark(line: 1, column: 1, source: source))
        }
        guard !columns.isEmpty else {
            throw TableFile.Problem(
                message: "the table '\(path)' has no columns: its objects have no members",
                mark: Mark(line: Int(lines[0]), column: 1, source: source))
        }
        var cells = [TableFile.Cell](repeating: .empty, count: rows.count * columns.count)
        for (number, row) in rows.enumerated() {
            for (index, cell) in row { cells[number * columns.count + index] = cell }
        }
        return TableFile(
            path: path, source: source, kind: .jsonl, columns: columns, cells: cells, lines: lines, offsets: offsets,
            headerLine: Int(lines[0]), headerOffset: 0, bytes: bytes)
    }

    /// What one line of a JSON Lines table holds: its members as cells, or why it has none.
    enum ParsedLine: Sendable {
        case members([(name: String, cell: TableFile.Cell)])
        case notJSON
        case notObject(String)
        case badMember(name: String, type: String)
    }

    /// Each line parsed with `JSONSerialization` and its members made cells: a large table in two
    /// halves at once (the parse is most of reading it), in the lines' order, up to the first bad
    /// line (the caller's error).
    static func parseLines(_ bytes: [UInt8], _ lines: [Range<Int>]) -> [ParsedLine] {
        @Sendable func parse(_ range: Range<Int>) -> ParsedLine {
            let value = try? JSONSerialization.jsonObject(with: Data(bytes[range]), options: [.fragmentsAllowed])
            guard let value else { return .notJSON }
            guard let members = value as? [String: Any] else { return .notObject(typeName(value)) }
            var cells: [(name: String, cell: TableFile.Cell)] = []
            cells.reserveCapacity(members.count)
            for (name, member) in members {
                guard let cell = cell(member) else { return .badMember(name: name, type: typeName(member)) }
                cells.append((name, cell))
            }
            return .members(cells)
        }
        // Each part stops at its first bad line: the caller throws at the first in order, which
        // is the first of part 0's or, when part 0 has none, of part 1's.
        @Sendable func parseUntilBad(_ slice: ArraySlice<Range<Int>>) -> [ParsedLine] {
            var parsed: [ParsedLine] = []
            parsed.reserveCapacity(slice.count)
            for range in slice {
                let line = parse(range)
                parsed.append(line)
                guard case .members = line else { break }
            }
            return parsed
        }
        let parts = lines.count >= 20_000 ? 2 : 1
        var all: [ParsedLine] = []
        all.reserveCapacity(lines.count)
        for parsed in inParts(
            parts, { parseUntilBad(lines[lines.count * $0 / parts..<lines.count * ($0 + 1) / parts]) })
        {
            all += parsed
            // A part that stopped at a bad line ends the answer there (its last line).
            if let last = parsed.last, case .members = last { continue }
            if !parsed.isEmpty { break }
        }
        return all
    }

    /// A JSON value's text: a string as it is, a number as written, `true`/`false`; `nil` for
    /// anything else.
    static func text(_ value: Any) -> String? {
        if let text = value as? String { return text }
        if let number = value as? NSNumber {
            // A JSON boolean is a number of Objective-C type "c".
            if String(cString: number.objCType) == "c" { return number.boolValue ? "true" : "false" }
            return number.stringValue
        }
        return nil
    }

    static func typeName(_ value: Any) -> String {
        switch value {
        case is NSNull: "null"
        case is String: "a string"
        case is NSNumber: "a number"
        case is [Any]: "a list"
        case is [String: Any]: "a mapping"
        default: "a value"
        }
    }

    static func cell(_ value: Any) -> TableFile.Cell? {
        if value is NSNull { return .empty }
        if let items = value as? [Any] {
            var texts: [String] = []
            for item in items {
                guard let text = text(item) else { return nil }
                texts.append(text)
            }
            return texts.isEmpty ? .empty : .list(texts)
        }
        guard let text = text(value) else { return nil }
        return text.isEmpty ? .empty : .text(text)
    }

    // MARK: Text

    /// One prompt a line; blank lines are no rows.
    func promptLines(path: String) throws(TableFile.Problem) -> TableFile {
        var cells: [TableFile.Cell] = []
        var lines: [Int32] = []
        var offsets: [Int] = []
        for (start, end, line) in textLines() {
            let text = String(decoding: bytes[start..<end], as: UTF8.self).trimmed
            if !text.isEmpty {
                cells.append(.text(text))
                lines.append(line)
                offsets.append(start)
            }
        }
        guard !cells.isEmpty else {
            throw TableFile.Problem(
                message: "the table '\(path)' has no lines of text", mark: Mark(line: 1, column: 1, source: source))
        }
        return TableFile(
            path: path, source: source, kind: .txt, columns: ["prompt"], cells: cells, lines: lines, offsets: offsets,
            headerLine: 1, headerOffset: 0, bytes: bytes)
    }
}

extension [UInt8] {
    /// The byte at `index`, or `nil` past the end.
    fileprivate func at(_ index: Int) -> UInt8? {
        index < count ? self[index] : nil
    }
}
