"""Probe 2 findings on the case link: the party's own case page does not share the public
look-up counter (#4); a case link can be revoked (#1)."""

from __future__ import annotations

from aiohttp.test_utils import TestClient, TestServer
from sqlalchemy import select

from fengqiao import keys
from fengqiao.app import create_app
from fengqiao.storage.models import AuditEntry
from tests.conftest import make_settings

from .docs_helpers import make_case, party_token, staff_headers


async def test_the_partys_own_case_is_not_a_public_lookup(tmp_path):
    settings = make_settings(tmp_path, lookups_per_minute_per_ip=3)
    async with TestClient(TestServer(create_app(settings))) as client:
        case = await make_case(client.app)
        link = party_token(client.app, case, case.applicant, "case")
        for n in range(4):  # a neighbour behind the same address spends the look-ups
            await client.get(f"/api/v1/verify/FQ2611-AAAAA{n}-A-0000000{n}")
        assert (await client.get(f"/api/v1/cases/{case.code}/progress")).status == 429
        for _ in range(5):
            resp = await client.get(f"/api/v1/cases/{case.code}/progress?t={link}")
            assert resp.status == 200, await resp.text()
        assert (await client.get(f"/h5/case/{case.code}?t={link}")).status == 200
        # Another case's link buys no look-up of this one.
        other = await make_case(client.app, suffix="b")
        stranger = party_token(client.app, other, other.applicant, "case")
        resp = await client.get(f"/api/v1/cases/{case.code}/progress?t={stranger}")
        assert resp.status == 429


# --- #1: a case link can be revoked -------------------------------------------------------
def _link_of(app, case, party_id, generation=0):
    from fengqiao.cases.case_link import CaseLinks

    url = CaseLinks(app[keys.SETTINGS].secret, "https://fq.example").for_party(
        case_id=case.case_id, case_code=case.code, party_id=party_id, generation=generation)
    return url.split("?t=", 1)[1]


async def test_changing_the_phone_voids_the_partys_old_case_links(tmp_path):
    app = create_app(make_settings(tmp_path))
    app[keys.RUN_SCHEDULER] = False
    async with TestClient(TestServer(app)) as client:
        case = await make_case(app)
        old = party_token(app, case, case.respondent, "case")  # made before generations
        messages = f"/api/v1/cases/{case.code}/messages"
        assert (await client.get(f"{messages}?t={old}")).status == 200
        staff = await staff_headers(app, "m1", "王调解")
        resp = await client.post(
            f"/console/cases/{case.code}/parties/{case.respondent}",
            headers={"Cookie": staff["Cookie"]}, allow_redirects=False,
            data={"csrf": staff["X-CSRF-Token"], "role": "respondent", "name": "刘某",
                  "phone": "13912345678", "id_number": "", "address": "", "agent": ""})
        assert resp.status == 303
        for path in (messages, f"/api/v1/cases/{case.code}/evidence", f"/h5/case/{case.code}"):
            resp = await client.get(f"{path}?t={old}")
            assert resp.status == 401, path
        body = await (await client.get(f"{messages}?t={old}")).json()
        assert body["error"]["code"] == "link_revoked"
        assert "链接已作废，请使用最新链接" in body["error"]["message"]
        resp = await client.post(f"{messages}?t={old}", json={"text": "我还能看到吗"})
        assert resp.status == 401
        # A link made now carries the new generation and works; the applicant's is untouched.
        new = _link_of(app, case, case.respondent,
                       await app[keys.CASES].link_generation(case.respondent))
        assert (await client.get(f"{messages}?t={new}")).status == 200
        mine = party_token(app, case, case.applicant, "case")
        assert (await client.get(f"{messages}?t={mine}")).status == 200


async def test_staff_void_old_links_with_a_button_and_it_is_audited(tmp_path):
    app = create_app(make_settings(tmp_path))
    app[keys.RUN_SCHEDULER] = False
    async with TestClient(TestServer(app)) as client:
        case = await make_case(app)
        old = _link_of(app, case, case.applicant)
        messages = f"/api/v1/cases/{case.code}/messages"
        assert (await client.get(f"{messages}?t={old}")).status == 200
        staff = await staff_headers(app, "m1", "王调解")
        page = await (await client.get(f"/console/cases/{case.code}",
                                       headers={"Cookie": staff["Cookie"]})).text()
        assert "作废旧链接" in page
        resp = await client.post(
            f"/console/cases/{case.code}/parties/{case.applicant}/revoke-links",
            headers={"Cookie": staff["Cookie"]}, allow_redirects=False,
            data={"csrf": staff["X-CSRF-Token"]})
        assert resp.status == 303
        assert (await client.get(f"{messages}?t={old}")).status == 401
        assert (await client.get(f"{messages}?t={_link_of(app, case, case.applicant, 1)}")
                ).status == 200
        async with app[keys.DB].read() as session:
            entry = (await session.scalars(select(AuditEntry).where(
                AuditEntry.action == "party.links_revoked"))).one()
        assert entry.actor == "staff:m1" and entry.detail["party"] == case.applicant
        # Without the form token nothing is revoked.
        resp = await client.post(
            f"/console/cases/{case.code}/parties/{case.applicant}/revoke-links",
            headers={"Cookie": staff["Cookie"]}, allow_redirects=False, data={})
        assert resp.status == 403


