"""Output that its input cannot drive. Templates, cloud assemblies, parameters files and AWS answers are
untrusted: whatever their text holds (logical ids, stack and file names, construct paths, values quoted in
messages, suppression reasons), every format shows it as the literal text, parses, and drives neither a
terminal, the GitHub Actions runner, a Markdown/HTML renderer, a spreadsheet nor an XML or JSON parser.

The readers are real or independent: markdown-it-py (CommonMark + GFM tables + linkify, as GitHub renders)
for Markdown, the csv module for CSV, ElementTree and the JUnit XSD for XML, the SARIF schema, and a
transcription of the Actions runner's own command parser (`ActionCommand.TryParseV2`/`TryParse` in
actions/runner) for what a log line runs.
"""

from __future__ import annotations

import csv
import html.parser
import io
import json
import re
import unicodedata
import xml.etree.ElementTree as ET
from importlib import resources

import jsonschema
import pytest
import xmlschema
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from markdown_it import MarkdownIt

from conftest import ROOT, run_ddbguard
from ddbguard.model import Finding, InputError, LiveResource, Report, Severity, Status
from ddbguard.report import FORMATS, render
from ddbguard.report.escape.csv import csv_cell
from ddbguard.report.escape.json import json_document
from ddbguard.report.escape.markdown import markdown_cell, markdown_code, markdown_words
from ddbguard.report.escape.terminal import terminal_text

SARIF_SCHEMA = json.loads((ROOT / "node_modules" / "@microsoft" / "jest-sarif" / "lib" / "schemas" /
                           "sarif-2.1.0-rtm.5.json").read_text())
REPORT_SCHEMA = json.loads(resources.files("ddbguard.schemas").joinpath("report.schema.json").read_text())
JUNIT_XSD = xmlschema.XMLSchema(str(resources.files("ddbguard.schemas").joinpath("junit.xsd")))
MARKDOWN = MarkdownIt("gfm-like")  # html and linkify on: what GitHub would turn into HTML, links or images

# The runner's registered commands: every command extension, and stop-commands (ActionCommandManager).
RUNNER_COMMANDS = {"set-env", "set-output", "save-state", "add-mask", "add-path", "add-matcher", "remove-matcher",
                   "debug", "warning", "error", "notice", "group", "endgroup", "echo", "stop-commands"}


def workflow_command(line: str) -> tuple[str, dict[str, str], str] | None:
    """(command, properties, data) that the Actions runner runs for one line of a step's output, or None.

    TryParseV2: `::name props::data` after leading white space; then the legacy TryParse: `##[name props]data`
    anywhere in the line. The unescaping is the runner's (UnescapeProperty, UnescapeData)."""
    trimmed = line.lstrip()
    if trimmed.startswith("::") and (end := trimmed.find("::", 2)) >= 0:
        name, _, props = trimmed[2:end].partition(" ")
        if name in RUNNER_COMMANDS:
            properties = {}
            for pair in filter(None, props.strip().split(",")):
                key, _, value = pair.partition("=")
                if value:
                    properties[key] = (value.replace("%0D", "\r").replace("%0A", "\n").replace("%3A", ":")
                                       .replace("%2C", ",").replace("%25", "%"))
            data = trimmed[end + 2:].replace("%0D", "\r").replace("%0A", "\n").replace("%25", "%")
            return name, properties, data
    if (start := line.find("##[")) >= 0 and (end := line.find("]", start)) >= 0:
        name = line[start + 3:end].partition(" ")[0]
        if name in RUNNER_COMMANDS:
            return name, {}, line[end + 1:]
    return None


def shown_characters_are_inert(text: str) -> None:
    """No character that a terminal or a viewer interprets: controls other than the formatter's own line
    endings, bidi controls, line/paragraph separators, surrogates, noncharacters, invisible format characters."""
    for char in text.replace("\r\n", "\n"):  # CSV's own line ending is CRLF (RFC 4180)
        if char == "\n":
            continue
        category = unicodedata.category(char)
        assert category not in ("Cc", "Cs", "Zl", "Zp") and char not in "\ufffe\uffff", repr(char)
        assert category != "Cf", repr(char)


