"""One self-contained HTML page, for people who would rather look than read: counts per severity and status, a
matrix of rules by stack (templates) or by account/region (audits) coloured by the worst status, and a table of
findings that filters by rule, status, severity, stack or account, what changed (`--since`) and text, with each
finding's message, fix, location and suppression reason.

Offline by construction: the style and the script are inline and the page loads nothing (no `src`, no `href`, no
`url(`); its Content-Security-Policy allows only that style and that script (by their hashes), so even text that
escaping missed could neither run nor fetch anything. Text from templates and AWS (and a merged report's own
words, read from files) is escaped (report/escape/html.py) and never placed inside the script: the script reads
the rows' `data-*` attributes and text. The output is the same for the same report (no clock), so it can be
compared and kept as a CI artifact.
"""

from __future__ import annotations

import base64
import hashlib

from ddbguard import __version__
from ddbguard.model import CDK_FRAMEWORK, Finding, Report, Severity, Status
from ddbguard.report import not_modelled_entries, summary
from ddbguard.report.changes import change_lines
from ddbguard.report.escape.html import html_text as h
from ddbguard.report.identity import finding_identity

_STATUSES = (Status.FAIL, Status.UNKNOWN, Status.SUPPRESSED, Status.PASS)
_SEVERITIES = tuple(sorted(Severity, key=lambda s: -s.rank))
_CHANGES = (("new", "new"), ("still", "still failing"), ("fixed", "fixed"))
_COLUMNS = ("status", "severity", "rule", "resource", "location", "message", "fix")

STYLE = """
:root{--fail:#c62828;--unknown:#a35f00;--suppressed:#58667a;--pass:#2e7d32;--line:#d7dbe0;--ink:#1d232a}
*{box-sizing:border-box}
body{margin:0;font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,"Helvetica Neue",Arial,sans-serif;
color:var(--ink);background:#f4f6f8}
header{background:#1d2733;color:#fff;padding:14px 24px}
header h1{margin:0;font-size:20px;font-weight:600}
header p{margin:4px 0 0;color:#c9d1db}
main{padding:16px 24px}
section{background:#fff;border:1px solid var(--line);border-radius:6px;padding:12px 16px;margin:0 0 16px}
h2{font-size:16px;margin:0 0 10px}
.cards{display:flex;gap:12px;flex-wrap:wrap;margin-bottom:12px}
.card{border-radius:6px;padding:8px 16px;color:#fff;min-width:130px}
.card b{display:block;font-size:26px;line-height:1.2}
.s-fail{background:var(--fail);color:#fff}
.s-unknown{background:var(--unknown);color:#fff}
.s-suppressed{background:var(--suppressed);color:#fff}
.s-pass{background:var(--pass);color:#fff}
.s-error{background:#6a1b9a;color:#fff}
table{border-collapse:collapse;width:100%}
th,td{border:1px solid var(--line);padding:4px 8px;text-align:left;vertical-align:top}
th{background:#eef1f4;font-weight:600}
td.n{text-align:right;font-variant-numeric:tabular-nums}
.scroll{overflow:auto;max-width:100%}
.matrix{width:auto}
.matrix th.scope{font-weight:500;font-size:12px;min-width:72px;max-width:150px;overflow-wrap:anywhere}
.matrix td.cell{text-align:center;min-width:48px;cursor:pointer;font-weight:600}
.matrix td.cell:hover{outline:2px solid var(--ink);outline-offset:-2px}
.matrix td.cell.s-pass{background:#e4f2e5;color:var(--pass)}
.matrix td.cell.s-suppressed{background:#e6e9ee;color:var(--suppressed)}
.matrix td.empty{background:#fafbfc}
.matrix td.title{font-size:12px;color:#4a5560;min-width:220px;max-width:320px}
.overview{display:flex;gap:24px;flex-wrap:wrap;align-items:flex-start}
.overview table{width:auto}
.overview td,.overview th{padding:3px 10px}
.filters{display:flex;gap:10px;flex-wrap:wrap;align-items:center;margin-bottom:10px}
.filters label{font-size:13px;color:#4a5560}
.filters select,.filters input{font:inherit;padding:2px 4px;margin-left:4px;max-width:280px}
#findings{table-layout:fixed;min-width:1100px}
#findings td{overflow-wrap:anywhere}
.c-status{width:92px}.c-severity{width:84px}.c-rule{width:150px}.c-resource{width:210px}.c-location{width:200px}
.c-fix{width:20%}
.filters input{width:260px}
#f-count{color:#4a5560;font-size:13px}
.badge{display:inline-block;padding:1px 6px;border-radius:3px;font-size:12px;font-weight:600;color:#fff;
white-space:nowrap}
.sev-critical{background:#6a1b9a}.sev-high{background:#c62828}.sev-medium{background:#e65100}
.sev-low{background:#1565c0}.sev-info{background:#607d8b}
.change{display:inline-block;margin-top:3px;padding:0 5px;border:1px solid currentColor;border-radius:3px;
font-size:11px;font-weight:600}
.change-new{color:var(--fail)}.change-fixed{color:var(--pass)}.change-still{color:#4a5560}
.mono{font-family:ui-monospace,SFMono-Regular,Menlo,Consolas,"DejaVu Sans Mono",monospace;font-size:12px;
word-break:break-all}
.muted{color:#5f6b76;font-size:12px}
.fix{font-size:12px;color:#33404c}
.reason{margin-top:4px;font-size:12px;color:var(--suppressed)}
.errors{border-color:#6a1b9a}
ul{margin:4px 0;padding-left:20px}
"""

