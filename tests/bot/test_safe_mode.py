"""Safe mode (EncodingAESKey set): plain messages are refused, and a ciphertext that does not
decrypt to a message for this account is a 400 even when its msg_signature is right."""

from __future__ import annotations

import base64
import random
import struct
import time

import pytest
import xmltodict
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
from hypothesis import given, settings
from hypothesis import strategies as st

from fengqiao import keys
from fengqiao.bot.inbound import Rejected, decrypt
from fengqiao.bot.limits import BotConfig
from tests.bot import wx

KEY = base64.b64decode(wx.AES_KEY + "=")


def seal(plain: bytes) -> str:
    """`plain` encrypted as WeChat does (AES-256-CBC, IV = the key's first 16 bytes), with no
    padding added: the caller lays out every byte, right or wrong."""
    encryptor = Cipher(algorithms.AES(KEY), modes.CBC(KEY[:16])).encryptor()
    return base64.b64encode(encryptor.update(plain) + encryptor.finalize()).decode()


def layout(xml: bytes, appid: bytes, length: int | None = None) -> bytes:
    """WeChat's plaintext: 16 random bytes, the XML's length, the XML, the appid, padding."""
    body = b"r" * 16 + struct.pack(">I", len(xml) if length is None else length) + xml + appid
    pad = 32 - len(body) % 32
    return body + bytes([pad]) * pad


def signed_post(encrypted: str, nonce: str = "5") -> tuple[dict[str, str], str]:
    ts = str(int(time.time()))
    params = wx.signed(
        ts, nonce, encrypt_type="aes", msg_signature=wx.sign(wx.TOKEN, ts, nonce, encrypted)
    )
    body = (
        f"<xml><ToUserName>{wx.ACCOUNT}</ToUserName>"
        f"<Encrypt><![CDATA[{encrypted}]]></Encrypt></xml>"
    )
    return params, body


def test_tencent_sample_vector_decrypts_to_its_message():
    encrypted = xmltodict.parse(wx.SAMPLE_BODY)["xml"]["Encrypt"]
    xml = decrypt(wx.AES_KEY, wx.APPID, encrypted)
    message = xmltodict.parse(xml)["xml"]
    assert message["FromUserName"] == wx.SAMPLE_USER
    assert message["Content"] == "abcdteT"
    assert message["MsgId"] == "6054768590064713728"


def test_what_wechatpy_encrypts_decrypts_back():
    body, _ = wx.encrypted(wx.text("o-1", "你好", 1))
    xml = decrypt(wx.AES_KEY, wx.APPID, xmltodict.parse(body)["xml"]["Encrypt"])
    assert xmltodict.parse(xml)["xml"]["Content"] == "你好"


GOOD_XML = wx.text("o-1", "你好", 1).encode()
BROKEN = {
    "not base64": "这不是base64",
    "base64 with junk": "QUJD!!RA==",
    "empty": "",
    "part of a block": base64.b64encode(b"x" * 20).decode(),
    "bad padding byte": seal(layout(GOOD_XML, wx.APPID.encode())[:-1] + b"\x00"),
    "padding over 32": seal(layout(GOOD_XML, wx.APPID.encode())[:-1] + b"\x21"),
    "uneven padding": seal(b"r" * 16 + b"\x00\x00\x00\x01x" + b"\x01" * 9 + b"\x02\x05"),
    "shorter than a length": seal(b"r" * 16 + b"\x10" * 16),
    "length past the end": seal(layout(GOOD_XML, wx.APPID.encode(), length=10_000)),
    "another appid": seal(layout(GOOD_XML, b"wx0000000000000000")),
    "no appid": seal(layout(GOOD_XML, b"")),
}


@pytest.mark.parametrize("name", list(BROKEN))
def test_each_broken_layout_is_refused_with_400(name):
    with pytest.raises(Rejected) as refused:
        decrypt(wx.AES_KEY, wx.APPID, BROKEN[name])
    assert refused.value.status == 400


def test_random_ciphertexts_are_refused_with_400():
    # Random blocks used to raise struct.error, IndexError or UnicodeDecodeError inside
    # wechatpy: a 500 to whoever signs them.
    rng = random.Random(18)
    for size in (16, 32, 48, 64, 96, 128, 160, 512) * 50:
        with pytest.raises(Rejected) as refused:
            decrypt(wx.AES_KEY, wx.APPID, base64.b64encode(rng.randbytes(size)).decode())
        assert refused.value.status == 400