def lines_run_nothing(text: str, *, allowed: int = 0) -> list[tuple[str, dict, str]]:
    """Every line a runner would run, checked to be no more than the formatter's own `allowed` commands."""
    commands = [command for line in text.splitlines() if (command := workflow_command(line))]
    assert "##[" not in text
    assert len(commands) == allowed, commands
    return commands


HOSTILE_PIECES = [
    "\x1b[31m", "\x1b]8;;https://evil.example\x1b\\", "\r", "\n", "\r\n", "\x00", "\x08", "\x9b", "\x85", "\u202e",
    "\u2066", "\u200b", "\u2028", "\ufeff", "\ud800", "\udfff", "\ufffe", "\U000e0041", "::", "::error::forged",
    "::add-mask::x", " ::warning file=a,line=1::x", "##[error]forged", "##[stop-commands]t", "`", "``", "|", "<", ">",
    "&", "&amp;", "&#60;", "[", "]", "(", ")", "!", "#", "# ", "*", "**", "_", "~", "\\", "\\|", "=", "+", "-", "@",
    "\t", " ", "  ", "https://evil.example/x", "www.evil.example", "mail@evil.example", "<img src=x onerror=alert(1)>",
    "<!--", "-->", "[a](https://evil.example)", "![i](https://evil.example/i.png)", "<https://evil.example>", '"',
    "'", ",", ";", "%", "%0A", "%3A", ":", "=HYPERLINK(\"https://evil.example\")", "x", "Orders", "é", "\u3000",
]
HOSTILE = st.lists(st.one_of(st.sampled_from(HOSTILE_PIECES), st.text(max_size=3)), max_size=6).map("".join)
EXAMPLE = ("\x1b[2J\r\n::error::forged ##[add-mask]x \u202eevil `code` | <b>x</b> [a](https://evil.example) "
           "![i](https://evil.example/i.png) # *em* _em_ &amp; www.evil.example =1+1")


def hostile_report(texts) -> Report:
    """A report whose every field that templates or AWS can fill holds hostile text."""
    t = iter(texts)

    def finding(status: Status, **extra) -> Finding:
        # a merged report reads even the title, the fix and the profile from files
        return Finding(rule_id="DDB002", title=next(t), severity=Severity.HIGH, status=status, message=next(t),
                       stack=next(t), logical_id=next(t), resource_type=next(t), cdk_path=next(t), file=next(t),
                       line=7, engine="builtin", remediation=next(t), profile=next(t) or None, **extra)

    return Report(
        findings=[finding(Status.FAIL), finding(Status.UNKNOWN), finding(Status.PASS),
                  finding(Status.SUPPRESSED, suppression_reason=next(t) or "a reason"),
                  finding(Status.FAIL, live=LiveResource("111111111111", "us-east-1",
                                                         f"arn:aws:dynamodb:us-east-1:111111111111:table/{next(t)}",
                                                         next(t)))],
        errors=[InputError(next(t), next(t))],
        changes={"new": [next(t)], "fixed": [next(t)], "still_failing": 1, "gone": [next(t)]},
        baseline={"file": "baseline.json", "matched": 0, "stale": [next(t)]},
    )


FIELDS = 5 * 9 + 1 + 2 + 2 + 3 + 1 + 1  # and the engine of a merged report


def _portable(text: str) -> str:
    """What a JSON report carries for a string: itself, lone surrogates as the text of their escape."""
    return re.sub("[\ud800-\udfff]", lambda m: f"\\u{ord(m.group()):04x}", text)


def _inline_tokens(text: str) -> list:
    tokens = MARKDOWN.parse(text)
    return [child for token in tokens if token.children for child in token.children], tokens


