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

    static let css = """
        :root{--bg:#fafafa;--fg:#1d1d1f;--muted:#6e6e73;--line:#ddd;--ok:#1a7f37;--bad:#b42318;--warn:#9a6700}
        *{box-sizing:border-box}body{margin:0;font:14px/1.4 system-ui,sans-serif;background:var(--bg);color:var(--fg)}
        header{padding:12px 16px;border-bottom:1px solid var(--line);background:#fff;display:flex;flex-wrap:wrap;gap:16px;align-items:baseline}
        header h1{font-size:18px;margin:0 12px 0 0}header .stat b{font-variant-numeric:tabular-nums}
        .sim{background:#fff4ce;padding:1px 6px;border-radius:4px}
        nav#filters{padding:8px 16px;display:flex;flex-wrap:wrap;gap:8px;align-items:center;position:sticky;top:0;background:var(--bg);z-index:2;border-bottom:1px solid var(--line)}
        nav label{color:var(--muted)}input[type=search]{min-width:240px}
        table{border-collapse:collapse;margin:8px 16px}th,td{border:1px solid var(--line);vertical-align:top;padding:6px;background:#fff}
        thead th{position:sticky;top:41px;background:#f2f2f2;z-index:1;font-weight:600;font-size:12px;white-space:nowrap}
        th.row{max-width:260px;text-align:left;font-weight:normal}th.row .prompt{white-space:pre-wrap;word-break:break-word}
        th.row .inputs{display:flex;gap:4px;flex-wrap:wrap;margin-bottom:4px}th.row img{width:72px;height:72px;object-fit:cover;border-radius:4px}
        .job{display:inline-block;margin:2px;width:168px;cursor:pointer;border-radius:6px;padding:3px;border:2px solid transparent}
        .job:hover{border-color:#888}.job img,.job video{width:160px;max-height:160px;object-fit:contain;display:block;background:#eee}
        .job audio{width:160px}.job .meta{font-size:11px;color:var(--muted)}
        .job.failed,.job.unknown,.job.timeout,.job.cancelled,.job.skipped{background:#fff1f0}.job .reason{color:var(--bad);font-size:12px;word-break:break-word}
        .job.unknown .reason,.job.timeout .reason,.job.cancelled .reason{color:var(--warn)}
        #pages{padding:8px 16px 24px;display:flex;gap:8px;align-items:center}
        dialog{max-width:min(1100px,95vw);max-height:92vh;overflow:auto;border:1px solid var(--line);border-radius:8px}
        dialog img,dialog video{max-width:100%;max-height:70vh;display:block;margin:8px 0}dialog .close{float:right;font-size:18px}
        dialog dl{display:grid;grid-template-columns:max-content 1fr;gap:4px 12px}dialog dt{color:var(--muted)}dialog dd{margin:0;white-space:pre-wrap;word-break:break-word}
        .empty{padding:24px 16px;color:var(--muted)}
        """

    static let script = #"""
        (function () {
          "use strict";
          var data = JSON.parse(document.getElementById("rh-data").textContent);
          var S = data.strings;
          var PAGE = 40;
          function el(tag, attrs, text) {
            var node = document.createElement(tag);
            if (attrs) for (var name in attrs) if (attrs[name] !== null && attrs[name] !== undefined) node.setAttribute(name, attrs[name]);
            if (text !== undefined && text !== null) node.textContent = text;
            return node;
          }
          var jobs = data.jobs.map(function (j) {
            var fields = {};
            j[5].forEach(function (f) { fields[S[f[0]]] = S[f[1]]; });
            return { id: j[0], model: S[j[1]], prompt: S[j[2]], promptId: S[j[3]],
              inputs: j[4].map(function (i) { return { id: S[i[0]], path: i[1], source: S[i[2]] }; }),
              fields: fields, sample: j[6], status: S[j[7]], outputs: j[8], cost: S[j[9]], seconds: j[10],
              taskId: j[11], reason: j[12] === null ? null : S[j[12]] };
          });
          // Fields that vary in this run become columns and filters.
          var values = {};
          jobs.forEach(function (j) { for (var k in j.fields) { (values[k] = values[k] || {})[j.fields[k]] = true; } });
          var varying = Object.keys(values).filter(function (k) {
            var seen = Object.keys(values[k]); if (seen.length > 1) return true;
            return jobs.some(function (j) { return !(k in j.fields); });
          }).sort();
          jobs.forEach(function (j) {
            j.row = j.inputs.map(function (i) { return i.id; }).join("+") + "\u0000" + j.prompt;
            j.column = j.model + varying.map(function (k) { return "\u0000" + (k in j.fields ? j.fields[k] : ""); }).join("");
          });

          // Header.
          var top = document.getElementById("top");
          top.appendChild(el("h1", null, data.name));
          var labels = [["jobs", "jobs"], ["succeeded", "succeeded"], ["alreadyDone", "already done"], ["failed", "failed"], ["unknown", "unknown"], ["timeout", "timed out"], ["cancelled", "cancelled"], ["skipped", "skipped"]];
          labels.forEach(function (l) {
            if (!(l[0] in data.totals) || (data.totals[l[0]] === 0 && l[0] !== "jobs" && l[0] !== "failed" && l[0] !== "unknown")) return;
            var s = el("span", { "class": "stat", "data-total": l[0] }); s.appendChild(el("b", null, String(data.totals[l[0]]))); s.appendChild(document.createTextNode(" " + l[1])); top.appendChild(s);
          });
          top.appendChild(el("span", { "class": "stat", "data-total": "cost" }, "cost " + data.cost));
          if (data.duration !== null) top.appendChild(el("span", { "class": "stat" }, "took " + data.duration + " s"));
          if (data.simulated) top.appendChild(el("span", { "class": "sim" }, "simulated"));
          top.appendChild(el("span", { "class": "stat" }, data.finishedAt));

          // Filters.
          var state = { model: "", status: "", search: "", fields: {}, page: 0 };
          var filters = document.getElementById("filters");
          function select(name, label, options, onChange) {
            var wrap = el("label", null, label + " ");
            var s = el("select", { "data-filter": name });
            s.appendChild(el("option", { value: "" }, "all"));
            options.forEach(function (o) { s.appendChild(el("option", { value: o }, o === "" ? "(none)" : o)); });
            s.addEventListener("change", function () { onChange(s.value); state.page = 0; render(); });
            wrap.appendChild(s); filters.appendChild(wrap);
          }
          function distinct(f) { var seen = {}; jobs.forEach(function (j) { seen[f(j)] = true; }); return Object.keys(seen).sort(); }
          select("model", "model", distinct(function (j) { return j.model; }), function (v) { state.model = v; });
          select("status", "status", distinct(function (j) { return j.status; }), function (v) { state.status = v; });
          varying.forEach(function (k) {
            select("field:" + k, k, distinct(function (j) { return k in j.fields ? j.fields[k] : ""; }), function (v) { if (v === "") delete state.fields[k]; else state.fields[k] = v; });
          });
          var search = el("input", { type: "search", placeholder: "search prompts", "data-filter": "search" });
          search.addEventListener("input", function () { state.search = search.value.toLowerCase(); state.page = 0; render(); });
          filters.appendChild(search);
          var shown = el("span", { id: "shown-count" }); filters.appendChild(shown);

          function visible(j) {
            if (state.model && j.model !== state.model) return false;
            if (state.status && j.status !== state.status) return false;
            for (var k in state.fields) if ((k in j.fields ? j.fields[k] : "") !== state.fields[k]) return false;
            if (state.search && j.prompt.toLowerCase().indexOf(state.search) < 0) return false;
            return true;
          }
          function kind(path) {
            var ext = path.slice(path.lastIndexOf(".") + 1).toLowerCase();
            if (["png", "jpg", "jpeg", "webp", "gif"].indexOf(ext) >= 0) return "image";
            if (["mp4", "mov", "webm"].indexOf(ext) >= 0) return "video";
            if (["mp3", "wav", "flac", "m4a", "aac", "ogg"].indexOf(ext) >= 0) return "audio";
            return "file";
          }
          function media(path, big) {
            var k = kind(path);
            if (k === "image") return el("img", { src: path, alt: path, loading: big ? null : "lazy" });
            if (k === "video") return el("video", { src: path, controls: "", preload: big ? "metadata" : "none" });
            if (k === "audio") return el("audio", { src: path, controls: "", preload: "none" });
            return el("a", { href: path }, path.slice(path.lastIndexOf("/") + 1));
          }
          function cell(j) {
            var box = el("div", { "class": "job " + j.status, "data-job": j.id, "data-status": j.status, tabindex: "0" });
            j.outputs.forEach(function (p) { box.appendChild(media(p, false)); });
            if (j.reason) box.appendChild(el("div", { "class": "reason" }, j.status + ": " + j.reason));
            else if (!j.outputs.length) box.appendChild(el("div", { "class": "reason" }, j.status));
            var meta = j.cost + (j.seconds !== null ? " · " + j.seconds + " s" : "") + (j.sample > 1 ? " · sample " + j.sample : "");
            box.appendChild(el("div", { "class": "meta" }, meta));
            box.addEventListener("click", function () { detail(j); });
            box.addEventListener("keydown", function (e) { if (e.key === "Enter") detail(j); });
            return box;
          }
          function detail(j) {
            var body = document.getElementById("detail-body");
            body.textContent = "";
            j.outputs.forEach(function (p) {
              body.appendChild(media(p, true));
              var links = el("p");
              links.appendChild(el("a", { href: p }, p));
              links.appendChild(document.createTextNode(" · "));
              links.appendChild(el("a", { href: p.replace(/\.[^.\/]+$/, ".json") }, "sidecar"));
              body.appendChild(links);
            });
            var dl = el("dl");
            function row(name, value) { if (value === null || value === undefined || value === "") return; dl.appendChild(el("dt", null, name)); dl.appendChild(el("dd", null, String(value))); }
            row("status", j.status); row("reason", j.reason); row("model", j.model); row("prompt", j.prompt);
            row("inputs", j.inputs.map(function (i) { return i.source; }).join("\n"));
            for (var k in j.fields) row(k, j.fields[k]);
            row("sample", j.sample); row("task id", j.taskId); row("cost", j.cost); row("time", j.seconds === null ? null : j.seconds + " s"); row("job", j.id);
            body.appendChild(dl);
            var dialog = document.getElementById("detail");
            if (dialog.showModal) dialog.showModal(); else dialog.setAttribute("open", "");
          }

          function render() {
            var list = jobs.filter(visible);
            var rows = [], rowIndex = {}, columns = [], columnIndex = {};
            list.forEach(function (j) {
              if (!(j.row in rowIndex)) { rowIndex[j.row] = rows.length; rows.push({ key: j.row, first: j, cells: {} }); }
              if (!(j.column in columnIndex)) { columnIndex[j.column] = columns.length; columns.push(j); }
              var r = rows[rowIndex[j.row]]; (r.cells[j.column] = r.cells[j.column] || []).push(j);
            });
            var pages = Math.max(1, Math.ceil(rows.length / PAGE));
            if (state.page >= pages) state.page = pages - 1;
            shown.textContent = list.length + " of " + jobs.length + " jobs";
            var sheet = document.getElementById("sheet");
            sheet.textContent = "";
            if (!list.length) { sheet.appendChild(el("p", { "class": "empty" }, "No job matches these filters.")); }
            else {
              var table = el("table"), thead = el("thead"), head = el("tr");
              head.appendChild(el("th", null, "input · prompt"));
              columns.forEach(function (c) {
                var parts = [c.model].concat(varying.filter(function (k) { return k in c.fields; }).map(function (k) { return k + " " + c.fields[k]; }));
                head.appendChild(el("th", { "data-column": c.column }, parts.join(" · ")));
              });
              thead.appendChild(head); table.appendChild(thead);
              var tbody = el("tbody");
              rows.slice(state.page * PAGE, state.page * PAGE + PAGE).forEach(function (r) {
                var tr = el("tr"), th = el("th", { "class": "row" });
                var inputs = el("div", { "class": "inputs" });
                r.first.inputs.forEach(function (i) {
                  if (i.path) inputs.appendChild(el("img", { src: i.path, alt: i.id, title: i.source, loading: "lazy" }));
                  else inputs.appendChild(el("span", { title: i.source }, i.id));
                });
                th.appendChild(inputs);
                th.appendChild(el("div", { "class": "prompt" }, r.first.prompt));
                tr.appendChild(th);
                columns.forEach(function (c) {
                  var td = el("td");
                  (r.cells[c.column] || []).forEach(function (j) { td.appendChild(cell(j)); });
                  tr.appendChild(td);
                });
                tbody.appendChild(tr);
              });
              table.appendChild(tbody); sheet.appendChild(table);
            }
            var nav = document.getElementById("pages");
            nav.textContent = "";
            if (pages > 1) {
              var prev = el("button", { type: "button", "data-page": "prev" }, "previous"); prev.disabled = state.page === 0;
              prev.addEventListener("click", function () { state.page--; render(); window.scrollTo(0, 0); });
              var next = el("button", { type: "button", "data-page": "next" }, "next"); next.disabled = state.page >= pages - 1;
              next.addEventListener("click", function () { state.page++; render(); window.scrollTo(0, 0); });
              nav.appendChild(prev); nav.appendChild(el("span", { id: "page-of" }, "rows " + (state.page * PAGE + 1) + "–" + Math.min(rows.length, (state.page + 1) * PAGE) + " of " + rows.length)); nav.appendChild(next);
            }
          }
          render();
          window.rhReady = performance.now();
          document.documentElement.setAttribute("data-ready", "true");
        })();
        """#
}
