import YAML

/// Reads manifest text into a ``Manifest``, collecting every problem in one pass.
///
/// Pure: it takes bytes and returns values; the planner checks files and models afterwards.
package struct ManifestDecoder: Sendable {
    /// The largest manifest accepted, in bytes.
    package static let maxFileSize = 8 * 1024 * 1024
    /// The longest prompt accepted anywhere, in characters after trimming.
    package static let maxPromptLength = 20_000

    static let topLevelKeys = [
        "version", "name", "output", "concurrency", "layout", "dataset_card", "workflows", "defaults", "prompts",
        "images",
        "matrix", "jobs",
    ]
    static let jobKeys = ["prompt", "image", "model", "samples", "params"]
    /// The field axes that come first in a matrix block's order, as they always have; other
    /// field axes follow in file order.
    package static let leadingFieldAxes = ["aspect_ratio", "resolution", "quality"]

    /// The manifest names of every model field the catalog knows (snake_case and vendor spelling).
    let fieldNames: Set<String>
    /// The catalog, for hints among the fields of the model a job names.
    let catalog: ModelCatalog
    /// Whether the tables the manifest names are read (a quick read for its workflows or output
    /// folder leaves them out).
    let readsTables: Bool

    /// Makes a decoder that accepts the fields of `catalog`'s models as job fields.
    package init(catalog: ModelCatalog = .builtIn, readsTables: Bool = true) {
        self.fieldNames = catalog.fieldNames
        self.catalog = catalog
        self.readsTables = readsTables
    }

    /// Decodes a manifest.
    ///
    /// - Parameters:
    ///   - bytes: the file's contents.
    ///   - file: the path as the user wrote it, for diagnostics.
    ///   - directory: the folder relative paths start from.
    /// - Returns: the manifest, or `nil` when the document is not a manifest at all. A manifest
    ///   with errors in some values is still returned (without those values) so that the planner
    ///   can report its own findings in the same pass; `diagnostics` holds every error.
    package func decode(_ bytes: [UInt8], file: String, directory: String, diagnostics: inout Diagnostics)
        -> Manifest?
    {
        if bytes.count > Self.maxFileSize {
            diagnostics.error(
                "the file is \(bytes.count) bytes; a manifest may be at most \(Self.maxFileSize / 1024 / 1024) MiB",
                at: .start,
                path: ""
            )
            return nil
        }
        let root: Node?
        do {
            root = try YAMLParser().parse(bytes)
        } catch {
            diagnostics.error(error.message, at: error.mark, path: "")
            return nil
        }
        guard let root, !root.isNull else {
            diagnostics.error(
                "the manifest is empty; it needs at least 'version: 1' and a matrix or jobs", at: .start, path: "")
            return nil
        }
        var reader = ManifestReader(
            diagnostics: diagnostics, fieldNames: fieldNames, catalog: catalog, readsTables: readsTables)
        let manifest = reader.manifest(root, file: file, directory: directory)
        diagnostics = reader.diagnostics
        return manifest
    }
}

/// The decoding pass: walks the node tree, records errors, and keeps going to find them all.
struct ManifestReader {
    var diagnostics: Diagnostics
    /// The catalog's field names, and those the manifest's `workflows` name.
    var fieldNames: Set<String>
    let catalog: ModelCatalog
    /// Whether tables are read (see ``ManifestDecoder/readsTables``).
    let readsTables: Bool
    /// The manifest's folder, which tables are relative to.
    var directory = "."
    /// The prompt library's ids (read before the matrix).
    var promptIDs: Set<String> = []
    /// ``fieldNames`` sorted (the candidates of a hint, in a stable order), made at the first
    /// unknown key: sorting them again for every typo was a tenth of checking such a manifest.
    var sortedFieldNamesCache: [String]?

    mutating func sortedFieldNames() -> [String] {
        if let sorted = sortedFieldNamesCache { return sorted }
        let sorted = fieldNames.sorted()
        sortedFieldNamesCache = sorted
        return sorted
    }

