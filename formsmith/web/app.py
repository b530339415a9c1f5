"""The routes of the counter's web app: each reads the request, calls one library function as
the signed-in clerk, and renders a page (Jinja2, autoescaped) or redirects; a refusal shows
the library's one line, in place, and changes nothing.

Security, on every route: no page, file or action without a live session (HttpOnly,
SameSite=Strict cookie); every POST carries the session's CSRF token (form field `csrf` or
header X-CSRF-Token, which htmx sends); each action is allowed by the clerk's role
(formsmith.accounts.PERMISSIONS); files are served by document number and version from the
store's own record, never from a path in the URL; every response forbids framing by other
sites, inline scripts and content sniffing.
"""
from __future__ import annotations

import re
import shutil
import tempfile
import time
from collections import defaultdict, deque
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any
from urllib.parse import quote

from fastapi import FastAPI, Request
from fastapi.responses import FileResponse, HTMLResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from jinja2 import Environment, FileSystemLoader, select_autoescape
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import FormData, UploadFile

from .. import accounts, audit, casefile, catalog, deadlines, documents, formats, records, sources
from ..errors import FormsmithError, InputError, NotFoundError, ValidationError
from ..lifecycle import allowed_next
from ..model import LABELS as STATE_NAMES
from ..processes.arrears import run as arrears_run
from ..processes.arrears import tracking
from ..processes.cases import agenda
from ..processes.cases import log as cases
from ..processes.cases import papers
from ..processes.ledger import payments
from ..processes.rounds import log as rounds
from ..sheets import importer
from ..sheets.kinds import KINDS as SHEET_KINDS
from ..workspace import Workspace, load_workspace
from .jobs import Job, Jobs

HERE = Path(__file__).resolve().parent
COOKIE = "formsmith_session"
LOGIN_COOKIE = "formsmith_login"
MAX_UPLOAD = 50 * 1024 * 1024           # one scan batch or sheet
LOGIN_TRIES_PER_CLIENT = 20             # per 10 minutes, whatever the names tried
SECURITY_HEADERS = {
    "Content-Security-Policy": "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
                               "object-src 'self'; frame-src 'self'; frame-ancestors 'self'; base-uri 'none'; "
                               "form-action 'self'",
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "SAMEORIGIN",
    "Referrer-Policy": "no-referrer",
    "Cache-Control": "no-store",
}
FIELD_AT = re.compile(r"^(?:[^:：]*[:：]\s*)?字段 ([\w.\[\]-]+)")
METHODS = payments.METHODS


class Refused(Exception):
    """A request the clerk may not make (no session, no right, bad CSRF token)."""

    def __init__(self, status: int, message: str):
        super().__init__(message)
        self.status = status


def field_errors(exc: FormsmithError) -> tuple[dict[str, list[str]], list[str]]:
    """The refusal's lines, by the field they name (字段 X) and the rest."""
    lines = exc.lines() if isinstance(exc, ValidationError) else [str(exc)]
    by_field: dict[str, list[str]] = defaultdict(list)
    other = []
    for line in lines:
        m = FIELD_AT.match(line)
        if m:
            by_field[m.group(1).split("[")[0].split(".")[0]].append(line)
        else:
            other.append(line)
    return dict(by_field), other


