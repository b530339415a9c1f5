"""Templates: discovery, manifest, field schema, example data, and validation of data against it."""
from __future__ import annotations

import builtins
import json
import os
import re
import tomllib
import unicodedata
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

from . import formats, identity, registry
from .errors import NotFoundError, TemplateError, TemplateSecurityError, ValidationError

TEMPLATE_ID = re.compile(r"^[a-z0-9][a-z0-9-]{0,63}$")
ENGINES = ("html", "docx", "typst")
FIELD_TYPES = ("string", "text", "money", "date", "month", "int", "bool", "enum", "list",
               "id_number", "phone")
BODY_FILES = {"html": "template.html", "docx": "template.docx", "typst": "template.typ"}
MAX_STRING = 200
MAX_TEXT = 5000
MONTH = re.compile(r"^(\d{4})-(\d{2})$")


@dataclass(frozen=True)
class Field:
    """One field of a template's data schema."""

    name: str
    type: str
    label: str = ""
    required: bool = True
    choices: tuple[str, ...] = ()
    items: tuple["Field", ...] = ()
    sum_of: str = ""            # money total that must equal the sum of "list.field"
    min_items: int = 0
    max_length: int = 0
    description: str = ""

    @property
    def title(self) -> str:
        return f"{self.name}（{self.label}）" if self.label else self.name


@dataclass(frozen=True)
class Template:
    """A template: its manifest, its folder and the folders its body may include from."""

    id: str
    title: str
    engine: str
    version: str
    series: str
    fields: tuple[Field, ...]
    example: dict
    folder: Path
    search_path: tuple[Path, ...]
    doc_type: str = ""
    source: str = ""           # the data builder (formsmith/sources.py); the first of `sources`
    process: str = ""          # the process it belongs to (formsmith/processes/<process>/)
    description: str = ""
    retention_years: int = 0
    copies: int = 1
    pages_hint: int = 1
    period_field: str = ""
    signature_fields: tuple[dict, ...] = ()   # [[signature_fields]] as written; see signing.py
    # Every builder the template may be filled by (`source = ["a", "b"]`: one per record it can be
    # printed from, e.g. a move-in inspection (--unit) and a repair case (--record)).
    sources: tuple[str, ...] = ()
    # A field naming the record the document is about (`one_per = "case_id"`): it is issued once
    # per value of it, instead of once per unit and period.
    one_per: str = ""

    @property
    def body(self) -> Path:
        return self.folder / BODY_FILES[self.engine]

    @property
    def engines(self) -> tuple[str, ...]:
        """The engines this template has a body file for; `engine` (the default) comes first."""
        return (self.engine, *(e for e in ENGINES if e != self.engine
                               and (self.folder / BODY_FILES[e]).is_file()))

    def body_for(self, engine: str) -> Path:
        """The body file of `engine`; a clear error when this template has none."""
        if engine not in self.engines:
            what = (f"no {BODY_FILES[engine]}" if engine in BODY_FILES
                    else f"engines are {', '.join(ENGINES)}")
            raise TemplateError(f"模板 {self.id} 没有 {engine} 版本 (template {self.id} cannot be "
                                f"rendered with engine {engine!r}: {what}; it has "
                                f"{', '.join(self.engines)})")
        return self.folder / BODY_FILES[engine]

    def field(self, name: str) -> Field | None:
        return next((f for f in self.fields if f.name == name), None)

    def summary(self) -> dict[str, Any]:
        return dict(id=self.id, title=self.title, engine=self.engine, engines=list(self.engines),
                    version=self.version,
                    series=self.series, doc_type=self.doc_type, source=self.source, process=self.process,
                    retention_years=self.retention_years, copies=self.copies,
                    folder=str(self.folder))

    def schema(self) -> dict[str, Any]:
        return {f.name: _field_schema(f) for f in self.fields}


def _field_schema(f: Field) -> dict[str, Any]:
    d: dict[str, Any] = {"type": f.type, "label": f.label, "required": f.required}
    if f.choices:
        d["choices"] = list(f.choices)
    if f.items:
        d["items"] = {i.name: _field_schema(i) for i in f.items}
    if f.sum_of:
        d["sum_of"] = f.sum_of
    return d


