"""Digital signatures: the company seal (PAdES) and checking signatures.

The empty signature fields every issued PDF carries are laid out and written by the renderers'
shared furniture (formsmith/render/fields.py); pyHanko is imported only to seal and to check. Sealing
appends to the issued file as an incremental update (its bytes stay byte for byte as they are,
so the PDF/A file and its SHA-256 remain provable inside the signed one) and nothing ever
rewrites a sealed file.

Files: the issued document `X.pdf` is kept exactly as issued (its SHA-256 is the register's
`sha256`); sealing writes `X.sealed.pdf` next to it, recorded as `versions[]` entry of kind
"sealed" with its own SHA-256. The original's bytes are the first bytes of the sealed file.
"""
from __future__ import annotations

import logging
import os
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any, cast

from . import certs, documents, lifecycle
from .errors import FormsmithError, InputError, RenderError, VerificationFailed
from .files import sha256_file, staged
from .model import RETIRED
from .render.fields import (FIELD_KINDS, MM, SEAL_FIELD, FieldDecl,  # noqa: F401  (re-exported)
                            add_signature_fields, declared_fields, fields_for_pages, incremental_writer,
                            page_sizes, place_fields, write_fields)
from .workspace import Workspace, relative_to_workspace

# pyHanko logs every untrusted certificate as a warning with a traceback, which Python prints
# to stderr when the application configured no logging (the CLI, a batch). The trust status is
# reported in SignatureCheck instead; an application that configures logging still gets them.
for _name in ("pyhanko", "pyhanko_certvalidator"):
    logging.getLogger(_name).addHandler(logging.NullHandler())

SEALED_SUFFIX = ".sealed.pdf"


# ---------------------------------------------------------------- the company seal

@dataclass(frozen=True)
class SealResult:
    """What sealing produced (the CLI prints this with --json)."""

    doc_no: str
    doc_id: str
    path: str
    sha256: str
    original_path: str
    original_sha256: str
    signer: str
    signer_name: str
    field: str
    visible: bool
    timestamped: bool
    test_certificate: bool
    at: str

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def load_signer(ws: Workspace):
    """The company's seal signer from the workspace settings (an InputError if it cannot be loaded)."""
    return certs.credentials(ws).signer()


def sealed_version(doc: dict) -> dict | None:
    return next((v for v in doc.get("versions", []) if v.get("kind") == "sealed"), None)


def _add_invisible_seal_field(writer, name: str) -> None:
    """The seal's field on page 1 for a template that declares none: zero-size, so nothing shows,
    with an empty appearance (PDF/A allows a zero-size widget without one, but viewers such as
    Ghostscript report a signature field with no appearance as unimplemented)."""
    from pyhanko.pdf_utils import generic
    from pyhanko.sign import fields

    fields.append_signature_field(writer, fields.SigFieldSpec(sig_field_name=name, on_page=0))
    empty = writer.add_object(generic.StreamObject(
        {generic.pdf_name("/Type"): generic.pdf_name("/XObject"),
         generic.pdf_name("/Subtype"): generic.pdf_name("/Form"),
         generic.pdf_name("/BBox"): generic.ArrayObject([generic.NumberObject(0)] * 4)},
        stream_data=b""))
    for found, _, ref in fields.enumerate_sig_fields(writer):
        if found == name:
            ref.get_object()[generic.pdf_name("/AP")] = generic.DictionaryObject(
                {generic.pdf_name("/N"): empty})
            writer.mark_update(ref)


def _seal_field(doc: dict) -> dict | None:
    """The seal field placed at issue; None for a template without one (the seal is then invisible)."""
    for f in doc.get("signature_fields") or ():
        if f.get("kind") == "seal":
            return f
    return None


SEAL_WORD = "（盖章）"


def seal_word_boxes(path: Path, field: dict) -> list[tuple[float, float, float, float]]:
    """Where the page under the seal field prints （盖章）, inside the field: (x0, y0, x1, y1) in
    points relative to the field's lower-left corner (the seal appearance's own coordinates).

    Read from the issued file itself (pdfium's text search), so it holds for every engine."""
    import pypdfium2 as pdfium

    fx0, fy0, fx1, fy1 = field["rect"]
    pdf = pdfium.PdfDocument(str(path))
    try:
        textpage = pdf[field["page"]].get_textpage()
        searcher = textpage.search(SEAL_WORD, match_case=True)
        found = []
        while (hit := searcher.get_next()) is not None:
            boxes = [textpage.get_charbox(i) for i in range(hit[0], hit[0] + hit[1])]
            x0, y0 = min(b[0] for b in boxes), min(b[1] for b in boxes)
            x1, y1 = max(b[2] for b in boxes), max(b[3] for b in boxes)
            if fx0 <= x0 and x1 <= fx1 and fy0 <= y0 and y1 <= fy1:
                found.append((x0 - fx0, y0 - fy0, x1 - fx0, y1 - fy0))
        return found
    finally:
        pdf.close()