def create_app(home: Path | str, *, secure_cookies: bool = False) -> FastAPI:
    """The app for the workspace at `home`. `secure_cookies`: the cookie is sent over HTTPS
    only (behind a TLS proxy on the office LAN)."""
    ws = load_workspace(Path(home))
    app = FastAPI(title="formsmith 业务受理", docs_url=None, redoc_url=None, openapi_url=None)
    app.mount("/static", StaticFiles(directory=HERE / "static"), name="static")
    pages = Environment(loader=FileSystemLoader(HERE / "pages"), autoescape=select_autoescape(["html"]),
                        trim_blocks=True, lstrip_blocks=True)
    pages.filters["money"] = lambda v: formats.money(Decimal(str(v))) if v not in (None, "") else ""
    pages.globals.update(STATE_NAMES=STATE_NAMES, ROLES=accounts.ROLES, CASE_KINDS=cases.KINDS,
                         ITEM_KINDS={**cases.KINDS, **rounds.KINDS}, CASE_STATES=cases.STATES, CASE_EVENTS=casefile.WHAT, METHODS=METHODS, SEVERITIES=deadlines.SEVERITIES,
                         REPAIR_CATEGORIES=deadlines.REPAIR_CATEGORIES)
    jobs = Jobs()
    issuable = issuable_templates(ws)      # the templates of a running server (restart to see new ones)
    tries: dict[str, deque] = defaultdict(deque)
    app.state.ws, app.state.jobs = ws, jobs

    # ------------------------------------------------------------ plumbing

    def page(request: Request, template: str, session: accounts.Session | None, status: int = 200,
             **context: Any) -> HTMLResponse:
        html = pages.get_template(template).render(request=request, me=session, today=date.today(), **context)
        return HTMLResponse(html, status_code=status)

    def session_of(request: Request) -> accounts.Session | None:
        return accounts.session_for(ws, request.cookies.get(COOKIE))

    def need(request: Request, action: str = "view", form: FormData | None = None) -> accounts.Session:
        s = session_of(request)
        if s is None:
            raise Refused(401, "请先登录 (sign in first)")
        if request.method not in ("GET", "HEAD"):
            sent = request.headers.get("x-csrf-token") or (form.get("csrf") if form is not None else None)
            if not accounts.csrf_matches(s, str(sent) if sent else None):
                raise Refused(403, "表单已过期或来源不明，请刷新页面后重试 (CSRF token missing or wrong)")
        if not s.may(action):
            raise Refused(403, f"{s.user}（{s.role}）无权{accounts.ACTION_NAMES.get(action, action)} (not allowed)")
        return s

    @app.exception_handler(Refused)
    async def refused(request: Request, exc: Refused):
        if exc.status == 401 and request.method == "GET" and "hx-request" not in request.headers:
            return RedirectResponse("/login?next=" + quote(request.url.path), status_code=303)
        return page(request, "error.html", session_of(request) if exc.status != 401 else None,
                    status=exc.status, message=str(exc))

    @app.exception_handler(NotFoundError)
    async def not_found(request: Request, exc: NotFoundError):
        s = session_of(request)
        if s is None:
            return RedirectResponse("/login", status_code=303)
        return page(request, "error.html", s, status=404, message=str(exc))

    @app.exception_handler(FormsmithError)
    async def refused_by_the_library(request: Request, exc: FormsmithError):
        s = session_of(request)
        if s is None:
            return RedirectResponse("/login", status_code=303)
        return page(request, "error.html", s, status=422 if isinstance(exc, InputError) else 500,
                    message="；".join(exc.lines()))

    @app.get("/favicon.ico")
    def favicon():
        return Response(status_code=204)

    @app.middleware("http")
    async def headers(request: Request, call_next):
        if int(request.headers.get("content-length") or 0) > MAX_UPLOAD:
            return Response("上传文件过大 (upload too large)", status_code=413)
        response = await call_next(request)
        for k, v in SECURITY_HEADERS.items():
            response.headers.setdefault(k, v)
        return response

    def set_session_cookie(response: Response, token: str) -> None:
        response.set_cookie(COOKIE, token, httponly=True, samesite="strict", secure=secure_cookies,
                            max_age=accounts.SESSION_HOURS * 3600, path="/")

    def back(url: str) -> RedirectResponse:
        return RedirectResponse(url, status_code=303)

    def back_refused(url: str, exc: Exception | str, anchor: str = "") -> RedirectResponse:
        """Back to the page the form was on, with the refusal's one line shown there."""
        return back(f"{url}{'&' if '?' in url else '?'}error={quote(str(exc))}{anchor}")

    # ------------------------------------------------------------ sign-in

    @app.get("/login", response_class=HTMLResponse)
    def login_form(request: Request, next: str = "/"):
        token = accounts.secrets.token_urlsafe(24)
        response = page(request, "login.html", None, next=_local(next), login_csrf=token)
        response.set_cookie(LOGIN_COOKIE, token, httponly=True, samesite="strict", secure=secure_cookies,
                            max_age=1800, path="/login")
        return response

    @app.post("/login")
    async def login(request: Request):
        form = await request.form()
        cookie, sent = request.cookies.get(LOGIN_COOKIE), str(form.get("csrf") or "")
        if not cookie or not accounts.hmac.compare_digest(cookie.encode(), sent.encode()):
            raise Refused(403, "登录表单已过期，请刷新页面后重试 (CSRF token missing or wrong)")
        client = request.client.host if request.client else "?"
        window = tries[client]
        now = time.monotonic()
        while window and now - window[0] > 600:
            window.popleft()
        if len(window) >= LOGIN_TRIES_PER_CLIENT:
            return page(request, "login.html", None, status=429, next=_local(str(form.get("next") or "/")),
                        login_csrf=cookie, error="登录尝试过于频繁，请 10 分钟后再试 (too many attempts)")
        try:
            token, _ = await run_in_threadpool(accounts.sign_in, ws, str(form.get("name") or ""),
                                               str(form.get("password") or ""), client=client)
        except accounts.SignInRefused as exc:
            window.append(now)
            return page(request, "login.html", None, status=401, next=_local(str(form.get("next") or "/")),
                        login_csrf=cookie, error=str(exc), name=str(form.get("name") or ""))
        response = back(_local(str(form.get("next") or "/")))
        set_session_cookie(response, token)
        response.delete_cookie(LOGIN_COOKIE, path="/login")
        return response

    @app.post("/logout")
    async def logout(request: Request):
        need(request, "view", await request.form())
        accounts.sign_out(ws, request.cookies.get(COOKIE))
        response = back("/login")
        response.delete_cookie(COOKIE, path="/")
        return response

    # ------------------------------------------------------------ search and the unit page

    @app.get("/", response_class=HTMLResponse)
    def search_page(request: Request, q: str = ""):
        s = need(request)
        return page(request, "search.html", s, q=q, results=search_units(ws, q) if q.strip() else None)

    @app.get("/search", response_class=HTMLResponse)
    def search(request: Request, q: str = ""):
        s = need(request)
        return page(request, "_results.html", s, q=q, results=search_units(ws, q) if q.strip() else None)

    @app.get("/units/{unit_id}", response_class=HTMLResponse)
    def unit_page(request: Request, unit_id: str, revealed: int = 0, error: str = ""):
        s = need(request)
        return page(request, "unit.html", s, error=error, **unit_view(ws, unit_id, reveal=False, issuable=issuable))

    @app.post("/units/{unit_id}/reveal", response_class=HTMLResponse)
    async def unit_reveal(request: Request, unit_id: str):
        s = need(request, "reveal", await request.form())
        view = unit_view(ws, unit_id, reveal=True, issuable=issuable)
        audit.record(ws, by=s.user, command=f"web: 查看 {unit_id} 完整证件号", revealed=unit_id)
        return page(request, "unit.html", s, revealed=True, **view)

    # ------------------------------------------------------------ issuing

    @app.get("/units/{unit_id}/issue/{template_id}", response_class=HTMLResponse)
    def issue_form(request: Request, unit_id: str, template_id: str, example: int = 0):
        s = need(request, "issue")
        tpl, built = _issuable(ws, unit_id, template_id)
        values = _form_values(tpl, tpl.example) if example else _prefill(ws, tpl, unit_id)
        return page(request, "issue.html", s, unit=unit_id, tpl=tpl, built=built, values=values,
                    errors={}, other=[], as_of=date.today().isoformat())

    @app.post("/units/{unit_id}/issue/{template_id}", response_class=HTMLResponse)
    async def issue(request: Request, unit_id: str, template_id: str):
        form = await request.form()
        s = need(request, "issue", form)
        tpl, built = _issuable(ws, unit_id, template_id)
        as_of_text = str(form.get("as_of") or "")
        values = {k: form.getlist(k) if k.endswith("[]") else str(v) for k, v in form.items()}
        try:
            as_of = _date_field(as_of_text, "as_of", "出具日期")
            if built:
                doc = await run_in_threadpool(_issue_built, ws, tpl.id, unit_id, as_of, s.user,
                                              bool(form.get("again")))
            else:
                data = _data_from_form(tpl, form)
                doc = await run_in_threadpool(_issue_data, ws, tpl.id, data, as_of, s.user)
        except FormsmithError as exc:
            errors, other = field_errors(exc)
            return page(request, "issue.html", s, status=422, unit=unit_id, tpl=tpl, built=built,
                        values=values, errors=errors, other=other, as_of=as_of_text)
        return back(f"/documents/{quote(doc.doc_no)}")

    # ------------------------------------------------------------ documents

    @app.get("/documents/{doc_no}", response_class=HTMLResponse)
    def document_page(request: Request, doc_no: str, error: str = ""):
        s = need(request)
        with ws.store.snapshot() as view:
            doc = documents.find(view, doc_no)
        return page(request, "document.html", s, doc=doc, next_states=allowed_next(doc["state"]),
                    error=error)

    @app.get("/documents/{doc_no}/file/{version}")
    def document_file(request: Request, doc_no: str, version: str):
        s = need(request)
        with ws.store.snapshot() as view:
            doc = documents.find(view, doc_no)
        if version == "issued":
            stored = doc["path"]
        else:
            kinds = [v for v in doc.get("versions", []) if str(v.get("kind")) == version]
            if not kinds:
                raise NotFoundError(f"{doc['doc_no']}：没有 {version} 版本 (no such version)")
            stored = kinds[-1]["path"]
        path = _inside(ws, stored)
        audit.record(ws, by=s.user, command=f"web: 查看文书 {doc['doc_no']} ({version})", revealed="")
        return FileResponse(path, media_type="application/pdf",
                            headers={"Content-Disposition": f"inline; filename*=UTF-8''{quote(path.name)}"})

    @app.post("/documents/{doc_no}/mark")
    async def document_mark(request: Request, doc_no: str):
        form = await request.form()
        s = need(request, "mark", form)
        try:
            documents.mark(ws, doc_no, str(form.get("state") or ""), by=s.user,
                           note=str(form.get("note") or ""), tracking=str(form.get("tracking") or ""))
        except FormsmithError as exc:
            return back_refused(f"/documents/{quote(doc_no)}", exc)
        return back(f"/documents/{quote(doc_no)}")

    # ------------------------------------------------------------ payments

    @app.post("/units/{unit_id}/pay")
    async def pay(request: Request, unit_id: str):
        form = await request.form()
        s = need(request, "pay", form)
        try:
            paid = await run_in_threadpool(
                payments.pay, ws, unit_id, str(form.get("amount") or ""), method=str(form.get("method") or ""),
                paid_on=_date_field(str(form.get("paid_on") or ""), "paid_on", "收款日期"),
                payer=str(form.get("payer") or "") or None, by=s.user)
        except FormsmithError as exc:
            return back_refused(f"/units/{quote(unit_id)}", exc, "#pay")
        return back(f"/documents/{quote(paid.receipt.doc_no)}")

    # ------------------------------------------------------------ cases

    @app.post("/units/{unit_id}/cases")
    async def case_open(request: Request, unit_id: str):
        form = await request.form()
        s = need(request, "cases", form)
        kind = str(form.get("kind") or "")
        try:
            row = cases.open_case(ws, kind, unit_id, description=str(form.get("description") or ""),
                                  by=s.user, reporter=str(form.get("reporter") or "") or None,
                                  contact=str(form.get("contact") or "") or None,
                                  category=str(form.get("category") or "") or None,
                                  severity=str(form.get("severity") or "") or None)
        except FormsmithError as exc:
            return back_refused(f"/units/{quote(unit_id)}", exc, "#case")
        return back(f"/cases/{quote(row['id'])}")

    @app.get("/cases/{case_id}", response_class=HTMLResponse)
    def case_page(request: Request, case_id: str, error: str = ""):
        s = need(request)
        row = cases.show_case(ws, case_id)
        moves = [a for a, kinds in cases.ACTIONS.items() if row["kind"] in kinds
                 and row["state"] in kinds[row["kind"]][0]]
        titles = {t: ws.catalog.get(t).title for t in papers.CASE_TEMPLATES[row["kind"]]}
        issued = [d for d in documents.list_documents(ws, unit=row["unit"])
                  if row["id"] in ((d.get("record") or {}).get("case_id"), (d.get("record") or {}).get("repair_id"))]
        return page(request, "case.html", s, case=row, moves=moves, error=error, printable=titles, issued=issued)

    @app.post("/cases/{case_id}/print")
    async def case_print(request: Request, case_id: str):
        form = await request.form()
        s = need(request, "issue", form)
        try:
            doc = await run_in_threadpool(papers.print_case, ws, case_id, str(form.get("template") or "") or None,
                                          by=s.user, again=bool(form.get("again")))
        except FormsmithError as exc:
            return back_refused(f"/cases/{quote(case_id)}", exc)
        return back(f"/documents/{quote(doc.doc_no)}")

    @app.post("/today/log")
    async def day_log(request: Request):
        form = await request.form()
        s = need(request, "issue", form)
        day_text = str(form.get("day") or "")
        try:
            day = _date_field(day_text, "day", "日期")
            doc = await run_in_threadpool(papers.print_days, ws, day, None, str(form.get("template") or "") or None,
                                          by=s.user)
        except FormsmithError as exc:
            return back_refused(f"/today?as_of={quote(day_text)}", exc)
        return back(f"/documents/{quote(doc.doc_no)}")

    @app.post("/cases/{case_id}/act")
    async def case_act(request: Request, case_id: str):
        form = await request.form()
        s = need(request, "cases", form)
        action = str(form.get("action") or "")
        fields: dict[str, Any] = {k: str(form.get(k)) for k in ("to", "note", "leak_test", "result", "satisfaction", "answer")
                  if form.get(k)}
        try:
            cases.act(ws, case_id, action, by=s.user, **fields)
        except (FormsmithError, TypeError) as exc:
            message = str(exc) if isinstance(exc, FormsmithError) else f"{case_id}：{action} 不接受这些字段"
            return back_refused(f"/cases/{quote(case_id)}", message)
        return back(f"/cases/{quote(case_id)}")

    @app.get("/today", response_class=HTMLResponse)
    def today_page(request: Request, as_of: str = "", error: str = ""):
        s = need(request)
        day = _date_field(as_of, "as_of", "日期") if as_of else date.today()
        return page(request, "today.html", s, agenda=agenda.today(ws, day), error=error)

    # ------------------------------------------------------------ month end

    @app.get("/month-end", response_class=HTMLResponse)
    def month_end(request: Request):
        s = need(request, "month_end")
        return page(request, "month_end.html", s, plan=None, as_of=date.today().isoformat(), error="")

    @app.post("/month-end/plan", response_class=HTMLResponse)
    async def month_end_plan(request: Request):
        form = await request.form()
        s = need(request, "month_end", form)
        as_of_text = str(form.get("as_of") or "")
        try:
            as_of = _date_field(as_of_text, "as_of", "催缴基准日")
            result = await run_in_threadpool(arrears_run.run, ws, as_of, dry_run=True, by=s.user)
        except FormsmithError as exc:
            return page(request, "month_end.html", s, status=422, plan=None, as_of=as_of_text, error=str(exc))
        return page(request, "month_end.html", s, plan=_plan_rows(ws, result), as_of=as_of.isoformat(),
                    skipped=result.skipped, error="")

    @app.post("/month-end/run")
    async def month_end_run(request: Request):
        form = await request.form()
        s = need(request, "month_end", form)
        as_of = _date_field(str(form.get("as_of") or ""), "as_of", "催缴基准日")

        def work(job: Job) -> dict[str, Any]:
            result = arrears_run.run(ws, as_of, by=s.user, progress=job.progress)
            out = result.as_json()
            job.files = [*out["print_files"], *out["courier_lists"], *out["sms_lists"]]
            return out
        job = jobs.start("month-end", s.user, work)
        return back(f"/jobs/{job.id}")

    @app.post("/month-end/tracking", response_class=HTMLResponse)
    async def month_end_tracking(request: Request):
        form = await request.form()
        s = need(request, "month_end", form)
        with _uploaded(form, "file") as path:
            try:
                report = await run_in_threadpool(tracking.import_tracking, ws, path, by=s.user)
            except FormsmithError as exc:
                return page(request, "month_end.html", s, status=422, plan=None,
                            as_of=date.today().isoformat(), error=str(exc))
        return page(request, "month_end.html", s, plan=None, as_of=date.today().isoformat(), error="",
                    tracking=report)

    @app.get("/jobs/{job_id}", response_class=HTMLResponse)
    def job_page(request: Request, job_id: str):
        s = need(request)
        job = jobs.get(job_id, s.user)
        if job is None:
            raise NotFoundError(f"任务 {job_id}：不存在 (no such job)")
        name = "_job.html" if "hx-request" in request.headers else "job.html"
        return page(request, name, s, job=job)

    @app.get("/jobs/{job_id}/files/{n}")
    def job_file(request: Request, job_id: str, n: int):
        s = need(request)
        job = jobs.get(job_id, s.user)
        if job is None or not 0 <= n < len(job.files):
            raise NotFoundError(f"任务 {job_id}：没有第 {n} 个文件 (no such file)")
        path = _inside(ws, job.files[n])
        return FileResponse(path, filename=path.name)

    # ------------------------------------------------------------ scans

    @app.get("/scans", response_class=HTMLResponse)
    def scans_page(request: Request, error: str = "", done: str = ""):
        s = need(request, "scans")
        return page(request, "scans.html", s, inbox=_inbox(ws), error=error, done=done)

    def start_ingest(user: str, paths: list[Path]) -> Job:
        def work(job: Job) -> dict[str, Any]:
            from ..ingest import ingest
            return ingest(ws, paths, move_to=ws.inbox_done_dir, by=user, workers=1, progress=job.progress).report()
        return jobs.start("scans", user, work)

    @app.post("/scans")
    async def scans_upload(request: Request):
        form = await request.form()
        s = need(request, "scans", form)
        files = [f for f in form.getlist("files") if isinstance(f, UploadFile) and f.filename]
        if not files:
            return page(request, "scans.html", s, status=422, inbox=_inbox(ws), error="请选择扫描件 (no file chosen)")
        ws.inbox_dir.mkdir(parents=True, exist_ok=True)
        stamp = time.strftime("%Y%m%d-%H%M%S")
        saved = []
        for k, f in enumerate(files):      # into the inbox: an input stays there until it is filed
            safe = re.sub(r"[^\w.\-]+", "_", Path(f.filename or "scan").name)[-80:] or "scan"
            target = ws.inbox_dir / f"{stamp}-{k:02d}-{safe}"
            with open(target, "xb") as out:
                shutil.copyfileobj(f.file, out)
            saved.append(target)
        return back(f"/jobs/{start_ingest(s.user, saved).id}")

    @app.post("/scans/inbox")
    async def scans_inbox(request: Request):
        s = need(request, "scans", await request.form())
        from ..ingest import byhand
        waiting = byhand.inbox_files(ws)
        if not waiting:
            return back("/scans?done=" + quote("收件箱是空的"))
        return back(f"/jobs/{start_ingest(s.user, waiting).id}")

    @app.post("/scans/attach")
    async def scans_attach(request: Request):
        form = await request.form()
        s = need(request, "scans", form)
        from ..ingest import byhand
        try:
            numbers = [int(p) for p in str(form.get("pages") or "").replace("，", ",").split(",") if p.strip()]
            out = await run_in_threadpool(byhand.file_by_hand, ws, str(form.get("name") or ""), numbers,
                                          str(form.get("doc_no") or ""), by=s.user)
        except ValueError:
            return back("/scans?error=" + quote("字段 pages（页码）：应为以逗号分隔的页码，如 1,2"))
        except FormsmithError as exc:
            return back("/scans?error=" + quote(str(exc)))
        return back("/scans?done=" + quote(f"已归入 {out['doc_no']}"))

    # ------------------------------------------------------------ records

    @app.get("/records", response_class=HTMLResponse)
    def records_page(request: Request):
        s = need(request, "records")
        return page(request, "records.html", s, kinds=sorted(SHEET_KINDS), report=None)

    @app.post("/records/import", response_class=HTMLResponse)
    async def records_import(request: Request):
        form = await request.form()
        s = need(request, "records", form)
        kind = str(form.get("kind") or "")
        with _uploaded(form, "file") as path:
            marked = path.with_name(path.stem + "-错误标注" + path.suffix)
            try:
                report = await run_in_threadpool(importer.import_file, ws, kind, path,
                                                 dry_run=bool(form.get("dry_run")), errors_out=marked)
            except FormsmithError as exc:
                return page(request, "records.html", s, status=422, kinds=sorted(SHEET_KINDS),
                            report=None, error=str(exc))
            marked_copy = None
            if report.errors_file and Path(report.errors_file).is_file():
                keep = ws.root / "output" / "import-errors"
                keep.mkdir(parents=True, exist_ok=True)
                marked_copy = keep / f"{kind}-{int(time.time())}{path.suffix}"
                shutil.move(report.errors_file, marked_copy)
        audit.record(ws, by=s.user, command=f"web: 导入 {kind}", revealed="", written=report.written)
        return page(request, "records.html", s, kinds=sorted(SHEET_KINDS), report=report,
                    marked=marked_copy.name if marked_copy else None)

    @app.get("/records/errors/{name}")
    def records_errors(request: Request, name: str):
        need(request, "records")
        folder = (ws.root / "output" / "import-errors").resolve()
        path = (folder / name).resolve()
        if path.parent != folder or not path.is_file():
            raise NotFoundError(f"{name}：没有这个错误标注文件 (no such file)")
        return FileResponse(path, filename=path.name)

    # ------------------------------------------------------------ accounts

    @app.get("/users", response_class=HTMLResponse)
    def users_page(request: Request):
        s = need(request, "accounts")
        return page(request, "users.html", s, users=accounts.list_users(ws), error="")

    @app.post("/users", response_class=HTMLResponse)
    async def users_add(request: Request):
        form = await request.form()
        s = need(request, "accounts", form)
        try:
            accounts.add_user(ws, str(form.get("name") or ""), str(form.get("role") or ""),
                              str(form.get("password") or ""), by=s.user)
        except FormsmithError as exc:
            return page(request, "users.html", s, status=422, users=accounts.list_users(ws), error=str(exc))
        return back("/users")

    @app.post("/users/{name}")
    async def users_set(request: Request, name: str):
        form = await request.form()
        s = need(request, "accounts", form)
        try:
            accounts.set_user(ws, name, role=str(form.get("role")) if form.get("role") else None,
                              active={"1": True, "0": False}.get(str(form.get("active") or "")), by=s.user)
        except FormsmithError as exc:
            return page(request, "users.html", s, status=422, users=accounts.list_users(ws), error=str(exc))
        return back("/users")

    return app


