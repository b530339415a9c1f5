"""Forged and doubtful returns: what does not match the issued page is held for review, never archived.

GIVEN the demo letters A, B, C issued, printed and scanned with the usual damage;
WHEN these come back: a blank sheet with A's QR glued on and a scribble in the box, B's signed
page with A's QR pasted over B's own, C's signed page carrying A's QR as well, B with a coffee
ring in the signature box, C with a coffee blot there, and A genuinely signed;
THEN the forgeries go to `review` with a reason (nothing filed, no state change, `verify`
refuses them), the coffee marks are no signature, and the genuine return is archived.
"""
from __future__ import annotations

import hashlib
import json
import shutil

import pytest

import scansim
from formsmith.verify import verify_file
from formsmith.workspace import find_workspace


@pytest.fixture(scope="module")
def forged(demo_home, tmp_path_factory):
    from click.testing import CliRunner
    from formsmith.cli import cli
    runner = CliRunner()

    def run(home, *args):
        return runner.invoke(cli, ["--home", str(home), *args], catch_exceptions=False)

    tmp = tmp_path_factory.mktemp("forged")
    home = tmp / "ws"
    shutil.copytree(demo_home, home)
    with find_workspace(home).store.snapshot() as view:
        a, b, c = sorted(view.find("documents", template="dunning-letter"), key=lambda d: d["seq"])[:3]
    paper = {d["doc_no"]: scansim.printed(home / d["path"])[0] for d in (a, b, c)}
    pa, pb, pc = (paper[d["doc_no"]] for d in (a, b, c))
    area = {d["doc_no"]: d["sign_areas"][0] for d in (a, b, c)}

    def scan(page, angle=1.5, name=""):
        return scansim.save_pdf([scansim.scanned(page, angle, 0.8, 60)], tmp / name)

    s = {
        "blank": scan(scansim.scribble(scansim.paste_code(scansim.blank(), pa), area[a["doc_no"]]),
                      -1.0, "blank-sheet-with-A-code-and-scribble.pdf"),
        "other": scan(scansim.paste_code(scansim.sign(pb, area[b["doc_no"]], seed=4), pa),
                      2.0, "B-signed-with-A-code-pasted-over.pdf"),
        "two": scan(scansim.paste_code(scansim.sign(pc, area[c["doc_no"]], seed=5), pa, (120, 1560)),
                    0.5, "C-signed-carrying-A-code-too.pdf"),
        "ring": scan(scansim.coffee(pb, area[b["doc_no"]], ring=True), -2.0, "B-coffee-ring-in-box.pdf"),
        "blot": scan(scansim.coffee(pc, area[c["doc_no"]], ring=False), 1.0, "C-coffee-blot-in-box.pdf"),
        "genuine": scan(scansim.sign(pa, area[a["doc_no"]], seed=2), 2.5, "A-signed-genuine.pdf"),
    }
    order = ["blank", "other", "two", "ring", "blot", "genuine"]
    result = run(home, "ingest", *[str(s[k]) for k in order], "--json")
    assert result.exit_code == 0, result.output + result.stderr
    return dict(home=home, s=s, a=a, b=b, c=c, report=json.loads(result.stdout), run=run)


def outcome_of(report, sample):
    got = [(o, e) for o, es in report.items() if isinstance(es, list) for e in es
           if isinstance(e, dict) and e.get("source") == str(sample)]
    assert len(got) == 1, got
    return got[0]


def state(home, doc):
    with find_workspace(home).store.snapshot() as view:
        return view.get("documents", doc["doc_id"])


@pytest.mark.parametrize("key", ["blank", "other", "two"])
def test_forged_page_goes_to_review_not_the_archive(forged, key):
    outcome, entry = outcome_of(forged["report"], forged["s"][key])
    assert outcome == "review", (outcome, entry)
    assert entry["reason"] and "path" not in entry
    assert entry["source_pages"] == [1]


