"""Lint templates: manifest, example data, variables against fields, Word run splits, filters, glyphs.

`check(ws)` returns one Problem per thing a template author must fix, each naming the
template, the file and what is wrong; nothing is rendered, so it runs in well under a second
per template and CI runs it over every built-in template.
"""
from __future__ import annotations

import html
import re
import tomllib
import zipfile
from dataclasses import asdict, dataclass, field
from datetime import date
from pathlib import Path
from typing import Any, Iterable

import jinja2
from jinja2 import nodes

from . import catalog, fonts, rules
from .errors import FormsmithError, TemplateError
from .render import docx as docx_engine
from .render import html as html_engine

# What every template's context holds besides `data` (see issuing.issue_document).
CONTEXT_KEYS = {
    "company": {"name", "service_centre", "community", "address", "community_address", "phone", "seal_text", "contract"},
    "doc": {"no", "id", "issued_on", "template", "title", "version", "retention_years"},
    "fonts": {"serif", "sans"},
}
JINJA_GLOBALS = {"range", "dict", "lipsum", "cycler", "joiner", "namespace", "loop", "super",
                 "self", "varargs", "kwargs", "caller"}
# Filters and tests that take a row attribute name as their first argument (or attribute=).
ATTRIBUTE_FILTERS = {"map", "selectattr", "rejectattr", "groupby", "sort", "sum", "unique",
                     "min", "max", "attr"}
DOCX_PARTS = re.compile(r"^word/(document|header\d*|footer\d*|footnotes|endnotes)\.xml$")
W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"
TAG = re.compile(r"\{\{.*?\}\}|\{%.*?%\}|\{#.*?#\}", re.S)


@dataclass(frozen=True)
class Problem:
    """One thing wrong with one template."""

    template: str
    file: str
    message: str

    def line(self) -> str:
        return f"{self.template}: {self.file}: {self.message}"

    def as_dict(self) -> dict[str, str]:
        return asdict(self)


class TemplateCheckFailed(TemplateError):
    """`templates check` found problems: one line each, exit code 2."""

    def __init__(self, problems: list[Problem]):
        self.problems = problems
        super().__init__(f"{len(problems)} template problem(s)")

    def lines(self) -> list[str]:
        return [p.line() for p in self.problems]


@dataclass
class _Usage:
    """What a template's Jinja code reads and calls, gathered over all its files."""

    data_fields: dict[str, str] = field(default_factory=dict)        # field → first file
    item_access: list[tuple[str, str, str]] = field(default_factory=list)  # (list, attr, file)
    attributes: set[str] = field(default_factory=set)                # every attribute name read
    problems: list[tuple[str, str]] = field(default_factory=list)    # (file, message)


# ---------------------------------------------------------------- public API

def check(ws, template_ids: Iterable[str] | None = None) -> list[Problem]:
    """Every problem of the named templates (default: all of the workspace's catalog)."""
    ids = list(template_ids) if template_ids else ws.catalog.ids()
    problems: list[Problem] = []
    for tid in ids:
        problems += check_template(ws, tid)
    return problems


def check_template(ws, template_id: str) -> list[Problem]:
    """Every problem of one template."""
    out: list[Problem] = []
    add = lambda file, msg: out.append(Problem(template_id, file, msg))  # noqa: E731
    try:
        tpl = ws.catalog.get(template_id)
    except TemplateError as exc:
        add("manifest.toml", _strip_where(str(exc), template_id))
        return out
    except ValueError as exc:  # example.json that is not JSON
        add("example.json", f"not valid JSON: {exc}")
        return out

    declared = _example_problems(ws, tpl, add)
    families = (ws.fonts["serif"], ws.fonts["sans"])
    usage = _Usage()
    for name, source in _sources(tpl, add):
        _check_source(tpl, name, source, usage, families, add)
    for file, msg in usage.problems:
        add(file, msg)

    known = {f.name for f in tpl.fields} | declared
    for name, file in sorted(usage.data_fields.items()):
        if name not in known:
            add(file, f"data.{name} is used but not declared in manifest.toml [fields] "
                      "(nor computed by a rule)")
    lists = {f.name: f for f in tpl.fields if f.type == "list"}
    for lst, attr, file in usage.item_access:
        items = {i.name for i in lists[lst].items}
        if attr not in items and f"{lst}.{attr}" not in declared:
            add(file, f"{lst}[].{attr} is used but {lst} has no item field {attr!r} in manifest.toml")
    unprinted = _unprinted(tpl, add)
    for f in tpl.fields:
        if f.name in unprinted:
            continue
        if f.name not in usage.data_fields:
            add("manifest.toml", f"field {f.name} is declared but the template never uses "
                                 f"data.{f.name} (if code needs it, list it in unprinted_fields)")
        elif f.type == "list":
            for item in f.items:
                if item.name not in usage.attributes:
                    add("manifest.toml", f"field {f.name}[].{item.name} is declared but the "
                                         "template never uses it")
    return out


