import YAML

/// A value as written in a manifest, with where it was written.
package struct Located<Value: Sendable>: Sendable {
    /// The value.
    package var value: Value
    /// Where it starts.
    package var mark: Mark
    /// Its key path.
    package var path: KeyPath

    /// Makes a located value.
    package init(_ value: Value, mark: Mark, path: KeyPath) {
        self.value = value
        self.mark = mark
        self.path = path
    }
}

/// A manifest, version 1, read and type-checked but not yet expanded into jobs.
///
/// Produced by ``ManifestDecoder``; ``Planner`` turns it into a ``Plan``.
package struct Manifest: Sendable {
    /// The file as the user named it, for diagnostics.
    package var file: String
    /// The folder that relative paths in the manifest are relative to.
    package var directory: String
    /// The manifest's name (`name`, or the file stem).
    package var name: String
    /// The result root as written (relative to ``directory``), or `nil` for `out/<name>`.
    package var output: Located<String>?
    /// Most tasks in flight at once.
    package var concurrency: Int
    /// The output path template, when set.
    package var layout: Located<String>?
    /// Whether runs write a dataset card (`README.md`) at the output root.
    package var datasetCard: Bool = false
    /// Values for every job that does not set them.
    package var defaults: JobFields
    /// The prompt library by id.
    package var prompts: [String: Located<String>]
    /// The image library by id.
    package var images: [String: Located<ImageValue>]
    /// Matrix blocks, in file order.
    package var matrix: [MatrixBlock]
    /// Explicit jobs, in file order.
    package var jobs: [JobEntry]
    /// Workflows and apps the manifest names as models, in file order.
    package var workflows: [WorkflowDeclaration] = []
    /// Where the document starts, for errors about the manifest as a whole.
    package var mark: Mark

    /// The output folder relative to the manifest's folder.
    package var outputPath: String {
        output?.value ?? "out/\(name)"
    }
}

/// A field value: one value (for media, a reference: an id, path, glob or URL), or a list of
/// them (one multi-file input).
package enum ImageValue: Sendable {
    /// One reference.
    case single(String)
    /// Several references that together form one job's input.
    case list([Located<String>])
}

/// The job fields that `defaults`, a `jobs` entry or a matrix block can set.
package struct JobFields: Sendable {
    /// A prompt library id or literal text.
    package var prompt: Located<String>?
    /// The input image(s).
    package var image: Located<ImageValue>?
    /// A model name.
    package var model: Located<String>?
    /// Model field values by snake_case name: one value, or a list (several files for a media field).
    package var options: [String: Located<ImageValue>] = [:]
    /// Independent runs of the job.
    package var samples: Located<Int>?
    /// Extra body fields, in file order.
    package var params: [Located<Param>] = []
    /// The keys written, valid or not: a key that is written but invalid is not "missing".
    package var written: Set<String> = []

    /// No fields set.
    package init() {}
}

/// One `params` entry.
package struct Param: Sendable, Hashable {
    /// The body key.
    package var key: String
    /// The value.
    package var value: JSONValue

    /// Makes a param.
    package init(key: String, value: JSONValue) {
        self.key = key
        self.value = value
    }
}

/// One explicit `jobs` entry.
package struct JobEntry: Sendable {
    /// The fields it sets.
    package var fields: JobFields
    /// Where the entry starts.
    package var mark: Mark
    /// Its key path (`jobs[3]`).
    package var path: KeyPath
}

/// One matrix block: every combination of its axes is a job.
package struct MatrixBlock: Sendable {
    /// Prompt axis values (ids or text).
    package var prompt: [Located<String>]?
    /// Image axis values (ids, paths, globs, URLs).
    package var image: [Located<String>]?
    /// Model axis values.
    package var model: [Located<String>]?
    /// Model field axes by snake_case name, in axis order.
    package var options: [(String, [Located<String>])] = []
    /// Runs of every combination.
    package var samples: Located<Int>?
    /// Extra body fields for every combination.
    package var params: [Located<Param>] = []
    /// The `rows` axis: a table whose every row is one value of the axis.
    package var rows: RowSource?
    /// The keys written, valid or not.
    package var written: Set<String> = []
    /// Where the block starts.
    package var mark: Mark
    /// Its key path (`matrix` or `matrix[1]`).
    package var path: KeyPath
}

/// A matrix block's `rows`: a table whose rows are one axis, each row setting the job fields its
/// columns name.
package struct RowSource: Sendable {
    /// What a column sets.
    package enum Role: Sendable, Hashable {
        case prompt, image, model
        /// The row's name in paths (`{prompt}`, or `{image}` when the row has no prompt).
        case id
        /// A model field by its snake_case name.
        case field(String)
    }

    /// The table.
    package var table: TableFile
    /// The folder that relative paths in the table are relative to (the table's own folder),
    /// relative to the manifest's folder unless absolute.
    package var folder: String
    /// The columns used and what each sets, in table order.
    package var uses: [(column: Int, role: Role)]
    /// Where `rows` is written.
    package var mark: Mark
    /// `matrix.rows` (or `matrix[1].rows`).
    package var path: KeyPath

    /// The column that sets a role, if one does.
    package func column(for role: Role) -> Int? {
        uses.first { $0.role == role }?.column
    }

    /// Every column that sets a role (two for the image of a Hugging Face folder's
    /// `metadata.jsonl`: `file_name` and `file_names`, one of them filled a row).
    package func columns(for role: Role) -> [Int] {
        uses.filter { $0.role == role }.map(\.column)
    }
}
