"""The counter's web app through the HTTP test client: every route, signed in and not, and what a
clerk, a supervisor and an administrator may and may not do (tests/test_web_browser.py drives
the same app in a real Chromium)."""
from __future__ import annotations

import io
import re
import shutil

import pytest
from fastapi.testclient import TestClient
from openpyxl import Workbook

from conftest import store_rows
from formsmith import accounts
from formsmith.web import create_app
from formsmith.workspace import load_workspace

PASSWORDS = {"王主管": ("主管", "supervisor-pass-1"), "李娜": ("客服", "clerk-pass-123"),
             "赵管理": ("管理员", "admin-pass-1234"), "钱会计": ("财务", "finance-pass-1")}
UNIT = "1-1-802"
GET_ROUTES = ["/", "/search?q=1-1", f"/units/{UNIT}", f"/units/{UNIT}/issue/dunning-letter", "/today",
              "/month-end", "/scans", "/records", "/users", "/documents/物催字〔2025〕1号",
              "/documents/物催字〔2025〕1号/file/issued", "/cases/LD2025-0001", "/jobs/abc", "/jobs/abc/files/0",
              "/records/errors/x.xlsx"]
POST_ROUTES = ["/logout", f"/units/{UNIT}/reveal", f"/units/{UNIT}/issue/dunning-letter", "/documents/物催字〔2025〕1号/mark",
               f"/units/{UNIT}/pay", f"/units/{UNIT}/cases", "/cases/LD2025-0001/act", "/month-end/plan",
               "/month-end/run", "/month-end/tracking", "/scans", "/scans/inbox", "/scans/attach", "/records/import",
               "/users", "/users/李娜", "/cases/LD2025-0001/print", "/today/log"]


@pytest.fixture(scope="module")
def home(demo_home, tmp_path_factory):
    home = tmp_path_factory.mktemp("web-http") / "ws"
    shutil.copytree(demo_home, home)
    ws = load_workspace(home)
    for name, (role, password) in PASSWORDS.items():
        accounts.add_user(ws, name, role, password, by="test")
    return home


@pytest.fixture(scope="module")
def app(home):
    return create_app(home)


def csrf_of(html: str) -> str:
    return re.search(r'name="csrf" value="([^"]+)"', html).group(1)


def signed_in(app, name: str) -> tuple[TestClient, str]:
    client = TestClient(app)
    form = client.get("/login")
    response = client.post("/login", data={"name": name, "password": PASSWORDS[name][1], "csrf": csrf_of(form.text),
                                           "next": "/"}, follow_redirects=False)
    assert response.status_code == 303, response.text
    return client, csrf_of(client.get("/").text)


def test_no_page_file_or_action_without_sign_in(app):
    client = TestClient(app)
    for url in GET_ROUTES:
        r = client.get(url, follow_redirects=False)
        assert r.status_code in (303, 401) and "%PDF" not in r.text, url
        if r.status_code == 303:
            assert r.headers["location"].startswith("/login"), url
    for url in POST_ROUTES:
        r = client.post(url, data={"csrf": "x"}, follow_redirects=False)
        assert r.status_code == 401 and "请先登录" in r.text, url


def test_sign_in_sets_a_strict_httponly_cookie_and_never_redirects_off_site(app):
    client = TestClient(app)
    form = client.get("/login")
    r = client.post("/login", data={"name": "李娜", "password": PASSWORDS["李娜"][1], "csrf": csrf_of(form.text),
                                    "next": "//evil.example/steal"}, follow_redirects=False)
    assert r.headers["location"] == "/"
    cookie = r.headers["set-cookie"].lower()
    assert "httponly" in cookie and "samesite=strict" in cookie
    page = client.get("/")
    assert "default-src 'self'" in page.headers["content-security-policy"]
    assert page.headers["x-frame-options"] == "SAMEORIGIN" and page.headers["x-content-type-options"] == "nosniff"


