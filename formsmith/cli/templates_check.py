"""`formsmith templates check`: lint templates (manifest, example, variables, Word runs, filters, glyphs)."""
from __future__ import annotations

import click

from . import echo, emit_json, json_option, templates, workspace


@templates.command("check")
@click.argument("template_id", required=False)
@json_option
@click.pass_context
def templates_check(ctx, template_id, as_json):
    """Lint TEMPLATE_ID (default: every template); exit 2 with one line per problem."""
    from .. import template_check  # loads WeasyPrint: only for this command
    ws = workspace(ctx)
    ids = [template_id] if template_id else ws.catalog.ids()
    if template_id:
        ws.catalog.get(template_id)  # unknown id: the usual not-found message
    problems = template_check.check(ws, ids)
    if as_json:
        emit_json({"checked": ids, "problems": template_check.to_json(problems)})
        if problems:
            ctx.exit(2)
        return
    if problems:
        raise template_check.TemplateCheckFailed(problems)
    echo(f"OK: {len(ids)} template(s) checked, no problems")