class Catalog:
    """The templates found in an ordered list of folders; an earlier folder overrides a later one.

    A template is a sub-folder `<id>/` holding `manifest.toml` and its body. Folders whose name
    starts with `_` hold shared pieces (base layout, styles) that every template may include.
    """

    def __init__(self, dirs: list[Path]):
        self.dirs = [Path(d).resolve() for d in dirs]

    def ids(self) -> list[str]:
        seen: set[str] = set()
        for d in self.dirs:
            if d.is_dir():
                for sub in d.iterdir():
                    if (sub / "manifest.toml").is_file() and TEMPLATE_ID.match(sub.name):
                        seen.add(sub.name)
        return sorted(seen)

    def list(self) -> list[Template]:
        return [self.get(i) for i in self.ids()]

    def list_checked(self) -> tuple[builtins.list[Template], builtins.list[str]]:   # `list` is the method here
        """Every template that loads, and one line for each that does not (a malformed
        manifest spoils its own template, not the list)."""
        good, bad = [], []
        for i in self.ids():
            try:
                good.append(self.get(i))
            except TemplateError as exc:
                bad.append(str(exc))
        return good, bad

    def get(self, template_id: str) -> Template:
        if not TEMPLATE_ID.match(template_id or ""):
            raise NotFoundError(f"template id {template_id!r} is not valid "
                                "(lower-case letters, digits and '-')")
        for d in self.dirs:
            folder = d / template_id
            if (folder / "manifest.toml").is_file():
                return load_template(folder, self._shared_dirs())
        raise NotFoundError(f"no template {template_id!r} (see `formsmith templates list`)")

    def _shared_dirs(self) -> tuple[Path, ...]:
        return tuple(sub for d in self.dirs if d.is_dir()
                     for sub in sorted(d.iterdir()) if sub.is_dir() and sub.name.startswith("_"))


def _refuse_links_out(template_id: str, folders: tuple[Path, ...]) -> None:
    """Refuse a template whose folders reach outside by symbolic link.

    The template folder and the shared `_` folders must really lie in their catalog folder, and
    every symbolic link inside them (files and folders, dangling or not) must point into one of
    them. Then no file an engine opens through them (Jinja include, WeasyPrint image, stylesheet
    or font, Typst read/include/image, the .docx body) can be anything but a template file.
    """
    roots = []
    for folder in folders:
        real = folder.resolve()
        if not real.is_relative_to(folder.parent.resolve()):
            _escape(template_id, folder.name, real)
        roots.append(real)
    for root in roots:
        for here, dirs, files in os.walk(root, followlinks=False):
            for name in (*dirs, *files):
                path = Path(here) / name
                if path.is_symlink():
                    target = path.resolve()
                    if not any(target == r or target.is_relative_to(r) for r in roots):
                        _escape(template_id, str(path.relative_to(root.parent)), target)


def _escape(template_id: str, name: str, target: Path) -> None:
    raise TemplateSecurityError(
        f"模板 {template_id}：{name} 是指向模板文件夹之外（{target}）的符号链接，已拒绝 "
        f"(template {template_id}: refused: {name} is a symbolic link out of the template's folders)")


