import YAML

/// Tables in a manifest: the `rows` axis and the prompt and image libraries read from files.
extension ManifestDecoder {
    /// The columns of a run's `metadata.jsonl` that record how a result was made, not what the
    /// next job should be: a table that rh-batch wrote is read without them.
    package static let runBookkeepingColumns: Set<String> = [
        "input_file_names", "input_urls", "prompt_id", "image_id", "endpoint", "sample", "result_index", "key",
        "task_id", "cost", "currency", "sha256", "node", "coins",
    ]

    /// The column names that set a row's prompt, image, model and name, as read without `columns:`.
    static let rowColumnRoles: [(name: String, role: RowSource.Role)] = [
        ("prompt", .prompt), ("text", .prompt), ("image", .image), ("file_name", .image), ("file_names", .image),
        ("model", .model), ("id", .id),
    ]

    /// The keys of `columns:` that are not model fields.
    static let rowRoleKeys: [String: RowSource.Role] = ["prompt": .prompt, "image": .image, "model": .model, "id": .id]

    /// A path in a table as the manifest's folder sees it: URLs and absolute paths as they are,
    /// others below the table's folder.
    package static func resolve(_ reference: String, in folder: String) -> String {
        if folder == "." || reference.hasPrefix("/") || reference.contains("://") { return reference }
        return folder + "/" + reference
    }
}

extension ManifestReader {
    /// Reads the table a scalar names; `nil` (reported) when it cannot be read.
    mutating func table(_ node: Node, _ path: KeyPath) -> TableFile? {
        guard let file = nonEmptyString(node, path) else { return nil }
        let shown = file.hasPrefix("/") || directory == "." ? file : directory + "/" + file
        let source = diagnostics.source(for: shown)
        do {
            return try TableFile.read(absolutePath: shown, path: shown, source: source)
        } catch {
            diagnostics.error(
                error.message, at: error.mark ?? node.mark, path: error.mark == nil ? path.description : "")
            return nil
        }
    }

    /// The folder of the table `node` names, relative to the manifest's folder (or absolute).
    static func tableFolder(_ file: String) -> String {
        guard let slash = file.lastIndex(of: "/") else { return "." }
        return slash == file.startIndex ? "/" : String(file[..<slash])
    }

    /// `rows: FILE` or `rows: {file: FILE, columns: {field: column}}`.
    mutating func rowSource(_ node: Node, _ path: KeyPath) -> RowSource? {
        var fileNode = node
        var columnsNode: Node?
        if let pairs = node.mapping {
            let fields = keyed(pairs, allowed: ["file", "columns"], path: path)
            guard let file = fields["file"] else {
                diagnostics.error("'rows' needs 'file': the table to read", at: node.mark, path: path.description)
                return nil
            }
            fileNode = file
            columnsNode = fields["columns"]
        }
        guard let written = fileNode.scalar?.value, let table = table(fileNode, path) else {
            if fileNode.scalar == nil {
                diagnostics.error(
                    "expected a table file (.csv, .tsv, .jsonl, .txt) or a mapping with 'file', found \(fileNode.kindDescription)",
                    at: fileNode.mark, path: path.description)
            }
            return nil
        }
        let uses: [(column: Int, role: RowSource.Role)]
        if let columnsNode {
            guard let mapped = namedColumns(columnsNode, table, path.key("columns")) else { return nil }
            uses = mapped
        } else {
            guard let found = columnRoles(table) else { return nil }
            uses = found
        }
        return RowSource(
            table: table, folder: Self.tableFolder(written.trimmed), uses: uses, mark: node.mark, path: path)
    }

