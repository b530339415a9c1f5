"""Signature fields and the company seal, checked the way a reader, a court or an archivist would."""
from __future__ import annotations

import json
import shutil
from pathlib import Path

import pypdfium2 as pdfium
import pytest
from pypdf import PdfReader, PdfWriter

from conftest import formsmith_cmd, store_rows
from formsmith import signing
from formsmith.errors import TemplateError
from pdftools import signature_widgets, xmp_text

PASSWORD = "Zq7-seal-Pw!x93"          # searched for in every file and output below
DOC_NO = "物催字〔2025〕1号"
ENV = {"FORMSMITH_SEAL_PASSWORD": PASSWORD}
MM_PT = 72 / 25.4                     # PDF points per mm


def store_doc(home: Path, doc_no: str = DOC_NO) -> dict:
    return next(d for d in store_rows(home, "documents") if d["doc_no"] == doc_no)


def fields_of(path: Path) -> dict[str, dict]:
    """AcroForm fields as a reader sees them: name → {type, rect, page index, tooltip}."""
    reader = PdfReader(str(path))
    pages = {p.indirect_reference.idnum: i for i, p in enumerate(reader.pages)}
    out = {}
    for ref in reader.trailer["/Root"]["/AcroForm"]["/Fields"]:
        f = ref.get_object()
        out[str(f["/T"])] = {"type": f["/FT"], "rect": [float(v) for v in f["/Rect"]],
                             "page": pages[f.raw_get("/P").idnum], "tooltip": str(f.get("/TU", "")),
                             "signed": "/V" in f}
    return out


def text_in(path: Path, page: int, rect: list[float]) -> str:
    """The text pdfium finds inside `rect` (PDF points) on `page`, whitespace removed."""
    pdf = pdfium.PdfDocument(str(path))
    try:
        tp = pdf[page].get_textpage()
        return "".join(tp.get_text_bounded(*rect).split())
    finally:
        pdf.close()


def render_with_forms(path: Path, page: int, dpi: int = 60):
    pdf = pdfium.PdfDocument(str(path))
    try:
        pdf.init_forms()  # signature appearances are form widgets
        return pdf[page].render(scale=dpi / 72, may_draw_forms=True).to_pil().convert("RGB")
    finally:
        pdf.close()


def red_pixels(img, box=None) -> int:
    """How many pixels are seal red (strong red, little green and blue)."""
    from PIL import ImageChops
    r, g, b = (img.crop(box) if box else img).split()
    mask = ImageChops.multiply(ImageChops.multiply(r.point(lambda v: 255 if v > 180 else 0),
                                                   g.point(lambda v: 255 if v < 110 else 0)),
                               b.point(lambda v: 255 if v < 110 else 0))
    return mask.histogram()[255]


def dark_pixels(img, box=None) -> int:
    """How many pixels are printed text black (dark in every channel: not seal red)."""
    gray = (img.crop(box) if box else img).convert("RGB").point(lambda v: 255 if v < 90 else 0)
    r, g, b = gray.split()
    from PIL import ImageChops
    return ImageChops.multiply(ImageChops.multiply(r, g), b).histogram()[255]


@pytest.fixture(scope="module")
def sealed_home(tmp_path_factory, demo_home):
    """A copy of the demo with a test certificate, letter 1号 sealed through the real command.

    Yields (home, outputs): every stdout/stderr the module's commands printed, for the
    password search.
    """
    home = tmp_path_factory.mktemp("sealed") / "ws"
    shutil.copytree(demo_home, home)
    outputs = []
    made = formsmith_cmd(home, "certs", "make-test", env=ENV)
    outputs += [made.stdout, made.stderr]
    assert made.returncode == 0, made.stderr
    sealed = formsmith_cmd(home, "seal", DOC_NO, "--json", env=ENV)
    outputs += [sealed.stdout, sealed.stderr]
    assert sealed.returncode == 0, sealed.stderr
    yield home, outputs


# ---------------------------------------------------------------- fields at issue

def test_issued_letter_offers_sign_here_on_the_seal_area_and_the_receipt(demo_home):
    doc = store_doc(demo_home)
    path = demo_home / doc["path"]
    fields = fields_of(path)
    assert set(fields) == {"seal", "receipt_signer"}
    assert all(f["type"] == "/Sig" and not f["signed"] for f in fields.values())
    last = doc["pages"] - 1
    seal, signer = fields["seal"], fields["receipt_signer"]
    assert seal["page"] == signer["page"] == last and seal["tooltip"] == "公司盖章"
    # The seal field covers the issuer's name and the date, and no body text (上不压正文).
    assert text_in(path, last, seal["rect"]) == "阳光物业服务有限公司（盖章）2025年12月1日"
    x0, y0, x1, y1 = seal["rect"]
    assert 40 <= (x1 - x0) / 72 * 25.4 and 44 <= (y1 - y0) / 72 * 25.4 <= 46   # the 45 mm area
    # The receipt field is the empty 签收人 cell: nothing inside, its label just left of it.
    x0, y0, x1, y1 = signer["rect"]
    assert text_in(path, last, signer["rect"]) == ""
    assert text_in(path, last, [x0 - 85, y0 + 2, x0 - 1, y1 - 2]) == "签收人（签字）"   # its 30.5 mm label cell
    # Fields were appended after the PDF/A was written; the XMP still says PDF/A-3B.
    assert 'pdfaid:part="3"' in xmp_text(path) and doc["signature_fields"][0]["name"] == "seal"