    mutating func manifest(_ root: Node, file: String, directory: String) -> Manifest? {
        self.directory = directory
        guard let pairs = mapping(root, .root) else { return nil }
        let fields = keyed(pairs, allowed: ManifestDecoder.topLevelKeys, path: .root)

        var version: Int?
        if let node = fields["version"] {
            version = integer(node, .root.key("version"), range: 1...1)
        } else {
            diagnostics.error("the manifest needs 'version: 1'", at: root.mark, path: "version")
        }

        let name = manifestName(fields["name"], file: file)
        let output = outputFolder(fields["output"])
        var concurrency = 4
        if let node = fields["concurrency"], let value = integer(node, .root.key("concurrency"), range: 1...500) {
            concurrency = value
        }
        var layout: Located<String>?
        if let node = fields["layout"], let text = string(node, .root.key("layout")) {
            layout = Located(text, mark: node.mark, path: .root.key("layout"))
        }
        var datasetCard = false
        if let node = fields["dataset_card"] {
            if let value = boolean(node, .root.key("dataset_card")) { datasetCard = value }
        }
        let workflows = fields["workflows"].map { workflowDeclarations($0) } ?? []
        for declaration in workflows { fieldNames.formUnion(declaration.fields.map(\.name)) }
        sortedFieldNamesCache = nil
        var defaults = JobFields()
        if let node = fields["defaults"] {
            defaults = jobFields(node, .root.key("defaults"), allowLists: true) ?? JobFields()
        }
        let prompts = fields["prompts"].map { promptLibrary($0, .root.key("prompts")) } ?? [:]
        promptIDs = Set(prompts.keys)
        let images = fields["images"].map { imageLibrary($0, .root.key("images")) } ?? [:]

        var blocks: [MatrixBlock] = []
        if let node = fields["matrix"] { blocks = matrix(node) }
        var jobs: [JobEntry] = []
        if let node = fields["jobs"] { jobs = jobList(node) }
        if fields["matrix"] == nil && fields["jobs"] == nil {
            diagnostics.error("the manifest has no jobs: add a 'matrix' or a 'jobs' list", at: root.mark, path: "")
        }
        guard version != nil else { return nil }
        return Manifest(
            file: file,
            directory: directory,
            name: name,
            output: output,
            concurrency: concurrency,
            layout: layout,
            datasetCard: datasetCard,
            defaults: defaults,
            prompts: prompts,
            images: images,
            matrix: blocks,
            jobs: jobs,
            workflows: workflows,
            mark: root.mark
        )
    }

    /// `name`, or the manifest file's stem.
    mutating func manifestName(_ node: Node?, file: String) -> String {
        guard let node, let text = string(node, .root.key("name")) else { return Self.fileStem(file) }
        guard !text.isEmpty, text.unicodeScalars.allSatisfy(Self.isNameCharacter) else {
            diagnostics.error(
                "\"\(text)\" is not a valid name; use letters, digits, '.', '_' and '-'", at: node.mark, path: "name")
            return Self.fileStem(file)
        }
        return text
    }

    /// `output`, when set and not empty.
    mutating func outputFolder(_ node: Node?) -> Located<String>? {
        guard let node, let text = string(node, .root.key("output")) else { return nil }
        guard !text.isEmpty else {
            diagnostics.error("'output' must not be empty", at: node.mark, path: "output")
            return nil
        }
        return Located(text, mark: node.mark, path: .root.key("output"))
    }

    /// `matrix`: one block (a mapping of axes) or a list of them.
    mutating func matrix(_ node: Node) -> [MatrixBlock] {
        let path = KeyPath.root.key("matrix")
        switch node.content {
        case .mapping:
            return matrixBlock(node, path).map { [$0] } ?? []
        case .sequence(let items):
            if items.isEmpty { diagnostics.error("'matrix' is an empty list", at: node.mark, path: "matrix") }
            var blocks: [MatrixBlock] = []
            for (position, item) in items.enumerated() {
                if let block = matrixBlock(item, path.index(position)) { blocks.append(block) }
            }
            return blocks
        case .scalar:
            diagnostics.error(
                "expected a mapping of axes or a list of them, found \(node.kindDescription)", at: node.mark,
                path: "matrix")
            return []
        }
    }

