"""Each ingest stage alone: preflight, read codes, split, signature check."""
from __future__ import annotations

import hashlib
from pathlib import Path

import pytest
from PIL import Image, ImageDraw
from pypdf import PdfWriter

import scansim
from formsmith import codes
from formsmith.ingest import preflight, rasterize, readcodes, signature, split
from formsmith.ingest.model import ScanPage, SourceFile
from formsmith.workspace import find_workspace


@pytest.fixture(scope="module")
def letter(demo_home):
    """An issued one-page letter of the demo (read only): its row and its printed page."""
    with find_workspace(demo_home).store.snapshot() as view:
        row = sorted(view.find("documents", template="dunning-letter"), key=lambda d: d["seq"])[0]
    return row, demo_home / row["path"], scansim.printed(demo_home / row["path"])[0]


# ------------------------------------------------------------------ preflight

def test_type_is_read_from_content_not_name(tmp_path, letter):
    _, pdf, page = letter
    png_named_pdf = tmp_path / "scan.pdf"
    page.save(png_named_pdf, format="PNG")
    pdf_named_jpg = tmp_path / "scan.jpg"
    pdf_named_jpg.write_bytes(pdf.read_bytes())
    a, b = preflight.inspect(png_named_pdf), preflight.inspect(pdf_named_jpg)
    assert (a.kind, a.refused, a.pages) == ("png", "", 1)
    assert (b.kind, b.refused, b.pages) == ("pdf", "", 1)
    assert b.sha256 == hashlib.sha256(pdf.read_bytes()).hexdigest()


@pytest.mark.parametrize("name, content, reason", [
    ("empty.pdf", b"", "空文件"),
    ("notes.pdf", "会议纪要".encode(), "不是PDF或图片"),
    ("cut.jpg", b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + b"\x00" * 40, "图片已损坏"),
    ("broken.pdf", b"%PDF-1.7\n1 0 obj garbage", "PDF已损坏"),
])
def test_unreadable_inputs_are_refused_with_a_reason(tmp_path, name, content, reason):
    path = tmp_path / name
    path.write_bytes(content)
    src = preflight.inspect(path)
    assert reason in src.refused


def test_size_limit_and_decompression_bomb(tmp_path, letter):
    _, pdf, _ = letter
    assert "文件过大" in preflight.inspect(pdf, max_bytes=1000).refused
    bomb = tmp_path / "bomb.png"
    Image.new("1", (11000, 11000)).save(bomb)          # 121 MP of nothing: a few KB on disk
    assert bomb.stat().st_size < 1 << 20
    assert "像素过多" in preflight.inspect(bomb).refused


def test_folders_are_walked_hidden_files_skipped(tmp_path):
    (tmp_path / "a" / ".sync").mkdir(parents=True)
    for p in ("a/2.pdf", "a/1.jpg", "a/.sync/x.pdf", "b.png"):
        (tmp_path / p).write_bytes(b"x")
    got = preflight.expand([tmp_path / "a", tmp_path / "b.png"])
    assert [p.relative_to(tmp_path).as_posix() for p in got] == ["a/1.jpg", "a/2.pdf", "b.png"]


# ------------------------------------------------------------------ read codes

def _page_from(image: Image.Image, tmp: Path, name: str, dpi: int = 150) -> ScanPage:
    path = tmp / name
    scansim.save_pdf([image], path, dpi=dpi)
    return readcodes.read(rasterize.page(preflight.inspect(path), 1))


@pytest.mark.parametrize("turn", [0, 90, 180, 270])
def test_code_read_in_any_orientation(tmp_path, letter, turn):
    row, _, page = letter
    got = _page_from(scansim.scanned(page, 2, 0.8, 60).rotate(turn, expand=True), tmp_path, "p.pdf")
    assert got.code == codes.PageCode(row["doc_id"], 1, 1)
    assert (got.turn + turn) % 360 == 0
    assert readcodes.upright(got).size == (got.image.size if turn in (0, 180) else got.image.size[::-1])