    /// The role of every column of a table read without `columns:`; a column that matches no
    /// field is an error at its name (a typo must not drop data).
    mutating func columnRoles(_ table: TableFile) -> [(column: Int, role: RowSource.Role)]? {
        let columns = table.columns
        let writtenByRun =
            table.kind == .jsonl && ["file_name", "key", "task_id", "sha256"].allSatisfy(columns.contains)
        var uses: [(column: Int, role: RowSource.Role)] = []
        var failed = false
        for (index, name) in columns.enumerated() {
            if writtenByRun && ManifestDecoder.runBookkeepingColumns.contains(name) { continue }
            let role: RowSource.Role
            if let known = ManifestDecoder.rowColumnRoles.first(where: { $0.name == name }) {
                role = known.role
            } else if NodeField.looksLikeOne(name) && NodeField(name) != nil || fieldNames.contains(name) {
                role = .field(NodeField(name) != nil ? name : FieldSpec.snakeCase(name))
            } else if fieldNames.contains(FieldSpec.snakeCase(name)) {
                role = .field(FieldSpec.snakeCase(name))
            } else {
                let hint = Suggestion.hint(
                    for: name, in: ManifestDecoder.rowColumnRoles.map(\.name) + sortedFieldNames())
                diagnostics.error(
                    "the column '\(name)' matches no job field\(hint): rename it, or list the columns to use under 'columns:'",
                    at: table.mark(row: nil, column: index), path: "")
                failed = true
                continue
            }
            // A Hugging Face folder names one image (`file_name`) or several (`file_names`) a row.
            let imagePair: Set<String> = ["file_name", "file_names"]
            if let other = uses.first(where: { $0.role == role }),
                !(imagePair.contains(name) && imagePair.contains(columns[other.column]))
            {
                diagnostics.error(
                    "the columns '\(columns[other.column])' and '\(name)' both set the \(Self.describe(role)): keep one, or choose with 'columns:'",
                    at: table.mark(row: nil, column: index), path: "")
                failed = true
                continue
            }
            uses.append((index, role))
        }
        return failed ? nil : uses
    }

    /// `columns: {field: column}`: only these columns are read.
    mutating func namedColumns(_ node: Node, _ table: TableFile, _ path: KeyPath) -> [(
        column: Int, role: RowSource.Role
    )]? {
        guard let pairs = mapping(node, path) else { return nil }
        var uses: [(column: Int, role: RowSource.Role)] = []
        var failed = false
        for pair in pairs {
            guard let key = keyName(pair.key, path) else {
                failed = true
                continue
            }
            let role: RowSource.Role
            if let known = ManifestDecoder.rowRoleKeys[key] {
                role = known
            } else if NodeField(key) != nil {
                role = .field(key)
            } else if fieldNames.contains(key) || fieldNames.contains(FieldSpec.snakeCase(key)) {
                role = .field(FieldSpec.snakeCase(key))
            } else {
                let hint = Suggestion.hint(
                    for: key, in: ManifestDecoder.rowRoleKeys.keys.sorted() + sortedFieldNames())
                diagnostics.error(
                    "unknown job field '\(key)'\(hint)", at: pair.key.mark, path: path.key(key).description)
                failed = true
                continue
            }
            guard let column = string(pair.value, path.key(key)) else {
                failed = true
                continue
            }
            guard let index = table.columns.firstIndex(of: column) else {
                let hint = Suggestion.hint(for: column, in: table.columns)
                diagnostics.error(
                    "the table has no column '\(column)'\(hint); its columns: \(table.columns.joined(separator: ", "))",
                    at: pair.value.mark, path: path.key(key).description)
                failed = true
                continue
            }
            if uses.contains(where: { $0.role == role }) {
                diagnostics.error(
                    "the \(Self.describe(role)) is named twice", at: pair.key.mark, path: path.key(key).description)
                failed = true
                continue
            }
            uses.append((index, role))
        }
        if uses.isEmpty && !failed {
            diagnostics.error("'columns' names no column", at: node.mark, path: path.description)
            return nil
        }
        return failed ? nil : uses.sorted { $0.column < $1.column }
    }

    static func describe(_ role: RowSource.Role) -> String {
        switch role {
        case .prompt: "prompt"
        case .image: "image"
        case .model: "model"
        case .id: "row's id"
        case .field(let name): "field '\(name)'"
        }
    }

    // MARK: Libraries from files

