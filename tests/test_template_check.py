"""`formsmith templates check`: built-in templates pass; each kind of deliberate mistake is reported."""
from __future__ import annotations

import re

import json
from pathlib import Path

import docx
import pytest

HIEROGLYPH = "\U00013000"  # 𓀀: no CJK font has it

HTML_MANIFEST = """
title = "坏模板"
engine = "html"
series = "坏字〔{year}〕{seq}号"

[fields.name]
type = "string"
label = "姓名"

[fields.unused_note]
type = "string"
label = "从未使用"
required = false

[fields.rows]
type = "list"
label = "明细"

[fields.rows.items.item]
type = "string"

[fields.rows.items.forgotten]
type = "string"
required = false

[example]
name = "张三"
rows = [{ item = "物业费" }]
"""

HTML_BODY = """{% extends "base.html" %}
{% block body %}
<p>{{ data.name | shout }}，{{ data.nickname }}</p>
{% for r in data.rows %}<p>{{ r.item }} {{ r.colour }}</p>{% endfor %}
<p>印章""" + HIEROGLYPH + """</p>
{% endblock %}
"""

DOCX_MANIFEST = """
title = "坏Word模板"
engine = "docx"
series = "坏字〔{year}〕{seq}号"

[fields.name]
type = "string"

[example]
name = "李四"
"""


def write_html(root: Path, tid: str, manifest: str = HTML_MANIFEST, body: str = HTML_BODY) -> None:
    folder = root / "templates" / tid
    folder.mkdir(parents=True)
    (folder / "manifest.toml").write_text(manifest, encoding="utf-8")
    (folder / "template.html").write_text(body, encoding="utf-8")


def write_docx(root: Path, tid: str) -> None:
    folder = root / "templates" / tid
    folder.mkdir(parents=True)
    (folder / "manifest.toml").write_text(DOCX_MANIFEST, encoding="utf-8")
    d = docx.Document()
    p = d.add_paragraph("姓名：")
    p.add_run("{{ data.")          # what Word does when half a tag gets bold or a spelling mark
    p.add_run("name }}").bold = True
    d.add_paragraph("{{ data.unknown_field | cn_date }}")
    d.add_paragraph("盖章处" + HIEROGLYPH)
    d.save(str(folder / "template.docx"))


def test_every_builtin_template_passes(empty_home, run):
    result = run(empty_home, "templates", "check")
    assert result.exit_code == 0, result.output + result.stderr
    assert "no problems" in result.stdout


def test_json_output_lists_checked_templates(empty_home, run_json):
    out = run_json(empty_home, "templates", "check", "owner-handbook")
    assert out == {"checked": ["owner-handbook"], "problems": []}


@pytest.fixture
def broken(empty_home):
    write_html(empty_home, "broken-html")
    write_docx(empty_home, "broken-docx")
    write_html(empty_home, "bad-manifest", manifest=HTML_MANIFEST.replace('engine = "html"', 'engine = "pdf"'))
    write_html(empty_home, "bad-example", manifest=HTML_MANIFEST.replace('name = "张三"\n', ""),
               body=HTML_BODY.replace("| shout", "").replace("{{ data.nickname }}", ""))
    return empty_home


def test_each_mistake_is_one_line_naming_template_file_and_problem(broken, run):
    result = run(broken, "templates", "check")
    assert result.exit_code == 2
    lines = result.stderr.strip().splitlines()
    expected = [
        ("broken-html: template.html:", "unknown filter 'shout'"),
        ("broken-html: manifest.toml:", "field unused_note is declared but the template never uses"),
        ("broken-html: manifest.toml:", "field rows[].forgotten is declared but the template never uses"),
        ("broken-html: template.html:", "data.nickname is used but not declared"),
        ("broken-html: template.html:", "rows[].colour is used but rows has no item field"),
        ("broken-html: template.html:", f"character “{HIEROGLYPH}” (U+13000)"),
        ("broken-docx: template.docx:word/document.xml:", "Jinja tag “{{ data.name }}” is split across 2 Word runs"),
        ("broken-docx: template.docx:word/document.xml:", "data.unknown_field is used but not declared"),
        ("broken-docx: template.docx:word/document.xml:", f"character “{HIEROGLYPH}” (U+13000)"),
        ("bad-manifest: manifest.toml:", "engine 'pdf' is not one of"),
        ("bad-example: manifest.toml [example]:", "字段 name（"),
    ]
    for where, what in expected:
        assert any(line.startswith(f"formsmith: {where}") and what in line for line in lines), \
            (where, what, lines)
    assert not any("owner-handbook" in line or "dunning-letter" in line for line in lines)
    own = [line for line in lines if not line.startswith("formsmith: bad-example:")]
    assert len(own) == len(expected) - 1, own  # nothing reported that is not a mistake


def test_one_template_by_id_and_json(broken, run):
    result = run(broken, "templates", "check", "broken-docx", "--json")
    assert result.exit_code == 2
    problems = json.loads(result.stdout)["problems"]
    assert {p["template"] for p in problems} == {"broken-docx"}
    assert all(p["file"] == "template.docx:word/document.xml" for p in problems)
    assert len(problems) == 3


def test_unknown_template_id_is_not_found(empty_home, run):
    result = run(empty_home, "templates", "check", "no-such-template")
    assert result.exit_code == 2 and "no-such-template" in result.stderr


# ---------------------------------------------------------------- house style of every template's text

_CJK = r"[\u3400-\u9fff]"
# A space between Chinese and a figure (or a filled-in value) prints "2025 年 12 月 1 日", "第 1 页"
# where the house style writes 2025年12月1日, 第1页 (CONVENTIONS.md: dates, numbers).
_SPACED = re.compile(rf"{_CJK}[ \u00a0]+(\d|{{{{)|(\d|}}}})[ \u00a0]+{_CJK}")
# Terms a template must not print: the pre-2007 name of the 临时管理规约 (物业管理条例 第二十二条),
# administrative powers a company does not have (物业管理条例 第四十五条: 制止 and 报告), a
# one-sided 解释权 clause, and 吨/度 for what water and electricity meters count (立方米, 千瓦时).
_TERMS = ("业主临时公约", "责令", "解释权", "吨", "用电不超过20度", "度电")


def _template_texts():
    """(file, line number, line) of every text a built-in template prints from: its HTML/Typst
    sources, its manifest (example data, labels), the Word body and the script that made it."""
    import zipfile
    from formsmith.workspace import BUILTIN_TEMPLATES
    for folder in sorted(p for p in BUILTIN_TEMPLATES.iterdir() if p.is_dir()):
        for f in sorted(folder.iterdir()):
            if f.suffix in (".html", ".typ", ".toml", ".py", ".css"):
                text = f.read_text(encoding="utf-8")
            elif f.suffix == ".docx":
                with zipfile.ZipFile(f) as z:
                    text = re.sub(r"<[^>]+>", "", z.read("word/document.xml").decode("utf-8"))
            else:
                continue
            for n, line in enumerate(text.splitlines(), 1):
                yield f"{folder.name}/{f.name}", n, line


def test_every_template_text_follows_the_house_style():
    spaced = [(f, n, m.group(0)) for f, n, line in _template_texts() for m in _SPACED.finditer(line)]
    assert spaced == []
    terms = [(f, n, t) for f, n, line in _template_texts() for t in _TERMS if t in line]
    assert terms == []
