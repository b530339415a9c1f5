"""The Word engine: the 住户手册 issued from its example data, read back as .docx and as PDF."""
from __future__ import annotations

import json
import os
import re
import subprocess
from pathlib import Path

import docx
import pytest
from pypdf import PdfReader

from formsmith import init_workspace, issuing
from formsmith.render import docx as docx_engine
from formsmith.render import libreoffice
from formsmith.workspace import find_workspace
from pdftools import attachment_json, fonts_embedded, our_page_codes, page_texts, xmp_text
from validators import verapdf_verdicts

from conftest import FORMSMITH, REPO

HANDBOOK = "owner-handbook"
TRICKY_RULE = '车辆限速 <5 km/h> & 禁止鸣笛 "R&D" </w:t></w:r>'


@pytest.fixture(scope="module")
def ws(tmp_path_factory):
    home = tmp_path_factory.mktemp("docx") / "ws"
    init_workspace(home)
    return find_workspace(home)


@pytest.fixture(scope="module")
def handbooks(ws):
    """Two handbooks issued by one process: the example, and one whose data holds XML specials."""
    tpl = ws.catalog.get(HANDBOOK)
    plain = issuing.issue_document(ws, HANDBOOK, data=tpl.example)
    tricky = dict(tpl.example, house_rules=[{"text": TRICKY_RULE}], edition_date="2025-12-02")
    special = issuing.issue_document(ws, HANDBOOK, data=tricky)
    with ws.store.snapshot() as view:
        rows = {d.doc_no: view.get("documents", d.doc_id) for d in (plain, special)}
    return plain, special, rows


def test_the_handbook_is_a_many_page_pdf_and_an_editable_docx_beside_it(ws, handbooks):
    plain, _, rows = handbooks
    row = rows[plain.doc_no]
    pdf = Path(plain.path)
    assert pdf.is_file() and plain.pages >= 8
    docx_file = ws.root / row["docx_path"]
    assert docx_file == pdf.with_suffix(".docx") and docx_file.is_file()
    import hashlib
    assert hashlib.sha256(docx_file.read_bytes()).hexdigest() == row["docx_sha256"]
    d = docx.Document(str(docx_file))
    body = "\n".join(p.text for p in d.paragraphs)
    cells = "\n".join(c.text for t in d.tables for r in t.rows for c in r.cells)
    assert "阳光花园" in body and "027-87654321" in body + cells
    assert "物业服务费（高层住宅）" in cells and "2.20" in cells and "150.00" in cells and "027-96513" in cells
    assert "{{" not in body + cells and "{%" not in body + cells
    footer = d.sections[0].footer._element.xml
    assert plain.doc_no in footer and "PAGE" in footer and "NUMPAGES" in footer


def test_every_page_has_number_page_count_and_its_own_qr(handbooks):
    plain, _, _ = handbooks
    texts = page_texts(Path(plain.path))
    codes_per_page = our_page_codes(Path(plain.path))
    assert len(texts) == len(codes_per_page) == plain.pages
    for n, (text, page_codes) in enumerate(zip(texts, codes_per_page), 1):
        assert plain.doc_no in text and f"第{n}页共{plain.pages}页" in text, n
        assert [(c.doc_id, c.page, c.pages) for c in page_codes] == [(plain.doc_id, n, plain.pages)]


def test_table_of_contents_page_numbers_are_right(handbooks):
    plain, _, _ = handbooks
    reader = PdfReader(plain.path)
    toc_lines = (reader.pages[1].extract_text() or "").splitlines()
    entries = []
    for line in toc_lines:
        m = re.match(r"^\s*(\S.*?)[\s.…·]{3,}(\d+)\s*$", line)
        if m:
            entries.append((re.sub(r"\s+", "", m.group(1)), int(m.group(2))))
    assert len(entries) >= 15, toc_lines
    titles = [t for t, _ in entries]
    for heading in ("一、致住户的一封信", "二、服务指南", "四、收费标准", "五、装修管理", "七、安全须知"):
        assert heading in titles
    texts = page_texts(Path(plain.path))
    for title, page in entries:
        found = [n for n, text in enumerate(texts, 1) if n > 2 and title in text]
        assert found and found[0] == page, (title, page, found)


