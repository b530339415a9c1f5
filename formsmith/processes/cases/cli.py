"""`formsmith cases …` and `formsmith today`: record cases step by step, list them, and read
what is due (a thin layer over cases.log and cases.agenda)."""
from __future__ import annotations

from datetime import date

import click

from . import agenda, log, papers
from ... import deadlines
from ...errors import InputError
from ...clikit import echo, emit_json, emit_table, json_option, parse_date_option, workspace

_AT = click.option("--at", help="When it happened, YYYY-MM-DDTHH:MM (default: now); never in the future.")
_BY = click.option("--by", help="Who did it (default: the workspace clerk).")
_NOTE = click.option("--note", help="A remark kept on the event.")


def _said(row: dict, as_json: bool) -> None:
    if as_json:
        emit_json(row)
        return
    ev = row["events"][-1]
    extra = "".join(f"  {k}={ev[k]}" for k in ("to", "leak_test_on", "fee", "satisfaction", "due", "late_days",
                                                 "escalate_due", "late_minutes") if k in ev)
    echo(f"{row['id']}  {log.KINDS[row['kind']]}  {row['unit']}  {ev['at']}  {ev['what']} → "
         f"{row['state']}（{log.STATES[row['state']]}）{extra}")


@click.group("cases")
def cases_group():
    """Case records: 报修 (repair), 投诉 (complaint), 来电来访 (inquiry), 走访 (visit)."""


@cases_group.command("open")
@click.argument("kind", type=click.Choice(tuple(log.KINDS)))
@click.argument("unit")
@click.option("--desc", "description", required=True, help="What was reported (报修内容, 投诉事由, 来电事由, 走访计划).")
@click.option("--category", type=click.Choice(tuple(deadlines.REPAIR_CATEGORIES)),
              help="A repair's category: safety (安全设施), leak (渗漏水), other (其他).")
@click.option("--severity", type=click.Choice(deadlines.SEVERITIES), help="A complaint's severity: 重大, 重要, 轻微.")
@click.option("--deadline", help="A 轻微 complaint: the resident's deadline, YYYY-MM-DD.")
@click.option("--reporter", help="Who reported it (name).")
@click.option("--contact", help="How to reach them (phone).")
@click.option("--answer", help="An inquiry answered at once: the answer given.")
@click.option("--refer", "refer_to", help="An inquiry referred to a specialist: who has it (needs --promise).")
@click.option("--promise", help="A referred inquiry: the promised answer time, YYYY-MM-DDTHH:MM.")
@_AT
@_BY
@json_option
@click.pass_context
def cases_open(ctx, kind, unit, description, category, severity, deadline, reporter, contact, answer, refer_to,
               promise, at, by, as_json):
    """Record a new case of KIND for UNIT; it gets the next number of its series (BX2025-0001 …)."""
    row = log.open_case(workspace(ctx), kind, unit, description=description, at=at, by=by, reporter=reporter,
                        contact=contact, category=category, severity=severity, resident_deadline=deadline,
                        answer=answer, refer_to=refer_to, promise=promise)
    _said(row, as_json)


def _step(name: str, doc: str, *options):
    def decorate(fn):
        for opt in reversed((click.argument("case"), *options, _AT, _BY, json_option, click.pass_context)):
            fn = opt(fn)
        fn.__doc__ = doc
        return cases_group.command(name)(fn)
    return decorate


@_step("dispatch", "Give CASE to a person (a repair is then dispatched).",
       click.option("--to", required=True, help="Who has it now."), _NOTE)
def cases_dispatch(ctx, case, to, note, at, by, as_json):
    _said(log.act(workspace(ctx), case, "dispatch", at=at, by=by, to=to, note=note), as_json)


@_step("escalate", "A 重大 or 重要 complaint taken to the 主任 / 部门负责人 (PROCESSES.md §6): 重大 the same "
                   "day, 重要 within 1 hour; a late one is recorded with its minutes, never refused.",
       click.option("--to", required=True, help="Whom it was taken to (管理处主任, 部门主管 …)."), _NOTE)
def cases_escalate(ctx, case, to, note, at, by, as_json):
    _said(log.act(workspace(ctx), case, "escalate", at=at, by=by, to=to, note=note), as_json)


@_step("note", "Add a remark to CASE (its state stays).", click.option("--note", required=True, help="The remark."))
def cases_note(ctx, case, note, at, by, as_json):
    _said(log.act(workspace(ctx), case, "note", at=at, by=by, note=note), as_json)


@_step("done", "A repair finished (a leak repair with its leak test), or a visit made.",
       click.option("--paid", is_flag=True, help="A paid repair (有偿服务)."),
       click.option("--fee", help="A paid repair: the fee agreed, e.g. 35.00; it is added to the ledger as a "
                                  "charge 有偿维修服务费（CASE） that `formsmith pay` clears with a receipt."),
       click.option("--leak-test", help="A leak repair: the day of the leak test (试漏), YYYY-MM-DD; "
                                        "the callback is due 3 days after it."), _NOTE)
