import Crypto
import RunningHubModel
import YAML

/// Turns a ``Manifest`` into a ``Plan``: expands the matrix, fits every job to its model, checks
/// local images, derives stable keys and output paths, and prices the result.
///
/// All problems are collected in one pass. The only I/O is reading local images (through
/// ``ImageInspector``) and listing globs.
package struct Planner {
    /// Planning choices from the command line.
    package struct Options: Sendable {
        /// Skip combinations that do not fit their model instead of refusing the manifest.
        package var skipInvalid: Bool
        /// The most jobs a manifest may expand to.
        package var maxJobs: Int
        /// The fewest rows of a table that are planned in parts at once, one a core (tests
        /// lower it to compare the parts' plan with one pass's).
        package var parallelRows: Int
        /// How many parts such a table is planned in (`nil`: one a core, at most 8).
        package var rowParts: Int?

        /// Makes options.
        package init(
            skipInvalid: Bool = false, maxJobs: Int = 1_000_000, parallelRows: Int = 20_000, rowParts: Int? = nil
        ) {
            self.skipInvalid = skipInvalid
            self.maxJobs = maxJobs
            self.parallelRows = parallelRows
            self.rowParts = rowParts
        }
    }

    let catalog: ModelCatalog
    let options: Options

    /// Makes a planner over a catalog.
    package init(catalog: ModelCatalog = .builtIn, options: Options = Options()) {
        self.catalog = catalog
        self.options = options
    }

    /// Plans a manifest; on failure `diagnostics` holds every error.
    package func plan(_ manifest: Manifest, diagnostics: inout Diagnostics) -> Plan? {
        var run = PlanningRun(manifest: manifest, catalog: catalog, options: options, diagnostics: diagnostics)
        let plan = run.plan()
        diagnostics = run.diagnostics
        return diagnostics.hasErrors ? nil : plan
    }
}

/// One planning pass and its working state.
struct PlanningRun {
    struct ImageUse {
        var input: Int
        var mark: Mark
        var path: KeyPath
    }

    struct PromptUse {
        var prompt: PromptRef
        var mark: Mark
        var path: KeyPath
    }

    /// A model as an axis value or a job's field. A class: a matrix block hands it to each of its
    /// combinations, and a model's spec is large to copy.
    final class ModelUse {
        let model: ModelSpec
        let mark: Mark
        let path: KeyPath

        init(model: ModelSpec, mark: Mark, path: KeyPath) {
            self.model = model
            self.mark = mark
            self.path = path
        }
    }

    /// A combination before it is fitted to its model.
    struct Combination {
        var prompt: PromptUse?
        var image: ImageUse?
        var model: ModelUse
        var options: [String: Located<ImageValue>]
        var samples: Int
        var params: [Located<Param>]
        var origin: JobOrigin
        /// The fitted fields, when the caller computed them already.
        var fit: FieldFit? = nil
        /// For a table's row: the row (from 0) and the table (an index into `tables`).
        var row: Int32 = -1
        var table: Int32 = -1
    }

    let manifest: Manifest
    let catalog: ModelCatalog
    let options: Planner.Options
    var diagnostics: Diagnostics

    var inspector = ImageInspector()
    var inputs: [ImageInput] = []
    var inputIndex: [String: Int] = [:]
    var derivedIDs: Set<Int> = []
    var layout: OutputLayout?

    var jobs: [PlannedJob] = []
    var jobIndex: [HexDigest: Int] = [:]
    var paths: [PathKey: Int] = [:]
    var merged: [MergedJob] = []
    var skipped: [SkippedJob] = []
    var localImages: [LocalImage] = []
    var seenImages: Set<String> = []
    var safeNames = SafeNames()
    /// Errors already reported for a block or entry: a matrix repeats the same problem per job.
    var reported: Set<String> = []
    /// Media field values already resolved, to their input (nil when it failed).
    var resolvedMedia: [String: Int?] = [:]
    /// The input part of job identity texts already made, per input.
    var inputIdentity: [Int: String] = [:]
    /// Safe names of inputs (by index) and of the last prompt, for output paths.
    var inputNames: [String?] = []
    var lastPromptName: (id: String, name: String)?
    /// The tables of `rows` axes, in block order.
    var tables: [TableFile] = []
    /// The images of tables' image cells, by table and cell: resolved before image ids are
    /// settled, so that two rows' `room.png` from different folders get distinct ids as matrix
    /// axes do.
    var rowImages: [Int32: [TableFile.Cell: ImageUse?]] = [:]
    /// With `--skip-invalid`: why a table's image cell names no usable image (the first error
    /// found at the cell), so the rows that name it are skipped, not reported.
    var rowImageProblems: [Int32: [TableFile.Cell: Diagnostic]] = [:]
    /// Parts of tables planned at once and taken as planned.
    var rowPartsTaken = 0
    /// Whether the block being expanded is the last thing that makes jobs: then a table's last
    /// part is taken without adding its keys and paths to `jobIndex` and `paths`, which no job
    /// will look in again.
    var isLastExpansion = false

    /// Names of media fields (other than a model's main image): their axis values are files.
    let mediaFieldNames: Set<String>

    init(manifest: Manifest, catalog: ModelCatalog, options: Planner.Options, diagnostics: Diagnostics) {
        self.manifest = manifest
        self.catalog = catalog
        var mediaFieldNames: Set<String> = []
        for model in catalog.models {
            for field in model.otherFields where field.media != nil { mediaFieldNames.insert(field.name) }
        }
        self.mediaFieldNames = mediaFieldNames
        self.options = options
        self.diagnostics = diagnostics
    }

