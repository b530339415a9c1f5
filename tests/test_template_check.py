"""`formsmith templates check`: built-in templates pass; each kind of deliberate mistake is reported."""
from __future__ import annotations

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
