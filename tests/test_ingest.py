"""Ingest: scans made from issued documents come back filed, page by page, nothing lost.

GIVEN letters and a two-page letter issued in a demo workspace, printed, signed by drawing ink
into their signature areas, scanned with the usual damage (turned a few degrees, one upside
down, blurred, JPEG-compressed), mixed with a blank sheet and a courier slip, a two-page letter
fed in reverse, one with a page missing, one scanned twice, and a phone photo;
WHEN `formsmith ingest` runs over them;
THEN every page lands in exactly one outcome, signed copies are archived upright and in order,
the store records it, and the inputs are untouched.
"""
from __future__ import annotations

import hashlib
import json
import shutil
from pathlib import Path

import pypdfium2 as pdfium
import pytest
import zxingcpp
from PIL import Image
from pypdf import PdfReader, PdfWriter

import scansim
from formsmith import codes

LONG_MONTHS = [(y, m) for y in (2023, 2024, 2025) for m in range(1, 13)]


def sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def long_letter_data(run, home: Path, tmp: Path) -> Path:
    """A dunning letter with three years of two fee items: it runs over two pages."""
    ex = json.loads(run(home, "templates", "example", "dunning-letter").stdout)
    ex["items"] = [{"period": f"{y}-{m:02d}", "item": item, "amount": amount, "due": f"{y}-{m:02d}-28"}
                   for y, m in LONG_MONTHS for item, amount in (("物业服务费", "216.83"), ("车位管理费", "80.00"))]
    ex.pop("total", None)
    path = tmp / "long.json"
    path.write_text(json.dumps(ex, ensure_ascii=False), encoding="utf-8")
    return path


def show(run_json, home, doc_no):
    return run_json(home, "docs", "show", doc_no)


@pytest.fixture(scope="module")
def world(demo_home, tmp_path_factory, request):
    """A workspace with 3 letters + a 2-page letter, and the sample scans made from them."""
    from click.testing import CliRunner
    from formsmith.cli import cli
    runner = CliRunner()

    def run(home, *args):
        return runner.invoke(cli, ["--home", str(home), *args], catch_exceptions=False)

    tmp = tmp_path_factory.mktemp("ingest")
    home = tmp / "ws"
    shutil.copytree(demo_home, home)
    data = long_letter_data(run, home, tmp)
    issued = json.loads(run(home, "render", "dunning-letter", "--data", str(data), "--json").stdout)
    assert issued["pages"] == 2
    docs = json.loads(run(home, "docs", "list", "--json").stdout)
    rows = {d["doc_no"]: json.loads(run(home, "docs", "show", d["doc_no"], "--json").stdout) for d in docs}
    l1, l2, l3 = [rows[d["doc_no"]] for d in docs[:3]]
    long = rows[issued["doc_no"]]
    paper = {d: scansim.printed(home / rows[d]["path"]) for d in rows}

    def signed(doc, seed=1):
        pages = list(paper[doc["doc_no"]])
        pages[-1] = scansim.sign(pages[-1], doc["sign_areas"][-1], seed=seed)
        return pages

    samples = tmp / "samples"
    samples.mkdir()
    s = {}
    long_signed = signed(long, 3)
    # A mixed stack from the scanner: what a clerk's afternoon looks like.
    s["stack"] = scansim.save_pdf([
        scansim.scanned(signed(l1)[0], 2.0, 0.8, 60),                     # 1 L1 signed, turned
        scansim.blank(),                                                   # 2 blank sheet
        scansim.scanned(paper[l2["doc_no"]][0], -3.0, 0.6, 50).rotate(180),  # 3 L2 unsigned, upside down
        scansim.courier_slip(),                                            # 4 courier slip (foreign QR)
        scansim.scanned(long_signed[1], 1.0, 0.7, 70),                     # 5 long p.2 (reversed)
        scansim.scanned(long_signed[0], -1.5, 0.7, 70),                    # 6 long p.1
    ], samples / "stack-mixed-blank-courier-upside-down-reversed.pdf")
    # The same letter scanned again another day.
    s["again"] = scansim.save_pdf([scansim.scanned(signed(l1, 7)[0], -1.0, 1.0, 55)],
                                  samples / "letter-scanned-twice.pdf")
    # The long letter with its second page missing, as a multi-page TIFF.
    s["missing"] = samples / "long-letter-page-2-missing.tiff"
    scansim.scanned(long_signed[0], 0.5).save(s["missing"], save_all=True, dpi=(150, 150))
    # A phone photo, stored sideways with the EXIF orientation saying so.
    s["photo"] = samples / "phone-photo-exif-rotated.jpg"
    photo = scansim.scanned(signed(l3, 5)[0], 1.0, 1.2).rotate(90, expand=True)
    exif = Image.Exif()
    exif[0x0112] = 6
    photo.save(s["photo"], quality=75, exif=exif)
    # Files that must be refused, with a reason.
    s["text"] = samples / "not-a-scan-named-pdf.pdf"
    s["text"].write_text("这不是扫描件\n", encoding="utf-8")
    s["encrypted"] = samples / "encrypted.pdf"
    w = PdfWriter(clone_from=str(s["again"]))
    w.encrypt("secret", algorithm="AES-256")
    w.write(s["encrypted"])
    before = {k: sha(p) for k, p in s.items()}
    order = ["stack", "again", "missing", "photo", "text", "encrypted"]
    result = run(home, "ingest", *[str(s[k]) for k in order], "--json")
    return dict(home=home, run=run, s=s, before=before, result=result, l1=l1, l2=l2, l3=l3,
                long=long, report=json.loads(result.stdout), order=order)


