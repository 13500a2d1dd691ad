import YAML

/// A matrix block's `rows` axis: every row of a table is one value of the axis, setting the job
/// fields its columns name.
///
/// Precedence: what the block itself sets (an axis or a single value) wins over a row's cell, and
/// a row's cell wins over `defaults`. An empty cell is "not set". Paths in a table are relative to
/// the table's folder.
extension PlanningRun {
    /// What one row's cells resolved to, reused by rows that say the same.
    struct RowCaches {
        var models: [String: ModelUse?] = [:]
        /// Fitted fields by the row's model and field cells.
        var fits: [String: [[FieldFit?]]] = [:]
    }

    mutating func expandRows(_ block: ResolvedBlock, _ rows: RowSource, defaults: ResolvedFields) {
        let table = rows.table
        let tableIndex = Int32(tables.count)
        tables.append(table)
        let promptColumn = block.prompts == nil ? rows.column(for: .prompt) : nil
        let imageColumns = block.images == nil ? rows.columns(for: .image) : []
        let modelColumn = block.models == nil ? rows.column(for: .model) : nil
        let idColumn = rows.column(for: .id)
        let varied = Set(block.options.map(\.0))
        let fieldColumns: [(column: Int, name: String)] = rows.uses.compactMap { use in
            guard case .field(let name) = use.role, !varied.contains(name) else { return nil }
            return (use.column, name)
        }
        let axes = Self.axes(block)
        let base = Self.fixed(block, defaults.options)
        let baseSets = Self.product(axes, base: base)
        var shared = Expansion(
            samples: block.samples ?? defaults.samples ?? 1, params: Self.merge(defaults.params, block.block.params),
            origin: JobOrigin(path: rows.path, mark: rows.mark), table: tableIndex)
        var caches = RowCaches()

        for row in 0..<table.rowCount {
            let rowPath = rows.path.index(row)
            shared.row = Int32(row)
            var id: String?
            if let column = idColumn, case .text(let text) = table.cell(row, column) { id = text.trimmed }

            // The model: the block's, else the row's, else the defaults'.
            var signature = ""
            let models: [ModelUse]
            if let blockModels = block.models {
                models = blockModels
            } else if let column = modelColumn, case .text(let name) = table.cell(row, column) {
                signature = name
                let model: ModelUse?
                if let known = caches.models[name] {
                    model = known
                } else {
                    model = resolveModel(
                        Located(
                            name.trimmed, mark: table.mark(row: row, column: column), path: rowPath.key("model")))
                    caches.models[name] = model
                }
                guard let model else { continue }
                models = [model]
            } else if let model = defaults.model {
                models = [model]
            } else {
                report(
                    "this row has no model: fill its 'model' cell, or set 'model' in the block or under 'defaults'",
                    at: table.mark(row: row), path: rowPath)
                continue
            }

            // Field values: the block's axes and values, else the row's cells, else the defaults.
            var optionSets = baseSets
            if !fieldColumns.isEmpty {
                var fixed = base
                for (column, name) in fieldColumns {
                    let cell = table.cell(row, column)
                    if case .empty = cell { continue }
                    let mark = table.mark(row: row, column: column)
                    let path = rowPath.key(name)
                    let isMedia = mediaFieldNames.contains(name)
                    func value(_ text: String) -> String {
                        isMedia && manifest.images[text] == nil ? ManifestDecoder.resolve(text, in: rows.folder) : text
                    }
                    switch cell {
                    case .empty: continue
                    case .text(let text):
                        fixed[name] = Located(.single(value(text)), mark: mark, path: path)
                        signature += "\u{1}" + name + "=" + text
                    case .list(let items):
                        let located = items.enumerated().map { Located(value($1), mark: mark, path: path.index($0)) }
                        fixed[name] = Located(.list(located), mark: mark, path: path)
                        signature += "\u{1}" + name + "=" + items.joined(separator: "\u{2}")
                    }
                }
                optionSets = Self.product(axes, base: fixed)
            }

            // The prompt.
            var prompts: [PromptUse?] = block.prompts ?? [defaults.prompt]
            var promptFromRow = false
            if let column = promptColumn {
                switch table.cell(row, column) {
                case .empty: break
                case .list:
                    report(
                        "a prompt is one text, not a list", at: table.mark(row: row, column: column),
                        path: rowPath.key("prompt"))
                    continue
                case .text(let text):
                    let mark = table.mark(row: row, column: column)
                    let path = rowPath.key("prompt")
                    let trimmed = text.trimmed
                    if trimmed.isEmpty { break }
                    if trimmed.utf8.count > ManifestDecoder.maxPromptLength,
                        trimmed.count > ManifestDecoder.maxPromptLength
                    {
                        report(
                            "the prompt has \(trimmed.count) characters; the limit is \(ManifestDecoder.maxPromptLength)",
                            at: mark, path: path)
                        continue
                    }
                    var use = resolvePrompt(Located(text, mark: mark, path: path))
                    if let id { use.prompt.id = id }
                    prompts = [use]
                    promptFromRow = true
                }
            }

            // The main input.
            var images: [ImageUse?] = block.images ?? [defaults.image]
            let filled = imageColumns.filter { table.cell(row, $0) != .empty }
            if filled.count > 1 {
                report(
                    "this row sets both '\(table.columns[filled[0]])' and '\(table.columns[filled[1]])': one image column a row",
                    at: table.mark(row: row, column: filled[1]), path: rowPath.key("image"))
                continue
            }
            if let column = filled.first {
                let cell = table.cell(row, column)
                do {
                    // Resolved before expansion (`resolveRowImages`), as image ids need.
                    let use = rowImages[table.source]?[cell] ?? nil
                    guard var use else {
                        if let problem = rowImageProblems[table.source]?[cell] {
                            // Each job the row would have made, at this row's cell.
                            let image: String
                            switch cell {
                            case .text(let text): image = text.trimmed
                            case .list(let items): image = items.joined(separator: " + ")
                            case .empty: image = "-"
                            }
                            let mark = table.mark(row: row, column: column)
                            for model in models {
                                for prompt in prompts {
                                    let job = SkippedJob(
                                        summary: [model.model.alias, image, prompt?.prompt.id ?? "-"]
                                            .joined(separator: " × "),
                                        reason: problem.message, mark: mark, path: rowPath.key("image"))
                                    skipped += repeatElement(job, count: optionSets.count * shared.samples)
                                }
                            }
                        }
                        continue
                    }
                    if let id, !promptFromRow {
                        use.input = intern(inputs[use.input].sources, id: id)
                    }
                    images = [use]
                }
            }

            if let known = caches.fits[signature], known.allSatisfy({ $0.allSatisfy { $0 != nil } }) {
                var fits = known
                combine(prompts, images, models, optionSets, shared, fits: &fits)
            } else {
                var fits = caches.fits[signature] ?? Self.noFits(models: models.count, sets: optionSets.count)
                combine(prompts, images, models, optionSets, shared, fits: &fits)
                caches.fits[signature] = fits
            }
        }
    }

