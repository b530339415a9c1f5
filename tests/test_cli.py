"""The CLI as a clerk meets it: init, templates, records; --json everywhere it lists or issues."""
from __future__ import annotations

import json
import os
import stat

from conftest import formsmith_cmd, store_rows


def test_init_is_idempotent_and_keeps_what_exists(tmp_path, run_json):
    home = tmp_path / "ws"
    first = run_json(home, "init", str(home))
    assert first["created"] is True
    (home / "formsmith.toml").write_text((home / "formsmith.toml").read_text(encoding="utf-8")
                                         .replace("王敏", "李娜"), encoding="utf-8")
    again = run_json(home, "init", str(home))
    assert again["created"] is False
    assert "李娜" in (home / "formsmith.toml").read_text(encoding="utf-8")
    for private in ("records", "archive"):
        assert stat.S_IMODE(os.stat(home / private).st_mode) == 0o700


def test_init_demo_twice_issues_nothing_new(demo_copy, run_json):
    before = run_json(demo_copy, "docs", "list")
    out = run_json(demo_copy, "init", "--demo", str(demo_copy))
    assert out["seeded"] is None
    assert [d["doc_no"] for d in out["issued"]] == [d["doc_no"] for d in before]
    assert run_json(demo_copy, "docs", "list") == before


def test_workspace_is_found_from_env_and_from_a_subfolder(demo_home, tmp_path):
    env_run = formsmith_cmd(demo_home, "docs", "list", "--json")
    assert env_run.returncode == 0
    sub = demo_home / "output"
    from_sub = __import__("subprocess").run(
        [str(__import__("conftest").FORMSMITH), "docs", "list", "--json"], cwd=sub,
        capture_output=True, text=True, env={**os.environ, "FORMSMITH_HOME": ""})
    assert from_sub.returncode == 0 and json.loads(from_sub.stdout) == json.loads(env_run.stdout)
    via_env = __import__("subprocess").run(
        [str(__import__("conftest").FORMSMITH), "docs", "list", "--json"], cwd=tmp_path,
        capture_output=True, text=True, env={**os.environ, "FORMSMITH_HOME": str(demo_home)})
    assert json.loads(via_env.stdout) == json.loads(env_run.stdout)


def test_templates_list_show_example(demo_home, run_json, run):
    listed = run_json(demo_home, "templates", "list")
    assert any(t["id"] == "dunning-letter" and t["series"] == "物催字〔{year}〕{seq}号" for t in listed)
    shown = run_json(demo_home, "templates", "show", "dunning-letter")
    assert shown["fields"]["total"]["type"] == "money"
    assert shown["fields"]["items"]["items"]["amount"]["type"] == "money"
    example = json.loads(run(demo_home, "templates", "example", "dunning-letter").stdout)
    assert example["total"] == "1084.15"


def test_records_list_and_show_mask_identity_numbers(demo_home, run_json):
    units = run_json(demo_home, "records", "list", "units")
    assert len(units) == 240 and all("id" in u for u in units)
    owners = run_json(demo_home, "records", "list", "owners")
    person = next(o for o in owners if o["kind"] == "individual")
    assert "********" in person["id_number"] and len(person["id_number"]) == 18
    company = next(o for o in owners if o["kind"] == "company")
    assert "********" in company["credit_code"]
    shown = run_json(demo_home, "records", "show", person["id"])
    assert shown["table"] == "parties" and shown["id_number"] == person["id_number"]
    full = next(p for p in store_rows(demo_home, "parties") if p["id"] == person["id"])["id_number"]
    assert full != shown["id_number"] and full[:6] == shown["id_number"][:6]


def test_records_show_unknown_and_bad_kind(demo_home, run):
    result = run(demo_home, "records", "show", "nope")
    assert result.exit_code == 2 and "nope" in result.stderr
    result = run(demo_home, "records", "list", "cars")
    assert result.exit_code == 2


def test_real_command_prints_one_line_no_traceback(demo_home):
    result = formsmith_cmd(demo_home, "render", "dunning-letter", "--unit", "1-1-101")
    assert result.returncode == 2
    assert len(result.stderr.strip().splitlines()) == 1 and "Traceback" not in result.stderr


def test_the_command_starts_without_loading_the_heavy_engines():
    """Every command pays for what `import formsmith.cli` loads: WeasyPrint, pyHanko, openpyxl,
    LibreOffice's bridge and Typst load only in the commands that use them (a clerk's
    `docs mark` answers in a fraction of a second)."""
    import subprocess
    import sys
    code = ("import sys, formsmith.cli; heavy = [m for m in ('weasyprint', 'pyhanko', 'openpyxl', "
            "'typst', 'pypdfium2', 'zxingcpp', 'docxtpl', 'rich') if m in sys.modules]; print(heavy)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
