"""Property-based fuzzing of the two edges that parse what strangers send: the WeChat XML
callback (correctly signed, so every body reaches the parser) and the JSON API. Whatever
arrives, the answer is a 2xx/4xx, never a 5xx, and the service keeps answering."""

from __future__ import annotations

import hashlib
import json
import time

import pytest
import requests
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.bot import wx
from tests.web.docs_helpers import make_case, party_token, staff_headers

FUZZ = settings(
    max_examples=120,
    deadline=None,
    suppress_health_check=list(HealthCheck),
    derandomize=True,  # the same examples on every run: a failure is reproducible
)
http = requests.Session()

text = st.text(st.characters(codec="utf-8", exclude_categories=("Cs",)), max_size=300)
tag = st.from_regex(r"[A-Za-z_][A-Za-z0-9_]{0,15}", fullmatch=True)
KINDS = ["text", "image", "voice", "video", "event", "link", "location", "TEXT", ""]


def cdata(value: str) -> str:
    return "<![CDATA[" + value.replace("]]>", "]]]]><![CDATA[>") + "]]>"


@st.composite
def wechat_bodies(draw: st.DrawFn) -> bytes:
    """Mostly-plausible WeChat XML with hostile values, or raw junk."""
    if draw(st.integers(0, 9)) == 0:
        return draw(st.binary(max_size=2000))
    fields = {
        "ToUserName": draw(st.one_of(st.just("gh_x"), text)),
        "FromUserName": draw(st.one_of(st.just("o-fuzz"), text)),
        "CreateTime": draw(st.one_of(st.just(str(int(time.time()))), text)),
        "MsgType": draw(st.sampled_from(KINDS)),
        "MsgId": draw(st.one_of(st.integers(0, 2**70).map(str), text)),
    }
    extra = draw(st.dictionaries(tag, text, max_size=6))
    fields.update(extra)
    for name in draw(st.lists(st.sampled_from(sorted(fields)), max_size=2)):
        fields.pop(name, None)
    inner = "".join(
        f"<{k}>{cdata(v) if draw(st.booleans()) else v.replace('<', '&lt;')}</{k}>"
        for k, v in fields.items()
    )
    nested = draw(st.sampled_from(["", "<Content><a><b>x</b></a></Content>", "<xml></xml>"]))
    return f"<xml>{inner}{nested}</xml>".encode("utf-8", "surrogatepass")


def signed() -> dict[str, str]:
    ts, nonce = str(int(time.time())), "7"
    sig = hashlib.sha1("".join(sorted([wx.TOKEN, ts, nonce])).encode()).hexdigest()
    return {"signature": sig, "timestamp": ts, "nonce": nonce}


@pytest.fixture(scope="module")
def base(live) -> str:
    return live.url


@FUZZ
@given(body=wechat_bodies())
def test_signed_junk_at_the_callback_is_never_a_server_error(base, body):
    resp = http.post(base + "/wechat/mp", params=signed(), data=body, timeout=30)
    assert resp.status_code in (200, 400), (resp.status_code, resp.text[:200])
    if resp.status_code == 200:
        assert resp.text == "success" or resp.text.startswith("<xml>")


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | text,
    lambda children: st.lists(children, max_size=4) | st.dictionaries(text, children, max_size=4),
    max_leaves=12,
)


@pytest.fixture(scope="module")
def targets(live) -> list[tuple[str, str, dict[str, str]]]:
    """JSON-taking routes, each with a credential that gets it past the access check."""
    app = live.app
    case = live.run(make_case(app, suffix="fuzz"))
    staff = live.run(staff_headers(app))
    evidence = party_token(app, case, case.applicant, "evidence")
    sign = party_token(app, case, case.applicant, "sign")
    return [
        ("POST", "/api/v1/intake/messages", {}),
        ("POST", "/api/v1/auth/wxa-login", {}),
        ("POST", f"/api/v1/cases/{case.code}/service-consent?t={sign}", {}),
        ("POST", f"/api/v1/evidence/1/comments?t={evidence}", {}),
        ("POST", f"/api/v1/cases/{case.code}/agreement", staff),
        ("PUT", "/api/v1/documents/AG-0000/draft", staff),
        ("POST", "/api/v1/documents/AG-0000/sign?t=" + sign, {}),
        ("POST", "/api/v1/documents/AG-0000/deliver", staff),
    ]


@FUZZ
@given(value=json_values, which=st.integers(0, 7), raw=st.booleans())
def test_any_json_at_the_api_is_never_a_server_error(live, targets, value, which, raw):
    method, path, headers = targets[which]
    data = json.dumps(value) if not raw else json.dumps(value)[:-1]  # also broken JSON
    resp = http.request(
        method,
        live.url + path,
        data=data.encode(),
        headers={**headers, "Content-Type": "application/json"},
        timeout=30,
    )
    assert resp.status_code < 500, (method, path, value, resp.status_code, resp.text[:300])
    assert resp.headers["Content-Type"].startswith("application/json")
