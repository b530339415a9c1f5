"""Rendering engines: each turns a template and its context into a finished PDF file."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime


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


def engine_for(name: str):
    """The rendering engine registered under `name`."""
    if name == "html":
        from . import html
        return html
    if name == "typst":
        from . import typst
        return typst
    from ..errors import TemplateError
    raise TemplateError(f"no rendering engine {name!r}")
