"""Issue 14, second pass: templates that escape by symbolic link, ID numbers in the attached
record, renders that never end, and template errors that must read as one line.

Every refusal is checked the way a clerk meets it: the real `formsmith` command in its own
process, exit code, one line on stderr without a traceback, nothing under output/, the store
unchanged.
"""
from __future__ import annotations

import json
import re
import shutil
import subprocess
import time
import zlib
from pathlib import Path

import pytest

from conftest import FORMSMITH, formsmith_cmd, store_rows

from pdftools import attachment_json, page_texts

REPO = Path(__file__).resolve().parents[2]
MARKER = "FS-MARKER-7f3a9c-OUTSIDE"


def copy_template(home: Path, source: str, tid: str = "evil") -> Path:
    folder = home / "templates" / tid
    shutil.copytree(REPO / "templates" / source, folder)
    return folder


def example_data(home: Path, tid: str, tmp_path: Path) -> Path:
    ex = formsmith_cmd(home, "templates", "example", tid)
    assert ex.returncode == 0, ex.stderr
    data = tmp_path / f"{tid}.json"
    data.write_text(ex.stdout, encoding="utf-8")
    return data


def store_state(home: Path) -> dict:
    return {t: sorted(json.dumps(r, sort_keys=True, ensure_ascii=False) for r in store_rows(home, t))
            for t in ("documents", "units", "parties")} | {
        "files": sorted(p.name for p in (home / "records").iterdir())}


def output_files(home: Path) -> list[Path]:
    return [p for p in (home / "output").rglob("*") if p.is_file()]


def assert_refused(home: Path, args: list[str], *, codes=(2,), secret: str | None = MARKER,
                   must_say: tuple[str, ...] = ()) -> subprocess.CompletedProcess:
    """`formsmith ARGS` is refused: exit code in `codes`, one line, no traceback, no secret
    shown, nothing under output/, the store as it was."""
    before, files = store_state(home), sorted(output_files(home))
    proc = formsmith_cmd(home, *args, timeout=600)
    assert proc.returncode in codes, (proc.returncode, proc.stdout, proc.stderr)
    assert "Traceback" not in proc.stderr, proc.stderr
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1, proc.stderr
    for word in must_say:
        assert word in lines[0], lines[0]
    if secret:
        assert secret not in proc.stdout + proc.stderr
    assert sorted(output_files(home)) == files
    assert store_state(home) == before
    return proc


def outside_file(tmp_path: Path, name: str = "outside.txt", text: str | None = None) -> Path:
    folder = tmp_path / "outside"
    folder.mkdir(exist_ok=True)
    path = folder / name
    path.write_text(text if text is not None else f"{MARKER}\n", encoding="utf-8")
    return path


# ---------------------------------------------------------------- 1. symbolic links

def _html_include_link(home, tmp_path):
    folder = copy_template(home, "dunning-letter")
    (folder / "secret.html").symlink_to(outside_file(tmp_path))
    _add_html(folder, '{% include "secret.html" %}')
    return "evil", [], "secret.html"


def _html_image_link(home, tmp_path):
    folder = copy_template(home, "dunning-letter")
    svg = outside_file(tmp_path, "logo.svg", '<svg xmlns="http://www.w3.org/2000/svg" width="10" '
                       f'height="10"><text y="9">{MARKER}</text></svg>')
    (folder / "logo.svg").symlink_to(svg)
    _add_html(folder, '<img src="logo.svg" style="width:10mm">')
    return "evil", [], "logo.svg"


def _html_shared_folder_link(home, tmp_path):
    folder = copy_template(home, "dunning-letter")
    outside_file(tmp_path, "marker.html")
    (home / "templates" / "_evil").symlink_to(tmp_path / "outside", target_is_directory=True)
    _add_html(folder, '{% include "marker.html" %}')
    return "evil", [], "_evil"


def _html_store_link(home, tmp_path):
    folder = copy_template(home, "dunning-letter")
    (folder / "store.html").symlink_to(home / "records" / "formsmith.json")
    _add_html(folder, '{% include "store.html" %}')
    return "evil", [], "store.html"


def _typst_read_link(home, tmp_path):
    folder = copy_template(home, "dunning-letter")
    (folder / "secret.txt").symlink_to(outside_file(tmp_path))
    _add_typst(folder, '#read("secret.txt")')
    return "evil", ["--engine", "typst"], "secret.txt"


def _typst_include_link(home, tmp_path):
    folder = copy_template(home, "dunning-letter")
    (folder / "part.typ").symlink_to(outside_file(tmp_path, "part.typ"))
    _add_typst(folder, '#include "part.typ"')
    return "evil", ["--engine", "typst"], "part.typ"


