"""Is this file a document we issued, unchanged? Byte identity against the recorded SHA-256, and its signatures."""
from __future__ import annotations

import logging
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from . import codes, signing
from .errors import InputError
from .files import sha256_bytes, sha256_file
from .workspace import Workspace


@dataclass(frozen=True)
class Verdict:
    """The answer of verify: identical to an issued document, or why not."""

    file: str
    sha256: str
    identical: bool
    doc_no: str | None = None
    doc_id: str | None = None
    state: str | None = None
    template: str | None = None
    reason: str = ""
    version: str = "issued"          # which recorded file it is: "issued" or a version's kind
    # True when identical, and also when the file is a recorded file plus only signatures put
    # into the document's own empty signature fields (an owner signing the 回执 in a reader).
    verified: bool = False
    signatures: list[dict] = field(default_factory=list)   # signing.SignatureCheck.as_dict()

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def claimed_doc_id(path: Path) -> str | None:
    """The doc_id a PDF claims in its keywords (formsmith:<doc_id>), if it can be read at all."""
    try:
        from pypdf import PdfReader
        meta: dict = PdfReader(str(path)).metadata or {}     # DocumentInformation is a dict
        for word in str(meta.get("/Keywords", "")).split(","):
            word = word.strip()
            if word.startswith("formsmith:") and codes.is_doc_id(word[10:]):
                return word[10:]
    except Exception:  # a damaged file simply claims nothing
        return None
    return None


@contextmanager
def _quiet_pypdf():
    """pypdf logs its repairs of damaged files ("EOF marker not found") to stderr; the verdict
    already says what is wrong, so a damaged input gives one line, not pypdf's chatter."""
    logger = logging.getLogger("pypdf")
    level = logger.level
    logger.setLevel(logging.CRITICAL)
    try:
        yield
    finally:
        logger.setLevel(level)


def verify_file(ws: Workspace, path: Path) -> Verdict:
    """Compare `path` byte for byte (by SHA-256) with every document and version we issued."""
    path = Path(path)
    if not path.is_file():
        raise InputError(f"{path}: 没有这个文件 (no such file)")
    with _quiet_pypdf():
        return _verify(ws, path)


def _verify(ws: Workspace, path: Path) -> Verdict:
    digest = sha256_file(path)
    with open(path, "rb") as fh:
        is_pdf = b"%PDF-" in fh.read(1024)
    with ws.store.snapshot() as view:
        docs = view.all("documents")
    checks = [c.as_dict() for c in signing.check_signatures(path, ws)] if is_pdf else []
    broken = [c for c in checks if not c["ok"]]
    for d in docs:
        kinds = {d.get("sha256"): "issued"}
        kinds.update({v.get("sha256"): v.get("kind", "version") for v in d.get("versions", [])})
        if digest in kinds:
            kind = kinds[digest]
            what = "as issued" if kind == "issued" else f"{kind} version"
            if broken:  # cannot happen for a file we recorded, unless the record itself is wrong
                return Verdict(str(path), digest, False, d["doc_no"], d["doc_id"], d["state"],
                               d["template"], version=kind, signatures=checks,
                               reason=f"identical to {d['doc_no']} ({what}) but "
                                      + "; ".join(f"signature {c['field']}: {c['problem']}" for c in broken))
            return Verdict(str(path), digest, True, d["doc_no"], d["doc_id"], d["state"], d["template"],
                           reason=f"identical to {d['doc_no']} {what}", version=kind, signatures=checks,
                           verified=True)
    if not is_pdf:
        what = "an empty file" if path.stat().st_size == 0 else "not a PDF file (by its content)"
        return Verdict(str(path), digest, False,
                       reason=f"{what}, so not a document issued by this workspace")
    claimed = claimed_doc_id(path)
    match = next((d for d in docs if d["doc_id"] == claimed), None) if claimed else None
    if match and checks and not broken:
        later = signed_later(path, match, checks)
        if later:
            return later
    if match:
        why = "; ".join(f"signature {c['field']}: {c['problem']}" for c in broken)
        if not why and checks:
            why = "; ".join(f"signature {c['field']}: {c['modification']}" for c in checks)
        return Verdict(str(path), digest, False, match["doc_no"], match["doc_id"], match["state"],
                       match["template"], signatures=checks,
                       reason=f"claims to be {match['doc_no']} but differs from the issued file "
                              "(changed or re-saved after issue)" + (f"; {why}" if why else ""))
    return Verdict(str(path), digest, False, signatures=checks,
                   reason="not a document issued by this workspace (no record has this SHA-256)")


