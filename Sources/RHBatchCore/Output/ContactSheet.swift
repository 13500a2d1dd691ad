import Foundation

/// `report.html`: a run's results as a contact sheet, one self-contained page.
///
/// Rows are an input (or inputs) and a prompt; columns are a model and the fields that vary in
/// the run; each cell shows its jobs' results (image, video, audio, or a link), cost and time, or
/// the reason a job did not succeed. Filters by model, status and each varying field, and a
/// search over prompt text, run in the page without reloading; rows are shown a page at a time
/// and images load lazily, so a 10,000-job run opens at once.
///
/// The page embeds the jobs as JSON (every `<` written as `\u003c`, so no value can close the
/// script element) and builds the DOM with `textContent` and attributes only: a prompt or error
/// message is always text, never markup. Paths are relative to the output folder, where the page
/// lives; nothing is fetched from the network.
package struct ContactSheet: Sendable {
    /// One job, as the page needs it.
    package struct Job: Sendable {
        package var key: String
        package var model: String
        package var promptID: String
        package var prompt: String
        /// `(id, path inside the output folder or nil, source as written)` per input.
        package var inputs: [(id: String, path: String?, source: String)]
        /// The API fields sent, in body order, as text.
        package var fields: [(String, String)]
        package var sample: Int
        package var status: String
        /// Result files, relative to the output folder.
        package var outputs: [String]
        package var cost: String
        package var seconds: Double?
        package var taskID: String?
        /// `phase code: message` when the job did not succeed.
        package var reason: String?

        package init(
            key: String, model: String, promptID: String, prompt: String,
            inputs: [(id: String, path: String?, source: String)], fields: [(String, String)], sample: Int,
            status: String, outputs: [String], cost: String, seconds: Double?, taskID: String?, reason: String?
        ) {
            self.key = key
            self.model = model
            self.promptID = promptID
            self.prompt = prompt
            self.inputs = inputs
            self.fields = fields
            self.sample = sample
            self.status = status
            self.outputs = outputs
            self.cost = cost
            self.seconds = seconds
            self.taskID = taskID
            self.reason = reason
        }
    }

    /// The run as a whole, for the header.
    package struct Header: Sendable {
        package var name: String
        package var totals: [(String, Int)]
        package var cost: String
        package var durationSeconds: Double?
        package var simulated: Bool
        package var finishedAt: String

        package init(
            name: String, totals: [(String, Int)], cost: String, durationSeconds: Double?, simulated: Bool,
            finishedAt: String
        ) {
            self.name = name
            self.totals = totals
            self.cost = cost
            self.durationSeconds = durationSeconds
            self.simulated = simulated
            self.finishedAt = finishedAt
        }
    }

    package var header: Header
    package var jobs: [Job]

    package init(header: Header, jobs: [Job]) {
        self.header = header
        self.jobs = jobs
    }

    /// Writes the page's data a job at a time: the header's members, then `jobs` (one array per
    /// job, its strings as numbers into the table), then the table of `strings`, so nothing but
    /// the table is held however many jobs there are. Everything written is script-safe.
    struct DataWriter {
        private let out: (String) -> Void
        private var table: [String] = []
        private var index: [String: Int] = [:]
        private var first = true

        init(header: Header, out: @escaping (String) -> Void) {
            self.out = out
            let members = JSONValue.object([
                ("name", .string(header.name)),
                ("totals", .object(header.totals.map { ($0.0, .integer($0.1)) })),
                ("cost", .string(header.cost)),
                ("duration", header.durationSeconds.map { .number(($0 * 10).rounded() / 10) } ?? .null),
                ("simulated", .boolean(header.simulated)),
                ("finishedAt", .string(header.finishedAt)),
            ]).json
            out(ContactSheet.scriptSafe(String(members.dropLast())) + ",\"jobs\":[")
        }

        private mutating func intern(_ text: String) -> JSONValue {
            if let known = index[text] { return .integer(known) }
            index[text] = table.count
            table.append(text)
            return .integer(table.count - 1)
        }

        /// Adds one job.
        mutating func add(_ job: Job) {
            let row = JSONValue.array([
                .string(String(job.key.prefix(12))),
                intern(job.model),
                intern(job.prompt),
                intern(job.promptID),
                .array(
                    job.inputs.map { .array([intern($0.id), $0.path.map { .string($0) } ?? .null, intern($0.source)]) }),
                .array(job.fields.map { .array([intern($0.0), intern($0.1)]) }),
                .integer(job.sample),
                intern(job.status),
                .array(job.outputs.map { .string($0) }),
                intern(job.cost),
                job.seconds.map { .number(($0 * 10).rounded() / 10) } ?? .null,
                job.taskID.map { .string($0) } ?? .null,
                job.reason.map { intern($0) } ?? .null,
            ])
            out((first ? "" : ",") + ContactSheet.scriptSafe(row.json))
            first = false
        }

        /// Ends the jobs and writes the table.
        func finish() {
            out("],\"strings\":" + ContactSheet.scriptSafe(JSONValue.array(table.map { .string($0) }).json) + "}")
        }
    }

    /// JSON text that can stand inside a `<script>` element: no `<` (so no `</script>`), and
    /// no line or paragraph separators.
    static func scriptSafe(_ json: String) -> String {
        var out = ""
        out.reserveCapacity(json.utf8.count)
        for scalar in json.unicodeScalars {
            switch scalar {
            case "<": out += "\\u003c"
            case ">": out += "\\u003e"
            case "&": out += "\\u0026"
            case "\u{2028}": out += "\\u2028"
            case "\u{2029}": out += "\\u2029"
            default: out.unicodeScalars.append(scalar)
            }
        }
        return out
    }

    /// Text for an HTML element's content.
    static func escapeHTML(_ text: String) -> String {
        var out = ""
        for character in text {
            switch character {
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "&": out += "&amp;"
            case "\"": out += "&quot;"
            case "'": out += "&#39;"
            default: out.append(character)
            }
        }
        return out
    }

    /// The whole page.
    package var html: String {
        var out = ""
        Self.write(
            header: header, to: { out += $0 },
            jobs: { add in
                for job in jobs { add(job) }
            })
        return out
    }

    /// Writes the page a piece at a time to `out`, taking its jobs from `jobs` as it calls `add`
    /// with each: a million-job page is never held whole.
    package static func write(header: Header, to out: @escaping (String) -> Void, jobs: ((Job) -> Void) -> Void) {
        out(
            """
            <!DOCTYPE html>
            <html lang="en">
            <head>
            <meta charset="utf-8">
            <meta name="viewport" content="width=device-width, initial-scale=1">
            <meta http-equiv="Content-Security-Policy" content="default-src 'none'; img-src 'self' file: data:; media-src 'self' file:; style-src 'unsafe-inline'; script-src 'unsafe-inline'">
            <title>\(Self.escapeHTML(header.name)) · rh-batch</title>
            <style>\(Self.css)</style>
            </head>
            <body>
            <header id="top"></header>
            <nav id="filters"></nav>
            <main id="sheet"></main>
            <nav id="pages"></nav>
            <dialog id="detail"><form method="dialog"><button class="close" aria-label="close">×</button></form><div id="detail-body"></div></dialog>
            <script type="application/json" id="rh-data">
            """
        )
        var data = DataWriter(header: header, out: out)
        jobs { data.add($0) }
        data.finish()
        out("</script>\n<script>\(Self.script)</script>\n</body>\n</html>\n")
    }

    /// The page's style sheet (`Resources/contact-sheet.css`), embedded in the page.
    static let css = resource("contact-sheet", "css")

    /// The page's script (`Resources/contact-sheet.js`), embedded in the page: it builds the
    /// sheet from the embedded jobs with `textContent` and attributes only.
    static let script = resource("contact-sheet", "js")

    /// A text resource of the package: the contact sheet's style sheet and script are files of
    /// their own (the browser test loads them as such), embedded in every page so that it needs
    /// no server and no network.
    private static func resource(_ name: String, _ ext: String) -> String {
        guard let url = Bundle.module.url(forResource: name, withExtension: ext),
            let text = try? String(contentsOf: url, encoding: .utf8)
        else { preconditionFailure("the resource \(name).\(ext) is missing from the build") }
        return text
    }
}
