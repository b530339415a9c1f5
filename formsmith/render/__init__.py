"""Rendering engines: each turns a template and its context into a finished PDF file."""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path


@dataclass(frozen=True)
class PdfIdentity:
    """What every issued PDF carries besides its body: number, id, metadata, attached record."""

    doc_no: str
    doc_id: str
    title: str
    author: str
    subject: str
    keywords: tuple[str, ...]
    record_json: bytes
    created: datetime
    lang: str = "zh-CN"

    @property
    def record_name(self) -> str:
        return "record.json"


@dataclass(frozen=True)
class RenderedPdf:
    """What an engine reports about the file it wrote."""

    pages: int
    # Boxes of the elements the template asked for (signature-field anchors such as
    # ".seal-area"): selector → ((page index, (x0, y0, x1, y1) in PDF points from the
    # bottom-left corner)), one union box per page the element is on.
    anchors: dict[str, tuple[tuple[int, tuple[float, float, float, float]], ...]] = \
        field(default_factory=dict)
    # Further files written beside the PDF, by kind (the Word engine's editable "docx");
    # issuing places each next to the final PDF with the kind as suffix and records it.
    side_files: dict[str, Path] = field(default_factory=dict)


def engine_for(name: str):
    """The rendering engine registered under `name`."""
    if name == "html":
        from . import html
        return html
    if name == "docx":
        from . import docx
        return docx
    from ..errors import TemplateError
    raise TemplateError(f"no rendering engine {name!r}")
