"""Issuing from data: validation, rare characters, escaping, numbering without gaps."""
from __future__ import annotations

import json
from pathlib import Path

import pytest

from pdftools import page_texts


def example(run, home: Path) -> dict:
    result = run(home, "templates", "example", "dunning-letter")
    assert result.exit_code == 0, result.stderr
    return json.loads(result.stdout)


def write(tmp_path: Path, data: dict, name: str = "data.json") -> Path:
    path = tmp_path / name
    path.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    return path


def state_of(home: Path) -> tuple[bytes, list[Path]]:
    """The store's bytes and every file under output/: what a failed command must not change."""
    return ((home / "records" / "formsmith.json").read_bytes(),
            sorted(p for p in (home / "output").rglob("*") if p.is_file()))


def test_render_from_example_data_prints_the_issued_document(empty_home, run, run_json, tmp_path):
    data = write(tmp_path, example(run, empty_home))
    out = run_json(empty_home, "render", "dunning-letter", "--data", str(data))
    assert set(out) == {"doc_no", "doc_id", "path", "sha256", "pages", "template"}
    assert out["doc_no"] == "物催字〔2025〕1号" and out["pages"] == 1
    assert Path(out["path"]).is_file()
    text = "".join(page_texts(Path(out["path"])))
    assert "张建华" in text and "物通字〔2025〕37号" in text  # prior notice cited by number


@pytest.mark.parametrize("name", ["𠮷野䶮堃喆", '<b>&"王</b>'], ids=["rare-characters", "markup"])
def test_names_print_exactly_as_typed(name, empty_home, run, run_json, tmp_path):
    data = example(run, empty_home)
    data["owner_name"] = name
    out = run_json(empty_home, "render", "dunning-letter", "--data", str(write(tmp_path, data)))
    assert name in "".join(page_texts(Path(out["path"])))


def test_character_no_font_has_is_refused_and_nothing_is_written(empty_home, run, tmp_path):
    data = example(run, empty_home)
    data["owner_name"] = "王\U00030000明"   # CJK Extension G: no installed font has it
    before = state_of(empty_home)
    result = run(empty_home, "render", "dunning-letter", "--data", str(write(tmp_path, data)))
    assert result.exit_code == 2
    assert "U+30000" in result.stderr and "owner_name" in result.stderr and "\U00030000" in result.stderr
    assert "Traceback" not in result.output + result.stderr
    assert state_of(empty_home) == before


def test_bad_data_names_every_field_and_problem(empty_home, run, tmp_path):
    data = example(run, empty_home)
    del data["owner_name"]
    data["items"][1]["amount"] = "1.234"
    data["phone"] = "12345"
    data["colour"] = "red"
    before = state_of(empty_home)
    result = run(empty_home, "render", "dunning-letter", "--data", str(write(tmp_path, data)))
    assert result.exit_code == 2
    err = result.stderr
    assert "owner_name" in err and "必填" in err
    assert "items[2].amount" in err
    assert "phone" in err and "colour" in err
    assert len(err.strip().splitlines()) == 4, err
    assert state_of(empty_home) == before


def test_total_that_does_not_add_up_is_refused(empty_home, run, tmp_path):
    data = example(run, empty_home)
    data["total"] = "1.00"
    result = run(empty_home, "render", "dunning-letter", "--data", str(write(tmp_path, data)))
    assert result.exit_code == 2 and "total" in result.stderr and "1,084.15" in result.stderr


def test_numbers_have_no_gaps_after_failures_and_restart_each_year(empty_home, run, run_json, tmp_path):
    good = example(run, empty_home)
    bad = dict(good, owner_name="\U00030000")
    nos = []
    for data in (good, bad, good, bad, good):
        result = run(empty_home, "render", "dunning-letter", "--data", str(write(tmp_path, data)),
                     "--again", "--json")
        if result.exit_code == 0:
            nos.append(json.loads(result.stdout)["doc_no"])
    assert nos == ["物催字〔2025〕1号", "物催字〔2025〕2号", "物催字〔2025〕3号"]
    next_year = dict(good, as_of="2026-01-05")
    out = run_json(empty_home, "render", "dunning-letter", "--data", str(write(tmp_path, next_year)))
    assert out["doc_no"] == "物催字〔2026〕1号"


def test_same_unit_and_period_is_not_issued_twice_without_again(demo_copy, run, run_json):
    result = run(demo_copy, "render", "dunning-letter", "--unit", "1-1-802", "--as-of", "2025-12-01")
    assert result.exit_code == 2 and "物催字〔2025〕1号" in result.stderr and "--again" in result.stderr
    out = run_json(demo_copy, "render", "dunning-letter", "--unit", "1-1-802", "--as-of",
                   "2025-12-01", "--again")
    assert out["doc_no"] == "物催字〔2025〕4号"


def test_render_unit_without_arrears_or_unknown_unit_is_a_clear_error(demo_copy, run):
    result = run(demo_copy, "render", "dunning-letter", "--unit", "1-1-101", "--as-of", "2025-12-01")
    assert result.exit_code == 2 and "1-1-101" in result.stderr and "no overdue" in result.stderr
    result = run(demo_copy, "render", "dunning-letter", "--unit", "9-9-999")
    assert result.exit_code == 2 and "9-9-999" in result.stderr and "not found" in result.stderr


def test_out_path_is_never_overwritten(empty_home, run, tmp_path):
    data = write(tmp_path, example(run, empty_home))
    target = tmp_path / "letter.pdf"
    target.write_bytes(b"someone else's file")
    result = run(empty_home, "render", "dunning-letter", "--data", str(data), "--out", str(target))
    assert result.exit_code == 2 and "exists" in result.stderr
    assert target.read_bytes() == b"someone else's file"


def test_unknown_template_and_missing_workspace_are_one_line_errors(empty_home, run, tmp_path):
    result = run(empty_home, "render", "no-such-template", "--unit", "1-1-101")
    assert result.exit_code == 2 and len(result.stderr.strip().splitlines()) == 1
    result = run(tmp_path / "nowhere", "docs", "list")
    assert result.exit_code == 2 and "formsmith init" in result.stderr


def test_multi_page_letter_has_a_code_for_each_page(empty_home, run, run_json, tmp_path):
    from pdftools import our_page_codes
    data = example(run, empty_home)
    data["items"] = [{"period": f"{2024 + m // 12}-{m % 12 + 1:02d}", "item": item, "amount": amount,
                      "due": f"{2024 + m // 12}-{m % 12 + 1:02d}-28"}
                     for m in range(20) for item, amount in (("物业服务费", "216.83"), ("车位管理费", "150.00"))]
    del data["total"]  # computed from the items when absent
    out = run_json(empty_home, "render", "dunning-letter", "--data", str(write(tmp_path, data)))
    assert out["pages"] >= 2
    found = our_page_codes(Path(out["path"]))
    assert [[(c.doc_id, c.page, c.pages) for c in page] for page in found] == \
        [[(out["doc_id"], n, out["pages"])] for n in range(1, out["pages"] + 1)]
    texts = page_texts(Path(out["path"]))
    assert all(f"第{n}页共{out['pages']}页" in t for n, t in enumerate(texts, 1))
    assert "回执" in texts[-1] and "（盖章）" in texts[-1]
