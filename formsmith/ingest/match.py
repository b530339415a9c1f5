"""Stage 5, match: each document scan to its row in the documents table (by the doc_id in its code)."""
from __future__ import annotations

from .model import IngestJob
from .split import reason_two_codes


def run(job: IngestJob) -> IngestJob:
    """Attach the documents row; a code of a document this workspace never issued is unmatched."""
    with job.ws.store.snapshot() as view:
        names = {}
        for page, _ in job.review:
            for c in (page.known_code, *page.others):
                row = view.get("documents", c.doc_id)
                if row is not None:
                    names[c.doc_id] = row["doc_no"]
        job.review = [(page, reason_two_codes(page, names)) for page, _ in job.review]
        for scan in job.scans:
            scan.doc = view.get("documents", scan.doc_id)
            if scan.doc is None:
                scan.outcome = "unmatched"
                scan.reason = f"二维码指向的文书 {scan.doc_id} 不是本工作区签发的"
            elif scan.doc.get("pages") and scan.doc["pages"] != scan.pages_expected:
                scan.outcome = "unmatched"
                scan.reason = (f"{scan.doc['doc_no']} 共 {scan.doc['pages']} 页，"
                               f"扫描件上的二维码却写 {scan.pages_expected} 页")
    return job
