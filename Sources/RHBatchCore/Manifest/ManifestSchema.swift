import RunningHubModel

/// The JSON Schema (draft 2020-12) of manifest version 1, generated from a catalog so that model
/// names, fields and accepted values are exactly the catalog's.
///
/// Editors with the YAML language server read it through the `# yaml-language-server: $schema=`
/// line at the top of a manifest and complete and check as the user types. It states what a schema
/// can state; `rh-batch validate` also checks what it cannot (files exist and are images of an
/// accepted format and size, library ids resolve, the job count, layout collisions, and values a
/// model refuses when a block names several models).
package enum ManifestSchema {

    /// The schema for `catalog`, as compact JSON with a final newline (per-model value lists for
    /// 299 models make an indented copy three times larger).
    package static func json(catalog: ModelCatalog) -> String {
        schema(catalog: catalog).json + "\n"
    }

    /// Every field name some model takes, with whether it is a media field somewhere.
    private static func fieldKinds(_ catalog: ModelCatalog) -> [String: Bool] {
        var fieldKinds: [String: Bool] = [:]
        for model in catalog.models {
            for field in model.otherFields {
                for name in [field.name, field.apiKey] {
                    fieldKinds[name] = (fieldKinds[name] ?? false) || field.media != nil
                }
            }
        }
        return fieldKinds
    }

    /// A job's object (or, `axis`, a matrix block's).
    private static func jobObject(_ catalog: ModelCatalog, axis: Bool) -> JSONValue {
        .object([
            ("type", .string("object")),
            ("additionalProperties", .boolean(false)),
            ("properties", .object(fieldProperties(catalog, axis: axis))),
            // Any input of a workflow's graph, as NODE:FIELD (`"3:steps": 30`).
            (
                "patternProperties",
                .object([
                    (
                        "^[0-9]+(:[0-9]+)*:[^:\\s]+$",
                        axis
                            ? axisOrValue(.object([("type", .strings(["string", "number", "boolean"]))]))
                            : .object([("type", .strings(["string", "number", "boolean"]))])
                    )
                ])
            ),
            ("allOf", .array(perModel(catalog, axis: axis))),
        ])
    }

    /// Per model, the choices its fields allow (only choices are constrained: a value the model
    /// refuses is still reported by `rh-batch validate` with its line, and a block may name
    /// several models). In a matrix block (`axis`) each is one value or a list of them.
    private static func perModel(_ catalog: ModelCatalog, axis: Bool) -> [JSONValue] {
        catalog.models.compactMap { model in
            func field(_ value: JSONValue) -> JSONValue { axis ? axisOrValue(value) : value }
            var then: [(String, JSONValue)] = []
            for spec in model.otherFields {
                guard case .choice(let values) = spec.kind else { continue }
                // `duration: 5` unquoted is the number 5: numbers are accepted as their text.
                var allowed: [JSONValue] = values.map(JSONValue.string)
                for value in values {
                    if let number = Int(value) {
                        allowed.append(.integer(number))
                    } else if let number = Double(value) {
                        allowed.append(.number(number))
                    }
                    if value == "true" || value == "false" { allowed.append(.boolean(value == "true")) }
                }
                let constraint = field(.object([("enum", .array(allowed))]))
                then.append((spec.name, constraint))
            }
            if let image = model.image, image.maxCount == 1 {
                then.append(("image", field(.stringType)))
            }
            guard !then.isEmpty else { return nil }
            return .object([
                (
                    "if",
                    .object([
                        (
                            "properties",
                            .object([
                                (
                                    "model",
                                    .object([("enum", .strings([model.alias, model.endpoint, model.vendorName]))])
                                )
                            ])
                        ),
                        ("required", .strings(["model"])),
                    ])
                ),
                ("then", .object([("properties", .object(then))])),
            ])
        }
    }

    /// The members of a job (or, `axis`, of a matrix block): the classic fields, then every field
    /// name some model takes.
    private static func fieldProperties(_ catalog: ModelCatalog, axis: Bool) -> [(String, JSONValue)] {
        let modelNames = catalog.allNames
        let scalar = JSONValue.object([("type", .array([.string("string"), .string("number"), .string("boolean")]))])
        func field(_ value: JSONValue) -> JSONValue { axis ? axisOrValue(value) : value }
        let mediaValue: JSONValue =
            axis
            ? .object([
                ("description", .string("One input per value: a library id, a path, a glob or an http(s) URL.")),
                (
                    "anyOf",
                    .array([
                        .ref("imageText"),
                        .object([
                            ("type", .string("array")), ("items", .ref("imageText")), ("minItems", .integer(1)),
                        ]),
                    ])
                ),
            ])
            : .ref("imageValue")
        var properties: [(String, JSONValue)] = [
            (
                "prompt",
                field(
                    .object([
                        ("type", .string("string")), ("minLength", .integer(1)),
                        ("maxLength", .integer(ManifestDecoder.maxPromptLength)),
                        ("description", .string("A prompt library id, or the prompt text itself.")),
                    ]))
            ),
            ("image", mediaValue),
            (
                "model",
                field(
                    .object([
                        (
                            "description",
                            .string("A catalog model (its alias, endpoint or vendor name), or a name of 'workflows'.")
                        ),
                        // The catalog's names, for editors to offer; any other name may be one of the
                        // manifest's `workflows` (checked by `rh-batch validate`).
                        (
                            "anyOf",
                            .array([
                                .object([("enum", .strings(modelNames))]),
                                .object([("type", .string("string")), ("pattern", .string("^[A-Za-z0-9._-]+$"))]),
                            ])
                        ),
                    ]))
            ),
            (
                "samples",
                .object([
                    ("type", .string("integer")), ("minimum", .integer(1)),
                    ("description", .string("Independent runs of the same job (default 1).")),
                ])
            ),
            (
                "params",
                .object([
                    ("type", .string("object")),
                    (
                        "description",
                        .string("Extra API body fields the catalog does not declare, passed through as written.")
                    ),
                ])
            ),
        ]
        if axis { properties.append(("rows", rowsValue)) }
        for (name, isMedia) in fieldKinds(catalog).sorted(by: { $0.key < $1.key })
        where !["prompt", "image", "model", "samples", "params"].contains(name) {
            properties.append((name, isMedia ? mediaValue : field(scalar)))
        }
        return properties
    }

    /// A table file: `.csv`, `.tsv`, `.jsonl` or `.txt`.
    static let tableFile: JSONValue = .object([
        ("type", .string("string")), ("pattern", .string("\\.(csv|tsv|jsonl|txt)$")),
    ])

    /// A table of id and image columns: `.csv`, `.tsv` or `.jsonl` (a text file has one column).
    static let imageTableFile: JSONValue = .object([
        ("type", .string("string")), ("pattern", .string("\\.(csv|tsv|jsonl)$")),
    ])

    /// `rows`: a table whose every row is one value of the axis.
    static let rowsValue: JSONValue = .object([
        (
            "description",
            .string(
                "A table (.csv, .tsv, .jsonl, .txt) whose rows are one axis: each row sets the job fields its columns name (prompt, image, model, id, any model field). Or {file, columns: {field: column}} to choose the columns."
            )
        ),
        (
            "anyOf",
            .array([
                tableFile,
                .object([
                    ("type", .string("object")), ("additionalProperties", .boolean(false)),
                    ("required", .strings(["file"])),
                    (
                        "properties",
                        .object([
                            ("file", tableFile),
                            (
                                "columns",
                                .object([
                                    ("type", .string("object")), ("minProperties", .integer(1)),
                                    ("additionalProperties", .object([("type", .string("string"))])),
                                ])
                            ),
                        ])
                    ),
                ]),
            ])
        ),
    ])

    /// The schema for `catalog`: a declared table (the JSON Schema itself), with the parts that
    /// depend on the catalog made by the functions below.
    package static func schema(catalog: ModelCatalog) -> JSONValue {
        return .object([
            ("$schema", .string("https://json-schema.org/draft/2020-12/schema")),
            ("title", .string("rh-batch manifest, version 1")),
            (
                "description",
                .string(
                    "A batch of RunningHub jobs: prompts × images × models × fields. Generated by `rh-batch schema` from the model catalog."
                )
            ),
            ("type", .string("object")),
            ("additionalProperties", .boolean(false)),
            ("required", .strings(["version"])),
            // Without `workflows`, every model is the catalog's.
            ("if", .object([("not", .object([("required", .strings(["workflows"]))]))])),
            ("then", catalogModelsOnly(catalog)),
            (
                "anyOf",
                .array([.object([("required", .strings(["matrix"]))]), .object([("required", .strings(["jobs"]))])])
            ),
            (
                "properties",
                .object([
                    (
                        "version",
                        .object([
                            ("const", .integer(1)), ("description", .string("The format version; only 1 exists.")),
                        ])
                    ),
                    (
                        "name",
                        .object([
                            ("type", .string("string")), ("pattern", .string("^[A-Za-z0-9._-]+$")),
                            ("description", .string("Names the run; the default output folder is out/<name>.")),
                        ])
                    ),
                    (
                        "output",
                        .object([
                            ("type", .string("string")), ("minLength", .integer(1)),
                            ("description", .string("The output folder, relative to the manifest's folder.")),
                        ])
                    ),
                    (
                        "concurrency",
                        .object([
                            ("type", .string("integer")), ("minimum", .integer(1)), ("maximum", .integer(500)),
                            ("description", .string("Most tasks in flight at once (default 4).")),
                        ])
                    ),
                    (
                        "layout",
                        .object([
                            ("type", .string("string")),
                            (
                                "description",
                                .string(
                                    "Output path template, e.g. {model}/{image}/{prompt}/{aspect_ratio}_{sample}.{ext}")
                            ),
                        ])
                    ),
                    (
                        "dataset_card",
                        .object([
                            ("type", .string("boolean")),
                            (
                                "description",
                                .string(
                                    "Write a Hugging Face dataset card (README.md) at the output root after each run.")
                            ),
                        ])
                    ),
                    ("workflows", workflowsSchema),
                    (
                        "defaults",
                        .object([
                            ("description", .string("Job fields for every job that does not set them.")),
                            ("allOf", .array([.ref("job")])),
                        ])
                    ),
                    (
                        "prompts",
                        .object([
                            (
                                "description",
                                .string(
                                    "Prompt library: id → text, or a file: .txt (one prompt a line, its id the line number), .csv, .tsv or .jsonl with 'id' and 'prompt' (or 'text') columns."
                                )
                            ),
                            (
                                "anyOf",
                                .array([
                                    .object([
                                        ("type", .string("object")),
                                        (
                                            "additionalProperties",
                                            .object([
                                                ("type", .string("string")), ("minLength", .integer(1)),
                                                ("maxLength", .integer(ManifestDecoder.maxPromptLength)),
                                            ])
                                        ),
                                    ]),
                                    tableFile,
                                ])
                            ),
                        ])
                    ),
                    (
                        "images",
                        .object([
                            (
                                "description",
                                .string(
                                    "Image library: id → path, URL, glob, or a list (several images for one job); or a file: .csv, .tsv or .jsonl with 'id' and 'image' (or 'file_name') columns, paths relative to the table."
                                )
                            ),
                            (
                                "anyOf",
                                .array([
                                    .object([("type", .string("object")), ("additionalProperties", .ref("imageValue"))]
                                    ),
                                    imageTableFile,
                                ])
                            ),
                        ])
                    ),
                    (
                        "matrix",
                        .object([
                            (
                                "description",
                                .string("Every combination of the axes is a job; a list of blocks also works.")
                            ),
                            (
                                "anyOf",
                                .array([
                                    .ref("matrixBlock"),
                                    .object([
                                        ("type", .string("array")), ("minItems", .integer(1)),
                                        ("items", .ref("matrixBlock")),
                                    ]),
                                ])
                            ),
                        ])
                    ),
                    (
                        "jobs",
                        .object([
                            ("type", .string("array")),
                            ("description", .string("Explicit jobs; nothing in an entry is expanded.")),
                            ("items", .ref("job")),
                        ])
                    ),
                ])
            ),
            (
                "$defs",
                .object([
                    ("imageText", .object([("type", .string("string")), ("minLength", .integer(1))])),
                    (
                        "imageValue",
                        .object([
                            (
                                "anyOf",
                                .array([
                                    .ref("imageText"),
                                    .object([
                                        ("type", .string("array")), ("minItems", .integer(1)),
                                        ("items", .ref("imageText")),
                                    ]),
                                ])
                            )
                        ])
                    ),
                    ("job", jobObject(catalog, axis: false)),
                    ("matrixBlock", jobObject(catalog, axis: true)),
                ])
            ),
        ])
    }

    /// A matrix axis: one value, or a non-empty list of them.
    /// Every `model` of the manifest is one of the catalog's names.
    private static func catalogModelsOnly(_ catalog: ModelCatalog) -> JSONValue {
        let names = JSONValue.object([("enum", .strings(catalog.allNames))])
        let job = JSONValue.object([("properties", .object([("model", names)]))])
        let block = JSONValue.object([("properties", .object([("model", axisOrValue(names))]))])
        return .object([
            (
                "properties",
                .object([
                    ("defaults", block),
                    ("jobs", .object([("items", job)])),
                    (
                        "matrix",
                        .object([
                            (
                                "anyOf",
                                .array([
                                    .object([("type", .string("object")), ("allOf", .array([block]))]),
                                    .object([("type", .string("array")), ("items", block)]),
                                ])
                            )
                        ])
                    ),
                ])
            )
        ])
    }

    /// `workflows`: name → a saved workflow or an AI app (docs/workflows.md).
    private static let workflowsSchema: JSONValue = .object([
        ("type", .string("object")),
        ("description", .string("Your ComfyUI workflows and AI apps, by a name usable as a model: docs/workflows.md.")),
        (
            "additionalProperties",
            .object([
                ("type", .string("object")),
                ("additionalProperties", .boolean(false)),
                (
                    "oneOf",
                    .array([
                        .object([("required", .strings(["workflow"]))]), .object([("required", .strings(["app"]))]),
                    ])
                ),
                (
                    "properties",
                    .object([
                        (
                            "workflow",
                            .object([
                                ("type", .string("string")), ("pattern", .string("^[0-9]+$")),
                                ("description", .string("A workflowId, as text.")),
                            ])
                        ),
                        (
                            "app",
                            .object([
                                ("type", .string("string")), ("pattern", .string("^[0-9]+$")),
                                ("description", .string("A webappId, as text.")),
                            ])
                        ),
                        ("instance", .enumeration(["default", "plus"])),
                        (
                            "estimate_seconds",
                            .object([("type", .string("number")), ("exclusiveMinimum", .integer(0))])
                        ),
                        (
                            "fields",
                            .object([
                                ("type", .string("object")),
                                ("propertyNames", .object([("not", .enumeration(["model", "samples", "params"]))])),
                                (
                                    "additionalProperties",
                                    .object([
                                        ("type", .string("string")),
                                        ("pattern", .string("^[0-9]+(:[0-9]+)*:[^:\\s]+$")),
                                    ])
                                ),
                            ])
                        ),
                    ])
                ),
            ])
        ),
    ])

    private static func axisOrValue(_ value: JSONValue) -> JSONValue {
        .object([
            (
                "anyOf",
                .array([
                    value,
                    .object([("type", .string("array")), ("minItems", .integer(1)), ("items", value)]),
                ])
            )
        ])
    }
}

extension JSONValue {
    fileprivate static func strings(_ values: [String]) -> JSONValue {
        .array(values.map { .string($0) })
    }

    fileprivate static func ref(_ name: String) -> JSONValue {
        .object([("$ref", .string("#/$defs/" + name))])
    }

    fileprivate static func enumeration(_ values: [String]) -> JSONValue {
        .object([("enum", strings(values))])
    }

    fileprivate static let stringType = JSONValue.object([("type", .string("string"))])
}