def test_malformed_declarations_are_refused_naming_the_field(demo_home):
    from formsmith.workspace import find_workspace
    tpl = find_workspace(demo_home).catalog.get("dunning-letter")
    bad = [({"name": "座位"}, "ASCII"), ({"name": "x", "anchor": "seal-area"}, ".class or #id"),
           ({"name": "x"}, "needs an anchor"), ({"name": "x", "anchor": ".a", "kind": "stamp"}, "kind"),
           ({"name": "x", "anchor": ".a", "page": 0}, "page")]
    for decl, words in bad:
        with pytest.raises(TemplateError, match=words):
            signing.declared_fields(tpl.__class__(**{**tpl.__dict__, "signature_fields": (decl,)}))
    none = tpl.__class__(**{**tpl.__dict__, "signature_fields": ()})
    assert signing.declared_fields(none) == () and signing.add_signature_fields(Path("/nonexistent"), none, {}) == []


def assert_empty_fields_as_recorded(path: Path, doc: dict) -> dict:
    """The issued file carries exactly the recorded fields, each an empty, printable signature
    widget on its page with an appearance the size of its rectangle; /SigFlags 3."""
    found = signature_widgets(path)
    assert found["sig_flags"] == 3
    assert list(found["fields"]) == [f["name"] for f in doc["signature_fields"]]
    for f in doc["signature_fields"]:
        w = found["fields"][f["name"]]
        assert w["type"] == "/Sig" and not w["signed"] and w["printed"] and w["on_page"], w
        assert w["rect"] == f["rect"] and w["page"] == f["page"] and w["tooltip"] == f["role"]
        x0, y0, x1, y1 = f["rect"]
        b = w["appearance"]
        assert b is not None and abs(abs(b[2] - b[0]) - (x1 - x0)) < 0.02 \
            and abs(abs(b[3] - b[1]) - (y1 - y0)) < 0.02, (b, f["rect"])
    return found


def test_issued_fields_are_empty_widgets_and_the_seal_goes_into_its_own(sealed_home):
    home, _ = sealed_home
    doc = store_doc(home)
    issued = assert_empty_fields_as_recorded(home / doc["path"], doc)
    assert set(issued["fields"]) == {"seal", "receipt_signer"}
    # Sealing signs INTO the seal field: no field is added, the others stay empty.
    sealed = signature_widgets(home / doc["versions"][0]["path"])
    assert list(sealed["fields"]) == list(issued["fields"]) and sealed["sig_flags"] == 3
    assert sealed["fields"]["seal"]["signed"] and not sealed["fields"]["receipt_signer"]["signed"]
    assert sealed["fields"]["seal"]["rect"] == issued["fields"]["seal"]["rect"]
    assert len(PdfReader(home / doc["versions"][0]["path"]).pages[doc["pages"] - 1]["/Annots"]) == \
        len(PdfReader(home / doc["path"]).pages[doc["pages"] - 1]["/Annots"])


