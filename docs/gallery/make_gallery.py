"""Render the first page of every built-in template from its example data into docs/gallery/.

    .venv/bin/python docs/gallery/make_gallery.py          (or: make gallery)

Each template is issued for real (numbered, QR-coded, PDF/A) in a throw-away demo workspace,
so the picture is exactly what a clerk gets; its first page becomes docs/gallery/<id>.png
(~100 dpi, grey levels, small), and README.md's gallery block, between the markers
<!-- gallery:start --> and <!-- gallery:end -->, is rewritten to show them all.
Exit status 1 if any template failed to render (the others are still written).
"""
from __future__ import annotations

import html
import subprocess
import sys
import tempfile
from pathlib import Path

import pypdfium2 as pdfium
from PIL import Image

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO))

from formsmith import issuing  # noqa: E402
from formsmith.errors import FormsmithError  # noqa: E402
from formsmith.workspace import BUILTIN_TEMPLATES, find_workspace  # noqa: E402

GALLERY = REPO / "docs" / "gallery"
README = REPO / "README.md"
START, END = "<!-- gallery:start -->", "<!-- gallery:end -->"
DPI = 100
COLUMNS = 3


def first_page_png(pdf: Path, out: Path, dpi: int = DPI) -> None:
    """Page 1 as a small PNG: 16 grey levels (documents are black on white), optimised."""
    doc = pdfium.PdfDocument(str(pdf))
    try:
        image = doc[0].render(scale=dpi / 72, grayscale=True).to_pil().convert("L")
    finally:
        doc.close()
    image = image.quantize(colors=16, method=Image.Quantize.MEDIANCUT, dither=Image.Dither.NONE)
    image.save(out, optimize=True)


def render_all(home: Path) -> tuple[list[tuple[str, str]], list[str]]:
    """Issue every built-in template's example in the workspace at `home`; (id, title) done, errors."""
    ws = find_workspace(home)
    done, errors = [], []
    for tpl in ws.catalog.list():
        if tpl.folder.parent != BUILTIN_TEMPLATES:
            continue
        try:
            if tpl.id == "fee-receipt":     # a receipt is only ever issued for a recorded payment
                doc = _a_payment(ws)
            else:
                doc = issuing.issue_document(ws, tpl.id, data=tpl.example, again=True,
                                             source_name=f"{tpl.id} example")
        except FormsmithError as exc:
            errors.append(f"{tpl.id}: " + "; ".join(exc.lines()))
            continue
        first_page_png(Path(doc.path), GALLERY / f"{tpl.id}.png")
        done.append((tpl.id, tpl.title))
        print(f"{tpl.id:<24} {doc.pages:>3} 页  docs/gallery/{tpl.id}.png "
              f"({(GALLERY / f'{tpl.id}.png').stat().st_size // 1024} KB)")
    return done, errors


def _a_payment(ws):
    """The receipt of a real payment: what the demo's first owing unit owes, paid in cash."""
    from datetime import date
    from decimal import Decimal

    from formsmith.processes.ledger.payments import pay
    with ws.store.snapshot() as view:
        owed: dict[str, Decimal] = {}
        for c in view.all("charges"):
            if not c.get("paid_on") and c["due"] < "2025-12-01":
                owed[c["unit"]] = owed.get(c["unit"], Decimal("0.00")) + Decimal(c["amount"])
    unit = min(owed)
    return pay(ws, unit, owed[unit], method="现金", paid_on=date(2025, 12, 1)).receipt


def gallery_block(done: list[tuple[str, str]]) -> str:
    """The README block: a table of first pages, COLUMNS to a row, each captioned title and id."""
    rows = []
    for i in range(0, len(done), COLUMNS):
        chunk = done[i:i + COLUMNS]
        cells = [f'<td align="center"><img src="docs/gallery/{tid}.png" width="240" '
                 f'alt="{html.escape(title)}"><br>{html.escape(title)}<br><code>{tid}</code></td>'
                 for tid, title in chunk]
        rows.append("<tr>" + "".join(cells) + "</tr>")
    return "\n".join([START, "<table>", *rows, "</table>", END])


def write_readme(block: str) -> None:
    text = README.read_text(encoding="utf-8")
    if START in text and END in text:
        head, rest = text.split(START, 1)
        _, tail = rest.split(END, 1)
        text = head + block + tail
    else:
        text = text.rstrip("\n") + "\n\n## Gallery\n\nThe first page of every template, rendered " \
               "from its example data by `make gallery`.\n\n" + block + "\n"
    README.write_text(text, encoding="utf-8")


def main() -> int:
    GALLERY.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="formsmith-gallery-") as tmp:
        home = Path(tmp) / "ws"
        # The demo community: templates whose rules look up records find them.
        subprocess.run([sys.executable, "-m", "formsmith.cli", "init", "--demo", str(home)],
                       check=True, capture_output=True, cwd=REPO)
        done, errors = render_all(home)
    write_readme(gallery_block(done))
    print(f"{len(done)} template(s) in docs/gallery/, README.md gallery block updated")
    for line in errors:
        print(f"FAILED {line}", file=sys.stderr)
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main())