    mutating func plan() -> Plan? {
        readLayout()
        let defaults = resolveFields(manifest.defaults)
        var blocks: [ResolvedBlock] = []
        for block in manifest.matrix { blocks.append(resolveBlock(block)) }
        var entries: [(JobEntry, ResolvedFields)] = []
        for entry in manifest.jobs { entries.append((entry, resolveFields(entry.fields))) }
        assignImageIDs()

        var total = 0
        for block in blocks {
            total += block.count * (block.samples ?? defaults.samples ?? 1)
        }
        for (_, fields) in entries {
            total += fields.samples ?? defaults.samples ?? 1
        }
        if total > options.maxJobs {
            diagnostics.error(
                "the manifest expands to \(total) jobs; the limit is \(options.maxJobs): split it into several manifests",
                at: manifest.matrix.first?.mark ?? manifest.mark,
                path: manifest.matrix.first?.path.description ?? ""
            )
            return nil
        }
        jobs.reserveCapacity(total)
        jobIndex.reserveCapacity(total)
        paths.reserveCapacity(total)

        for (index, block) in blocks.enumerated() {
            isLastExpansion = index == blocks.count - 1 && entries.isEmpty
            expand(block, defaults: defaults)
        }
        isLastExpansion = false
        for (entry, fields) in entries {
            let origin = JobOrigin(path: entry.path, mark: entry.mark)
            if let combination = combine(fields, defaults: defaults, origin: origin) { add(combination) }
        }
        if jobs.isEmpty && !diagnostics.hasErrors {
            if skipped.isEmpty {
                diagnostics.error("the manifest expands to no jobs", at: manifest.mark, path: "")
            } else {
                diagnostics.warning("every job was skipped as invalid; nothing would run", at: manifest.mark, path: "")
            }
        }
        if diagnostics.hasErrors { return nil }

        var cost = Money.zero
        var unpriced = 0
        for job in jobs {
            cost += job.price
            if !job.priceKnown { unpriced += 1 }
        }
        // The plan keeps where each table row was, not the tables' cells (a run holds the plan).
        var kept = manifest
        for index in kept.matrix.indices {
            if let table = kept.matrix[index].rows?.table { kept.matrix[index].rows?.table = table.droppingContents() }
        }
        var plan = Plan(
            manifest: kept,
            jobs: jobs,
            merged: merged,
            skipped: skipped,
            localImages: localImages,
            estimatedCost: cost,
            unpricedJobs: unpriced,
            currency: catalog.models.first { $0.workflow == nil }?.price.currency ?? "CNY",
            warnings: diagnostics.all.filter { $0.severity == .warning },
            catalog: catalog,
            tables: tables.map { $0.droppingContents() },
            files: diagnostics.files
        )
        plan.rowPartsTaken = rowPartsTaken
        return plan
    }

    // MARK: Layout

    mutating func readLayout() {
        let template = manifest.layout?.value ?? OutputLayout.defaultTemplate
        do {
            layout = try OutputLayout(template, fieldNames: catalog.fieldNames)
        } catch {
            diagnostics.error(error.message, at: manifest.layout?.mark ?? manifest.mark, path: "layout")
        }
    }

    // MARK: Resolving values

    /// Fields with prompts and images resolved; `nil` members are unset.
    struct ResolvedFields {
        var prompt: PromptUse?
        var image: ImageUse?
        var model: ModelUse?
        var options: [String: Located<ImageValue>]
        var samples: Int?
        var params: [Located<Param>]
        var written: Set<String>
    }

    struct ResolvedBlock {
        var block: MatrixBlock
        var prompts: [PromptUse]?
        var images: [ImageUse]?
        var models: [ModelUse]?
        var options: [(String, [Located<String>])]
        var samples: Int?

        var count: Int {
            var count = 1
            count *= prompts?.count ?? 1
            count *= images?.count ?? 1
            count *= models?.count ?? 1
            for (_, values) in options { count *= values.count }
            if let rows = block.rows { count *= rows.table.rowCount }
            return count
        }
    }

    mutating func resolveFields(_ fields: JobFields) -> ResolvedFields {
        var image: ImageUse?
        if let value = fields.image {
            image = resolveImage(value).first
        }
        var prompt: PromptUse?
        if let value = fields.prompt { prompt = resolvePrompt(value) }
        var model: ModelUse?
        if let value = fields.model { model = resolveModel(value) }
        return ResolvedFields(
            prompt: prompt,
            image: image,
            model: model,
            options: fields.options,
            samples: fields.samples?.value,
            params: fields.params,
            written: fields.written
        )
    }

    mutating func resolveBlock(_ block: MatrixBlock) -> ResolvedBlock {
        var prompts: [PromptUse]?
        if let values = block.prompt {
            prompts = []
            for value in values { prompts?.append(resolvePrompt(value)) }
        }
        var images: [ImageUse]?
        if let values = block.image {
            images = []
            for value in values { images?.append(contentsOf: resolveAxisImage(value)) }
        }
        var models: [ModelUse]?
        if let values = block.model {
            models = []
            for value in values {
                if let model = resolveModel(value) { models?.append(model) }
            }
        }
        if let rows = block.rows, block.image == nil { resolveRowImages(rows) }
        var optionAxes: [(String, [Located<String>])] = []
        for (name, values) in block.options {
            guard mediaFieldNames.contains(name) else {
                optionAxes.append((name, values))
                continue
            }
            // A media field axis: a glob is one value per matched file, as for `image`.
            var expanded: [Located<String>] = []
            for value in values {
                if manifest.images[value.value] == nil, Glob.isPattern(value.value), !Self.isURL(value.value) {
                    let files = Glob.matches(value.value, in: manifest.directory)
                    if files.isEmpty {
                        diagnostics.error(
                            "the glob '\(value.value)' matches no files", at: value.mark, path: value.path.description)
                    }
                    expanded += files.map { Located($0, mark: value.mark, path: value.path) }
                } else {
                    expanded.append(value)
                }
            }
            optionAxes.append((name, expanded))
        }
        return ResolvedBlock(
            block: block,
            prompts: prompts,
            images: images,
            models: models,
            options: optionAxes,
            samples: block.samples?.value
        )
    }