def _revision_ends(data: bytes) -> list[int]:
    """Offsets just after each %%EOF marker (and its end-of-line): where each revision ends."""
    ends, i = [], data.find(b"%%EOF")
    while i >= 0:
        end = i + 5
        for eol in (b"\r\n", b"\n", b"\r"):
            if data.startswith(eol, end):
                end += len(eol)
                break
        ends.append(end)
        i = data.find(b"%%EOF", i + 5)
    return ends


PDF_WHITESPACE = b"\x00\t\n\x0c\r "


def _uncovered_tail(data: bytes) -> int:
    """How many bytes after the last signed byte there are, unless they are only whitespace.

    A signature's /ByteRange [a b c d] covers up to c + d, its revision's end (%%EOF and EOL).
    Read from the signatures the PDF's own cross-reference finds: a /ByteRange written into the
    appended bytes themselves counts for nothing. Unreadable signatures: everything is tail.
    """
    from io import BytesIO

    from pyhanko.pdf_utils.reader import PdfFileReader
    try:
        sigs = PdfFileReader(BytesIO(data), strict=False).embedded_signatures
        ends = [int(r[2]) + int(r[3]) for r in (sig.sig_object["/ByteRange"] for sig in sigs)]
    except Exception:
        return len(data)
    if not ends:
        return 0
    rest = data[min(max(ends), len(data)):]
    return len(rest) if rest.strip(PDF_WHITESPACE) else 0


def signed_later(path: Path, doc: dict, checks: list[dict]) -> Verdict | None:
    """A Verdict if `path` is a recorded file of `doc` followed only by signatures in its own fields.

    The recorded file must be, byte for byte, the beginning of `path`; every signature must be
    intact and valid, sit in a field the document was issued with, and pyHanko's difference
    analysis from the recorded revision on must find nothing beyond signing form fields.
    """
    from io import BytesIO

    from pyhanko.pdf_utils.reader import PdfFileReader
    from pyhanko.sign.diff_analysis import DEFAULT_DIFF_POLICY, DiffResult, ModificationLevel

    data = Path(path).read_bytes()
    kinds = {doc.get("sha256"): "issued"}
    kinds.update({v.get("sha256"): v.get("kind", "version") for v in doc.get("versions", [])})
    base = None
    for end in _revision_ends(data)[:-1]:
        kind = kinds.get(sha256_bytes(data[:end]))
        if kind:
            base = (kind, end)
    if base is None:
        return None
    tail = _uncovered_tail(data)
    if tail:
        # A polyglot: a signed letter with something else glued on (a ZIP, a script, another
        # revision nobody signed). Whatever follows the signed bytes is not the signed letter.
        return Verdict(str(path), sha256_bytes(data), False, doc["doc_no"], doc["doc_id"], doc["state"],
                       doc["template"], signatures=checks,
                       reason=f"claims to be {doc['doc_no']} but {tail} bytes come after the end of "
                              "its last signature, covered by no signature")
    # The seal field only ever takes the company seal, which `formsmith seal` records itself.
    fields = {f["name"] for f in doc.get("signature_fields") or () if f.get("kind") != "seal"}
    try:
        base_revision = PdfFileReader(BytesIO(data[:base[1]]), strict=False).xrefs.total_revisions - 1
        result = DEFAULT_DIFF_POLICY.review_file(PdfFileReader(BytesIO(data), strict=False), base_revision)
    except Exception:
        return None
    if not isinstance(result, DiffResult) or result.modification_level > ModificationLevel.FORM_FILLING:
        return None
    new = [c for c in checks if c["field"] in result.changed_form_fields]
    if not new or not set(result.changed_form_fields) <= fields:
        return None
    who = ", ".join(f"{c['field']} by {c['signer_name'] or c['signer']}" for c in new)
    what = "as issued" if base[0] == "issued" else f"{base[0]} version"
    return Verdict(str(path), sha256_bytes(data), False, doc["doc_no"], doc["doc_id"], doc["state"],
                   doc["template"], version=base[0], signatures=checks, verified=True,
                   reason=f"{doc['doc_no']} {what}, signed afterwards in its own field(s): {who}; "
                          "nothing else changed")