def test_small_code_is_found(tmp_path, letter):
    row, pdf, _ = letter
    # The letter "printed to PDF" at 30 %: at 150 dpi its QR is under 1 pixel per module. Whether
    # the decoder reads that at once or only on the sharper second pass is the decoder's business
    # (zxing-cpp 3 often manages at once); the clerk sees the page matched either way.
    small = PdfWriter(clone_from=str(pdf))
    small.pages[0].scale_by(0.3)
    small.write(tmp_path / "small.pdf")
    got = readcodes.read(rasterize.page(preflight.inspect(tmp_path / "small.pdf"), 1))
    assert got.code == codes.PageCode(row["doc_id"], 1, 1)


def test_a_code_missed_on_the_working_image_is_read_from_a_sharper_rendering(tmp_path, letter):
    # Whatever the decoder can do, nothing is on this working image (as if the pass at 150 dpi
    # saw only smudge): the second pass must go back to the source at a higher resolution.
    row, pdf, _ = letter
    page = rasterize.page(preflight.inspect(pdf), 1)
    page.image = Image.new("L", page.image.size, 255)
    got = readcodes.read(page)
    assert got.code == codes.PageCode(row["doc_id"], 1, 1)
    assert got.tries > 1


def test_scanner_jpeg_pages_are_decoded_directly(tmp_path, letter):
    _, _, page = letter
    path = scansim.save_pdf([scansim.scanned(page, 2, 0.6, 70)], tmp_path / "scan.pdf", dpi=150)
    src = preflight.inspect(path)
    direct, dpi = rasterize.pdf_page(src, 1)
    rendered, _ = rasterize.pdf_page(src, 1, fast=False)
    assert direct.size == rendered.size == page.size and round(dpi) == 150
    # the same page, up to JPEG decoding and pdfium's resampling: same code at the same place
    # our code (the letter also prints the payment QR of [payment], a code not ours)
    (c1, _, k1, _), = [r for r in readcodes._found(direct) if r[0] is not None]
    (c2, _, k2, _), = [r for r in readcodes._found(rendered) if r[0] is not None]
    assert c1 == c2 is not None
    assert max(abs(a - b) for p, q in zip(k1, k2) for a, b in zip(p, q)) <= 2


def test_foreign_codes_are_not_ours(tmp_path):
    got = _page_from(scansim.courier_slip("SF99"), tmp_path, "slip.pdf")
    assert got.code is None and got.foreign == ("https://www.sf-express.com/waybill/SF99",)
    assert "其他二维码" in split.reason_unread(got)


# ------------------------------------------------------------------ split

def _coded(src, number, doc_id, page, pages):
    return ScanPage(source=src, number=number, code=codes.PageCode(doc_id, page, pages) if doc_id else None)


A, B = "A" * 16, "B" * 16


def _split(seq, src=None):
    src = src or SourceFile(path=Path("stack.pdf"))
    return split.split([_coded(src, i, *c) if c else _coded(src, i, None, 0, 0)
                        for i, c in enumerate(seq, 1)])


def test_split_reversed_interleaved_blank_and_twice():
    scans, unmatched = _split([(A, 2, 2), None, (A, 1, 2), (B, 1, 2), (A, 1, 2), (B, 2, 2), (A, 2, 2)])
    assert [(s.doc_id, s.source_pages, [p.code.page for p in s.pages], s.missing_pages) for s in scans] == [
        (A, [1, 3], [1, 2], []), (B, [4, 6], [1, 2], []), (A, [5, 7], [1, 2], [])]
    assert [p.number for p, _ in unmatched] == [2]


def test_split_missing_page_and_other_inputs_never_merge():
    scans, _ = _split([(A, 1, 3), (A, 3, 3)])
    assert scans[0].missing_pages == [2]
    other = _split([(A, 2, 3)], SourceFile(path=Path("other.pdf")))[0]
    assert other[0].missing_pages == [1, 3]


# ------------------------------------------------------------------ signature

