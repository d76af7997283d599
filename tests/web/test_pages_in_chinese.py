"""Chinese everywhere a person looks: the console's pages for a case at each stage, as each
role sees them, and the error pages, hold no English words and no internal keys."""

from __future__ import annotations

import re
from html.parser import HTMLParser

import pytest
from aiohttp.test_utils import TestClient, TestServer

from fengqiao import keys
from fengqiao.app import create_app
from fengqiao.documents.viewer import staff_viewer
from tests.conftest import make_settings
from tests.web.docs_helpers import ORGANISATION, make_case, party_token
from tests.web.sessions import staff_session

# Latin letters a Chinese reader meets on purpose: case and document codes (FQ…), file
# formats, units, the names of the apps they use.
ALLOWED = {"FQ", "PDF", "ID", "CSV", "ICS", "PNG", "JPG", "JPEG", "MP4", "WEBM", "KB", "MB", "GB",
           "SMS", "HTTPS", "URL", "SHA",
           # the validators a court may use, named on the verification page
           "ADOBE", "READER", "PYHANKO", "WORD", "EXCEL"}
WORD = re.compile(r"[A-Za-z][A-Za-z_.:]{2,}")


class VisibleText(HTMLParser):
    """The text a reader sees, and the attributes a reader reads (placeholders, titles,
    button values); not scripts, styles, URLs or form values sent back to the server."""

    def __init__(self) -> None:
        super().__init__()
        self.parts: list[str] = []
        self._skip = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in ("script", "style"):
            self._skip += 1
        for name, value in attrs:
            if name in ("placeholder", "title", "alt", "aria-label") and value:
                self.parts.append(value)

    def handle_endtag(self, tag: str) -> None:
        if tag in ("script", "style") and self._skip:
            self._skip -= 1

    def handle_data(self, data: str) -> None:
        if not self._skip:
            self.parts.append(data)


def foreign_words(html: str) -> set[str]:
    parser = VisibleText()
    parser.feed(html)
    text = " ".join(parser.parts)
    text = re.sub(r"https?://\S+", " ", text)
    text = re.sub(r"\bFQ[0-9A-Z-]+\b", " ", text)  # case and document codes
    return {w for w in WORD.findall(text) if w.strip(".:").upper() not in ALLOWED}


@pytest.fixture
async def client(tmp_path):
    app = create_app(make_settings(tmp_path))
    app[keys.RUN_SCHEDULER] = False
    async with TestClient(TestServer(app)) as client:
        yield client


async def test_every_console_page_reads_in_chinese(client):
    app = client.app
    case = await make_case(app)
    mediator = await staff_session(app, "zh-m1", "王调解", role="mediator",
                                   organisation=ORGANISATION)
    await app[keys.CASES].route(case.code, "staff:zh-m1", assignee="zh-m1")
    agreements = app[keys.DOCUMENTS].agreements
    draft = await agreements.draft(case.code, staff_viewer("zh-m1", "王调解"))
    callers = {
        "mediator": mediator,
        "staff": await staff_session(app, "zh-s1", "李窗口", role="staff",
                                     organisation="县综治中心"),
        "leader": await staff_session(app, "zh-l1", "王主任", role="leader"),
        "admin": await staff_session(app, "zh-a1", "管理员", role="admin"),
        "seal_keeper": await staff_session(app, "zh-k1", "孙印章", role="seal_keeper",
                                           phone="13600000019"),
    }
    pages = ["/console/", "/console/cases", f"/console/cases/{case.code}",
             f"/console/agreements/{draft['code']}", "/console/register", "/console/revisits",
             "/console/audit", "/dashboard/", "/console/no-such-page",
             f"/console/cases/{case.code}x"]
    seen = 0
    for role, headers in callers.items():
        for path in pages:
            resp = await client.get(path, headers={"Cookie": headers["Cookie"]},
                                    allow_redirects=False)
            if resp.status in (301, 302, 303):
                continue
            html = await resp.text()
            assert "<html" in html, (role, path, resp.status)
            words = foreign_words(html)
            assert not words, (role, path, resp.status, sorted(words))
            seen += 1
    assert seen >= 40
    anonymous = await client.get("/console/login")
    assert not foreign_words(await anonymous.text())


async def test_every_resident_page_reads_in_chinese(client):
    app = client.app
    case = await make_case(app)
    await app[keys.CASES].route(case.code, "staff:zh-m1")
    agreements = app[keys.DOCUMENTS].agreements
    draft = await agreements.draft(case.code, staff_viewer("zh-m1", "王调解"))
    sign = party_token(app, case, case.applicant, "sign")
    evidence = party_token(app, case, case.applicant, "evidence")
    pages = [f"/h5/progress?code={case.code}", "/h5/progress", "/h5/verify",
             f"/h5/sign/{draft['code']}?t={sign}", f"/h5/evidence/{case.code}?t={evidence}",
             f"/h5/sign/{draft['code']}?t=forged", f"/h5/evidence/{case.code}",
             "/h5/booking/fq1.bad.token", "/h5/no-such-page", "/h5/room/nope?t=bad"]
    for path in pages:
        resp = await client.get(path, allow_redirects=False)
        html = await resp.text()
        words = foreign_words(html)
        assert not words, (path, resp.status, sorted(words))


def test_the_check_itself_finds_keys_and_english():
    assert foreign_words("<p>agreement.drafted 由 staff:zh-m1</p>") == {
        "agreement.drafted", "staff:zh"}
    assert foreign_words("<button>Submit</button>") == {"Submit"}
    assert not foreign_words("<p>案件 FQ2612-KZMJB9-7 <a href='https://x.cn/a'>PDF</a></p>")
    assert not foreign_words("<script>var internal = 'case.route';</script><p>分流</p>")
