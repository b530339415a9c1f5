"""What a month-end stage leaves for the post room, from what the store records for the period:
the sealed letters, one print file (duplex, with each 回执 on its own tear-off sheet), its
cover sheet, the courier's batch-import list and the SMS / phone list."""
from __future__ import annotations

import errno
import json
import os
import re
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

from ... import catalog
from ...errors import FormsmithError, InputError
from ...formats import cn_count, cn_date, money
from ...identity import validate_phone
from ...sheets.io import SheetSpec, write_csv, write_xlsx
from ...workspace import Workspace
from . import policy as dunning

def print_sequence(pages: int, tearoff_pages: tuple[int, ...] | list[int]) -> list[int | None]:
    """The sides a letter takes in a duplex print file: its pages (1-based) and None for blank
    sides. A letter starts on a front and ends on a back, so two owners never share a sheet;
    a page carrying a tear-off 回执 gets a sheet of its own (front, blank back)."""
    seq: list[int | None] = []
    for k in range(1, pages + 1):
        if k in tearoff_pages and len(seq) % 2 == 1:
            seq.append(None)
        seq.append(k)
        if k in tearoff_pages:
            seq.append(None)
    if len(seq) % 2 == 1:
        seq.append(None)
    return seq


def write_print_file(ws: Workspace, tpl: catalog.Template, st: dunning.Stage, period: str,
                     docs: list[dict], out: Path, staging: Path) -> Path:
    """One PDF of every letter of the stage, sorted by building/unit, duplex-safe, with a cover.

    The pages come from the chunk PDFs of this run where there are some (their fonts are
    shared by the chunk, so the file stays small) and from each letter's own file otherwise.
    """
    import pikepdf
    manifest = out.with_suffix(".json")
    wanted = [d["doc_no"] for d in docs]
    if out.exists() and manifest.exists():
        try:
            if json.loads(manifest.read_text(encoding="utf-8")).get("documents") == wanted:
                return out
        except ValueError:
            pass
    chunk_pages: dict[str, tuple[Path, int]] = {}
    for chunk_file in sorted(staging.glob("chunk-*.pdf")) if staging.is_dir() else ():
        index = chunk_file.with_suffix(".json")
        if index.exists():
            for doc_no, first in json.loads(index.read_text(encoding="utf-8")):
                chunk_pages[doc_no] = (chunk_file, first)
    cover = staging.parent / f"cover-{st.number}.pdf"
    cover.parent.mkdir(parents=True, exist_ok=True)
    sides = sum(len(print_sequence(d["pages"], d.get("tearoff_pages", ()))) for d in docs)
    write_cover(ws, tpl, st, period, docs, cover, sides)
    # qpdf assembles the file (pikepdf's Job: the `qpdf --empty --pages …` command): ~0.1 ms a
    # page, in time linear in the pages (pypdf takes ~0.5 ms a page; appending pages one by one
    # through pikepdf's page list grows with the square of the file).
    blank = staging.parent / f"blank-{st.number}.pdf"
    first_src, first_page = chunk_pages.get(docs[0]["doc_no"], (ws.root / docs[0]["path"], 0))
    with pikepdf.open(first_src) as pdf:
        box = pdf.pages[first_page].mediabox
        size = (float(box[2]) - float(box[0]), float(box[3]) - float(box[1]))
    with pikepdf.new() as pdf:
        pdf.add_blank_page(page_size=size)
        # Its content stream is empty and stays unfiltered: qpdf compresses no bytes into no
        # bytes and marks them /FlateDecode (Ghostscript: "Page drawing error occurred").
        pdf.save(blank, compress_streams=False)
    with pikepdf.open(cover) as pdf:
        cover_pages = len(pdf.pages)
    sequence: list[tuple[str, int]] = [(str(cover), k) for k in range(1, cover_pages + 1)]
    if cover_pages % 2:
        sequence.append((str(blank), 1))
    for d in docs:
        src, first = chunk_pages.get(d["doc_no"], (ws.root / d["path"], 0))
        for k in print_sequence(d["pages"], d.get("tearoff_pages", ())):
            sequence.append((str(blank), 1) if k is None else (str(src), first + k))
    # Stream data is copied as the sources hold it: qpdf would otherwise compress the
    # unfiltered ones, an empty one (the blank back's content, an empty field appearance of a
    # letter taken from its own file) into /FlateDecode over no bytes, which readers fail on.
    # An EOL before each endstream, as ISO 19005 6.1.7.1 (and strict readers) want it.
    args = ["qpdf", "--compress-streams=n", "--decode-level=none", "--newline-before-endstream",
            "--empty", "--pages"]
    for src, run in _runs(sequence):
        args += [src, run]
    tmp = out.with_name(f".{out.name}.part")
    args += ["--", str(tmp)]
    try:
        job = pikepdf.Job(args)
        pdf = job.create_pdf()
    except pikepdf.JobUsageError as exc:  # pragma: no cover - our own arguments
        raise FormsmithError(f"print file {out}: qpdf refused its page list: {exc}") from None
    manifest_tmp = manifest.with_name(f".{manifest.name}.part")
    try:
        with pdf:
            distinct_subset_tags(pdf)
            job.write_pdf(pdf)
        with open(tmp, "rb+") as fh:
            os.fsync(fh.fileno())
        # qpdf does not always report a failed write (a full disk leaves a cut file): the file
        # is read back, and only a whole one takes the print file's place.
        with pikepdf.open(tmp) as check:
            if len(check.pages) != len(sequence):
                raise OSError(errno.EIO, f"the print file came out with {len(check.pages)} of "
                                         f"{len(sequence)} pages", str(out))
        manifest_tmp.write_text(json.dumps({"documents": wanted, "sides": sides + cover_pages},
                                           ensure_ascii=False), encoding="utf-8")
        os.replace(tmp, out)
        os.replace(manifest_tmp, manifest)
    except (OSError, pikepdf.PdfError) as exc:
        tmp.unlink(missing_ok=True)
        manifest_tmp.unlink(missing_ok=True)
        why = "磁盘空间已满" if getattr(exc, "errno", None) == errno.ENOSPC else f"{exc}"
        raise FormsmithError(f"{out}: 打印文件未能写出（{why}）；信函均已登记，腾出空间后重新运行同一命令即可"
                             "补出打印文件和清单 (the print file could not be written; the letters are "
                             "recorded: run the same command again to make it)") from None
    finally:
        cover.unlink(missing_ok=True)
        blank.unlink(missing_ok=True)
    return out


