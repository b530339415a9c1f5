"""Cut letters out of a batch PDF by copying their objects' bytes, not by re-writing them.

A batch of 100 letters shares its fonts; each letter's own PDF/A needs the pages of that letter,
every object they reach (fonts, colour profiles) and its own catalog, metadata and record.json.
pypdf builds each part by parsing and re-serialising every object it copies (~2 ms a letter,
more than Typst needs to lay the letter out). When the batch file keeps its objects one by one
behind a classic cross-reference table — as Typst writes it — the objects a letter reaches can
be copied as the bytes they are, keeping their numbers; only the page objects (new parent, the
QR drawn after their content) and the document's own objects are written anew. The result is
an ordinary PDF whose cross-reference table lists the objects it has (in subsections).

A batch that packs its objects into object streams (WeasyPrint's) is first rewritten by qpdf
with every object on its own (`BatchPdf.of`); `splittable()` says whether that is needed.
"""
from __future__ import annotations

import hashlib
import io
import zlib
from datetime import datetime
from pathlib import Path
from typing import Sequence, cast
from xml.sax.saxutils import escape

from pypdf import PdfReader
from pypdf.generic import (ArrayObject, ByteStringObject, DictionaryObject, IndirectObject,
                           NameObject, NumberObject, StreamObject, TextStringObject)

from .. import codes
from . import PdfIdentity, pagecode

HEADER = b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n"
PRODUCER = "formsmith"


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


def splittable(reader: PdfReader) -> bool:
    """Whether every object of the batch sits on its own in the file (no object streams, a
    classic cross-reference table), so its bytes can be copied."""
    return (not reader.xref_objStm and "/XRefStm" not in reader.trailer
            and set(reader.xref) <= {0, 65535} and bool(reader.xref.get(0)))


def _serial(obj) -> bytes:
    """PDF syntax of `obj` (pypdf generic objects): written here for the few kinds a letter's own
    objects use, pypdf's writer for the rest (it is several times slower per object)."""
    if isinstance(obj, IndirectObject):
        return b"%d %d R" % (obj.idnum, obj.generation)
    if isinstance(obj, NameObject):
        return obj.encode("ascii") if obj.isascii() and obj.isprintable() and " " not in obj else _pypdf(obj)
    if isinstance(obj, TextStringObject):
        if obj.isascii() and obj.isprintable():
            return b"(" + obj.encode("ascii").replace(b"\\", b"\\\\").replace(b"(", b"\\(").replace(b")", b"\\)") + b")"
        return b"<FEFF" + obj.encode("utf-16-be").hex().upper().encode("ascii") + b">"
    if isinstance(obj, ByteStringObject):
        return b"<" + bytes(obj).hex().upper().encode("ascii") + b">"
    if isinstance(obj, NumberObject):
        return b"%d" % obj
    if isinstance(obj, DictionaryObject) and not isinstance(obj, StreamObject):
        return b"<<" + b"".join(_serial(k) + b" " + _serial(v) for k, v in obj.items()) + b">>"
    if isinstance(obj, ArrayObject):
        return b"[" + b" ".join(_serial(v) for v in obj) + b"]"
    return _pypdf(obj)


def _pypdf(obj) -> bytes:
    out = io.BytesIO()
    obj.write_to_stream(out)
    return out.getvalue()


def _ref(num: int) -> IndirectObject:
    return IndirectObject(num, 0, None)


