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