def test_a_login_form_without_its_token_is_refused(app):
    client = TestClient(app)
    client.get("/login")
    r = client.post("/login", data={"name": "李娜", "password": PASSWORDS["李娜"][1], "csrf": "forged"})
    assert r.status_code == 403 and "CSRF" in r.text


def test_five_wrong_passwords_lock_the_account_and_the_right_one_waits(app, home):
    ws = load_workspace(home)
    accounts.add_user(ws, "孙试", "客服", "trial-pass-123", by="test")
    client = TestClient(app)
    token = csrf_of(client.get("/login").text)
    for _ in range(accounts.MAX_FAILURES):
        r = client.post("/login", data={"name": "孙试", "password": "wrong-wrong-1", "csrf": token})
        assert r.status_code == 401 and "用户名或密码不正确" in r.text
    r = client.post("/login", data={"name": "孙试", "password": "trial-pass-123", "csrf": token})
    assert r.status_code == 401 and "登录失败次数过多" in r.text
    events = [e for e in store_rows(home, "audit") if e.get("by") == "孙试"]
    assert sum(e["command"] == "sign-in failed" for e in events) == accounts.MAX_FAILURES


def test_every_post_without_the_csrf_token_is_refused_and_changes_nothing(app, home):
    client, _ = signed_in(app, "赵管理")
    docs, cases = len(store_rows(home, "documents")), len(store_rows(home, "cases"))
    for url in POST_ROUTES:
        r = client.post(url, data={"csrf": "forged", "kind": "repair", "description": "x", "amount": "1"})
        assert r.status_code == 403 and "CSRF" in r.text, url
    assert len(store_rows(home, "documents")) == docs and len(store_rows(home, "cases")) == cases
    assert client.get("/").status_code == 200            # still signed in: logout was refused too


def test_a_clerk_cannot_reveal_ids_or_manage_accounts(app, home):
    client, token = signed_in(app, "李娜")
    unit = client.get(f"/units/{UNIT}")
    assert "查看完整证件号" not in unit.text and "********" in unit.text
    r = client.post(f"/units/{UNIT}/reveal", data={"csrf": token})
    assert r.status_code == 403 and "无权查看完整证件号" in r.text
    assert client.get("/users").status_code == 403
    r = client.post("/users", data={"csrf": token, "name": "新人", "role": "管理员", "password": "x" * 12})
    assert r.status_code == 403
    assert "新人" not in {u["id"] for u in store_rows(home, "accounts")}
    assert client.get("/month-end").status_code == 403 and client.get("/records").status_code == 403


def test_a_supervisor_reveals_an_id_and_the_audit_log_names_them(app, home):
    client, token = signed_in(app, "王主管")
    unit = next(u for u in store_rows(home, "units") if u["id"] == UNIT)
    owner = next(p for p in store_rows(home, "parties") if p["id"] == unit["owner"])
    assert owner["id_number"] not in client.get(f"/units/{UNIT}").text
    r = client.post(f"/units/{UNIT}/reveal", data={"csrf": token})
    assert r.status_code == 200 and owner["id_number"] in r.text
    assert any(e["by"] == "王主管" and e["revealed"] == UNIT for e in store_rows(home, "audit"))


def test_no_file_route_leaves_the_workspace(app):
    client, _ = signed_in(app, "赵管理")
    for url in ["/documents/..%2F..%2Fformsmith.toml/file/issued", "/documents/物催字〔2025〕1号/file/..%2F..%2Fetc",
                "/documents/物催字〔2025〕1号/file/%2E%2E", "/records/errors/..%2F..%2Fformsmith.toml",
                "/records/errors/%2E%2E%2Frecords", "/jobs/..%2F/files/0", "/static/..%2F..%2Fpyproject.toml",
                "/static/../app.py"]:
        r = client.get(url)
        assert r.status_code in (404, 422) and "[company]" not in r.text and "import" not in r.text[:200], url