class BatchPdf:
    """A batch PDF (bytes) whose letters are cut out by `write_letter`."""

    def __init__(self, data: bytes, producer: str = PRODUCER):
        self.data = data
        self.producer = producer
        self.reader = PdfReader(io.BytesIO(data))
        if not splittable(self.reader):
            raise ValueError("the batch PDF keeps objects in object streams")
        offsets = {num: off for num, off in self.reader.xref[0].items() if off}
        self.xref_at = xref_at = int(data[data.rindex(b"startxref") + 9:].split()[0])
        ordered = sorted(offsets.items(), key=lambda item: item[1])
        ends = [off for _, off in ordered[1:]] + [xref_at]
        # Each object's bytes run from its offset to the next object's (or the xref table).
        self.spans = {num: (off, end) for (num, off), end in zip(ordered, ends)}
        self.next_num = max(offsets) + 1
        # a page read from a file always has its reference
        self.page_refs = [cast(IndirectObject, p.indirect_reference).idnum for p in self.reader.pages]
        self._reach: dict[int, frozenset[int]] = {}
        self._codes: dict[tuple, bytes] = {}
        root = self.reader.trailer["/Root"]
        # As the batch holds it: a reference, or an array of references.
        catalog = cast(DictionaryObject, root.get_object())   # reader.pages above read it: a dictionary
        self.intents = catalog.raw_get("/OutputIntents") if "/OutputIntents" in catalog else None

    @classmethod
    def of(cls, data: bytes, producer: str = PRODUCER) -> "BatchPdf":
        """The batch `data`, its objects first taken out of object streams by qpdf (pikepdf)
        where the engine packed them (WeasyPrint does): ~0.1 ms a letter, the bytes of every
        object and stream unchanged otherwise."""
        reader = PdfReader(io.BytesIO(data))
        if not splittable(reader):
            import pikepdf
            with pikepdf.open(io.BytesIO(data)) as pdf:
                out = io.BytesIO()
                pdf.save(out, object_stream_mode=pikepdf.ObjectStreamMode.disable,
                         stream_decode_level=pikepdf.StreamDecodeLevel.none,
                         normalize_content=False, linearize=False)
            data = out.getvalue()
        return cls(data, producer)

    def _refs(self, value) -> list[int]:
        """The numbers of the objects `value` refers to directly (not through /Parent)."""
        found, stack = [], [value]
        while stack:
            v = stack.pop()
            if isinstance(v, IndirectObject):
                found.append(v.idnum)
            elif isinstance(v, DictionaryObject):   # StreamObject is one too
                stack.extend(val for key, val in v.items() if key != "/Parent")
            elif isinstance(v, ArrayObject):
                stack.extend(v)
        return found

    def reach(self, num: int) -> frozenset[int]:
        """Object `num` and every object it reaches (not through /Parent), remembered: the
        letters of a batch share their fonts, which are walked once."""
        done = self._reach.get(num)
        if done is not None:
            return done
        found: set[int] = set()
        stack = [num]
        while stack:
            n = stack.pop()
            if n in found:
                continue
            known = self._reach.get(n)
            if known is not None:
                found |= known
                continue
            found.add(n)
            stack.extend(self._refs(self.reader.get_object(n)))
        self._reach[num] = frozenset(found)
        return self._reach[num]

    def _objects(self, value, found: set[int]) -> None:
        """Add the objects `value` reaches to `found`."""
        for n in self._refs(value):
            found |= self.reach(n)

    def raw(self, num: int) -> bytes:
        start, end = self.spans[num]
        return self.data[start:end].rstrip() + b"\n"

    # ------------------------------------------------------------ one letter

    def write_letter(self, pages: range, identity: PdfIdentity, out: Path,
                     codes_at: list[pagecode.Place], fields: Sequence[dict] = ()) -> str:
        """The pages `pages` of the batch as the document `identity` (its own PDF/A-3b
        catalog, XMP, /Info, /ID and record.json), each page with its QR code, to `out`.
        `fields` are empty signature fields to put on its pages (signing.place_fields' output,
        written as signing.write_fields writes them). Returns the file's SHA-256 (hex)."""
        new = _NewObjects(self.next_num)
        add = new.add
        copied: set[int] = set()
        pages_num = add(b"")          # filled below, once the kids are known
        save = add(_stream({}, b"q\n"))
        kids = []
        form_fields: list = []
        count = len(pages)
        for k, index in enumerate(pages, 1):
            page_num = self.page_refs[index]
            page = cast(DictionaryObject, self.reader.get_object(page_num))     # a page dictionary
            for key, value in page.items():
                if key not in ("/Parent", "/Contents"):
                    self._objects(value, copied)
            for c in _contents(page):
                self._objects(c, copied)
            rewritten = _coded(page, save, add(self._code_stream(codes.encode(identity.doc_id, k, count),
                                                                 codes_at[k - 1])))
            rewritten[NameObject("/Parent")] = _ref(pages_num)
            mine = [f for f in fields if f["page"] == k - 1]
            if mine:
                annots = page.get("/Annots")
                annots = list(annots.get_object()) if annots is not None else []
                for f in mine:
                    widget = add(_widget(f, page_num, add(_appearance(f))))
                    annots.append(_ref(widget))
                    form_fields.append(_ref(widget))
                rewritten[NameObject("/Annots")] = ArrayObject(annots)
            new.put(page_num, _serial(rewritten))
            copied.discard(page_num)
            kids.append(_ref(page_num))
        new.put(pages_num, _serial(DictionaryObject({
            NameObject("/Type"): NameObject("/Pages"), NameObject("/Kids"): ArrayObject(kids),
            NameObject("/Count"): NumberObject(len(kids))})))
        self._objects(self.intents, copied)
        metadata = add(_stream({"/Type": NameObject("/Metadata"), "/Subtype": NameObject("/XML")},
                               _xmp(identity, self.producer)))
        when = _pdf_date(identity.created)
        record = identity.record_json
        embedded = add(_stream({
            "/Type": NameObject("/EmbeddedFile"), "/Subtype": NameObject("/application#2Fjson"),
            "/Params": DictionaryObject({NameObject("/Size"): NumberObject(len(record)),
                                         NameObject("/ModDate"): TextStringObject(when)})}, record))
        spec = add(_serial(DictionaryObject({
            NameObject("/Type"): NameObject("/Filespec"),
            NameObject("/F"): TextStringObject(identity.record_name),
            NameObject("/UF"): TextStringObject(identity.record_name),
            NameObject("/Desc"): TextStringObject(f"{identity.doc_no} 数据记录 (record)"),
            NameObject("/AFRelationship"): NameObject("/Data"),
            NameObject("/EF"): DictionaryObject({NameObject("/F"): _ref(embedded),
                                                 NameObject("/UF"): _ref(embedded)})})))
        catalog = add(_serial(DictionaryObject({
            NameObject("/Type"): NameObject("/Catalog"), NameObject("/Pages"): _ref(pages_num),
            NameObject("/Lang"): TextStringObject(identity.lang),
            NameObject("/Metadata"): _ref(metadata),
            NameObject("/Names"): DictionaryObject({NameObject("/EmbeddedFiles"): DictionaryObject({
                NameObject("/Names"): ArrayObject([TextStringObject(identity.record_name), _ref(spec)])})}),
            NameObject("/AF"): ArrayObject([_ref(spec)]),
            **({NameObject("/OutputIntents"): self.intents} if self.intents is not None else {}),
            **({NameObject("/AcroForm"): DictionaryObject({
                NameObject("/Fields"): ArrayObject(form_fields),
                NameObject("/SigFlags"): NumberObject(3)})} if form_fields else {})})))
        info = add(_serial(DictionaryObject({
            NameObject(k): TextStringObject(v) for k, v in (
                ("/Title", identity.title), ("/Author", identity.author), ("/Subject", identity.subject),
                ("/Keywords", ", ".join(identity.keywords)), ("/Creator", "formsmith"),
                ("/Producer", self.producer), ("/CreationDate", when), ("/ModDate", when))})))
        digest = hashlib.md5(record).digest()  # noqa: S324 - an identifier, not security
        trailer_id = ArrayObject([ByteStringObject(identity.doc_id.encode("ascii")), ByteStringObject(digest)])

        buf = io.BytesIO()
        buf.write(HEADER)
        offsets: dict[int, int] = {}
        for n in sorted(copied):
            offsets[n] = buf.tell()
            buf.write(self.raw(n))
        new.write(buf, offsets)
        _xref(buf, offsets, new.next, catalog, info, trailer_id)
        data = buf.getvalue()
        with open(out, "wb") as fh:
            fh.write(data)
        return hashlib.sha256(data).hexdigest()

    def _code_stream(self, payload: str, place: pagecode.Place) -> bytes:
        """The content stream drawing the code (after the page's own, wrapped in q … Q): made
        once per page and payload, for the letter's file and again for the print pages."""
        key = (payload, place)
        stream = self._codes.pop(key, None)
        if stream is None:
            stream = _stream({"/Filter": NameObject("/FlateDecode")},
                             zlib.compress(b"\nQ\n" + pagecode.qr_ops(payload, place)))
            self._codes[key] = stream
        return stream

    # ------------------------------------------------------------ the print pages

    def write_stamped(self, coded_pages: list[tuple[int, str, pagecode.Place]], out: Path) -> None:
        """The whole batch with each page's QR code (page index, payload, place) to `out`: the
        batch's own bytes plus an incremental update that draws the codes."""
        new = _NewObjects(self.next_num)
        save = new.add(_stream({}, b"q\n"))
        for index, payload, place in coded_pages:
            page_num = self.page_refs[index]
            new.put(page_num, _serial(_coded(self.reader.get_object(page_num), save,
                                             new.add(self._code_stream(payload, place)))))
        buf = io.BytesIO()
        buf.write(self.data)
        if not self.data.endswith(b"\n"):
            buf.write(b"\n")
        offsets: dict[int, int] = {}
        new.write(buf, offsets)
        root = self.reader.trailer.raw_get("/Root")
        info = self.reader.trailer.raw_get("/Info") if "/Info" in self.reader.trailer else None
        _xref(buf, offsets, new.next, root.idnum, info.idnum if info is not None else None,
              self.reader.trailer.get("/ID"), prev=self.xref_at)
        with open(out, "wb") as fh:
            fh.write(buf.getvalue())