def test_forged_pages_change_nothing_and_verify_refuses_them(forged):
    home, a = forged["home"], forged["a"]
    row = state(home, a)
    forged_inputs = {str(forged["s"][k]) for k in ("blank", "other", "two")}
    assert not [v for d in (forged["a"], forged["b"], forged["c"]) for v in state(home, d).get("versions", [])
                if v["source"] in forged_inputs]
    # A is archived by its genuine return only, in one move
    assert row["state"] == "archived" and [v["source"] for v in row["versions"]] == [str(forged["s"]["genuine"])]
    ws = find_workspace(home)
    for k in ("blank", "other", "two"):
        assert not verify_file(ws, forged["s"][k]).verified
    for pdf in (home / "archive").rglob("*.pdf"):
        v = verify_file(ws, pdf)
        assert v.verified
        sources = [x["source"] for d in (forged["a"], forged["b"], forged["c"])
                   for x in state(home, d).get("versions", []) if x["sha256"] == v.sha256]
        assert sources and not set(sources) & forged_inputs


def test_two_of_our_codes_on_one_page_is_named(forged):
    _, entry = outcome_of(forged["report"], forged["s"]["two"])
    assert "二维码" in entry["reason"]
    assert state(forged["home"], forged["c"])["state"] == "generated"


@pytest.mark.parametrize("key, doc", [("ring", "b"), ("blot", "c")])
def test_coffee_mark_in_the_box_is_not_a_signature(forged, key, doc):
    outcome, entry = outcome_of(forged["report"], forged["s"][key])
    assert outcome == "archived" and entry["signed"] is False, entry
    assert state(forged["home"], forged[doc])["state"] == "generated"


def test_genuine_signed_return_is_still_archived(forged):
    outcome, entry = outcome_of(forged["report"], forged["s"]["genuine"])
    assert outcome == "archived" and entry["signed"] is True and entry["doc_no"] == forged["a"]["doc_no"]


def test_review_is_one_line_per_page_in_the_human_report(forged):
    result = forged["run"](forged["home"], "ingest", str(forged["s"]["blank"]))
    assert result.exit_code == 0 and "Traceback" not in result.output
    lines = [ln for ln in result.stdout.splitlines() if ln.startswith("复核")]
    assert len(lines) == 1 and forged["s"]["blank"].name in lines[0]


ACTIVE = ("/OpenAction", "/AA", "/JavaScript", "/JS", "/Launch", "/EmbeddedFiles", "/EmbeddedFile",
          "/Annots", "/RichMedia")


def active_content(path) -> list[str]:
    """Every active-content key or action type reachable in the PDF at `path`."""
    import pikepdf
    found = []
    with pikepdf.open(path) as pdf:
        seen = set()

        def walk(obj, where):
            if isinstance(obj, pikepdf.Dictionary) or isinstance(obj, pikepdf.Stream):
                if obj.is_indirect:
                    if obj.objgen in seen:
                        return
                    seen.add(obj.objgen)
                for key in obj.keys():
                    if key in ACTIVE:
                        found.append(f"{where}{key}")
                    if key in ("/Parent", "/P"):
                        continue
                    walk(obj[key], f"{where}{key}")
                if obj.get("/S") in (pikepdf.Name.Launch, pikepdf.Name.JavaScript):
                    found.append(f"{where} action {obj.get('/S')}")
            elif isinstance(obj, pikepdf.Array):
                for i, item in enumerate(obj):
                    walk(item, f"{where}[{i}]")
        walk(pdf.trailer, "")
    return found