def test_a_plain_render_writes_its_fields_without_loading_pyhanko(demo_copy):
    """pyHanko (a quarter of a second to import) is for sealing and checking signatures only."""
    import subprocess
    import sys
    code = ("import sys; from formsmith.cli import cli; cli(sys.argv[1:], standalone_mode=False); "
            "print('pyhanko loaded' if any(m.startswith('pyhanko') for m in sys.modules) else 'no pyhanko')")
    out = subprocess.run([sys.executable, "-c", code, "--home", str(demo_copy), "render",
                          "dunning-letter", "--unit", "1-2-301", "--as-of", "2025-12-01", "--again",
                          "--json"], capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    issued, verdict = out.stdout.rsplit("}", 1)
    assert verdict.strip() == "no pyhanko"
    doc = store_doc(demo_copy, json.loads(issued + "}")["doc_no"])
    assert_empty_fields_as_recorded(demo_copy / doc["path"], doc)


# ---------------------------------------------------------------- the seal

def test_sealed_letter_validates_and_keeps_the_issued_file(sealed_home, run):
    from pyhanko.pdf_utils.reader import PdfFileReader
    from pyhanko.sign.validation import validate_pdf_signature
    from pyhanko.sign.validation.status import SignatureCoverageLevel
    from pyhanko_certvalidator import ValidationContext

    home, _ = sealed_home
    doc = store_doc(home)
    original = home / doc["path"]
    [version] = doc["versions"]
    sealed = home / version["path"]
    assert sealed.name == "物催字〔2025〕1号.sealed.pdf" and sealed.parent == original.parent
    assert version["kind"] == "sealed" and version["signer"].count("阳光物业服务有限公司") >= 1
    # The issued file is untouched, and it is the first part of the sealed file byte for byte.
    from formsmith.issuing import sha256_file
    assert sha256_file(original) == doc["sha256"] and sha256_file(sealed) == version["sha256"]
    assert sealed.read_bytes().startswith(original.read_bytes())
    with open(sealed, "rb") as fh:
        [sig] = PdfFileReader(fh).embedded_signatures
        status = validate_pdf_signature(sig, ValidationContext(trust_roots=[], allow_fetching=False))
    assert status.intact and status.valid and not status.trusted
    assert status.coverage == SignatureCoverageLevel.ENTIRE_FILE and status.docmdp_ok is not False
    assert sig.field_name == "seal" and sig.sig_object["/SubFilter"] == "/ETSI.CAdES.detached"
    assert 'pdfaid:part="3"' in xmp_text(sealed) and 'pdfaid:conformance="B"' in xmp_text(sealed)

    result = run(home, "verify", str(sealed))
    assert result.exit_code == 0, result.stderr
    assert "sealed version" in result.stdout and "intact" in result.stdout
    assert "not trusted (test certificate)" in result.stdout and "unchanged since signing" in result.stdout
    assert run(home, "verify", str(original)).exit_code == 0  # the issued file still verifies


def test_the_seal_is_drawn_in_the_seal_area_and_nowhere_else(sealed_home, tmp_path):
    home, _ = sealed_home
    doc = store_doc(home)
    sealed = home / doc["versions"][0]["path"]
    dpi = 60
    img = render_with_forms(sealed, doc["pages"] - 1, dpi)
    img.save(tmp_path / "sealed.png")
    x0, y0, x1, y1 = (v * dpi / 72 for v in fields_of(sealed)["seal"]["rect"])
    height = img.height
    inside = (round(x0), round(height - y1), round(x1), round(height - y0))
    seal_px, all_px = red_pixels(img, inside), red_pixels(img)
    assert seal_px > 1500                      # a 42 mm red seal at 60 dpi
    assert all_px - seal_px < 20               # nothing red outside the seal area
    assert red_pixels(render_with_forms(home / doc["path"], doc["pages"] - 1, dpi)) < 20


def _seal_alphas(path: Path):
    """The alpha masks of the seal-sized (42 mm at 300 dpi) images a file holds, as PIL images."""
    import pikepdf
    from formsmith.seal_image import DPI, SEAL_MM
    side = round(SEAL_MM / 25.4 * DPI)
    found = []
    with pikepdf.open(path) as pdf:
        for obj in pdf.objects:
            if isinstance(obj, pikepdf.Stream) and obj.get("/Subtype") == "/Image" \
                    and obj.get("/Width") == side and "/SMask" in obj:
                found.append(pikepdf.PdfImage(obj.SMask).as_pil_image().convert("L"))
    return found


def test_a_test_certificate_seals_with_a_seal_that_says_it_is_a_test(sealed_home):
    """The seal of `certs make-test`'s certificate has 测试样章 无效 where the company's seal has
    its star: nobody takes a trial print for a sealed document."""
    from PIL import ImageChops

    from formsmith import seal_image
    from formsmith.workspace import load_workspace
    home, _ = sealed_home
    ws = load_workspace(home)
    test, real = seal_image.seal_image(ws, test=True), seal_image.seal_image(ws)
    assert seal_image.TEST_MARKS == ("测试样章", "无效")
    (used,) = _seal_alphas(home / store_doc(home)["versions"][0]["path"])
    assert ImageChops.difference(used, test.split()[3]).getbbox() is None   # the test seal is in the file
    # the two differ in the middle only (marks instead of the star), the ring and name alike
    c, mm = test.width // 2, seal_image.DPI / 25.4
    middle = (round(c - 12 * mm), round(c - 9 * mm), round(c + 12 * mm), round(c + 9 * mm))
    diff = ImageChops.difference(test.split()[3], real.split()[3])
    assert diff.crop(middle).getbbox() is not None
    outside = diff.copy()
    outside.paste(0, middle)
    assert outside.getbbox() is None
    # no star: its top point (7 mm above the centre) is seal paste on the real seal only
    top = (c, round(c - 7 * mm))
    assert real.getpixel(top)[3] == 255 and test.getpixel(top)[3] == 0


def flip_one_byte(src: Path, dest: Path) -> None:
    data = bytearray(src.read_bytes())
    starts = [i for i in range(len(data)) if data.startswith(b"stream", i) and data[i - 3:i] != b"end"]
    length, start = max((data.index(b"endstream", i) - i, i) for i in starts)
    data[start + length // 2] ^= 0x01
    dest.write_bytes(bytes(data))


def test_altered_sealed_files_are_refused_with_the_reason(sealed_home, run, tmp_path):
    home, _ = sealed_home
    sealed = home / store_doc(home)["versions"][0]["path"]
    flipped = tmp_path / "flipped.pdf"
    flip_one_byte(sealed, flipped)
    appended = tmp_path / "appended.pdf"
    writer = PdfWriter(sealed, incremental=True)
    writer.add_blank_page()
    writer.write(appended)
    rewritten = tmp_path / "rewritten.pdf"
    writer = PdfWriter(clone_from=PdfReader(sealed))
    writer.add_blank_page()
    writer.write(rewritten)
    expected = {flipped: "signed content was altered", appended: "2 pages now, 1 when signed",
                rewritten: "signed content was altered"}
    for path, reason in expected.items():
        result = run(home, "verify", str(path), "--json")
        assert result.exit_code == 3, path
        v = json.loads(result.stdout)
        assert not v["identical"] and v["doc_no"] == DOC_NO and reason in v["reason"], v["reason"]
        assert [s["ok"] for s in v["signatures"]] == [False]
        human = run(home, "verify", str(path))
        assert human.exit_code == 3 and len(human.stderr.strip().splitlines()) == 1
        assert reason in human.stderr and "Traceback" not in human.stderr


def sign_field(src: Path, dest: Path, field: str, p12: Path, password: str) -> None:
    """Sign `field` of `src` the way a PDF reader does: an incremental update."""
    from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
    from pyhanko.sign import signers
    signer = signers.SimpleSigner.load_pkcs12_data(p12.read_bytes(), (), password.encode())
    with open(src, "rb") as inf, open(dest, "wb") as out:
        signers.PdfSigner(signers.PdfSignatureMetadata(field_name=field), signer=signer).sign_pdf(
            IncrementalPdfFileWriter(inf), output=out)


def test_owner_signing_the_receipt_field_is_accepted_anything_more_is_not(sealed_home, run, tmp_path):
    from formsmith.certs import make_test_certificate
    home, _ = sealed_home
    sealed = home / store_doc(home)["versions"][0]["path"]
    owner_p12 = tmp_path / "owner.p12"
    make_test_certificate("张建华", owner_p12, "owner-pw")
    signed = tmp_path / "owner-signed.pdf"
    sign_field(sealed, signed, "receipt_signer", owner_p12, "owner-pw")
    result = run(home, "verify", str(signed))
    assert result.exit_code == 0, result.stderr
    assert "sealed version, signed afterwards in its own field(s): receipt_signer by 张建华" in result.stdout
    # A page slipped in before the owner's signature: the seal reports the change, refused.
    padded = tmp_path / "padded.pdf"
    writer = PdfWriter(sealed, incremental=True)
    writer.add_blank_page()
    writer.write(padded)
    sign_field(padded, tmp_path / "padded-signed.pdf", "receipt_signer", owner_p12, "owner-pw")
    refused = run(home, "verify", str(tmp_path / "padded-signed.pdf"))
    assert refused.exit_code == 3 and "2 pages now, 1 when signed" in refused.stderr
    # The seal field takes only the company's seal: someone else signing it is not accepted.
    other = tmp_path / "other-seal.pdf"
    sign_field(home / store_doc(home, "物催字〔2025〕2号")["path"], other, "seal", owner_p12, "owner-pw")
    assert run(home, "verify", str(other)).exit_code == 3


def test_seal_refuses_a_second_seal_and_a_voided_document(sealed_home, run):
    home, _ = sealed_home
    again = run(home, "seal", DOC_NO)
    assert again.exit_code == 2 and "sealed already" in again.stderr
    assert run(home, "docs", "mark", "物催字〔2025〕3号", "void").exit_code == 0
    void = run(home, "seal", "物催字〔2025〕3号")
    assert void.exit_code == 2 and "void" in void.stderr and len(void.stderr.splitlines()) == 1
    assert not list((home / "output").rglob("*3号.sealed.pdf"))


@pytest.mark.parametrize("case", ["missing", "wrong-password", "no-password"])
def test_bad_certificate_is_one_line_exit_2_and_nothing_written(sealed_home, tmp_path, run,
                                                                monkeypatch, case):
    home, _ = sealed_home
    ws = tmp_path / "ws"
    shutil.copytree(home, ws)
    given = {"missing": PASSWORD, "wrong-password": "not-" + PASSWORD[::-1], "no-password": ""}[case]
    if case == "missing":
        (ws / "certs" / "test-seal.p12").unlink()
    monkeypatch.setenv("FORMSMITH_SEAL_PASSWORD", given)
    before_store = (ws / "records" / "formsmith.json").read_bytes()
    before_files = sorted(p.name for p in (ws / "output").rglob("*"))
    for args in (("seal", "物催字〔2025〕2号"), ("render", "dunning-letter", "--unit", "1-1-101", "--seal")):
        result = run(ws, *args)
        assert result.exit_code == 2, (args, result.stderr)
        assert len(result.stderr.strip().splitlines()) == 1 and result.stdout == ""
        assert "印章证书" in result.stderr and "Traceback" not in result.stderr
        assert not given or given not in result.stderr
        assert (ws / "records" / "formsmith.json").read_bytes() == before_store
        assert sorted(p.name for p in (ws / "output").rglob("*")) == before_files


def test_make_test_certificate_warns_and_never_overwrites(sealed_home, run):
    home, outputs = sealed_home
    made = "".join(outputs[:2])
    assert "依法设立的电子认证服务机构" in made and "第十三条" in made and "test certificate" in made
    assert 'pkcs12 = "certs/test-seal.p12"' in (home / "formsmith.toml").read_text(encoding="utf-8")
    again = formsmith_cmd(home, "certs", "make-test", env=ENV)
    assert again.returncode == 2 and "exists already" in again.stderr
    missing = formsmith_cmd(home, "certs", "make-test", "--out", str(home / "x.p12"),
                            "--password-env", "NO_SUCH_VARIABLE_HERE")
    assert missing.returncode == 2 and "NO_SUCH_VARIABLE_HERE" in missing.stderr
    assert not (home / "x.p12").exists()


@pytest.mark.slow
def test_the_password_is_nowhere(sealed_home, run):
    home, outputs = sealed_home
    outputs = list(outputs)
    for args in (("docs", "show", DOC_NO, "--json"), ("docs", "show", DOC_NO),
                 ("verify", str(home / store_doc(home)["versions"][0]["path"]), "--json")):
        result = formsmith_cmd(home, *args, env=ENV)
        outputs += [result.stdout, result.stderr]
    # Issue and seal in one go: the number is issued, then sealed as its own version.
    issued = formsmith_cmd(home, "render", "dunning-letter", "--unit", "1-1-802", "--again", "--as-of",
                           "2025-12-01", "--seal", "--json", env=ENV)
    outputs += [issued.stdout, issued.stderr]
    assert issued.returncode == 0, issued.stderr
    out = json.loads(issued.stdout)
    assert out["sealed"]["path"].endswith(".sealed.pdf") and Path(out["sealed"]["path"]).is_file()
    assert store_doc(home, out["doc_no"])["versions"][0]["sha256"] == out["sealed"]["sha256"]
    secret = PASSWORD.encode("utf-8")
    assert not [o for o in outputs if PASSWORD in o]
    leaks = [p for p in home.rglob("*") if p.is_file() and
             (secret in p.read_bytes() or PASSWORD.encode("utf-16-be") in p.read_bytes())]
    assert leaks == []


@pytest.fixture
def local_tsa():
    """An RFC 3161 time-stamp server on localhost (pyHanko's DummyTimeStamper behind real HTTP)."""
    import threading
    from datetime import datetime, timedelta, timezone
    from http.server import BaseHTTPRequestHandler, HTTPServer

    from asn1crypto import keys, tsp, x509 as ax509
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import rsa
    from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID
    from pyhanko.sign.timestamps.dummy_client import DummyTimeStamper

    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)  # the dummy TSA is RSA-only
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "Local test TSA")])
    now = datetime.now(timezone.utc)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name)
            .public_key(key.public_key()).serial_number(x509.random_serial_number())
            .not_valid_before(now - timedelta(hours=1)).not_valid_after(now + timedelta(days=1))
            .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.TIME_STAMPING]), critical=True)
            .sign(key, hashes.SHA256()))
    tsa = DummyTimeStamper(
        tsa_cert=ax509.Certificate.load(cert.public_bytes(serialization.Encoding.DER)),
        tsa_key=keys.PrivateKeyInfo.load(key.private_bytes(
            serialization.Encoding.DER, serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption())))

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self):
            req = tsp.TimeStampReq.load(self.rfile.read(int(self.headers["Content-Length"])))
            body = tsa.request_tsa_response(req).dump()
            self.send_response(200)
            self.send_header("Content-Type", "application/timestamp-reply")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args):
            pass

    server = HTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}/"
    server.shutdown()
    server.server_close()