def entries(report):
    for outcome in ("archived", "incomplete", "duplicates", "unmatched"):
        for e in report[outcome]:
            yield outcome, e


def by_source(report, sample: Path):
    return {(o, tuple(e["source_pages"])): e for o, e in entries(report) if e["source"] == str(sample)}


def test_every_page_is_accounted_for_exactly_once(world):
    report, s = world["report"], world["s"]
    seen = [(e["source"], p) for _, e in entries(report) for p in e["source_pages"]]
    assert len(seen) == len(set(seen))
    expected = {(str(s[k]), p) for k, n in (("stack", 6), ("again", 1), ("missing", 1), ("photo", 1))
                for p in range(1, n + 1)}
    assert set(seen) == expected
    assert report["pages_total"] == 9


def test_refused_files_have_a_reason_and_exit_2(world):
    result, report, s = world["result"], world["report"], world["s"]
    assert result.exit_code == 2
    refused = {r["source"]: r["reason"] for r in report["refused"]}
    assert "不是PDF或图片" in refused[str(s["text"])]
    assert "加密" in refused[str(s["encrypted"])]
    assert str(s["encrypted"]) in result.stderr and "Traceback" not in result.stderr


def test_mixed_stack_outcomes(world):
    got = by_source(world["report"], world["s"]["stack"])
    l1, l2, long = world["l1"], world["l2"], world["long"]
    assert got[("archived", (1,))]["doc_no"] == l1["doc_no"]
    assert got[("archived", (1,))]["signed"] is True
    assert got[("unmatched", (2,))]["doc_no"] is None
    assert "foreign_codes" not in got[("unmatched", (2,))]
    unsigned = got[("archived", (3,))]
    assert unsigned["doc_no"] == l2["doc_no"] and unsigned["signed"] is False
    courier = got[("unmatched", (4,))]
    assert courier["foreign_codes"] == ["https://www.sf-express.com/waybill/SF1402038791234"]
    two = got[("archived", (5, 6))]
    assert two["doc_no"] == long["doc_no"] and two["complete"] is True and two["signed"] is True
    assert len(got) == 5


def test_signed_copies_move_to_archived_through_signed(world, run_json):
    home = world["home"]
    for doc in (world["l1"], world["long"], world["l3"]):
        row = show(run_json, home, doc["doc_no"])
        assert row["state"] == "archived"
        states = [e["state"] for e in row["events"]]
        k = states.index("signed")
        assert states[:k + 2] == ["generated", "signed", "archived"]
        moved = row["events"][k + 1]
        assert moved["by"] == "王敏" and moved["at"] and moved["scan"] == row["versions"][0]["path"]


def test_unsigned_return_is_filed_but_not_archived(world, run_json):
    row = show(run_json, world["home"], world["l2"]["doc_no"])
    assert row["state"] == "generated"
    assert row["versions"][0]["signed"] is False
    assert "未见笔迹" in row["events"][-1]["note"]


def test_filed_pdf_is_upright_in_order_with_its_hash(world):
    home = world["home"]
    two = by_source(world["report"], world["s"]["stack"])[("archived", (5, 6))]
    path = home / two["path"]
    assert two["path"].startswith("archive/2025/dunning-letter/")
    assert sha(path) == two["sha256"]
    assert (path.parent / (path.name + ".sha256")).read_text().split() == [two["sha256"], path.name]
    upside = home / by_source(world["report"], world["s"]["stack"])[("archived", (3,))]["path"]
    for filed, want in ((path, [1, 2]), (upside, [1])):
        pdf = pdfium.PdfDocument(str(filed))
        got = []
        for page in pdf:
            image = page.render(scale=100 / 72).to_pil()
            found = [(codes.decode(r.text), r.orientation) for r in zxingcpp.read_barcodes(image)]
            ours = [(c, o) for c, o in found if c]
            assert len(ours) == 1
            code, orientation = ours[0]
            assert abs(orientation) <= 10, f"{filed} page {code.page} is turned {orientation}°"
            # Upright means the code is top-right, where it was printed.
            assert image.width / 2 < max(pt.x for pt in (r.position.top_left for r in zxingcpp.read_barcodes(image)))
            got.append(code.page)
        pdf.close()
        assert got == want