_SUBSET_TAG = re.compile(r"/([A-Z]{6})\+")


def distinct_subset_tags(pdf) -> int:
    """Give each subset tag (the ABCDEF+ of a font's name) of the pikepdf `pdf` one font
    program (ISO 32000-1 9.6.4), as a file put together from several engine documents needs:
    WeasyPrint tags a font's subsets alike whatever glyphs they hold, so the cover and every
    chunk of a print file carry e.g. LWGGBP+Noto-Serif-CJK-SC over different programs.

    The first program a tag names (in object order) keeps it; another one under the same tag
    gets a fresh tag, derived from its bytes, in its descriptor's /FontName and the /BaseFont
    of the fonts that use it (a Type0 font and its descendant alike). Identical programs
    (Typst's subsets of the same glyphs) keep sharing their tag. Returns how many
    descriptors were re-tagged."""
    import hashlib
    from collections import Counter

    import pikepdf
    groups: dict[tuple[int, int], tuple[Any, list]] = {}   # descriptor → (it, fonts naming it)
    for obj in pdf.objects:
        if not isinstance(obj, pikepdf.Dictionary) or obj.get("/Type") != "/Font":
            continue
        parts = list(obj.get("/DescendantFonts", ())) if obj.get("/Subtype") == "/Type0" else [obj]
        for part in parts:
            fd = part.get("/FontDescriptor")
            if isinstance(fd, pikepdf.Dictionary) and fd.is_indirect:
                groups.setdefault(fd.objgen, (fd, []))[1].extend((obj, part))
    tag_of = {key: m.group(1) for key, (fd, _) in groups.items()
              if (m := _SUBSET_TAG.match(str(fd.get("/FontName", ""))))}
    used = set(tag_of.values())
    shared = {t for t, n in Counter(tag_of.values()).items() if n > 1}
    named: dict[str, bytes] = {}                 # tag → digest of the program it names
    fresh: dict[tuple[str, bytes], str] = {}     # (old tag, digest) → its new tag
    changed = 0
    for key in sorted(k for k, t in tag_of.items() if t in shared):   # the others name one program
        fd, fonts = groups[key]
        program = next((fd[k] for k in ("/FontFile", "/FontFile2", "/FontFile3") if k in fd), None)
        if program is None:
            continue
        tag = tag_of[key]
        digest = hashlib.sha256(program.read_raw_bytes()).digest()
        if named.setdefault(tag, digest) == digest:
            continue
        new = fresh.get((tag, digest))
        if new is None:
            seed = digest
            while (candidate := "".join(chr(65 + b % 26) for b in seed[:6])) in used:
                seed = hashlib.sha256(seed).digest()
            new = candidate
            used.add(new)
            named[new] = digest
            fresh[(tag, digest)] = new
        for d, entry in ((fd, "/FontName"), *((f, "/BaseFont") for f in fonts)):
            name = str(d.get(entry, ""))
            if name.startswith(f"/{tag}+"):
                d[entry] = pikepdf.Name(f"/{new}+{name[8:]}")
        changed += 1
    return changed