def test_time_stamp_server_makes_it_pades_b_t_and_an_unreachable_one_writes_nothing(
        sealed_home, run, tmp_path, monkeypatch, local_tsa):
    home, _ = sealed_home
    ws = tmp_path / "ws"
    shutil.copytree(home, ws)
    monkeypatch.setenv("FORMSMITH_SEAL_PASSWORD", PASSWORD)
    settings = (ws / "formsmith.toml").read_text(encoding="utf-8")
    (ws / "formsmith.toml").write_text(settings + 'tsa_url = "http://127.0.0.1:9/"\n', encoding="utf-8")
    before = (ws / "records" / "formsmith.json").read_bytes()
    down = run(ws, "seal", "物催字〔2025〕2号")
    assert down.exit_code == 1 and "时间戳服务器" in down.stderr and len(down.stderr.splitlines()) == 1
    assert (ws / "records" / "formsmith.json").read_bytes() == before
    assert not list((ws / "output").rglob("*2号.sealed.pdf"))
    assert not [p for p in (ws / "output").rglob("*") if p.name.startswith(".")]

    (ws / "formsmith.toml").write_text(settings + f'tsa_url = "{local_tsa}"\n', encoding="utf-8")
    sealed = run(ws, "seal", "物催字〔2025〕2号", "--json")
    assert sealed.exit_code == 0, sealed.stderr
    assert json.loads(sealed.stdout)["timestamped"] is True
    result = run(ws, "verify", json.loads(sealed.stdout)["path"], "--json")
    assert result.exit_code == 0, result.stdout
    [check] = json.loads(result.stdout)["signatures"]
    assert check["ok"] and check["timestamp"] and check["intact"]
    assert check["trust"] == "not trusted (test certificate)"
    # A root named in [seal] trust_roots makes it trusted (here: the test certificate itself).
    from cryptography.hazmat.primitives.serialization import Encoding, pkcs12
    cert = pkcs12.load_key_and_certificates((ws / "certs" / "test-seal.p12").read_bytes(),
                                            PASSWORD.encode())[1]
    (ws / "certs" / "root.pem").write_bytes(cert.public_bytes(Encoding.PEM))
    with open(ws / "formsmith.toml", "a", encoding="utf-8") as fh:
        fh.write('trust_roots = ["certs/root.pem"]\n')
    trusted = run(ws, "verify", json.loads(sealed.stdout)["path"])
    assert trusted.exit_code == 0 and "; trusted;" in trusted.stdout and "(time-stamped)" in trusted.stdout