def assert_markdown_renders_literally(text: str, untrusted: list[str], *, headings: int, cells: int) -> None:
    """No link, image, HTML, heading or table cell comes from untrusted text: each is one code span."""
    inline, tokens = _inline_tokens(text)
    kinds = {token.type for token in tokens} | {token.type for token in inline if token.content != "<br>"}
    forbidden = {"link_open", "image", "html_inline", "html_block", "hr", "blockquote_open", "fence", "code_block",
                 "s_open", "em_open"}  # the formatters write headings, tables, lists, bold and <br> of their own
    assert not kinds & forbidden, kinds & forbidden
    assert sum(token.type == "heading_open" for token in tokens) == headings
    rows = [i for i, token in enumerate(tokens) if token.type == "tr_open"]
    for start in rows:
        end = next(i for i in range(start, len(tokens)) if tokens[i].type == "tr_close")
        assert sum(token.type in ("td_open", "th_open") for token in tokens[start:end]) == cells
    spans = [token.content for token in inline if token.type == "code_inline"]
    for value in untrusted:
        if value.strip(" "):
            assert terminal_text(value) in spans, (value, spans)


# The elements the HTML report writes itself; text must never add one, or an attribute.
HTML_ELEMENTS = {"html", "head", "meta", "title", "style", "body", "header", "h1", "h2", "p", "main", "section", "div",
                 "b", "br", "table", "colgroup", "col", "thead", "tbody", "tr", "th", "td", "span", "ul", "li", "label",
                 "select", "option", "input", "button", "script"}
HTML_ATTRIBUTES = {"lang", "charset", "http-equiv", "content", "name", "class", "id", "title", "value", "selected",
                   "type", "placeholder", "hidden", "data-rule", "data-scope", "data-status", "data-severity",
                   "data-change"}


class PageParts(html.parser.HTMLParser):
    """What a browser's tokenizer makes of a page (the standard library's HTML parser): elements, attributes, and
    each run of text between tags, decoded."""

    def __init__(self, page: str) -> None:
        super().__init__(convert_charrefs=True)
        self.elements: list[str] = []
        self.attributes: set[str] = set()
        self.texts: list[str] = []
        self.raw: dict[str, list[str]] = {"script": [], "style": []}
        self.feed(page)
        self.close()

    _inside: str | None = None  # the script or style element whose raw text is being read

    def handle_starttag(self, tag, attrs):
        self.elements.append(tag)
        self.attributes |= {name for name, _ in attrs}
        self._inside = tag if tag in self.raw else None

    def handle_endtag(self, tag):
        self._inside = None

    def handle_data(self, data):
        (self.raw[self._inside] if self._inside else self.texts).append(data)


def assert_html_shows_text_literally(page: str, untrusted: list[str]) -> None:
    from ddbguard.report import html as html_report

    parts = PageParts(page)
    assert set(parts.elements) <= HTML_ELEMENTS, set(parts.elements) - HTML_ELEMENTS
    assert parts.attributes <= HTML_ATTRIBUTES, parts.attributes - HTML_ATTRIBUTES
    assert parts.elements.count("script") == 1 and parts.elements.count("style") == 1
    assert parts.raw["script"] == [html_report.SCRIPT] and parts.raw["style"] == [html_report.STYLE]
    for value in untrusted:
        if value:
            assert terminal_text(value) in parts.texts, value  # one run of text, exactly as shown elsewhere


# -- the escaping modules, on examples --------------------------------------------------------------------
def test_terminal_text_shows_controls_bidi_and_invisible_characters_as_escapes():
    assert terminal_text("a\x1b[31mb\r\n\x00\x08\t\x7f\x9b\x85 \u202eabc\u202c \u200b \u2028 \ud800 \U000e0041") == (
        "a\\x1b[31mb\\r\\n\\x00\\x08\\t\\x7f\\x9b\\x85 \\u202eabc\\u202c \\u200b \\u2028 \\ud800 \\U000e0041")
    assert terminal_text("AWS::DynamoDB::Table in C:\\temp é") == "AWS::DynamoDB::Table in C:\\temp é"