def cases_done(ctx, case, paid, fee, leak_test, note, at, by, as_json):
    _said(log.act(workspace(ctx), case, "done", at=at, by=by, paid=paid, fee=fee, leak_test=leak_test, note=note),
          as_json)


@_step("answer", "Answer a complaint, or a referred inquiry.",
       click.option("--answer", "result", required=True, help="The answer given to the resident."), _NOTE)
def cases_answer(ctx, case, result, note, at, by, as_json):
    _said(log.act(workspace(ctx), case, "answer", at=at, by=by, result=result, note=note), as_json)


@_step("resolve", "A complaint resolved (处理完毕).",
       click.option("--result", required=True, help="How it was resolved."), _NOTE)
def cases_resolve(ctx, case, result, note, at, by, as_json):
    _said(log.act(workspace(ctx), case, "resolve", at=at, by=by, result=result, note=note), as_json)


@_step("callback", "The callback (回访) of a finished repair or a resolved complaint; 不满意 or "
                   "--problem reopens it.",
       click.option("--result", required=True, help="What the resident said."),
       click.option("--satisfaction", required=True, type=click.Choice(log.SATISFACTION), help="满意, 基本满意, 不满意."),
       click.option("--problem", is_flag=True, help="The callback found the problem not fixed (reopens the case)."),
       _NOTE)
def cases_callback(ctx, case, result, satisfaction, problem, note, at, by, as_json):
    _said(log.act(workspace(ctx), case, "callback", at=at, by=by, result=result, satisfaction=satisfaction,
                  problem=problem, note=note), as_json)


@_step("close", "Close CASE (a repair or complaint after its callback).", _NOTE)
def cases_close(ctx, case, note, at, by, as_json):
    _said(log.act(workspace(ctx), case, "close", at=at, by=by, note=note), as_json)


@cases_group.command("list")
@click.option("--kind", type=click.Choice(tuple(log.KINDS)), help="Only this kind.")
@click.option("--state", type=click.Choice(tuple(log.STATES)), help="Only this state.")
@click.option("--unit", help="Only this unit's cases.")
@json_option
@click.pass_context
def cases_list(ctx, kind, state, unit, as_json):
    """The cases, oldest first."""
    rows = log.list_cases(workspace(ctx), kind, state, unit)
    if as_json:
        emit_json(rows)
    else:
        emit_table(rows, ("id", "kind", "unit", "state", "category", "severity", "assignee", "opened_at",
                          "description"))


@cases_group.command("show")
@click.argument("case")
@click.option("--as-of", callback=parse_date_option, help="What it owes on this day (default today).")
@json_option
@click.pass_context
def cases_show(ctx, case, as_of, as_json):
    """One case, its events, and what it owes."""
    row = log.show_case(workspace(ctx), case, as_of)
    if as_json:
        emit_json(row)
        return
    what = row.get("category") or row.get("severity") or ""
    echo(f"{row['id']}  {log.KINDS[row['kind']]} {what}  {row['unit']}  {row['state']}（{log.STATES[row['state']]}）"
         f"  {row['description']}")
    for ev in row["events"]:
        rest = "  ".join(f"{k}={v}" for k, v in ev.items() if k not in ("at", "by", "what", "state", "recorded_at"))
        echo(f"  {ev['at']}  {ev['by']}  {ev['what']} → {ev['state']}  {rest}".rstrip())
    for k, v in row["pending"].items():
        echo(f"  待{agenda.WHAT[k]}：{v} 前")


@cases_group.command("month")
@click.argument("month")
@click.option("--as-of", callback=parse_date_option, help="Count as of this day (default today).")
@json_option
@click.pass_context
def cases_month(ctx, month, as_of, as_json):
    """The figures of MONTH (YYYY-MM) from the case events: callbacks, complaints, repeats, satisfaction."""
    fig = agenda.month_figures(workspace(ctx), month, as_of)
    if as_json:
        emit_json(fig)
        return
    echo(f"{month} 案件：" + "  ".join(f"{log.KINDS[k]} {n}" for k, n in fig["cases"].items()))
    r = fig["repairs"]
    echo(f"报修 {r['total']}（" + "、".join(f"{deadlines.REPAIR_CATEGORIES[k]} {n}" for k, n in r["by_category"].items())
         + f"），返修 {len(r['reopened'])}" + (f"：{'、'.join(r['reopened'])}" if r["reopened"] else ""))
    for k, c in fig["callbacks"].items():
        late = "；".join(f"{x['case']} 应 {x['due']} " + (f"迟 {x['days_late']} 天" if x["days_late"] else "未回访")
                        for x in c["late"])
        echo(f"回访 {deadlines.REPAIR_CATEGORIES[k]}：应回访 {c['due']}，已回访 {c['made']}，按时 {c['on_time']}"
             f"（{c['rate']}）" + (f"  {late}" if late else ""))
    for sev, s in fig["complaints"].items():
        parts = []
        for key, label in (("answer", "答复"), ("resolve", "办结")):
            b = s[key]
            if b["limit_days"] is None:
                continue
            parts.append(f"{label}用时 {'、'.join(map(str, b['days'])) or '—'} 天（限 {b['limit_days']} 天），超期 {b['late']}，未{label} {b['open']}")
        if "escalate" in s:
            e = s["escalate"]
            late = "、".join(f"{x['case']} 迟 {x['late_minutes']} 分钟" for x in e["late"])
            missing = "、".join(x["case"] for x in e["missing"])
            parts.append(f"{e['limit']}转呈{e['to']} {e['made']}，按时 {e['on_time']}"
                         + (f"，迟转呈：{late}" if late else "") + (f"，未转呈：{missing}" if missing else ""))
        echo(f"投诉 {sev} {s['count']}：" + "；".join(parts))
    echo("满意度：" + "  ".join(f"{k} {n}" for k, n in fig["satisfaction"].items()))


