"""Stage 6, check: completeness (pages 1..n all present) and ink in the signature area of the last page."""
from __future__ import annotations

from pathlib import Path

from . import signature
from .model import DocumentScan, IngestJob, ScanPage


def sign_info(doc: dict) -> tuple[str, int, list[dict]] | None:
    """(issued PDF path, page count, signature areas of the last page) of a documents row."""
    areas = [a for a in doc.get("sign_areas") or [] if a["page"] == doc.get("pages")]
    return (doc["path"], doc["pages"], areas) if areas else None


def page_ink(page: ScanPage, info: tuple[str, int, list[dict]] | None, root: Path,
             cache: dict) -> float | None:
    """Ink share in the signature areas of `page` (the last page of its document), or None."""
    if info is None or page.image is None or not page.corners:
        return None
    path, pages, areas = info
    key = (path, pages)
    if key not in cache:
        issued = root / path
        cache[key] = signature.reference(issued, pages) if issued.is_file() else None
    ref = cache[key]
    if ref is None:
        return None
    scale = page.dpi / signature.DPI if page.dpi_known else None
    return round(max(signature.ink_share(page.image, page.corners, ref, a, scale) for a in areas), 4)


def signature_of(scan: DocumentScan, root: Path, cache: dict) -> tuple[bool | None, float | None]:
    """(signed, ink share) for a complete scan; (None, None) when no signature area is known."""
    last = scan.pages[-1]
    share = last.ink if last.ink is not None else page_ink(last, sign_info(scan.doc), root, cache)
    return (None, None) if share is None else (signature.is_signed(share), share)


def run(job: IngestJob) -> IngestJob:
    cache: dict = {}
    for scan in job.scans:
        if scan.outcome:                        # unmatched already
            continue
        if scan.missing_pages:
            scan.outcome = "incomplete"
            continue
        scan.signed, scan.ink = signature_of(scan, job.ws.root, cache)
    return job