SCRIPT = """
(function () {
  "use strict";
  var rows = Array.prototype.slice.call(document.querySelectorAll("#findings tbody tr"));
  var ids = ["f-rule", "f-status", "f-severity", "f-scope", "f-change", "f-text"];
  var inputs = {};
  ids.forEach(function (id) { inputs[id] = document.getElementById(id); });
  function value(id) { return inputs[id] ? inputs[id].value : ""; }
  function apply() {
    var rule = value("f-rule"), status = value("f-status"), severity = value("f-severity");
    var scope = value("f-scope"), change = value("f-change"), text = value("f-text").toLowerCase().trim();
    var shown = 0;
    rows.forEach(function (row) {
      var d = row.dataset;
      var ok = (!rule || d.rule === rule) &&
        (!status || (status === "open" ? d.status !== "pass" : d.status === status)) &&
        (!severity || d.severity === severity) && (!scope || d.scope === scope) &&
        (!change || d.change === change) &&
        (!text || row.textContent.toLowerCase().indexOf(text) >= 0);
      row.hidden = !ok;
      if (ok) { shown += 1; }
    });
    document.getElementById("f-count").textContent = shown + " of " + rows.length + " findings shown";
    document.getElementById("f-none").hidden = shown > 0;
  }
  function set(values) {
    ids.forEach(function (id) { if (inputs[id]) { inputs[id].value = values[id] || ""; } });
    apply();
  }
  ids.forEach(function (id) {
    if (inputs[id]) {
      inputs[id].addEventListener("input", apply);
      inputs[id].addEventListener("change", apply);
    }
  });
  document.getElementById("f-reset").addEventListener("click", function () { set({"f-status": "open"}); });
  Array.prototype.forEach.call(document.querySelectorAll(".matrix td[data-rule]"), function (cell) {
    cell.addEventListener("click", function () {
      set({"f-rule": cell.dataset.rule, "f-scope": cell.dataset.scope});
      document.getElementById("findings").scrollIntoView();
    });
  });
  apply();
})();
"""


def _hash(text: str) -> str:
    return "sha256-" + base64.b64encode(hashlib.sha256(text.encode()).digest()).decode()


# Nothing may load: no fetch, image, font, frame or form target; only the page's own style and script run.
CONTENT_SECURITY_POLICY = (f"default-src 'none'; style-src '{_hash(STYLE)}'; script-src '{_hash(SCRIPT)}'; "
                           "base-uri 'none'; form-action 'none'")


def scope_of(finding: Finding) -> str:
    """The matrix column of a finding: its account/region when it is live, else its stack."""
    if finding.live is not None:
        return f"{finding.live.account}/{finding.live.region}"
    return finding.stack or "(configuration)"


def location_of(finding: Finding) -> str:
    if finding.live is not None:
        return finding.live.arn
    return f"{finding.file}:{finding.line}" if finding.file else ""


