"""What an accountant checks on any receipt formsmith issues (templates/_base/receipt.html): one A4
sheet, three 联 top to bottom with a cut line between each two, the same number on each, the
amount in figures and 大写, 不作报销凭证 on the 收据联, and its seal place on the 收据联 covering no
text but 收款单位（盖章）, the name and the date."""
from __future__ import annotations

import re
from decimal import Decimal
from pathlib import Path

import pypdfium2 as pdfium

from formsmith import formats
from pdftools import page_texts, signature_widgets, text_boxes

MM = 72 / 25.4
PARTS = ("存根联", "收据联", "记账联")


def text_in(path: Path, rect, page: int = 0) -> str:
    pdf = pdfium.PdfDocument(str(path))
    try:
        return "".join(pdf[page].get_textpage().get_text_bounded(*rect).split())
    finally:
        pdf.close()


def assert_receipt_sheet(path: Path, doc: dict, company: str, total: Decimal, date_cn: str) -> None:
    """`path` (the issued file of store row `doc`) is one receipt sheet as described above."""
    (text,) = page_texts(path)
    assert doc["pages"] == 1
    # three 联, top to bottom, each between two cut lines, each with the number and the total
    tops = []
    for label in PARTS:
        (box,) = text_boxes(path, label)
        tops.append(box[3])
    for n, label in zip(("第一联", "第二联", "第三联"), PARTS):
        assert f"{n}{label}" in text
    cuts = [b[1] for b in text_boxes(path, "沿此线剪下")]
    assert len(cuts) == 2 and tops[0] > cuts[0] > tops[1] > cuts[1] > tops[2], (tops, cuts)
    number = doc["doc_no"].removeprefix("No.")
    numbered = [b for b in text_boxes(path, number) if b[1] > 20 * MM]    # not the page's footer
    assert len(numbered) == 3 and all(top > b[1] for top, b in zip(tops, numbered))
    words = formats.rmb_words(total)
    assert text.count(f"合计人民币（大写）：{words}{formats.money_yen(total)}") == 3, text
    assert text.count("本收据不作报销凭证，可凭此换开发票。") == 1
    (note,) = text_boxes(path, "不作报销凭证")
    assert tops[1] > note[3] and note[1] > cuts[1]                          # on the 收据联
    # the seal place: the seal field, on the 收据联, a 42 mm seal fits, nothing inside but its words
    (seal,) = [f for f in doc["signature_fields"] if f["kind"] == "seal"]
    fields = signature_widgets(path)["fields"]
    assert fields[seal["name"]]["rect"] == seal["rect"] and fields[seal["name"]]["page"] == 0
    x0, y0, x1, y1 = seal["rect"]
    assert x1 - x0 >= 43 * MM and y1 - y0 >= 43 * MM, seal["rect"]
    assert cuts[0] > y1 and y0 > cuts[1], (seal["rect"], cuts)
    assert text_in(path, seal["rect"]) == f"收款单位（盖章）{company}{date_cn}"
    (word,) = text_boxes(path, "（盖章）")
    assert x0 <= word[0] and word[2] <= x1 and y0 <= word[1] and word[3] <= y1
    assert not re.search(r"（盖章）", text.replace("收款单位（盖章）", "", 1))   # one place to seal