    /// `jobs`: a list of explicit jobs.
    mutating func jobList(_ node: Node) -> [JobEntry] {
        guard let items = sequence(node, .root.key("jobs")) else { return [] }
        var jobs: [JobEntry] = []
        for (position, item) in items.enumerated() {
            let path = KeyPath.root.key("jobs").index(position)
            if let entry = jobFields(item, path, allowLists: true) {
                jobs.append(JobEntry(fields: entry, mark: item.mark, path: path))
            }
        }
        return jobs
    }

    // MARK: Job fields

    mutating func jobFields(_ node: Node, _ path: KeyPath, allowLists: Bool) -> JobFields? {
        guard let pairs = mapping(node, path) else { return nil }
        let (fields, modelFields) = jobKeyed(pairs, path: path)
        var result = JobFields()
        result.written = Set(fields.keys).union(modelFields.map(\.name))
        if let value = fields["prompt"] {
            result.prompt = promptValue(value, path.key("prompt"))
        }
        if let value = fields["image"] {
            result.image = imageValue(value, path.key("image"))
        }
        if let value = fields["model"], let text = nonEmptyString(value, path.key("model")) {
            result.model = Located(text, mark: value.mark, path: path.key("model"))
        }
        for (name, written, value) in modelFields {
            if let input = imageValue(value, path.key(written)) {
                result.options[name] = input
            }
        }
        if let value = fields["samples"] {
            result.samples = samples(value, path.key("samples"))
        }
        if let value = fields["params"] {
            result.params = params(value, path.key("params"))
        }
        return result
    }

    mutating func matrixBlock(_ node: Node, _ path: KeyPath) -> MatrixBlock? {
        guard var pairs = mapping(node, path) else { return nil }
        let rowsPair = pairs.firstIndex { $0.key.scalar?.value == "rows" }.map { pairs.remove(at: $0) }
        let (fields, modelFields) = jobKeyed(pairs, path: path)
        var block = MatrixBlock(mark: node.mark, path: path)
        block.written = Set(fields.keys).union(modelFields.map(\.name))
        if let rowsPair {
            block.written.insert("rows")
            block.rows = readsTables ? rowSource(rowsPair.value, path.key("rows")) : nil
            if block.rows?.column(for: .model) != nil { block.written.insert("model") }
        }
        block.prompt = fields["prompt"].flatMap { axis($0, path.key("prompt"), isPrompt: true) }
        block.image = fields["image"].flatMap { axis($0, path.key("image"), isPrompt: false) }
        block.model = fields["model"].flatMap { axis($0, path.key("model"), isPrompt: false) }
        let ordered = modelFields.sorted { a, b in
            let ia = ManifestDecoder.leadingFieldAxes.firstIndex(of: a.name) ?? Int.max
            let ib = ManifestDecoder.leadingFieldAxes.firstIndex(of: b.name) ?? Int.max
            return ia < ib
        }
        for (name, written, value) in ordered {
            if let values = axis(value, path.key(written), isPrompt: false) {
                block.options.append((name, values))
            }
        }
        if let value = fields["samples"] {
            block.samples = samples(value, path.key("samples"))
        }
        if let value = fields["params"] {
            block.params = params(value, path.key("params"))
        }
        if fields.isEmpty && modelFields.isEmpty && rowsPair == nil {
            diagnostics.error("a matrix block needs at least one axis", at: node.mark, path: path.description)
        }
        return block
    }