def test_markup_in_the_store_cannot_script_the_page(app, home):
    ws = load_workspace(home)
    with ws.store.transaction() as tx:
        unit = tx.require("units", "1-1-101")
        tx.update("parties", unit["owner"], {"name": "<script>alert(1)</script>孙"})
    client, _ = signed_in(app, "李娜")
    for url in ("/units/1-1-101", "/?q=孙", "/search?q=孙"):
        text = client.get(url).text
        assert "<script>alert(1)" not in text and "&lt;script&gt;alert(1)" in text, url


def form_values(html: str) -> dict[str, str]:
    """What a browser would post from the page's form: inputs, checked boxes, selects, textareas."""
    values = {}
    for tag in re.findall(r"<input [^>]*>", html):
        name, value = re.search(r'name="([^"]+)"', tag), re.search(r'value="([^"]*)"', tag)
        if name and ('type="checkbox"' not in tag or " checked" in tag):
            values[name.group(1)] = value.group(1) if value else ""
    for name, body in re.findall(r'<select name="([^"]+)">(.*?)</select>', html, re.S):
        chosen = re.search(r"<option selected>([^<]*)</option>", body) or re.search(r"<option>([^<]*)</option>", body)
        values[name] = chosen.group(1) if chosen else ""
    for name, body in re.findall(r'<textarea name="([^"]+)"[^>]*>(.*?)</textarea>', html, re.S):
        values[name] = body
    return {k: v.replace("&amp;", "&") for k, v in values.items()}


def test_a_form_built_from_the_manifest_shows_a_bad_field_inline_then_issues(app, home):
    client, _ = signed_in(app, "李娜")
    form = client.get(f"/units/{UNIT}/issue/handover-receipt?example=1")
    assert form.status_code == 200 and 'name="handover_date"' in form.text and "items.0." in form.text
    fields = {**form_values(form.text), "as_of": "2025-12-01"}
    before = len(store_rows(home, "documents"))
    bad = client.post(f"/units/{UNIT}/issue/handover-receipt", data={**fields, "handover_date": "2025-02-30"})
    assert bad.status_code == 422
    field = re.search(r'<div class="field bad">.*?</div>\s*</div>|<div class="field bad">.*?</div>', bad.text, re.S).group(0)
    assert 'name="handover_date"' in field and "字段 handover_date" in field
    assert len(store_rows(home, "documents")) == before                    # nothing issued
    good = client.post(f"/units/{UNIT}/issue/handover-receipt", data=fields, follow_redirects=False)
    assert good.status_code == 303, re.findall(r'class="(?:error|refusal)"[^>]*>([^<]+)', good.text)
    doc = client.get(good.headers["location"])
    assert "入住物品交接单" in doc.text
    assert len(store_rows(home, "documents")) == before + 1


