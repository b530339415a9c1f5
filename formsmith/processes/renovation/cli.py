"""`formsmith renovation …`: record what the renovation process needs beyond the documents."""
from __future__ import annotations

import click

from . import sources as renovations
from .works import AUTHORITIES, WORKS
from ...clikit import echo, emit_json, json_option, parse_date_option, workspace


@click.group("renovation")
def renovation_group():
    """Renovations (装修): the approvals a plan needs, and the works the law regulates."""


@renovation_group.command("approve")
@click.argument("renovation_id")
@click.option("--authority", required=True,
              help="批准机关或设计单位, e.g. 江城市南湖区住房和城市更新局, 江城港华燃气有限公司, 江城市建筑设计研究院.")
@click.option("--ref", required=True, help="批准文号（设计方案编号）, e.g. 南住建装审〔2025〕18号.")
@click.option("--date", "approved_on", required=True, callback=parse_date_option,
              help="批准日期 (YYYY-MM-DD).")
@click.option("--kind", type=click.Choice(list(AUTHORITIES)),
              help="What the approval is (default: what the authority's name says): "
                   + ", ".join(f"{k} = {a.title}" for k, a in AUTHORITIES.items()) + ".")
@click.option("--by", help="Who records it (default: the workspace clerk).")
@json_option
@click.pass_context
def renovation_approve(ctx, renovation_id, authority, ref, approved_on, kind, by, as_json):
    """Record an approval of RENOVATION_ID's plan: the real-estate authority's for a structural
    plan, the planning, heating or gas authority's (第六条), or a design unit's design scheme
    (第五条（一）, 第七条); one of each kind."""
    row = renovations.record_approval(workspace(ctx), renovation_id, authority=authority, ref=ref,
                                      approved_on=approved_on, kind=kind, by=by)
    on_file = renovations.approvals_of(row)
    a = on_file[-1]
    if as_json:
        emit_json({"id": row["id"], "unit": row["unit"], "approval": a, "approvals": on_file,
                   "authority_approval": renovations.approval_of_kind(row, "housing")})
    else:
        echo(f"{row['id']}  {row['unit']}: 已登记批准文件 {a['ref']}（{a['authority']}，{a['date']}；"
             f"{AUTHORITIES[a['kind']].title}）")


@renovation_group.command("accept")
@click.argument("renovation_id")
@click.option("--date", "accepted_on", required=True, callback=parse_date_option,
              help="完工验收日期 (YYYY-MM-DD): the joint check after the works.")
@click.option("--by", help="Who records it (default: the workspace clerk).")
@json_option
@click.pass_context
def renovation_accept(ctx, renovation_id, accepted_on, by, as_json):
    """Record that RENOVATION_ID's works were checked and accepted (完工验收, 《装修管理协议》第七条):
    its renovation rounds end that day."""
    row = renovations.record_acceptance(workspace(ctx), renovation_id, accepted_on, by=by)
    if as_json:
        emit_json(row)
    else:
        echo(f"{row['id']}  {row['unit']}: 已登记完工验收 {row['accepted_on']}，装修巡查至此结束")


@renovation_group.command("works")
@json_option
def renovation_works(as_json):
    """The works the law regulates (《住宅室内装饰装修管理办法》第五条至第七条): code, article, what
    each takes; the codes a renovation's `works` names."""
    rows = [{"code": w.code, "label": w.label, "article": w.article,
             "needs": "forbidden" if w.forbidden else w.needs,
             "requirement": "禁止，任何批准均不能豁免" if w.forbidden else AUTHORITIES[w.needs].requirement}
            for w in WORKS]
    if as_json:
        emit_json(rows)
        return
    for r in rows:
        echo(f"{r['code']:<28} {r['article']:<10} {r['label']}：{r['requirement']}")


COMMANDS = [renovation_group]     # added to `formsmith` when formsmith.cli finds the process