    /// An axis: a scalar is one value, a list one value per entry.
    mutating func axis(_ node: Node, _ path: KeyPath, isPrompt: Bool) -> [Located<String>]? {
        let items: [(Node, KeyPath)]
        switch node.content {
        case .sequence(let list):
            if list.isEmpty {
                diagnostics.error("an axis needs at least one value", at: node.mark, path: path.description)
                return nil
            }
            items = list.enumerated().map { ($1, path.index($0)) }
        case .scalar:
            items = [(node, path)]
        case .mapping:
            diagnostics.error(
                "expected a value or a list of values, found a mapping", at: node.mark, path: path.description)
            return nil
        }
        if isPrompt, node.isFlow { warnSplitPrompts(node, path) }
        var values: [Located<String>] = []
        for (item, itemPath) in items {
            if isPrompt {
                if let prompt = promptValue(item, itemPath) { values.append(prompt) }
            } else if let text = nonEmptyString(item, itemPath) {
                values.append(Located(text, mark: item.mark, path: itemPath))
            }
        }
        return values.count == items.count ? values : nil
    }

    /// The comma trap: in `[A lighthouse at dawn, photorealistic.]` YAML splits the prompt at its
    /// comma. An unquoted item after one that does not end a sentence is most likely such a split
    /// when it starts in lower case, or when it is a short tail (three words at most) that ends
    /// the sentence (`[A sofa in a room, Scandinavian style.]`): a warning (it may be meant),
    /// naming the line.
    mutating func warnSplitPrompts(_ node: Node, _ path: KeyPath) {
        guard case .sequence(let items) = node.content, items.count > 1 else { return }
        for (index, (previous, item)) in zip(items, items.dropFirst()).enumerated() {
            guard let scalar = item.scalar, scalar.style == .plain, let before = previous.scalar,
                before.style == .plain, let first = scalar.value.unicodeScalars.first,
                let last = before.value.last, !".!?;:".contains(last),
                first.properties.isLowercase
                    || (scalar.value.last.map({ ".!?".contains($0) }) == true
                        && scalar.value.split(separator: " ").count <= 3),
                before.value.contains(" "), !promptIDs.contains(before.value), !promptIDs.contains(scalar.value)
            else { continue }
            diagnostics.warning(
                "'\(before.value), \(scalar.value)' became two prompts, \"\(before.value)\" and \"\(scalar.value)\": in [...] a comma separates items; quote a prompt that has a comma (\"\(before.value), \(scalar.value)\")",
                at: item.mark, path: path.index(index + 1).description)
            return
        }
    }

    mutating func promptValue(_ node: Node, _ path: KeyPath) -> Located<String>? {
        guard let text = string(node, path) else { return nil }
        guard checkPrompt(text, at: node.mark, path) else { return nil }
        return Located(text, mark: node.mark, path: path)
    }

    mutating func checkPrompt(_ text: String, at mark: Mark, _ path: KeyPath) -> Bool {
        let trimmed = text.trimmed
        if trimmed.isEmpty {
            diagnostics.error("the prompt is empty", at: mark, path: path.description)
            return false
        }
        let length = trimmed.count
        if length > ManifestDecoder.maxPromptLength {
            diagnostics.error(
                "the prompt has \(length) characters; the limit is \(ManifestDecoder.maxPromptLength)",
                at: mark,
                path: path.description
            )
            return false
        }
        return true
    }

    mutating func imageValue(_ node: Node, _ path: KeyPath) -> Located<ImageValue>? {
        switch node.content {
        case .sequence(let items):
            if items.isEmpty {
                diagnostics.error("an image list needs at least one image", at: node.mark, path: path.description)
                return nil
            }
            var refs: [Located<String>] = []
            for (position, item) in items.enumerated() {
                if let text = nonEmptyString(item, path.index(position)) {
                    refs.append(Located(text, mark: item.mark, path: path.index(position)))
                }
            }
            return refs.count == items.count ? Located(.list(refs), mark: node.mark, path: path) : nil
        default:
            guard let text = nonEmptyString(node, path) else { return nil }
            return Located(.single(text), mark: node.mark, path: path)
        }
    }

    mutating func samples(_ node: Node, _ path: KeyPath) -> Located<Int>? {
        integer(node, path, range: 1...10_000).map { Located($0, mark: node.mark, path: path) }
    }

