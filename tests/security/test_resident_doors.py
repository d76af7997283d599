"""Hostile tests of the resident's doors (issues #22 and #19): the resident's own space,
messages, the web-view ticket and its cookie, mini-program sessions, subscribe-message grants.
Each test names the hole it closes, or the door that was tried and held."""

from __future__ import annotations

import dataclasses
import hashlib
import io
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from aiohttp import FormData
from aiohttp.test_utils import TestClient, TestServer
from PIL import Image
from sqlalchemy import select

from fengqiao import keys
from fengqiao.app import create_app
from fengqiao.cases.service import PartyInfo
from fengqiao.dialogs.validators import name_answer, phone_answer
from fengqiao.settings import Settings
from fengqiao.storage.models import CaseMessage, CaseParty
from fengqiao.tokens import issue_token
from tests.bot import wx
from tests.bot.test_identity_channels import SEND, dispatcher, outbox
from tests.cases.helpers import config_with_templates, resident_case
from tests.fakes.wechat_server import FakeWeChat
from tests.web.docs_helpers import staff_headers
from tests.web.test_me_space import (
    H5,
    clerk_completes_the_case,
    file_by_intake,
    login,
    web_view,
)


@pytest.fixture
async def wechat_fake() -> AsyncIterator[FakeWeChat]:
    fake = FakeWeChat(accounts={wx.APPID: wx.MP_SECRET, wx.WXA_APPID: wx.WXA_SECRET})
    await fake.start()
    yield fake
    await fake.close()


def _settings(settings: Settings, fake: FakeWeChat, **more: object) -> Settings:
    return dataclasses.replace(
        settings, wechat_token=wx.TOKEN, wechat_appid=wx.APPID, wechat_secret=wx.MP_SECRET,
        wechat_api_base=fake.base_url, wxa_appid=wx.WXA_APPID, wxa_secret=wx.WXA_SECRET,
        **more,
    )


@pytest.fixture
async def client(settings: Settings, wechat_fake: FakeWeChat) -> AsyncIterator[TestClient]:
    app = create_app(_settings(settings, wechat_fake))
    app[keys.RUN_SCHEDULER] = False
    async with TestClient(TestServer(app, host="127.0.0.1")) as found:
        yield found


@pytest.fixture
async def templated(
    settings: Settings, wechat_fake: FakeWeChat, tmp_path: Path
) -> AsyncIterator[TestClient]:
    """The service with a subscribe-message template per kind of notice."""
    app = create_app(_settings(settings, wechat_fake, config_dir=config_with_templates(tmp_path)))
    app[keys.RUN_SCHEDULER] = False  # the test sends the outbox itself
    async with TestClient(TestServer(app, host="127.0.0.1")) as found:
        yield found


GPS = 0x8825
MAKE = 0x010F


def jpeg_with_gps() -> bytes:
    """A phone photo: where it was taken (GPS) and by which camera, in its EXIF."""
    img = Image.new("RGB", (64, 48), "orange")
    exif = Image.Exif()
    exif[MAKE] = "HostileCam"
    exif[GPS] = {1: "N", 2: (39.0, 54.0, 26.0), 3: "E", 4: (116.0, 23.0, 29.0)}
    out = io.BytesIO()
    img.save(out, "JPEG", exif=exif.tobytes())
    return out.getvalue()


def exif_of(data: bytes) -> dict[int, object]:
    return dict(Image.open(io.BytesIO(data)).getexif())


async def a_filed_case(client: TestClient, fake: FakeWeChat, openid: str) -> tuple[dict, str]:
    me = await login(client, fake, f"js-{openid}", openid)
    code = await file_by_intake(client, me)
    await clerk_completes_the_case(client.app, code)
    return me, code


