"""The counter's accounts: clerks with a role, argon2id password hashes, sign-in sessions,
throttled sign-in, and what each role may do (the web app asks `may(role, action)`).

Roles (a service centre's): 客服 at the counter; 主管 the supervisor (may reveal ID numbers,
run the month end, import records); 财务 the accountant (payments, voids, the month end);
管理员 everything, and the accounts. A session is a random token the browser holds in an
HttpOnly cookie; the store keeps only its SHA-256, with the session's CSRF token and expiry,
so a copied store or backup signs no one in. Every sign-in, failed sign-in, sign-out and
account change is written to the audit log with who did it.
"""
from __future__ import annotations

import hashlib
import hmac
import re
import secrets
import unicodedata
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from . import audit, store
from .errors import InputError, NotFoundError
from .workspace import Workspace

USERS, SESSIONS = "accounts", "sessions"
store.register_table(USERS, buckets=1)
store.register_table(SESSIONS, buckets=4)

ROLES = ("客服", "主管", "财务", "管理员")
# action → the roles that may do it.
PERMISSIONS: dict[str, tuple[str, ...]] = {
    "view": ROLES,
    "issue": ("客服", "主管", "管理员"),
    "mark": ("客服", "主管", "管理员"),
    "cases": ("客服", "主管", "管理员"),
    "pay": ("客服", "主管", "财务", "管理员"),
    "void": ("主管", "财务", "管理员"),
    "reveal": ("主管", "管理员"),
    "month_end": ("主管", "财务", "管理员"),
    "scans": ("客服", "主管", "管理员"),
    "records": ("主管", "管理员"),
    "accounts": ("管理员",),
}
ACTION_NAMES = {"view": "查看", "issue": "出具文书", "mark": "登记文书状态", "cases": "登记案件",
                "pay": "收款", "void": "作废收据", "reveal": "查看完整证件号", "month_end": "月末催缴",
                "scans": "扫描归档", "records": "导入导出档案", "accounts": "管理账号"}
SESSION_HOURS = 10              # a working day; then sign in again
MIN_PASSWORD = 10
MAX_FAILURES = 5                # in a row; then the account waits LOCK_MINUTES per further failure
LOCK_MINUTES = 5
_NAME = re.compile(r"^[\w\u3400-\u9fff·.-]{1,32}$")
_HASHER = PasswordHasher()      # argon2id, the library's defaults (RFC 9106 second choice)


@dataclass(frozen=True)
class Session:
    """A signed-in clerk: who, with which role, and the token every form must send back."""

    user: str
    role: str
    csrf: str
    expires: str

    def may(self, action: str) -> bool:
        return may(self.role, action)


def may(role: str, action: str) -> bool:
    return role in PERMISSIONS.get(action, ())


def _now() -> datetime:
    return datetime.now().astimezone().replace(microsecond=0)


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode("ascii", "replace")).hexdigest()


def _check_name(name: str) -> str:
    name = unicodedata.normalize("NFC", name or "").strip()
    if not _NAME.match(name):
        raise InputError(f"账号 {name!r}：用户名应为 1 至 32 个汉字、字母、数字或 ._- (bad user name)")
    return name


def _check_password(name: str, password: str) -> None:
    if len(password) < MIN_PASSWORD:
        raise InputError(f"账号 {name}：字段 password（密码）：至少 {MIN_PASSWORD} 个字符 (too short)")
    if password.strip().lower() == name.lower():
        raise InputError(f"账号 {name}：字段 password（密码）：不能与用户名相同 (same as the name)")


def add_user(ws: Workspace, name: str, role: str, password: str, *, by: str | None = None) -> dict[str, Any]:
    """A new account; refused if the name is taken, the role unknown or the password short."""
    name = _check_name(name)
    if role not in ROLES:
        raise InputError(f"账号 {name}：字段 role（角色）：{role!r} 不是 {'、'.join(ROLES)} 之一 (unknown role)")
    _check_password(name, password)
    row = {"id": name, "role": role, "hash": _HASHER.hash(password), "active": True,
           "failures": 0, "locked_until": None, "created_at": _now().isoformat(), "created_by": by or ws.clerk}
    with ws.store.transaction() as tx:
        if tx.get(USERS, name) is not None:
            raise InputError(f"账号 {name}：已存在 (exists)")
        tx.insert(USERS, row)
    audit.record(ws, by=by, command="accounts add", revealed="", account=name, role=role)
    return public(row)


def public(row: dict[str, Any]) -> dict[str, Any]:
    """An account as it may be shown: never its hash."""
    return {k: row.get(k) for k in ("id", "role", "active", "created_at", "created_by", "locked_until")}


def list_users(ws: Workspace) -> list[dict[str, Any]]:
    with ws.store.snapshot() as view:
        return [public(r) for r in sorted(view.all(USERS), key=lambda r: r["id"])]