# ---------------------------------------------------------------- what the routes share

def _inbox(ws: Workspace) -> list[dict[str, Any]]:
    """The scan inbox as the page lists it: each input, its pages, those filed already."""
    from ..ingest import byhand, preflight
    rows = []
    for path in byhand.inbox_files(ws):
        src = preflight.inspect(path)
        filed = byhand.filed_pages(ws, src.sha256) if src.sha256 else set()
        rows.append({"name": str(path.relative_to(ws.inbox_dir)), "pages": src.pages, "refused": src.refused,
                     "waiting": [n for n in range(1, src.pages + 1) if n not in filed]})
    return rows


def _local(url: str) -> str:
    """A redirect target inside this app only (never //host or a scheme)."""
    return url if url.startswith("/") and not url.startswith("//") and "\\" not in url else "/"


def _inside(ws: Workspace, stored: str) -> Path:
    """A file the store records, resolved inside the workspace (a link out is refused)."""
    home = ws.root.resolve()
    path = (home / stored).resolve()
    if home not in path.parents or not path.is_file():
        raise NotFoundError(f"{stored}：文件不在工作区内或已不存在 (file not in the workspace)")
    return path


def _date_field(text: str, field: str, label: str) -> date:
    text = text.strip()
    if not text:
        return date.today()
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise ValidationError([f"字段 {field}（{label}）：{text} 不是有效日期，应为 YYYY-MM-DD (not a date)"]) from None