# --- NUL characters: valid JSON, valid in a form, not storable in PostgreSQL ----------------
async def test_a_nul_character_in_any_body_or_query_is_a_400_not_a_server_error(
    client, wechat_fake
):
    """Was: ``{"text": "a\\u0000b"}`` to the messages API stored on the embedded database and
    was a 500 on PostgreSQL; any text field of any JSON or form body (a reschedule reason, an
    intake answer, a console form) went the same way, and so did ``%00`` in a case code,
    document code or console filter."""
    me, code = await a_filed_case(client, wechat_fake, "wxa-nul-1")
    url = f"/api/v1/cases/{code}/messages"
    sent = [
        (url, {"text": "a\u0000b"}),
        (f"/api/v1/me/cases/{code}/booking/reschedule", {"reason": "出差\u0000"}),
        ("/api/v1/intake/messages", {"text": "x\u0000y"}),
        ("/api/v1/intake/messages", {"key": "when", "value": "\u0000"}),
        ("/api/v1/me/subscriptions", {"answers": {"T\u0000": "accept"}}),
    ]
    for path, body in sent:
        resp = await client.post(path, headers=me, json=body)
        assert resp.status == 400, (path, await resp.text())
        error = (await resp.json())["error"]
        assert error["code"] == "invalid_field"
        # Probe report #18: the message showed the resident "（\u0000）" literally.
        assert "控制字符" in error["message"], error
        assert "\\u0000" not in error["message"] and "\x00" not in error["message"], error
    staff = await staff_headers(client.app)
    # In a path (every case, document and party lookup) or a query: was a 500 on PostgreSQL.
    for headers, path in (
        (staff, "/api/v1/console/cases?q=a%00b"), (staff, "/console/cases?q=%00"),
        (staff, "/console/cases/FQ%00X"), (me, "/api/v1/me/cases/FQ%00X"),
        (me, "/api/v1/cases/FQ%00X/messages"), (me, "/api/v1/documents/D%00X"),
    ):
        resp = await client.get(path, headers=headers, allow_redirects=False)
        assert resp.status == (400 if "?" in path else 404), (path, resp.status)
    resp = await client.post(url, headers=staff, json={"text": "\u0000", "party_id": 1})
    assert resp.status == 400
    async with client.app[keys.DB].read() as session:
        assert (await session.scalars(select(CaseMessage))).all() == []


# --- the web-view's cookie --------------------------------------------------------------------
async def test_the_web_view_cookie_buys_no_ticket_for_another_cookie(client, wechat_fake):
    """Was: the two-hour ``fq_h5`` cookie (with the page's header) asked /api/v1/me/ticket for
    a ticket, spent it for a fresh cookie, and so on for ever: a web-view session that never
    ended, though the cookie may not refresh the mini-program's session."""
    me, code = await a_filed_case(client, wechat_fake, "wxa-chain-1")
    view = await web_view(client, me, f"/h5/evidence/{code}")
    resp = await client.post("/api/v1/me/ticket", headers={**view, **H5})
    assert resp.status == 401
    # The cookie still does what it is for, and the mini-program's session still gets tickets.
    assert (await client.get(f"/api/v1/me/cases/{code}", headers=view)).status == 200
    assert (await client.post("/api/v1/me/ticket", headers=me)).status == 200


async def test_logging_out_ends_the_web_views_cookie_and_its_tickets(client, wechat_fake):
    """Was: after ``/api/v1/auth/logout`` the web-view's cookie went on working for up to two
    hours, and a ticket issued before the logout still bought a new one."""
    me, code = await a_filed_case(client, wechat_fake, "wxa-out-1")
    view = await web_view(client, me, f"/h5/evidence/{code}")
    ticket = (await (await client.post("/api/v1/me/ticket", headers=me)).json())["ticket"]
    assert (await client.get(f"/api/v1/me/cases/{code}", headers=view)).status == 200
    assert (await client.post("/api/v1/auth/logout", headers=me)).status == 200
    assert (await client.get(f"/api/v1/me/cases/{code}", headers=view)).status == 401
    assert (await client.get(f"/h5/evidence/{code}", headers=view)).status == 401
    resp = await client.get(f"/h5/evidence/{code}?ticket={ticket}", allow_redirects=False)
    assert resp.status == 401
    # Signing in again opens the web-view again.
    again = await login(client, wechat_fake, "js-wxa-out-1b", "wxa-out-1")
    view = await web_view(client, again, f"/h5/evidence/{code}")
    assert (await client.get(f"/api/v1/me/cases/{code}", headers=view)).status == 200