def set_user(ws: Workspace, name: str, *, role: str | None = None, active: bool | None = None,
             password: str | None = None, by: str | None = None) -> dict[str, Any]:
    """Change an account's role, disable or enable it, or set a new password; a disabled
    account's sessions end at once."""
    changes: dict[str, Any] = {}
    if role is not None:
        if role not in ROLES:
            raise InputError(f"账号 {name}：字段 role（角色）：{role!r} 不是 {'、'.join(ROLES)} 之一 (unknown role)")
        changes["role"] = role
    if active is not None:
        changes["active"] = active
    if password is not None:
        _check_password(name, password)
        changes.update(hash=_HASHER.hash(password), failures=0, locked_until=None)
    with ws.store.transaction() as tx:
        if tx.get(USERS, name) is None:
            raise NotFoundError(f"账号 {name}：不存在 (no such account)")
        row = tx.update(USERS, name, changes)
        if active is False or password is not None or role is not None:
            for s in tx.all(SESSIONS):
                if s["user"] == name:
                    tx.delete(SESSIONS, s["id"])
    audit.record(ws, by=by, command="accounts set", revealed="", account=name,
                 changed=sorted(k for k in changes if k != "hash") + (["password"] if password else []))
    return public(row)


class SignInRefused(InputError):
    """A wrong name or password, a disabled account, or one waiting after failures: one message
    for the first three (no one learns which names exist)."""


def sign_in(ws: Workspace, name: str, password: str, *, client: str = "") -> tuple[str, Session]:
    """(token for the cookie, the session) for a right name and password; else SignInRefused.
    After MAX_FAILURES failures in a row an account waits LOCK_MINUTES before the next try."""
    name = unicodedata.normalize("NFC", name or "").strip()
    now = _now()
    with ws.store.snapshot() as view:
        row = view.get(USERS, name) if _NAME.match(name) else None
    if row and row.get("locked_until") and row["locked_until"] > now.isoformat():
        audit.record(ws, by=name, command="sign-in refused (locked)", revealed="", client=client)
        raise SignInRefused(f"账号 {name}：登录失败次数过多，请于 {row['locked_until'][11:16]} 之后再试 (locked)")
    good = False
    if row is not None and row.get("active"):
        try:
            good = _HASHER.verify(row["hash"], password)
        except (VerificationError, InvalidHashError):
            good = False
    else:
        _HASHER.hash(password or "-")   # the same time for an unknown name as for a wrong password
    if not good:
        if row is not None:
            with ws.store.transaction() as tx:
                failures = int(tx.require(USERS, name).get("failures") or 0) + 1
                locked = (now + timedelta(minutes=LOCK_MINUTES)).isoformat() if failures >= MAX_FAILURES else None
                tx.update(USERS, name, {"failures": failures, "locked_until": locked})
        audit.record(ws, by=name or "?", command="sign-in failed", revealed="", client=client)
        raise SignInRefused("用户名或密码不正确 (wrong name or password)")
    assert row is not None   # `good` needs one
    token, csrf = secrets.token_urlsafe(32), secrets.token_urlsafe(32)
    expires = (now + timedelta(hours=SESSION_HOURS)).isoformat()
    with ws.store.transaction() as tx:
        for s in tx.all(SESSIONS):
            if s["expires"] <= now.isoformat():
                tx.delete(SESSIONS, s["id"])
        tx.insert(SESSIONS, {"id": _digest(token), "user": name, "csrf": csrf, "created": now.isoformat(),
                             "expires": expires, "client": client})
        changes: dict[str, Any] = {"failures": 0, "locked_until": None}
        if _HASHER.check_needs_rehash(row["hash"]):
            changes["hash"] = _HASHER.hash(password)
        tx.update(USERS, name, changes)
    audit.record(ws, by=name, command="sign-in", revealed="", client=client)
    return token, Session(name, row["role"], csrf, expires)


def session_for(ws: Workspace, token: str | None) -> Session | None:
    """The live session the cookie's token names, with the account's current role; None when
    there is none, it expired, or the account was disabled."""
    if not token or len(token) > 100:
        return None
    with ws.store.snapshot() as view:
        s = view.get(SESSIONS, _digest(token))
        if s is None or s["expires"] <= _now().isoformat():
            return None
        user = view.get(USERS, s["user"])
    if user is None or not user.get("active"):
        return None
    return Session(s["user"], user["role"], s["csrf"], s["expires"])


def csrf_matches(session: Session, sent: str | None) -> bool:
    return bool(sent) and hmac.compare_digest(session.csrf.encode(), str(sent).encode())


def sign_out(ws: Workspace, token: str | None) -> None:
    if not token:
        return
    with ws.store.transaction() as tx:
        s = tx.get(SESSIONS, _digest(token))
        if s is not None:
            tx.delete(SESSIONS, s["id"])
    if s is not None:
        audit.record(ws, by=s["user"], command="sign-out", revealed="")
