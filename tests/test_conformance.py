"""Every template with every engine it has, rendered from its example data and issued, then
sealed: each file must pass veraPDF -f 3b, qpdf, Ghostscript, carry its declared signature
fields and /Lang zh-CN (tests/conformance.py has the cases and the verdict)."""
from __future__ import annotations

import pytest
from pypdf import PdfReader

from conformance import SINGLE_CASES, _case_id, assert_issued_file_conforms, sealing_env, singles  # noqa: F401

pytestmark = pytest.mark.slow


@pytest.mark.parametrize("case", SINGLE_CASES, ids=_case_id)
def test_every_template_with_every_engine_issues_a_conforming_file(singles, case):  # noqa: F811
    for path, verdict, declared in singles[case]:
        assert_issued_file_conforms(path, verdict, declared, sealed=case[2])


# Templates whose （盖章） is stamped by hand on each of several cut-out parts: one electronic
# seal (one field of kind "seal") cannot sit on each of them.
HAND_SEALED = {"worker-pass": "eight cut-out cards a sheet, each stamped by hand at the gate office"}


@pytest.mark.parametrize("tid", sorted({c[0] for c in SINGLE_CASES} - set(HAND_SEALED)))
def test_every_seal_the_page_asks_for_has_its_field_and_the_seal_covers_the_request(singles, tid):  # noqa: F811
    """Every page that says （盖章） carries a signature field over it (the company's own: the
    field of kind "seal", where `formsmith seal` draws); sealed, the seal shows there and the
    words （盖章） under it no longer do."""
    from pdftools import signature_widgets, text_boxes
    from test_signing import dark_pixels, render_with_forms

    def inside(box, rect):
        return rect[0] <= box[0] and box[2] <= rect[2] and rect[1] <= box[1] and box[3] <= rect[3]

    for engine in sorted({c[1] for c in SINGLE_CASES if c[0] == tid}):
        (plain, _, _), = singles[(tid, engine, False)]
        (sealed, _, _), = singles[(tid, engine, True)]
        fields = signature_widgets(plain)["fields"]
        pages = len(PdfReader(str(plain)).pages)
        asks = [(p, b) for p in range(pages) for b in text_boxes(plain, "（盖章）", p)]
        for page, box in asks:
            assert any(f["page"] == page and inside(box, f["rect"]) for f in fields.values()), \
                f"{tid}/{engine}: （盖章） on page {page + 1} at {box} has no field over it: {fields}"
        if not asks:
            continue
        seal = [(n, f) for n, f in signature_widgets(sealed)["fields"].items() if f["signed"]]
        assert len(seal) == 1 and seal[0][1]["appearance"] is not None, (tid, engine, seal)
        name, field = seal[0]
        covered = [b for p, b in asks if p == field["page"] and inside(b, field["rect"])]
        assert covered, f"{tid}/{engine}: the seal field {name} covers no （盖章）"
        dpi = 100
        before, after = render_with_forms(plain, field["page"], dpi), render_with_forms(sealed, field["page"], dpi)
        for b in covered:
            px = (round(b[0] * dpi / 72), round(before.height - b[3] * dpi / 72),
                  round(b[2] * dpi / 72), round(before.height - b[1] * dpi / 72))
            assert dark_pixels(before, px) > 20 and dark_pixels(after, px) == 0, (tid, engine, b)
