"""Issue one document: data → validation → glyph check → number → PDF → store, all or nothing."""
from __future__ import annotations

import json
import os
from contextlib import nullcontext
from dataclasses import asdict, dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Any, Callable

from . import (catalog, codes, dates, documents, facts, fonts, formats, lifecycle, model, numbering, rules,
               signing, sources)
from .errors import InputError, StoreError, ValidationError, WorkspaceError
from .files import fsync_dir, fsync_file, publish, sha256_file, temp_name  # batch.py uses issuing.sha256_file
from .render import DEFAULT_TIME_LIMIT_S, PdfIdentity, engine_for, time_limited
from .workspace import Workspace, relative_to_workspace



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


def period_of(template: catalog.Template, values: dict[str, Any]) -> str | None:
    """The period (YYYY-MM) a document is about, from the manifest's period_field."""
    v = values.get(template.period_field) if template.period_field else None
    if isinstance(v, date):
        return f"{v.year:04d}-{v.month:02d}"
    return v if isinstance(v, str) else None


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


def place_new(tmp: Path, final: Path, leftover=None) -> None:
    """Move the finished file into place, never over an existing file (os.link fails if
    `final` exists: an issued PDF is never replaced, whatever its name came out as).

    `leftover(view_path)`, if given, may declare an existing file the unrecorded leftover of
    a process killed after placing it and before recording it (the number was never issued);
    only such a file is removed to make room.
    """
    try:
        publish(tmp, final, overwrite=False)
    except FileExistsError:
        if leftover is None or not leftover(final):
            raise InputError(f"{final}: 文件已存在，formsmith 不覆盖已有文件 "
                             "(exists already; formsmith does not overwrite files)") from None
        final.unlink()
        publish(tmp, final, overwrite=False)


PLACING = "issuing:placing"   # store meta: recorded documents whose files are being put in place


def _place(tmp: Path, final: Path, sha256: str, overwrite: bool) -> bool:
    """Move a recorded document's finished file from `tmp` into place; True if `final` then
    holds the file recorded (by `sha256`), whoever moved it (another formsmith completing an
    interrupted placement may have done it meanwhile).

    In the output tree a file at the number's path can only be one left by an older formsmith
    killed after placing its PDF and before recording it: that number was never issued, so it
    is replaced. A user-chosen path (--out) is never overwritten, even if it appeared meanwhile.
    """
    try:
        if overwrite:
            os.replace(tmp, final)
        else:
            try:
                os.link(tmp, final)
            except FileExistsError:
                pass    # judged below by its content
    except FileNotFoundError:
        pass        # `tmp` was moved meanwhile (by the command completing this placement)
    try:
        ok = final.is_file() and sha256_file(final) == sha256
    except OSError:
        return False
    if ok:
        tmp.unlink(missing_ok=True)     # the link's other name (or a copy of the same bytes)
        fsync_dir(final.parent)
    return ok


def complete_placements(ws: Workspace, tx, by: str | None = None) -> list[str]:
    """Inside a transaction: finish what a command killed between recording a document and
    putting its files in place left (meta PLACING). A file still waiting as `.part` is moved
    into place, so the document is complete as recorded; a document whose file is lost or
    whose --out path another file took meanwhile is voided with the reason, so its number is
    never taken again nor silently missing. Returns the numbers voided."""
    entries = tx.meta(PLACING, []) or []
    if not entries:
        return []
    voided = []
    for entry in entries:
        files = [(ws.root / f["tmp"], ws.root / f["final"], f["sha256"]) for f in entry["files"]]
        ok = all(_place(t, f, sha, entry["overwrite"]) for t, f, sha in files)
        if ok:
            continue
        for t, f, sha in files:
            t.unlink(missing_ok=True)
        doc = tx.get("documents", entry["doc_id"])
        if doc is not None and model.is_active(doc):
            tx.update("documents", doc["id"], documents.transition(
                doc, "void", by or ws.clerk,
                note="文件未能写到指定位置（写出时中断，或 --out 的文件已被占用）：编号作废",
                void_reason="file not placed"))
            voided.append(doc["doc_no"])
    tx.set_meta(PLACING, [])
    return voided


