"""Stage 4, split: the pages of each input grouped into document scans by their codes.

Rules (per input file, in page order):
- a page without our code is unmatched — it is never attached to a neighbour (a blank sheet or
  a courier slip between two letters belongs to neither);
- a page carrying codes of two different documents (or pages) goes to review: which one it is
  cannot be told, and filing it under the first would be a guess;
- a coded page joins the open scan of its document that does not have that page number yet,
  else starts a new scan: reversed or shuffled pages of one document make one scan; the same
  document fed twice (1,2,1,2) makes two scans, the second a duplicate.
"""
from __future__ import annotations

from .model import DocumentScan, IngestJob, ScanPage


def reason_unread(page: ScanPage) -> str:
    if page.foreign:
        return "页面上只有其他二维码（非本系统文书）"
    return "未识别到本系统二维码（空白页、快递单或其他材料）"


def reason_two_codes(page: ScanPage, names: dict[str, str] | None = None) -> str:
    names = names or {}
    said = "、".join(dict.fromkeys(f"{names.get(c.doc_id, c.doc_id)} 第{c.page}页"
                                   for c in (page.known_code, *page.others)))
    return f"一页上有多个本系统二维码（{said}），无法确定是哪份文书，疑似贴换，请人工核对"


def split(pages: list[ScanPage], review: list[tuple[ScanPage, str]] | None = None
          ) -> tuple[list[DocumentScan], list[tuple[ScanPage, str]]]:
    """Document scans (pages in document order) and the unmatched pages with why.

    Pages with two documents' codes are appended to `review` (with why) when it is given.
    """
    scans: list[DocumentScan] = []
    unmatched: list[tuple[ScanPage, str]] = []
    for page in pages:
        code = page.code
        if code is None:
            unmatched.append((page, reason_unread(page)))
            continue
        if page.others:
            (review if review is not None else unmatched).append((page, reason_two_codes(page)))
            continue
        target = next((s for s in scans if s.doc_id == code.doc_id and s.source is page.source
                       and s.pages_expected == code.pages
                       and all(p.known_code.page != code.page for p in s.pages)), None)
        if target is None:
            target = DocumentScan(doc_id=code.doc_id, pages_expected=code.pages)
            scans.append(target)
        target.pages.append(page)
    for scan in scans:
        scan.pages.sort(key=lambda p: p.known_code.page)
        present = {p.known_code.page for p in scan.pages}
        scan.missing_pages = [n for n in range(1, scan.pages_expected + 1) if n not in present]
    return scans, unmatched


def run(job: IngestJob) -> IngestJob:
    job.review = []
    job.scans, job.unmatched = split(job.pages, job.review)
    return job