def _number(v: float) -> bytes:
    return b"%d" % int(v) if float(v).is_integer() else (b"%.2f" % v).rstrip(b"0")


def _appearance(f: dict) -> bytes:
    """The empty appearance stream of a signature field (PDF/A wants one for every annotation)."""
    x0, y0, x1, y1 = f["rect"]
    return (b"<</Type/XObject/Subtype/Form/BBox[0 0 " + _number(x1 - x0) + b" " + _number(y1 - y0)
            + b"]/Resources<<>>/Length 0>>\nstream\n\nendstream")


def _widget(f: dict, page_num: int, appearance: int) -> bytes:
    """A signature field merged with its widget, as signing.write_fields (and pyHanko) write it."""
    d = DictionaryObject({
        NameObject("/FT"): NameObject("/Sig"), NameObject("/T"): TextStringObject(f["name"]),
        NameObject("/Type"): NameObject("/Annot"), NameObject("/Subtype"): NameObject("/Widget"),
        NameObject("/F"): NumberObject(132), NameObject("/P"): _ref(page_num)})
    body = _serial(d)[:-2] + b"/Rect[" + b" ".join(_number(v) for v in f["rect"]) + b"]"
    if f.get("role"):
        body += b"/TU" + _serial(TextStringObject(f["role"]))
    return body + b"/AP<</N %d 0 R>>>>" % appearance