def _runs(sequence: list[tuple[str, int]]) -> list[tuple[str, str]]:
    """(file, page) pairs as qpdf page ranges: consecutive pages of one file become "a-b"."""
    runs: list[list] = []
    for src, page in sequence:
        if runs and runs[-1][0] == src and runs[-1][2] == page - 1:
            runs[-1][2] = page
        else:
            runs.append([src, page, page])
    return [(src, f"{a}-{b}" if a != b else str(a)) for src, a, b in runs]


_DOC_NO = re.compile(r"^(.*〔\d{4}〕)(\d+)号$")


def number_ranges(doc_nos: list[str]) -> str:
    """The numbers of a batch as they really run: "物通字〔2025〕1—3号、5号、9—12号" (one
    series after another), never "first 至 last" over numbers the batch does not hold. Numbers
    of another form are listed as they are."""
    series: dict[str, list[int]] = {}
    others: list[str] = []
    for no in doc_nos:
        m = _DOC_NO.match(no)
        if m:
            series.setdefault(m.group(1), []).append(int(m.group(2)))
        else:
            others.append(no)
    parts: list[str] = []
    for prefix, seqs in series.items():
        runs: list[list[int]] = []
        for n in sorted(set(seqs)):
            if runs and runs[-1][1] == n - 1:
                runs[-1][1] = n
            else:
                runs.append([n, n])
        parts.append(prefix + "、".join(f"{a}—{b}号" if b > a else f"{a}号" for a, b in runs))
    return "；".join(parts + others)


def write_cover(ws: Workspace, tpl: catalog.Template, st: dunning.Stage, period: str,
                docs: list[dict], out: Path, sides: int) -> None:
    """The cover sheet of a print file: stage, period, the numbers it holds (as they run),
    counts and totals per building with their 合计, how to print it."""
    from html import escape

    from weasyprint import HTML

    from ...formats import rmb_words
    from ...render.html import font_config
    total = sum((Decimal(d["record"].get("total") or "0") for d in docs), Decimal("0.00"))
    by_building: dict[str, list[dict]] = {}
    with ws.store.snapshot() as view:
        for d in docs:
            u = view.get("units", d["unit"]) or {}
            by_building.setdefault(f"{u.get('community', '')}{u.get('building', '?')}栋", []).append(d)
    rows = "".join(
        f"<tr><td>{escape(b)}</td><td class='n'>{len(ds)}</td><td class='n'>"
        f"{money(sum((Decimal(x['record'].get('total') or '0') for x in ds), Decimal('0.00')))}</td></tr>"
        for b, ds in by_building.items())
    rows += (f"<tr class='sum'><td>合计</td><td class='n'>{len(docs)}</td>"
             f"<td class='n'>{money(total)}</td></tr>")
    with_receipt = sum(1 for d in docs if d.get("tearoff_pages"))
    if with_receipt:
        how = ("双面打印；每份从正面开始，回执所在页单独成张、背面留空"
               + ("" if with_receipt == len(docs) else f"（带回执{with_receipt}份）"))
    else:
        how = "双面打印；每份从正面开始"
    f = ws.fonts
    html = f"""<html lang="zh-CN"><head><meta charset="utf-8"><style>
@page {{ size: A4; margin: 25mm; }}
body {{ font-family: "{f['serif']}"; font-size: 12pt; }}
h1 {{ font-family: "{f['sans']}"; font-size: 20pt; text-align: center; margin-bottom: 8mm; }}
table {{ border-collapse: collapse; width: 100%; margin: 4mm 0; }}
td, th {{ border: 0.6pt solid #000; padding: 1.5mm 3mm; }} th {{ font-family: "{f['sans']}"; font-weight: normal; background: #eee; }}
td.n {{ text-align: right; }}
tr.sum td {{ font-family: "{f['sans']}"; }}
</style></head><body>
<h1>打印批次封面（不邮寄）</h1>
<table>
<tr><th>单位</th><td>{escape(ws.company.name)}</td></tr>
<tr><th>文书</th><td>第{st.number}阶段：{escape(tpl.title)}</td></tr>
<tr><th>所属期间</th><td>{period}</td></tr>
<tr><th>文书编号</th><td>{escape(number_ranges([d['doc_no'] for d in docs]))}（按楼栋、房号排序）</td></tr>
<tr><th>份数</th><td>{len(docs)} 份</td></tr>
<tr><th>打印面数</th><td>{sides} 面（{how}）</td></tr>
<tr><th>欠费合计</th><td>¥{money(total)}（{rmb_words(total)}）</td></tr>
<tr><th>生成日期</th><td>{cn_date(date.today())}　{escape(ws.clerk)}</td></tr>
</table>
<table><tr><th>楼栋</th><th>份数</th><th>欠费合计（元）</th></tr>{rows}</table>
</body></html>"""
    HTML(string=html).write_pdf(str(out), font_config=font_config())