async def test_tickets_cookies_and_links_held_where_they_should(client, wechat_fake):
    """Tried and held: a ticket replayed or used as a session, a ticket on another path, the
    cookie on the console or without the page's header, a party link of another purpose in the
    resident's space, another resident's case, message and image."""
    me, code = await a_filed_case(client, wechat_fake, "wxa-held-a")
    other, _ = await a_filed_case(client, wechat_fake, "wxa-held-b")
    ticket = (await (await client.post("/api/v1/me/ticket", headers=me)).json())["ticket"]
    bearer = {"Authorization": f"Bearer {ticket}"}
    assert (await client.post("/api/v1/auth/refresh", headers=bearer, json={})).status == 401
    assert (await client.get("/api/v1/me", headers=bearer)).status == 401
    # Only /h5/ pages spend a ticket; it stays unspent elsewhere and works once there.
    resp = await client.get(f"/api/v1/me/cases/{code}?ticket={ticket}", allow_redirects=False)
    assert resp.status == 401
    resp = await client.get(f"/h5/evidence/{code}?ticket={ticket}", allow_redirects=False)
    assert resp.status == 303
    client.session.cookie_jar.clear()
    resp = await client.get(f"/h5/evidence/{code}?ticket={ticket}", allow_redirects=False)
    assert resp.status == 401
    view = await web_view(client, me, f"/h5/evidence/{code}")
    url = f"/api/v1/cases/{code}/messages"
    assert (await client.post(url, headers=view, json={"text": "hi"})).status == 403
    assert (await client.post(url, headers={**view, **H5}, json={"text": "hi"})).status == 200
    resp = await client.get("/console/cases", headers=view, allow_redirects=False)
    assert resp.status == 303
    resp = await client.post("/api/v1/auth/logout", headers={**view, **H5})
    assert resp.status == 401
    # A party's link of another purpose is no resident, even for that very case.
    async with client.app[keys.DB].read() as session:
        msg = (await session.scalars(select(CaseMessage))).one()
    token = issue_token(client.app[keys.SETTINGS].secret, purpose="case",
                        case_id=msg.case_id, party_id=msg.party_id)
    link = {"X-Access-Token": token}
    for path in (f"/api/v1/me/cases/{code}", f"/api/v1/me/cases/{code}/room", "/api/v1/me"):
        assert (await client.get(path, headers=link)).status == 403, path
    booking = await client.get(f"/api/v1/me/cases/{code}/booking", headers=link)
    assert booking.status == 403
    # Another resident: not their case, message or image.
    assert (await client.get(f"/api/v1/me/cases/{code}", headers=other)).status == 403
    assert (await client.get(f"{url}/{msg.id}/image", headers=other)).status == 403
    assert (await client.get(f"{url}/-1/image", headers=me)).status == 404
    assert (await client.get(f"{url}/{10**30}/image", headers=me)).status == 404


# --- message images ---------------------------------------------------------------------------
async def test_a_message_image_reaches_a_party_without_its_gps_position(client, wechat_fake):
    """Was: a message's image was served as uploaded, EXIF and all, though the route said
    "metadata stripped": a mediator's photo told the party where it was taken."""
    me, code = await a_filed_case(client, wechat_fake, "wxa-gps-1")
    url = f"/api/v1/cases/{code}/messages"
    staff = await staff_headers(client.app)
    applicant = (await (await client.get(url, headers=staff)).json())["parties"][0]["id"]
    original = jpeg_with_gps()
    assert GPS in exif_of(original) and exif_of(original)[MAKE] == "HostileCam"
    sent = {}
    for who, headers, extra in (("staff", staff, str(applicant)), ("party", me, None)):
        form = FormData()
        form.add_field("file", original, filename="现场.jpg", content_type="image/jpeg")
        if extra:
            form.add_field("party_id", extra)
        resp = await client.post(url + "/image", headers=headers, data=form)
        assert resp.status == 200, await resp.text()
        sent[who] = (await resp.json())["image_url"]
    for who in sent:
        got = await (await client.get(sent[who], headers=me)).read()
        assert GPS not in exif_of(got) and MAKE not in exif_of(got), who
        # Staff keep the original (as with evidence), checked by its SHA-256.
        kept = await (await client.get(sent[who], headers=staff)).read()
        assert hashlib.sha256(kept).digest() == hashlib.sha256(original).digest()