    mutating func resolvePrompt(_ value: Located<String>) -> PromptUse {
        if !manifest.prompts.isEmpty, let entry = manifest.prompts[value.value] {
            return PromptUse(
                prompt: PromptRef(id: value.value, text: entry.value.trimmed), mark: value.mark, path: value.path)
        }
        let text = value.value.trimmed
        if !manifest.prompts.isEmpty, !text.contains(where: \.isWhitespace),
            let near = Suggestion.closest(to: text, in: manifest.prompts.keys.sorted())
        {
            diagnostics.warning(
                "'\(text)' is not a prompt id, so it is sent as the prompt text itself (did you mean '\(near)'?)",
                at: value.mark,
                path: value.path.description
            )
        }
        return PromptUse(prompt: PromptRef(id: Self.promptSlug(text), text: text), mark: value.mark, path: value.path)
    }

    mutating func resolveModel(_ value: Located<String>) -> ModelUse? {
        guard let model = catalog.model(named: value.value) else {
            let hint = Suggestion.hint(for: value.value, in: catalog.allNames)
            let known = catalog.models.map(\.alias).joined(separator: ", ")
            diagnostics.error(
                "unknown model '\(value.value)'\(hint); known: \(known)", at: value.mark, path: value.path.description)
            return nil
        }
        return ModelUse(model: model, mark: value.mark, path: value.path)
    }

    /// A matrix image value: one input per matched file for a glob, else one input.
    mutating func resolveAxisImage(_ value: Located<String>) -> [ImageUse] {
        let reference = value.value
        if let entry = manifest.images[reference] {
            switch entry.value {
            case .single(let target) where Glob.isPattern(target) && !Self.isURL(target):
                return globInputs(target, mark: value.mark, path: value.path)
            case .single(let target):
                return source(target, mark: entry.mark, path: entry.path).map { [use([$0], id: reference, value)] }
                    ?? []
            case .list(let items):
                return listInput(items, id: reference).map { [use($0.sources, id: $0.id, value)] } ?? []
            }
        }
        if Glob.isPattern(reference) && !Self.isURL(reference) {
            return globInputs(reference, mark: value.mark, path: value.path)
        }
        guard let source = source(reference, mark: value.mark, path: value.path) else { return [] }
        return [use([source], id: nil, value)]
    }

    /// A job or defaults image value: never expanded.
    mutating func resolveImage(_ value: Located<ImageValue>) -> [ImageUse] {
        switch value.value {
        case .single(let reference):
            if let entry = manifest.images[reference] {
                switch entry.value {
                case .single(let target):
                    if Glob.isPattern(target) && !Self.isURL(target) {
                        diagnostics.error(
                            "image '\(reference)' is a glob, and globs are expanded only in matrix axes",
                            at: value.mark,
                            path: value.path.description
                        )
                        return []
                    }
                    return source(target, mark: entry.mark, path: entry.path).map {
                        [ImageUse(input: intern([$0], id: reference), mark: value.mark, path: value.path)]
                    } ?? []
                case .list(let items):
                    return listInput(items, id: reference).map {
                        [ImageUse(input: intern($0.sources, id: $0.id), mark: value.mark, path: value.path)]
                    } ?? []
                }
            }
            if Glob.isPattern(reference) && !Self.isURL(reference) {
                diagnostics.error(
                    "'\(reference)' is a glob; globs are expanded only in matrix axes (list the files here instead)",
                    at: value.mark,
                    path: value.path.description
                )
                return []
            }
            guard let source = source(reference, mark: value.mark, path: value.path) else { return [] }
            return [ImageUse(input: intern([source], id: nil), mark: value.mark, path: value.path)]
        case .list(let items):
            guard let input = listInput(items, id: nil) else { return [] }
            return [ImageUse(input: intern(input.sources, id: input.id), mark: value.mark, path: value.path)]
        }
    }

    /// Several images for one job; library ids inside the list are replaced by their images.
    mutating func listInput(_ items: [Located<String>], id: String?) -> (sources: [ImageSource], id: String?)? {
        var sources: [ImageSource] = []
        var failed = false
        for item in items {
            if let entry = manifest.images[item.value] {
                switch entry.value {
                case .single(let target) where !Glob.isPattern(target) || Self.isURL(target):
                    if let source = source(target, mark: entry.mark, path: entry.path) {
                        sources.append(source)
                    } else {
                        failed = true
                    }
                case .list(let nested):
                    for target in nested {
                        if let source = source(target.value, mark: target.mark, path: target.path) {
                            sources.append(source)
                        } else {
                            failed = true
                        }
                    }
                default:
                    diagnostics.error(
                        "image '\(item.value)' is a glob and cannot be part of a list", at: item.mark,
                        path: item.path.description)
                    failed = true
                }
            } else if Glob.isPattern(item.value) && !Self.isURL(item.value) {
                diagnostics.error(
                    "'\(item.value)' is a glob; a list of images names files, not patterns", at: item.mark,
                    path: item.path.description)
                failed = true
            } else if let source = source(item.value, mark: item.mark, path: item.path) {
                sources.append(source)
            } else {
                failed = true
            }
        }
        return failed ? nil : (sources, id)
    }

    mutating func globInputs(_ pattern: String, mark: Mark, path: KeyPath) -> [ImageUse] {
        let files = Glob.matches(pattern, in: manifest.directory)
        if files.isEmpty {
            diagnostics.error("the glob '\(pattern)' matches no files", at: mark, path: path.description)
            return []
        }
        var uses: [ImageUse] = []
        for file in files {
            guard let source = source(file, mark: mark, path: path) else { continue }
            uses.append(ImageUse(input: intern([source], id: nil), mark: mark, path: path))
        }
        return uses
    }