    mutating func params(_ node: Node, _ path: KeyPath) -> [Located<Param>] {
        guard let pairs = mapping(node, path) else { return [] }
        var result: [Located<Param>] = []
        for pair in pairs {
            guard let key = keyName(pair.key, path) else { continue }
            let valuePath = path.key(key)
            if let value = jsonValue(pair.value, valuePath) {
                result.append(Located(Param(key: key, value: value), mark: pair.value.mark, path: valuePath))
            }
        }
        return result
    }

    // MARK: Libraries

    mutating func promptLibrary(_ node: Node, _ path: KeyPath) -> [String: Located<String>] {
        if node.scalar != nil, !node.isNull {
            guard readsTables, let table = table(node, path) else { return [:] }
            return promptLibrary(table, path)
        }
        guard let pairs = mapping(node, path) else { return [:] }
        var library: [String: Located<String>] = [:]
        for pair in pairs {
            guard let id = libraryID(pair.key, path) else { continue }
            if let text = promptValue(pair.value, path.key(id)) {
                library[id] = text
            }
        }
        return library
    }

    mutating func imageLibrary(_ node: Node, _ path: KeyPath) -> [String: Located<ImageValue>] {
        if node.scalar != nil, !node.isNull {
            guard readsTables, let table = table(node, path) else { return [:] }
            return imageLibrary(table, path)
        }
        guard let pairs = mapping(node, path) else { return [:] }
        var library: [String: Located<ImageValue>] = [:]
        for pair in pairs {
            guard let id = libraryID(pair.key, path) else { continue }
            if let value = imageValue(pair.value, path.key(id)) {
                library[id] = value
            }
        }
        return library
    }

    mutating func libraryID(_ node: Node, _ path: KeyPath) -> String? {
        guard let id = keyName(node, path) else { return nil }
        if id.unicodeScalars.contains(where: { $0 == "/" || $0 == "*" || $0.properties.generalCategory == .control }) {
            diagnostics.error(
                "library id '\(id)' may not contain '/', '*' or control characters", at: node.mark,
                path: path.key(id).description)
            return nil
        }
        return id
    }

    // MARK: Typed scalars

    mutating func mapping(_ node: Node, _ path: KeyPath) -> [Node.Pair]? {
        if let pairs = node.mapping { return pairs }
        diagnostics.error("expected a mapping, found \(node.kindDescription)", at: node.mark, path: path.description)
        return nil
    }

    mutating func sequence(_ node: Node, _ path: KeyPath) -> [Node]? {
        if let items = node.sequence { return items }
        diagnostics.error("expected a list, found \(node.kindDescription)", at: node.mark, path: path.description)
        return nil
    }

    /// The text of a scalar that is not null. Numbers and booleans are taken as the text written,
    /// so `aspect_ratio: 16:9` means "16:9" whatever YAML 1.1 would make of it.
    mutating func string(_ node: Node, _ path: KeyPath) -> String? {
        guard let scalar = node.scalar, !node.isNull else {
            diagnostics.error("expected a string, found \(node.kindDescription)", at: node.mark, path: path.description)
            return nil
        }
        return scalar.value
    }

    mutating func nonEmptyString(_ node: Node, _ path: KeyPath) -> String? {
        guard let text = string(node, path) else { return nil }
        let trimmed = text.trimmed
        if trimmed.isEmpty {
            diagnostics.error("expected a value, found an empty string", at: node.mark, path: path.description)
            return nil
        }
        return trimmed
    }

    /// `true` or `false` (YAML 1.1's `yes`/`no`/`on`/`off` too), unquoted.
    mutating func boolean(_ node: Node, _ path: KeyPath) -> Bool? {
        if let scalar = node.scalar, scalar.style == .plain {
            switch scalar.value.lowercased() {
            case "true", "yes", "on": return true
            case "false", "no", "off": return false
            default: break
            }
        }
        let found = node.scalar.map { "\"\($0.value)\"" } ?? node.kindDescription
        diagnostics.error("expected true or false, found \(found)", at: node.mark, path: path.description)
        return nil
    }