def change_of(report: Report) -> dict[int, str]:
    """--since: each finding's change (new, still failing, fixed), by its identity, as the text report counts them."""
    if report.changes is None:
        return {}
    new, fixed = set(report.changes["new"]), set(report.changes["fixed"])
    tags = {}
    for index, finding in enumerate(report.findings):
        key = finding_identity(finding)
        if key in new:
            tags[index] = "new"
        elif key in fixed:
            tags[index] = "fixed"
        elif finding.status in (Status.FAIL, Status.UNKNOWN):
            tags[index] = "still"
    return tags


def render_html(report: Report, *, engine: str) -> str:
    counts = summary(report)
    changes = change_of(report)
    title = f"ddbguard {__version__}: {report.command}"
    body = [
        f"<header><h1>{h(title)}</h1><p>engine {h(engine)} &middot; {counts['resources']} resources &middot; "
        f"{counts['evaluations']} checks &middot; {counts['errors']} errors</p></header>",
        "<main>",
        *_errors(report),
        _counts(report, counts),
        *_since(report),
        *_scope(report),
        _matrix(report),
        _findings(report, changes),
        *_suppressions(report),
        *_not_modelled(report),
    ]
    body.append("</main>")
    return "\n".join([
        "<!DOCTYPE html>",
        '<html lang="en">',
        "<head>",
        '<meta charset="utf-8">',
        f'<meta http-equiv="Content-Security-Policy" content="{h(CONTENT_SECURITY_POLICY)}">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        '<meta name="referrer" content="no-referrer">',
        f"<title>{h(title)}</title>",
        f"<style>{STYLE}</style>",
        "</head>",
        "<body>",
        *body,
        f"<script>{SCRIPT}</script>",
        "</body>",
        "</html>",
    ]) + "\n"


def _errors(report: Report) -> list[str]:
    parts = []
    if report.errors:
        parts += ['<section class="errors" id="errors">',
                  f"<h2>Inputs that could not be checked ({len(report.errors)})</h2><ul>"]
        parts += [f'<li><span class="mono">{h(e.file)}</span>: <span>{h(e.message)}</span></li>' for e in report.errors]
        parts.append("</ul></section>")
    if report.warnings:
        parts += ['<section id="warnings">', f"<h2>Context that could not be read ({len(report.warnings)})</h2><ul>"]
        parts += [f'<li><span class="mono">{h(w.file)}</span>: <span>{h(w.message)}</span></li>' for w in report.warnings]
        parts.append("</ul></section>")
    return parts


def _counts(report: Report, counts: dict) -> str:
    cards = [f'<div class="card s-{s.value}"><b>{counts[s.value]}</b>{s.value}</div>' for s in _STATUSES]
    if report.errors:
        cards.append(f'<div class="card s-error"><b>{len(report.errors)}</b>errors</div>')
    rows = []
    for severity in _SEVERITIES:
        of = [f for f in report.findings if f.severity is severity]
        cells = "".join(f'<td class="n">{sum(f.status is s for f in of)}</td>' for s in _STATUSES)
        rows.append(f'<tr><td><span class="badge sev-{severity.value}">{severity.value}</span></td>{cells}'
                    f'<td class="n">{len(of)}</td></tr>')
    heads = "".join(f"<th>{s.value}</th>" for s in _STATUSES)
    return "\n".join(['<section id="counts">', "<h2>Counts</h2>", '<div class="overview">',
                      f'<div class="cards">{"".join(cards)}</div>',
                      f'<table id="severity-counts"><thead><tr><th>severity</th>{heads}<th>all</th></tr></thead>',
                      "<tbody>", *rows, "</tbody></table>", "</div>", "</section>"])


def _since(report: Report) -> list[str]:
    if report.changes is None:
        return []
    first, *listed = change_lines(report.changes, h)
    items = [f'<li class="mono">{line.strip()}</li>' for line in listed]
    return ['<section id="since">', f"<h2>{first}</h2>", *(["<ul>", *items, "</ul>"] if items else []), "</section>"]


