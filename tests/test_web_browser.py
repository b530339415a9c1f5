"""The counter in a real browser: Debian's headless Chromium driven by Playwright (the package
pytest-playwright brings; `executable_path`, no browser download) against a real `formsmith
serve` (uvicorn) on a copy of the demo workspace.

The browser lives for this module only (its own `browser` fixture, not the plugin's session-wide
one): Playwright's sync API keeps an asyncio loop running in the test process while it is open,
and the later tests of the same xdist worker that seal a PDF (pyHanko uses asyncio.run) must
not find one.

One clerk's morning, in order, as the tests below: sign in, find a unit by the owner's name,
issue a 催缴函 from its form (a bad date shows its error next to the field, then the good one
issues), open the PDF and mark it printed, take a payment and get the receipt, open a repair and
see it in 今日待办, dry-run the month end, upload a scan of the letter and see it filed.
With $FORMSMITH_SCREENSHOTS set (`make gallery`), each screen is saved there as PNG.
"""
from __future__ import annotations

import os
import shutil
import socket
import subprocess
import time
from pathlib import Path

import pytest

from conftest import FORMSMITH
from scansim import printed, save_pdf, scanned

pytestmark = pytest.mark.skipif(shutil.which("chromium") is None, reason="Debian's chromium is not installed "
                                "(make test installs it)")
SHOTS = Path(os.environ["FORMSMITH_SCREENSHOTS"]) if os.environ.get("FORMSMITH_SCREENSHOTS") else None
CLERK, PASSWORD = "李娜", "counter-pass-clerk"
UNIT, OWNER = "1-1-802", None


@pytest.fixture(scope="module")
def browser():
    from playwright.sync_api import sync_playwright
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=shutil.which("chromium"), headless=True)
        yield chromium
        chromium.close()


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def server(demo_home, tmp_path_factory):
    """`formsmith serve` on a private copy of the demo, with one 主管 account (who may also
    run the month end and take payments); (base URL, workspace)."""
    home = tmp_path_factory.mktemp("web") / "ws"
    shutil.copytree(demo_home, home)
    added = subprocess.run([FORMSMITH, "--home", str(home), "users", "add", CLERK, "--role", "主管",
                            "--password-stdin"], input=PASSWORD + "\n", capture_output=True, text=True)
    assert added.returncode == 0, added.stderr
    port = _free_port()
    proc = subprocess.Popen([FORMSMITH, "--home", str(home), "serve", "--port", str(port)],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            break
        except OSError:
            assert proc.poll() is None, proc.stderr.read()
            time.sleep(0.2)
    yield base, home
    proc.terminate()
    proc.wait(timeout=20)


@pytest.fixture(scope="module")
def clerk(server, browser):
    """One signed-in browser page for the whole morning (the tests run in file order)."""
    base, _ = server
    context = browser.new_context(base_url=base, locale="zh-CN", viewport={"width": 1280, "height": 900})
    page = context.new_page()
    page.set_default_timeout(90_000)     # a loaded CI machine: the suite runs beside it
    yield page
    context.close()


def shot(page, name: str) -> None:
    if SHOTS is not None:
        SHOTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)


def owner_name(home: Path) -> str:
    from conftest import store_rows
    unit = next(u for u in store_rows(home, "units") if u["id"] == UNIT)
    return next(p["name"] for p in store_rows(home, "parties") if p["id"] == unit["owner"])


def test_a_page_without_sign_in_leads_to_the_sign_in_form(clerk, server):
    clerk.goto("/units/" + UNIT)
    assert "/login" in clerk.url
    clerk.fill("input[name=name]", CLERK)
    clerk.fill("input[name=password]", "wrong-password-1")
    clerk.click("button[type=submit]")
    assert clerk.locator(".refusal").inner_text().startswith("用户名或密码不正确")
    shot(clerk, "01-login-refused")
    clerk.fill("input[name=password]", PASSWORD)
    clerk.click("button[type=submit]")
    clerk.wait_for_url("**/units/" + UNIT)          # back where the clerk wanted to go
    assert clerk.locator("header .who").inner_text().startswith(f"{CLERK}（主管）")


def test_find_a_unit_by_the_owners_name(clerk, server):
    _, home = server
    name = owner_name(home)
    clerk.goto("/")
    clerk.fill("input[name=q]", name)                # htmx: results as the clerk types
    clerk.locator("#results a", has_text=UNIT).wait_for()
    shot(clerk, "02-search")
    clerk.locator("#results a", has_text=UNIT).click()
    clerk.wait_for_url("**/units/" + UNIT)
    assert name in clerk.locator("dl.facts").inner_text()
    assert clerk.locator("#account tfoot").inner_text().startswith("合计")
    shot(clerk, "03-unit")


