"""Checks on what arrives at the official-account callback, before anything is parsed or stored.

Order matters: size first (cheap), then signature and freshness (cheap, and forged requests
stop here), then XML that refuses any DTD or entity (XXE, billion laughs). wechatpy's own
parser (xmltodict) never sees the text: `to_message` builds its objects from our fields.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import re
from typing import Any, NoReturn
from xml.parsers import expat  # noqa: S408 - every DTD is refused, see parse_xml

from aiohttp import web
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
from wechatpy.events import EVENT_TYPES
from wechatpy.messages import MESSAGE_TYPES, BaseMessage, UnknownMessage

_DTD = re.compile(rb"<!\s*(DOCTYPE|ENTITY)", re.IGNORECASE)
_DIGITS = re.compile(r"^\d{1,20}$")


class Rejected(Exception):
    """The request must not be processed; `status` is the HTTP answer (400 or 403)."""

    def __init__(self, status: int, reason: str) -> None:
        super().__init__(reason)
        self.status = status
        self.reason = reason


def signature(token: str, *parts: str) -> str:
    """WeChat's SHA-1 over the sorted parts (timestamp, nonce and, in safe mode, Encrypt)."""
    return hashlib.sha1("".join(sorted([token, *parts])).encode()).hexdigest()  # noqa: S324


def check_signature(expected_from: tuple[str, ...], token: str, given: str | None) -> None:
    if not given or not hmac.compare_digest(signature(token, *expected_from), given.lower()):
        raise Rejected(403, "bad signature")


def check_fresh(timestamp: str | None, now: float, window: float) -> None:
    """Refuse replays: the signed timestamp must be within `window` seconds of our clock."""
    if not timestamp or not _DIGITS.match(timestamp):
        raise Rejected(403, "bad timestamp")
    if abs(now - int(timestamp)) > window:
        raise Rejected(403, "stale timestamp")


def decrypt(aes_key: str, appid: str, encrypted: str) -> bytes:
    """The XML inside a safe-mode `Encrypt`, checked at every step; anything else is a 400.

    WeChat's layout: AES-256-CBC with the key's first 16 bytes as IV over 16 random bytes, the
    XML's length (4 bytes, big-endian), the XML, the appid, and PKCS#7 padding to 32 bytes.
    wechatpy's decrypt trusts every length and byte of that, so a random ciphertext (signed:
    the signature is over the ciphertext, anyone who knows the token can sign one) raised
    struct.error or IndexError there, which became a 500. Here each field is checked."""
    try:
        raw = base64.b64decode(encrypted, validate=True)
    except (binascii.Error, ValueError):
        raise Rejected(400, "Encrypt is not base64") from None
    if not raw or len(raw) % 16:
        raise Rejected(400, "Encrypt is not whole AES blocks")
    key = base64.b64decode(aes_key + "=")
    decryptor = Cipher(algorithms.AES(key), modes.CBC(key[:16])).decryptor()
    plain = decryptor.update(raw) + decryptor.finalize()
    pad = plain[-1]
    if not 1 <= pad <= 32 or plain[-pad:] != bytes([pad]) * pad:
        raise Rejected(400, "undecryptable Encrypt: bad padding")
    content = plain[16:-pad]
    if len(content) < 4:
        raise Rejected(400, "undecryptable Encrypt: too short")
    size = int.from_bytes(content[:4], "big")
    if size > len(content) - 4:
        raise Rejected(400, "undecryptable Encrypt: bad length")
    xml, sender = content[4 : 4 + size], content[4 + size :]
    if not hmac.compare_digest(sender, appid.encode()):
        raise Rejected(400, "undecryptable Encrypt: not for this appid")
    return xml


async def read_body(request: web.Request, limit: int) -> bytes:
    """The body, refusing anything over `limit` bytes without reading the rest of it."""
    if request.content_length is not None:
        if request.content_length > limit:
            raise Rejected(400, "body too large")
        return await request.read()  # its length is known and within the limit: one read
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.content.iter_chunked(16 * 1024):
        size += len(chunk)
        if size > limit:
            raise Rejected(400, "body too large")
        chunks.append(chunk)
    return b"".join(chunks)