def _stamp_style(ws: Workspace, cover: list[tuple[float, float, float, float]] | None = None,
                 test: bool = False):
    """The seal image, 42 mm, centred in the seal field, printed like seal paste.

    The image is composited with the Multiply blend mode (allowed in PDF/A-2 and -3): red over
    white stays red, and the issuer's name and the date under the seal stay black and legible,
    as on paper, instead of being painted over. The words （盖章） at `cover` (boxes in the
    field's coordinates, seal_word_boxes) are painted over in white first: a sealed page shows
    the seal where it asked for one, not the request as well. `test`: the certificate is a
    test one, and the seal says so (测试样章 无效, seal_image.TEST_MARKS).
    """
    from pyhanko.pdf_utils import content, generic
    from pyhanko.pdf_utils.images import PdfImage
    from pyhanko.pdf_utils.layout import (AxisAlignment, BoxConstraints, InnerScaling, Margins,
                                          SimpleBoxLayoutRule)
    from pyhanko.stamp import StaticStampStyle
    from pyhanko.stamp.static import StaticContentStamp

    from .seal_image import SEAL_MM, seal_image

    class InkStamp(StaticContentStamp):
        def _render_background(self):
            command = super()._render_background()
            if cover:
                pad = 0.6
                white = b" ".join(b"%.2f %.2f %.2f %.2f re" % (x0 - pad, y0 - pad, x1 - x0 + 2 * pad,
                                                              y1 - y0 + 2 * pad)
                                  for x0, y0, x1, y1 in cover)
                command = b"q 1 g " + white + b" f Q " + command
            self.set_resource(category=content.ResourceType.EXT_G_STATE,
                              name=generic.pdf_name("/BackgroundGS"),
                              value=generic.DictionaryObject({
                                  generic.pdf_name("/CA"): generic.FloatObject(1),
                                  generic.pdf_name("/ca"): generic.FloatObject(1),
                                  generic.pdf_name("/BM"): generic.pdf_name("/Multiply")}))
            return command

    class InkStampStyle(StaticStampStyle):
        def create_stamp(self, writer, box, text_params):
            return InkStamp(writer=writer, style=self, box=box)

    side = SEAL_MM * MM
    return InkStampStyle(
        background=PdfImage(seal_image(ws, test=test), box=BoxConstraints(width=side, height=side)),
        border_width=0,
        background_layout=SimpleBoxLayoutRule(
            x_align=AxisAlignment.ALIGN_MID, y_align=AxisAlignment.ALIGN_MID,
            margins=Margins.uniform(0), inner_content_scaling=InnerScaling.SHRINK_TO_FIT))


def _declares_pdfa(path: Path) -> bool:
    from pypdf import PdfReader
    from pypdf.generic import DictionaryObject
    meta = cast(DictionaryObject, PdfReader(str(path)).trailer["/Root"]).get("/Metadata")   # the catalog
    if not meta:
        return False
    return b"pdfaid:part" in meta.get_object().get_data()


