"""The page code printed as a QR on every page: payload format, check characters, SVG.

Payload (QR alphanumeric mode, so it stays small and scans well):

    FS1:<doc_id>:<page>/<pages>:<check>

- `FS1` names the format (formsmith, version 1), so a courier's or anyone else's QR on the same
  page is never taken for ours;
- `doc_id` is the document's 16-character id (Crockford base32: 0-9 and A-Z without I L O U);
- `page`/`pages` are the 1-based page number and the document's page count;
- `check` is 4 Crockford base32 characters of the CRC-32 of everything before the last colon.
A payload that does not match exactly, or whose check characters are wrong, is not ours.

A card cut out of a sheet (a worker's 施工人员临时出入证) carries its own code, since the
page's code stays on the offcut: FS1C:<doc_id>:<card>/<cards>:<check>, the same parts with the
card's number and the document's card count. The gate reads it to find the issued pass
(`formsmith docs show <doc_id>`); ingest knows it as ours, never as a page's code.
"""
from __future__ import annotations

import re
import secrets
import zlib
from dataclasses import dataclass

import segno

PREFIX = "FS1"
CROCKFORD = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
DOC_ID_LEN = 16
CARD_PREFIX = "FS1C"
_CARD = re.compile(rf"^{CARD_PREFIX}:([{CROCKFORD}]{{{DOC_ID_LEN}}}):(\d{{1,4}})/(\d{{1,4}}):([{CROCKFORD}]{{4}})$")
_PAYLOAD = re.compile(rf"^{PREFIX}:([{CROCKFORD}]{{{DOC_ID_LEN}}}):(\d{{1,4}})/(\d{{1,4}}):([{CROCKFORD}]{{4}})$")


@dataclass(frozen=True)
class PageCode:
    """What one of our QR codes says: which document, which page of how many."""

    doc_id: str
    page: int
    pages: int

    @property
    def payload(self) -> str:
        body = f"{PREFIX}:{self.doc_id}:{self.page}/{self.pages}"
        return f"{body}:{_check(body)}"


def new_doc_id() -> str:
    """A fresh random document id (80 bits, 16 Crockford base32 characters)."""
    n = secrets.randbits(5 * DOC_ID_LEN)
    return "".join(CROCKFORD[(n >> (5 * i)) & 31] for i in reversed(range(DOC_ID_LEN)))


def is_doc_id(text: str) -> bool:
    return len(text) == DOC_ID_LEN and all(c in CROCKFORD for c in text)


def _check(body: str) -> str:
    crc = zlib.crc32(body.encode("ascii")) & 0xFFFFF  # 20 bits = 4 base32 characters
    return "".join(CROCKFORD[(crc >> (5 * i)) & 31] for i in reversed(range(4)))


def encode(doc_id: str, page: int, pages: int) -> str:
    """The payload for page `page` of `pages` of document `doc_id`."""
    if not is_doc_id(doc_id) or not 1 <= page <= pages <= 9999:
        raise ValueError(f"bad page code: {doc_id!r} {page}/{pages}")
    return PageCode(doc_id, page, pages).payload


def decode(payload: str) -> PageCode | None:
    """The PageCode in `payload`, or None when it is not one of ours (or is damaged)."""
    m = _PAYLOAD.match(payload.strip())
    if not m:
        return None
    doc_id, page, pages, check = m.group(1), int(m.group(2)), int(m.group(3)), m.group(4)
    if check != _check(payload.strip().rsplit(":", 1)[0]) or not 1 <= page <= pages:
        return None
    return PageCode(doc_id, page, pages)


@dataclass(frozen=True)
class CardCode:
    """What the code of a cut-out card says: which document, which card of how many."""

    doc_id: str
    card: int
    cards: int

    @property
    def payload(self) -> str:
        body = f"{CARD_PREFIX}:{self.doc_id}:{self.card}/{self.cards}"
        return f"{body}:{_check(body)}"


def encode_card(doc_id: str, card: int, cards: int) -> str:
    """The payload of card `card` of `cards` of document `doc_id`."""
    if not is_doc_id(doc_id) or not 1 <= card <= cards <= 9999:
        raise ValueError(f"bad card code: {doc_id!r} {card}/{cards}")
    return CardCode(doc_id, card, cards).payload


def decode_card(payload: str) -> CardCode | None:
    """The CardCode in `payload`, or None when it is not a card code of ours (or is damaged)."""
    m = _CARD.match(payload.strip())
    if not m:
        return None
    doc_id, card, cards, check = m.group(1), int(m.group(2)), int(m.group(3)), m.group(4)
    if check != _check(payload.strip().rsplit(":", 1)[0]) or not 1 <= card <= cards:
        return None
    return CardCode(doc_id, card, cards)


def card_qr(doc_id: str, card: int | str, cards: int, size_mm: float = 13.0) -> str:
    """The QR of a card's code as an SVG data URI (a template filter: doc.id | card_qr(n, count))."""
    return qr_svg_data_uri(encode_card(doc_id, int(card), int(cards)), size_mm)


def qr_svg_data_uri(payload: str, size_mm: float = 18.0) -> str:
    """The payload as a QR code: an SVG data URI exactly `size_mm` wide, with a 2-module quiet zone."""
    qr = segno.make(payload, error="m", micro=False)
    border = 2
    modules = qr.symbol_size(scale=1, border=border)[0]
    return qr.svg_data_uri(scale=size_mm / modules, border=border, unit="mm")