    mutating func use(_ sources: [ImageSource], id: String?, _ value: Located<String>) -> ImageUse {
        ImageUse(input: intern(sources, id: id), mark: value.mark, path: value.path)
    }

    /// A checked local file or a URL; `nil` (with an error recorded) when the file is unusable.
    mutating func source(_ reference: String, mark: Mark, path: KeyPath) -> ImageSource? {
        if Self.isURL(reference) {
            let rest = reference.drop { $0 != ":" }.dropFirst(3)
            if rest.isEmpty || rest.hasPrefix("/") {
                diagnostics.error("'\(reference)' is not a complete URL", at: mark, path: path.description)
                return nil
            }
            return .remote(reference)
        }
        let absolute = reference.hasPrefix("/") ? reference : manifest.directory + "/" + reference
        switch inspector.inspect(path: reference, absolutePath: absolute) {
        case .success(let image):
            if seenImages.insert(image.absolutePath).inserted { localImages.append(image) }
            return .local(image)
        case .failure(let problem):
            diagnostics.error(problem.message, at: mark, path: path.description)
            return nil
        }
    }

    /// The index of an input, one per distinct list of sources and id.
    mutating func intern(_ sources: [ImageSource], id: String?) -> Int {
        let identity = (id.map { "id:" + $0 } ?? "derived") + "|" + sources.map(Self.identity).joined(separator: "|")
        if let existing = inputIndex[identity] { return existing }
        let index = inputs.count
        inputs.append(ImageInput(id: id ?? Self.derivedID(sources), sources: sources))
        inputIndex[identity] = index
        if id == nil { derivedIDs.insert(index) }
        return index
    }

    /// Gives derived ids that collide (two different files named `room.png`) a short hash suffix.
    mutating func assignImageIDs() {
        var owners: [String: Set<String>] = [:]
        for (index, input) in inputs.enumerated() {
            let identity = input.sources.map(Self.identity).joined(separator: "|")
            owners[input.id, default: []].insert(derivedIDs.contains(index) ? identity : "library")
        }
        for index in derivedIDs.sorted() {
            let input = inputs[index]
            guard let sharing = owners[input.id], sharing.count > 1 else { continue }
            let identity = input.sources.map(Self.identity).joined(separator: "|")
            inputs[index].id = input.id + "-" + Self.shortHash(identity)
        }
    }

    // MARK: Expansion

    mutating func expand(_ block: ResolvedBlock, defaults: ResolvedFields) {
        let origin = JobOrigin(path: block.block.path, mark: block.block.mark)
        let written = block.block.written.union(manifest.defaults.written)
        if !written.contains("model") {
            diagnostics.error(
                "no 'model' for these jobs: add it as an axis or under 'defaults'",
                at: block.block.mark,
                path: block.block.path.description
            )
            return
        }
        // An axis whose values all failed leaves no combination (its errors are reported).
        if block.prompts?.isEmpty == true || block.images?.isEmpty == true || block.models?.isEmpty == true { return }
        if let rows = block.block.rows {
            expandRows(block, rows, defaults: defaults)
            return
        }
        // A table that could not be read (reported) makes no jobs.
        if block.block.written.contains("rows") { return }
        let prompts: [PromptUse?] = block.prompts ?? [defaults.prompt]
        let images: [ImageUse?] = block.images ?? [defaults.image]
        guard let models = block.models ?? defaults.model.map({ [$0] }) else { return }
        let optionSets = Self.product(Self.axes(block), base: Self.fixed(block, defaults.options))
        var fits = Self.noFits(models: models.count, sets: optionSets.count)
        let shared = Expansion(
            samples: block.samples ?? defaults.samples ?? 1, params: Self.merge(defaults.params, block.block.params),
            origin: origin)
        combine(prompts, images, models, optionSets, shared, fits: &fits)
    }

    /// What every combination of a block shares.
    struct Expansion {
        var samples: Int
        var params: [Located<Param>]
        var origin: JobOrigin
        var row: Int32 = -1
        var table: Int32 = -1
    }

    /// The block's field axes as values.
    static func axes(_ block: ResolvedBlock) -> [(String, [Located<ImageValue>?])] {
        block.options.map { name, values in
            (name, values.map { Located(ImageValue.single($0.value), mark: $0.mark, path: $0.path) })
        }
    }

    /// The fixed field values under a block's axes: `base` without the fields the block varies.
    static func fixed(_ block: ResolvedBlock, _ base: [String: Located<ImageValue>]) -> [String: Located<ImageValue>] {
        var fixed = base
        for (name, _) in block.options { fixed[name] = nil }
        return fixed
    }

    static func noFits(models: Int, sets: Int) -> [[FieldFit?]] {
        Array(repeating: Array(repeating: nil, count: sets), count: models)
    }

    /// Adds every combination of prompts × images × models × field value sets.
    mutating func combine(
        _ prompts: [PromptUse?], _ images: [ImageUse?], _ models: [ModelUse],
        _ optionSets: [[String: Located<ImageValue>]], _ shared: Expansion, fits: inout [[FieldFit?]]
    ) {
        // Fitting fields depends on the model and the field values only: once per pair, not per job.
        for prompt in prompts {
            for image in images {
                for (modelIndex, model) in models.enumerated() {
                    for (setIndex, chosen) in optionSets.enumerated() {
                        if fits[modelIndex][setIndex] == nil {
                            let fit = fitFields(model: model.model, options: chosen, origin: shared.origin)
                            // The fields' part of the job identity, with the block's params.
                            if fit.problems.isEmpty && !fit.stop {
                                fit.identity = Self.fieldsIdentity(
                                    (fit.apiOptions + shared.params.map(\.value)).sorted { $0.key < $1.key })
                            }
                            fits[modelIndex][setIndex] = fit
                        }
                        add(
                            Combination(
                                prompt: prompt,
                                image: image,
                                model: model,
                                options: chosen,
                                samples: shared.samples,
                                params: shared.params,
                                origin: shared.origin,
                                fit: fits[modelIndex][setIndex],
                                row: shared.row,
                                table: shared.table
                            ))
                    }
                }
            }
        }
    }