def test_active_content_of_a_scan_is_not_archived(demo_home, tmp_path):
    """A 'scan' PDF with a Launch action, open-action JavaScript, page actions and an embedded
    file: the signed copy is still filed, but the archived PDF carries none of it."""
    import pikepdf
    from click.testing import CliRunner
    from formsmith.cli import cli
    home = tmp_path / "ws"
    shutil.copytree(demo_home, home)
    with find_workspace(home).store.snapshot() as view:
        doc = sorted(view.find("documents", template="dunning-letter"), key=lambda d: d["seq"])[1]
    page = scansim.printed(home / doc["path"])[0]
    plain = scansim.save_pdf([scansim.scanned(scansim.sign(page, doc["sign_areas"][0]), 1.0, 0.8, 60)],
                             tmp_path / "plain.pdf")
    hostile = tmp_path / "scan-with-active-content.pdf"
    with pikepdf.open(plain) as pdf:
        js = pdf.make_indirect(pikepdf.Dictionary(S=pikepdf.Name.JavaScript, JS=pikepdf.String("app.alert(1)")))
        launch = pdf.make_indirect(pikepdf.Dictionary(S=pikepdf.Name.Launch, F=pikepdf.String("cmd.exe")))
        pdf.Root.OpenAction = js
        pdf.Root.AA = pikepdf.Dictionary(WC=js)
        pdf.Root.Names = pikepdf.Dictionary(
            JavaScript=pikepdf.Dictionary(Names=pikepdf.Array([pikepdf.String("x"), js])),
            EmbeddedFiles=pikepdf.Dictionary(Names=pikepdf.Array([pikepdf.String("a.exe"), pdf.make_indirect(
                pikepdf.Dictionary(Type=pikepdf.Name.Filespec, F=pikepdf.String("a.exe"),
                                   EF=pikepdf.Dictionary(F=pdf.make_stream(b"MZ payload"))))])))
        p = pdf.pages[0]
        p.obj.AA = pikepdf.Dictionary(O=js)
        p.obj.Annots = pdf.make_indirect(pikepdf.Array([pdf.make_indirect(pikepdf.Dictionary(
            Type=pikepdf.Name.Annot, Subtype=pikepdf.Name.Link, Rect=[0, 0, 595, 842], A=launch))]))
        pdf.save(hostile)
    planted = " ".join(active_content(hostile))
    assert all(k in planted for k in ("/OpenAction", "Launch", "/EmbeddedFiles", "/Annots", "/AA"))
    result = CliRunner().invoke(cli, ["--home", str(home), "ingest", str(hostile), "--json"],
                                catch_exceptions=False)
    report = json.loads(result.stdout)
    assert [e["signed"] for e in report["archived"]] == [True], report
    filed = home / report["archived"][0]["path"]
    assert active_content(filed) == []
    assert verify_file(find_workspace(home), filed).verified


@pytest.fixture
def full_archive(demo_home, tmp_path):
    """A workspace whose archive/ is a 200 KB tmpfs: the disk fills while scans are filed."""
    from conftest import small_disk
    home = tmp_path / "ws"
    shutil.copytree(demo_home, home)
    with small_disk(home / "archive", "200k"):
        yield home


def test_disk_full_while_filing_loses_nothing(full_archive, tmp_path):
    """Three signed letters (≈ 3 × 150 KB of JPEG) into 200 KB: one line, exit 1, no .part
    file left, nothing recorded, the input still where it was (not moved to --move-to)."""
    home = full_archive
    with find_workspace(home).store.snapshot() as view:
        docs = sorted(view.find("documents", template="dunning-letter"), key=lambda d: d["seq"])[:3]
        before = {d["doc_id"]: (d["state"], len(d.get("versions", []))) for d in docs}
    pages = [scansim.scanned(scansim.sign(scansim.printed(home / d["path"])[0], d["sign_areas"][0], seed=i),
                             1.0, 0.5, 95) for i, d in enumerate(docs)]
    stack = scansim.save_pdf(pages, tmp_path / "three-signed.pdf")
    assert stack.stat().st_size > 250_000
    digest = hashlib.sha256(stack.read_bytes()).hexdigest()
    from conftest import formsmith_cmd
    result = formsmith_cmd(home, "ingest", str(stack), "--move-to", str(tmp_path / "done"))
    assert result.returncode == 1, result.stdout + result.stderr
    assert "Traceback" not in result.stderr and len(result.stderr.strip().splitlines()) == 1, result.stderr
    assert "磁盘" in result.stderr or "空间" in result.stderr
    assert [p.name for p in (home / "archive").rglob("*") if p.is_file()] == []
    assert stack.is_file() and hashlib.sha256(stack.read_bytes()).hexdigest() == digest
    assert not (tmp_path / "done").exists() or not list((tmp_path / "done").iterdir())
    with find_workspace(home).store.snapshot() as view:
        assert {d["doc_id"]: (view.get("documents", d["doc_id"])["state"],
                              len(view.get("documents", d["doc_id"]).get("versions", []))) for d in docs} == before