# The courier's batch-import sheet: who, where (the full postal address) and what is inside
# (内件品名: the document's title and number, what the waybill proves was delivered) — never
# what the owner owes (个人信息保护法 第六条, 第二十三条: the courier needs no debt to deliver).
COURIER_COLUMNS = ("序号", "收件人", "收件地址", "收件电话", "内件品名", "房屋编号")
# The office's own copy (内部留存): the same letters with their amounts, never sent out.
INTERNAL_COLUMNS = ("序号（内部留存）", "内件品名", "房屋编号", "收件人", "收件地址", "收件电话", "欠费金额（元）")


def _amount(total: Any) -> Decimal | str:
    """A letter's total as a number cell (the record keeps it as text "433.66")."""
    return Decimal(total) if total not in (None, "") else ""


def contents(doc: dict) -> str:
    """内件品名 of a letter: its title and number, "物业服务费催缴函 物催字〔2025〕4号"."""
    title = doc.get("title") or ""
    return f"{title} {doc['doc_no']}" if title else doc["doc_no"]


def courier_rows(docs: list[dict]) -> list[list[Any]]:
    """The courier's rows: recipient, the address the letter was built with (the agreed
    service address, the owner's mailing address or the unit's full postal address), phone,
    contents; no amount."""
    rows = []
    for n, d in enumerate(docs, 1):
        r = d["record"]
        rows.append([n, r.get("owner_name", ""), r.get("mailing_address") or r.get("unit_address", ""),
                     r.get("phone") or "", contents(d), d["unit"]])
    return rows


def internal_rows(docs: list[dict]) -> list[list[Any]]:
    """The office's rows: the courier's, with each letter's amount, and a 合计 row."""
    rows: list[list[Any]] = []
    for n, d in enumerate(docs, 1):
        r = d["record"]
        rows.append([n, contents(d), d["unit"], r.get("owner_name", ""),
                     r.get("mailing_address") or r.get("unit_address", ""), r.get("phone") or "",
                     _amount(r.get("total"))])
    rows.append(total_row(len(INTERNAL_COLUMNS), len(INTERNAL_COLUMNS) - 1, docs))
    return rows


def total_row(width: int, at: int, docs: list[dict]) -> list[Any]:
    """A list's last row: 合计, the number of letters and, in column `at`, their amounts'
    sum as a number cell."""
    row: list[Any] = [""] * width
    row[0] = "合计"
    row[1] = f"{len(docs)}份"
    row[at] = sum((Decimal(d["record"].get("total") or "0") for d in docs), Decimal("0.00"))
    return row


def _write_table(path_stem: Path, columns: tuple[str, ...], rows: list[list[Any]], title: str,
                 widths: tuple[int, ...] = (6, 18, 40, 16, 22, 14, 12, 60)) -> list[Path]:
    """The same rows as .xlsx (for the courier's batch import) and .csv (UTF-8 with BOM, so
    Excel shows the Chinese), each written whole then renamed into place by the sheets writer:
    names and addresses stay inert text (never a formula), amounts are numbers."""
    xlsx, csv_path = path_stem.with_suffix(".xlsx"), path_stem.with_suffix(".csv")
    write_xlsx(xlsx, [SheetSpec(title, columns, rows, widths[:len(columns)])])
    write_csv(csv_path, columns, rows)
    return [xlsx, csv_path]