async def test_the_phone_moving_to_another_wechat_user_voids_the_holders_links(tmp_path):
    from .docs_helpers import RESPONDENT_PHONE

    app = create_app(make_settings(tmp_path))
    app[keys.RUN_SCHEDULER] = False
    async with TestClient(TestServer(app)):
        case = await make_case(app)
        cases = app[keys.CASES]
        await cases.verify_phone("mp", "o-resp-a", RESPONDENT_PHONE)
        before = await cases.link_generation(case.respondent)
        await cases.verify_phone("mp", "o-resp-a", RESPONDENT_PHONE)  # the same holder again
        assert await cases.link_generation(case.respondent) == before
        await cases.verify_phone("wxa", "o-someone-else", RESPONDENT_PHONE)
        assert await cases.link_generation(case.respondent) == before + 1
        assert await cases.link_generation(case.applicant) == 0


# --- #3: what a party can send through the link is bounded ----------------------------------
async def test_messages_by_link_are_limited_per_party(tmp_path, monkeypatch):
    from fengqiao.web.kit import limits

    monkeypatch.setattr(limits, "PARTY_WRITES_PER_MINUTE", 3)
    app = create_app(make_settings(tmp_path))
    app[keys.RUN_SCHEDULER] = False
    async with TestClient(TestServer(app)) as client:
        case = await make_case(app)
        link = party_token(app, case, case.applicant, "case")
        other = party_token(app, case, case.respondent, "case")
        url = f"/api/v1/cases/{case.code}/messages"
        statuses = [(await client.post(f"{url}?t={link}", json={"text": f"第{n}条"})).status
                    for n in range(5)]
        assert statuses == [200, 200, 200, 429, 429]
        resp = await client.post(f"{url}?t={link}", json={"text": "再来"})
        body = await resp.json()
        assert resp.status == 429 and "秒后再试" in body["error"]["message"]
        assert int(resp.headers["Retry-After"]) > 0
        # The other party's link has its own count.
        assert (await client.post(f"{url}?t={other}", json={"text": "我也说"})).status == 200


async def test_uploads_by_link_are_capped_deduplicated_and_quota_bound(tmp_path, monkeypatch):
    from aiohttp import FormData

    from fengqiao.web.kit import limits

    from .docs_helpers import jpeg_bytes

    app = create_app(make_settings(tmp_path))
    app[keys.RUN_SCHEDULER] = False

    def form(data: bytes, name: str = "工资条.jpg") -> FormData:
        f = FormData()
        f.add_field("file", data, filename=name, content_type="image/jpeg")
        return f

    async with TestClient(TestServer(app)) as client:
        case = await make_case(app)
        link = party_token(app, case, case.applicant, "case")
        evidence = f"/api/v1/cases/{case.code}/evidence?t={link}"
        photo = jpeg_bytes()
        first = await client.post(evidence, data=form(photo))
        again = await client.post(evidence, data=form(photo, "又一次.jpg"))
        assert first.status == again.status == 200
        assert (await first.json())["id"] == (await again.json())["id"]
        listed = await (await client.get(evidence)).json()
        assert len(listed["evidence"]) == 1

        monkeypatch.setattr(limits, "PARTY_EVIDENCE_MAX", 1024)
        monkeypatch.setattr(limits, "PARTY_IMAGE_MAX", 1024)
        big = photo + b"\0" * 2048
        resp = await client.post(evidence, data=form(big))
        assert resp.status == 413 and "MB" in (await resp.json())["error"]["message"]
        image = f"/api/v1/cases/{case.code}/messages/image?t={link}"
        assert (await client.post(image, data=form(big))).status == 413

        monkeypatch.setattr(limits, "PARTY_EVIDENCE_MAX", 30 * 1024 * 1024)
        monkeypatch.setattr(limits, "CASE_UPLOAD_QUOTA", len(photo) + 10)
        resp = await client.post(evidence, data=form(_green_jpeg()))
        body = await resp.json()
        assert resp.status == 413 and body["error"]["code"] == "case_quota"
        assert "上限" in body["error"]["message"]


def _green_jpeg() -> bytes:
    import io

    from PIL import Image

    out = io.BytesIO()
    Image.new("RGB", (640, 480), "green").save(out, "JPEG")
    return out.getvalue()


async def test_a_revoked_link_is_a_public_lookup_again(tmp_path):
    settings = make_settings(tmp_path, lookups_per_minute_per_ip=2)
    async with TestClient(TestServer(create_app(settings))) as client:
        case = await make_case(client.app)
        link = party_token(client.app, case, case.applicant, "case")
        await client.app[keys.CASES].revoke_links(case.code, case.applicant, "staff:m1")
        statuses = [(await client.get(f"/api/v1/cases/{case.code}/progress?t={link}")).status
                    for _ in range(3)]
        assert statuses == [200, 200, 429]