def unrecorded_leftover(view, path: Path) -> bool:
    """Whether `path` is a file of a killed render or run: its PDF claims a document id the
    store does not hold (a side file, e.g. the .docx, goes with its PDF)."""
    from .verify import claimed_doc_id   # verify imports this module
    pdf = path.with_suffix(".pdf")
    if pdf != path and not pdf.exists():
        return True
    claimed = claimed_doc_id(pdf)
    return claimed is not None and view.get("documents", claimed) is None


def prepare(ws: Workspace, template_id: str, *, data: dict | None = None, unit: str | None = None,
            as_of: date | None = None, source_name: str = "",
            record: str | None = None, view=None,
            template: catalog.Template | None = None,
            origin: str | None = None) -> tuple[catalog.Template, dict, str]:
    """Everything that can be checked before a number is taken: (template, values, record name).

    The data comes from `data`, or is built from the store for `unit`, or for `record` (the id
    of another row the template's source is built from, e.g. a repair BX2025-0101). A batch
    passes its own store `view` (and loaded `template`) so that many documents are prepared
    from one snapshot. Data that does not come from the store (`origin` "data") and names a
    unit the store holds must agree with it (formsmith.facts): else refused, each field named.
    """
    tpl = template or ws.catalog.get(template_id)
    signing.declared_fields(tpl)  # a malformed [[signature_fields]] is refused before a number is taken
    as_of = as_of or date.today()
    record_name = f"unit {unit}" if unit else f"record {record}" if record else (source_name or "data")
    if data is None and not unit and not record:
        raise InputError("give --unit UNIT or --data FILE.json")
    data_given = data is not None
    with (nullcontext(view) if view is not None else ws.store.snapshot()) as snap:
        if data is None:
            if unit:
                data = sources.build(ws, tpl, snap, unit, as_of)
            else:
                data = sources.build(ws, tpl, snap, record or "", as_of, key="record")
        values = catalog.validate(tpl, data, record=record_name)
        bad_unit = isinstance(values.get("unit"), str) and formats.unit_id_problem(values["unit"])
        if bad_unit:  # a unit id is a store key and is printed; it must never look like a path
            declared = tpl.field("unit")          # it is: validate refuses undeclared fields
            label = declared.label if declared is not None else ""
            raise ValidationError([f"字段 unit（{label}）：{bad_unit}"], record_name)
        origin = origin or ("data" if data_given else "store")
        # The template's own rules first (their refusals say the most: a forbidden work, an
        # approval not on record), then whatever else the data states about a unit on record.
        values = rules.apply(values, rules.RuleContext(ws=ws, template=tpl, as_of=as_of,
                                                       record=record_name, view=snap, origin=origin))
        if origin == "data":
            disagree = facts.problems(ws, tpl, snap, values, as_of, record_name)
            if disagree:
                raise ValidationError(disagree, record_name)
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
                       "template": tpl.id, "title": tpl.title, "version": tpl.version,
                       "retention_years": tpl.retention_years}}
    return identity, context