def test_issue_a_dunning_letter_from_its_form_bad_date_first(clerk):
    clerk.goto(f"/units/{UNIT}/issue/dunning-letter")
    clerk.fill("input[name=as_of]", "2025-02-30")
    clerk.click("form.issue-form button[type=submit]")
    error = clerk.locator(".field.bad .error")
    assert "字段 as_of（出具日期）" in error.inner_text() and "不是有效日期" in error.inner_text()
    shot(clerk, "04-issue-error")
    clerk.fill("input[name=as_of]", "2025-12-01")
    clerk.check("input[name=again]")                  # the demo issued this period's letter already
    clerk.click("form.issue-form button[type=submit]")
    clerk.wait_for_url("**/documents/**")
    assert "物业服务费催缴函" in clerk.locator("h1").inner_text()
    assert clerk.locator(".state").first.inner_text() == "已生成"
    shot(clerk, "05-document")


def test_view_the_pdf_and_mark_it_printed(clerk):
    url = clerk.locator("a", has_text="查看 PDF").get_attribute("href")
    response = clerk.request.get(url)
    assert response.status == 200 and response.headers["content-type"] == "application/pdf"
    assert response.body()[:5] == b"%PDF-"
    clerk.select_option("select[name=state]", "printed")
    clerk.click("form.row button[type=submit]")
    clerk.locator(".state", has_text="已打印").first.wait_for()
    assert CLERK in clerk.locator("table.list").inner_text()   # the event names who did it


def test_take_a_payment_and_get_the_receipt(clerk):
    clerk.goto("/units/" + UNIT)
    owed = clerk.locator("input[name=amount]").input_value()
    clerk.select_option("select[name=method]", "微信支付")
    clerk.click("#pay button[type=submit]")
    clerk.wait_for_url("**/documents/**")
    assert "收费收据" in clerk.locator("h1").inner_text()
    shot(clerk, "06-receipt")
    clerk.goto("/units/" + UNIT)
    assert clerk.locator("#account .empty").inner_text() == "无欠费。", owed


def test_open_a_repair_and_see_it_in_today(clerk):
    clerk.goto("/units/" + UNIT)
    clerk.select_option("#case select[name=kind]", "repair")
    clerk.select_option("#case select[name=category]", "safety")
    clerk.fill("#case input[name=description]", "单元门禁无法开启")
    clerk.click("#case button[type=submit]")
    clerk.wait_for_url("**/cases/BX*")
    case = clerk.url.rsplit("/", 1)[-1]
    clerk.select_option("select[name=action]", "dispatch")
    clerk.fill("input[name=to]", "张师傅")
    clerk.click("form.row button[type=submit]")
    clerk.locator("table.list", has_text="张师傅").wait_for()
    clerk.select_option("select[name=action]", "done")
    clerk.click("form.row button[type=submit]")
    clerk.locator("h1 small", has_text="已完成").wait_for()
    shot(clerk, "07-case")
    # A safety repair is called back within 2 days of its completion: due, in 今日待办, that day.
    from datetime import date, timedelta
    clerk.goto(f"/today?as_of={(date.today() + timedelta(days=2)).isoformat()}")
    row = clerk.locator("tr", has_text=case)
    assert "回访" in row.inner_text()
    clerk.goto(f"/today?as_of={(date.today() + timedelta(days=3)).isoformat()}")
    assert "1 天" in clerk.locator("tr.late", has_text=case).inner_text()
    shot(clerk, "08-today")


def test_dry_run_the_month_end(clerk):
    clerk.goto("/month-end")
    clerk.fill("input[name=as_of]", "2025-12-01")
    clerk.click("form.row button[type=submit]")
    plan = clerk.locator("table.plan")
    assert plan.locator("tbody tr").count() > 0
    assert "催缴函" in plan.inner_text() or "缴费通知单" in plan.inner_text()
    shot(clerk, "09-month-end-plan")


def test_upload_a_scan_and_see_it_filed(clerk, server, tmp_path):
    _, home = server
    from conftest import store_rows
    letter = next(d for d in store_rows(home, "documents")
                  if d["template"] == "dunning-letter" and d["unit"] == UNIT and d["state"] == "printed")
    scan = save_pdf([scanned(p, angle=0.4) for p in printed(home / letter["path"])], tmp_path / "scan.pdf")
    clerk.goto("/scans")
    clerk.set_input_files("input[name=files]", str(scan))
    clerk.click("form.row button[type=submit]")
    clerk.locator("p.done").wait_for(timeout=120_000)     # htmx polls the job until it ends
    filed = clerk.locator("tr.o-archived")
    assert letter["doc_no"] in filed.inner_text()
    shot(clerk, "10-scans")