def write_courier_list(ws: Workspace, docs: list[dict], stem: Path) -> list[Path]:
    """Courier batch-import sheet (`courier.xlsx`/`.csv`: recipient, full address, phone, title
    and number as 内件品名, no amount) and the office's own list with the amounts
    (`courier-internal.xlsx`/`.csv`, titled 内部留存: it stays in the office)."""
    internal = stem.with_name(f"{stem.name}-internal")
    return (_write_table(stem, COURIER_COLUMNS, courier_rows(docs), "快递批量下单", (6, 18, 48, 16, 36, 12))
            + _write_table(internal, INTERNAL_COLUMNS, internal_rows(docs), "内部留存-寄件及欠费清单",
                           (16, 36, 12, 18, 48, 16, 14)))


SMS_COLUMNS = ("序号", "手机号码", "业主", "房屋编号", "欠费金额（元）", "方式", "短信内容")
SMS_WIDTHS = (6, 14, 14, 11, 14, 6, 100)
# One SMS segment: 70 characters of a text with Chinese in it (UCS-2, 3GPP TS 23.038), the
# 【签名】 included; a longer text goes out as two or more messages, each charged.
SMS_LIMIT = 70


def sms_text(signature: str, unit: str, total: str, doc_no: str, days: int, phone: str = "") -> str:
    """The reminder of one notice in one segment: who sends it, the unit, what is owed, the
    notice's number and the days to pay from receipt, then (while it still fits in the 70
    characters) the courtesy line and the service centre's phone. The shortest form may still
    be longer (a long signature): the caller refuses it."""
    head = f"【{signature}】您的房屋{unit}欠物业费等{money(total)}元"
    ask = f"请收到后{cn_count(int(days))}日内缴纳"
    forms = [f"{head}（通知单{doc_no}），{ask}，已缴请忽略。" + (f"电话{phone}" if phone else ""),
             f"{head}（通知单{doc_no}），{ask}，已缴请忽略。",
             f"{head}（{doc_no}），{ask}。"]
    return next((t for t in forms if len(t) <= SMS_LIMIT), forms[-1])


def write_sms_list(ws: Workspace, docs: list[dict], stem: Path) -> list[Path]:
    """Stage 1: the SMS (mobile) or phone-call (landline) list that goes with the notices, to
    the owner's own phone, with a 合计 row. Its text says what the notice's record says (the
    unit, the amount, the notice's number, the days to pay from receipt), in one segment, and
    nothing about the notice's delivery: the list is what the clerk will send, not a record
    that it was sent (that is the contact log's, `formsmith contact add UNIT --way 短信`).

    The signature is `[dunning] sms_signature`, else the company's name; a text that would not
    fit in one segment is refused, naming the notice and the setting, before anything is
    written."""
    rows: list[list[Any]] = []
    default_days = dunning.policy(ws).deadline_days
    signature = str(ws.setting("dunning", "sms_signature", "") or ws.company.name)
    for n, d in enumerate(docs, 1):
        r = d["record"]
        phone = r.get("phone") or ""
        try:
            mobile = bool(phone) and validate_phone(phone).startswith("1")
        except ValueError:
            mobile = False
        days = r.get("deadline_days") or default_days
        text = sms_text(signature, d["unit"], r["total"], d["doc_no"], int(days), ws.company.phone)
        if len(text) > SMS_LIMIT:
            raise InputError(f"{d['doc_no']}（{d['unit']}）：短信内容{len(text)}字，超过一条短信的{SMS_LIMIT}字；"
                             "请在 formsmith.toml 的 [dunning] 中设置较短的 sms_signature（短信签名）后重新运行同一命令，"
                             "信函均已登记，清单即可补出")
        rows.append([n, phone, r.get("owner_name", ""), d["unit"], _amount(r.get("total")),
                     "短信" if mobile else ("电话" if phone else "上门"), text])
    rows.append(total_row(len(SMS_COLUMNS), SMS_COLUMNS.index("欠费金额（元）"), docs))
    return _write_table(stem, SMS_COLUMNS, rows, "短信电话提醒", SMS_WIDTHS)