def test_pdfa_fonts_metadata_attachment_and_verify(ws, handbooks):
    plain, _, rows = handbooks
    path = Path(plain.path)
    xmp = xmp_text(path)
    assert re.search(r"pdfaid:part(=\"|>)3", xmp) and re.search(r"pdfaid:conformance(=\"|>)B", xmp)
    fonts = fonts_embedded(path)
    assert fonts and all(fonts.values()), fonts
    # 宋体/黑体 in the template reach the PDF as Noto CJK, never as a Latin fallback (DejaVu …)
    assert all(re.search(r"Noto(Serif|Sans)CJK", name) for name in fonts), fonts
    assert any("Serif" in n for n in fonts) and any("Sans" in n for n in fonts)
    reader = PdfReader(str(path))
    assert f"formsmith:{plain.doc_id}" in reader.metadata["/Keywords"]
    assert f"formsmith:{plain.doc_id}" in xmp  # PDF/A: XMP agrees with the document info
    assert plain.doc_no in reader.metadata.title
    from formsmith.verify import verify_file
    assert verify_file(ws, path).identical
    attached = attachment_json(path)
    assert attached["doc_id"] == plain.doc_id and attached["data"] == rows[plain.doc_no]["record"]
    root = reader.trailer["/Root"]
    spec = root["/AF"][0].get_object()
    assert spec["/AFRelationship"] == "/Data" and spec["/F"] == "record.json"


def test_the_handbook_is_pdfa_3b_as_a_validator_reads_it(handbooks):
    """What veraPDF checks, read from the file itself (issue 13): the embedded record's MIME type
    is the name /application#2Fjson in the bytes (6.8-1), the document language is zh-CN, the
    embedded fonts are named after the SC faces they are set in; and veraPDF says PDF/A-3b."""
    plain, _, _ = handbooks
    path = Path(plain.path)
    raw = path.read_bytes()
    subtypes = re.findall(rb"/Subtype\s*(/application[^\s/<>\[\]()]*)", raw)
    assert subtypes == [b"/application#2Fjson"], subtypes  # '#' escaped once, not as #23
    reader = PdfReader(str(path))
    root = reader.trailer["/Root"]
    assert root["/Lang"] == "zh-CN"
    stream = root["/AF"][0].get_object()["/EF"]["/F"].get_object()
    assert stream["/Subtype"] == "/application/json"
    fonts = fonts_embedded(path)
    assert fonts and all(re.fullmatch(r"/[A-Z]{6}\+Noto(Serif|Sans)CJKsc-\w+", n) for n in fonts), fonts
    for page in reader.pages:
        for ref in page["/Resources"]["/Font"].values():
            font = ref.get_object()
            desc = font["/FontDescriptor"].get_object()
            assert desc["/FontName"] == font["/BaseFont"]
            program = desc["/FontFile"].get_object()
            clear = program.get_data()[:program["/Length1"]]
            face = str(font["/BaseFont"]).split("+", 1)[-1]  # the program's name has no subset tag
            assert f"/FontName /{face} def".encode() in clear
            assert b"CJKjp" not in clear
    assert verapdf_verdicts([path]) == {path: ""}


def test_the_handbook_is_written_in_chinese_in_its_template_and_its_filled_docx(handbooks):
    """The document language is zh-CN for Latin and East Asian text alike: in the template the
    office edits (made by build_docx.py) and, whatever a template says, in the filled .docx's
    defaults, which LibreOffice turns into the PDF's /Lang."""
    import zipfile
    plain, _, _ = handbooks
    template = REPO / "templates" / HANDBOOK / "template.docx"
    with zipfile.ZipFile(template) as z:
        for part in ("word/styles.xml", "word/settings.xml", "word/document.xml", "word/header1.xml"):
            xml = z.read(part).decode("utf-8")
            langs = re.findall(r'<w:(?:lang|themeFontLang) [^>]*>', xml)
            assert all('w:val="zh-CN"' in t and 'w:eastAsia="zh-CN"' in t for t in langs), (part, langs)
    with zipfile.ZipFile(Path(plain.path).with_suffix(".docx")) as z:
        styles = z.read("word/styles.xml").decode("utf-8")
        settings = z.read("word/settings.xml").decode("utf-8")
    defaults = re.search(r"<w:docDefaults>.*?</w:docDefaults>", styles, re.S).group(0)
    assert re.search(r'<w:lang w:val="zh-CN" w:eastAsia="zh-CN"', defaults), defaults
    assert re.search(r'<w:themeFontLang w:val="zh-CN" w:eastAsia="zh-CN"', settings)


