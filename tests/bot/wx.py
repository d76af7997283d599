"""Builders for what WeChat posts to the callback: signed queries and message XML."""

from __future__ import annotations

import hashlib
import time
from typing import Any

from wechatpy.crypto import WeChatCrypto

TOKEN = "spamtest"
AES_KEY = "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG"
APPID = "wx2c2769f8efd9abc2"
MP_SECRET = "mp-secret"
WXA_APPID = "wxa0000000000000001"
WXA_SECRET = "wxa-secret"
ACCOUNT = "gh_10f6c3c3ac5a"
# Settings overrides for an account in safe mode (bot_client(**SAFE)).
SAFE = {"wechat_aes_key": AES_KEY}

# Tencent's published safe-mode sample (token spamtest, the alphabet EncodingAESKey).
SAMPLE_TIMESTAMP = "1409735669"
SAMPLE_NONCE = "1320562132"
SAMPLE_MSG_SIGNATURE = "5d197aaffba7e9b25a30732f161a50dee96bd5fa"
SAMPLE_USER = "oyORnuP8q7ou2gfYjqLzSIWZf0rs"
SAMPLE_BODY = (
    "<xml><ToUserName><![CDATA[gh_10f6c3c3ac5a]]></ToUserName>"
    "<FromUserName><![CDATA[oyORnuP8q7ou2gfYjqLzSIWZf0rs]]></FromUserName>"
    "<CreateTime>1409735668</CreateTime><MsgType><![CDATA[text]]></MsgType>"
    "<Content><![CDATA[abcdteT]]></Content><MsgId>6054768590064713728</MsgId>"
    "<Encrypt><![CDATA[hyzAe4OzmOMbd6TvGdIOO6uBmdJoD0Fk53REIHvxYtJlE2B655HuD0m8KUePWB3+LrPXo87w"
    "zQ1QLvbeUgmBM4x6F8PGHQHFVAFmOD2LdJF9FrXpbUAh0B5GIItb52sn896wVsMSHGuPE328HnRGBcrS7C41IzDWyWN"
    "lZkyyXwon8T332jisa+h6tEDYsVticbSnyU8dKOIbgU6ux5VTjg3yt+WGzjlpKn6NPhRjpA912xMezR4kw6KWwMrCVK"
    "SVCZciVGCgavjIQ6X8tCOp3yZbGpy0VxpAe+77TszTfRd5RJSVO/HTnifJpXgCSUdUue1v6h0EIBYYI1BD1DlD+C0CR"
    "8e6OewpusjZ4uBl9FyJvnhvQl+q5rv1ixrcpCumEPo5MJSgM9ehVsNPfUM669WuMyVWQLCzpu9GhglF2PE=]]>"
    "</Encrypt></xml>"
)


def sign(*parts: str) -> str:
    return hashlib.sha1("".join(sorted(parts)).encode()).hexdigest()


def signed(timestamp: int | str | None = None, nonce: str = "42", **extra: str) -> dict[str, str]:
    ts = str(int(time.time()) if timestamp is None else timestamp)
    return {"signature": sign(TOKEN, ts, nonce), "timestamp": ts, "nonce": nonce, **extra}


def _wrap(user: str, create_time: int | None, kind: str, fields: dict[str, Any]) -> str:
    created = int(time.time()) if create_time is None else create_time
    inner = "".join(
        f"<{k}>{v}</{k}>" if isinstance(v, int) else f"<{k}><![CDATA[{v}]]></{k}>"
        for k, v in fields.items()
    )
    return (
        f"<xml><ToUserName><![CDATA[{ACCOUNT}]]></ToUserName>"
        f"<FromUserName><![CDATA[{user}]]></FromUserName>"
        f"<CreateTime>{created}</CreateTime><MsgType><![CDATA[{kind}]]></MsgType>"
        f"{inner}</xml>"
    )


def text(user: str, content: str, msg_id: int, create_time: int | None = None) -> str:
    return _wrap(user, create_time, "text", {"Content": content, "MsgId": msg_id})


def image(user: str, media_id: str, msg_id: int) -> str:
    fields = {"PicUrl": "http://example.invalid/p.jpg", "MediaId": media_id, "MsgId": msg_id}
    return _wrap(user, None, "image", fields)


def voice(user: str, msg_id: int, recognition: str | None) -> str:
    fields: dict[str, Any] = {"MediaId": "voice-1", "Format": "amr", "MsgId": msg_id}
    if recognition is not None:
        fields["Recognition"] = recognition
    return _wrap(user, None, "voice", fields)


def event(user: str, name: str, key: str | None = None, create_time: int | None = None) -> str:
    fields: dict[str, Any] = {"Event": name}
    if key is not None:
        fields["EventKey"] = key
    return _wrap(user, create_time, "event", fields)


def crypto() -> WeChatCrypto:
    return WeChatCrypto(TOKEN, AES_KEY, APPID)


def encrypted(xml: str, nonce: str = "7") -> tuple[str, dict[str, str]]:
    """Body and query of a safe-mode delivery of `xml`, as WeChat would post it."""
    ts = str(int(time.time()))
    envelope = crypto().encrypt_message(xml, nonce, ts)
    enc = envelope.split("<Encrypt><![CDATA[")[1].split("]]>")[0]
    body = (
        f"<xml><ToUserName><![CDATA[{ACCOUNT}]]></ToUserName>"
        f"<Encrypt><![CDATA[{enc}]]></Encrypt></xml>"
    )
    query = signed(ts, nonce, encrypt_type="aes", msg_signature=sign(TOKEN, ts, nonce, enc))
    return body, query
