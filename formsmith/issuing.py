"""Issue one document: data → validation → glyph check → number → PDF → store, all or nothing."""
from __future__ import annotations

import hashlib
import json
import os
from contextlib import nullcontext
from dataclasses import asdict, dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Any

from . import catalog, codes, documents, fonts, formats, lifecycle, numbering, rules, signing, sources
from .errors import InputError, StoreError, ValidationError, WorkspaceError
from .render import DEFAULT_TIME_LIMIT_S, PdfIdentity, engine_for, time_limited
from .store import fsync_dir
from .workspace import Workspace

ACTIVE_EXCLUDED = ("void", "superseded")


@dataclass(frozen=True)
class IssuedDocument:
    """What issuing a document produced (the CLI prints this with --json)."""

    doc_no: str
    doc_id: str
    path: str
    sha256: str
    pages: int
    template: str
    unit: str | None
    period: str | None

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def sha256_file(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def period_of(template: catalog.Template, values: dict[str, Any]) -> str | None:
    """The period (YYYY-MM) a document is about, from the manifest's period_field."""
    v = values.get(template.period_field) if template.period_field else None
    if isinstance(v, date):
        return f"{v.year:04d}-{v.month:02d}"
    return v if isinstance(v, str) else None


def relative_to_workspace(ws: Workspace, path: Path) -> str:
    path = path.resolve()
    return str(path.relative_to(ws.root)) if path.is_relative_to(ws.root) else str(path)


RENDER_ATTEMPTS = 4   # renders outside the lock, then one under it


class _NumberTaken(Exception):
    """Another document took the number this one was rendered at, while it was rendered."""


def render_time_limit(ws: Workspace) -> float:
    """[render] time_limit_s of formsmith.toml: seconds one document may take to render."""
    value = ws.setting("render", "time_limit_s", DEFAULT_TIME_LIMIT_S)
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not 0 < value <= 86400:
        raise WorkspaceError(f"{ws.config_path}: [render] time_limit_s = {value!r}：应为 1 至 86400 "
                             "之间的秒数 (must be a number of seconds, e.g. 120)")
    return float(value)


def _make_folders(folder: Path) -> list[Path]:
    """mkdir -p `folder`; the folders it created, outermost first (removed again on failure)."""
    missing = []
    here = folder
    while not here.exists():
        missing.append(here)
        here = here.parent
    folder.mkdir(parents=True, exist_ok=True)
    return missing[::-1]


def _place(tmp: Path, final: Path, overwrite: bool) -> None:
    """Move the finished PDF into place.

    In the output tree a file at a fresh number can only be one left by a process killed after
    placing its PDF and before recording it: that number was never issued, so it is replaced.
    A user-chosen path (--out) is never overwritten, even if it appeared meanwhile.
    """
    if overwrite:
        os.replace(tmp, final)
    else:
        try:
            os.link(tmp, final)
        except FileExistsError:
            raise InputError(f"{final}: 文件已存在，formsmith 不覆盖已有文件 "
                             "(exists already; formsmith does not overwrite files)") from None
        tmp.unlink()
    fsync_dir(final.parent)


def prepare(ws: Workspace, template_id: str, *, data: dict | None = None, unit: str | None = None,
            as_of: date | None = None, source_name: str = "",
            record: str | None = None, view=None,
            template: catalog.Template | None = None) -> tuple[catalog.Template, dict, str]:
    """Everything that can be checked before a number is taken: (template, values, record name).

    The data comes from `data`, or is built from the store for `unit`, or for `record` (the id
    of another row the template's source is built from, e.g. a repair BX2025-0101). A batch
    passes its own store `view` (and loaded `template`) so that many documents are prepared
    from one snapshot.
    """
    tpl = template or ws.catalog.get(template_id)
    signing.declared_fields(tpl)  # a malformed [[signature_fields]] is refused before a number is taken
    as_of = as_of or date.today()
    record_name = f"unit {unit}" if unit else f"record {record}" if record else (source_name or "data")
    if data is None:
        if not unit and not record:
            raise InputError("give --unit UNIT or --data FILE.json")
        with (nullcontext(view) if view is not None else ws.store.snapshot()) as snap:
            if unit:
                data = sources.build(ws, tpl, snap, unit, as_of)
            else:
                data = sources.build(ws, tpl, snap, record, as_of, key="record")
    values = catalog.validate(tpl, data, record=record_name)
    bad_unit = isinstance(values.get("unit"), str) and formats.unit_id_problem(values["unit"])
    if bad_unit:  # a unit id is a store key and is printed; it must never look like a path
        raise ValidationError([f"字段 unit（{tpl.field('unit').label}）：{bad_unit}"], record_name)
    values = rules.apply(values, rules.RuleContext(ws=ws, template=tpl, as_of=as_of,
                                                   record=record_name))
    texts = catalog.text_values(values) + [
        (f"formsmith.toml company.{k}", v) for k, v in ws.company.as_dict().items()] + [
        (f"numbering series of {tpl.id}", ws.series_for(tpl.id, tpl.series))]
    fonts.require_glyphs(texts, (ws.fonts["serif"], ws.fonts["sans"]), record_name)
    return tpl, values, record_name


def document_identity(ws: Workspace, tpl: catalog.Template, values: dict, *, doc_no: str,
                      doc_id: str, issued_on: date, record: dict, unit: str | None,
                      now: datetime | None = None) -> tuple[PdfIdentity, dict]:
    """What an issued PDF carries besides its body (metadata, record.json), and its template context."""
    now = now or datetime.now().astimezone().replace(microsecond=0)
    attached = {"formsmith": 1, "doc_no": doc_no, "doc_id": doc_id, "template": tpl.id,
                "template_version": tpl.version, "issued_on": issued_on.isoformat(),
                "data": catalog.masked_record(tpl.fields, record)}  # no full ID number goes out
    identity = PdfIdentity(
        doc_no=doc_no, doc_id=doc_id, title=f"{tpl.title}（{doc_no}）", author=ws.company.name,
        subject=f"{tpl.title}：{values.get('unit_address') or unit or ''}".rstrip("："),
        keywords=(f"formsmith:{doc_id}", doc_no, tpl.id, tpl.doc_type or tpl.title),
        record_json=json.dumps(attached, ensure_ascii=False, indent=1).encode("utf-8"), created=now)
    context = {"data": values, "company": ws.company.as_dict(), "fonts": ws.fonts,
               "doc": {"no": doc_no, "id": doc_id, "issued_on": issued_on,
                       "template": tpl.id, "title": tpl.title, "version": tpl.version}}
    return identity, context


def issue_document(ws: Workspace, template_id: str, *, data: dict | None = None,
                   unit: str | None = None, as_of: date | None = None, out: Path | None = None,
                   by: str | None = None, again: bool = False, source_name: str = "",
                   record: str | None = None, replaces: str | None = None,
                   engine: str | None = None) -> IssuedDocument:
    """Issue one document and record it; on any failure nothing is left behind.

    The PDF is rendered outside the store's lock at the next number; the number is taken in the
    short store transaction that records the document (if another clerk took it meanwhile, the
    document is rendered again), and the PDF is moved into place just before that transaction
    commits; a failure before the commit removes the PDF, so there is never a PDF without a
    record nor a number without a document.
    `replaces` (a doc_no) issues a correction: the old document becomes superseded and points
    to the new one, in the same transaction.
    """
    tpl, values, record_name = prepare(ws, template_id, data=data, unit=unit, as_of=as_of,
                                       source_name=source_name, record=record)
    dated = values.get(tpl.period_field) if tpl.period_field else None
    issued_on = dated if isinstance(dated, date) else (as_of or date.today())
    if not 2000 <= issued_on.year <= date.today().year + 1:  # 物催字〔1〕1号 is a typo, not a letter
        where = f"字段 {tpl.period_field}" if isinstance(dated, date) else "--as-of"
        raise ValidationError([f"{where}：文书日期 {issued_on.isoformat()} 不在合理范围内"
                               f"（2000 年至 {date.today().year + 1} 年）"], record_name)
    unit_id = unit or (values.get("unit") if isinstance(values.get("unit"), str) else None)
    period = period_of(tpl, values)
    record = catalog.to_record(values)
    series = ws.series_for(tpl.id, tpl.series)
    if out is not None:
        if Path(out).is_symlink():   # also a dangling one: writing would follow it elsewhere
            raise InputError(f"{out}: --out 是符号链接，formsmith 不通过链接写文件 "
                             "(a symbolic link; give the real file name)")
        out = Path(out).resolve()
        if out.exists():
            raise InputError(f"{out}: 文件已存在，formsmith 不覆盖已有文件 "
                             "(exists already; formsmith does not overwrite files)")
        if out.suffix.lower() != ".pdf":
            raise InputError(f"{out}: --out 的文件名须以 .pdf 结尾 (the output file name must end in .pdf)")
        if not out.parent.is_dir():
            raise InputError(f"{out.parent}: 没有这个文件夹 (no such folder)")
        for kept in (ws.records_dir, ws.archive_dir):  # folders whose every file is accounted for
            if out.is_relative_to(kept.resolve()):
                raise InputError(f"{out}: --out cannot be inside {kept} (the store's and the "
                                 "archive's own folder); choose another folder")
    tpl.body_for(engine or tpl.engine)  # refuses an engine the template has no file for
    engine = engine_for(engine or tpl.engine)
    limit = render_time_limit(ws)
    by = by or ws.clerk

    def look(view) -> tuple[dict | None, str, int]:
        """The document `replaces` names, a refusal if this one exists already, and the number
        this document gets if it is recorded now."""
        replaced = documents.find(view, replaces) if replaces else None
        if not again and unit_id and period:
            dup = view.find("documents", template=tpl.id, unit=unit_id, period=period,
                            where=lambda d: d["state"] not in ACTIVE_EXCLUDED
                            and not (replaced and d["id"] == replaced["id"]))
            if dup:
                raise InputError(
                    f"unit {unit_id}: {tpl.title} for {period} was issued already as "
                    f"{dup[0]['doc_no']} ({dup[0]['state']}); use --again to issue another")
        seq = numbering.peek(view, series, issued_on.year)
        return replaced, numbering.format_number(series, issued_on.year, seq), seq

    # The render runs outside the store's lock, at the number the store would give now; the
    # short transaction that records the document takes that number only if it is still the
    # next one, else (another clerk took it meanwhile) the document is rendered again at the
    # new one. The last attempt renders under the lock, as every attempt once did: a busy
    # series cannot starve a clerk. Nothing is reserved, so a failure or a kill at any moment
    # wastes no number; a render has a time limit ([render] time_limit_s).
    for attempt in range(RENDER_ATTEMPTS):
        under_lock = attempt == RENDER_ATTEMPTS - 1
        tmp: Path | None = None
        placed: Path | None = None
        leftovers: list[Path] = []
        made: list[Path] = []
        try:
            with ws.store.transaction() if under_lock else nullcontext() as held:
                with nullcontext(held) if under_lock else ws.store.snapshot() as view:
                    _, doc_no, seq = look(view)
                doc_id = codes.new_doc_id()
                final = out or ws.output_dir / tpl.id / str(issued_on.year) / f"{numbering.safe_filename(doc_no)}.pdf"
                made = _make_folders(final.parent)
                tmp = final.parent / f".{final.name}.{doc_id}.part"
                identity, context = document_identity(ws, tpl, values, doc_no=doc_no, doc_id=doc_id,
                                                      issued_on=issued_on, record=record, unit=unit_id)
                part = tmp

                def render():
                    rendered = engine.render_pdf(tpl, context, identity, part,
                                                 asset_roots=(ws.assets_dir,), fonts=ws.fonts)
                    leftovers.extend(rendered.side_files.values())
                    # Empty signature fields: written by the engine, or else added as an
                    # incremental update after the PDF/A is written (pypdf; pyHanko is loaded
                    # only to seal or verify).
                    fields = (list(rendered.signature_fields) if rendered.signature_fields is not None
                              else signing.add_signature_fields(part, tpl, rendered.anchors))
                    return rendered, fields

                rendered, sig_fields = time_limited(limit, render, f"模板 {tpl.id}（{record_name}）")
                for f in (tmp, *rendered.side_files.values()):
                    with open(f, "rb+") as fh:
                        os.fsync(fh.fileno())
                    os.chmod(f, 0o644)
                digest = sha256_file(tmp)
                with nullcontext(held) if under_lock else ws.store.transaction() as tx:
                    replaced, now_no, _ = look(tx)
                    if now_no != doc_no:
                        raise _NumberTaken()
                    if numbering.allocate(tx, series, issued_on.year) != (doc_no, seq):
                        raise _NumberTaken()
                    side_rows: dict[str, str] = {}
                    for kind, side_tmp in rendered.side_files.items():  # the Word engine's .docx
                        side_final = final.with_suffix(f".{kind}")
                        _place(side_tmp, side_final, overwrite=out is None)
                        leftovers.append(side_final)
                        side_rows[f"{kind}_path"] = relative_to_workspace(ws, side_final)
                        side_rows[f"{kind}_sha256"] = sha256_file(side_final)
                    _place(tmp, final, overwrite=out is None)
                    placed = final
                    if replaced:
                        documents.supersede(tx, replaced["doc_no"], {"doc_no": doc_no, "doc_id": doc_id,
                                                                     "template": tpl.id}, by)
                    tx.insert("documents", {**side_rows,
                        "id": doc_id, "doc_no": doc_no, "doc_id": doc_id, "series": series,
                        "year": issued_on.year, "seq": seq, "template": tpl.id,
                        "template_version": tpl.version, "title": tpl.title, "unit": unit_id,
                        "period": period, "state": "generated", "sha256": digest,
                        "path": relative_to_workspace(ws, final), "pages": rendered.pages,
                        "issued_on": issued_on.isoformat(), "created_at": lifecycle.now_iso(),
                        "record": record, "versions": [], "signature_fields": sig_fields,
                        "sign_areas": list(rendered.sign_areas),
                        **({"replaces": replaced["doc_no"]} if replaced else {}),
                        "events": [lifecycle.event("generated", by, note=record_name,
                                                   sha256=digest, pages=rendered.pages,
                                                   replaces=replaced["doc_no"] if replaced else None)],
                    })
        except BaseException as exc:
            for leftover in (tmp, placed, *leftovers):
                if leftover is not None:
                    try:
                        leftover.unlink()
                    except FileNotFoundError:
                        pass
            for folder in reversed(made):   # the folders this attempt made, if still empty
                try:
                    folder.rmdir()
                except OSError:
                    pass
            if isinstance(exc, _NumberTaken):
                continue
            raise
        break
    else:  # not reached: the last attempt renders under the lock, where the number cannot go
        raise StoreError(f"{tpl.id}: the number {doc_no} was taken while it was recorded")
    return IssuedDocument(doc_no=doc_no, doc_id=doc_id, path=str(final), sha256=digest,
                          pages=rendered.pages, template=tpl.id, unit=unit_id, period=period)