@pytest.fixture(scope="module")
def reference(letter):
    row, pdf, _ = letter
    return signature.reference(pdf, 1)


def _ink(page_image, reference, area):
    gray = page_image.convert("L")
    got = [r for r in readcodes._found(gray) if r[0] is not None]   # ours, not the payment QR
    assert got
    return signature.ink_share(gray, got[0][2], reference, area)


@pytest.mark.parametrize("angle", [-4, 0, 3])
def test_signature_found_through_turning_blur_and_jpeg(letter, reference, angle):
    row, _, page = letter
    area = row["sign_areas"][0]
    signed = scansim.scanned(scansim.sign(page, area), angle, 1.0, 45)
    plain = scansim.scanned(page, angle, 1.0, 45)
    assert signature.is_signed(_ink(signed, reference, area))
    assert _ink(plain, reference, area) < signature.SIGNED_SHARE / 3
    assert not signature.is_signed(_ink(plain.rotate(180), reference, area))


def test_ink_outside_the_area_and_printed_text_are_not_a_signature(letter, reference):
    row, _, page = letter
    area = row["sign_areas"][0]
    px = scansim.DPI / 25.4
    scribbled = page.copy()
    draw = ImageDraw.Draw(scribbled)
    y = (area["y"] - 15) * px       # a note written above the receipt table, not in the box
    draw.line([(area["x"] * px, y), ((area["x"] + 40) * px, y + 20)], fill=(0, 0, 0), width=4)
    assert not signature.is_signed(_ink(scansim.scanned(scribbled, 2, 0.8, 60), reference, area))
    # The label cell 签收人（签字） is full of print: measured there, print is not ink.
    label = {**area, "x": area["x"] - 30, "w": 30}
    assert _ink(scansim.scanned(page, 2, 0.8, 60), reference, label) < signature.SIGNED_SHARE / 3


def test_no_false_signature_across_many_scans(letter, reference):
    """Unsigned copies turned every which way (as in a day's stack) never read as signed."""
    import random
    row, _, page = letter
    area = row["sign_areas"][0]
    rnd = random.Random(7)
    for k in range(12):
        scan = scansim.scanned(page, rnd.uniform(-3, 3), 0.6, 60)
        if k % 3 == 2:
            scan = scan.rotate(180)
        gray = scan.convert("L")
        # zxing-cpp may report the one code twice (e.g. once per pass); it is the letter's code
        found = [r for r in readcodes._found(gray) if r[0] is not None]
        assert found and {r[0].doc_id for r in found} == {row["doc_id"]}, (k, found)
        share = signature.ink_share(gray, found[0][2], reference, area, scale=1.0)
        assert share < signature.SIGNED_SHARE / 3, (k, share)


@pytest.mark.parametrize("signed", [False, True])
def test_phone_photo_of_unknown_scale(letter, reference, signed):
    row, _, page = letter
    area = row["sign_areas"][0]
    paper = scansim.sign(page, area) if signed else page
    photo = scansim.scanned(paper, -2.2, 1.2, 70)
    photo = photo.resize((round(photo.width * 1.37), round(photo.height * 1.37)), Image.BICUBIC)
    assert signature.is_signed(_ink(photo, reference, area)) is signed


@pytest.mark.parametrize("mark", ["ring", "blot"])
def test_a_coffee_mark_in_the_box_is_not_a_signature(letter, reference, mark):
    row, _, page = letter
    area = row["sign_areas"][0]
    stained = scansim.coffee(page, area, ring=mark == "ring")
    assert _ink(scansim.scanned(stained, 1.5, 0.8, 60), reference, area) < signature.SIGNED_SHARE / 3
    # … and a signature written beside the stain still counts
    both = scansim.sign(stained, {**area, "x": area["x"] + area["w"] * 0.55, "w": area["w"] * 0.45})
    assert signature.is_signed(_ink(scansim.scanned(both, 1.5, 0.8, 60), reference, area))