    mutating func integer(_ node: Node, _ path: KeyPath, range: ClosedRange<Int>) -> Int? {
        guard let scalar = node.scalar, !node.isNull, scalar.style == .plain, let value = Int(scalar.value) else {
            let found = node.scalar.map { "\"\($0.value)\"" } ?? node.kindDescription
            diagnostics.error("expected a whole number, found \(found)", at: node.mark, path: path.description)
            return nil
        }
        guard range.contains(value) else {
            let allowed =
                range.count == 1
                ? "must be \(range.lowerBound)" : "must be from \(range.lowerBound) to \(range.upperBound)"
            diagnostics.error("\(value) is out of range: it \(allowed)", at: node.mark, path: path.description)
            return nil
        }
        return value
    }

    mutating func keyName(_ node: Node, _ path: KeyPath) -> String? {
        guard let scalar = node.scalar, !scalar.value.isEmpty else {
            diagnostics.error(
                "a key must be a plain string, found \(node.kindDescription)", at: node.mark, path: path.description)
            return nil
        }
        return scalar.value
    }

    /// A job map's keys: the job keys by name, and model fields (known to some catalog model) in
    /// file order with their snake_case name and the key as written. Anything else is an error
    /// with a "did you mean" over both.
    mutating func jobKeyed(_ pairs: [Node.Pair], path: KeyPath) -> (
        [String: Node], [(name: String, written: String, value: Node)]
    ) {
        var result: [String: Node] = [:]
        var modelFields: [(name: String, written: String, value: Node)] = []
        for pair in pairs {
            guard let key = keyName(pair.key, path) else { continue }
            if ManifestDecoder.jobKeys.contains(key) {
                result[key] = pair.value
                continue
            }
            if NodeField.looksLikeOne(key) {
                guard NodeField(key) != nil else {
                    diagnostics.error(
                        "'\(key)' is not of the form NODE:FIELD (a node id of digits, a colon, an input name: \"3:steps\")",
                        at: pair.key.mark, path: path.key(key).description)
                    continue
                }
                if modelFields.contains(where: { $0.name == key }) {
                    diagnostics.error("'\(key)' is set twice", at: pair.key.mark, path: path.key(key).description)
                    continue
                }
                modelFields.append((key, key, pair.value))
                continue
            }
            let name = FieldSpec.snakeCase(key)
            guard fieldNames.contains(key) || fieldNames.contains(name) else {
                // A map that names one model gets hints among that model's fields first; when none
                // of them is close, among every field of the catalog.
                var hint = ""
                if let modelNode = pairs.first(where: { $0.key.scalar?.value == "model" })?.value,
                    let name = modelNode.scalar?.value, let model = catalog.model(named: name)
                {
                    let own = model.fields.enumerated().map { index, field in
                        index == model.promptIndex ? "prompt" : index == model.imageIndex ? "image" : field.name
                    }
                    hint = Suggestion.hint(for: key, in: ManifestDecoder.jobKeys + own)
                }
                if hint.isEmpty { hint = Suggestion.hint(for: key, in: ManifestDecoder.jobKeys + sortedFieldNames()) }
                diagnostics.error(
                    "unknown key '\(key)'\(hint): no model of the catalog has such a field",
                    at: pair.key.mark,
                    path: path.key(key).description
                )
                continue
            }
            if modelFields.contains(where: { $0.name == name }) {
                diagnostics.error(
                    "'\(key)' is set twice (as '\(name)')", at: pair.key.mark, path: path.key(key).description)
                continue
            }
            modelFields.append((name, key, pair.value))
        }
        return (result, modelFields)
    }