def test_any_template_gets_its_declared_fields_on_the_shared_blocks(empty_home, run_json):
    """A workspace template using the shared blocks: fields follow its own layout and page."""
    folder = empty_home / "templates" / "consent-form"
    folder.mkdir(parents=True)
    (folder / "manifest.toml").write_text('''title = "同意书"
engine = "html"
series = "物同字〔{year}〕{seq}号"
pages_hint = 2

[fields.owner_name]
type = "string"
label = "业主"

[[signature_fields]]
name = "owner"
role = "业主签字"
anchor = ".owner-signature"
min_height_mm = 12
page = "first"

[[signature_fields]]
name = "company"
role = "公司盖章"
anchor = ".seal-area"
kind = "seal"

[example]
owner_name = "李四"
''', encoding="utf-8")
    (folder / "template.html").write_text('''{% extends "base.html" %}
{% from "blocks.html" import seal_area, owner_signature %}
{% block body %}
<p>本人{{ data.owner_name }}同意。</p>
{{ owner_signature() }}
<div style="page-break-before: always"></div>
<p>第二页。</p>
{{ seal_area(company, doc.issued_on) }}
{% endblock %}
''', encoding="utf-8")
    data = empty_home / "data.json"
    data.write_text('{"owner_name": "李四"}', encoding="utf-8")
    out = run_json(empty_home, "render", "consent-form", "--data", str(data))
    path = Path(out["path"])
    fields = fields_of(path)
    assert fields["owner"]["page"] == 0 and fields["company"]["page"] == 1
    x0, y0, x1, y1 = fields["owner"]["rect"]
    assert abs((x1 - x0) - 40 * 72 / 25.4) < 1 and abs((y1 - y0) - 12 * 72 / 25.4) < 0.5  # the 40 mm line
    # The field stands on the line right after the label, at the label's height.
    assert text_in(path, 0, [x0 - 60, y0 - 1, x0 - 0.5, y0 + 14]).endswith("业主签字：")
    assert text_in(path, 1, fields["company"]["rect"]).startswith("阳光物业服务有限公司（盖章）")