async def test_hostile_message_images_are_refused(client, wechat_fake):
    """Tried and held: an SVG with a script, a GIF/JavaScript polyglot, a PNG of 30000 x 30000
    pixels in 100 KB (a decompression bomb)."""
    me, code = await a_filed_case(client, wechat_fake, "wxa-bomb-1")
    bomb = io.BytesIO()
    Image.new("1", (30000, 30000)).save(bomb, "PNG", optimize=True)
    hostile = {
        "a.svg": b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>',
        "a.gif": b"GIF89a/*\x00\x00\x00\x00*/=alert(1);",
        "a.png": bomb.getvalue(),
    }
    for name, data in hostile.items():
        form = FormData()
        form.add_field("file", data, filename=name, content_type="image/png")
        resp = await client.post(f"/api/v1/cases/{code}/messages/image", headers=me, data=form)
        assert resp.status == 415, (name, await resp.text())


# --- subscribe-message grants -----------------------------------------------------------------
async def test_a_replayed_grant_does_not_swallow_every_later_notice(templated, wechat_fake):
    """Was: the client reports one "accept" twice (a retry, or on purpose); the second notice
    meets WeChat's 43101 (no subscription), the grant was given back and the notice marked
    failed for good, so that grant was taken again by every later notice of the kind, each
    lost the same way, never going by another channel."""
    client, app = templated, templated.app
    me = await login(client, wechat_fake, "js-grant", "wxa-grant")
    template = "TPL-WXA-progress"
    for _ in range(2):
        resp = await client.post("/api/v1/me/subscriptions", headers=me,
                                 json={"answers": {template: "accept"}})
        assert resp.status == 200
    cases = app[keys.CASES]
    filed = await cases.file_case(
        resident_case(31, applicant=PartyInfo(name="李四", openid="wxa-grant", channel="wxa"))
    )
    wechat_fake.fail(SEND, 43101, times=5)  # WeChat holds no subscription of this resident
    await cases.route(filed.code, "staff:li")
    await dispatcher(app).run_once()
    await dispatcher(app).run_once()
    offer = await (await client.get("/api/v1/me/subscriptions", headers=me)).json()
    assert {s["kind"]: s["left"] for s in offer["subscriptions"]}["progress"] == 0
    [notice] = await outbox(app)
    # Tried once by subscribe message, then the other ways: none here, and it says why.
    assert len(wechat_fake.received(SEND, ok_only=False)) == 1
    assert notice.status == "undeliverable", (notice.status, notice.last_error)


# --- digits of other scripts ------------------------------------------------------------------
@pytest.mark.parametrize(
    "typed",
    ["13٩١٢٣٤٥٦٧٨", "١٣٩١٢٣٤٥٦٧٨", "１３９１２３４５６７８", "13९१२३४५६७८", "电话 139-١٢٣٤-5678"],
)
def test_a_phone_in_another_scripts_digits_is_kept_as_ascii_digits(typed):
    """Was: ``\\d`` took Arabic-Indic or Devanagari digits, which NFKC keeps, so a phone
    answer (in the chat or as the intake API's structured value) was stored as
    "13٩١٢٣٤٥٦٧٨": no SMS gateway dials it, and no check for a mainland number sees it."""
    assert phone_answer(typed) == "13912345678"
    assert name_answer(f"张三 {typed}") == ("张三", "13912345678")


def forged_heic_with_gps() -> bytes:
    """An iPhone-style HEIC's opening (ftyp heic) with an EXIF block holding a GPS position,
    but no picture: enough for the upload's sniffing, not for a decoder."""
    exif = Image.Exif()
    exif[MAKE] = "HostileCam"
    exif[GPS] = {1: "N", 2: (39.0, 54.0, 26.0)}
    blob = b"Exif\x00\x00" + exif.tobytes()
    ftyp = b"\x00\x00\x00\x18ftypheic\x00\x00\x00\x00mif1heic"
    return ftyp + len(blob).to_bytes(4, "big") + b"mdat" + blob