# ---------------------------------------------------------------- manifest and example

def _unprinted(tpl: catalog.Template, add) -> set[str]:
    """Fields the manifest says are for code, not print: `unprinted_fields = ["unit", …]`."""
    raw = tomllib.loads((tpl.folder / "manifest.toml").read_text(encoding="utf-8"))
    names = raw.get("unprinted_fields", [])
    if not isinstance(names, list) or not all(isinstance(n, str) for n in names):
        add("manifest.toml", "unprinted_fields must be a list of field names")
        return set()
    for n in names:
        if tpl.field(n) is None:
            add("manifest.toml", f"unprinted_fields names {n!r}, which is not a declared field")
    return set(names)


def _strip_where(message: str, tid: str) -> str:
    return re.sub(rf"^template {re.escape(tid)}: ", "", message)


def _example_problems(ws, tpl: catalog.Template, add) -> set[str]:
    """Validate the example and run the rules on it; the names the rules add to `data`."""
    if not tpl.example:
        add("manifest.toml", "no [example] data (or example.json): every template needs example data that renders")
        return set()
    try:
        values = catalog.validate(tpl, tpl.example, record="example")
    except FormsmithError as exc:
        for line in exc.lines():
            add("manifest.toml [example]", line)
        return set()
    dated = values.get(tpl.period_field) if tpl.period_field else None
    as_of = dated if isinstance(dated, date) else date.today()
    # a form is issued on or after the days it records (a callback form after the repair's leak
    # test, though it is dated by the repair): checked as of the latest of them
    stated = [v for v in values.values() if isinstance(v, date)]
    as_of = max([as_of, *stated]) if isinstance(dated, date) else as_of
    try:
        with ws.store.snapshot() as view:
            # the example as its process would give it (a receipt's comes from the ledger)
            computed = rules.apply(dict(values), rules.RuleContext(ws=ws, template=tpl, as_of=as_of,
                                                                   record="example", view=view,
                                                                   origin=tpl.process or "data"))
    except FormsmithError as exc:
        for line in exc.lines():
            add("manifest.toml [example]", f"the rules refuse the example: {line}")
        return set()
    added = set(computed) - set(values)
    for name, value in computed.items():  # item fields a rule adds to a list ("readings.unit_word")
        if isinstance(value, list) and all(isinstance(i, dict) for i in value):
            before = values.get(name)
            if not isinstance(before, list):
                before = []
            had = set().union(*(i.keys() for i in before if isinstance(i, dict)))
            for item in value:
                added |= {f"{name}.{k}" for k in item.keys() - had}
    return added


# ---------------------------------------------------------------- sources

def _sources(tpl: catalog.Template, add) -> list[tuple[str, str]]:
    """(file name, Jinja source) of the template's own files, Word parts preprocessed like docxtpl."""
    if tpl.engine == "docx":
        return _docx_sources(tpl.body, add)
    files = sorted(p for p in tpl.folder.iterdir() if p.suffix in (".html", ".css", ".svg"))
    return [(p.name, p.read_text(encoding="utf-8")) for p in files]


def _docx_sources(path: Path, add) -> list[tuple[str, str]]:
    from docxtpl import DocxTemplate
    from lxml import etree
    try:
        archive = zipfile.ZipFile(path)
    except zipfile.BadZipFile:
        add(path.name, "not a Word .docx file (not a zip archive)")
        return []
    patcher = DocxTemplate(str(path))
    try:
        for ref in docx_engine.external_references(patcher.get_docx()):
            add(path.name, f"links to content outside the file ({ref}): embed it instead; "
                           "formsmith refuses to render it")
    except Exception as exc:  # python-docx cannot open it at all
        add(path.name, f"Word cannot read this file: {type(exc).__name__}: {exc}")
        return []
    out = []
    with archive:
        for name in sorted(n for n in archive.namelist() if DOCX_PARTS.match(n)):
            raw = archive.read(name)
            label = f"{path.name}:{name}"
            try:
                root = etree.fromstring(raw)
            except etree.XMLSyntaxError as exc:
                add(label, f"malformed XML: {exc}")
                continue
            for msg in _split_tags(root):
                add(label, msg)
            xml = etree.tostring(root, encoding="unicode")
            out.append((label, patcher.patch_xml(xml)))
    return out