class _NewObjects:
    """The objects a written file adds or replaces, numbered from `first` on, in PDF syntax."""

    def __init__(self, first: int):
        self.next = first
        self.bodies: dict[int, bytes] = {}

    def add(self, body: bytes) -> int:
        """A new object; its number."""
        self.bodies[self.next] = body
        self.next += 1
        return self.next - 1

    def put(self, num: int, body: bytes) -> None:
        """Object `num` written anew (a batch object replaced, or a number taken by add)."""
        self.bodies[num] = body

    def write(self, buf: io.BytesIO, offsets: dict[int, int]) -> None:
        for n in sorted(self.bodies):
            offsets[n] = buf.tell()
            buf.write(b"%d 0 obj\n" % n + self.bodies[n] + b"\nendobj\n")


def _coded(page, save: int, code: int) -> DictionaryObject:
    """A copy of `page` whose content is wrapped in q … Q (the `save` stream opens it, the
    `code` stream closes it and draws the QR)."""
    rewritten = DictionaryObject(page)
    rewritten[NameObject("/Contents")] = ArrayObject([_ref(save), *_contents(page), _ref(code)])
    return rewritten


def _contents(page) -> list:
    """The page's content streams as a list of references (however /Contents holds them)."""
    contents = page.raw_get("/Contents") if "/Contents" in page else None
    if contents is None:
        return []
    if isinstance(contents, IndirectObject):
        target = contents.get_object()
        if isinstance(target, ArrayObject):
            return list(target)
    if isinstance(contents, ArrayObject):
        return list(contents)
    return [contents]


def _stream(entries: dict, data: bytes) -> bytes:
    d = DictionaryObject({NameObject(k): v for k, v in entries.items()})
    d[NameObject("/Length")] = NumberObject(len(data))
    return _serial(d) + b"\nstream\n" + data + b"\nendstream"


def _xref(buf: io.BytesIO, offsets: dict[int, int], size: int, root: int, info: int | None,
          trailer_id, prev: int | None = None) -> None:
    """A cross-reference table listing `offsets` (in subsections of consecutive numbers, object 0
    first), the trailer and startxref."""
    at = buf.tell()
    # Object 0 heads the free list, also in an update (as pyHanko and qpdf write theirs: some
    # readers take a table not starting at 0 for one numbered from its first entry).
    entries = [(0, None)] + sorted(offsets.items())
    lines = [b"xref\n"]
    run: list = []

    def flush() -> None:
        if run:
            lines.append(b"%d %d\n" % (run[0][0], len(run)))
            lines.extend(b"0000000000 65535 f \n" if off is None else b"%010d 00000 n \n" % off
                         for _, off in run)
    for n, off in entries:
        if run and n != run[-1][0] + 1:
            flush()
            run = []
        run.append((n, off))
    flush()
    buf.write(b"".join(lines))
    trailer = DictionaryObject({NameObject("/Size"): NumberObject(size), NameObject("/Root"): _ref(root)})
    if info is not None:
        trailer[NameObject("/Info")] = _ref(info)
    if trailer_id is not None:
        trailer[NameObject("/ID")] = trailer_id
    if prev is not None:
        trailer[NameObject("/Prev")] = NumberObject(prev)
    buf.write(b"trailer\n" + _serial(trailer) + b"\nstartxref\n%d\n%%%%EOF\n" % at)