def test_page_missing_is_incomplete_and_kept(world, run_json):
    inc = world["report"]["incomplete"]
    assert len(inc) == 1
    e = inc[0]
    assert e["doc_no"] == world["long"]["doc_no"] and e["missing_pages"] == [2]
    assert e["complete"] is False and e["source"] == str(world["s"]["missing"])
    assert e["path"].startswith("archive/incomplete/2025/dunning-letter/")
    assert (world["home"] / e["path"]).is_file()
    row = show(run_json, world["home"], e["doc_no"])
    assert [v["kind"] for v in row["versions"]] == ["scan", "incomplete"]


def test_scanned_twice_is_a_duplicate_kept_as_a_version(world, run_json):
    dup = world["report"]["duplicates"]
    assert [d["doc_no"] for d in dup] == [world["l1"]["doc_no"]]
    row = show(run_json, world["home"], world["l1"]["doc_no"])
    assert [v["kind"] for v in row["versions"]] == ["scan", "duplicate"]
    assert [e["state"] for e in row["events"]].count("archived") == 2   # one move + one note
    assert sum(1 for e in row["events"] if e["state"] == "signed") == 1
    assert (world["home"] / dup[0]["path"]).is_file() and dup[0]["path"] != row["versions"][0]["path"]


def test_phone_photo_with_exif_orientation(world):
    got = by_source(world["report"], world["s"]["photo"])
    assert list(got) == [("archived", (1,))]
    e = got[("archived", (1,))]
    assert e["doc_no"] == world["l3"]["doc_no"] and e["signed"] is True
    # Filed upright and at paper size (the camera's meaningless 72 dpi is not believed).
    box = PdfReader(str(world["home"] / e["path"])).pages[0].mediabox
    assert abs(float(box.width) - 595) < 60 and abs(float(box.height) - 842) < 85


def test_inputs_are_never_modified(world):
    assert {k: sha(p) for k, p in world["s"].items()} == world["before"]


def test_rerun_gives_the_same_archive(world, run_json):
    home, s, run = world["home"], world["s"], world["run"]
    files = {p: sha(p) for p in (home / "archive").rglob("*") if p.is_file()}
    versions = {d["doc_no"]: len(show(run_json, home, d["doc_no"])["versions"])
                for d in run_json(home, "docs", "list")}
    again = json.loads(run(home, "ingest", *[str(s[k]) for k in world["order"]], "--json").stdout)
    assert {p: sha(p) for p in (home / "archive").rglob("*") if p.is_file()} == files
    assert {d["doc_no"]: len(show(run_json, home, d["doc_no"])["versions"])
            for d in run_json(home, "docs", "list")} == versions
    strip = lambda r: {o: sorted((e["source"], tuple(e["source_pages"]), e["doc_no"]) for e in r[o])  # noqa: E731
                       for o in ("archived", "incomplete", "duplicates", "unmatched")}
    assert strip(again) == strip(world["report"])
    assert all(e.get("again") for o, e in entries(again) if o != "unmatched")


def test_move_to_moves_only_fully_filed_inputs(world, tmp_path):
    home, run = world["home"], world["run"]
    inbox, done = tmp_path / "inbox", tmp_path / "done"
    inbox.mkdir()
    for k in ("again", "missing"):
        shutil.copy(world["s"][k], inbox / world["s"][k].name)
    report = json.loads(run(home, "ingest", str(inbox), "--move-to", str(done), "--json").stdout)
    assert sorted(p.name for p in done.iterdir()) == [world["s"]["again"].name]
    assert sorted(p.name for p in inbox.iterdir()) == [world["s"]["missing"].name]
    assert report["moved"] == {str(inbox / world["s"]["again"].name): str(done / world["s"]["again"].name)}


def test_watch_takes_each_stable_file_once(world, tmp_path):
    home, run, s = world["home"], world["run"], world["s"]
    inbox = tmp_path / "scanner"
    inbox.mkdir()
    shutil.copy(s["photo"], inbox / "photo.jpg")
    shutil.copy(s["again"], inbox / "again.pdf")
    result = run(home, "ingest", "--watch", str(inbox), "--interval", "0.05", "--settle", "0.1",
                 "--rounds", "8", "--json")
    lines = result.stdout.strip().splitlines()
    assert len(lines) == 1                      # one batch: both files, taken once
    report = json.loads(lines[0])
    assert sorted(e["source"] for o, e in entries(report)) == [str(inbox / "again.pdf"), str(inbox / "photo.jpg")]


def test_a_growing_file_is_not_taken_until_stable(tmp_path):
    from formsmith.ingest.watch import stable_files
    f = tmp_path / "scan.pdf"
    f.write_bytes(b"%PDF-1.7 part")
    seen: dict = {}
    assert stable_files(tmp_path, seen, 5.0, now=0.0) == []
    with open(f, "ab") as fh:
        fh.write(b" more")
    assert stable_files(tmp_path, seen, 5.0, now=4.0) == []      # changed: clock restarts
    assert stable_files(tmp_path, seen, 5.0, now=8.0) == []      # 4 s stable only
    assert stable_files(tmp_path, seen, 5.0, now=9.5) == [f]
