"""verify: exit 0 only for a byte-identical issued document; anything else is named and refused."""
from __future__ import annotations

import json
import shutil

from pypdf import PdfReader, PdfWriter

from conftest import store_rows
from test_signing import sealed_home  # noqa: F401  (fixture)


def first_doc(home):
    doc = next(d for d in store_rows(home, "documents") if d["doc_no"] == "物催字〔2025〕1号")
    return home / doc["path"], doc


def test_issued_file_verifies_with_number_and_state(demo_home, run, tmp_path):
    path, doc = first_doc(demo_home)
    copy = tmp_path / "scan-folder-copy.pdf"
    shutil.copy(path, copy)  # a copy elsewhere is still the same document
    result = run(demo_home, "verify", str(copy), "--json")
    assert result.exit_code == 0
    v = json.loads(result.stdout)
    assert v["identical"] and v["doc_no"] == doc["doc_no"] and v["state"] == "generated"
    assert v["sha256"] == doc["sha256"]
    human = run(demo_home, "verify", str(copy))
    assert human.exit_code == 0 and doc["doc_no"] in human.stdout and "generated" in human.stdout


def test_one_flipped_byte_is_refused_and_named(demo_home, run, tmp_path):
    path, doc = first_doc(demo_home)
    data = bytearray(path.read_bytes())
    # Flip one bit inside the largest stream (the embedded font): the file still parses.
    starts = [i for i in range(len(data)) if data.startswith(b"stream", i) and data[i - 3:i] != b"end"]
    spans = [(data.index(b"endstream", i) - i, i) for i in starts]
    length, start = max(spans)
    data[start + length // 2] ^= 0x01
    bad = tmp_path / "changed.pdf"
    bad.write_bytes(bytes(data))
    result = run(demo_home, "verify", str(bad), "--json")
    assert result.exit_code == 3
    v = json.loads(result.stdout)
    assert not v["identical"] and v["doc_no"] == doc["doc_no"] and "differs" in v["reason"]


def test_resaved_copy_is_refused(demo_home, run, tmp_path):
    path, doc = first_doc(demo_home)
    writer = PdfWriter(clone_from=PdfReader(str(path)))
    resaved = tmp_path / "resaved.pdf"
    with open(resaved, "wb") as fh:
        writer.write(fh)
    result = run(demo_home, "verify", str(resaved))
    assert result.exit_code == 3
    assert "NOT VERIFIED" in result.stderr and doc["doc_no"] in result.stderr


def test_foreign_file_and_missing_file(demo_home, run, tmp_path):
    other = tmp_path / "other.pdf"
    other.write_bytes(b"%PDF-1.4\n%%EOF\n")
    result = run(demo_home, "verify", str(other))
    assert result.exit_code == 3 and "not a document issued" in result.stderr
    result = run(demo_home, "verify", str(tmp_path / "nope.pdf"))
    assert result.exit_code == 2 and "no such file" in result.stderr


def test_bytes_appended_after_a_signed_letter_are_refused(sealed_home, run, tmp_path):  # noqa: F811
    """A polyglot: the sealed letter signed by the owner in its own field (accepted), with
    anything glued after its last %%EOF (a ZIP, a script) — the signatures do not cover it."""
    from formsmith.certs import make_test_certificate
    from test_signing import sign_field, store_doc
    home, _ = sealed_home
    sealed = home / store_doc(home)["versions"][0]["path"]
    owner_p12 = tmp_path / "owner.p12"
    make_test_certificate("张建华", owner_p12, "owner-pw")
    signed = tmp_path / "owner-signed.pdf"
    sign_field(sealed, signed, "receipt_signer", owner_p12, "owner-pw")
    assert run(home, "verify", str(signed)).exit_code == 0
    trailing_blank = tmp_path / "trailing-newlines.pdf"
    trailing_blank.write_bytes(signed.read_bytes() + b"\r\n\n")
    assert run(home, "verify", str(trailing_blank)).exit_code == 0      # whitespace is allowed
    for tail in (b"PK\x03\x04" + b"\x00" * 26 + b"payload.exe", b"\n%%EOF\n<script>alert(1)</script>\n%%EOF\n"):
        glued = tmp_path / "polyglot.pdf"
        glued.write_bytes(signed.read_bytes() + tail)
        result = run(home, "verify", str(glued), "--json")
        assert result.exit_code == 3, tail
        v = json.loads(result.stdout)
        assert not v["verified"], v["reason"]
        if tail.startswith(b"PK"):
            assert "come after the end of its last signature" in v["reason"], v["reason"]
    sealed_glued = tmp_path / "sealed-glued.pdf"
    sealed_glued.write_bytes(sealed.read_bytes() + b"junk")
    assert run(home, "verify", str(sealed_glued)).exit_code == 3
