"""Filing by hand: a page whose code could not be read (torn, stained, photographed badly) is
matched to its document by a clerk who looked at it, and filed like any scan, its version
saying who matched it. Inputs wait in the workspace's inbox until every page of them is filed;
then they move to inbox-done. Nothing is deleted."""
from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

from .. import documents
from ..codes import PageCode
from ..errors import InputError
from ..workspace import Workspace
from . import filing, preflight
from .model import DocumentScan, IngestJob, ScanPage


def inbox_files(ws: Workspace) -> list[Path]:
    """The inputs waiting in the inbox, oldest first."""
    if not ws.inbox_dir.is_dir():
        return []
    return sorted(preflight.expand([ws.inbox_dir]), key=lambda p: (p.stat().st_mtime, p.name))


def _in_inbox(ws: Workspace, name: str) -> Path:
    inbox = ws.inbox_dir.resolve()
    path = (inbox / name).resolve()
    if inbox not in path.parents or not path.is_file() or path.is_symlink():
        raise InputError(f"{name}：收件箱中没有这个文件 (not in the inbox)")
    return path


def filed_pages(ws: Workspace, sha256: str) -> set[int]:
    """The pages of an input (by its hash) that some document's scan holds already."""
    pages: set[int] = set()
    for doc in documents.list_documents(ws):
        for v in doc.get("versions", []):
            if v.get("source_sha256") == sha256:
                pages.update(v.get("source_pages") or [])
    return pages


def file_by_hand(ws: Workspace, name: str, pages: list[int], doc_no: str, *, by: str | None = None) -> dict[str, Any]:
    """File pages `pages` (1-based, in the document's order) of inbox input `name` as the scan
    of `doc_no`, matched by `by`. The pages must be as many as the document has. The input moves
    to inbox-done once every page of it is filed. Returns {doc_no, path, sha256, moved}."""
    who = by or ws.clerk
    path = _in_inbox(ws, name)
    src = preflight.inspect(path)
    if src.refused:
        raise InputError(f"{name}：{src.refused}")
    if not pages or len(set(pages)) != len(pages) or any(not 1 <= n <= src.pages for n in pages):
        raise InputError(f"{name}：字段 pages（页码）：{pages} 应为 1 至 {src.pages} 之间不重复的页码 (bad pages)")
    with ws.store.snapshot() as view:
        doc = documents.find(view, doc_no)
    if len(pages) != doc["pages"]:
        raise InputError(f"{doc['doc_no']}：字段 pages（页码）：文书共 {doc['pages']} 页，所选 {len(pages)} 页 "
                         "(as many pages as the document has)")
    taken = filed_pages(ws, src.sha256) & set(pages)
    if taken:
        raise InputError(f"{name}：第 {'、'.join(map(str, sorted(taken)))} 页已归档 (filed already)")
    scan = DocumentScan(doc_id=doc["id"], pages_expected=doc["pages"], doc=doc, by_hand=who,
                        pages=[ScanPage(source=src, number=n, code=PageCode(doc["id"], k + 1, doc["pages"]))
                               for k, n in enumerate(pages)])
    job = IngestJob(ws=ws, paths=[path], by=who)
    filing.file_source(job, src, [scan])
    moved = None
    if filed_pages(ws, src.sha256) >= set(range(1, src.pages + 1)):
        ws.inbox_done_dir.mkdir(parents=True, exist_ok=True)
        target = ws.inbox_done_dir / path.name
        n = 1
        while target.exists():
            n += 1
            target = ws.inbox_done_dir / f"{path.stem}-{n}{path.suffix}"
        shutil.move(str(path), str(target))
        moved = str(target.relative_to(ws.root))
    return {"doc_no": doc["doc_no"], "path": scan.path, "sha256": scan.sha256, "outcome": scan.outcome,
            "moved": moved}