    /// Every image cell of a table, resolved once per distinct cell (before image ids are settled).
    mutating func resolveRowImages(_ rows: RowSource) {
        let table = rows.table
        var resolved = rowImages[table.source] ?? [:]
        for column in rows.columns(for: .image) {
            for row in 0..<table.rowCount {
                let cell = table.cell(row, column)
                if case .empty = cell { continue }
                guard resolved.index(forKey: cell) == nil else { continue }
                let before = diagnostics.all.count
                let use = rowImage(
                    cell, rows, mark: table.mark(row: row, column: column), path: rows.path.index(row).key("image"))
                resolved[cell] = .some(use)
                // `--skip-invalid`: a cell that names no usable image (a missing file, one that
                // is not an image, a glob that matches nothing, an incomplete URL) skips its rows,
                // each a skipped job at its cell, where it would be an error. An error found
                // elsewhere (a library entry the cell names) still stops the plan.
                if options.skipInvalid, use == nil {
                    let found = diagnostics.all[before...]
                    if let problem = found.first(where: { $0.severity == .error }),
                        found.allSatisfy({ $0.mark.source == table.source })
                    {
                        diagnostics.removeAll(after: before)
                        rowImageProblems[table.source, default: [:]][cell] = problem
                    }
                }
            }
        }
        rowImages[table.source] = resolved
    }

    /// A row's image cell as an input: a library id, or a path below the table's folder, or a
    /// URL; a list is several images for one job.
    mutating func rowImage(_ cell: TableFile.Cell, _ rows: RowSource, mark: Mark, path: KeyPath) -> ImageUse? {
        func reference(_ text: String) -> String {
            let text = text.trimmed
            return manifest.images[text] == nil ? ManifestDecoder.resolve(text, in: rows.folder) : text
        }
        switch cell {
        case .empty:
            return nil
        case .text(let text):
            return resolveImage(Located(.single(reference(text)), mark: mark, path: path)).first
        case .list(let items):
            let located = items.enumerated().map { Located(reference($1), mark: mark, path: path.index($0)) }
            return resolveImage(Located(.list(located), mark: mark, path: path)).first
        }
    }
}