def test_xml_special_characters_in_data_print_as_text(handbooks):
    _, special, rows = handbooks
    text = "".join(page_texts(Path(special.path)))
    assert re.sub(r"\s+", "", TRICKY_RULE) in text
    d = docx.Document(str(Path(special.path).with_suffix(".docx")))
    assert any(TRICKY_RULE in p.text for p in d.paragraphs)


def test_one_libreoffice_serves_every_document_of_the_process(handbooks):
    lo = libreoffice.shared()
    assert lo.starts == 1 and lo.conversions >= 2


def test_xml_invalid_characters_are_stripped(ws, tmp_path):
    """A control character (e.g. from a pasted text in formsmith.toml) would make Word refuse the file."""
    from formsmith import issuing
    from formsmith.render import PdfIdentity
    from datetime import datetime
    tpl = ws.catalog.get(HANDBOOK)
    values = issuing.prepare(ws, HANDBOOK, data=tpl.example)[1]     # with what its rules add
    company = dict(ws.company.as_dict(), name="阳光\x0b物业\x01服务\ufffe有限公司")
    context = {"data": values, "company": company, "fonts": ws.fonts,
               "doc": {"no": "住手字〔2025〕9号", "id": "0" * 16}}
    identity = PdfIdentity(doc_no="住手字〔2025〕9号", doc_id="0" * 16, title="t", author="a",
                           subject="s", keywords=("formsmith:" + "0" * 16,), record_json=b"{}",
                           created=datetime(2025, 12, 1, 9, 0))
    out = tmp_path / "x.docx"
    docx_engine.fill_docx(tpl, context, identity, out)
    d = docx.Document(str(out))  # parses: no invalid character left
    assert "阳光物业服务有限公司" in "\n".join(p.text for p in d.paragraphs)


def test_fontconfig_alias_maps_word_font_names_to_noto(tmp_path):
    conf = libreoffice.fontconfig_file(tmp_path)
    env = {**os.environ, "FONTCONFIG_FILE": str(conf)}
    for name, family in (("宋体", "Noto Serif CJK SC"), ("SimSun", "Noto Serif CJK SC"),
                         ("仿宋_GB2312", "Noto Serif CJK SC"), ("楷体", "Noto Serif CJK SC"),
                         ("黑体", "Noto Sans CJK SC"), ("Microsoft YaHei", "Noto Sans CJK SC"),
                         ("Calibri", "Noto Sans CJK SC|Carlito")):
        out = subprocess.run(["fc-match", "-f", "%{family}", name], env=env, capture_output=True,
                             text=True, check=True).stdout
        assert set(family.split("|")) & set(out.split(",")), (name, out)  # never DejaVu


def test_missing_libreoffice_is_one_clear_line_and_leaves_nothing(tmp_path):
    home = tmp_path / "ws"
    init_workspace(home)
    data = tmp_path / "hb.json"
    ws = find_workspace(home)
    data.write_text(json.dumps(ws.catalog.get(HANDBOOK).example, ensure_ascii=False), encoding="utf-8")
    bin_dir = tmp_path / "bin"  # a PATH with fontconfig but without soffice
    bin_dir.mkdir()
    (bin_dir / "fc-match").symlink_to("/usr/bin/fc-match")
    env = {**os.environ, "PATH": f"{bin_dir}:{Path(FORMSMITH).parent}"}
    r = subprocess.run([FORMSMITH, "--home", str(home), "render", HANDBOOK, "--data", str(data)],
                       capture_output=True, text=True, env=env)
    assert r.returncode == 1
    lines = r.stderr.strip().splitlines()
    assert len(lines) == 1 and "LibreOffice" in lines[0] and "libreoffice-writer-nogui" in lines[0]
    assert "Traceback" not in r.stderr
    assert not list((home / "output").rglob("*.*"))
    with find_workspace(home).store.snapshot() as view:
        assert view.count("documents") == 0


