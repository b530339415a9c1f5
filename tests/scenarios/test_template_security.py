"""A workspace template that reaches for Python internals, other files or the network is refused."""
from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]


def make_template(home: Path, body: str, css: str = "") -> str:
    """Copy the built-in dunning letter into the workspace as `evil` with `body` appended."""
    folder = home / "templates" / "evil"
    shutil.copytree(REPO / "templates" / "dunning-letter", folder)
    html = (folder / "template.html").read_text(encoding="utf-8")
    html = html.replace("{% block body %}", "{% block body %}" + body, 1)
    if css:
        html = html.replace("{% block style %}", "{% block style %}" + css, 1)
    (folder / "template.html").write_text(html, encoding="utf-8")
    return "evil"


ATTACKS = {
    "python-internals": ("{{ ''.__class__.__mro__[1].__subclasses__() }}", ""),
    "format-string": ("{{ '{0.__class__}'.format(data) }}", ""),
    "include-outside": ('{% include "../../../../etc/passwd" %}', ""),
    "img-file-outside": ('<img src="file:///etc/passwd">', ""),
    "img-relative-outside": ('<img src="../../records/formsmith.json">', ""),
    "stylesheet-link": ('<link rel="stylesheet" href="file:///etc/ssl/openssl.cnf">', ""),
    "css-import": ('<style>@import url("file:///etc/hostname");</style>', ""),
    "css-url": ("", 'body { background: url("/etc/hostname"); }'),
    "network": ('<img src="http://127.0.0.1:9/x.png">', ""),
    "attachment": ('<a rel="attachment" href="file:///etc/passwd">x</a>', ""),
    "include-itself": ('{% include "template.html" %}', ""),
}


@pytest.mark.parametrize("attack", sorted(ATTACKS))
def test_attack_is_refused_and_leaves_nothing(attack, empty_home, run, tmp_path):
    body, css = ATTACKS[attack]
    tid = make_template(empty_home, body, css)
    data = tmp_path / "d.json"
    ex = run(empty_home, "templates", "example", tid)
    assert ex.exit_code == 0, ex.stderr
    data.write_text(ex.stdout, encoding="utf-8")
    before = (empty_home / "records" / "formsmith.json").read_bytes()
    result = run(empty_home, "render", tid, "--data", str(data))
    assert result.exit_code == 2, (attack, result.stdout, result.stderr)
    assert "refused" in result.stderr or "cannot include" in result.stderr
    assert "Traceback" not in result.stderr
    assert (empty_home / "records" / "formsmith.json").read_bytes() == before
    assert not [p for p in (empty_home / "output").rglob("*") if p.is_file()]


def test_files_of_the_template_folder_may_be_used(empty_home, run, tmp_path):
    tid = make_template(empty_home, '<img src="logo.svg" style="width:10mm">')
    (empty_home / "templates" / "evil" / "logo.svg").write_text(
        '<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10"><rect width="10" height="10"/></svg>')
    data = tmp_path / "d.json"
    data.write_text(run(empty_home, "templates", "example", tid).stdout, encoding="utf-8")
    result = run(empty_home, "render", tid, "--data", str(data), "--json")
    assert result.exit_code == 0, result.stderr
    assert Path(json.loads(result.stdout)["path"]).is_file()


def test_workspace_template_overrides_the_builtin(empty_home, run):
    folder = empty_home / "templates" / "dunning-letter"
    shutil.copytree(REPO / "templates" / "dunning-letter", folder)
    manifest = folder / "manifest.toml"
    manifest.write_text(manifest.read_text(encoding="utf-8").replace(
        'title = "物业服务费催缴函"', 'title = "欠费催缴函（本小区版）"'), encoding="utf-8")
    listed = json.loads(run(empty_home, "templates", "list", "--json").stdout)
    row = next(t for t in listed if t["id"] == "dunning-letter")
    assert row["title"] == "欠费催缴函（本小区版）" and row["folder"] == str(folder.resolve())
