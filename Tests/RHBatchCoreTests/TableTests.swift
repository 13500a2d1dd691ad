import Foundation
import Testing
import YAML

@testable import RHBatchCore

/// Jobs from tables: the `rows` axis over CSV, TSV, JSON Lines and text files, libraries from
/// files, and every bad table reported at the cell.
@Suite("Tables")
struct TableTests {
    func fixture() throws -> Fixture {
        let fixture = try Fixture()
        try fixture.png("data/sofa.png", seed: 1)
        try fixture.png("data/rug.png", seed: 2)
        try fixture.png("data/room.png", seed: 3)
        return fixture
    }

    func text(_ fixture: Fixture, _ name: String, _ contents: String) throws {
        try fixture.write(name, Array(contents.utf8))
    }

    /// Errors as printed, with the fixture's folder left out.
    func errors(_ fixture: Fixture, _ manifest: String, options: Planner.Options = .init()) throws -> [String] {
        try fixture.errors(manifest, options: options).map {
            $0.replacingOccurrences(of: fixture.directory + "/", with: "")
        }
    }

    @Test func csvRowsAreOneAxisPairedCellByCell() throws {
        let fixture = try fixture()
        // A byte order mark, CRLF, a quoted comma, a quoted line break, a blank line and an empty cell.
        try fixture.write(
            "data/captions.csv",
            [0xEF, 0xBB, 0xBF]
                + Array(
                    "id,prompt,image,aspect_ratio\r\nr1,\"A sofa, red\",sofa.png,\r\nr2,\"A rug\nin two lines\",rug.png,1:1\r\n\r\nr3,A room,room.png,\r\n"
                        .utf8))
        let plan = try fixture.plan(
            """
            version: 1
            defaults: {aspect_ratio: "16:9"}
            matrix:
              rows: data/captions.csv
              model: [gpt-image-2, nano-banana-pro]
              quality: [low, high]

            """)
        // 3 rows × 2 models × 2 qualities (nano-banana-pro takes no quality: merged).
        #expect(plan.jobs.count == 3 * 2 + 3)
        let first = plan.jobs.filter { $0.model == "gpt-image-2" }.map {
            "\($0.prompt.id) \($0.prompt.text) \($0.image.sources[0].reference) \($0.options["aspect_ratio"]!)"
        }
        #expect(
            first == [
                "r1 A sofa, red data/sofa.png 16:9", "r1 A sofa, red data/sofa.png 16:9",
                "r2 A rug\nin two lines data/rug.png 1:1", "r2 A rug\nin two lines data/rug.png 1:1",
                "r3 A room data/room.png 16:9", "r3 A room data/room.png 16:9",
            ])
        // Each job knows its row; the third row starts on line 6 (a quoted line break and a blank line before it).
        let third = try #require(plan.jobs.first { $0.prompt.id == "r3" })
        #expect(plan.origin(of: third).location.hasSuffix("data/captions.csv:6:1"))
        #expect(plan.origin(of: third).path == "matrix.rows[2]")
    }

    @Test func theBlockWinsOverACellAndACellOverDefaults() throws {
        let fixture = try fixture()
        try text(fixture, "data/t.csv", "prompt,image,model\nA.,sofa.png,gpt-image-2\nB.,rug.png,\n")
        let plan = try fixture.plan(
            """
            version: 1
            defaults: {model: nano-banana-pro}
            matrix:
              rows: data/t.csv
              image: data/room.png

            """)
        #expect(
            plan.jobs.map { "\($0.prompt.text) \($0.image.id) \($0.model)" } == [
                "A. room gpt-image-2", "B. room nano-banana-pro",
            ])
    }

    @Test func tsvAndTextFiles() throws {
        let fixture = try fixture()
        try text(fixture, "data/t.tsv", "prompt\timage\nA, with a comma.\tsofa.png\n")
        try text(fixture, "prompts.txt", "First prompt.\n\n  Second, with a comma.  \n")
        let plan = try fixture.plan(
            """
            version: 1
            defaults: {model: grok-imagine, image: data/rug.png}
            matrix:
              - rows: data/t.tsv
              - rows: prompts.txt

            """)
        #expect(plan.jobs.map(\.prompt.text) == ["A, with a comma.", "First prompt.", "Second, with a comma."])
        #expect(plan.jobs.map(\.image.id) == ["sofa", "rug", "rug"])
        #expect(plan.origin(of: plan.jobs[2]).location.hasSuffix("prompts.txt:3:1"))
    }

    @Test func aHuggingFaceMetadataFileWorksAsItIs() throws {
        let fixture = try fixture()
        try text(
            fixture, "data/metadata.jsonl",
            """
            {"file_name": "sofa.png", "text": "A red sofa."}
            {"file_names": ["sofa.png", "rug.png"], "text": "The rug under the sofa.", "seed": 7}

            {"file_name": "https://example.com/a/room.png", "text": "A room.", "seed": null}

            """)
        let plan = try fixture.plan("version: 1\nmatrix: {rows: data/metadata.jsonl, model: nano-banana-pro}\n")
        #expect(
            plan.jobs.map { $0.image.sources.map(\.reference) } == [
                ["data/sofa.png"], ["data/sofa.png", "data/rug.png"], ["https://example.com/a/room.png"],
            ])
        #expect(plan.jobs.map(\.prompt.text) == ["A red sofa.", "The rug under the sofa.", "A room."])
        #expect(plan.origin(of: plan.jobs[2]).location.hasSuffix("data/metadata.jsonl:4:1"))
    }

    @Test func aRunsOwnMetadataIsReadWithoutItsBookkeeping() throws {
        let fixture = try fixture()
        try text(
            fixture, "first/metadata.jsonl",
            """
            {"file_name": "gpt/a.png", "input_file_names": ["inputs/x.png"], "prompt": "Make it green.", "prompt_id": "green", "image_id": "room", "model": "gpt-image-2", "endpoint": "x/y", "aspectRatio": "16:9", "sample": 1, "result_index": 1, "key": "k", "task_id": "t", "cost": 0.2, "currency": "CNY", "sha256": "s"}

            """)
        try fixture.png("first/gpt/a.png", seed: 9)
        let plan = try fixture.plan("version: 1\nmatrix: {rows: first/metadata.jsonl, model: grok-imagine}\n")
        #expect(plan.jobs.count == 1)
        #expect(plan.jobs[0].image.sources.map(\.reference) == ["first/gpt/a.png"])
        #expect(plan.jobs[0].prompt.text == "Make it green.")
        #expect(plan.jobs[0].model == "grok-imagine")
    }

    @Test func columnsNameTheColumnsToUse() throws {
        let fixture = try fixture()
        try text(fixture, "data/t.csv", "caption,file,notes\nA sofa.,sofa.png,anything\n")
        let plan = try fixture.plan(
            """
            version: 1
            matrix:
              rows: {file: data/t.csv, columns: {prompt: caption, image: file}}
              model: grok-imagine

            """)
        #expect(plan.jobs.map { "\($0.prompt.text) \($0.image.id)" } == ["A sofa. sofa"])
        let wrong = try errors(
            fixture,
            """
            version: 1
            matrix:
              rows: {file: data/t.csv, columns: {prompt: captoin}}
              model: grok-imagine

            """)
        #expect(
            wrong == [
                "m.yaml:3:46: error: matrix.rows.columns.prompt: the table has no column 'captoin' (did you mean 'caption'?); its columns: caption, file, notes"
            ])
    }

    @Test func everyBadTableIsAnErrorAtItsCell() throws {
        let fixture = try fixture()
        let manifest = { (file: String) in "version: 1\nmatrix: {rows: \(file), model: gpt-image-2}\n" }
        try text(fixture, "data/typo.csv", "prompt,imgae\nA.,sofa.png\n")
        #expect(
            try errors(fixture, manifest("data/typo.csv")) == [
                "data/typo.csv:1:8: error: the column 'imgae' matches no job field (did you mean 'image'?): rename it, or list the columns to use under 'columns:'"
            ])
        // The missing file is on line 4: the quoted line break before it counts.
        try text(fixture, "data/missing.csv", "prompt,image\n\"Two\nlines.\",sofa.png\nA.,gone.png\n")
        #expect(
            try errors(fixture, manifest("data/missing.csv")) == [
                "data/missing.csv:4:4: error: matrix.rows[1].image: image file 'data/gone.png' does not exist"
            ])
        try text(fixture, "data/open.csv", "prompt,image\nA.,sofa.png\n\"B.,rug.png\n")
        #expect(
            try errors(fixture, manifest("data/open.csv")) == [
                "data/open.csv:3:1: error: this quoted cell is never closed (a '\"' is missing)"
            ])
        try text(fixture, "data/after.csv", "prompt,image\n\"A\" sofa,sofa.png\n")
        #expect(
            try errors(fixture, manifest("data/after.csv")) == [
                "data/after.csv:2:4: error: text after a quoted cell's closing quote: a '\"' inside a quoted cell is written '\"\"'"
            ])
        try text(fixture, "data/wide.csv", "prompt,image\nA, red sofa,sofa.png\n")
        #expect(
            try errors(fixture, manifest("data/wide.csv")) == [
                "data/wide.csv:2:13: error: this row has 3 cells and the header 2: a cell with a ',' in it must be quoted"
            ])
        // A value the model refuses, at its cell.
        try text(fixture, "data/ratio.csv", "prompt,image,aspect_ratio\nA.,sofa.png,16:9\nB.,rug.png,7:5\n")
        let refused = try errors(fixture, manifest("data/ratio.csv"))
        #expect(refused.count == 1)
        #expect(refused.first?.hasPrefix("data/ratio.csv:3:12: error: matrix.rows[1].aspect_ratio: ") == true)
        try text(fixture, "data/bad.jsonl", "{\"text\": \"A.\", \"file_name\": \"sofa.png\"}\n{\"text\": \"B.\",\n")
        #expect(
            try errors(fixture, manifest("data/bad.jsonl")) == [
                "data/bad.jsonl:2:1: error: this line is not JSON: each line of a .jsonl table is one JSON object"
            ])
        #expect(
            try errors(fixture, manifest("data/none.csv")) == [
                "m.yaml:2:16: error: matrix.rows: the table 'data/none.csv' does not exist"
            ])
        try text(fixture, "data/latin1.csv", "prompt,image\n")
        try fixture.write("data/latin1.csv", Array("prompt,image\nCaf".utf8) + [0xE9] + Array(",sofa.png\n".utf8))
        #expect(
            try errors(fixture, manifest("data/latin1.csv")) == [
                "data/latin1.csv:2:4: error: the table is not UTF-8 text (save it as UTF-8)"
            ])
    }

    /// A JSON Lines table of 20,000 lines or more is parsed in two halves at once: its rows come
    /// out in the file's order, and of two bad lines the first is the one reported, whichever
    /// half it is in.
    @Test func aLargeJSONLinesTableIsReadInHalvesInOrder() throws {
        func table(_ count: Int, bad: [Int: String] = [:]) -> [UInt8] {
            var text = ""
            for line in 1...count {
                text += bad[line] ?? "{\"text\": \"Prompt \(line).\", \"file_name\": \"img\(line % 7).png\"}"
                text += line % 1000 == 0 ? "\n\n" : "\n"
            }
            return Array(text.utf8)
        }
        func parse(_ bytes: [UInt8]) throws(TableFile.Problem) -> TableFile {
            try TableFile.parse(bytes, kind: .jsonl, path: "big.jsonl", source: 1)
        }
        func problem(_ bytes: [UInt8]) -> String? {
            do {
                _ = try parse(bytes)
                return nil
            } catch {
                return "\(error.mark?.line ?? 0):\(error.mark?.column ?? 0): \(error.message)"
            }
        }
        let read = try parse(table(30_000))
        #expect(read.rowCount == 30_000)
        #expect(read.columns == ["text", "file_name"])
        // Every row, in order (one comparison, so a mix-up names no single row but misses none).
        let expected = (1...30_000).map { [TableFile.Cell.text("Prompt \($0)."), .text("img\($0 % 7).png")] }
        #expect((0..<30_000).map { [read.cell($0, 0), read.cell($0, 1)] } == expected)
        // Line numbers count the blank lines (one after every thousandth row).
        #expect(read.mark(row: 29_999).line == 30_029)

        let notJSON = "{\"text\": "
        let notObject = "[1, 2]"
        let badMember = "{\"text\": \"A.\", \"file_name\": {\"nested\": 1}}"
        #expect(
            problem(table(30_000, bad: [12_000: notJSON, 25_000: notObject]))
                == "12011:1: this line is not JSON: each line of a .jsonl table is one JSON object")
        #expect(problem(table(30_000, bad: [25_000: notObject])) == "25024:1: this line is a list, not a JSON object")
        #expect(
            problem(table(30_000, bad: [20_001: badMember, 29_000: notJSON]))
                == "20021:16: 'file_name' is a mapping; a cell is text, a number, true or false, or a list of texts")
    }

    /// A record without a '"' is split at the delimiter, not read by CSV.swift: the cells are the
    /// ones CSV.swift reads, for tables of every shape (seeded, so a failure can be replayed).
    @Test func plainRecordsSplitAsCSVSwiftReadsThem() throws {
        var generator = SplitMix(seed: 26)
        let pieces = [
            "a", "b c", "", " ", "é", "日本", "x\"y", "\"q\"", "\"a,b\"", "\"two\nlines\"", "\"say \"\"hi\"\"\"", "\t",
            ",", ";", "\u{FEFF}", "\"\"",
        ]
        let ends = ["\n", "\r\n", "\r", "\n\n"]
        var compared = 0
        for round in 0..<400 {
            for (kind, delimiter) in [(TableFile.Kind.csv, ","), (.tsv, "\t")] {
                let columns = Int(generator.next() % 4) + 1
                var text = (1...columns).map { "c\($0)" }.joined(separator: delimiter) + "\n"
                // Large enough at times to be read in two halves.
                let rows = round % 100 == 0 ? 60_000 : Int(generator.next() % 12)
                // A large table without a bare delimiter in a cell, so that it reads.
                let usable = rows > 100 ? pieces.filter { $0 != delimiter } : pieces
                for _ in 0..<rows {
                    let cells = (0..<columns).map { _ in usable[Int(generator.next() % UInt64(usable.count))] }
                    text += cells.joined(separator: delimiter) + ends[Int(generator.next() % UInt64(ends.count))]
                }
                let bytes = Array(text.utf8)
                let split = Result { () throws(TableFile.Problem) in
                    try TableFile.parse(bytes, kind: kind, path: "t", source: 1)
                }
                let whole = Result { () throws(TableFile.Problem) in
                    try TableFile.parse(bytes, kind: kind, path: "t", source: 1, splittingPlainRecords: false)
                }
                switch (split, whole) {
                case (.success(let split), .success(let whole)):
                    #expect(split.columns == whole.columns && split.cells == whole.cells, "round \(round)")
                    compared += split.rowCount
                case (.failure(let split), .failure(let whole)):
                    #expect(split.message == whole.message && split.mark == whole.mark, "round \(round)")
                default:
                    Issue.record("round \(round): one reading failed, the other did not")
                }
            }
        }
        // Most tables read (not only errors), the large ones among them.
        #expect(compared > 240_000)
    }

    /// A large table is planned in parts at once (one a core); the plan is the one a single pass
    /// makes, also where the parts meet: a row that repeats a row of another part (merged), rows
    /// of two parts that would write one path (moved aside, or an error with a layout), an error
    /// or a skipped row in a later part, rows that make new inputs, and a block after the table;
    /// with 3 parts (and which of them are taken as planned), and with 2, 5 and 8.
    @Test func aTablePlannedInPartsMakesThePlanOfOnePass() throws {
        let fixture = try fixture()
        let images = ["sofa.png", "rug.png", "room.png"]
        /// A 60-row table (3 parts of 20), with `change` applied to some rows.
        func table(_ name: String, header: String = "id,prompt,image,aspect_ratio", _ change: [Int: String] = [:])
            throws
        {
            var text = header + "\n"
            for row in 0..<60 {
                text +=
                    change[row] ?? "r\(row),Restyle room \(row).,\(images[row % 3]),\(row % 2 == 0 ? "1:1" : "16:9")"
                text += "\n"
            }
            try self.text(fixture, "data/\(name).csv", text)
        }
        /// Everything a plan says (or every diagnostic), planned with `parts` parts.
        func outcome(_ manifest: String, parts: Int?, skipInvalid: Bool = false) throws -> (lines: [String], taken: Int)
        {
            let options = Planner.Options(
                skipInvalid: skipInvalid, parallelRows: parts == nil ? .max : 1, rowParts: parts)
            let path = try fixture.manifest(manifest)
            do {
                let plan = try ManifestLoader(options: options).load(path)
                var lines = plan.jobs.indices.map { plan.jobLine($0) }
                lines += plan.merged.map { "merged into \($0.into): \($0.reason) at \($0.origin.path)" }
                lines += plan.skipped.map { "skipped \($0.summary): \($0.reason) at \(plan.location($0.mark))" }
                lines += plan.warnings.map(\.description)
                lines += plan.localImages.map { "upload \($0.path)" }
                return (lines, plan.rowPartsTaken)
            } catch {
                return (error.diagnostics.map(\.description), 0)
            }
        }
        func compare(
            _ manifest: String, skipInvalid: Bool = false, minimum: Int = 21, taken: Int,
            sourceLocation: SourceLocation = #_sourceLocation
        ) throws {
            let single = try outcome(manifest, parts: nil, skipInvalid: skipInvalid)
            let inParts = try outcome(manifest, parts: 3, skipInvalid: skipInvalid)
            #expect(single.lines.count >= minimum, sourceLocation: sourceLocation)
            #expect(inParts.lines == single.lines, sourceLocation: sourceLocation)
            #expect(inParts.taken == taken, "parts taken as planned", sourceLocation: sourceLocation)
            // As many parts as cores up to 8 (`rowParts`): the same plan with 2, 5 and 8 parts.
            for parts in [2, 5, 8] {
                let other = try outcome(manifest, parts: parts, skipInvalid: skipInvalid)
                #expect(other.lines == single.lines, "\(parts) parts", sourceLocation: sourceLocation)
            }
        }
        let manifest = { (name: String) in "version: 1\nmatrix:\n  rows: data/\(name).csv\n  model: gpt-image-2\n" }

        // Rows that do not meet: both later parts are taken.
        try table("clean")
        try compare(manifest("clean") + "  quality: [low, high]\n", taken: 2)
        // Row 50 repeats row 5: merged into it, as one pass merges it.
        try table("repeat", [50: "r5,Restyle room 5.,\(images[5 % 3]),16:9"])
        try compare(manifest("repeat"), taken: 1)
        // Rows 5 and 45 share an id (one {prompt} in paths): the second moves aside by its key,
        // mended as the parts are taken (so do rows 3 and 25); rows 44 and 46 share one in the
        // same part.
        try table(
            "sharedID",
            [
                45: "r5,Another room.,\(images[5 % 3]),16:9", 25: "r3,Another sofa.,sofa.png,16:9",
                44: "r44,Room 44.,sofa.png,1:1",
                46: "r44,Room 46.,sofa.png,1:1",
            ])
        try compare(manifest("sharedID"), taken: 2)
        // With a layout of the id alone, the same two rows are an error.
        try compare(
            "version: 1\nlayout: \"{prompt}.{ext}\"\n" + manifest("sharedID").dropFirst(11), minimum: 1, taken: 0)
        // A value the model refuses in the third part: an error, or a skipped row.
        try table("refused", [45: "r45,Restyle room 45.,sofa.png,7:5"])
        try compare(manifest("refused"), minimum: 1, taken: 0)
        #expect(try outcome(manifest("refused"), parts: 3).lines.first?.contains("data/refused.csv:47:") == true)
        try compare(manifest("refused"), skipInvalid: true, taken: 1)
        // The same refused value in every part: one pass reports it once, at its first row, and
        // skips every such row at that first row's cell (the fitting is shared).
        try table(
            "refusedEverywhere",
            Dictionary(uniqueKeysWithValues: [5, 25, 45].map { ($0, "r\($0),Restyle room \($0).,sofa.png,7:5") }))
        try compare(manifest("refusedEverywhere"), minimum: 1, taken: 0)
        #expect(try outcome(manifest("refusedEverywhere"), parts: 3).lines.count == 1)
        try compare(manifest("refusedEverywhere"), skipInvalid: true, taken: 0)
        // Ids for images without a prompt column make new inputs in every part: planned again.
        try table(
            "inputs", header: "id,image",
            Dictionary(uniqueKeysWithValues: (0..<60).map { ($0, "i\($0),\(images[$0 % 3])") }))
        try compare(
            "version: 1\nmatrix:\n  rows: data/inputs.csv\n  model: gpt-image-2\n  prompt: Make it blue.\n", taken: 0)
        // A media field's files, one a row: each part finds its own (they are uploaded).
        for row in 0..<60 { try fixture.png("data/last\(row).png", seed: UInt8(row + 10)) }
        try table(
            "media", header: "prompt,image,last_image_url",
            Dictionary(uniqueKeysWithValues: (0..<60).map { ($0, "Move \($0).,\(images[$0 % 3]),last\($0).png") }))
        try compare(
            "version: 1\nmatrix:\n  rows: data/media.csv\n  model: kling-v3.0-pro/image-to-video\n", taken: 0)
        // An unknown model in rows of every part: one error, at its first row, as one pass says.
        try table(
            "models", header: "prompt,image,model",
            Dictionary(
                uniqueKeysWithValues: (0..<60).map {
                    ($0, "Restyle \($0).,\(images[$0 % 3]),\([5, 25, 45].contains($0) ? "gpt-image-9" : "gpt-image-2")")
                }))
        try compare("version: 1\nmatrix:\n  rows: data/models.csv\n", minimum: 1, taken: 0)
        #expect(try outcome("version: 1\nmatrix:\n  rows: data/models.csv\n", parts: 3).lines.count == 1)
        // A block after the table repeats its first row: merged into the table's job.
        try compare(
            "version: 1\nmatrix:\n- rows: data/clean.csv\n  model: gpt-image-2\n"
                + "- {prompt: Restyle room 0., image: data/sofa.png, model: gpt-image-2, aspect_ratio: \"1:1\"}\n",
            taken: 2)
    }

    /// Hostile tables found in review: each an error at its place, never a crash or a hang.
    @Test func oddTablesAreErrorsNotCrashes() throws {
        let fixture = try fixture()
        let manifest = { (file: String) in "version: 1\nmatrix: {rows: \(file), model: gpt-image-2}\n" }
        // A library of objects without members.
        try text(fixture, "lib/empty.jsonl", "{}\n{}\n")
        #expect(
            try errors(
                fixture,
                "version: 1\nprompts: lib/empty.jsonl\nmatrix: {prompt: a, model: grok-imagine, image: data/sofa.png}\n"
            )
                == [
                    "lib/empty.jsonl:1:1: error: the table 'lib/empty.jsonl' has no columns: its objects have no members"
                ])
        // A device, not a file (read, it would never end).
        try FileManager.default.createSymbolicLink(
            atPath: fixture.directory + "/data/zero.csv", withDestinationPath: "/dev/zero")
        #expect(
            try errors(fixture, manifest("data/zero.csv")) == [
                "m.yaml:2:16: error: matrix.rows: 'data/zero.csv' is not a regular file (a device or a pipe?), so not a table"
            ])
        // Old Mac line ends (a bare CR) count as lines in errors as in rows.
        try text(fixture, "data/cr.csv", "prompt,image\r\"A\" x,sofa.png\r")
        #expect(
            try errors(fixture, manifest("data/cr.csv")) == [
                "data/cr.csv:2:4: error: text after a quoted cell's closing quote: a '\"' inside a quoted cell is written '\"\"'"
            ])
    }

    @Test func rowImagesWithOneNameInTwoFoldersGetDistinctIDs() throws {
        let fixture = try fixture()
        try fixture.png("data/a/room.png", seed: 7)
        try fixture.png("data/b/room.png", seed: 8)
        try text(fixture, "data/t.csv", "prompt,image\nA photo.,a/room.png\nA photo.,b/room.png\n")
        let plan = try fixture.plan("version: 1\nmatrix: {rows: data/t.csv, model: grok-imagine}\n")
        #expect(plan.jobs.count == 2)
        let ids = plan.jobs.map(\.image.id)
        #expect(Set(ids).count == 2 && ids.allSatisfy { $0.hasPrefix("room-") }, "\(ids)")
    }

    @Test func skipInvalidSkipsTheRowsAModelRefuses() throws {
        let fixture = try fixture()
        try text(fixture, "data/ratio.csv", "prompt,image,aspect_ratio\nA.,sofa.png,16:9\nB.,rug.png,7:5\n")
        let plan = try fixture.plan(
            "version: 1\nmatrix: {rows: data/ratio.csv, model: gpt-image-2}\n",
            options: .init(skipInvalid: true))
        #expect(plan.jobs.map(\.prompt.text) == ["A."])
        #expect(plan.skipped.count == 1)
        #expect(plan.location(plan.skipped[0].mark).hasSuffix("data/ratio.csv:3:12"))
    }

    /// A row whose image is missing or is not an image is an error at its cell, and with
    /// `--skip-invalid` a skipped job there instead: the other rows still run.
    @Test func skipInvalidSkipsTheRowsWhoseImageIsUnusable() throws {
        let fixture = try fixture()
        try text(fixture, "data/notes.txt", "not an image")
        try text(
            fixture, "data/t.csv",
            "prompt,image\nA.,sofa.png\nB.,missing.png\nC.,notes.txt\nD.,rug.png\nE.,missing.png\n")
        let manifest = "version: 1\nmatrix: {rows: data/t.csv, model: [grok-imagine, nano-banana-pro]}\n"
        let errors = try self.errors(fixture, manifest)
        #expect(errors.count == 2, "\(errors)")
        #expect(errors.first?.hasPrefix("data/t.csv:3:4: error: matrix.rows[1].image: ") == true, "\(errors)")
        #expect(errors.last?.hasPrefix("data/t.csv:4:4: error: matrix.rows[2].image: ") == true, "\(errors)")
        let plan = try fixture.plan(manifest, options: .init(skipInvalid: true))
        #expect(plan.jobs.map(\.prompt.text) == ["A.", "A.", "D.", "D."])
        #expect(plan.skipped.count == 6, "three rows × two models")
        // Each at its own row's cell, rows 1 and 4 naming the same missing file.
        #expect(
            plan.skipped.map { plan.location($0.mark).split(separator: "/").last.map(String.init) ?? "" } == [
                "t.csv:3:4", "t.csv:3:4", "t.csv:4:4", "t.csv:4:4", "t.csv:6:4", "t.csv:6:4",
            ])
        #expect(plan.skipped.map(\.path.description).last == "matrix.rows[4].image")
        // Model, image, and the prompt's id (a slug with a short hash: "B." loses its stop).
        #expect(
            plan.skipped.map { $0.summary.split(separator: " × ").prefix(2).joined(separator: " × ") }.prefix(2) == [
                "grok-imagine × missing.png", "nano-banana-pro × missing.png",
            ])
        #expect(plan.warnings.allSatisfy { !$0.file.hasSuffix("t.csv") }, "the skipped rows' errors are not kept")
    }

    @Test func librariesFromFiles() throws {
        let fixture = try fixture()
        try text(fixture, "lib/prompts.csv", "id,text\ngreen,Make it green.\nneon,\"Make it neon, bright.\"\n")
        try text(
            fixture, "lib/images.jsonl",
            "{\"id\": \"s\", \"image\": \"../data/sofa.png\"}\n{\"id\": \"pair\", \"image\": [\"../data/sofa.png\", \"../data/rug.png\"]}\n"
        )
        let plan = try fixture.plan(
            """
            version: 1
            prompts: lib/prompts.csv
            images: lib/images.jsonl
            matrix: {prompt: [green, neon], image: [s, pair], model: nano-banana-pro}

            """)
        #expect(
            plan.jobs.map { "\($0.prompt.id) \($0.image.id) \($0.image.sources.count)" } == [
                "green s 1", "green pair 2", "neon s 1", "neon pair 2",
            ])
        #expect(plan.jobs[2].prompt.text == "Make it neon, bright.")
        try text(fixture, "lib/dup.csv", "id,prompt\na,One.\na,Two.\n")
        #expect(
            try errors(
                fixture,
                "version: 1\nprompts: lib/dup.csv\nmatrix: {prompt: a, model: grok-imagine, image: data/sofa.png}\n")
                == ["lib/dup.csv:3:1: error: prompts.a: the id 'a' is used twice"])
        // A text file: one prompt a line, its id the line number (blank lines keep the count).
        try text(fixture, "lib/prompts.txt", "Make it green.\n\nMake it neon, bright.\n")
        let fromText = try fixture.plan(
            "version: 1\nprompts: lib/prompts.txt\nmatrix: {prompt: ['1', '3'], image: data/sofa.png, model: grok-imagine}\n"
        )
        #expect(
            fromText.jobs.map { "\($0.prompt.id): \($0.prompt.text)" } == [
                "1: Make it green.", "3: Make it neon, bright.",
            ])
        // Line 2 is blank, so '2' is no id: sent as text, with a warning that names a near id
        // ('1' and '3' are as near: the first in order, whatever the library's hashing).
        let unknown = try fixture.plan(
            "version: 1\nprompts: lib/prompts.txt\nmatrix: {prompt: '2', image: data/sofa.png, model: grok-imagine}\n")
        #expect(unknown.warnings.contains { $0.message.contains("did you mean '1'?") }, "\(unknown.warnings)")
        // An image library is a table of two columns, never a text file.
        try text(fixture, "lib/images.txt", "../data/sofa.png\n")
        #expect(
            try errors(
                fixture, "version: 1\nimages: lib/images.txt\nmatrix: {image: '1', model: grok-imagine, prompt: A.}\n"
            )
            .contains { $0.hasPrefix("lib/images.txt:1:1: error: images: ") && $0.hasSuffix("not a text file") })
    }

    @Test func theCommaTrapIsAWarningAtTheSplit() throws {
        let fixture = try fixture()
        let plan = try fixture.plan(
            """
            version: 1
            matrix:
              model: grok-imagine
              image: data/sofa.png
              prompt: [A lighthouse on a cliff at dawn, photorealistic.]

            """)
        #expect(plan.jobs.count == 2)
        #expect(plan.warnings.count == 1)
        let warning = try #require(plan.warnings.first)
        #expect(warning.mark == Mark(line: 5, column: 45))
        #expect(warning.path == "matrix.prompt[1]")
        #expect(warning.message.contains("quote a prompt that has a comma"))
        // A split sentence whose second part starts in upper case: the first part ends no
        // sentence, the second does.
        let upper = try fixture.plan(
            "version: 1\nmatrix: {model: grok-imagine, image: data/sofa.png, prompt: [A sofa in a room, Scandinavian style.]}\n"
        )
        #expect(upper.warnings.map(\.path) == ["matrix.prompt[1]"])
        // Two whole prompts are no trap, with or without their full stops.
        for prompts in [
            "[A sofa., A rug.]", "[A sofa at dusk, A rug at noon]", "[A sofa at dusk., A rug at noon]",
            "[A cat on a mat, A dog in the park.]",
        ] {
            let two = try fixture.plan(
                "version: 1\nmatrix: {model: grok-imagine, image: data/sofa.png, prompt: \(prompts)}\n")
            #expect(two.warnings.isEmpty, "\(prompts)")
        }
    }

    @Test func jobLinesSayWhereEachJobCameFrom() throws {
        let fixture = try fixture()
        try text(fixture, "data/t.csv", "id,prompt,image\nr1,A sofa.,sofa.png\n")
        let plan = try fixture.plan("version: 1\nmatrix: {rows: data/t.csv, model: grok-imagine, samples: 2}\n")
        let line = try #require(
            JSONSerialization.jsonObject(with: Data(plan.jobLine(1).utf8)) as? [String: Any])
        #expect(line["key"] as? String == plan.jobs[1].key)
        #expect(line["prompt"] as? String == "A sofa.")
        #expect((line["inputs"] as? [String: [String]])?["image"] == ["data/sofa.png"])
        #expect(line["sample"] as? Int == 2)
        #expect(line["output"] as? String == "grok-imagine/sofa/r1/2.png")
        #expect(line["estimatedCost"] as? String == plan.jobs[1].price.description)
        #expect((line["source"] as? String)?.hasSuffix("data/t.csv:2:1") == true)
        #expect(line["sourcePath"] as? String == "matrix.rows[0]")
    }
}

@Suite("Prompt slugs")
struct PromptSlugTests {
    /// The fast path for ASCII prompts gives the slugs output paths always had.
    @Test func asciiSlugsAreTheSlugsOfTheGeneralRule() {
        var generator = SystemRandomNumberGenerator()
        let alphabet = Array("abcXYZ019 ,.-_!?'\"()[]{}:;/\\\t\n~`@#$%^&*+=<>|")
        var texts = [
            "", " ", "Make it green.", "A lighthouse on a cliff at dawn, photorealistic.", "---", "ÀB", "UPPER case 42",
            String(repeating: "long words here ", count: 10),
        ]
        for _ in 0..<2000 {
            let length = Int.random(in: 0...60, using: &generator)
            texts.append(String((0..<length).map { _ in alphabet.randomElement(using: &generator)! }))
        }
        for text in texts where text.utf8.allSatisfy({ $0 < 0x80 }) {
            #expect(PlanningRun.asciiSlug(text) == PlanningRun.unicodeSlug(text), "\(text.debugDescription)")
        }
        #expect(PlanningRun.promptSlug("Make it green.").hasPrefix("make-it-green-"))
    }
}