def _split_tags(root) -> list[str]:
    """A Jinja tag whose text Word spread over several runs, or over paragraphs, per paragraph."""
    problems = []
    for p in root.iter(f"{W}p"):
        pieces: list[tuple[int, str]] = []
        for k, t in enumerate(p.iter(f"{W}t")):
            pieces.append((k, t.text or ""))
        text = "".join(s for _, s in pieces)
        if "{" not in text and "}" not in text:
            continue
        owner = [k for k, s in pieces for _ in s]
        for m in TAG.finditer(text):
            runs = sorted(set(owner[m.start():m.end()]))
            if len(runs) > 1:
                problems.append(f"Jinja tag “{m.group(0)}” is split across {len(runs)} Word runs "
                                f"(paragraph “{_short(text)}”): select the tag, clear its formatting "
                                "and retype it in one go")
        rest = TAG.sub("", text)
        for opener in ("{{", "{%", "{#"):
            if opener in rest:
                problems.append(f"Jinja tag opened with “{opener}” is not closed in the same "
                                f"paragraph (“{_short(text)}”)")
        for closer in ("}}", "%}", "#}"):
            if closer in rest:
                problems.append(f"“{closer}” closes a Jinja tag that was not opened in the same "
                                f"paragraph (“{_short(text)}”)")
    return problems


def _short(text: str, n: int = 40) -> str:
    return text if len(text) <= n else text[:n] + "…"


# ---------------------------------------------------------------- Jinja analysis

def _environment(tpl: catalog.Template) -> jinja2.Environment:
    return docx_engine.environment() if tpl.engine == "docx" else \
        html_engine._environment(tpl.search_path)


def _check_source(tpl, file: str, source: str, usage: _Usage, families, add) -> None:
    env = _environment(tpl)
    try:
        ast = env.parse(source)
    except jinja2.TemplateSyntaxError as exc:
        add(file, f"Jinja syntax error{_line(exc.lineno, file)}: {exc.message}")
        return
    assigned = {n.name for n in ast.find_all(nodes.Name) if n.ctx in ("store", "param")}
    assigned |= {n.name for n in ast.find_all(nodes.Macro)}
    for imp in ast.find_all(nodes.FromImport):
        assigned |= {n[1] if isinstance(n, tuple) else n for n in imp.names}
    assigned |= {imp.target for imp in ast.find_all(nodes.Import)}
    # Names read but never bound anywhere in the file (jinja2.meta would compile the template,
    # which stops at the first unknown filter).
    loaded = {n.name for n in ast.find_all(nodes.Name) if n.ctx == "load"}
    unknown = loaded - {"data"} - set(CONTEXT_KEYS) - JINJA_GLOBALS - assigned
    for name in sorted(unknown):
        add(file, f"unknown variable {name!r} (a template sees data, company, doc and fonts)")
    for node in ast.find_all(nodes.Filter):
        if node.name not in env.filters:
            add(file, f"unknown filter {node.name!r}{_line(node.lineno, file)} (known: "
                      f"{', '.join(sorted(set(env.filters) - set(jinja2.filters.FILTERS)))} and Jinja's own)")
    for test in ast.find_all(nodes.Test):
        if test.name not in env.tests:
            add(file, f"unknown test {test.name!r}{_line(test.lineno, file)}")
    _walk_data(ast, file, usage, tpl)
    _check_glyphs(tpl, file, ast, families, add)


def _line(lineno: int | None, file: str) -> str:
    return "" if lineno is None or ".xml" in file else f" (line {lineno})"