def test_signatures_of_many_hands_are_strokes(letter, reference):
    """scansim's signatures, any seed, turned and blurred: well above the threshold (measured
    0.02–0.08 of the area against SIGNED_SHARE 0.006; the 回执's wider 签收人 cell, 30.5 mm,
    makes the same signature a smaller share of it)."""
    import random
    row, _, page = letter
    area = row["sign_areas"][0]
    rnd = random.Random(3)
    for seed in range(1, 9):
        scan = scansim.scanned(scansim.sign(page, area, seed=seed), rnd.uniform(-3, 3), rnd.choice([0.6, 1.2]), 50)
        assert _ink(scan, reference, area) > 3 * signature.SIGNED_SHARE, seed


# ------------------------------------------------------------------ page comparison

def _likeness(image, reference, areas, scale=1.0):
    from formsmith.ingest import compare
    gray = image.convert("L")
    ours = [r for r in readcodes._found(gray) if r[0] is not None]
    return compare.likeness(gray, ours[0][2], reference, areas, scale)


@pytest.fixture(scope="module")
def other_letter(demo_home):
    with find_workspace(demo_home).store.snapshot() as view:
        row = sorted(view.find("documents", template="dunning-letter"), key=lambda d: d["seq"])[1]
    return row, scansim.printed(demo_home / row["path"])[0]


def test_genuine_scans_match_their_issued_page_with_margin(letter, reference):
    """Measured on these: present ≥ 0.993 (threshold 0.90), lost cells 0 (threshold 0.03)."""
    from formsmith.ingest import compare
    row, _, page = letter
    signed = scansim.sign(page, row["sign_areas"][0], seed=2)
    photo = scansim.scanned(signed, -2.2, 1.2, 70)
    photo = photo.resize((round(photo.width * 1.37), round(photo.height * 1.37)), Image.BICUBIC)
    for image, scale in ((scansim.scanned(signed, -3.5, 1.2, 45), 1.0),
                         (scansim.scanned(signed, 2.0, 0.8, 60).rotate(180), 1.0),
                         (scansim.scanned(scansim.coffee(page, row["sign_areas"][0]), 1.0, 1.0, 55), 1.0),
                         (photo, None)):
        got = _likeness(image, reference, row["sign_areas"], scale)
        assert got.matches and got.present >= compare.PRESENT_MIN + 0.07 and got.lost <= compare.LOST_MAX / 3, got


def test_a_code_on_another_sheet_does_not_match(letter, reference, other_letter):
    """Measured: a blank sheet 0.00 present; the other letter 0.85 present but 10–11 % of
    its cells lost (threshold 0.03): the print differs where names, numbers and amounts are."""
    from formsmith.ingest import compare
    row, _, page = letter
    other_row, other_page = other_letter
    blank = scansim.scribble(scansim.paste_code(scansim.blank(), page), row["sign_areas"][0])
    other = scansim.paste_code(scansim.sign(other_page, other_row["sign_areas"][0]), page)
    for image in (blank, other):
        got = _likeness(scansim.scanned(image, 1.5, 1.0, 50), reference, row["sign_areas"])
        assert not got.matches and got.lost >= 3 * compare.LOST_MAX, got


def test_scansim_stacks_hold_the_pages_given_in_their_order(tmp_path, demo_home):
    """Pillow ≥ 13 keeps state on images saved with append_images: a second stack of the same
    page objects came out [p2, p2, p3] for [p2, p3, p1]. The helper must write what it is given."""
    with find_workspace(demo_home).store.snapshot() as view:
        rows = sorted(view.find("documents", template="dunning-letter"), key=lambda d: d["seq"])[:3]
    pages = [scansim.scanned(scansim.printed(demo_home / r["path"])[0], 0.5, 0.5, 60) for r in rows]
    for k in range(3):
        order = pages[k:] + pages[:k]
        path = scansim.save_pdf(order, tmp_path / f"stack-{k}.pdf")
        src = preflight.inspect(path)
        got = [readcodes.read(rasterize.page(src, n)).code.doc_id for n in range(1, 4)]
        assert got == [r["doc_id"] for r in rows[k:] + rows[:k]], k