def _typst_shared_folder_link(home, tmp_path):
    folder = copy_template(home, "dunning-letter")
    outside_file(tmp_path)
    (home / "templates" / "_evil").symlink_to(tmp_path / "outside", target_is_directory=True)
    _add_typst(folder, '#read("/_evil/outside.txt")')
    return "evil", ["--engine", "typst"], "_evil"


def _docx_body_link(home, tmp_path):
    folder = copy_template(home, "owner-handbook")
    body = tmp_path / "outside" / "template.docx"
    body.parent.mkdir(exist_ok=True)
    shutil.move(folder / "template.docx", body)
    (folder / "template.docx").symlink_to(body)
    return "evil", [], "template.docx"


def _add_html(folder: Path, snippet: str) -> None:
    html = (folder / "template.html").read_text(encoding="utf-8")
    assert "{% block body %}" in html, "the letter's body block moved: the snippet would go nowhere"
    (folder / "template.html").write_text(
        html.replace("{% block body %}", "{% block body %}" + snippet, 1), encoding="utf-8")


def _add_typst(folder: Path, snippet: str) -> None:
    """`snippet` after the letter's title line (asserted: a test whose snippet went nowhere
    would pass without trying anything)."""
    typ = (folder / "template.typ").read_text(encoding="utf-8")
    changed, n = re.subn(r"(?m)^(#title(?:\([^)]*\))?\[物业服务费催缴函\])$", lambda m: m.group(1) + "\n" + snippet,
                         typ, count=1)
    assert n == 1, "the letter's #title line moved: the snippet would not be in the template"
    (folder / "template.typ").write_text(changed, encoding="utf-8")


LINKS = {"html-include": _html_include_link, "html-image": _html_image_link,
         "html-shared-folder": _html_shared_folder_link, "html-store": _html_store_link,
         "typst-read": _typst_read_link, "typst-include": _typst_include_link,
         "typst-shared-folder": _typst_shared_folder_link, "docx-body": _docx_body_link}


@pytest.mark.parametrize("case", sorted(LINKS))
def test_symlink_out_of_the_template_is_refused(case, empty_home, tmp_path):
    # the copied template's example data is the original's; taken before a shared folder
    # link that refuses every template of the workspace
    src = "owner-handbook" if case.startswith("docx") else "dunning-letter"
    data = example_data(empty_home, src, tmp_path)
    tid, extra, name = LINKS[case](empty_home, tmp_path)
    proc = assert_refused(empty_home, ["render", tid, "--data", str(data), *extra],
                          must_say=("evil" if "shared" not in case else "", name))
    assert "符号链接" in proc.stderr


def test_symlink_inside_the_template_folder_may_be_used(empty_home, tmp_path):
    folder = copy_template(empty_home, "dunning-letter")
    (folder / "inner.html").write_text("<p>INNER-OK</p>", encoding="utf-8")
    (folder / "alias.html").symlink_to("inner.html")
    _add_html(folder, '{% include "alias.html" %}')
    data = example_data(empty_home, "dunning-letter", tmp_path)
    proc = formsmith_cmd(empty_home, "render", "evil", "--data", str(data), "--json")
    assert proc.returncode == 0, proc.stderr
    assert "INNER-OK" in "".join(page_texts(Path(json.loads(proc.stdout)["path"])))


def test_jinja_loader_refuses_a_link_made_after_the_template_was_loaded(empty_home, tmp_path):
    """The load-time check and the loader's own: a link made between the two is refused too."""
    from formsmith.errors import TemplateSecurityError
    from formsmith.render import html
    from formsmith.workspace import load_workspace
    folder = empty_home / "templates" / "tiny"
    folder.mkdir(parents=True)
    (folder / "manifest.toml").write_text(
        'title = "t"\nengine = "html"\nseries = "T{seq}"\n[fields.x]\ntype = "string"\n',
        encoding="utf-8")
    (folder / "template.html").write_text('{% include "late.html" %}', encoding="utf-8")
    tpl = load_workspace(empty_home).catalog.get("tiny")
    (folder / "late.html").symlink_to(outside_file(tmp_path))
    with pytest.raises(TemplateSecurityError) as exc:
        html.render_html(tpl, {"data": {"x": "1"}})
    assert "late.html" in str(exc.value) and MARKER not in str(exc.value)


# ---------------------------------------------------------------- 2. ID numbers in record.json

