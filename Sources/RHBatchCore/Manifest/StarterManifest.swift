import RunningHubModel

/// The commented starter manifest `rh-batch init` writes: valid as it stands, with the schema line
/// editors read, one model's fields spelled out with their accepted values, and the images given.
package struct StarterManifest: Sendable {
    /// The model the manifest runs.
    package var model: ModelSpec
    /// Image values for the matrix axis: globs or paths, relative to the manifest's folder.
    package var images: [String]
    /// The manifest's name.
    package var name: String
    /// The schema path or URL for the `yaml-language-server` line.
    package var schema: String

    /// Makes a starter manifest.
    package init(model: ModelSpec, images: [String], name: String, schema: String) {
        self.model = model
        self.images = images
        self.name = name
        self.schema = schema
    }

    /// The manifest's text.
    package var text: String {
        var lines = [
            "# yaml-language-server: $schema=\(schema)",
            "# A starter batch for \(model.alias) (\(model.endpoint)), written by `rh-batch init`.",
            "# Check it:  rh-batch plan THIS-FILE      Try it without a key:  rh-batch run THIS-FILE --simulate",
            "version: 1",
            "name: \(name)",
            "concurrency: 4                    # tasks in flight at once; the key's own limit caps it",
            "",
            "prompts:                          # id -> text; add as many as you like",
            "  first: Describe the edit you want here, in one or two sentences.",
            "",
            "matrix:                           # every combination below is one job",
            "  prompt: [first]",
            "  image:                          # one job per matched file",
        ]
        for image in images {
            lines.append("    - \(Self.quoted(image))")
        }
        lines.append("  model: \(model.alias)")
        for field in model.otherFields {
            switch field.kind {
            case .choice(let values):
                let accepted = values.map { "\"\($0)\"" }.joined(separator: ", ")
                let value = field.defaultValue?.text ?? values.first ?? ""
                if field.required {
                    lines.append("  \(field.name): [\"\(value)\"]    # accepted: \(accepted)")
                } else {
                    lines.append(
                        "  # \(field.name): [\"\(value)\"]  # optional, not sent when unset; accepted: \(accepted)")
                }
            case .media:
                continue
            default:
                let required = field.required ? "required" : "optional"
                lines.append("  # \(field.name): ...              # \(required); \(field.accepted)")
            }
        }
        lines.append("")
        lines.append("# samples: 2                       # independent runs of every job")
        lines.append("")
        return lines.joined(separator: "\n")
    }

    /// A YAML scalar for a path: quoted when it holds characters YAML would read otherwise.
    static func quoted(_ text: String) -> String {
        let plain = text.unicodeScalars.allSatisfy { scalar in
            scalar.properties.isAlphabetic || ("0"..."9").contains(scalar) || "/._-*+".unicodeScalars.contains(scalar)
        }
        if plain && !text.hasPrefix("*") { return text }
        var out = ""
        JSONValue.writeString(text, to: &out)
        return out
    }
}