class _Refused(Exception):
    pass


def _refuse(*_: Any) -> NoReturn:
    raise _Refused


def parse_xml(data: bytes | str) -> dict[str, Any]:
    """A WeChat `<xml>` document as a dict (an element with children as a nested dict, any
    other as its text); any DTD, entity declaration or malformed text is a 400.

    WeChat's documents are flat and small, so expat's events build the dict directly: twice
    as fast as an ElementTree (defusedxml's) turned into a dict. A document type declaration
    is refused on sight, before expat reads one entity of it; without one no entity other
    than XML's five can be defined, so XXE and billion laughs have nothing to stand on."""
    raw = data.encode() if isinstance(data, str) else data
    if _DTD.search(raw):
        raise Rejected(400, "DTD or entity declaration")
    parser = expat.ParserCreate()
    parser.StartDoctypeDeclHandler = _refuse  # catches what the byte search cannot (UTF-16)
    parser.EntityDeclHandler = _refuse
    parser.UnparsedEntityDeclHandler = _refuse
    parser.ExternalEntityRefHandler = _refuse
    parser.buffer_text = True
    stack: list[dict[str, Any]] = [{}]
    text: list[str] = []

    def start(_tag: str, _attrs: Any) -> None:
        stack.append({})
        text.clear()

    def end(tag: str) -> None:
        children = stack.pop()
        stack[-1][tag] = children or "".join(text)
        text.clear()

    parser.StartElementHandler = start
    parser.EndElementHandler = end
    parser.CharacterDataHandler = text.append
    try:
        parser.Parse(raw, True)
    except _Refused:
        raise Rejected(400, "DTD or entity declaration") from None
    except (expat.ExpatError, ValueError) as exc:
        raise Rejected(400, f"malformed XML: {type(exc).__name__}") from None
    root = stack[0]
    if list(root) != ["xml"] or not isinstance(root["xml"], dict):
        raise Rejected(400, "root element is not <xml>")
    return root["xml"]


def to_message(fields: dict[str, Any]) -> BaseMessage:
    """wechatpy's message or event object for fields `parse_xml` already read, as
    wechatpy.parse_message would make it, without parsing the XML a second time."""
    data = dict(fields)
    kind = str(data.get("MsgType", "")).lower()
    if kind != "event":
        return MESSAGE_TYPES.get(kind, UnknownMessage)(data)
    event = str(data.get("Event", "")).lower()
    key = data.get("EventKey")
    if event == "subscribe" and isinstance(key, str) and key:
        if key.startswith(("scanbarcode|", "scanimage|")):
            event = data["Event"] = "subscribe_scan_product"
        elif key.startswith("qrscene_"):
            event = data["Event"] = "subscribe_scan"
            data["EventKey"] = key[len("qrscene_") :]
    return EVENT_TYPES.get(event, UnknownMessage)(data)


_NEEDS = {
    "text": ("MsgId", "Content"),
    "image": ("MsgId", "MediaId"),
    "voice": ("MsgId", "MediaId"),
    "event": ("Event",),
}


def check_fields(message: dict[str, Any]) -> None:
    """The fields the callback relies on are present and sane; otherwise 400."""
    for name in ("ToUserName", "FromUserName", "CreateTime", "MsgType"):
        if not isinstance(message.get(name), str) or not message[name].strip():
            raise Rejected(400, f"missing {name}")
    if len(message["FromUserName"]) > 64:  # an openid has 28 characters
        raise Rejected(400, "bad FromUserName")
    if not _DIGITS.match(message["CreateTime"]):
        raise Rejected(400, "bad CreateTime")
    kind = message["MsgType"].lower()
    for name in _NEEDS.get(kind, ("MsgId",)):
        if not isinstance(message.get(name), str) or not message[name]:
            raise Rejected(400, f"missing {name}")
    if "MsgId" in message and not _DIGITS.match(str(message["MsgId"])):
        raise Rejected(400, "bad MsgId")