def search_units(ws: Workspace, q: str, limit: int = 30) -> list[dict[str, Any]]:
    """Units whose 房号 starts with `q`, or whose owner's or occupant's name or phone contains it."""
    q = q.strip()
    with ws.store.snapshot() as view:
        parties = {p["id"]: p for p in view.all("parties")}
        found = []
        for u in sorted(view.all("units"), key=lambda u: u["id"]):
            owner = parties.get(u.get("owner") or "", {})
            people = [owner] + [p for p in parties.values() if p.get("unit") == u["id"]]
            hit = u["id"].startswith(q) or any(q in (p.get("name") or "") or
                                               (len(q) >= 4 and q in (p.get("phone") or "")) for p in people)
            if hit:
                found.append({"id": u["id"], "address": sources.unit_address(u), "owner": owner.get("name", ""),
                              "phone": formats.mask_phone(owner.get("phone")) if owner.get("phone") else ""})
                if len(found) >= limit:
                    break
    return found


def issuable_templates(ws: Workspace) -> list[dict[str, Any]]:
    """The templates a unit page offers: built from the unit, or filled in from a form (not those
    built from another record, such as a repair's callback)."""
    out = []
    for t in ws.catalog.list():
        key = sources.key_of(t.source) if t.source else None
        if key == "unit" or not t.source:
            out.append({"id": t.id, "title": t.title, "built": key == "unit"})
    return out