def load_template(folder: Path, shared: tuple[Path, ...] = ()) -> Template:
    """Parse `folder/manifest.toml` into a Template; a malformed manifest is a TemplateError."""
    _refuse_links_out(folder.name, (folder, *shared))
    folder = folder.resolve()
    path = folder / "manifest.toml"
    try:
        m = tomllib.loads(path.read_text(encoding="utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise TemplateError(f"{path}: malformed manifest: {exc}") from None
    where = f"template {folder.name}"
    for key in ("title", "engine", "series", "fields"):
        if key not in m:
            raise TemplateError(f"{where}: manifest lacks {key!r}")
    if m["engine"] not in ENGINES:
        raise TemplateError(f"{where}: engine {m['engine']!r} is not one of {', '.join(ENGINES)}")
    from .numbering import series_problem   # {seq} once, {year}; nothing else
    if series_problem(m["series"]):
        raise TemplateError(f"{where}: series: {series_problem(m['series'])}")
    fields = tuple(_parse_field(name, spec, where) for name, spec in m["fields"].items())
    example = m.get("example", {})
    ex_file = folder / "example.json"
    if ex_file.is_file():
        example = json.loads(ex_file.read_text(encoding="utf-8"))
    try:
        numbers = {k: int(m.get(k, d)) for k, d in (("retention_years", 0), ("copies", 1),
                                                    ("pages_hint", 1))}
    except (TypeError, ValueError):
        key = next(k for k in ("retention_years", "copies", "pages_hint")
                   if not isinstance(m.get(k, 0), int) or isinstance(m.get(k, 0), bool))
        raise TemplateError(f"模板 {folder.name}：manifest.toml 的 {key} = {m[key]!r} 应为整数 "
                            f"({where}: {key} must be a whole number)") from None
    raw_source = m.get("source", "")
    named_sources = tuple(str(x) for x in (raw_source if isinstance(raw_source, list) else [raw_source]) if x)
    tpl = Template(
        id=folder.name, title=str(m["title"]), engine=m["engine"],
        version=str(m.get("version", "1")), series=str(m["series"]), fields=fields,
        example=example, folder=folder, search_path=(folder, *shared),
        doc_type=str(m.get("doc_type", "")), source=named_sources[0] if named_sources else "",
        sources=named_sources, one_per=str(m.get("one_per", "")),
        process=str(m.get("process", "")), description=str(m.get("description", "")),
        retention_years=numbers["retention_years"], copies=numbers["copies"],
        pages_hint=numbers["pages_hint"], period_field=str(m.get("period_field", "")),
        signature_fields=tuple(m.get("signature_fields", ())))
    if not tpl.body.is_file():
        raise TemplateError(f"{where}: body {tpl.body.name} is missing")
    if tpl.one_per and tpl.field(tpl.one_per) is None:
        raise TemplateError(f"{where}: one_per = {tpl.one_per!r} is not a field of the template")
    if tpl.process and tpl.process not in registry.load():
        raise TemplateError(f"{where}: process = {tpl.process!r} is not a process of formsmith "
                            f"(one of {', '.join(registry.load())})")
    for f in fields:
        if f.sum_of:
            lst, _, item = f.sum_of.partition(".")
            lf = tpl.field(lst)
            if f.type != "money" or lf is None or lf.type != "list" or \
                    not any(i.name == item and i.type == "money" for i in lf.items):
                raise TemplateError(f"{where}: field {f.name}: sum_of {f.sum_of!r} must name a "
                                    "money field of a list")
    return tpl


def _parse_field(name: str, spec: Any, where: str) -> Field:
    if not isinstance(spec, dict) or spec.get("type") not in FIELD_TYPES:
        raise TemplateError(f"{where}: field {name}: type must be one of {', '.join(FIELD_TYPES)}")
    items: tuple[Field, ...] = ()
    if spec["type"] == "list":
        if not isinstance(spec.get("items"), dict) or not spec["items"]:
            raise TemplateError(f"{where}: list field {name} needs an [items] table")
        items = tuple(_parse_field(k, v, f"{where}: {name}") for k, v in spec["items"].items())
    if spec["type"] == "enum" and not spec.get("choices"):
        raise TemplateError(f"{where}: enum field {name} needs choices")
    return Field(name=name, type=spec["type"], label=str(spec.get("label", "")),
                 required=bool(spec.get("required", True)),
                 choices=tuple(str(c) for c in spec.get("choices", ())), items=items,
                 sum_of=str(spec.get("sum_of", "")), min_items=int(spec.get("min_items", 0)),
                 max_length=int(spec.get("max_length", 0)),
                 description=str(spec.get("description", "")))


# ---------------------------------------------------------------- validation

def validate(template: Template, data: Any, record: str = "") -> dict[str, Any]:
    """Check `data` against the template's schema; return typed values (Decimal, date, …).

    Every problem is collected and raised together as one ValidationError, each naming the
    field (with its Chinese label) and what is wrong.
    """
    problems: list[str] = []
    if not isinstance(data, dict):
        raise ValidationError(["数据必须是一个 JSON 对象 (data must be a JSON object)"], record)
    values = _validate_object(template.fields, data, "", problems)
    for f in template.fields:
        if f.sum_of:
            lst, _, item = f.sum_of.partition(".")
            rows = values.get(lst) or []
            if any(row.get(item) is None for row in rows) or values.get(lst) is None:
                continue  # the list itself is wrong: that problem is reported already
            total = sum((row[item] for row in rows), Decimal("0.00"))
            if values.get(f.name) is None:
                values[f.name] = total
            elif values[f.name] != total:
                problems.append(f"字段 {f.title}：合计 {formats.money(values[f.name])} 与明细之和 "
                                f"{formats.money(total)} 不符 (total does not equal the sum of {f.sum_of})")
    if problems:
        raise ValidationError(problems, record)
    return values


def _validate_object(fields: tuple[Field, ...], data: dict, prefix: str,
                     problems: list[str]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    known = {f.name for f in fields}
    for key in data:
        if key not in known:
            problems.append(f"字段 {prefix}{key}：模板中未声明此字段 (unknown field)")
    for f in fields:
        path = f"{prefix}{f.name}"
        label = f"{path}（{f.label}）" if f.label else path
        raw = data.get(f.name)
        if raw is None or (isinstance(raw, str) and not raw.strip() and f.type != "list"):
            if f.required and not f.sum_of:
                problems.append(f"字段 {label}：必填项缺失 (required)")
            out[f.name] = [] if f.type == "list" else None
            continue
        try:
            out[f.name] = coerce(f, raw, path, problems)
        except (ValueError, TypeError, ArithmeticError) as exc:
            problems.append(f"字段 {label}：{exc}")
            out[f.name] = None
    return out


def coerce(f: Field, raw: Any, path: str, problems: list[str]) -> Any:
    t = f.type
    if t in ("string", "text"):
        if not isinstance(raw, (str, int)) or isinstance(raw, bool):
            raise TypeError("应为文字 (expected text)")
        s = unicodedata.normalize("NFC", str(raw)).strip()
        allowed = "\n\t" if t == "text" else ""
        bad = sorted({c for c in s if unicodedata.category(c)[0] == "C" and c not in allowed})
        if bad:
            raise ValueError("含有控制字符 " + " ".join(f"U+{ord(c):04X}" for c in bad)
                             + " (control characters)")
        limit = f.max_length or (MAX_TEXT if t == "text" else MAX_STRING)
        if len(s) > limit:
            raise ValueError(f"长度 {len(s)} 超过上限 {limit} 字 (too long)")
        return s
    if t == "money":
        return formats.parse_money(raw)
    if t == "date":
        return formats.parse_date(raw)
    if t == "month":
        m = MONTH.match(str(raw).strip())
        if not m or not 1 <= int(m.group(2)) <= 12:
            raise ValueError(f"月份应为 YYYY-MM 格式：{raw!r} (expected YYYY-MM)")
        return m.group(0)
    if t == "int":
        if isinstance(raw, bool) or not re.fullmatch(r"-?\d+", str(raw).strip()):
            raise ValueError(f"应为整数：{raw!r} (expected an integer)")
        return int(str(raw).strip())
    if t == "bool":
        if isinstance(raw, bool):
            return raw
        raise ValueError(f"应为 true 或 false：{raw!r} (expected a boolean)")
    if t == "enum":
        if str(raw) not in f.choices:
            raise ValueError(f"{raw!r} 不是可选值之一：{'、'.join(f.choices)}")
        return str(raw)
    if t == "id_number":
        return identity.validate_id_or_credit_code(str(raw).strip().upper())
    if t == "phone":
        return identity.validate_phone(str(raw))
    if t == "list":
        if not isinstance(raw, list):
            raise TypeError("应为列表 (expected a list)")
        if len(raw) < f.min_items:
            raise ValueError(f"至少需要 {f.min_items} 项，实际 {len(raw)} 项")
        rows = []
        for i, item in enumerate(raw, 1):
            if not isinstance(item, dict):
                problems.append(f"字段 {path}[{i}]：应为对象 (expected an object)")
                continue
            rows.append(_validate_object(f.items, item, f"{path}[{i}].", problems))
        return rows
    raise TypeError(f"unknown field type {t}")  # pragma: no cover - manifest parsing forbids it


def to_record(values: Any) -> Any:
    """Typed values → JSON-able record: money as "1234.50", dates as "2025-12-01"."""
    if isinstance(values, dict):
        return {k: to_record(v) for k, v in values.items()}
    if isinstance(values, list):
        return [to_record(v) for v in values]
    if isinstance(values, Decimal):
        return f"{values:.2f}"
    if isinstance(values, date):
        return values.isoformat()
    return values


IDENTITY_KEYS = ("id_number", "credit_code", "passport", "passport_no")


def masked_record(fields: tuple[Field, ...], record: Any) -> Any:
    """`record` (to_record's output) with every identity number masked as the page shows it
    (formats.mask_id: 420102********1239): the fields of type id_number, at any depth, and every
    key named or ending in _id_number, _credit_code, _passport (also keys rules added). This is
    what a PDF carries as record.json: the store keeps the full record, a PDF goes out."""
    by_name = {f.name: f for f in fields}
    if isinstance(record, list):
        return [masked_record(fields, v) for v in record]
    if not isinstance(record, dict):
        return record
    out = {}
    for key, value in record.items():
        f = by_name.get(key)
        named = isinstance(key, str) and any(key == k or key.endswith("_" + k) for k in IDENTITY_KEYS)
        if isinstance(value, str) and value and ((f is not None and f.type == "id_number") or named):
            out[key] = formats.mask_id(value)
        elif isinstance(value, (dict, list)):
            out[key] = masked_record(f.items if f is not None and f.items else (), value)
        else:
            out[key] = value
    return out


def text_values(values: Any, prefix: str = "") -> list[tuple[str, str]]:
    """Every string among typed values with its field path, for the glyph coverage check."""
    out: list[tuple[str, str]] = []
    if isinstance(values, dict):
        for k, v in values.items():
            out += text_values(v, f"{prefix}{k}" if not prefix else f"{prefix}.{k}")
    elif isinstance(values, list):
        for i, v in enumerate(values, 1):
            out += text_values(v, f"{prefix}[{i}]")
    elif isinstance(values, str):
        out.append((prefix, values))
    return out