def test_terminal_text_never_starts_a_workflow_command():
    assert terminal_text("::error::forged") == "\\x3a:error::forged"
    assert terminal_text("  \u3000::add-mask::x") == "  \u3000\\x3a:add-mask::x"
    assert terminal_text("\n::error::x") == "\\n::error::x"
    assert terminal_text("see ##[error]x and ###[debug]y") == "see #\\x23[error]x and ##\\x23[debug]y"
    assert workflow_command("      " + terminal_text("::warning file=a::x")) is None
    assert workflow_command("      ::warning file=a::x") == ("warning", {"file": "a"}, "x")


def test_markdown_code_spans_hold_any_text():
    assert markdown_code("plain") == "`plain`"
    assert markdown_code("a`b") == "``a`b``"
    assert markdown_code("`x``") == "``` `x`` ```"
    assert markdown_code(" x ") == "`  x  `"
    assert markdown_code("") == ""
    assert markdown_cell("a|b\\|c") == "`a\\|b\\\\|c`"
    for value in (EXAMPLE, "`", "``", " ` ", "a\\", "|", "\\|", " ", "x\n# y", "</td></tr><tr><td>"):
        (paragraph,) = [t for t in _inline_tokens(markdown_code(value))[0] if t.type == "code_inline"]
        assert paragraph.content == terminal_text(value), value
        table = f"| a | b |\n|---|---|\n| {markdown_cell(value)} | z |\n"
        assert_markdown_renders_literally(table, [value], headings=0, cells=2)


def test_plain_words_stay_plain_and_anything_else_is_a_code_span():
    from ddbguard.catalog import load_catalog

    assert markdown_words("Tables are retained (when replaced), guard+checkov") == (
        "Tables are retained (when replaced), guard+checkov")
    assert markdown_words("@team see #1 :x: www.evil.example") == "`@team see #1 :x: www.evil.example`"
    assert markdown_words("a|b", cell=True) == "`a\\|b`"
    # the catalog's titles are shown as they are
    assert all(markdown_words(rule.title) == rule.title for rule in load_catalog().values())


def test_csv_cells_that_a_spreadsheet_would_run_are_inert():
    assert [csv_cell(v) for v in ("=1+1", "+1", "-1", "@SUM(A1)", "\tx", "\rx", "ok", "a=b", "")] == [
        "'=1+1", "'+1", "'-1", "'@SUM(A1)", "\\tx", "\\rx", "ok", "a=b", ""]
    out = io.StringIO()
    csv.writer(out).writerow([csv_cell('a "quoted", multi\nline'), csv_cell('=HYPERLINK("https://evil.example")')])
    assert out.getvalue() == '"a ""quoted"", multi\\nline","\'=HYPERLINK(""https://evil.example"")"\r\n'


def test_json_documents_parse_everywhere_and_run_nothing_in_a_log():
    text = json_document({"m": "##[error]x \ud800 \U0001f600 \x1b", "n": float("nan"), "##[k": [float("inf")]})
    assert text.isascii() and "##[" not in text
    assert json.loads(text) == {"m": "##[error]x \\ud800 \U0001f600 \x1b", "n": "nan", "##[k": ["inf"]}


