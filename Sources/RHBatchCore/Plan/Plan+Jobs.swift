import RunningHubModel
import YAML

/// `rh-batch plan --jobs`: every job as one JSON line, to check what a matrix or a table expanded to.
extension Plan {
    /// Where a job came from: `file:line:col` and the key path (a table's row for jobs made from
    /// `rows`, else the matrix block or `jobs` entry).
    package func origin(of job: PlannedJob) -> (location: String, path: String) {
        let origin = job.origin
        let table = Int(job.shape.value.table)
        if job.row >= 0, table >= 0, table < tables.count {
            let row = Int(job.row)
            return (location(tables[table].mark(row: row)), origin.path.index(row).description)
        }
        return (location(origin.mark), origin.path.description)
    }

    /// The JSON line of one job (no newline): key, model, prompt, inputs, fields, output path,
    /// estimated price and origin.
    package func jobLine(_ index: Int) -> String {
        let job = jobs[index]
        var line = JSONObjectWriter()
        line.string("key", job.key)
        line.string("model", job.model)
        line.string("endpoint", job.endpoint)
        line.string("prompt", job.prompt.text.isEmpty ? nil : job.prompt.text)
        var inputs: [(String, JSONValue)] = []
        if !job.image.sources.isEmpty {
            inputs.append(("image", .array(job.image.sources.map { .string($0.reference) })))
        }
        for media in job.media {
            inputs.append((media.apiKey, .array(media.input.sources.map { .string($0.reference) })))
        }
        line.value("inputs", .object(inputs))
        line.value("fields", .object(job.bodyFields.map { ($0.key, $0.value) }))
        line.integer("sample", job.sample)
        line.string("output", job.outputPath(fileExtension: job.output.defaultExtension))
        if job.priceKnown {
            line.string("estimatedCost", job.price.description)
        } else {
            line.value("estimatedCost", .null)
        }
        line.string("currency", currency)
        let origin = origin(of: job)
        line.string("source", origin.location)
        line.string("sourcePath", origin.path)
        return line.finish()
    }
}
