"""Cut one document out of a batch PDF/A: its pages, its own XMP, metadata, ID and record.json."""
from __future__ import annotations

import hashlib
from datetime import datetime
from pathlib import Path
from xml.sax.saxutils import escape

from pypdf import PdfReader, PdfWriter
from pypdf.generic import (ArrayObject, ByteStringObject, DecodedStreamObject, NameObject,
                           TextStringObject)

from .. import codes
from . import PdfIdentity, pagecode

PRODUCER = "formsmith (WeasyPrint, pypdf)"


def _xmp(identity: PdfIdentity, producer: str) -> bytes:
    """PDF/A-3b XMP packet: the same title, author, subject, keywords and dates as /Info."""
    when = identity.created.isoformat(timespec="seconds")
    e = lambda s: escape(s, {'"': "&quot;"})  # noqa: E731
    # One rdf:Description with the simple properties as attributes (the form WeasyPrint and
    # pyHanko write): pyHanko rewrites the packet when it appends signature fields or a seal,
    # and keeps pdfaid only in this form.
    return f"""<?xpacket begin="\ufeff" id="W5M0MpCehiHzreSzNTczkc9d"?>
<x:xmpmeta xmlns:x="adobe:ns:meta/">
 <rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">
  <rdf:Description rdf:about="" xmlns:pdfaid="http://www.aiim.org/pdfa/ns/id/"
    xmlns:pdf="http://ns.adobe.com/pdf/1.3/" xmlns:xmp="http://ns.adobe.com/xap/1.0/"
    xmlns:dc="http://purl.org/dc/elements/1.1/"
    pdfaid:part="3" pdfaid:conformance="B" pdf:Producer="{e(producer)}"
    pdf:Keywords="{e(", ".join(identity.keywords))}" xmp:CreatorTool="formsmith"
    xmp:CreateDate="{when}" xmp:ModifyDate="{when}">
   <dc:title><rdf:Alt><rdf:li xml:lang="x-default">{e(identity.title)}</rdf:li></rdf:Alt></dc:title>
   <dc:creator><rdf:Seq><rdf:li>{e(identity.author)}</rdf:li></rdf:Seq></dc:creator>
   <dc:description><rdf:Alt><rdf:li xml:lang="x-default">{e(identity.subject)}</rdf:li></rdf:Alt></dc:description>
  </rdf:Description>
 </rdf:RDF>
</x:xmpmeta>
<?xpacket end="r"?>""".encode("utf-8")


def _pdf_date(d: datetime) -> str:
    off = d.strftime("%z") or "+0000"
    return d.strftime("D:%Y%m%d%H%M%S") + f"{off[:3]}'{off[3:]}'"


def write_part(reader: PdfReader, pages: range, identity: PdfIdentity, out: Path,
               codes_at: list[pagecode.Place] | None = None, fields: list[dict] | None = None) -> None:
    """Write pages `pages` of the batch PDF in `reader` to `out` as the document `identity`.

    The pages keep their content and their (batch-wide) font subsets; the catalog gets the
    batch's PDF/A OutputIntents, this document's own XMP, /Info, /ID and record.json as an
    associated file (/AF, relationship Data), so each part is a PDF/A-3b document of its own.
    With `codes_at` (one place per page), page k also gets its QR code FS1:<doc_id>:k/n there.
    With `fields` (signing.place_fields' output, pages counted within this part), the part gets
    those empty signature fields and its /AcroForm (signing.write_fields).
    """
    src_root = reader.trailer["/Root"]
    writer = PdfWriter()
    writer.pdf_header = b"%PDF-1.7"
    for k in pages:
        writer.add_page(reader.pages[k])
    if codes_at is not None:
        save = pagecode.opening_save(writer)
        for k, (page, place) in enumerate(zip(writer.pages, codes_at), 1):
            pagecode.stamp(writer, page, codes.encode(identity.doc_id, k, len(pages)), place, save)
    if fields:
        from ..signing import write_fields
        write_fields(writer, fields)
    root = writer._root_object
    root[NameObject("/OutputIntents")] = src_root["/OutputIntents"].clone(writer)
    root[NameObject("/Lang")] = TextStringObject(identity.lang)
    xmp = DecodedStreamObject()
    xmp.set_data(_xmp(identity, PRODUCER))
    xmp.update({NameObject("/Type"): NameObject("/Metadata"), NameObject("/Subtype"): NameObject("/XML")})
    root[NameObject("/Metadata")] = writer._add_object(xmp)
    when = _pdf_date(identity.created)
    writer.add_metadata({"/Title": identity.title, "/Author": identity.author,
                         "/Subject": identity.subject, "/Keywords": ", ".join(identity.keywords),
                         "/Creator": "formsmith", "/Producer": PRODUCER,
                         "/CreationDate": when, "/ModDate": when})
    attached = writer.add_attachment(identity.record_name, identity.record_json)
    attached.subtype = NameObject("/application#2Fjson")
    attached.pdf_object[NameObject("/UF")] = TextStringObject(identity.record_name)
    attached.description = TextStringObject(f"{identity.doc_no} 数据记录 (record)")
    attached.associated_file_relationship = NameObject("/Data")
    attached.modification_date = identity.created
    root[NameObject("/AF")] = ArrayObject([attached.pdf_object.indirect_reference])
    digest = hashlib.md5(identity.record_json).digest()  # noqa: S324 - an identifier, not security
    writer._ID = ArrayObject([ByteStringObject(identity.doc_id.encode("ascii")), ByteStringObject(digest)])
    with open(out, "wb") as fh:
        writer.write(fh)