# -- every format, on hostile text in every field ------------------------------------------------------------
def assert_every_format_is_inert(texts: list[str]) -> None:
    report, engine = hostile_report(texts[:-1]), texts[-1]
    messages = [f.message for f in report.findings]
    shown = [f.message for f in report.findings if f.status is not Status.PASS]
    for fmt in FORMATS:
        output = render(report, fmt, engine=engine)
        shown_characters_are_inert(output)
        allowed = 0
        if fmt == "github":  # its own annotations: one per failure or unknown, one per input error
            allowed = sum(f.status in (Status.FAIL, Status.UNKNOWN) for f in report.findings) + len(report.errors)
        commands = lines_run_nothing(output, allowed=allowed)
        if fmt == "github":
            assert len(output.splitlines()) == allowed
            for name, properties, data in commands:
                assert name in ("error", "warning", "notice") and set(properties) <= {"file", "line", "title"}
                assert "\n" not in data and "\r" not in data
        elif fmt == "text":
            for message in shown:
                assert f"      {terminal_text(message)}\n" in output
        elif fmt == "markdown":
            # (a change is shown as its identity, whose parts `|` separates, with spaces)
            untrusted = [*shown, report.errors[0].file, report.errors[0].message,
                         report.changes["new"][0].replace("|", " ")]
            # the report's heading, one per status and severity, and the errors'
            assert_markdown_renders_literally(output, untrusted, headings=5, cells=4)
        elif fmt == "html":
            assert_html_shows_text_literally(output, [*messages, report.errors[0].file, report.errors[0].message,
                                                      *(f.suppression_reason for f in report.findings)])
        elif fmt == "junit":
            JUNIT_XSD.validate(output)
            root = ET.fromstring(output)
            assert [case.find("failure").get("message") for case in root.iter("testcase")
                    if case.find("failure") is not None] == [terminal_text(messages[0]), terminal_text(messages[4])]
        elif fmt == "json":
            data = json.loads(output)
            jsonschema.validate(data, REPORT_SCHEMA)
            assert [f["message"] for f in data["findings"]] == [_portable(m) for m in messages]
            assert output.isascii()
        elif fmt == "sarif":
            data = json.loads(output)
            jsonschema.Draft4Validator(SARIF_SCHEMA).validate(data)
            for result in data["runs"][0]["results"]:
                text = result["message"]["text"]
                assert not re.search(r"[\[\]]", re.sub(r"\\[\[\]]", "", text)), text  # SARIF 3.11.6: no embedded link
            assert re.sub(r"\\([\[\]])", r"\1", data["runs"][0]["results"][0]["message"]["text"]).startswith(
                _portable(messages[0]))
            assert output.isascii()
        else:  # gitlab, asff
            json.loads(output)
            assert output.isascii()


def test_every_format_is_inert_on_an_example():
    assert_every_format_is_inert([EXAMPLE] * FIELDS)


@settings(max_examples=40, deadline=None, suppress_health_check=list(HealthCheck), derandomize=True)
@given(st.lists(HOSTILE, min_size=FIELDS, max_size=FIELDS))
def test_every_format_is_inert_on_generated_text(texts):
    assert_every_format_is_inert(texts)


INVENTORY_RECORD_KEYS = ("account", "region", "stack", "construct_path", "logical_id", "name", "arn", "type",
                         "key_schema", "billing_mode", "encryption", "kms_key", "global_indexes", "local_indexes",
                         "stream", "auto_scaling", "point_in_time_recovery", "point_in_time_recovery_days",
                         "deletion_protection", "deletion_policy", "update_replace_policy", "backups", "granted")
LISTS = ("global_indexes", "local_indexes", "auto_scaling", "backups", "granted")
DAX_OWN_KEYS = ("encryption_at_rest", "endpoint_encryption", "nodes")  # a DAX cluster's keys no table has


def assert_inventory_is_inert(texts: list[str]) -> None:
    from ddbguard.commands.inventory import DAX_FIELDS
    from ddbguard.commands.inventory import FIELDS as INVENTORY_FIELDS
    from ddbguard.commands.inventory import render as render_inventory

    assert INVENTORY_FIELDS == INVENTORY_RECORD_KEYS
    assert set(DAX_FIELDS) - set(INVENTORY_RECORD_KEYS) == set(DAX_OWN_KEYS)
    t = iter(texts)
    record = {key: [next(t), next(t)] if key in LISTS else
              True if key == "deletion_protection" else next(t) for key in INVENTORY_RECORD_KEYS}
    records = [record, {**record, "name": None}]
    clusters = [{key: record[key] if key in record else next(t) for key in DAX_FIELDS}]
    for fmt in ("markdown", "csv", "json"):
        output = render_inventory(records, fmt, clusters)
        shown_characters_are_inert(output)
        lines_run_nothing(output)
    markdown = render_inventory(records, "markdown", clusters)
    # two tables and one DAX cluster under the inventory's title and the clusters' heading
    assert_markdown_renders_literally(markdown, [record["name"], record["logical_id"], record["arn"],
                                                 "; ".join(record["granted"])], headings=5, cells=2)
    rows = list(csv.reader(io.StringIO(render_inventory(records, "csv"))))
    assert rows[0] == list(INVENTORY_RECORD_KEYS) and len(rows) == 3
    for row in rows[1:]:
        assert len(row) == len(INVENTORY_RECORD_KEYS)
        for cell in row:
            assert not cell.startswith(("=", "+", "-", "@", "\t", "\r")), cell
    assert rows[1][5] == csv_cell(record["name"])
    data = json.loads(render_inventory(records, "json"))
    assert data["tables"][0]["name"] == _portable(record["name"])


