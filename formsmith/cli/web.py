"""`formsmith serve` (the counter's web app) and `formsmith users` (its accounts)."""
from __future__ import annotations

import sys

import click

from .. import accounts
from ..clikit import echo, emit_json, emit_table, json_option, workspace
from ..errors import InputError
from . import cli

LAN_FLAG = "--lan"


@cli.command()
@click.option("--host", default="127.0.0.1", show_default=True,
              help="Address to listen on. Anything but this computer (127.0.0.1) needs --lan.")
@click.option("--port", default=8000, show_default=True, type=click.IntRange(1, 65535), help="Port to listen on.")
@click.option(LAN_FLAG, "lan", is_flag=True, help="Deliberately serve the office network (with --host 0.0.0.0 "
              "or the computer's address); put it behind HTTPS and use --secure-cookies.")
@click.option("--secure-cookies", is_flag=True, help="Send the sign-in cookie over HTTPS only.")
@click.pass_context
def serve(ctx, host, port, lan, secure_cookies):
    """Run the counter's web app (sign in with an account from `formsmith users add`)."""
    if host not in ("127.0.0.1", "localhost", "::1") and not lan:
        raise InputError(f"--host {host}：对本机以外开放须同时加 {LAN_FLAG}（并建议置于 HTTPS 之后）"
                         "(serving the network is deliberate)")
    ws = workspace(ctx)
    if not accounts.list_users(ws):
        raise InputError("还没有任何账号：先用 `formsmith users add 姓名 --role 管理员` 建立一个 (no accounts yet)")
    import uvicorn

    from ..web import create_app
    echo(f"formsmith 业务受理：http://{host}:{port}/  （Ctrl+C 停止）")
    uvicorn.run(create_app(ws.root, secure_cookies=secure_cookies), host=host, port=port,
                log_level="warning", server_header=False)


@cli.group()
def users():
    """The web app's accounts: who may sign in, with which role."""


def _password(from_stdin: bool) -> str:
    if from_stdin:
        return sys.stdin.readline().rstrip("\n")
    return click.prompt("密码", hide_input=True, confirmation_prompt="再输入一次")


@users.command("add")
@click.argument("name")
@click.option("--role", required=True, type=click.Choice(accounts.ROLES), help="客服, 主管, 财务 or 管理员.")
@click.option("--password-stdin", is_flag=True, help="Read the password from the first line of stdin "
              "(for scripts) instead of asking twice.")
@click.option("--by", help="Who creates the account (default: the workspace clerk).")
@json_option
@click.pass_context
def users_add(ctx, name, role, password_stdin, by, as_json):
    """Create account NAME with a role; the password is asked for (never an option)."""
    row = accounts.add_user(workspace(ctx), name, role, _password(password_stdin), by=by)
    emit_json(row) if as_json else echo(f"账号 {row['id']}（{row['role']}）已建立")


@users.command("list")
@json_option
@click.pass_context
def users_list(ctx, as_json):
    """Every account with its role and whether it may sign in."""
    rows = accounts.list_users(workspace(ctx))
    if as_json:
        emit_json(rows)
    else:
        emit_table(rows, ["id", "role", "active", "created_at"])


@users.command("set")
@click.argument("name")
@click.option("--role", type=click.Choice(accounts.ROLES), help="A new role.")
@click.option("--disable/--enable", "disabled", default=None, help="Stop (or allow again) signing in; "
              "disabling ends the account's sessions.")
@click.option("--password", "new_password", is_flag=True, help="Set a new password (asked for).")
@click.option("--password-stdin", is_flag=True, help="With --password: read it from stdin.")
@click.option("--by", help="Who changes it (default: the workspace clerk).")
@json_option
@click.pass_context
def users_set(ctx, name, role, disabled, new_password, password_stdin, by, as_json):
    """Change account NAME: its role, whether it may sign in, its password."""
    row = accounts.set_user(workspace(ctx), name, role=role,
                            active=None if disabled is None else not disabled,
                            password=_password(password_stdin) if new_password else None, by=by)
    emit_json(row) if as_json else echo(f"账号 {row['id']}（{row['role']}，{'启用' if row['active'] else '停用'}）已更新")