def _pdf_bytes_decoded(path: Path) -> bytes:
    """The PDF's bytes and every Flate stream of it inflated (what `strings` would find)."""
    raw = path.read_bytes()
    out = [raw]
    for m in re.finditer(rb"stream\r?\n", raw):
        try:
            out.append(zlib.decompressobj().decompress(raw[m.end():m.end() + 4_000_000]))
        except zlib.error:
            pass
    return b"\n".join(out)


def _ids_in(value) -> set[str]:
    text = json.dumps(value, ensure_ascii=False)
    return set(re.findall(r"(?<![0-9])[0-9]{17}[0-9Xx](?![0-9])", text))


@pytest.mark.parametrize("tid", ["worker-pass", "move-in-registration", "renovation-agreement"])
def test_attached_record_carries_no_full_id_number(tid, empty_home, tmp_path):
    data = example_data(empty_home, tid, tmp_path)
    ids = _ids_in(json.loads(data.read_text(encoding="utf-8")))
    assert ids, "the example data has ID numbers"
    proc = formsmith_cmd(empty_home, "render", tid, "--data", str(data), "--json")
    assert proc.returncode == 0, proc.stderr
    pdf = Path(json.loads(proc.stdout)["path"])
    attached = attachment_json(pdf)
    assert _ids_in(attached) == set(), attached
    blob = _pdf_bytes_decoded(pdf)
    assert [i for i in ids if i.encode() in blob] == []
    if tid == "worker-pass":   # masked on the page as in the attachment
        text = "".join(page_texts(pdf))
        assert [i for i in ids if i in text] == []
        for w in attached["data"]["workers"]:
            assert re.fullmatch(r"\d{6}\*{8}\d{3}[\dX]", w["id_number"]), w
    doc = store_rows(empty_home, "documents")[0]
    assert attached["data"].keys() == doc["record"].keys()


# ---------------------------------------------------------------- 3. renders that never end

ENDLESS_HTML = "{% for i in range(100000) %}{% for j in range(100000) %}x{% endfor %}{% endfor %}"
ENDLESS_TYPST = "#let n = 0\n#for i in range(1000000000) { n = n + 1 }\n#n"


def _limit(home: Path, seconds) -> None:
    """Set [render] time_limit_s (the workspace's formsmith.toml may have the section already)."""
    path = home / "formsmith.toml"
    text = path.read_text(encoding="utf-8")
    if re.search(r"(?m)^time_limit_s\s*=", text):
        text = re.sub(r"(?m)^time_limit_s\s*=.*$", f"time_limit_s = {seconds}", text)
    else:
        text += f"\n[render]\ntime_limit_s = {seconds}\n"
    path.write_text(text, encoding="utf-8")


def _counters(home: Path) -> list:
    from formsmith import numbering
    from formsmith.store import Store
    with Store(home / "records").snapshot() as view:
        return numbering.counters(view)


@pytest.mark.parametrize("engine", ["html", "typst"])
def test_endless_render_is_stopped_and_does_not_hold_the_store(engine, demo_copy, tmp_path):
    data = example_data(demo_copy, "dunning-letter", tmp_path)
    folder = copy_template(demo_copy, "dunning-letter")
    if engine == "html":
        _add_html(folder, ENDLESS_HTML)
    else:
        _add_typst(folder, ENDLESS_TYPST)
    _limit(demo_copy, 6)    # long enough for the other clerk, even on a loaded machine
    docs = store_rows(demo_copy, "documents")
    counters = _counters(demo_copy)
    files = sorted(output_files(demo_copy))
    started = time.monotonic()
    render = subprocess.Popen([FORMSMITH, "--home", str(demo_copy), "render", "evil", "--data",
                               str(data), "--engine", engine], stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE, text=True)
    try:
        time.sleep(2)    # the render is under way (it would hold the store's lock all along)
        assert render.poll() is None
        mark = formsmith_cmd(demo_copy, "docs", "mark", docs[0]["doc_no"], "printed", timeout=60)
        assert mark.returncode == 0, mark.stderr
        assert render.poll() is None, "the other clerk was served while the render ran"
        out, err = render.communicate(timeout=120)
    finally:
        if render.poll() is None:
            render.kill()
            render.wait()
    assert time.monotonic() - started < 60
    assert render.returncode == 1, (out, err)
    assert "Traceback" not in err and len(err.strip().splitlines()) == 1, err
    assert "时限" in err and "evil" in err
    assert sorted(output_files(demo_copy)) == files
    assert not [p for p in (demo_copy / "output").rglob("*") if p.name.endswith(".part")]
    assert _counters(demo_copy) == counters       # no number taken
    after = store_rows(demo_copy, "documents")
    assert [d["doc_no"] for d in after] == [d["doc_no"] for d in docs]
    assert next(d for d in after if d["id"] == docs[0]["id"])["state"] == "printed"