def test_issue_view_mark_pay_and_a_case_as_the_clerk(app, home):
    client, token = signed_in(app, "李娜")
    r = client.post(f"/units/{UNIT}/issue/dunning-letter", data={"csrf": token, "as_of": "2025-12-01", "again": "1"},
                    follow_redirects=False)
    assert r.status_code == 303
    page = client.get(r.headers["location"])
    doc_no = re.search(r"<small>([^<]+)</small>", page.text).group(1)
    pdf = client.get(f"/documents/{doc_no}/file/issued")
    assert pdf.headers["content-type"] == "application/pdf" and pdf.content.startswith(b"%PDF-")
    assert client.post(f"/documents/{doc_no}/mark", data={"csrf": token, "state": "printed"}).status_code == 200
    doc = next(d for d in store_rows(home, "documents") if d["doc_no"] == doc_no)
    assert doc["state"] == "printed" and doc["events"][-1]["by"] == "李娜"
    bad = client.post(f"/documents/{doc_no}/mark", data={"csrf": token, "state": "generated"})
    assert "refusal" in bad.text                          # the library's one line, in place
    paid = client.post(f"/units/{UNIT}/pay", data={"csrf": token, "amount": "abc", "method": "现金"})
    assert "字段 amount（实收金额）" in paid.text
    case = client.post(f"/units/{UNIT}/cases", data={"csrf": token, "kind": "repair", "category": "leak",
                                                      "description": "卫生间顶棚渗水"}, follow_redirects=False)
    case_id = case.headers["location"].rsplit("/", 1)[-1]
    assert case_id.startswith("BX")
    client.post(f"/cases/{case_id}/act", data={"csrf": token, "action": "dispatch", "to": "张师傅"})
    row = next(c for c in store_rows(home, "cases") if c["id"] == case_id)
    assert row["state"] == "dispatched" and row["events"][-1]["by"] == "李娜"
    assert case_id in client.get("/?q=1-1-802").text or client.get(f"/units/{UNIT}").text.count(case_id)
    wrong = client.post(f"/cases/{case_id}/act", data={"csrf": token, "action": "close"})
    assert "refusal" in wrong.text
    order = client.post(f"/cases/{case_id}/print", data={"csrf": token, "template": "repair-order"},
                        follow_redirects=False)
    assert order.status_code == 303 and "/documents/" in order.headers["location"], order.text[:500]
    assert "维修工作单" in client.get(f"/cases/{case_id}").text      # listed on the case page
    log = client.post("/today/log", data={"csrf": token, "day": "2025-11-21", "template": "service-log"},
                      follow_redirects=False)
    assert log.status_code == 303 and "/documents/" in log.headers["location"]


def test_month_end_plan_run_and_tracking_as_the_supervisor(app):
    client, token = signed_in(app, "王主管")
    plan = client.post("/month-end/plan", data={"csrf": token, "as_of": "2025-12-01"})
    assert plan.status_code == 200 and "将收到文书" in plan.text
    assert client.post("/month-end/plan", data={"csrf": token, "as_of": "2025-02-31"}).status_code == 422
    run = client.post("/month-end/run", data={"csrf": token, "as_of": "2024-10-01"}, follow_redirects=False)
    job = run.headers["location"]
    for _ in range(300):
        part = client.get(job, headers={"HX-Request": "true"})
        if "hx-trigger" not in part.text:
            break
    assert "已完成" in part.text and "出具 0 份" in part.text
    other, _ = signed_in(app, "赵管理")
    assert other.get(job).status_code == 404                # a job is its starter's
    wb = Workbook()
    wb.active.append(["内件品名", "运单号"])
    wb.active.append(["物催字〔2025〕999号", "SF1"])
    sheet = io.BytesIO()
    wb.save(sheet)
    r = client.post("/month-end/tracking", data={"csrf": token},
                    files={"file": ("回单.xlsx", sheet.getvalue(), "application/octet-stream")})
    assert r.status_code == 422 and "999" in r.text


def test_records_import_shows_the_bad_row_and_offers_the_marked_copy(app, home):
    client, token = signed_in(app, "赵管理")
    csv = "房号,项目,期间,金额,应缴日期\n1-1-802,物业服务费,2025-13,abc,2025-12-31\n".encode("utf-8")
    r = client.post("/records/import", data={"csrf": token, "kind": "charges"},
                    files={"file": ("charges.csv", csv, "text/csv")})
    assert r.status_code == 200 and "未写入任何数据" in r.text
    link = re.search(r'href="(/records/errors/[^"]+)"', r.text).group(1)
    marked = client.get(link)
    assert marked.status_code == 200 and len(marked.content) > 0