def unit_view(ws: Workspace, unit_id: str, *, reveal: bool,
              issuable: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    """Everything the unit page shows: the unit, its people, its account by period, documents,
    cases and the templates that can be issued for it (`issuable`: issuable_templates(ws), which
    a server reads once: parsing every manifest is most of a page's time)."""
    with ws.store.snapshot() as view:
        unit = view.get("units", unit_id)
        if unit is None:
            raise NotFoundError(f"房屋 {unit_id}：库中没有 (no such unit)")
        owner = view.get("parties", unit.get("owner") or "") or {}
        people = [p for p in view.all("parties") if p.get("unit") == unit_id]
    show = (lambda r: r) if reveal else records.masked
    account = payments.ledger(ws, unit_id)
    docs = documents.list_documents(ws, unit=unit_id)
    open_cases = [c for c in cases.list_cases(ws, unit=unit_id) if c["state"] != "closed"]
    return {"unit": unit, "address": sources.unit_address(unit), "owner": show(owner),
            "people": [show(p) for p in people], "account": account,
            "owing": [p for p in account["periods"] if Decimal(p["owed"]) > 0],
            "docs": list(reversed(docs)), "cases": open_cases,
            "issuable": issuable if issuable is not None else issuable_templates(ws)}


def _issuable(ws: Workspace, unit_id: str, template_id: str) -> tuple[catalog.Template, bool]:
    with ws.store.snapshot() as view:
        if view.get("units", unit_id) is None:
            raise NotFoundError(f"房屋 {unit_id}：库中没有 (no such unit)")
    tpl = ws.catalog.get(template_id)
    key = sources.key_of(tpl.source) if tpl.source else None
    if tpl.source and key != "unit":
        raise InputError(f"模板 {tpl.id}：由档案记录（{key}）生成，不在房屋页面出具 (built from another record)")
    return tpl, key == "unit"


def _issue_built(ws: Workspace, template_id: str, unit_id: str, as_of: date, by: str, again: bool):
    from ..issuing import issue_document
    return issue_document(ws, template_id, unit=unit_id, as_of=as_of, by=by, again=again)


def _issue_data(ws: Workspace, template_id: str, data: dict[str, Any], as_of: date, by: str):
    from ..issuing import issue_document
    return issue_document(ws, template_id, data=data, as_of=as_of, by=by, source_name="网页表单")


def _prefill(ws: Workspace, tpl: catalog.Template, unit_id: str) -> dict[str, Any]:
    """The form's first values: the unit and what the store records of it (never invented)."""
    values: dict[str, Any] = {}
    names = {f.name for f in tpl.fields}
    with ws.store.snapshot() as view:
        unit = view.get("units", unit_id) or {}
        owner = view.get("parties", unit.get("owner") or "") or {}
    for name, value in (("unit", unit_id), ("unit_address", sources.unit_address(unit) if unit else ""),
                        ("address", sources.unit_address(unit) if unit else ""), ("owner", owner.get("name")),
                        ("owner_name", owner.get("name")), ("phone", owner.get("phone"))):
        if name in names and value:
            values[name] = value
    return values


def _form_values(tpl: catalog.Template, data: dict[str, Any]) -> dict[str, Any]:
    """Example data as the form shows it: lists as rows of item fields."""
    out: dict[str, Any] = {}
    for f in tpl.fields:
        v = data.get(f.name)
        if f.type == "list":
            out[f.name] = [{i.name: _text(row.get(i.name)) for i in f.items} for row in (v or [])]
        elif v is not None:
            out[f.name] = _text(v)
    return out


def _text(v: Any) -> str:
    if isinstance(v, bool):
        return "是" if v else ""
    return "" if v is None else str(v)


def _data_from_form(tpl: catalog.Template, form: FormData) -> dict[str, Any]:
    """The form's fields as template data: empty inputs left out (the schema says what is
    required), list rows from NAME.N.ITEM inputs, booleans from checkboxes."""
    data: dict[str, Any] = {}
    for f in tpl.fields:
        if f.type == "list":
            rows: dict[int, dict[str, Any]] = {}
            for key, value in form.multi_items():
                m = re.fullmatch(rf"{re.escape(f.name)}\.(\d+)\.(\w+)", key)
                if m and str(value).strip():
                    rows.setdefault(int(m.group(1)), {})[m.group(2)] = _typed(f, m.group(2), str(value))
            data[f.name] = [rows[k] for k in sorted(rows)]
        elif f.type == "bool":
            data[f.name] = bool(form.get(f.name))
        elif str(form.get(f.name) or "").strip():
            data[f.name] = str(form.get(f.name))
    return data


def _typed(f: catalog.Field, item: str, value: str) -> Any:
    spec = next((i for i in f.items if i.name == item), None)
    return (value == "是" or value == "on") if spec is not None and spec.type == "bool" else value


def _plan_rows(ws: Workspace, result: Any) -> list[dict[str, Any]]:
    """The dry run as the page lists it: per stage, each unit with its owner and what it owes."""
    rows = []
    with ws.store.snapshot() as view:
        for stage, units in sorted(result.planned.items()):
            for unit_id in units:
                unit = view.get("units", unit_id) or {}
                owner = view.get("parties", unit.get("owner") or "") or {}
                owed = sum((Decimal(c["amount"]) for c in sources.overdue_charges(view, unit_id, result.as_of)),
                           Decimal("0.00"))
                rows.append({"stage": stage, "unit": unit_id, "owner": owner.get("name", ""), "owed": str(owed)})
    return rows


class _uploaded:
    """An uploaded file saved to a private temporary folder for the library to read; removed after."""

    def __init__(self, form: FormData, name: str):
        f = form.get(name)
        if not isinstance(f, UploadFile) or not f.filename:
            raise ValidationError([f"字段 {name}（文件）：请选择文件 (no file chosen)"])
        self.upload = f

    def __enter__(self) -> Path:
        self.folder = Path(tempfile.mkdtemp(prefix="formsmith-upload-"))
        suffix = Path(self.upload.filename or "").suffix.lower()
        if not re.fullmatch(r"\.[a-z0-9]{1,5}", suffix or "."):
            suffix = ""
        path = self.folder / f"上传{suffix}"
        with open(path, "wb") as out:
            shutil.copyfileobj(self.upload.file, out)
        return path

    def __exit__(self, *exc: Any) -> None:
        shutil.rmtree(self.folder, ignore_errors=True)


__all__ = ["create_app", "search_units", "unit_view", "field_errors"]