    /// Checks a mapping's keys against the allowed ones and returns the values by key.
    mutating func keyed(_ pairs: [Node.Pair], allowed: [String], path: KeyPath) -> [String: Node] {
        var result: [String: Node] = [:]
        for pair in pairs {
            guard let key = keyName(pair.key, path) else { continue }
            guard allowed.contains(key) else {
                let hint = Suggestion.hint(for: key, in: allowed)
                diagnostics.error("unknown key '\(key)'\(hint)", at: pair.key.mark, path: path.key(key).description)
                continue
            }
            result[key] = pair.value
        }
        return result
    }

    /// A params value, typed as YAML 1.1 would type it (quoted text stays a string).
    mutating func jsonValue(_ node: Node, _ path: KeyPath) -> JSONValue? {
        switch node.content {
        case .scalar(let scalar):
            return Self.typedScalar(scalar, tag: node.tag, isNull: node.isNull)
        case .sequence(let items):
            var values: [JSONValue] = []
            for (position, item) in items.enumerated() {
                guard let value = jsonValue(item, path.index(position)) else { return nil }
                values.append(value)
            }
            return .array(values)
        case .mapping(let pairs):
            var members: [(String, JSONValue)] = []
            for pair in pairs {
                guard let key = keyName(pair.key, path), let value = jsonValue(pair.value, path.key(key)) else {
                    return nil
                }
                members.append((key, value))
            }
            return .object(members)
        }
    }

    static func typedScalar(_ scalar: Scalar, tag: String?, isNull: Bool) -> JSONValue {
        if isNull { return .null }
        if tag == YAMLTag.string || scalar.style != .plain { return .string(scalar.value) }
        let text = scalar.value
        switch text {
        case "true", "True", "TRUE", "yes", "Yes", "YES", "on", "On", "ON": return .boolean(true)
        case "false", "False", "FALSE", "no", "No", "NO", "off", "Off", "OFF": return .boolean(false)
        default: break
        }
        if let value = Int(text) { return .integer(value) }
        if text.contains(where: { $0.isASCIIDigit }), let value = Double(text), value.isFinite { return .number(value) }
        return .string(text)
    }

    static func fileStem(_ file: String) -> String {
        var base = file.split(separator: "/").last.map(String.init) ?? file
        for suffix in [".yaml", ".yml"] where base.hasSuffix(suffix) {
            base.removeLast(suffix.count)
        }
        let cleaned = String(String.UnicodeScalarView(base.unicodeScalars.map { isNameCharacter($0) ? $0 : "-" }))
        return cleaned.isEmpty ? "manifest" : cleaned
    }

    static func isNameCharacter(_ scalar: Unicode.Scalar) -> Bool {
        scalar.isASCII
            && (scalar.properties.isAlphabetic || ("0"..."9").contains(scalar) || "._-".unicodeScalars.contains(scalar))
    }
}

// MARK: Workflows

extension ManifestReader {
    static let workflowKeys = ["workflow", "app", "instance", "fields", "estimate_seconds"]
    static let instances = ["default", "plus"]

    /// `workflows`: name → a workflow or app, each checked here for its form; the graph itself
    /// is checked by the planner.
    mutating func workflowDeclarations(_ node: Node) -> [WorkflowDeclaration] {
        let path = KeyPath.root.key("workflows")
        guard let pairs = mapping(node, path) else { return [] }
        var declarations: [WorkflowDeclaration] = []
        for pair in pairs {
            guard let name = keyName(pair.key, path) else { continue }
            let entryPath = path.key(name)
            guard name.unicodeScalars.allSatisfy(Self.isNameCharacter) else {
                diagnostics.error(
                    "\"\(name)\" is not a valid workflow name; use letters, digits, '.', '_' and '-'",
                    at: pair.key.mark, path: entryPath.description)
                continue
            }
            if let model = catalog.model(named: name) {
                diagnostics.error(
                    "'\(name)' is already the name of the catalog's model \(model.alias); choose another name",
                    at: pair.key.mark, path: entryPath.description)
                continue
            }
            if let declaration = workflowDeclaration(name, pair.value, entryPath) { declarations.append(declaration) }
        }
        return declarations
    }