    /// Every combination of field values over `base`, the last axis varying fastest.
    static func product(_ axes: [(String, [Located<ImageValue>?])], base: [String: Located<ImageValue>]) -> [[String:
        Located<ImageValue>]]
    {
        var result: [[String: Located<ImageValue>]] = [base]
        for (key, values) in axes {
            var next: [[String: Located<ImageValue>]] = []
            for partial in result {
                for value in values {
                    var chosen = partial
                    chosen[key] = value
                    next.append(chosen)
                }
            }
            result = next
        }
        return result
    }

    /// An explicit job: its own fields over the defaults.
    mutating func combine(_ fields: ResolvedFields, defaults: ResolvedFields, origin: JobOrigin) -> Combination? {
        let prompt = fields.prompt ?? defaults.prompt
        let image = fields.image ?? defaults.image
        let model = fields.model ?? defaults.model
        let written = fields.written.union(defaults.written)
        if !written.contains("model") {
            diagnostics.error(
                "this job has no 'model': set it here or under 'defaults'", at: origin.mark,
                path: origin.path.description)
            return nil
        }
        if written.contains("prompt") && prompt == nil || written.contains("image") && image == nil { return nil }
        guard let model else { return nil }
        return Combination(
            prompt: prompt,
            image: image,
            model: model,
            options: defaults.options.merging(fields.options) { _, job in job },
            samples: fields.samples ?? defaults.samples ?? 1,
            params: Self.merge(defaults.params, fields.params),
            origin: origin
        )
    }

    static func merge(_ base: [Located<Param>], _ overrides: [Located<Param>]) -> [Located<Param>] {
        let keys = Set(overrides.map(\.value.key))
        return base.filter { !keys.contains($0.value.key) } + overrides
    }

    // MARK: Fitting and adding

    /// What fitting a job's fields to its model gives: the same for every job of a block that
    /// shares the model and the field values, so `expand` computes it once for them (and its jobs
    /// share one ``JobShape``).
    final class FieldFit {
        var apiOptions: [Param] = []
        var finalValues: [String: FieldValue] = [:]
        var layoutValues: [String: String] = [:]
        var media: [MediaInput] = []
        var dropped: [String] = []
        var problems: [(message: String, mark: Mark, path: KeyPath)] = []
        /// A problem was reported for the whole block or entry: no job is made.
        var stop = false
        /// The price, when it does not depend on the prompt (`nil` inside: unknown).
        var price: Money?? = nil
        /// The fields' part of the identity text (with the block's params), when made ahead.
        var identity: String?
        /// The shape its jobs share, by price (which may depend on the prompt).
        var shapes: [Money?: Boxed<JobShape>] = [:]
        /// The identity text hashed up to the input, for the prompt it was made with.
        var identityPrefix: (prompt: PromptRef, hasher: SHA256)?
        /// The identity text hashed up to the prompt (the endpoint's part, the same for all).
        var identityHead: SHA256?
        /// Inputs (by index) checked against the model's image field and found fine.
        var inputsFine: Set<Int> = []
        /// The layout with its jobs' shared values in place (`.some(nil)`: it cannot be
        /// prepared, so each path is rendered whole).
        var layout: OutputLayout.Prepared??
    }

    mutating func fitFields(model: ModelSpec, options: [String: Located<ImageValue>], origin: JobOrigin) -> FieldFit {
        // Matrix blocks call this once per model and value set (`expand`); explicit jobs once each.
        let fit = FieldFit()
        var options = options
        if model.workflow != nil { Self.nameRawKeys(model, &options, fit) }
        Self.sortOut(options, model: model, fit)
        // Every other field: the job's value, else (when required) the vendor default.
        for field in model.otherFields {
            let value = options[field.name]
            if let mediaField = field.media {
                guard let value else {
                    if field.required {
                        report(
                            "\(model.alias) needs '\(field.name)' (\(mediaField.accepted))", at: origin.mark,
                            path: origin.path)
                        fit.stop = true
                        return fit
                    }
                    continue
                }
                guard let use = resolveMedia(value) else {
                    fit.stop = true
                    return fit
                }
                let fieldInput = inputs[use.input]
                fit.problems += check(fieldInput, field: mediaField, model: model, mark: value.mark, path: value.path)
                fit.layoutValues[field.name] = fieldInput.id
                fit.media.append(MediaInput(apiKey: mediaField.apiKey, isList: mediaField.isList, input: fieldInput))
                continue
            }
            var final: FieldValue?
            if let value {
                switch Self.convert(value, for: field) {
                case .success(let converted): final = converted
                case .failure(let error):
                    let message: String
                    if case .choice = field.kind {
                        message = "\(error.message) by \(model.alias) (accepted: \(field.accepted))"
                    } else {
                        message = "\(error.message): \(model.alias)'s '\(field.name)' takes \(field.accepted)"
                    }
                    fit.problems.append((message, value.mark, value.path))
                    continue
                }
            } else if field.required {
                if field.isContent || field.defaultValue == nil {
                    let why = field.isContent ? "its default is only an example" : "it has no default"
                    report(
                        "\(model.alias) needs '\(field.name)' (\(field.accepted)); \(why)", at: origin.mark,
                        path: origin.path)
                    fit.stop = true
                    return fit
                }
                final = field.defaultValue
            }
            guard var final else { continue }
            if let workflow = model.workflow {
                final = Self.workflowValue(final, written: value, workflow: workflow, field: field)
            } else if case .choice = field.kind, final == .string(FieldSpec.omitChoice) {
                continue
            }
            fit.finalValues[field.apiKey] = final
            fit.layoutValues[field.name] = final.text
            fit.apiOptions.append(Param(key: field.apiKey, value: final.json))
        }

        if model.price.unit != .thousandCharacters {
            fit.price = .some(model.price.price(for: fit.finalValues, promptLength: 0))
        }
        return fit
    }