def _word_template(root: Path, tid: str, text: str, linked_image: str = "") -> None:
    folder = root / "templates" / tid
    folder.mkdir(parents=True)
    (folder / "manifest.toml").write_text(
        'title = "测试"\nengine = "docx"\nseries = "测字〔{year}〕{seq}号"\n'
        '[fields.name]\ntype = "string"\n[example]\nname = "张三"\n', encoding="utf-8")
    d = docx.Document()
    d.add_paragraph(text)
    if linked_image:  # what Word writes for Insert → Picture → "Link to File"
        from docx.opc.constants import RELATIONSHIP_TYPE as RT
        d.part.relate_to(linked_image, RT.IMAGE, is_external=True)
    d.save(str(folder / "template.docx"))


@pytest.mark.parametrize("text, linked, expected", [
    ("{{ data.name.__class__.__mro__ }}", "", "__class__"),
    ("{{ data.name }}", "http://example.com/tracker.png", "outside the file"),
])
def test_word_templates_cannot_reach_python_or_outside_files(tmp_path, text, linked, expected):
    home = tmp_path / "ws"
    init_workspace(home)
    _word_template(home, "evil", text, linked)
    ws = find_workspace(home)
    from formsmith import errors
    with pytest.raises(errors.TemplateError) as info:
        issuing.issue_document(ws, "evil", data={"name": "张三"})
    assert "evil" in str(info.value) and expected in str(info.value), str(info.value)
    if linked:
        assert isinstance(info.value, errors.TemplateSecurityError)
    assert not list((home / "output").rglob("*.*"))
    with ws.store.snapshot() as view:
        assert view.count("documents") == 0


def test_render_out_puts_the_docx_beside_the_pdf_and_never_overwrites(ws, handbooks, run, tmp_path):
    data = tmp_path / "hb.json"
    example = dict(ws.catalog.get(HANDBOOK).example, edition_date="2025-12-03")
    data.write_text(json.dumps(example, ensure_ascii=False), encoding="utf-8")
    out = tmp_path / "手册.pdf"
    first = run(ws.root, "render", HANDBOOK, "--data", str(data), "--out", str(out))
    assert first.exit_code == 0, first.stderr
    assert out.is_file() and out.with_suffix(".docx").is_file()
    out.unlink()  # the PDF is gone but its .docx is still there: refuse, write nothing
    before = out.with_suffix(".docx").read_bytes()
    with ws.store.snapshot() as view:
        count = view.count("documents")
    again = run(ws.root, "render", HANDBOOK, "--data", str(data), "--out", str(out), "--again")
    assert again.exit_code == 2 and "exists already" in again.stderr
    assert not out.exists() and out.with_suffix(".docx").read_bytes() == before
    with ws.store.snapshot() as view:
        assert view.count("documents") == count
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".")] == []


def test_a_conversion_over_its_time_limit_is_stopped_and_the_next_one_starts_afresh(handbooks, monkeypatch):
    plain, _, _ = handbooks
    docx_file = Path(plain.path).with_suffix(".docx")
    with libreoffice.LibreOffice() as lo:
        monkeypatch.setattr(libreoffice, "CONVERT_TIMEOUT", 0.001)
        with pytest.raises(libreoffice.RenderError, match="longer than"):
            lo.convert(docx_file, docx_file.with_name("never.pdf"), docx_engine.PDF_EXPORT)
        assert lo._proc is None and lo._profile is None  # killed, private profile removed
        # nothing of the killed soffice is left beside the document: no lock file (which would
        # make the next soffice refuse it), no temp file
        assert not [p.name for p in docx_file.parent.iterdir()
                    if p.name.startswith(".~lock.") or p.name.endswith(".tmp")]
        monkeypatch.setattr(libreoffice, "CONVERT_TIMEOUT", 180)
        out = docx_file.with_name("again.pdf")
        assert lo.convert(docx_file, out, docx_engine.PDF_EXPORT) == plain.pages
        assert lo.starts == 2 and out.is_file()
        out.unlink()