def _walk_data(ast, file: str, usage: _Usage, tpl, aliases: set[str] | None = None,
               depth: int = 0) -> None:
    aliases = set(aliases or {"data"})
    for node in ast.find_all(nodes.Assign):  # {% set d = data %}
        if isinstance(node.node, nodes.Name) and node.node.name in aliases and \
                isinstance(node.target, nodes.Name):
            aliases.add(node.target.name)
    if depth < 3:
        _walk_imported_macros(ast, file, usage, tpl, aliases, depth)
    lists = {f.name for f in tpl.fields if f.type == "list"}
    loop_vars: dict[str, str] = {}
    for node in ast.find_all(nodes.For):  # {% for f in data.fees %} binds f to a row of fees
        name = _data_key(node.iter, aliases)
        if name is not None and name in lists and isinstance(node.target, nodes.Name):
            loop_vars[node.target.name] = name
    for node in ast.find_all((nodes.Getattr, nodes.Getitem)):
        key = _data_key(node, aliases)
        if key is not None:
            usage.data_fields.setdefault(key, file)
        for ctx, attrs in CONTEXT_KEYS.items():
            if isinstance(node, nodes.Getattr) and isinstance(node.node, nodes.Name) and \
                    node.node.name == ctx and node.attr not in attrs:
                usage.problems.append((file, f"{ctx}.{node.attr} does not exist (known: "
                                             f"{', '.join(sorted(attrs))})"))
        attr = node.attr if isinstance(node, nodes.Getattr) else \
            node.arg.value if isinstance(node.arg, nodes.Const) and isinstance(node.arg.value, str) else None
        if attr is None:
            continue
        usage.attributes.add(attr)
        if isinstance(node.node, nodes.Name) and node.node.name in loop_vars and \
                attr not in ("get", "items", "keys", "values"):
            usage.item_access.append((loop_vars[node.node.name], attr, file))
    for node in ast.find_all(nodes.Filter):
        if node.name in ATTRIBUTE_FILTERS:
            consts = list(node.args[:1]) + [kw.value for kw in node.kwargs if kw.key == "attribute"]
            for c in consts:
                if isinstance(c, nodes.Const) and isinstance(c.value, str):
                    usage.attributes.update(c.value.split("."))


def _walk_imported_macros(ast, file: str, usage: _Usage, tpl, aliases: set[str], depth: int) -> None:
    """`{% from "arrears.html" import arrears_table %}…{{ arrears_table(d) }}`: the data a
    shared macro reads through its parameter counts as used by the template that passes it."""
    imported: dict[str, tuple[str, str]] = {}
    for imp in ast.find_all(nodes.FromImport):
        if isinstance(imp.template, nodes.Const) and isinstance(imp.template.value, str):
            for n in imp.names:
                name, alias = (n if isinstance(n, tuple) else (n, n))
                imported[alias] = (imp.template.value, name)
    if not imported:
        return
    env = _environment(tpl)
    for call in ast.find_all(nodes.Call):
        if not (isinstance(call.node, nodes.Name) and call.node.name in imported):
            continue
        source_name, macro_name = imported[call.node.name]
        path = next((Path(d) / source_name for d in tpl.search_path
                     if (Path(d) / source_name).is_file()), None)
        if path is None:
            continue
        try:
            shared = env.parse(path.read_text(encoding="utf-8"))
        except (OSError, jinja2.TemplateSyntaxError):
            continue
        macro = next((m for m in shared.find_all(nodes.Macro) if m.name == macro_name), None)
        if macro is None:
            continue
        params = {macro.args[i].name for i, arg in enumerate(call.args[:len(macro.args)])
                  if isinstance(arg, nodes.Name) and arg.name in aliases}
        if params:
            _walk_data(nodes.Template(macro.body), file, usage, tpl, params, depth + 1)


def _data_key(node, aliases: set[str]) -> str | None:
    """`data.x` / `data["x"]` (or through an alias of data) → "x"."""
    if isinstance(node, nodes.Getattr) and isinstance(node.node, nodes.Name) and node.node.name in aliases:
        return node.attr
    if isinstance(node, nodes.Getitem) and isinstance(node.node, nodes.Name) and \
            node.node.name in aliases and isinstance(node.arg, nodes.Const) and isinstance(node.arg.value, str):
        return node.arg.value
    return None


def _check_glyphs(tpl, file: str, ast, families, add) -> None:
    """Characters of the template's own text (and its string constants) that no font can print."""
    texts: list[str] = []
    for node in ast.find_all(nodes.TemplateData):
        texts.append(_visible_text(node.data, file))
    for node in ast.find_all(nodes.Const):
        if isinstance(node.value, str):
            texts.append(node.value)
    have = fonts.coverage(tuple(families))
    seen: set[str] = set()
    for text in texts:
        for ch in text:
            if ch in seen or ch.isspace() or ord(ch) < 0x20:
                continue
            if ord(ch) not in have:
                seen.add(ch)
                add(file, f"character “{ch}” (U+{ord(ch):04X}) in the template's own text has no glyph "
                          f"in {' / '.join(families)}: it would print as an empty box")


def _visible_text(markup: str, file: str) -> str:
    """The text a reader sees in a static piece: markup (HTML or Word XML) removed, entities decoded.

    After docxtpl's preprocessing a Jinja tag sits inside a w:t element, so a static piece
    never starts or ends inside an XML tag.
    """
    return html.unescape(re.sub(r"<[^>]*>", "", markup))


def to_json(problems: list[Problem]) -> list[dict[str, Any]]:
    return [p.as_dict() for p in problems]