def test_a_template_without_declarations_gets_no_fields_and_an_invisible_seal(
        empty_home, run, run_json, monkeypatch):
    from formsmith import certs
    from formsmith.workspace import load_workspace
    folder = empty_home / "templates" / "plain-notice"
    folder.mkdir(parents=True)
    (folder / "manifest.toml").write_text('title = "通知"\nengine = "html"\n'
                                          'series = "物知字〔{year}〕{seq}号"\n'
                                          '[fields.text]\ntype = "string"\nlabel = "内容"\n',
                                          encoding="utf-8")
    (folder / "template.html").write_text('{% extends "base.html" %}{% block body %}'
                                          '<p>{{ data.text }}</p>{% endblock %}', encoding="utf-8")
    data = empty_home / "data.json"
    data.write_text('{"text": "停水通知"}', encoding="utf-8")
    monkeypatch.setenv("FORMSMITH_SEAL_PASSWORD", PASSWORD)
    ws = load_workspace(empty_home)
    certs.make_test_certificate(ws.company.name, empty_home / "seal.p12", PASSWORD)
    certs.configure_if_unset(ws, empty_home / "seal.p12", "FORMSMITH_SEAL_PASSWORD")
    out = run_json(empty_home, "render", "plain-notice", "--data", str(data), "--seal")
    assert "/AcroForm" not in PdfReader(out["path"]).trailer["/Root"]
    assert store_doc(empty_home, out["doc_no"])["signature_fields"] == []
    sealed = PdfReader(out["sealed"]["path"])
    [field] = [f.get_object() for f in sealed.trailer["/Root"]["/AcroForm"]["/Fields"]]
    assert field["/T"] == "seal" and [float(v) for v in field["/Rect"]] == [0, 0, 0, 0]
    result = run(empty_home, "verify", out["sealed"]["path"])
    assert result.exit_code == 0 and "intact" in result.stdout