def _issued(doc, as_json: bool) -> None:
    if as_json:
        emit_json({k: v for k, v in doc.as_dict().items()
                   if k in ("doc_no", "doc_id", "path", "sha256", "pages", "template")})
    else:
        echo(f"{doc.doc_no}  {doc.pages} 页  {doc.path}")


_ISSUE = (click.option("--as-of", callback=parse_date_option, help="The document's date (default today)."),
          click.option("--by", help="Who issues it (default: the workspace clerk)."),
          click.option("--again", is_flag=True, help="Issue another although one was issued already."),
          click.option("--replaces", metavar="DOC_NO", help="Issue a correction of DOC_NO (the same record's)."),
          json_option, click.pass_context)


def _issue_options(fn):
    for opt in reversed(_ISSUE):
        fn = opt(fn)
    return fn


@cases_group.command("print")
@click.argument("case")
@click.option("--as", "template", type=click.Choice(sorted({t for ts in papers.CASE_TEMPLATES.values() for t in ts})),
              help="Which document (default: repair-order for a repair, complaint-record for a complaint, "
                   "visit-record for a visit).")
@_issue_options
def cases_print(ctx, case, template, as_of, by, again, replaces, as_json):
    """Issue a document printed from CASE: 维修工作单, 有偿服务登记表 or 维修回访记录 of a repair,
    投诉处理记录 or 答复函 of a complaint, 走访记录表 of a visit — stating what the case records."""
    _issued(papers.print_case(workspace(ctx), case, template, as_of=as_of, by=by, again=again,
                              replaces=replaces), as_json)


@cases_group.command("log")
@click.option("--day", callback=parse_date_option, help="The day, YYYY-MM-DD (客服工作日志, or a day's 来电来访登记表).")
@click.option("--from", "first", callback=parse_date_option, help="A period's first day (来电来访登记表).")
@click.option("--to", "last", callback=parse_date_option, help="A period's last day (来电来访登记表).")
@click.option("--as", "template", type=click.Choice(papers.DAY_TEMPLATES),
              help="service-log (客服工作日志, the default) or inquiry-register (来电来访登记表).")
@_issue_options
def cases_log(ctx, day, first, last, template, as_of, by, again, replaces, as_json):
    """Issue the 客服工作日志 of --day (every case event of that day, with its counts), or the
    来电来访登记表 of --day or of --from … --to."""
    if bool(day) == bool(first or last) or bool(first) != bool(last):
        raise InputError("give --day YYYY-MM-DD, or --from YYYY-MM-DD --to YYYY-MM-DD")
    _issued(papers.print_days(workspace(ctx), day or first, last, template, as_of=as_of, by=by, again=again,
                              replaces=replaces), as_json)


@click.command("today")
@click.option("--as-of", callback=parse_date_option, help="The day to read (default today).")
@json_option
@click.pass_context
def today_command(ctx, as_of: date | None, as_json):
    """What is due and overdue today: callbacks, complaint escalations, answers and resolutions,
    referred inquiries, rounds (every process's agenda), and documents awaiting their signed
    copy — overdue first."""
    day = agenda.today(workspace(ctx), as_of)
    if as_json:
        emit_json(day)
        return
    echo(f"{day['as_of']} 今日待办")
    for title, items in (("已逾期", day["overdue"]), ("今日到期", day["due_today"])):
        echo(f"{title}（{len(items)}）")
        for i in items:
            late = f"逾期 {i['days_late']} 天" if i["days_late"] else "已过时限" if i["overdue"] else "今日"
            ref = f"{i['ref']}  " if i["ref"] != i["unit"] else ""
            echo(f"  {ref}{i['unit']}  {i['label']}  应于 {i['due']}  {late}  "
                 f"{i['assignee'] or ''}  {i['description']}".rstrip())
    echo(f"待签回文书（{len(day['awaiting_signed'])}）")
    for d in day["awaiting_signed"]:
        echo(f"  {d['doc_no']}  {d['unit'] or ''}  {d['state']}  {d['went_out_on']} 发出，已 {d['days_out']} 天")


COMMANDS = [cases_group, today_command]     # added to `formsmith` when formsmith.cli finds the process