    /// The values no field of the model takes: a role field written by its key (an error), a
    /// `NODE:FIELD` a workflow's graph lacks (an error: the service would ignore it), else dropped.
    static func sortOut(_ options: [String: Located<ImageValue>], model: ModelSpec, _ fit: FieldFit) {
        for (name, value) in options where model.field(named: name) == nil {
            // The prompt by its vendor name is the job's prompt (`takePromptByVendorName`).
            if let role = model.roleName(of: name), role == "prompt", name != "prompt" { continue }
            if let role = model.roleName(of: name) {
                fit.problems.append(
                    ("'\(name)' is \(model.alias)'s \(role) field: set it as '\(role)'", value.mark, value.path))
            } else if let workflow = model.workflow, NodeField(name) != nil {
                let what = workflow.kind == .workflow ? "workflow" : "app"
                fit.problems.append(
                    (
                        "\(name) is not an input \(model.alias) can set: its \(what) \(workflow.id) has no such node and field, or the input is linked to another node",
                        value.mark, value.path
                    ))
            } else {
                fit.dropped.append(name)
            }
        }
    }

    /// A workflow input set by its raw `NODE:FIELD` key while the entry names it: under its name
    /// (two values for it, the name's and the key's, are an error).
    static func nameRawKeys(_ model: ModelSpec, _ options: inout [String: Located<ImageValue>], _ fit: FieldFit) {
        for (key, value) in options where NodeField(key) != nil {
            guard let field = model.fields.first(where: { $0.apiKey == key }), field.name != key,
                field.apiKey != model.prompt?.apiKey, field.apiKey != model.image?.apiKey
            else { continue }
            options[key] = nil
            if options[field.name] != nil {
                fit.problems.append(("\(key) is \(model.alias)'s '\(field.name)': set it once", value.mark, value.path))
            } else {
                options[field.name] = value
            }
        }
    }

    /// A workflow value as it is sent and keyed: a whole number as an integer (exactly, when
    /// written as one: seeds exceed what a double holds), a LIST option by its name whichever of
    /// name and value was written.
    static func workflowValue(
        _ value: FieldValue, written: Located<ImageValue>?, workflow: WorkflowBinding, field: FieldSpec
    ) -> FieldValue {
        switch value {
        case .number(let number):
            if let written, case .single(let raw) = written.value {
                if let exact = Int(raw.trimmed) { return .integer(exact) }
                // Past Int64 (ComfyUI's seeds go to 2^64 - 1): the digits as written.
                if UInt64(raw.trimmed) != nil { return .string(raw.trimmed) }
            }
            if number == number.rounded(), abs(number) < 9e15 { return .integer(Int(number)) }
            return value
        case .string(let text):
            if let name = workflow.choiceNames[field.apiKey]?[text] { return .string(name) }
            return value
        default:
            return value
        }
    }

    /// The id of jobs whose model takes no prompt, and of jobs whose model takes no image.
    static let noPrompt = "no-prompt"
    static let noImage = "no-image"

    /// Records an error once per place: a matrix block repeats the same problem for every job.
    mutating func report(_ message: String, at mark: Mark, path: KeyPath) {
        let identity = "\(mark.source):\(mark.line):\(mark.column):\(message)"
        guard reported.insert(identity).inserted else { return }
        diagnostics.error(message, at: mark, path: path.description)
    }

    /// A media field's value resolved once per distinct value (a matrix repeats it per job).
    mutating func resolveMedia(_ value: Located<ImageValue>) -> ImageUse? {
        let identity: String
        switch value.value {
        case .single(let text): identity = "1:" + text
        case .list(let items): identity = "n:" + items.map(\.value).joined(separator: "\u{0}")
        }
        if let known = resolvedMedia[identity] {
            return known.map { ImageUse(input: $0, mark: value.mark, path: value.path) }
        }
        let use = resolveImage(value).first
        resolvedMedia[identity] = .some(use?.input)
        return use
    }

    /// The problems of an input for a media field: count, formats and sizes.
    func check(_ input: ImageInput, field: MediaField, model: ModelSpec, mark: Mark, path: KeyPath) -> [(
        message: String, mark: Mark, path: KeyPath
    )] {
        var problems: [(message: String, mark: Mark, path: KeyPath)] = []
        let noun = field.kind == .image ? "image" : field.kind == .video ? "video" : "audio file"
        if input.sources.count > field.maxCount {
            let isMain = field.apiKey == model.image?.apiKey
            let limit =
                isMain
                ? (field.maxCount > 1 ? "at most \(field.maxCount) input images" : "one input image")
                : (field.maxCount > 1 ? "at most \(field.maxCount) \(noun)s" : "one \(noun)")
                    + " for '\(FieldSpec.snakeCase(field.apiKey))'"
            problems.append(("\(model.alias) takes \(limit); this input has \(input.sources.count)", mark, path))
        }
        for source in input.sources {
            guard case .local(let file) = source else { continue }
            if !field.formats.contains(file.format) {
                let accepted = field.formats.map(\.displayName).joined(separator: ", ")
                let article =
                    file.format.kind == .image
                    ? "a \(file.format.displayName) image" : "a \(file.format.displayName) file"
                problems.append(("'\(file.path)' is \(article); \(model.alias) accepts \(accepted)", mark, path))
            }
            if file.bytes > field.maxBytes {
                problems.append(
                    (
                        "'\(file.path)' is \(Self.megabytes(file.bytes)); \(model.alias) accepts at most \(Self.megabytes(field.maxBytes))",
                        mark,
                        path
                    ))
            }
        }
        return problems
    }