def seal_document(ws: Workspace, doc_no: str, *, by: str | None = None, signer=None) -> SealResult:
    """Seal an issued document with the company certificate: PAdES B-B (B-T with `[seal] tsa_url`).

    Writes `X.sealed.pdf` beside the issued `X.pdf` (which stays as issued) and records it as
    a version of kind "sealed". The certificate is loaded before anything is written; on any
    failure nothing is left behind and the store is unchanged.
    """
    from pyhanko.sign import fields, signers

    with ws.store.snapshot() as view:
        doc = documents.find(view, doc_no)
    if doc["state"] in RETIRED:
        raise InputError(f"{doc['doc_no']}: is {doc['state']}（{lifecycle.LABELS[doc['state']]}）; "
                         "a voided or replaced document is not sealed")
    done = sealed_version(doc)
    if done:
        raise InputError(f"{doc['doc_no']}: sealed already ({done['path']}, {done['at']})")
    src = (ws.root / doc["path"]).resolve()
    if not src.is_file():
        raise InputError(f"{doc['doc_no']}: the issued file {doc['path']} is missing")
    if sha256_file(src) != doc["sha256"]:
        raise VerificationFailed(f"{doc['doc_no']}: {doc['path']} is no longer the file as issued "
                                 "(its SHA-256 differs from the record); it is not sealed")
    signer = signer or load_signer(ws)
    final = src.with_name(src.name[:-4] + SEALED_SUFFIX if src.name.endswith(".pdf")
                          else src.name + SEALED_SUFFIX)
    seal_field = _seal_field(doc)
    field_name = seal_field["name"] if seal_field else SEAL_FIELD
    tsa_url = ws.setting("seal", "tsa_url")
    timestamper = None
    if tsa_url:
        from pyhanko.sign.timestamps import HTTPTimeStamper
        timestamper = HTTPTimeStamper(str(tsa_url), timeout=15)
    cert = signer.signing_cert
    meta = signers.PdfSignatureMetadata(
        field_name=field_name, md_algorithm="sha256", subfilter=fields.SigSeedSubFilter.PADES,
        reason=f"{ws.company.name} 盖章 {doc['doc_no']}", location=ws.company.address or None,
        name=ws.company.name or None, embed_validation_info=False, use_pades_lta=False)
    pdf_signer = signers.PdfSigner(
        meta, signer=signer, timestamper=timestamper,
        stamp_style=_stamp_style(ws, seal_word_boxes(src, seal_field) if seal_field else [],
                                 test=certs.is_test_certificate(cert)))
    # Written as .<name>.<pid>.part (per process: never another's), fsynced, 0644; put in place
    # inside the transaction that records it; on any failure neither file is left.
    with staged(final, tag=str(os.getpid())) as st:
        try:
            with open(src, "rb") as inf, open(st.tmp, "xb") as out:
                writer = incremental_writer(inf)
                if seal_field is None:
                    _add_invisible_seal_field(writer, field_name)
                pdf_signer.sign_pdf(writer, output=out)
            st.finish()      # fsync, then mode 0644
        except FormsmithError:
            raise
        except Exception as exc:  # pyHanko / TSA failures: one line, never the password
            what = f"时间戳服务器 {tsa_url} " if tsa_url and "imestamp" in type(exc).__name__ \
                else "盖章"
            raise FormsmithError(f"{doc['doc_no']}: {what}失败：{type(exc).__name__}: {exc}") from None
        if not _declares_pdfa(st.tmp):
            raise RenderError(f"{doc['doc_no']}: the sealed file lost its PDF/A declaration; not kept")
        digest = sha256_file(st.tmp)
        subject = certs.subject_text(cert)
        at = lifecycle.now_iso()
        by = by or ws.clerk
        with ws.store.transaction() as tx:
            row = documents.find(tx, doc["doc_id"])
            if sealed_version(row):
                raise InputError(f"{row['doc_no']}: sealed meanwhile by another process")
            st.publish()
            version = {"kind": "sealed", "sha256": digest, "path": relative_to_workspace(ws, final),
                       "at": at, "by": by, "signer": subject, "field": field_name,
                       "size": final.stat().st_size, "based_on": row["sha256"],
                       "timestamped": bool(timestamper), "visible": seal_field is not None,
                       "test_certificate": certs.is_test_certificate(cert)}
            tx.update("documents", row["id"], {
                "versions": row.get("versions", []) + [version],
                "events": row.get("events", []) + [lifecycle.event(
                    row["state"], by, note="sealed", action="sealed", sha256=digest,
                    signer=certs.common_name(cert), path=version["path"])],
            })
    return SealResult(doc_no=doc["doc_no"], doc_id=doc["doc_id"], path=str(final), sha256=digest,
                      original_path=str(src), original_sha256=doc["sha256"], signer=subject,
                      signer_name=certs.common_name(cert),
                      field=field_name, visible=seal_field is not None,
                      timestamped=bool(timestamper), test_certificate=certs.is_test_certificate(cert),
                      at=at)


# ---------------------------------------------------------------- checking signatures

@dataclass(frozen=True)
class SignatureCheck:
    """What pyHanko's validation (with difference analysis) says about one signature."""

    field: str
    signer: str = ""             # the certificate's subject, in full
    signer_name: str = ""        # its common name (the company)
    signed_at: str | None = None
    timestamp: str | None = None
    intact: bool = False
    valid: bool = False
    trusted: bool = False
    trust: str = ""
    coverage: str = ""
    modification: str = ""
    changed_after_signing: bool = True
    ok: bool = False
    problem: str = ""

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)

    def summary(self) -> str:
        if not self.ok:
            return f"signature {self.field}: {self.problem}"
        when = self.timestamp or self.signed_at or "?"
        after = "unchanged since signing" if not self.changed_after_signing else self.modification
        return (f"signature {self.field}: intact; signed by {self.signer_name or self.signer}; at {when}"
                f"{' (time-stamped)' if self.timestamp else ''}; {self.trust}; {after}")


_LEVEL_TEXT = {
    "NONE": "nothing changed after signing",
    "LTA_UPDATES": "only validation data added after signing",
    "FORM_FILLING": "only form fields filled or signatures added after signing",
    "ANNOTATIONS": "comments/annotations added after signing",
    "OTHER": "the document was changed after signing",
}