def _scope(report: Report) -> list[str]:
    parts = []
    if report.audit is not None:
        audit = report.audit
        shard = audit.get("shard")
        facts = [("run", audit.get("run_id")), ("started", audit.get("started_at")),
                 ("regions", ", ".join(audit.get("regions") or [])), ("table prefix", audit.get("table_prefix")),
                 ("shard", f"{shard[0]}/{shard[1]}" if shard else None), ("shards merged", audit.get("shards"))]
        shown = ", ".join(f"{name} {h(str(value))}" for name, value in facts if value not in (None, ""))
        parts += ['<section id="audit">', "<h2>Audit</h2>", f"<p>{shown}</p>", "</section>"]
    if report.baseline is not None:
        baseline = report.baseline
        parts += ['<section id="baseline">', "<h2>Baseline</h2>",
                  f'<p><span class="mono">{h(baseline["file"])}</span>: {baseline["matched"]} known failures '
                  f"suppressed, {len(baseline['stale'])} entries match nothing now</p>"]
        if baseline["stale"]:
            parts += ["<ul>", *(f'<li class="mono">{h(entry)}</li>' for entry in baseline["stale"]), "</ul>"]
        parts.append("</section>")
    return parts


def _matrix(report: Report) -> str:
    live = any(f.live is not None for f in report.findings)
    scopes = sorted({scope_of(f) for f in report.findings})
    rules = sorted({f.rule_id for f in report.findings})
    titles = {f.rule_id: f.title for f in report.findings}
    cells: dict[tuple[str, str], list[Finding]] = {}
    for finding in report.findings:
        cells.setdefault((finding.rule_id, scope_of(finding)), []).append(finding)
    heads = "".join(f'<th class="scope">{h(scope)}</th>' for scope in scopes)
    rows = []
    for rule in rules:
        row = [f"<th>{h(rule)}</th>", f'<td class="title">{h(titles[rule])}</td>']
        for scope in scopes:
            found = cells.get((rule, scope))
            if not found:
                row.append('<td class="empty"></td>')
                continue
            worst = max((f.status for f in found), key=lambda s: s.gravity)
            tally = ", ".join(f"{n} {s.value}" for s in _STATUSES if (n := sum(f.status is s for f in found)))
            shown = "\u2713" if worst is Status.PASS else str(sum(f.status is worst for f in found))
            row.append(f'<td class="cell s-{worst.value}" data-rule="{h(rule)}" data-scope="{h(scope)}" '
                       f'title="{h(f"{rule} in {scope}: {tally}")}">{shown}</td>')
        rows.append(f"<tr>{''.join(row)}</tr>")
    what = "account/region" if live else "stack"
    return "\n".join([
        '<section id="matrix-section">', f"<h2>Rules by {what}</h2>",
        '<p class="muted">Each cell has the worst status of the rule there (its count; \u2713 all passed). '
        "Click a cell to list its findings.</p>",
        '<div class="scroll"><table class="matrix" id="matrix">',
        f"<thead><tr><th>rule</th><th>title</th>{heads}</tr></thead>", "<tbody>", *rows, "</tbody></table></div>",
        "</section>"])


def _options(values, selected: str = "") -> str:
    return "".join(f'<option value="{h(value)}"{" selected" if value == selected else ""}>{h(label)}</option>'
                   for value, label in values)


def _findings(report: Report, changes: dict[int, str]) -> str:
    live = any(f.live is not None for f in report.findings)
    rules = sorted({f.rule_id for f in report.findings})
    scopes = sorted({scope_of(f) for f in report.findings})
    filters = [
        f'<label>Rule<select id="f-rule">{_options([("", "all"), *((r, r) for r in rules)])}</select></label>',
        '<label>Status<select id="f-status">' + _options(
            [("open", "not passing"), ("", "all"), *((s.value, s.value) for s in _STATUSES)], "open")
        + "</select></label>",
        '<label>Severity<select id="f-severity">' + _options(
            [("", "all"), *((s.value, s.value) for s in _SEVERITIES)]) + "</select></label>",
        f'<label>{"Account/region" if live else "Stack"}<select id="f-scope">'
        + _options([("", "all"), *((s, s) for s in scopes)]) + "</select></label>",
    ]
    if report.changes is not None:
        filters.append('<label>Since<select id="f-change">' + _options([("", "all"), *_CHANGES]) + "</select></label>")
    filters += ['<label>Text<input id="f-text" type="search" placeholder="resource, message, location, fix"></label>',
                '<button id="f-reset" type="button">Reset</button>', '<span id="f-count"></span>']
    order = sorted(range(len(report.findings)), key=lambda i: (
        -report.findings[i].status.gravity, -report.findings[i].severity.rank, report.findings[i].rule_id,
        scope_of(report.findings[i]), report.findings[i].logical_id, report.findings[i].line))
    rows = [_row(report.findings[i], changes.get(i, "")) for i in order]
    return "\n".join([
        '<section id="findings-section">', f"<h2>Findings ({len(report.findings)})</h2>",
        f'<div class="filters">{"".join(filters)}</div>',
        '<div class="scroll"><table id="findings">',
        "<colgroup>" + "".join(f'<col class="c-{name}">' for name in _COLUMNS) + "</colgroup>",
        "<thead><tr>" + "".join(f"<th>{name}</th>" for name in _COLUMNS) + "</tr></thead>",
        "<tbody>", *rows, "</tbody></table></div>",
        '<p id="f-none" hidden>No finding matches these filters.</p>', "</section>"])