    /// `prompts: FILE`: a `.txt` (one prompt a line, its id the line number) or a table with
    /// `id` and `prompt` (or `text`) columns.
    mutating func promptLibrary(_ table: TableFile, _ path: KeyPath) -> [String: Located<String>] {
        var library: [String: Located<String>] = [:]
        if table.kind == .txt {
            for row in 0..<table.rowCount {
                guard case .text(let text) = table.cell(row, 0) else { continue }
                let id = String(table.lines[row])
                let mark = table.mark(row: row)
                if checkPrompt(text, at: mark, path.key(id)) {
                    library[id] = Located(text, mark: mark, path: path.key(id))
                }
            }
            return library
        }
        guard let idColumn = libraryColumn(table, ["id"], what: "an 'id' column", path),
            let textColumn = libraryColumn(table, ["prompt", "text"], what: "a 'prompt' (or 'text') column", path)
        else { return [:] }
        for row in 0..<table.rowCount {
            guard let id = libraryRowID(table, row, idColumn, path, seen: library.keys.contains) else { continue }
            let mark = table.mark(row: row, column: textColumn)
            guard case .text(let text) = table.cell(row, textColumn) else {
                diagnostics.error("prompt '\(id)' has no text", at: mark, path: path.key(id).description)
                continue
            }
            if checkPrompt(text, at: mark, path.key(id)) { library[id] = Located(text, mark: mark, path: path.key(id)) }
        }
        return library
    }

    /// `images: FILE`: a table with `id` and `image` (or `file_name`, `file_names`, `path`)
    /// columns; relative paths are relative to the table's folder.
    mutating func imageLibrary(_ table: TableFile, _ path: KeyPath) -> [String: Located<ImageValue>] {
        guard table.kind != .txt else {
            diagnostics.error(
                "an image library is a table of 'id' and 'image' columns (.csv, .tsv or .jsonl), not a text file",
                at: Mark(line: 1, column: 1, source: table.source), path: path.description)
            return [:]
        }
        guard let idColumn = libraryColumn(table, ["id"], what: "an 'id' column", path),
            let imageColumn = libraryColumn(
                table, ["image", "file_name", "file_names", "path"], what: "an 'image' (or 'file_name') column", path)
        else { return [:] }
        let folder = Self.tableFolder(
            String(table.path.dropFirst(directory == "." || table.path.hasPrefix("/") ? 0 : directory.count + 1)))
        var library: [String: Located<ImageValue>] = [:]
        for row in 0..<table.rowCount {
            guard let id = libraryRowID(table, row, idColumn, path, seen: library.keys.contains) else { continue }
            let mark = table.mark(row: row, column: imageColumn)
            let itemPath = path.key(id)
            switch table.cell(row, imageColumn) {
            case .empty:
                diagnostics.error("image '\(id)' has no file", at: mark, path: itemPath.description)
            case .text(let reference):
                library[id] = Located(
                    .single(ManifestDecoder.resolve(reference, in: folder)), mark: mark, path: itemPath)
            case .list(let references):
                let items = references.enumerated().map {
                    Located(ManifestDecoder.resolve($1, in: folder), mark: mark, path: itemPath.index($0))
                }
                library[id] = Located(.list(items), mark: mark, path: itemPath)
            }
        }
        return library
    }

    mutating func libraryColumn(_ table: TableFile, _ names: [String], what: String, _ path: KeyPath) -> Int? {
        if let index = names.lazy.compactMap({ table.columns.firstIndex(of: $0) }).first { return index }
        diagnostics.error(
            "the table needs \(what); its columns: \(table.columns.joined(separator: ", "))",
            at: table.mark(row: nil, column: 0), path: path.description)
        return nil
    }

    mutating func libraryRowID(
        _ table: TableFile, _ row: Int, _ column: Int, _ path: KeyPath, seen: (String) -> Bool
    ) -> String? {
        let mark = table.mark(row: row, column: column)
        guard case .text(let id) = table.cell(row, column) else {
            diagnostics.error("this row has no id", at: mark, path: path.index(row).description)
            return nil
        }
        if id.unicodeScalars.contains(where: { $0 == "/" || $0 == "*" || $0.properties.generalCategory == .control }) {
            diagnostics.error(
                "library id '\(id)' may not contain '/', '*' or control characters", at: mark,
                path: path.key(id).description)
            return nil
        }
        if seen(id) {
            diagnostics.error("the id '\(id)' is used twice", at: mark, path: path.key(id).description)
            return nil
        }
        return id
    }
}
