"""Issue 14, second pass: settings, issued files, replacements, damage, killed runs, permissions.

Every refusal is checked as a real `formsmith` process: its exit code (2 bad input, 1 failed),
one line on stderr without a traceback, the store unchanged and no file left behind.
"""
from __future__ import annotations

import hashlib
import io
import json
import shutil
import subprocess
from pathlib import Path

import pytest

from conftest import FORMSMITH, formsmith_cmd, store_rows
from formsmith.store import STORE_FILE

AS_OF = "2025-12-01"
LETTER_1 = "物催字〔2025〕1号"


# ---------------------------------------------------------------- the guard

def tree(home: Path) -> dict[str, str]:
    """Every file of a workspace (but the store's lock) with its SHA-256."""
    return {str(p.relative_to(home)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(home.rglob("*")) if p.is_file() and p.name != ".lock"}


def refused(proc: subprocess.CompletedProcess, code: int, *expected: str) -> str:
    """The one line a refusal printed, after checking its exit code and that it is one line."""
    assert proc.returncode == code, (proc.returncode, proc.stdout, proc.stderr)
    assert "Traceback" not in proc.stderr, proc.stderr
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1, proc.stderr
    for text in expected:
        assert text in lines[0], lines[0]
    return lines[0]


def set_setting(home: Path, section: str, line: str) -> None:
    """Put `line` (key = value) into `[section]` of formsmith.toml, in place of that key if it
    is there, else at the section's start (the section is appended if new)."""
    path = home / "formsmith.toml"
    key = line.split("=", 1)[0].strip()
    out, current, done = [], None, False
    for old in path.read_text(encoding="utf-8").splitlines():
        if old.startswith("["):
            current = old.strip()[1:-1]
            out.append(old)
            if current == section and not done:
                out.append(line)
                done = True
            continue
        if current == section and old.split("=", 1)[0].strip() == key and "=" in old:
            continue
        out.append(old)
    if not done:
        out += ["", f"[{section}]", line]
    path.write_text("\n".join(out) + "\n", encoding="utf-8")


def render_letter(home: Path, *extra: str, unit: str = "1-1-802") -> subprocess.CompletedProcess:
    return formsmith_cmd(home, "render", "dunning-letter", "--unit", unit, "--as-of", AS_OF,
                         "--again", *extra)


# ---------------------------------------------------------------- 1. issued PDFs never replaced

@pytest.mark.parametrize("series", [
    "阳物催字", "阳物催字〔{year}〕号", "{seq.__class__}", "{seq}{seq}", "{seq!r}号",
    "{month}{seq}", "{seq:x}号", "{0}{seq}", "物催字{", "物催字{seq", "", 12])
def test_a_numbering_setting_that_cannot_number_documents_is_refused(demo_copy, series):
    value = json.dumps(series, ensure_ascii=False)
    set_setting(demo_copy, "numbering", f"dunning-letter = {value}")
    before = tree(demo_copy)
    line = refused(render_letter(demo_copy), 2, "formsmith.toml [numbering] dunning-letter")
    assert "{seq}" in line
    assert tree(demo_copy) == before


@pytest.mark.parametrize("series", ["阳物催字〔{year}〕{seq}号", "No.{year}{seq:06d}", "物催{{{seq}}}"])
def test_a_good_numbering_setting_numbers_documents(demo_copy, series):
    set_setting(demo_copy, "numbering", "dunning-letter = " + json.dumps(series, ensure_ascii=False))
    first, second = render_letter(demo_copy, "--json"), render_letter(demo_copy, "--json")
    assert first.returncode == 0 and second.returncode == 0, first.stderr + second.stderr
    a, b = json.loads(first.stdout), json.loads(second.stdout)
    assert a["doc_no"] != b["doc_no"] and a["path"] != b["path"]
    assert Path(a["path"]).is_file() and Path(b["path"]).is_file()


def test_a_number_already_in_the_store_is_never_issued_again(demo_copy):
    """A changed series that spells the old numbers ({seq:d} is {seq}) has a counter of its own:
    its first number is one the store already holds. Refused; the issued PDF is untouched."""
    pdf = demo_copy / "output" / "dunning-letter" / "2025" / f"{LETTER_1}.pdf"
    set_setting(demo_copy, "numbering", 'dunning-letter = "物催字〔{year}〕{seq:d}号"')
    before = tree(demo_copy)
    refused(render_letter(demo_copy), 2, LETTER_1, "[numbering]")
    assert tree(demo_copy) == before and pdf.is_file()


def _pdf_claiming(doc_id: str) -> bytes:
    from pypdf import PdfWriter
    w = PdfWriter()
    w.add_blank_page(595, 842)
    w.add_metadata({"/Keywords": f"formsmith:{doc_id}, 物催字〔2025〕4号"})
    buf = io.BytesIO()
    w.write(buf)
    return buf.getvalue()


def test_an_issued_file_at_the_next_numbers_path_is_never_replaced(demo_copy):
    """Whatever sits at the path of the next number and is a recorded document's file (here:
    letter 1 copied there by hand) stays as it is: the render is refused."""
    folder = demo_copy / "output" / "dunning-letter" / "2025"
    shutil.copy(folder / f"{LETTER_1}.pdf", folder / "物催字〔2025〕4号.pdf")
    before = tree(demo_copy)
    refused(render_letter(demo_copy), 2, "物催字〔2025〕4号.pdf", "不覆盖")
    assert tree(demo_copy) == before


def test_a_killed_renders_unrecorded_file_gives_way(demo_copy):
    """A file claiming a document the store never recorded (a render killed between placing its
    PDF and committing) is the one thing a render may replace: that number was never issued."""
    from formsmith import codes
    stray = demo_copy / "output" / "dunning-letter" / "2025" / "物催字〔2025〕4号.pdf"
    stray.write_bytes(_pdf_claiming(codes.new_doc_id()))
    done = render_letter(demo_copy, "--json")
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["doc_no"] == "物催字〔2025〕4号"
    assert formsmith_cmd(demo_copy, "verify", str(stray)).returncode == 0


# ---------------------------------------------------------------- 2. settings and dates

def _top_level(home: Path, key: str, value: str) -> None:
    """`key = value` at the top of formsmith.toml, in place of the section of that name."""
    path = home / "formsmith.toml"
    text = path.read_text(encoding="utf-8").replace(f"[{key}]\n", f"[{key}_was]\n")
    path.write_text(f"{key} = {value}\n" + text, encoding="utf-8")


BAD_SETTINGS = [
    ("dunning", "deadline_days = 1e400", "[dunning] deadline_days"),
    ("dunning", "deadline_days = 15.5", "[dunning] deadline_days"),
    ("dunning", "legal_deadline_days = 99999999999999999", "[dunning] legal_deadline_days"),
    ("dunning", "notice_after_months = -1", "[dunning] notice_after_months"),
    ("dunning", "batch_chunk = 0", "[dunning] batch_chunk"),
    ("dunning", "commit_every = true", "[dunning] commit_every"),
    ("clerk", "name = 5", "[clerk] name"),
    ("fonts", 'serif = ["Noto Serif CJK SC"]', "[fonts] serif"),
    ("seal", 'trust_roots = "root.pem"', "[seal] trust_roots"),
    ("survey", "return_days = inf", "[survey] return_days"),
    ("renovation", "debris_rate = nan", "[renovation] debris_rate"),
    ("company", "phone = 27876543", "[company] phone"),
]


SETTING_USERS = (("render", "dunning-letter", "--unit", "1-1-802", "--as-of", AS_OF),
                 ("dunning", "run", "--as-of", AS_OF, "--dry-run"), ("docs", "list"))


@pytest.mark.parametrize("section,line,named", BAD_SETTINGS, ids=[b[1] for b in BAD_SETTINGS])
def test_a_bad_setting_gives_one_line_naming_it(demo_copy, section, line, named):
    """The settings are checked where the workspace is opened, for every command: each bad one
    is tried through one of three commands in turn (a render, the month-end dry run, a list),
    the first through all three."""
    set_setting(demo_copy, section, line)
    before = tree(demo_copy)
    k = BAD_SETTINGS.index((section, line, named))
    for args in (SETTING_USERS if k == 0 else [SETTING_USERS[k % len(SETTING_USERS)]]):
        refused(formsmith_cmd(demo_copy, *args), 2, f"formsmith.toml {named}:")
    assert tree(demo_copy) == before


@pytest.mark.parametrize("key,value", [("company", '"阳光物业"'), ("numbering", '"物催字"'),
                                       ("dunning", "15")])
def test_a_value_where_a_section_belongs_gives_one_line(demo_copy, key, value):
    _top_level(demo_copy, key, value)
    before = tree(demo_copy)
    refused(render_letter(demo_copy), 2, f"formsmith.toml [{key}]:")
    assert tree(demo_copy) == before


def test_every_bad_setting_has_its_own_line(demo_copy):
    set_setting(demo_copy, "dunning", "deadline_days = 1e400")
    set_setting(demo_copy, "numbering", 'dunning-letter = "阳物催字"')
    proc = formsmith_cmd(demo_copy, "docs", "list")
    assert proc.returncode == 2 and "Traceback" not in proc.stderr
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 2
    assert "[dunning] deadline_days" in lines[0] and "[numbering] dunning-letter" in lines[1]


def _days_from_today(n: int) -> str:
    from datetime import date, timedelta
    return (date.today() + timedelta(days=n)).isoformat()


@pytest.mark.parametrize("as_of", ["9999-12-25", "2099-01-01", "tomorrow", "1999-12-31"])
@pytest.mark.parametrize("command", ["render", "dunning run"])
def test_render_and_the_dunning_run_share_one_date_check(demo_copy, command, as_of):
    """`dunning run --as-of 2099-01-01` issued notices dated 2099 that `render` refuses."""
    as_of = _days_from_today(1) if as_of == "tomorrow" else as_of
    args = (["render", "dunning-letter", "--unit", "1-1-802", "--again"] if command == "render"
            else ["dunning", "run", "--jobs", "1"])
    before = tree(demo_copy)
    refused(formsmith_cmd(demo_copy, *args, "--as-of", as_of), 2, f"--as-of {as_of}", "不在合理范围内")
    assert tree(demo_copy) == before


def test_a_dry_run_and_the_status_may_look_ahead_but_not_to_9999(demo_copy):
    before = tree(demo_copy)
    assert formsmith_cmd(demo_copy, "dunning", "run", "--as-of", "2030-01-01", "--dry-run").returncode == 0
    assert formsmith_cmd(demo_copy, "dunning", "status", "--as-of", "2030-01-01").returncode == 0
    for args in (("dunning", "run", "--dry-run"), ("dunning", "status")):
        refused(formsmith_cmd(demo_copy, *args, "--as-of", "9999-12-25"), 2, "--as-of 9999-12-25")
    assert {k: v for k, v in tree(demo_copy).items() if not k.startswith("output/.dunning")} == \
        {k: v for k, v in before.items() if not k.startswith("output/.dunning")}


# ---------------------------------------------------------------- 3. --replaces: same unit, same kind

def test_a_correction_for_another_unit_is_refused_naming_both(demo_copy):
    """Letter 1 is for unit 1-1-802: a letter for 1-2-402 must not cancel it."""
    before = tree(demo_copy)
    line = refused(formsmith_cmd(demo_copy, "render", "dunning-letter", "--unit", "1-2-402",
                                 "--as-of", AS_OF, "--again", "--replaces", LETTER_1),
                   2, LETTER_1, "1-1-802", "1-2-402")
    assert "--replaces" in line
    assert tree(demo_copy) == before
    assert {d["doc_no"]: d["state"] for d in store_rows(demo_copy, "documents")}[LETTER_1] == "generated"


def test_a_correction_of_another_kind_is_refused_naming_both(demo_copy):
    before = tree(demo_copy)
    refused(formsmith_cmd(demo_copy, "render", "payment-notice", "--unit", "1-1-802",
                          "--as-of", AS_OF, "--again", "--replaces", LETTER_1),
            2, LETTER_1, "dunning-letter", "payment-notice")
    assert tree(demo_copy) == before


def test_a_correction_from_data_for_another_unit_is_refused(demo_copy, tmp_path):
    # the data of 1-2-402 as the store records it (a data file about a unit on record must be)
    from datetime import date

    from formsmith import sources
    from formsmith.workspace import load_workspace
    ws = load_workspace(demo_copy)
    with ws.store.snapshot() as view:
        data = sources.build(ws, ws.catalog.get("dunning-letter"), view, "1-2-402", date.fromisoformat(AS_OF))
    (tmp_path / "d.json").write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    before = tree(demo_copy)
    refused(formsmith_cmd(demo_copy, "render", "dunning-letter", "--data", str(tmp_path / "d.json"),
                          "--again", "--replaces", LETTER_1), 2, "1-1-802", "1-2-402")
    assert tree(demo_copy) == before


# ---------------------------------------------------------------- 4. damage is seen

def _root(home: Path) -> dict:
    return json.loads((home / "records" / STORE_FILE).read_bytes())


def _part(home: Path, table: str, key: str) -> Path:
    """The partition file of `table` holding row `key` (or, for "_index/<t>.<f>", value `key`)."""
    from formsmith.store import INDEX_BUCKETS, bucket_of, layout
    root = _root(home)
    if table.startswith("_index/"):
        files = root["indexes"][table[7:]]["files"]
        name = files[str(bucket_of(key, INDEX_BUCKETS))]
    else:
        name = root["tables"][table]["files"][str(bucket_of(key, layout(table)[0]))]
    return home / "records" / "data" / name


def _flip_a_digit(path: Path, after: bytes) -> None:
    """Change one digit following `after`: the file stays valid JSON."""
    data = path.read_bytes()
    i = data.index(after) + len(after)
    while not data[i:i + 1].isdigit():
        i += 1
    path.write_bytes(data[:i] + bytes([48 + (data[i] - 48 + 1) % 10]) + data[i + 1:])
    json.loads(path.read_bytes())


def _drop_checksums(home: Path) -> None:
    """Make the store look like one written before partitions had checksums."""
    root = _root(home)
    root.pop("sums", None)
    (home / "records" / STORE_FILE).write_bytes(json.dumps(root, ensure_ascii=False).encode())


def test_backup_of_a_store_with_an_unreadable_partition_fails(demo_copy, tmp_path):
    part = _part(demo_copy, "charges", store_rows(demo_copy, "charges")[0]["id"])
    part.write_bytes(part.read_bytes()[:40])
    refused(formsmith_cmd(demo_copy, "backup", str(tmp_path / "bk")), 1, "backup", part.name)
    assert not (tmp_path / "bk").exists() and not list(tmp_path.glob(".bk*"))


def test_a_digit_flipped_inside_a_partition_is_found(demo_copy, tmp_path):
    part = _part(demo_copy, "charges", store_rows(demo_copy, "charges")[0]["id"])
    _flip_a_digit(part, b'"amount":"')
    fsck = formsmith_cmd(demo_copy, "fsck")
    assert fsck.returncode == 3 and "PROBLEM" in fsck.stdout and part.name in fsck.stdout, fsck.stdout
    refused(formsmith_cmd(demo_copy, "backup", str(tmp_path / "bk")), 1, part.name, "damaged")
    assert not (tmp_path / "bk").exists()
    refused(formsmith_cmd(demo_copy, "records", "list", "charges"), 1, part.name)


def test_a_damaged_index_never_answers_no_overdue_charges(demo_copy):
    """The index of charges by unit loses unit 1-1-802 (8 months owed): a render must not
    answer "no overdue charges", it must say the store is damaged."""
    index = _part(demo_copy, "_index/charges.unit", "1-1-802")
    entries = json.loads(index.read_bytes())
    del entries["1-1-802"]
    index.write_bytes(json.dumps(entries, ensure_ascii=False).encode())
    before = tree(demo_copy)
    line = refused(render_letter(demo_copy), 1, index.name)
    assert "无逾期欠费" not in line and "no overdue" not in line
    assert formsmith_cmd(demo_copy, "fsck").returncode == 3
    assert tree(demo_copy) == before


def test_an_index_listing_a_row_that_is_not_there_is_refused_in_an_old_store(demo_copy):
    """Without checksums (an older store) a read through an index still checks each row the
    index names: an id that is not in the table is a damaged index, not a missing row."""
    _drop_checksums(demo_copy)
    index = _part(demo_copy, "_index/charges.unit", "1-1-802")
    entries = json.loads(index.read_bytes())
    entries["1-1-802"] = [i + "9" for i in entries["1-1-802"]]
    index.write_bytes(json.dumps(entries, ensure_ascii=False).encode())
    line = refused(render_letter(demo_copy), 1, "charges.unit")
    assert "无逾期欠费" not in line


def test_a_store_without_checksums_stays_readable_and_gets_them_when_written(demo_copy):
    _drop_checksums(demo_copy)
    fsck = formsmith_cmd(demo_copy, "fsck")
    assert fsck.returncode == 0 and "no checksum yet" in fsck.stdout, fsck.stdout + fsck.stderr
    assert formsmith_cmd(demo_copy, "docs", "mark", LETTER_1, "printed").returncode == 0
    root = _root(demo_copy)
    doc = store_rows(demo_copy, "documents")[0]
    assert _part(demo_copy, "documents", doc["id"]).relative_to(demo_copy / "records" / "data").as_posix() \
        in root["sums"]
    assert formsmith_cmd(demo_copy, "fsck").returncode == 0


# ---------------------------------------------------------------- 5. killed runs, modes, read-only

def _reserve_like_a_killed_run(home: Path) -> list[str]:
    """The store as a `dunning run` killed after reserving its numbers leaves it (batch._reserve):
    the counter moved on, the reservations in meta `dunning:pending`, no document yet."""
    from formsmith import numbering
    from formsmith.store import Store
    series, pending = "物通字〔{year}〕{seq}号", []
    with Store(home / "records").transaction() as tx:
        for unit in ("6-1-702", "6-1-901"):
            doc_no, seq = numbering.allocate(tx, series, 2025)
            pending.append({"doc_no": doc_no, "seq": seq, "year": 2025, "series": series,
                            "doc_id": f"D{seq}", "template": "payment-notice", "unit": unit,
                            "period": "2025-12", "issued_on": AS_OF,
                            "path": f"output/payment-notice/2025/{doc_no}.pdf"})
        tx.set_meta("dunning:pending", pending)
    return [p["doc_no"] for p in pending]


def test_fsck_right_after_a_killed_run_says_re_run_to_complete(demo_copy):
    numbers = _reserve_like_a_killed_run(demo_copy)
    folder = demo_copy / "output" / "payment-notice" / "2025"
    folder.mkdir(parents=True)
    (folder / f".{numbers[0]}.pdf.D1.part").write_bytes(b"%PDF-1.7 half")
    proc = formsmith_cmd(demo_copy, "fsck")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "PROBLEM" not in proc.stdout
    notice = next(line for line in proc.stdout.splitlines() if "re-run" in line)
    assert f"formsmith dunning run --as-of {AS_OF}" in notice and numbers[0] in notice
    assert json.loads(formsmith_cmd(demo_copy, "fsck", "--json").stdout)["clean"] is True


def test_fsck_still_names_a_gap_beside_a_killed_runs_reservations(demo_copy):
    from formsmith import numbering
    from formsmith.store import Store
    _reserve_like_a_killed_run(demo_copy)
    with Store(demo_copy / "records").transaction() as tx:   # a number taken, never used
        numbering.allocate(tx, "物通字〔{year}〕{seq}号", 2025)
    proc = formsmith_cmd(demo_copy, "fsck")
    assert proc.returncode == 3 and "no document for [3]" in proc.stdout, proc.stdout


def test_init_with_umask_000_leaves_nothing_writable_by_others(tmp_path):
    home = tmp_path / "ws"
    proc = subprocess.run(["sh", "-c", f'umask 000 && exec "{FORMSMITH}" init "{home}"'],
                          capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr
    assert (home / "formsmith.toml").stat().st_mode & 0o777 == 0o644
    assert (home / "records").stat().st_mode & 0o777 == 0o700
    for path in [home, *home.rglob("*")]:
        assert path.stat().st_mode & 0o022 == 0, (path, oct(path.stat().st_mode))


def test_render_with_umask_000_leaves_nothing_writable_by_others(demo_copy):
    shutil.rmtree(demo_copy / "output" / "dunning-letter")
    proc = subprocess.run(["sh", "-c", f'umask 000 && exec "{FORMSMITH}" --home "{demo_copy}" render '
                           f'dunning-letter --unit 1-1-802 --as-of {AS_OF} --again'],
                          capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr
    for path in (demo_copy / "output").rglob("*"):
        assert path.stat().st_mode & 0o022 == 0, (path, oct(path.stat().st_mode))


def read_only(folders: list[Path], *argv: str) -> subprocess.CompletedProcess:
    """Run `formsmith argv` with `folders` mounted read-only (a private mount namespace: root
    ignores file modes, a read-only mount it cannot)."""
    mounts = " && ".join(f'mount --bind "{f}" "{f}" && mount -o remount,bind,ro "{f}" "{f}"'
                         for f in folders)
    return subprocess.run(["unshare", "-rm", "sh", "-c", f'{mounts} && exec "$0" "$@"', FORMSMITH, *argv],
                          capture_output=True, text=True)


def _can_mount_read_only(tmp: Path) -> bool:
    tmp.mkdir(exist_ok=True)
    try:
        return subprocess.run(["unshare", "-rm", "sh", "-c", f'mount --bind "{tmp}" "{tmp}"'],
                              capture_output=True).returncode == 0
    except FileNotFoundError:
        return False


@pytest.mark.parametrize("args", [
    ("render", "dunning-letter", "--unit", "1-1-802", "--as-of", AS_OF, "--again"),
    ("docs", "mark", LETTER_1, "printed"),
    ("dunning", "run", "--as-of", AS_OF, "--jobs", "1"),
    ("init", "{home}"),
    ("init", "--demo", "{home}"),
], ids=lambda a: " ".join(a[:2]))
def test_a_read_only_workspace_gives_one_line(demo_copy, tmp_path, args):
    if not _can_mount_read_only(tmp_path / "probe"):
        pytest.skip("no mount namespace here")
    before = tree(demo_copy)
    proc = read_only([demo_copy], "--home", str(demo_copy), *(a.replace("{home}", str(demo_copy)) for a in args))
    refused(proc, 1)
    assert tree(demo_copy) == before


def test_init_in_a_read_only_folder_gives_one_line(tmp_path):
    if not _can_mount_read_only(tmp_path / "probe"):
        pytest.skip("no mount namespace here")
    (tmp_path / "ro").mkdir()
    refused(read_only([tmp_path / "ro"], "init", str(tmp_path / "ro" / "ws")), 1, str(tmp_path / "ro" / "ws"))
    assert list((tmp_path / "ro").iterdir()) == []


@pytest.mark.parametrize("command", ["backup", "render --out"])
def test_an_unwritable_target_gives_one_line(demo_copy, tmp_path, command):
    if not _can_mount_read_only(tmp_path / "probe"):
        pytest.skip("no mount namespace here")
    (tmp_path / "ro").mkdir()
    before = tree(demo_copy)
    if command == "backup":
        args = ["backup", str(tmp_path / "ro" / "bk")]
    else:
        args = ["render", "dunning-letter", "--unit", "1-1-802", "--as-of", AS_OF, "--again",
                "--out", str(tmp_path / "ro" / "x.pdf")]
    refused(read_only([tmp_path / "ro"], "--home", str(demo_copy), *args), 1, str(tmp_path / "ro"))
    assert list((tmp_path / "ro").iterdir()) == []
    assert tree(demo_copy) == before