def _row(f: Finding, change: str) -> str:
    resource = f"{f.stack}/{f.logical_id}" if f.stack and f.live is None else f.logical_id
    where = [f'<div class="mono">{h(location_of(f))}</div>']
    if f.source is not None:
        where.append(f'<div class="muted">created at <span class="mono">{h(f"{f.source[0]}:{f.source[1]}")}</span>'
                     "</div>")
    what = [f'<div class="mono">{h(resource)}</div>']
    if f.cdk_path:
        what.append(f'<div class="muted">construct <span class="mono">{h(f.cdk_path)}</span></div>')
    if f.resource_type:
        what.append(f'<div class="muted">{h(f.resource_type)}</div>')
    if f.profile:
        what.append(f'<div class="muted">profile {h(f.profile)}</div>')
    if f.origin == CDK_FRAMEWORK:
        what.append('<div class="muted">CDK framework resource</div>')
    message = [h(f.message)]
    if f.suppression_reason:
        message.append(f'<div class="reason">suppressed: {h(f.suppression_reason)}</div>')
    status = f'<span class="badge s-{f.status.value}">{f.status.value}</span>'
    if change:
        status += f'<br><span class="change change-{change}">{dict(_CHANGES)[change]}</span>'
    return (f'<tr data-status="{f.status.value}" data-severity="{f.severity.value}" data-rule="{h(f.rule_id)}" '
            f'data-scope="{h(scope_of(f))}" data-change="{change}">'
            f"<td>{status}</td>"
            f'<td><span class="badge sev-{f.severity.value}">{f.severity.value}</span></td>'
            f'<td><b>{h(f.rule_id)}</b><div class="muted">{h(f.title)}</div></td>'
            f"<td>{''.join(what)}</td><td>{''.join(where)}</td><td>{''.join(message)}</td>"
            f'<td class="fix">{h(f.remediation) if f.status is not Status.PASS else ""}</td></tr>')


def _suppressions(report: Report) -> list[str]:
    suppressed = [f for f in report.findings if f.status is Status.SUPPRESSED]
    if not suppressed:
        return []
    rows = [f'<tr><td><b>{h(f.rule_id)}</b></td><td class="mono">{h(scope_of(f))}</td>'
            f'<td class="mono">{h(f.logical_id)}</td><td>{h(f.suppression_reason or "")}</td></tr>'
            for f in sorted(suppressed, key=lambda f: (f.rule_id, scope_of(f), f.logical_id))]
    return ['<section id="suppressions">', f"<h2>Suppressions ({len(suppressed)})</h2>",
            '<div class="scroll"><table><thead><tr><th>rule</th><th>stack or account/region</th><th>resource</th>'
            "<th>reason</th></tr></thead><tbody>", *rows, "</tbody></table></div>", "</section>"]


def _not_modelled(report: Report) -> list[str]:
    if not report.not_modelled:
        return []
    items = [f'<li><span class="mono">{h(str(e["file"]) + ":" + str(e["line"]))}</span> '
             f'<span class="mono">{h(str(e["stack"]) + "/" + str(e["location"]))}</span>: {h(e["construct"])}: '
             f'{h(e["effect"])}</li>' for e in not_modelled_entries(report)]
    return ['<section id="not-modelled">', f"<h2>Not modelled ({len(report.not_modelled)})</h2>",
            "<p>The verdicts these could change are unknown, never pass (DDB009).</p>", "<ul>", *items, "</ul>",
            "</section>"]