def _leave_owing_only_the_newest_debts(home: Path, keep: int) -> None:
    """A short run: only the `keep` units whose arrears began last (the first stage's) still owe."""
    from formsmith.store import Store
    with Store(home / "records").transaction() as tx:
        charges = tx.all("charges")
        oldest: dict[str, str] = {}
        for c in charges:
            if not c.get("paid_on") and c["due"] < "2025-12-01":
                oldest[c["unit"]] = min(oldest.get(c["unit"], c["due"]), c["due"])
        kept = sorted(oldest, key=lambda u: (oldest[u], u))[-keep:]
        for c in charges:
            if not c.get("paid_on") and c["unit"] not in kept:
                tx.update("charges", c["id"], {"paid_on": c["due"]})


@pytest.mark.slow
def test_dunning_run_with_seal_seals_every_letter_once(demo_home, tmp_path):
    """`dunning run --seal`: each letter of the run gets its sealed version, which validates;
    running again seals nothing twice. A bad certificate stops the run before any letter."""
    home = tmp_path / "ws"
    shutil.copytree(demo_home, home)
    _leave_owing_only_the_newest_debts(home, 3)
    bad = formsmith_cmd(home, "dunning", "run", "--as-of", "2025-12-01", "--stage", "1",
                        "--seal", "--json", env={**ENV, "FORMSMITH_SEAL_PASSWORD": "wrong"})
    assert bad.returncode == 2
    assert formsmith_cmd(home, "certs", "make-test", env=ENV).returncode == 0
    before = {d["doc_no"] for d in store_rows(home, "documents")}
    first = formsmith_cmd(home, "dunning", "run", "--as-of", "2025-12-01", "--stage", "1",
                          "--jobs", "1", "--seal", "--json", env=ENV)
    assert first.returncode == 0, first.stderr
    out = json.loads(first.stdout)
    issued = set(out["issued"])
    assert issued and not issued & before
    assert set(out["sealed"]) == issued
    docs = {d["doc_no"]: d for d in store_rows(home, "documents")}
    for no in sorted(issued)[:2]:
        version = signing.sealed_version(docs[no])
        sealed_file = home / version["path"]
        (check,) = signing.check_signatures(sealed_file)
        assert check.intact and check.valid and not check.changed_after_signing, check.problem
        assert check.field == "seal" and version["visible"] is True
    # every sealed letter of the run passes what a single document passes (veraPDF -f 3b, …)
    from conformance import assert_issued_file_conforms
    from validators import verapdf_verdicts
    from formsmith.workspace import load_workspace
    ws = load_workspace(home)
    sealed_files = [home / signing.sealed_version(docs[no])["path"] for no in sorted(issued)]
    verdicts = verapdf_verdicts(sealed_files)
    for no, path in zip(sorted(issued), sealed_files):
        declared = {f["name"] for f in ws.catalog.get(docs[no]["template"]).signature_fields}
        assert_issued_file_conforms(path, verdicts[path], declared, sealed=True)
    again = formsmith_cmd(home, "dunning", "run", "--as-of", "2025-12-01", "--stage", "1",
                          "--jobs", "1", "--seal", "--json", env=ENV)
    assert again.returncode == 0, again.stderr
    assert json.loads(again.stdout)["sealed"] == [] and json.loads(again.stdout)["issued"] == []


# ---------------------------------------------------------------- Typst documents

@pytest.fixture(scope="module")
def typst_sealed(tmp_path_factory, demo_home):
    """A letter rendered by the Typst engine and sealed in the same command (`render --seal`).

    Returns (home, the document's row, the issued file, the sealed file)."""
    home = tmp_path_factory.mktemp("typst-sealed") / "ws"
    shutil.copytree(demo_home, home)
    assert formsmith_cmd(home, "certs", "make-test", env=ENV).returncode == 0
    out = formsmith_cmd(home, "render", "dunning-letter", "--unit", "1-2-301", "--as-of", "2025-12-01",
                        "--engine", "typst", "--again", "--seal", "--json", env=ENV)
    assert out.returncode == 0, out.stderr
    doc = store_doc(home, json.loads(out.stdout)["doc_no"])
    return home, doc, home / doc["path"], home / doc["versions"][0]["path"]