def issue_document(ws: Workspace, template_id: str, *, data: dict | None = None,
                   unit: str | None = None, as_of: date | None = None, out: Path | None = None,
                   by: str | None = None, again: bool = False, source_name: str = "",
                   record: str | None = None, replaces: str | None = None,
                   engine: str | None = None, origin: str | None = None,
                   on_record: Callable[[Any, dict[str, Any]], None] | None = None) -> IssuedDocument:
    """Issue one document and record it; on any failure nothing is left behind.

    The PDF is rendered outside the store's lock, with a time limit, at the next number; the
    number is taken in the short store transaction that records the document (if another clerk
    took it meanwhile, the document is rendered again). That transaction also notes the files
    still to be moved into place; they are moved after it commits. So a failure before the
    commit leaves no file and takes no number, and a kill after it leaves a recorded number
    whose files the next command puts in place (or voids, saying why): never a PDF without a
    record, nor a number without a document.
    `replaces` (a doc_no) issues a correction: the old document becomes superseded and points
    to the new one, in the same transaction.
    `origin` says where `data` comes from when a process built it (the rules may insist on
    one: a receipt only from the ledger); `on_record(tx, row)` writes what the process records
    with the document, in the transaction that records it (a payment and the charges it clears).
    """
    dates.check_as_of(as_of)   # before the data is built from it (9999-12-25 + 15 days overflows)
    tpl, values, record_name = prepare(ws, template_id, data=data, unit=unit, as_of=as_of,
                                       source_name=source_name, record=record, origin=origin)
    dated = values.get(tpl.period_field) if tpl.period_field else None
    issued_on = dated if isinstance(dated, date) else (as_of or date.today())
    if dates.date_problem(issued_on):   # the same check as the month-end run's
        where = f"字段 {tpl.period_field}" if isinstance(dated, date) else "--as-of"
        raise ValidationError([f"{where}：{dates.date_problem(issued_on)}"], record_name)
    unit_id = unit or (values.get("unit") if isinstance(values.get("unit"), str) else None)
    period = period_of(tpl, values)
    stored_record = catalog.to_record(values)
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
        """The document `replaces` names (checked: same template, same unit), a refusal if this
        one exists already, and the number this document gets if it is recorded now."""
        replaced = documents.find(view, replaces) if replaces else None
        if replaced:
            documents.check_replacement(replaced, tpl.id, unit_id)
            was = (replaced.get("record") or {}).get(tpl.one_per) if tpl.one_per else None
            now = values.get(tpl.one_per) if tpl.one_per else None
            now = now.isoformat() if isinstance(now, date) else now
            if tpl.one_per and was != now:
                raise InputError(f"--replaces {replaced['doc_no']}：原文书记载的是 {was}，新文书是 "
                                 f"{now}，只能替代同一记录的文书 (another record)")
        if not again and tpl.one_per and values.get(tpl.one_per):
            about = values[tpl.one_per]
            about = about.isoformat() if isinstance(about, date) else about   # as the record stores it
            dup = [d for d in view.find("documents", template=tpl.id,
                                        where=lambda d: (d.get("record") or {}).get(tpl.one_per) == about)
                   if model.is_active(d) and not (replaced and d["id"] == replaced["id"])]
            if dup:
                raise InputError(
                    f"{about}：已开具{tpl.title} {dup[0]['doc_no']}（{dup[0]['state']}），一案一份；"
                    f"内容有变请用 --replaces {dup[0]['doc_no']} 开具更正件，或 --again 再开一份 "
                    "(issued already for this record)")
        elif not again and unit_id and period:
            dup = model.issued_already(view, tpl.id, unit_id, period,
                                       excluding=replaced["id"] if replaced else None)
            if dup:
                raise InputError(
                    f"unit {unit_id}: {tpl.title} for {period} was issued already as "
                    f"{dup[0]['doc_no']} ({dup[0]['state']}); use --again to issue another")
        backdated = numbering.order_problem(view, series, issued_on.year, issued_on)
        if backdated:
            raise ValidationError([f"{tpl.period_field or '--as-of'}：{backdated}"], record_name)
        seq = numbering.peek(view, series, issued_on.year)
        return replaced, numbering.format_number(series, issued_on.year, seq), seq

    # The render runs outside the store's lock, at the number the store would give now; the
    # short transaction that records the document takes that number only if it is still the
    # next one, else (another clerk took it meanwhile) the document is rendered again at the
    # new one. The last attempt renders under the lock: a busy series cannot starve a clerk.
    # Nothing is reserved, so a failure or a kill before the commit wastes no number.
    for attempt in range(RENDER_ATTEMPTS):
        under_lock = attempt == RENDER_ATTEMPTS - 1
        tmp: Path | None = None
        leftovers: list[Path] = []
        made: list[Path] = []
        placing: list[tuple[Path, Path, str]] = []   # (tmp, final, sha256), moved after the commit
        try:
            with ws.store.transaction() if under_lock else nullcontext() as held:
                with nullcontext(held) if under_lock else ws.store.snapshot() as view:
                    _, doc_no, seq = look(view)
                doc_id = codes.new_doc_id()
                final = out or ws.output_dir / tpl.id / str(issued_on.year) / f"{numbering.safe_filename(doc_no)}.pdf"
                made = _make_folders(final.parent)
                tmp = temp_name(final, doc_id)   # .<name>.<doc_id>.part, recorded in PLACING below
                identity, context = document_identity(ws, tpl, values, doc_no=doc_no, doc_id=doc_id,
                                                      issued_on=issued_on, record=stored_record, unit=unit_id)
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
                    fsync_file(f)
                    os.chmod(f, 0o644)
                digest = sha256_file(tmp)
                side_rows: dict[str, str] = {}
                for kind, side_tmp in rendered.side_files.items():  # the Word engine's .docx
                    side_final = final.with_suffix(f".{kind}")
                    side_rows[f"{kind}_path"] = relative_to_workspace(ws, side_final)
                    side_rows[f"{kind}_sha256"] = sha256_file(side_tmp)
                    placing.append((side_tmp, side_final, side_rows[f"{kind}_sha256"]))
                placing.append((tmp, final, digest))
                # held: the transaction when under_lock (a transaction is never None)
                with nullcontext(held) if held is not None else ws.store.transaction() as tx:
                    complete_placements(ws, tx, by)
                    replaced, now_no, _ = look(tx)
                    if now_no != doc_no or numbering.allocate(tx, series, issued_on.year, issued_on) != (doc_no, seq):
                        raise _NumberTaken()
                    for _, taken, _ in placing:   # an issued file is never replaced
                        if taken.exists() and (out is not None or not unrecorded_leftover(tx, taken)):
                            raise InputError(f"{taken}: 文件已存在，formsmith 不覆盖已有文件 "
                                             "(exists already; formsmith does not overwrite files)")
                    # Recorded, with the files still to be moved noted in the same commit, BEFORE
                    # any file is in place: a finished PDF never lies in its place unrecorded
                    # for the next render to number again.
                    tx.set_meta(PLACING, (tx.meta(PLACING, []) or []) + [{
                        "doc_no": doc_no, "doc_id": doc_id, "overwrite": out is None,
                        "files": [{"tmp": relative_to_workspace(ws, t), "final": relative_to_workspace(ws, f),
                                   "sha256": sha} for t, f, sha in placing]}])
                    if replaced:
                        documents.supersede(tx, replaced["doc_no"], {"doc_no": doc_no, "doc_id": doc_id,
                                                                     "template": tpl.id, "unit": unit_id}, by)
                    row: model.DocumentRow = {
                        "id": doc_id, "doc_no": doc_no, "doc_id": doc_id, "series": series,
                        "year": issued_on.year, "seq": seq, "template": tpl.id,
                        "template_version": tpl.version, "title": tpl.title, "unit": unit_id,
                        "period": period, "state": "generated", "sha256": digest,
                        "path": relative_to_workspace(ws, final), "pages": rendered.pages,
                        "issued_on": issued_on.isoformat(), "created_at": lifecycle.now_iso(),
                        "record": stored_record, "versions": [], "signature_fields": sig_fields,
                        "sign_areas": list(rendered.sign_areas)}
                    if replaced:
                        row["replaces"] = replaced["doc_no"]
                    row["events"] = [lifecycle.event("generated", by, note=record_name,
                                                     sha256=digest, pages=rendered.pages,
                                                     replaces=replaced["doc_no"] if replaced else None)]
                    tx.insert("documents", {**side_rows, **row})   # the .docx's path and hash first
                    if on_record is not None:
                        on_record(tx, tx.require("documents", doc_id, "document"))
        except BaseException as exc:
            for leftover in (tmp, *leftovers):
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
    # Committed: the number is this document's. Put its files in place, then clear the note.
    placed = all(_place(t, f, sha, overwrite=out is None) for t, f, sha in placing)
    with ws.store.transaction() as tx:
        voided = complete_placements(ws, tx, by)
    if not placed or doc_no in voided:
        raise InputError(f"{final}: 文件已存在，formsmith 不覆盖已有文件；{doc_no} 已登记为作废 "
                         "(the file appeared meanwhile; the number is recorded as void)")
    return IssuedDocument(doc_no=doc_no, doc_id=doc_id, path=str(final), sha256=digest,
                          pages=rendered.pages, template=tpl.id, unit=unit_id, period=period)