def test_accounts_page_adds_and_disables_and_a_disabled_session_ends(app, home):
    admin, token = signed_in(app, "赵管理")
    short = admin.post("/users", data={"csrf": token, "name": "周新", "role": "客服", "password": "short"})
    assert short.status_code == 422 and "至少 10 个字符" in short.text
    PASSWORDS["周新"] = ("客服", "newcomer-pass-1")
    admin.post("/users", data={"csrf": token, "name": "周新", "role": "客服", "password": "newcomer-pass-1"})
    clerk, _ = signed_in(app, "周新")
    assert clerk.get("/").status_code == 200
    admin.post("/users/周新", data={"csrf": token, "active": "0"})
    assert clerk.get("/", follow_redirects=False).status_code == 303     # signed out at once
    assert not any("hash" in u for u in [accounts.public(r) for r in store_rows(home, "accounts")])
    assert "argon2" not in admin.get("/users").text


def test_the_command_line_guards_the_server_and_the_accounts(run, home, demo_copy):
    r = run(demo_copy, "serve")
    assert r.exit_code == 2 and "还没有任何账号" in r.stderr
    r = run(home, "serve", "--host", "0.0.0.0")
    assert r.exit_code == 2 and "--lan" in r.stderr
    from click.testing import CliRunner
    from formsmith.cli import cli
    short = CliRunner().invoke(cli, ["--home", str(demo_copy), "users", "add", "吴", "--role", "客服",
                                     "--password-stdin"], input="short\n")
    assert short.exit_code == 2 and "至少 10 个字符" in short.stderr


def test_the_vendored_htmx_is_the_pinned_release():
    """htmx.org 2.0.11 from the npm registry (dist/htmx.min.js), byte for byte."""
    import hashlib
    from pathlib import Path

    import formsmith.web
    js = Path(formsmith.web.__file__).parent / "static" / "htmx-2.0.11.min.js"
    assert hashlib.sha256(js.read_bytes()).hexdigest() == \
        "d6fdc75f204e6bdefa99b69bf1e6d4ac69b8a364f77929f45c13476b4000f717"


def test_an_unreadable_scan_waits_in_the_inbox_and_is_filed_by_hand(app, home, run):
    from scansim import blank, save_pdf
    client, token = signed_in(app, "李娜")
    sheet = io.BytesIO()
    save_pdf([blank(7)], home / "blank.pdf")
    sheet.write((home / "blank.pdf").read_bytes())
    r = client.post("/scans", data={"csrf": token}, files={"files": ("签回件.pdf", sheet.getvalue(), "application/pdf")},
                    follow_redirects=False)
    job = r.headers["location"]
    for _ in range(600):
        part = client.get(job, headers={"HX-Request": "true"})
        if "hx-trigger" not in part.text:
            break
    assert "未能匹配" in part.text                           # nothing lost: listed with its reason
    inbox = client.get("/scans").text
    (name,) = re.findall(r'name="name" value="([^"]+)"', inbox)
    assert name.endswith("签回件.pdf") or name.endswith(".pdf")
    refused = client.post("/scans/attach", data={"csrf": token, "name": "../formsmith.toml", "pages": "1",
                                                 "doc_no": "物催字〔2025〕1号"})
    assert "收件箱中没有这个文件" in refused.text
    letter = next(d for d in store_rows(home, "documents") if d["doc_no"] == "物催字〔2025〕1号")
    assert letter["pages"] == 1
    too_many = client.post("/scans/attach", data={"csrf": token, "name": name, "pages": "1,2",
                                                  "doc_no": letter["doc_no"]})
    assert "页码" in too_many.text and not any((home / "archive").rglob("scan-*.pdf"))
    filed = client.post("/scans/attach", data={"csrf": token, "name": name, "pages": "1", "doc_no": letter["doc_no"]})
    assert "已归入" in filed.text
    doc = next(d for d in store_rows(home, "documents") if d["doc_no"] == letter["doc_no"])
    version = doc["versions"][-1]
    assert version["kind"] == "scan" and version["matched_by_hand"] == "李娜"
    assert "人工对应" in doc["events"][-1]["note"]
    assert not (home / "inbox" / name).exists() and any((home / "inbox-done").iterdir())