@settings(max_examples=300, derandomize=True, deadline=None)
@given(
    st.one_of(
        st.binary(max_size=600).map(lambda b: base64.b64encode(b).decode()),
        st.builds(
            lambda xml, appid, length: seal(layout(xml, appid, length)),
            st.binary(max_size=60),
            st.sampled_from([wx.APPID.encode(), b"", b"wx0000000000000000"]),
            st.one_of(st.none(), st.integers(0, 2**32 - 1)),
        ),
        st.text(max_size=80),
    )
)
def test_decrypt_either_gives_bytes_or_refuses_with_400(encrypted):
    try:
        assert isinstance(decrypt(wx.AES_KEY, wx.APPID, encrypted), bytes)
    except Rejected as refused:
        assert refused.status == 400


@pytest.mark.parametrize("name", ["length past the end", "another appid", "shorter than a length"])
async def test_undecryptable_ciphertext_with_a_valid_signature_is_400(bot_client, intake, name):
    client = await bot_client(**wx.SAFE)
    params, body = signed_post(BROKEN[name])
    resp = await client.post("/wechat/mp", params=params, data=body)
    assert resp.status == 400
    assert intake.calls == []
    assert client.server.app[keys.KV].written == []


async def test_random_signed_ciphertexts_are_400_not_500(bot_client, intake):
    client = await bot_client(**wx.SAFE)
    rng = random.Random(5)
    for i, size in enumerate((16, 32, 48, 64, 160) * 4):
        params, body = signed_post(base64.b64encode(rng.randbytes(size)).decode(), str(i))
        resp = await client.post("/wechat/mp", params=params, data=body)
        assert resp.status == 400, size
    assert intake.calls == []


async def test_plain_message_is_refused_in_safe_mode(bot_client, intake):
    client = await bot_client(**wx.SAFE)
    # Rightly signed with the token, but not encrypted: refused, nothing parsed or stored.
    resp = await client.post("/wechat/mp", params=wx.signed(), data=wx.text("o-p", "你好", 1))
    assert resp.status == 403
    # A body with an Encrypt element but a query without encrypt_type=aes is plain mode too.
    body, params = wx.encrypted(wx.text("o-p", "你好", 2))
    del params["encrypt_type"]
    resp = await client.post("/wechat/mp", params=params, data=body)
    assert resp.status == 403
    assert intake.calls == []
    assert client.server.app[keys.KV].written == []
    # The same account still takes the encrypted message.
    body, params = wx.encrypted(wx.text("o-p", "你好", 3))
    resp = await client.post("/wechat/mp", params=params, data=body)
    assert resp.status == 200 and intake.calls == [("text", "mp", "o-p", "你好")]


async def test_plain_mode_account_takes_plain_messages(bot_client, intake):
    client = await bot_client()  # no EncodingAESKey: plain mode
    resp = await client.post("/wechat/mp", params=wx.signed(), data=wx.text("o-p", "你好", 1))
    assert resp.status == 200 and intake.calls == [("text", "mp", "o-p", "你好")]


async def test_url_check_works_in_safe_mode(bot_client):
    # WeChat checks the server URL the same way in every mode: plain signature, echostr back.
    client = await bot_client(**wx.SAFE)
    resp = await client.get("/wechat/mp", params=wx.signed(echostr="echo-7"))
    assert resp.status == 200 and await resp.text() == "echo-7"


async def test_success_and_encrypted_reply_shapes_in_safe_mode(bot_client, intake):
    now = float(wx.SAMPLE_TIMESTAMP)
    client = await bot_client(BotConfig(clock=lambda: now), **wx.SAFE)
    params = {
        "timestamp": wx.SAMPLE_TIMESTAMP,
        "nonce": wx.SAMPLE_NONCE,
        "msg_signature": wx.SAMPLE_MSG_SIGNATURE,
        "encrypt_type": "aes",
    }
    resp = await client.post("/wechat/mp", params=params, data=wx.SAMPLE_BODY)
    envelope = xmltodict.parse(await resp.text())["xml"]
    assert set(envelope) == {"Encrypt", "MsgSignature", "TimeStamp", "Nonce"}
    assert resp.content_type == "text/xml"
    # A repeat of the sample (WeChat's retry) gets the same reply, the dialog runs once.
    again = await client.post("/wechat/mp", params=params, data=wx.SAMPLE_BODY)
    assert again.status == 200 and len(intake.calls) == 1