    /// A written value as the field's type, or why it is not one.
    static func convert(_ value: Located<ImageValue>, for field: FieldSpec) -> Result<FieldValue, ConversionError> {
        guard case .single(let raw) = value.value else {
            return .failure(ConversionError("a list is not one value"))
        }
        let text = raw.trimmed
        switch field.kind {
        case .string(let maxLength):
            if let maxLength, raw.count > maxLength {
                return .failure(ConversionError("the text has \(raw.count) characters, more than \(maxLength)"))
            }
            return .success(.string(raw))
        case .choice(let values):
            if values.contains(text) { return .success(.string(text)) }
            if let match = values.first(where: { $0.lowercased() == text.lowercased() }) {
                return .success(.string(match))
            }
            return .failure(ConversionError("\"\(text)\" is not accepted"))
        case .integer(let min, let max, let step):
            guard let number = Int(text) else { return .failure(ConversionError("\"\(text)\" is not an integer")) }
            if let min, number < min { return .failure(ConversionError("\(number) is below \(min)")) }
            if let max, number > max { return .failure(ConversionError("\(number) is above \(max)")) }
            if let step, step > 1, (number - (min ?? 0)) % step != 0 {
                return .failure(ConversionError("\(number) is not a multiple of the step \(step)"))
            }
            return .success(.integer(number))
        case .number(let min, let max, _):
            guard let number = Double(text), number.isFinite else {
                return .failure(ConversionError("\"\(text)\" is not a number"))
            }
            if let min, number < min {
                return .failure(ConversionError("\(text) is below \(FieldValue.number(min).text)"))
            }
            if let max, number > max {
                return .failure(ConversionError("\(text) is above \(FieldValue.number(max).text)"))
            }
            return .success(.number(number))
        case .boolean:
            switch text.lowercased() {
            case "true", "yes", "on": return .success(.boolean(true))
            case "false", "no", "off": return .success(.boolean(false))
            default: return .failure(ConversionError("\"\(text)\" is not true or false"))
            }
        case .media:
            return .failure(ConversionError("a media field takes files"))
        }
    }

    static func matches(_ value: JSONValue, _ type: ModelSpec.ParamType) -> Bool {
        switch (value, type) {
        case (.string, .string), (.integer, .integer), (.integer, .number), (.number, .number), (.boolean, .boolean):
            true
        default: false
        }
    }

    struct ConversionError: Error {
        var message: String
        init(_ message: String) { self.message = message }
    }

    // MARK: Helpers

    /// File-name-safe forms of values, computed once per distinct value: a 100,000-job matrix
    /// repeats the same few hundred ids and ratios.
    /// An output path as a dictionary key that keeps its hash: probing a million paths compares
    /// hashes, not texts in memory far apart.
    struct PathKey: Hashable {
        let path: String
        let hash: Int

        init(_ path: String) {
            self.path = path
            hash = path.hashValue
        }

        static func == (left: PathKey, right: PathKey) -> Bool {
            left.hash == right.hash && left.path == right.path
        }

        func hash(into hasher: inout Hasher) {
            hasher.combine(hash)
        }
    }

    struct SafeNames {
        private var cache: [String: String] = [:]

        mutating func name(for value: String) -> String {
            // Most names are safe as they are (slugs, stems): no need to remember them.
            if OutputLayout.isPlainSafe(value) { return value }
            if let known = cache[value] { return known }
            let safe = OutputLayout.safe(value)
            cache[value] = safe
            return safe
        }
    }

    static func isURL(_ text: String) -> Bool {
        let lower = text.prefix(8).lowercased()
        return lower.hasPrefix("http://") || lower.hasPrefix("https://")
    }

    static func identity(_ source: ImageSource) -> String {
        switch source {
        case .local(let image): "sha256:" + image.sha256
        case .remote(let url): "url:" + url
        }
    }

    /// The text a job key hashes: everything that changes what the API is asked to do.
    static func identityText(
        endpoint: String, prompt: String, fields: [Param], input: ImageInput, media: [MediaInput] = []
    ) -> String {
        var text = "rh-batch/job/v1\nendpoint:\(endpoint)\nprompt:"
        JSONValue.writeString(prompt, to: &text)
        text += "\n"
        return text + fieldsIdentity(fields) + sourcesIdentity(input, media: media)
    }

    /// A job key: the identity text hashed so far, then its sample.
    static func finishKey(_ hasher: inout SHA256, sample: Int) -> HexDigest {
        hasher.update(text: "sample:\(sample)\n")
        return hasher.finalize().withUnsafeBytes { HexDigest(raw: $0) }
    }

    static func fieldsIdentity(_ fields: [Param]) -> String {
        var text = ""
        for field in fields {
            text += "field:\(field.key)="
            field.value.write(to: &text, sorted: true)
            text += "\n"
        }
        return text
    }

    static func sourcesIdentity(_ input: ImageInput, media: [MediaInput]) -> String {
        var text = ""
        for source in input.sources {
            text += "image:" + identity(source) + "\n"
        }
        for field in media {
            for source in field.input.sources {
                text += "media:\(field.apiKey)=" + identity(source) + "\n"
            }
        }
        return text
    }

    /// The names rh-batch writes at the output root (and the `inputs/` folder of the dataset).
    static let reservedRootNames: Set<String> = [
        "report.json", "report.html", "index.jsonl", "metadata.jsonl", "journal.jsonl", "README.md", "inputs",
    ]

