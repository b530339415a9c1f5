"""Stage 6, check: each page is the issued page it claims (compare.py), pages 1..n are all
present, and the signature area of the last page is inked."""
from __future__ import annotations

from pathlib import Path

from ..files import sha256_file
from . import compare, signature
from .model import DocumentScan, IngestJob, ScanPage


def doc_info(doc: dict) -> dict:
    """What the page readers need of a documents row: the issued file, its hash, its sign areas."""
    return {"path": doc["path"], "sha256": doc.get("sha256"), "pages": doc.get("pages"),
            "sign_areas": doc.get("sign_areas") or [], "fields": doc.get("signature_fields") or []}


def field_areas(fields: list[dict], page: int, page_h_mm: float) -> list[dict]:
    """The signature fields (PDF points from the bottom-left, 0-based pages) of `page` (1-based)
    as areas in mm from the top-left: where a seal or a signature may cover the print."""
    mm = 72 / 25.4
    out = []
    for f in fields:
        if f.get("page") == page - 1 and f.get("rect"):
            x0, y0, x1, y1 = f["rect"]
            out.append({"page": page, "x": min(x0, x1) / mm, "y": page_h_mm - max(y0, y1) / mm,
                        "w": abs(x1 - x0) / mm, "h": abs(y1 - y0) / mm})
    return out


def sign_info(doc: dict) -> tuple[str, int, list[dict]] | None:
    """(issued PDF path, page count, signature areas of the last page) of a documents row."""
    areas = [a for a in doc.get("sign_areas") or [] if a["page"] == doc.get("pages")]
    return (doc["path"], doc["pages"], areas) if areas else None


def reference(root: Path, path: str, sha256: str | None, page: int,
              cache: dict) -> signature.Reference | str:
    """The issued page as printed, or why it cannot be had (in Chinese). Only the file whose
    SHA-256 was recorded at issue is a reference: a changed output/ file proves nothing."""
    key = (path, page)
    if key not in cache:
        issued = root / path
        if not issued.is_file():
            cache[key] = f"签发文件 {path} 不存在"
        elif sha256 and cache.setdefault(("sha", path), sha256_file(issued)) != sha256:
            cache[key] = f"签发文件 {path} 与签发时记录的 SHA-256 不符（已被改动）"
        else:
            cache[key] = signature.reference(issued, page) or f"签发文件 {path} 第{page}页上读不到二维码"
    return cache[key]


def _scale(page: ScanPage) -> float | None:
    return page.dpi / signature.DPI if page.dpi_known else None


def page_likeness(page: ScanPage, info: dict | None, root: Path, cache: dict) -> dict | None:
    """compare.Likeness of `page` against the issued page its code names (as a dict), or
    {"error": why} when there is nothing to compare with; None without image or document."""
    if info is None or page.image is None or not page.corners or page.code is None \
            or info.get("pages") not in (None, page.code.pages):
        return None
    ref = reference(root, info["path"], info.get("sha256"), page.code.page, cache)
    if isinstance(ref, str):
        return {"error": ref}
    # Left out: the signature areas, and the signature fields (the company seal is stamped over
    # the issuer's name and date; a seal's red may hide the print under it).
    areas = [a for a in info["sign_areas"] if a["page"] == page.code.page]
    areas += field_areas(info.get("fields") or [], page.code.page, ref.image.height * 25.4 / signature.DPI)
    return compare.likeness(page.image, page.corners, ref, areas, _scale(page)).as_dict()


def page_ink(page: ScanPage, info: tuple[str, int, list[dict]] | None, root: Path,
             cache: dict) -> float | None:
    """Ink share in the signature areas of `page` (the last page of its document), or None."""
    if info is None or page.image is None or not page.corners:
        return None
    path, pages, areas = info
    ref = reference(root, path, None, pages, cache)
    if isinstance(ref, str):
        return None
    return round(max(signature.ink_share(page.image, page.corners, ref, a, _scale(page)) for a in areas), 4)


def signature_of(scan: DocumentScan, root: Path, cache: dict) -> tuple[bool | None, float | None]:
    """(signed, ink share) for a complete scan; (None, None) when no signature area is known."""
    last = scan.pages[-1]
    share = last.ink if last.ink is not None else page_ink(last, sign_info(scan.known_doc), root, cache)
    return (None, None) if share is None else (signature.is_signed(share), share)


def mismatch(scan: DocumentScan, root: Path, cache: dict) -> str:
    """Why the scan's pages are not the issued pages they claim ('' when they all are)."""
    why = []
    for page in scan.pages:
        like = page.likeness
        if like is None:
            like = page_likeness(page, doc_info(scan.known_doc), root, cache)
            page.likeness = like
        n = page.known_code.page
        if like is None:
            why.append(f"第{n}页未能与签发件比对")
        elif "error" in like:
            why.append(f"第{n}页无法与签发件比对：{like['error']}")
        elif not compare.Likeness(**like).matches:
            why.append(f"第{n}页与签发的{scan.known_doc['doc_no']}第{n}页不符"
                       f"（签发页上的文字只有{like['present']:.0%}见于扫描页，"
                       f"{like['lost']:.0%}的位置对不上）")
    if not why:
        return ""
    return "；".join(why) + "。疑似空白页贴码或他人文书，未归档，请人工核对"


def run(job: IngestJob) -> IngestJob:
    cache: dict = {}
    for scan in job.scans:
        if scan.outcome:                        # unmatched already
            continue
        reason = mismatch(scan, job.ws.root, cache)
        if reason:
            scan.outcome, scan.reason = "review", reason
            continue
        if scan.missing_pages:
            scan.outcome = "incomplete"
            continue
        scan.signed, scan.ink = signature_of(scan, job.ws.root, cache)
    return job
