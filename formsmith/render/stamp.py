"""A stamp across every page of an issued PDF: the 作废 copy of a voided document.

The issued file is never changed; the stamped copy is a new file beside it (`X.void.pdf`):
each page of the original with a red 作废 across it and, at its foot, when, by whom and why.
"""
from __future__ import annotations

import html
import io
from pathlib import Path

from ..files import staged


def stamp_overlay(text: str, note: str, sizes: list[tuple[float, float]], fonts: dict[str, str]) -> bytes:
    """One PDF page per size (points) holding the stamp: `text` large across it, `note` below."""
    from weasyprint import HTML

    from .html import font_config
    pages = "".join(
        f'<section style="width:{w}pt;height:{h}pt"><div class="big">{html.escape(text)}</div>'
        f'<div class="note">{html.escape(note)}</div></section>' for w, h in sizes)
    w0, h0 = sizes[0]
    doc = f"""<html><head><style>
      @page {{ size: {w0}pt {h0}pt; margin: 0 }}
      body {{ margin: 0 }}
      section {{ position: relative; page-break-after: always; overflow: hidden }}
      .big {{ position: absolute; top: 38%; left: 0; right: 0; text-align: center; transform: rotate(-30deg);
              font-family: "{fonts.get('sans', 'Noto Sans CJK SC')}"; font-size: 120pt; font-weight: bold;
              color: rgba(200, 0, 0, 0.55); letter-spacing: 30pt }}
      .note {{ position: absolute; bottom: 10mm; left: 15mm; right: 15mm; text-align: center;
               font-family: "{fonts.get('serif', 'Noto Serif CJK SC')}"; font-size: 10pt; color: #c00000 }}
    </style></head><body>{pages}</body></html>"""
    return HTML(string=doc).write_pdf(font_config=font_config())


def write_stamped_copy(source: Path, dest: Path, text: str, note: str, fonts: dict[str, str]) -> None:
    """`source` with the stamp over every page, written to `dest` (never over an existing file)."""
    from pypdf import PdfReader, PdfWriter
    reader = PdfReader(str(source))
    sizes = [(float(p.mediabox.width), float(p.mediabox.height)) for p in reader.pages]
    overlay = PdfReader(io.BytesIO(stamp_overlay(text, note, sizes, fonts)))
    writer = PdfWriter(clone_from=reader)
    for page, stamp in zip(writer.pages, overlay.pages):
        page.merge_page(stamp)
    with staged(dest, overwrite=False) as st:
        with open(st.tmp, "wb") as fh:
            writer.write(fh)
        st.publish()