    /// What a result path (with `{ext}` and, for sidecars, `.json`) would clash with at the root,
    /// or `nil`.
    static func reservedName(_ path: String) -> String? {
        // Reserved names start with "i" or "." (or are a root file): most paths are none of these.
        if let first = path.utf8.first, first != UInt8(ascii: "i"), first != UInt8(ascii: "."),
            path.utf8.contains(UInt8(ascii: "/"))
        {
            return nil
        }
        if let slash = path.utf8.firstIndex(of: UInt8(ascii: "/")) {
            // Only `inputs/` and `.rh-batch*` folders are rh-batch's; most paths start elsewhere.
            let top = path.utf8[..<slash]
            return top.elementsEqual("inputs".utf8) || top.starts(with: ".rh-batch".utf8) ? "'\(Substring(top))/'" : nil
        }
        let top = path
        if top.hasPrefix(".rh-batch") { return "'\(top)'" }
        // A result `NAME.{ext}` is an image; its sidecar `NAME.json` is what can clash.
        let stem = top.hasSuffix(".{ext}") ? String(top.dropLast(".{ext}".count)) : top
        let sidecar = stem + ".json"
        return reservedRootNames.contains(sidecar) ? "'\(sidecar)' (the sidecar of '\(stem).{ext}')" : nil
    }

    static func sha256(_ text: String) -> String {
        SHA256.hash(data: Array(text.utf8)).hexString
    }

    /// The first 6 hex digits of the text's SHA-256 (hashed in place, only 3 bytes written out).
    static func shortHash(_ text: String) -> String {
        String(unsafeUninitializedCapacity: 6) { writeShortHash(of: text, into: $0, at: 0) }
    }

    /// Writes ``shortHash(_:)`` of `text` into `buffer` from `start`; returns the index after it.
    static func writeShortHash(of text: String, into buffer: UnsafeMutableBufferPointer<UInt8>, at start: Int) -> Int {
        var hasher = SHA256()
        hasher.update(text: text)
        let digits: StaticString = "0123456789abcdef"
        return digits.withUTF8Buffer { table in
            hasher.finalize().withUnsafeBytes { bytes in
                var count = start
                for byte in bytes.prefix(3) {
                    buffer[count] = table[Int(byte >> 4)]
                    buffer[count + 1] = table[Int(byte & 0x0F)]
                    count += 2
                }
                return count
            }
        }
    }

    static func derivedID(_ sources: [ImageSource]) -> String {
        let stems = sources.map { source -> String in
            let reference = source.reference
            var last = reference.split(separator: "/").last.map(String.init) ?? reference
            if isURL(reference) {
                last = String(last.prefix { $0 != "?" && $0 != "#" })
            }
            if let dot = last.lastIndex(of: "."), dot > last.startIndex { last = String(last[..<dot]) }
            return last.isEmpty ? "image" : last
        }
        return stems.joined(separator: "+")
    }

    static func promptSlug(_ text: String) -> String {
        // ASCII text (most prompts) byte by byte: the same slug without Unicode property lookups,
        // which took a fifth of planning a table of a million distinct prompts.
        text.utf8.allSatisfy({ $0 < 0x80 }) ? asciiSlug(text) : unicodeSlug(text)
    }

    /// ``promptSlug(_:)`` of ASCII text, made in one string: the letters and digits (at most 32),
    /// a dash and the short hash's 6 hex digits (a table of a million prompts makes a million).
    static func asciiSlug(_ text: String) -> String {
        String(unsafeUninitializedCapacity: 32 + 1 + 6) { buffer in
            var count = 0
            var lastWasDash = true
            for byte in text.utf8 {
                let lower = byte >= UInt8(ascii: "A") && byte <= UInt8(ascii: "Z") ? byte + 32 : byte
                if lower >= UInt8(ascii: "a") && lower <= UInt8(ascii: "z")
                    || lower >= UInt8(ascii: "0") && lower <= UInt8(ascii: "9")
                {
                    buffer[count] = lower
                    count += 1
                    lastWasDash = false
                } else if !lastWasDash {
                    buffer[count] = UInt8(ascii: "-")
                    count += 1
                    lastWasDash = true
                }
                if count >= 32 { break }
            }
            while count > 0 && buffer[count - 1] == UInt8(ascii: "-") { count -= 1 }
            if count == 0 {
                for byte in "prompt".utf8 {
                    buffer[count] = byte
                    count += 1
                }
            }
            buffer[count] = UInt8(ascii: "-")
            return writeShortHash(of: text, into: buffer, at: count + 1)
        }
    }

    /// ``promptSlug(_:)`` of any text.
    static func unicodeSlug(_ text: String) -> String {
        var slug = ""
        var lastWasDash = true
        for scalar in text.lowercased().unicodeScalars {
            if scalar.isASCII && (scalar.properties.isAlphabetic || ("0"..."9").contains(scalar)) {
                slug.unicodeScalars.append(scalar)
                lastWasDash = false
            } else if !lastWasDash {
                slug += "-"
                lastWasDash = true
            }
            if slug.count >= 32 { break }
        }
        while slug.hasSuffix("-") { slug.removeLast() }
        return (slug.isEmpty ? "prompt" : slug) + "-" + shortHash(text)
    }

    static func megabytes(_ bytes: Int) -> String {
        let tenths = (bytes * 10 + 512 * 1024) / (1024 * 1024)
        return "\(tenths / 10).\(tenths % 10) MB"
    }

    static func summary(model: ModelSpec, input: ImageInput, prompt: PromptRef, options: [String: Located<ImageValue>])
        -> String
    {
        var parts = [model.alias, input.id, prompt.id]
        for key in options.keys.sorted() {
            if case .single(let value) = options[key]?.value { parts.append(value) }
        }
        return parts.joined(separator: " × ")
    }
}

/// The job-identity functions, for tests that check the planner's keys against them.
enum PlanningRunTestAccess {
    static func identityText(endpoint: String, prompt: String, fields: [Param], input: ImageInput, media: [MediaInput])
        -> String
    {
        PlanningRun.identityText(endpoint: endpoint, prompt: prompt, fields: fields, input: input, media: media)
    }

    static func sha256(_ text: String) -> String {
        PlanningRun.sha256(text)
    }
}