def test_bad_time_limit_setting_is_one_line(demo_copy, tmp_path):
    data = example_data(demo_copy, "dunning-letter", tmp_path)
    _limit(demo_copy, '"soon"')
    assert_refused(demo_copy, ["render", "dunning-letter", "--data", str(data), "--again"],
                   secret=None, must_say=("time_limit_s",))


# ---------------------------------------------------------------- 4. one line, never a traceback

def test_malformed_manifest_value_spoils_only_its_template(empty_home, tmp_path):
    folder = copy_template(empty_home, "fee-receipt", "bad-hint")
    manifest = folder / "manifest.toml"
    text = manifest.read_text(encoding="utf-8")
    text = re.sub(r"(?m)^pages_hint = .*$", 'pages_hint = "x"', text) if "pages_hint" in text \
        else text.replace("\n[fields", '\npages_hint = "x"\n\n[fields', 1)
    manifest.write_text(text, encoding="utf-8")
    listed = formsmith_cmd(empty_home, "templates", "list", "--json")
    assert "Traceback" not in listed.stderr
    assert listed.returncode == 2, listed.stderr
    assert len(listed.stderr.strip().splitlines()) == 1 and "bad-hint" in listed.stderr
    assert "pages_hint" in listed.stderr
    ids = [t["id"] for t in json.loads(listed.stdout)]
    assert "fee-receipt" in ids and "dunning-letter" in ids and "bad-hint" not in ids
    data = example_data(empty_home, "fee-receipt", tmp_path)
    assert_refused(empty_home, ["render", "bad-hint", "--data", str(data)], secret=None,
                   must_say=("bad-hint", "pages_hint"))


TEMPLATE_ERRORS = {
    "index": "{{ [1, 2][1:2:0] }}",
    "division": "{{ 1 // 0 }}",
    "format": "{{ '%d' % 'x' }}",
    "huge-string": "{{ 'x' * 10**10 }}",
    "huge-power": "{{ 10 ** 100000000 }}",
    "huge-list": "{{ ([0] * 100000) * 100000 }}",
    "empty-index": "{{ [][1] }}",
    "recursive-macro": "{% macro m(n) %}{{ m(n + 1) }}{% endmacro %}{{ m(0) }}",
}


@pytest.mark.parametrize("case", sorted(TEMPLATE_ERRORS))
def test_error_inside_a_template_is_one_line(case, empty_home, tmp_path):
    data = example_data(empty_home, "dunning-letter", tmp_path)
    folder = copy_template(empty_home, "dunning-letter")
    _add_html(folder, "\n\n" + TEMPLATE_ERRORS[case])
    proc = assert_refused(empty_home, ["render", "evil", "--data", str(data)], codes=(1, 2),
                          secret=None, must_say=("evil",))
    assert proc.returncode == 2, proc.stderr   # the template is at fault, not the machine
    if case not in ("recursive-macro",):
        assert re.search(r"template\.html:\d+|第 \d+ 行", proc.stderr), proc.stderr


XXE = ('<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
       '<!DOCTYPE x [<!ENTITY e SYSTEM "file://{path}">]>\n')


def test_word_template_with_an_xxe_doctype_is_refused(empty_home, tmp_path):
    import zipfile
    data = example_data(empty_home, "owner-handbook", tmp_path)
    secret = outside_file(tmp_path)
    folder = copy_template(empty_home, "owner-handbook")
    src = folder / "template.docx"
    with zipfile.ZipFile(src) as z:
        parts = {i: z.read(i) for i in z.namelist()}
    xml = parts["word/document.xml"].decode("utf-8")
    body = xml[xml.index("?>") + 2:].lstrip() if xml.startswith("<?xml") else xml
    body = body.replace("</w:body>", "<w:p><w:r><w:t>&e;</w:t></w:r></w:p></w:body>", 1)
    parts["word/document.xml"] = (XXE.format(path=secret) + body).encode("utf-8")
    with zipfile.ZipFile(src, "w", zipfile.ZIP_DEFLATED) as z:
        for name, blob in parts.items():
            z.writestr(name, blob)
    proc = assert_refused(empty_home, ["render", "evil", "--data", str(data)],
                          must_say=("evil", "DOCTYPE"))
    assert proc.returncode == 2
