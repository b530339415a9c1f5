"""Commands for the electronic seal: `formsmith seal DOC_NO` and `formsmith certs make-test`."""
from __future__ import annotations

import os
from pathlib import Path

import click

from .. import certs
from .. import signing as seals
from ..errors import InputError
from . import cli, echo, emit_json, json_option, workspace


@cli.command()
@click.argument("doc_no")
@click.option("--by", help="Who seals it (default: the workspace clerk).")
@json_option
@click.pass_context
def seal(ctx, doc_no, by, as_json):
    """Seal DOC_NO with the company certificate (PAdES): writes X.sealed.pdf, keeps X.pdf as issued.

    The certificate is the PKCS#12 file of formsmith.toml `[seal] pkcs12`, its password is
    read from the environment variable `[seal] password_env` (FORMSMITH_SEAL_PASSWORD).
    """
    result = seals.seal_document(workspace(ctx), doc_no, by=by)
    if as_json:
        emit_json(result.as_dict())
        return
    echo(f"{result.doc_no}: 已盖电子公章 (sealed)  {result.path}")
    echo(f"  sha256 {result.sha256}  (issued file kept: {result.original_path})")
    echo(f"  certificate: {result.signer_name}"
               f"{'  — test certificate, not for legal use' if result.test_certificate else ''}")
    if result.timestamped:
        echo("  time-stamped (PAdES B-T)")
    if not result.visible:
        echo("  note: the template declares no seal field, so the seal is invisible")


@cli.group("certs")
def certs_group():
    """Seal certificates: make a self-signed one for trying sealing out."""


@certs_group.command("make-test")
@click.option("--out", type=click.Path(dir_okay=False),
              help=f"Where to write the PKCS#12 file (default: WORKSPACE/{certs.DEFAULT_TEST_CERT}).")
@click.option("--password-env", default=certs.ENV_PASSWORD, show_default=True,
              help="Environment variable holding the password to protect the file with.")
@json_option
@click.pass_context
def certs_make_test(ctx, out, password_env, as_json):
    """Create a self-signed test seal certificate (PKCS#12) in the company's name.

    For trying sealing out only: a seal that courts can rely on needs a certificate from a
    licensed CA (依法设立的电子认证服务机构, 电子签名法 §13, §16).
    """
    ws = workspace(ctx)
    password = os.environ.get(password_env, "")
    if not password:
        raise InputError(f"set the environment variable {password_env} to the password that will "
                         "protect the test certificate")
    path = Path(out) if out else ws.root / certs.DEFAULT_TEST_CERT
    if not path.is_absolute():
        path = Path.cwd() / path
    if not out:
        path.parent.mkdir(exist_ok=True, mode=0o700)
    cert = certs.make_test_certificate(ws.company.name, path, password)
    configured = certs.configure_if_unset(ws, path, password_env)
    info = {"path": str(path), "subject": cert.subject.rfc4514_string(),
            "not_after": cert.not_valid_after_utc.isoformat(), "password_env": password_env,
            "configured": configured, "test_certificate": True, "legal_note": certs.LEGAL_NOTE}
    if as_json:
        emit_json(info)
        return
    echo(f"test certificate written: {path}")
    echo(f"  subject {info['subject']}, valid until {info['not_after'][:10]}")
    if configured:
        echo(f"  formsmith.toml: added [seal] pkcs12 = \"{configured}\", password_env = \"{password_env}\"")
    else:
        echo("  formsmith.toml has a [seal] section already; set its pkcs12 to this file to use it")
    echo(f"注意：{certs.LEGAL_NOTE}")
