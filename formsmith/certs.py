"""The company's seal certificate: load the PKCS#12 named by the settings, make a self-signed test one."""
from __future__ import annotations

import os
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from pathlib import Path

from .errors import InputError
from .files import write_atomic
from .workspace import Workspace

ENV_PKCS12 = "FORMSMITH_SEAL_PKCS12"
ENV_PASSWORD = "FORMSMITH_SEAL_PASSWORD"
DEFAULT_TEST_CERT = Path("certs") / "test-seal.p12"
# Marks a certificate made by `formsmith certs make-test`: verify names it as a test certificate.
TEST_MARK = "formsmith test certificate - not for legal use"
LEGAL_NOTE = ("这是自签名测试证书，仅供试用：依《中华人民共和国电子签名法》第十三条、第十六条，"
              "可靠的电子签名须使用依法设立的电子认证服务机构颁发的证书（a licensed CA "
              "certificate is needed for legal reliance）。")


@dataclass(frozen=True)
class SealCredentials:
    """Where the seal certificate is and which environment variable holds its password.

    The password itself is read from the environment only at the moment it is used and is
    never kept here, in the store, in a log line or in an error message.
    """

    pkcs12: Path
    password_env: str

    def signer(self):
        """A pyHanko signer loaded from the PKCS#12 file; one clear InputError if it cannot be."""
        from pyhanko.sign import signers

        if not self.pkcs12.is_file():
            raise InputError(f"印章证书 {self.pkcs12}：文件不存在（formsmith.toml [seal] pkcs12）")
        password = os.environ.get(self.password_env)
        if not password:
            raise InputError(f"印章证书 {self.pkcs12}：未提供密码，请在环境变量 "
                             f"{self.password_env} 中设置证书密码")
        try:
            return signers.SimpleSigner.load_pkcs12_data(
                self.pkcs12.read_bytes(), other_certs=(), passphrase=password.encode("utf-8"))
        except ValueError:
            raise InputError(f"印章证书 {self.pkcs12}：无法打开（密码错误或文件不是 PKCS#12 证书；"
                             f"密码取自环境变量 {self.password_env}）") from None


def credentials(ws: Workspace) -> SealCredentials:
    """The seal certificate named by `[seal] pkcs12` (or $FORMSMITH_SEAL_PKCS12) and its password variable."""
    configured = os.environ.get(ENV_PKCS12) or ws.setting("seal", "pkcs12")
    if not configured:
        raise InputError("未配置印章证书：请在 formsmith.toml 的 [seal] 中设置 pkcs12 = \"证书.p12\" "
                         f"（或设置环境变量 {ENV_PKCS12}）；试用可先运行 `formsmith certs make-test`")
    path = Path(str(configured)).expanduser()
    if not path.is_absolute():
        path = ws.root / path
    return SealCredentials(pkcs12=path, password_env=str(ws.setting("seal", "password_env", ENV_PASSWORD)))


def make_test_certificate(company: str, out: Path, password: str, years: int = 2):
    """Write a self-signed PKCS#12 seal certificate for `company` to `out` (mode 0600, never overwritten).

    Returns the `cryptography` certificate.
    """
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.asymmetric import rsa
    from cryptography.hazmat.primitives.serialization import BestAvailableEncryption, pkcs12
    from cryptography.x509.oid import NameOID

    if not company.strip():
        raise InputError("formsmith.toml company.name: empty; the certificate names the company")
    if not password:
        raise InputError("the test certificate needs a password (empty given)")
    out = Path(out)
    if out.exists():
        raise InputError(f"{out}: exists already; formsmith does not overwrite files")
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    name = x509.Name([
        x509.NameAttribute(NameOID.COUNTRY_NAME, "CN"),
        x509.NameAttribute(NameOID.ORGANIZATION_NAME, company),
        x509.NameAttribute(NameOID.ORGANIZATIONAL_UNIT_NAME, TEST_MARK),
        x509.NameAttribute(NameOID.COMMON_NAME, company),
    ])
    now = datetime.now(timezone.utc).replace(microsecond=0)
    cert = (x509.CertificateBuilder()
            .subject_name(name).issuer_name(name).public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - timedelta(minutes=5))
            .not_valid_after(now + timedelta(days=365 * years))
            .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
            .add_extension(x509.KeyUsage(digital_signature=True, content_commitment=True,
                                         key_encipherment=False, data_encipherment=False,
                                         key_agreement=False, key_cert_sign=False, crl_sign=False,
                                         encipher_only=False, decipher_only=False), critical=True)
            .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
            .sign(key, hashes.SHA256()))
    blob = pkcs12.serialize_key_and_certificates(
        name=company.encode("utf-8"), key=key, cert=cert, cas=None,
        encryption_algorithm=BestAvailableEncryption(password.encode("utf-8")))
    out.parent.mkdir(parents=True, exist_ok=True)
    write_atomic(out, blob, mode=0o600, overwrite=False)   # FileExistsError if it appeared meanwhile
    return cert


def is_test_certificate(cert) -> bool:
    """Whether an asn1crypto certificate is one `certs make-test` made (self-signed, marked)."""
    try:
        subject = cert.subject.native
        return cert.self_signed != "no" and subject.get("organizational_unit_name") == TEST_MARK
    except Exception:
        return False


def common_name(cert) -> str:
    """The certificate subject's common name (the company), or its whole subject if it has none."""
    try:
        return str(cert.subject.native.get("common_name") or cert.subject.human_friendly)
    except Exception:
        return ""


def subject_text(cert) -> str:
    """The certificate's subject as a reader shows it, e.g. 'Common Name: 阳光物业…, Organization: …'."""
    return cert.subject.human_friendly


def configure_if_unset(ws: Workspace, path: Path, password_env: str) -> str | None:
    """Add a `[seal]` section naming `path` to formsmith.toml if it has none; the relative path written.

    The password is never written: only the name of the variable that holds it.
    """
    if ws.config.get("seal"):
        return None
    path = Path(path).resolve()
    shown = str(path.relative_to(ws.root)) if path.is_relative_to(ws.root) else str(path)
    text = ws.config_path.read_text(encoding="utf-8")
    block = ("\n[seal]\n"
             "# Company seal certificate (PKCS#12). The password is read from the environment\n"
             "# variable named by password_env, never stored. tsa_url = \"…\" adds an RFC 3161\n"
             "# time-stamp (PAdES B-T). This is a TEST certificate: replace it by the one a\n"
             "# licensed CA (依法设立的电子认证服务机构) issued to the company.\n"
             f"pkcs12 = {_toml_string(shown)}\n"
             f"password_env = {_toml_string(password_env)}\n")
    # kept as this write always was: not fsynced, the mode open() gives a new file
    write_atomic(ws.config_path, text.rstrip("\n") + "\n" + block, mode=None, durable=False)
    ws.config["seal"] = {"pkcs12": shown, "password_env": password_env}
    return shown


def _toml_string(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'