def heic_with_gps() -> bytes:
    """A real HEIC photo (encoded by libheif) whose EXIF names the camera and the place."""
    exif = Image.Exif()
    exif[MAKE] = "HostileCam"
    exif[GPS] = {1: "N", 2: (39.0, 54.0, 26.0)}
    out = io.BytesIO()
    Image.new("RGB", (64, 48), (200, 30, 30)).save(out, "HEIF", exif=exif.tobytes())
    assert b"HostileCam" in out.getvalue()
    return out.getvalue()


async def test_a_heic_message_image_reaches_the_party_as_a_jpeg_without_its_gps(
    client, wechat_fake
):
    """Was: a HEIC was taken as a message image and served as uploaded (there was no HEIF
    codec to strip it with): its EXIF GPS reached the party. Then HEIC was refused; now it is
    decoded and the party gets a JPEG without metadata."""
    me, code = await a_filed_case(client, wechat_fake, "wxa-heic-1")
    staff = await staff_headers(client.app)
    url = f"/api/v1/cases/{code}/messages"
    applicant = (await (await client.get(url, headers=staff)).json())["parties"][0]["id"]
    form = FormData()
    form.add_field("file", heic_with_gps(), filename="IMG_0001.HEIC", content_type="image/heic")
    form.add_field("party_id", str(applicant))
    resp = await client.post(url + "/image", headers=staff, data=form)
    assert resp.status == 200, await resp.text()
    image_url = (await resp.json())["image_url"]
    got = await client.get(image_url, headers=me)
    assert got.status == 200 and got.content_type == "image/jpeg"
    body = await got.read()
    assert b"HostileCam" not in body
    with Image.open(io.BytesIO(body)) as img:
        assert img.size == (64, 48) and dict(img.getexif()) == {}


async def test_a_heic_that_cannot_be_decoded_is_refused(client, wechat_fake):
    """A file that says HEIC but holds no picture: its metadata could not be removed for the
    other side, so it is not taken, as evidence or as a message image."""
    me, code = await a_filed_case(client, wechat_fake, "wxa-heic-3")
    upload = FormData()
    upload.add_field("file", forged_heic_with_gps(), filename="IMG_0003.HEIC",
                     content_type="image/heic")
    resp = await client.post(f"/api/v1/cases/{code}/evidence", headers=me, data=upload)
    assert resp.status == 415 and (await resp.json())["error"]["code"] == "damaged_image"


async def test_the_other_party_gets_heic_evidence_as_a_jpeg_without_its_gps(
    client, wechat_fake
):
    me, code = await a_filed_case(client, wechat_fake, "wxa-heic-2")
    async with client.app[keys.DB].read() as session:
        parties = (await session.scalars(select(CaseParty).order_by(CaseParty.id))).all()
    secret = client.app[keys.SETTINGS].secret
    original = heic_with_gps()
    upload = FormData()
    upload.add_field("file", original, filename="IMG_0002.HEIC", content_type="image/heic")
    resp = await client.post(f"/api/v1/cases/{code}/evidence", headers=me, data=upload)
    assert resp.status == 200, await resp.text()
    evidence = (await resp.json())["id"]
    other = issue_token(secret, purpose="evidence", case_id=parties[1].case_id,
                        party_id=parties[1].id)
    got = await client.get(f"/api/v1/evidence/{evidence}/file",
                           headers={"X-Access-Token": other})
    assert got.status == 200 and got.content_type == "image/jpeg"
    assert "IMG_0002.jpg" in got.headers["Content-Disposition"]
    assert b"HostileCam" not in await got.read()
    # The uploader keeps the original, whose SHA-256 is what proves it unaltered.
    mine = await client.get(f"/api/v1/evidence/{evidence}/file", headers=me)
    assert await mine.read() == original
