import Foundation
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

    /// What every row of a `rows` axis shares: the block's values and which column sets what.
    struct RowContext {
        let block: ResolvedBlock
        let rows: RowSource
        let defaults: ResolvedFields
        let promptColumn: Int?
        let imageColumns: [Int]
        let modelColumn: Int?
        let idColumn: Int?
        let fieldColumns: [(column: Int, name: String)]
        let axes: [(String, [Located<ImageValue>?])]
        let base: [String: Located<ImageValue>]
        let baseSets: [[String: Located<ImageValue>]]
        let shared: Expansion
        /// The prompts and images of a row that sets none: the block's, else the defaults'.
        let prompts: [PromptUse?]
        let images: [ImageUse?]
    }

    mutating func expandRows(_ block: ResolvedBlock, _ rows: RowSource, defaults: ResolvedFields) {
        let table = rows.table
        let tableIndex = Int32(tables.count)
        tables.append(table)
        let varied = Set(block.options.map(\.0))
        let axes = Self.axes(block)
        let base = Self.fixed(block, defaults.options)
        let context = RowContext(
            block: block, rows: rows, defaults: defaults,
            promptColumn: block.prompts == nil ? rows.column(for: .prompt) : nil,
            imageColumns: block.images == nil ? rows.columns(for: .image) : [],
            modelColumn: block.models == nil ? rows.column(for: .model) : nil,
            idColumn: rows.column(for: .id),
            fieldColumns: rows.uses.compactMap { use in
                guard case .field(let name) = use.role, !varied.contains(name) else { return nil }
                return (use.column, name)
            },
            axes: axes, base: base, baseSets: Self.product(axes, base: base),
            shared: Expansion(
                samples: block.samples ?? defaults.samples ?? 1,
                params: Self.merge(defaults.params, block.block.params),
                origin: JobOrigin(path: rows.path, mark: rows.mark), table: tableIndex),
            prompts: block.prompts ?? [defaults.prompt], images: block.images ?? [defaults.image])
        let parts = Self.rowParts(
            table.rowCount, minimum: options.parallelRows,
            cores: options.rowParts ?? min(ProcessInfo.processInfo.activeProcessorCount, 8))
        if parts.count > 1 {
            expandRows(context, inParts: parts)
        } else {
            var caches = RowCaches()
            expandRows(context, 0..<table.rowCount, caches: &caches)
        }
    }

    /// The rows a table is planned in at once: one part a core, when it is large enough.
    static func rowParts(_ count: Int, minimum: Int, cores: Int) -> [Range<Int>] {
        guard count >= minimum, count >= cores, cores > 1 else { return [0..<count] }
        return (0..<cores).map { count * $0 / cores..<count * ($0 + 1) / cores }
    }

    /// Plans a table's parts at once, each on a copy of this run, and takes them in order as if
    /// planned one after another. The first part is planned on a copy that has everything before
    /// it: it is exactly the rows planned in order. A later part starts without the jobs and paths
    /// of the parts before it, so it is taken only when it touched nothing those could change: no
    /// diagnostic, no input, image or media value of its own, and none of its keys or paths
    /// already taken (where one part merges a job into another's, or moves a path aside). A part
    /// that is not taken is planned again, in order, after the ones taken: the plan is the one a
    /// single pass makes, whichever way it was made (`TableTests` compares the two).
    mutating func expandRows(_ context: RowContext, inParts parts: [Range<Int>]) {
        let start = Unchecked(self)
        let context = Unchecked(context)
        let total = jobs.capacity
        let perRow = max(1, context.value.baseSets.count * context.value.shared.samples)
        let lastIsLookedUp = isLastExpansion
        // Each part's run held once (not also by the parts' results), so that taking changes it
        // in place rather than a copy of it.
        var planned = inParts(parts.count) { part -> Unchecked<(PlanningRun, RowCaches)> in
            var run = start.value
            if part == 0 {
                run.jobs.reserveCapacity(max(total, run.jobs.count + parts.count * parts[0].count * perRow))
                if lastIsLookedUp {
                    // Room for this part's keys and paths and the parts' taken into them (not
                    // the last's, only looked up): a dictionary's memory is all touched.
                    let expected = run.jobIndex.count + (parts.count - 1) * parts[0].count * perRow
                    run.jobIndex = Self.reserved(run.jobIndex, expected)
                    run.paths = Self.reserved(run.paths, expected)
                }
            } else {
                // Only what this part adds: it is merged into the first.
                let expected = parts[part].count * perRow
                run.jobs = []
                run.jobs.reserveCapacity(expected)
                run.jobIndex = [:]
                run.jobIndex.reserveCapacity(expected)
                run.paths = [:]
                run.paths.reserveCapacity(expected)
                run.merged = []
                run.skipped = []
            }
            var caches = RowCaches()
            run.expandRows(context.value, parts[part], caches: &caches)
            return Unchecked((run, caches))
        }.map { Optional($0.value) }
        // The caches as one pass has them after each part: a part planned again uses them, since
        // what they hold carries the location of the first row that made it.
        var (run, caches) = planned[0]!
        planned[0] = nil
        for part in 1..<parts.count {
            var (other, otherCaches) = planned[part]!
            planned[part] = nil
            let indexed = !lastIsLookedUp || part < parts.count - 1
            if Self.foundNoProblem(otherCaches), run.take(&other, plannedFrom: self, indexed: indexed) {
                run.rowPartsTaken += 1
                caches.models.merge(otherCaches.models) { earlier, _ in earlier }
                caches.fits.merge(otherCaches.fits) { earlier, _ in earlier }
            } else {
                run.expandRows(context.value, parts[part], caches: &caches)
            }
        }
        self = run
    }

    /// Takes the jobs a later part planned from `start` (the run before the table), if it
    /// touched nothing that the parts before it could change; `false` (and this run unchanged)
    /// when it did. `indexed`: its keys and paths are added to `jobIndex` and `paths` (else they
    /// are only looked up there: no later job looks for them).
    ///
    /// One meeting is mended rather than planned again, since a large table meets it by chance
    /// (two prompts' slugs share their start and their 6-digit hash): with the default layout, a
    /// job of the later part whose path an earlier job has gets its short key added, as one pass
    /// gives it (`place`).
    mutating func take(_ other: inout PlanningRun, plannedFrom start: PlanningRun, indexed: Bool) -> Bool {
        guard other.diagnostics.all.count == start.diagnostics.all.count,
            other.reported.count == start.reported.count, other.inputs.count == start.inputs.count,
            other.localImages.count == start.localImages.count, other.seenImages.count == start.seenImages.count,
            other.resolvedMedia.count == start.resolvedMedia.count, other.derivedIDs.count == start.derivedIDs.count
        else { return false }
        // A key taken before: one pass would have merged this part's job into the earlier one.
        for key in other.jobIndex.keys where jobIndex[key] != nil { return false }
        var movedAside: [(job: Int, path: String)] = []
        for (path, index) in other.paths where paths[path] != nil {
            let job = other.jobs[index]
            // A job the part moved aside already: one pass would report that path's clash.
            guard manifest.layout == nil, !path.path.hasSuffix("_\(job.digest.prefix(12)).{ext}") else {
                return false
            }
            let aside = path.path.replacingAll(".{ext}", with: "_\(job.digest.prefix(12)).{ext}")
            let asideKey = PathKey(aside)
            guard Self.reservedName(aside) == nil, paths[asideKey] == nil, other.paths[asideKey] == nil else {
                return false
            }
            movedAside.append((index, aside))
        }
        let offset = jobs.count
        if indexed {
            for (key, index) in other.jobIndex { jobIndex[key] = offset + index }
            var moved: Set<Int> = []
            for (index, path) in movedAside {
                paths[PathKey(path)] = offset + index
                moved.insert(index)
            }
            for (path, index) in other.paths where !moved.contains(index) {
                paths[path] = offset + index
            }
        }
        // The part's own index is let go before its jobs are copied: less memory at once.
        other.jobIndex = [:]
        other.paths = [:]
        jobs += other.jobs
        for (index, path) in movedAside { jobs[offset + index].outputTemplate = path }
        merged += other.merged
        skipped += other.skipped
        return true
    }

    /// Whether a part's models and fittings found nothing wrong. A fitting's problems are located
    /// at the first row that made it, and one pass reuses them (each a skipped job at that row
    /// with `--skip-invalid`) for the rows after it, in later parts too: a part whose fittings
    /// have problems is planned again after the parts before it.
    static func foundNoProblem(_ caches: RowCaches) -> Bool {
        for (_, model) in caches.models where model == nil { return false }
        for (_, fits) in caches.fits {
            for fit in fits.joined() where fit.map({ !$0.problems.isEmpty || $0.stop }) ?? false { return false }
        }
        return true
    }

    /// A dictionary's entries in one with room for `capacity`.
    static func reserved<Key, Value>(_ dictionary: [Key: Value], _ capacity: Int) -> [Key: Value] {
        var copy: [Key: Value] = [:]
        copy.reserveCapacity(capacity)
        for (key, value) in dictionary { copy[key] = value }
        return copy
    }

    /// Plans the rows `range` of a table, in order.
    mutating func expandRows(_ context: RowContext, _ range: Range<Int>, caches: inout RowCaches) {
        let rows = context.rows
        let table = rows.table
        var shared = context.shared
        // A row's own prompt and image, one element each: the same two arrays for every row (no
        // other holds them once the row is planned), not two new ones a row.
        var ownPrompt: [PromptUse?] = [nil]
        var ownImage: [ImageUse?] = [nil]
        for row in range {
            let rowPath = rows.path.index(row)
            shared.row = Int32(row)
            var id: String?
            if let column = context.idColumn, case .text(let text) = table.cell(row, column) { id = text.trimmed }

            // The model: the block's, else the row's, else the defaults'.
            var signature = ""
            let models: [ModelUse]
            if let blockModels = context.block.models {
                models = blockModels
            } else if let column = context.modelColumn, case .text(let name) = table.cell(row, column) {
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
            } else if let model = context.defaults.model {
                models = [model]
            } else {
                report(
                    "this row has no model: fill its 'model' cell, or set 'model' in the block or under 'defaults'",
                    at: table.mark(row: row), path: rowPath)
                continue
            }

            // Field values: the block's axes and values, else the row's cells, else the defaults.
            var optionSets = context.baseSets
            if !context.fieldColumns.isEmpty {
                var fixed = context.base
                for (column, name) in context.fieldColumns {
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
                optionSets = Self.product(context.axes, base: fixed)
            }

            // The prompt.
            var prompts = context.prompts
            var promptFromRow = false
            if let column = context.promptColumn {
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
                    ownPrompt[0] = use
                    prompts = ownPrompt
                    promptFromRow = true
                }
            }

            // The main input.
            var images = context.images
            var filled: Int?
            var twice: Int?
            for column in context.imageColumns where table.cell(row, column) != .empty {
                if filled == nil { filled = column } else if twice == nil { twice = column }
            }
            if let first = filled, let second = twice {
                report(
                    "this row sets both '\(table.columns[first])' and '\(table.columns[second])': one image column a row",
                    at: table.mark(row: row, column: second), path: rowPath.key("image"))
                continue
            }
            if let column = filled {
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
                    ownImage[0] = use
                    images = ownImage
                }
            }

            // The fittings are changed in place in the cache: a copy of them would be a copy a row.
            // (Through `caches.fits[signature, default: ...]` it made two allocations a row more.)
            if caches.fits.index(forKey: signature) == nil {
                caches.fits[signature] = Self.noFits(models: models.count, sets: optionSets.count)
            }
            let slot = caches.fits.index(forKey: signature)!
            combine(prompts, images, models, optionSets, shared, fits: &caches.fits.values[slot])
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