    mutating func workflowDeclaration(_ name: String, _ node: Node, _ path: KeyPath) -> WorkflowDeclaration? {
        guard let pairs = mapping(node, path) else { return nil }
        let fields = keyed(pairs, allowed: Self.workflowKeys, path: path)
        let kinds: [(WorkflowKind, Node)] = [
            fields["workflow"].map { (.workflow, $0) }, fields["app"].map { (.app, $0) },
        ].compactMap { $0 }
        guard kinds.count == 1, let (kind, idNode) = kinds.first else {
            let message =
                kinds.isEmpty
                ? "a workflow entry needs 'workflow: ID' (a saved workflow) or 'app: ID' (an AI app)"
                : "a workflow entry takes one of 'workflow' and 'app', not both"
            diagnostics.error(message, at: node.mark, path: path.description)
            return nil
        }
        let idPath = path.key(kind == .workflow ? "workflow" : "app")
        guard let id = nonEmptyString(idNode, idPath) else { return nil }
        guard id.allSatisfy({ $0.isASCII && $0.isNumber }) else {
            diagnostics.error(
                "\"\(id)\" is not a \(kind == .workflow ? "workflowId" : "webappId"): ids are digits, written as text (\"1904136902449209346\")",
                at: idNode.mark, path: idPath.description)
            return nil
        }
        var declaration = WorkflowDeclaration(
            name: name, kind: kind, id: id, instance: nil, fields: [], estimateSeconds: nil, mark: node.mark,
            idMark: idNode.mark, path: path)
        if let instance = fields["instance"], let text = nonEmptyString(instance, path.key("instance")) {
            if Self.instances.contains(text) {
                declaration.instance = text
            } else {
                diagnostics.error(
                    "instance \"\(text)\" is not one of \(Self.instances.joined(separator: ", ")) (default: 24G, plus: 48G)",
                    at: instance.mark, path: path.key("instance").description)
            }
        }
        if let seconds = fields["estimate_seconds"] {
            if let scalar = seconds.scalar, scalar.style == .plain, let value = Double(scalar.value), value > 0,
                value <= 1_000_000
            {
                declaration.estimateSeconds = value
            } else {
                diagnostics.error(
                    "estimate_seconds must be a number of seconds above 0 and at most 1000000", at: seconds.mark,
                    path: path.key("estimate_seconds").description)
            }
        }
        if let node = fields["fields"] { declaration.fields = workflowFields(node, path.key("fields")) }
        return declaration
    }

    /// `fields`: manifest name → `NODE:FIELD`.
    mutating func workflowFields(_ node: Node, _ path: KeyPath) -> [WorkflowDeclaration.Field] {
        guard let pairs = mapping(node, path) else { return [] }
        var fields: [WorkflowDeclaration.Field] = []
        for pair in pairs {
            guard let written = keyName(pair.key, path) else { continue }
            let fieldPath = path.key(written)
            let name = FieldSpec.snakeCase(written)
            if ["model", "samples", "params"].contains(name) || NodeField.looksLikeOne(written) {
                diagnostics.error(
                    "'\(written)' cannot name a workflow field: use a name of your own (prompt, image, seed, ...)",
                    at: pair.key.mark, path: fieldPath.description)
                continue
            }
            guard let text = nonEmptyString(pair.value, fieldPath) else { continue }
            guard let target = NodeField(text) else {
                diagnostics.error(
                    "\"\(text)\" is not of the form NODE:FIELD (a node id of digits, a colon, an input name: \"6:text\")",
                    at: pair.value.mark, path: fieldPath.description)
                continue
            }
            if fields.contains(where: { $0.name == name }) {
                diagnostics.error("'\(written)' is named twice", at: pair.key.mark, path: fieldPath.description)
                continue
            }
            if let other = fields.first(where: { $0.target == target }) {
                diagnostics.error(
                    "\(target) is already named '\(other.name)'", at: pair.value.mark, path: fieldPath.description)
                continue
            }
            fields.append(.init(name: name, target: target, mark: pair.value.mark, path: fieldPath))
        }
        return fields
    }
}