def test_typst_files_end_every_revision_on_a_new_line_and_seal_to_valid_pdfa(typst_sealed):
    """Typst ends its file with %%EOF and no end-of-line; an update appended straight after it
    (`%%EOF16 0 obj`) breaks PDF/A (veraPDF 6.1.9-1). Issued and sealed files both pass."""
    from validators import eol_after_every_eof, verapdf_3b
    _, doc, issued, sealed = typst_sealed
    data = sealed.read_bytes()
    first = data.index(b"%%EOF")
    assert data[first + 5:first + 6] in (b"\n", b"\r"), data[first - 20:first + 20]
    assert eol_after_every_eof(issued.read_bytes()) and eol_after_every_eof(data)
    assert data.startswith(issued.read_bytes())
    assert verapdf_3b(issued) == ""
    assert verapdf_3b(sealed) == ""


def test_typst_render_carries_its_fields_and_the_seal_is_visible_in_the_seal_area(typst_sealed, tmp_path):
    from pyhanko.pdf_utils.reader import PdfFileReader
    from pyhanko.sign.fields import enumerate_sig_fields
    from validators import pdfsig_fields

    home, doc, issued, sealed = typst_sealed
    assert [f["name"] for f in doc["signature_fields"]] == ["seal", "receipt_signer"]
    fields = assert_empty_fields_as_recorded(issued, doc)["fields"]
    with open(issued, "rb") as fh:
        assert [(name, value) for name, value, _ in enumerate_sig_fields(PdfFileReader(fh))] == \
            [("seal", None), ("receipt_signer", None)]
    assert pdfsig_fields(issued) == ["seal", "receipt_signer"]
    last = doc["pages"] - 1
    assert text_in(issued, last, fields["seal"]["rect"]) == "阳光物业服务有限公司（盖章）2025年12月1日"
    x0, y0, x1, y1 = fields["seal"]["rect"]
    assert 63 <= (x1 - x0) / MM_PT <= 65 and 44 <= (y1 - y0) / MM_PT <= 46   # the letters' 64 × 45 mm area
    x0, y0, x1, y1 = fields["receipt_signer"]["rect"]
    assert text_in(issued, last, fields["receipt_signer"]["rect"]) == ""
    assert text_in(issued, last, [x0 - 85, y0 + 2, x0 - 1, y1 - 2]) == "签收人（签字）"   # its 30.5 mm label cell
    # The seal goes into the seal field, drawn: a widget with the field's Rect and an appearance.
    version = doc["versions"][0]
    assert version["visible"] is True and version["field"] == "seal"
    after = signature_widgets(sealed)["fields"]
    assert list(after) == ["seal", "receipt_signer"] and after["seal"]["signed"]
    assert after["seal"]["rect"] == fields["seal"]["rect"] and after["seal"]["appearance"] is not None
    assert pdfsig_fields(sealed) == ["seal", "receipt_signer"]
    (check, ) = signing.check_signatures(sealed)
    assert check.ok and check.intact and not check.changed_after_signing, check.problem
    dpi = 60
    img = render_with_forms(sealed, last, dpi)
    img.save(tmp_path / "typst-sealed.png")
    x0, y0, x1, y1 = (v * dpi / 72 for v in after["seal"]["rect"])
    inside = (round(x0), round(img.height - y1), round(x1), round(img.height - y0))
    assert red_pixels(img, inside) > 1500 and red_pixels(img) - red_pixels(img, inside) < 20


def test_a_single_render_with_fields_is_a_clean_pdf_listing_its_record_once(demo_copy, run_json):
    """The update that adds the empty fields lists its own cross-reference stream (qpdf
    --check: no warning), and the catalog's /AF names record.json's file specification once."""
    import subprocess
    import pikepdf
    issued = run_json(demo_copy, "render", "dunning-letter", "--unit", "1-2-301", "--as-of", "2025-12-01",
                      "--again")
    path = Path(issued["path"])
    assert set(fields_of(path)) == {"seal", "receipt_signer"}
    with pikepdf.open(path) as pdf:
        af = [f.objgen for f in pdf.Root.AF]
        assert len(af) == len(set(af)) == 1, af
        assert str(pdf.Root.AF[0].AFRelationship) == "/Data"
    if not shutil.which("qpdf"):
        pytest.skip("qpdf is not installed")
    check = subprocess.run(["qpdf", "--check", str(path)], capture_output=True, text=True)
    assert check.returncode == 0 and "WARNING" not in check.stdout + check.stderr, check.stdout + check.stderr