INVENTORY_TEXTS = len(INVENTORY_RECORD_KEYS) - 1 + len(LISTS) + len(DAX_OWN_KEYS)


def test_inventory_is_inert_on_an_example():
    assert_inventory_is_inert([EXAMPLE, "=1+1", "-x", "@x", "+x", "\tx"] * INVENTORY_TEXTS)


@settings(max_examples=40, deadline=None, suppress_health_check=list(HealthCheck), derandomize=True)
@given(st.lists(HOSTILE, min_size=INVENTORY_TEXTS, max_size=INVENTORY_TEXTS))
def test_inventory_is_inert_on_generated_text(texts):
    assert_inventory_is_inert(texts)


# -- the command line, on a hostile template -----------------------------------------------------------------
LOGICAL_ID = "Orders\x1b[2J\r\n::error::forged ##[add-mask]x \u202eevil"
HOSTILE_TEMPLATE = json.dumps({"Resources": {LOGICAL_ID: {
    "Type": "AWS::DynamoDB::Table",
    "Metadata": {"ddbguard": {"suppress": [{"id": "DDB003", "reason": "\x1b]0;owned\x07 ::notice::waived"}]}},
    "Properties": {"TableName": "orders\n::warning::forged", "DeletionProtectionEnabled": "\x1b[5mno",
                   "BillingMode": "PAY_PER_REQUEST"}}}})


@pytest.fixture
def hostile_inputs(tmp_path):
    template = tmp_path / "::error::template.json"
    template.write_text(HOSTILE_TEMPLATE)
    broken = tmp_path / "##[error]broken\x1b[1m.yaml"
    broken.write_text("Resources: [\n")
    return template, broken


@pytest.mark.parametrize("fmt", FORMATS)
def test_the_command_line_on_a_hostile_template(hostile_inputs, fmt):
    template, broken = hostile_inputs
    result = run_ddbguard("check", str(template), str(broken), "--format", fmt)
    assert result.code == 2
    for stream in (result.stdout, result.stderr):
        shown_characters_are_inert(stream)
    if fmt == "github":  # its own annotations only, one a line
        lines = result.stdout.splitlines()
        assert lines and all(line.startswith(("::error ", "::warning ", "::notice ")) for line in lines)
        lines_run_nothing(result.stdout, allowed=len(lines))
    else:
        lines_run_nothing(result.stdout)
    lines_run_nothing(result.stderr)
    escaped_broken = f"{terminal_text(str(broken))}: invalid YAML"
    if fmt == "text":
        assert f"    FAIL {terminal_text(template.stem)}/{terminal_text(LOGICAL_ID)}\n" in result.stdout
        assert f"      at {terminal_text(str(template))}:" in result.stdout
        assert "      suppressed: \\x1b]0;owned\\x07 ::notice::waived\n" in result.stdout
        assert f"  {escaped_broken}" in result.stdout
    else:  # people read standard error
        assert f"ddbguard: {escaped_broken}" in result.stderr


def test_inventory_on_a_hostile_template(hostile_inputs, tmp_path):
    template, _ = hostile_inputs
    rows = list(csv.DictReader(io.StringIO(run_ddbguard("inventory", str(template), "--format", "csv").stdout)))
    assert [(row["logical_id"], row["name"]) for row in rows] == [(terminal_text(LOGICAL_ID),
                                                                  "orders\\n::warning::forged")]
    markdown = run_ddbguard("inventory", str(template)).stdout
    shown_characters_are_inert(markdown)
    lines_run_nothing(markdown)
    assert_markdown_renders_literally(markdown, [LOGICAL_ID, "orders\n::warning::forged"], headings=2, cells=2)