def _validation_context(ws: Workspace | None):
    from pyhanko.keys import load_cert_from_pemder
    from pyhanko_certvalidator import ValidationContext

    roots = []
    if ws is not None:
        for name in ws.setting("seal", "trust_roots", []) or []:
            path = Path(name) if Path(name).is_absolute() else ws.root / name
            try:
                roots.append(load_cert_from_pemder(str(path)))
            except Exception:
                raise InputError(f"formsmith.toml [seal] trust_roots: {path}: not a readable certificate") from None
    return ValidationContext(trust_roots=roots, allow_fetching=False, revocation_mode="soft-fail")


def _page_counts(sig) -> tuple[int, int] | None:
    """(pages when signed, pages now), or None if the revisions cannot be read."""
    try:
        reader = sig.reader
        signed = reader.get_historical_root(sig.signed_revision)["/Pages"]["/Count"]
        return int(signed), int(reader.root["/Pages"]["/Count"])
    except Exception:
        return None


def _check_one(sig, vc) -> SignatureCheck:
    from pyhanko.sign.validation import validate_pdf_signature
    from pyhanko.sign.validation.status import SignatureCoverageLevel

    name = str(sig.field_name or "?")
    try:
        status = validate_pdf_signature(sig, signer_validation_context=vc)
    except Exception as exc:  # a mangled signature dictionary or CMS blob
        return SignatureCheck(field=name, problem=f"cannot be validated: {type(exc).__name__}: {exc}")
    cert = status.signing_cert
    signer = str(certs.subject_text(cert)) if cert is not None else ""
    trusted = bool(status.trusted)
    if trusted:
        trust = "trusted"
    elif certs.is_test_certificate(cert):
        trust = "not trusted (test certificate)"
    elif cert is not None and cert.self_signed != "no":
        trust = "not trusted (self-signed certificate)"
    else:
        trust = "not trusted (issuer not among formsmith.toml [seal] trust_roots)"
    level = status.modification_level
    level_name = level.name if level is not None else "OTHER"
    coverage = status.coverage.name if status.coverage is not None else "UNCLEAR"
    changed = status.coverage != SignatureCoverageLevel.ENTIRE_FILE
    modification = _LEVEL_TEXT.get(level_name, level_name)
    diff = status.diff_result
    if changed:
        pages = _page_counts(sig)
        if pages and pages[0] != pages[1]:
            modification += f": {pages[1]} pages now, {pages[0]} when signed"
        elif diff is not None and not hasattr(diff, "modification_level"):
            first = str(diff).strip().splitlines()[0] if str(diff).strip() else type(diff).__name__
            modification += f" ({first[:160]})"
    problem = ""
    if not status.intact:
        problem = ("the signed content was altered: its digest no longer matches the signature "
                   "(签名后文件被篡改)")
    elif not status.valid:
        problem = "the signature does not match the signer's certificate (签名无效)"
    elif status.coverage is None or status.coverage < SignatureCoverageLevel.ENTIRE_REVISION:
        problem = "the signature does not cover its revision of the file (签名覆盖范围异常)"
    elif level_name in ("OTHER", "ANNOTATIONS") or status.docmdp_ok is False:
        problem = f"{modification} (签名后文件被修改)"
    ts = status.timestamp_validity
    return SignatureCheck(
        field=name, signer=signer, signer_name=certs.common_name(cert) if cert is not None else "",
        signed_at=status.signer_reported_dt.isoformat() if status.signer_reported_dt else None,
        timestamp=ts.timestamp.isoformat() if ts is not None and ts.intact and ts.valid else None,
        intact=bool(status.intact), valid=bool(status.valid), trusted=trusted, trust=trust,
        coverage=coverage, modification=modification, changed_after_signing=changed,
        ok=not problem, problem=(f"{problem}; signed by {certs.common_name(cert)}"
                                 if problem and cert is not None else problem))


def check_signatures(path: Path, ws: Workspace | None = None) -> list[SignatureCheck]:
    """Validate every signature in the PDF at `path` (read only; the file is never written)."""
    from pyhanko.pdf_utils.reader import PdfFileReader

    with open(path, "rb") as fh:
        head = fh.read()
    if b"/ByteRange" not in head:
        return []
    vc = _validation_context(ws)
    try:
        with open(path, "rb") as fh:
            reader = PdfFileReader(fh, strict=False)
            return [_check_one(sig, vc) for sig in reader.embedded_signatures]
    except InputError:
        raise
    except Exception as exc:  # the file no longer parses as a PDF
        return [SignatureCheck(field="?", problem=f"the file cannot be read as a signed PDF: "
                                                  f"{type(exc).__name__}: {exc}")]
