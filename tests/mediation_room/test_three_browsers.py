"""Three people, three real browsers (a mediator at a desktop, two parties on 390 px phones,
Chromium's fake camera): after every way of arriving, reloading, reopening the link, losing
the network, a caucus and a removal, each one sees every tile they should, on screen and
playing. A screenshot of each person at each step goes to the artefact directory."""

from __future__ import annotations

import asyncio
import os
from collections.abc import Callable
from pathlib import Path

import pytest
from aiohttp import test_utils

from fengqiao.mediation_room import Role
from fengqiao.mediation_room.memory_store import InMemoryRoomStore

from .browsers import (
    CHROMIUM,
    CHROMIUM_FLAGS,
    DESKTOP,
    PHONE,
    REFUSED_CAMERA,
    SLOW_CAMERA,
    TRACK_SOCKETS,
    Person,
)
from .client import RoomClient
from .conftest import ROOM_ID, registry_of

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(
        not Path(CHROMIUM).exists() and not os.environ.get("CI"), reason="chromium not installed"
    ),
]

EVERYONE = {"med", "pa", "pb"}


def others(who: str) -> set[str]:
    return EVERYONE - {who}


@pytest.fixture
def artefacts(tmp_path: Path) -> Path:
    root = os.environ.get("FENGQIAO_ARTEFACTS")
    path = Path(root) / "room-three-browsers" if root else tmp_path / "artefacts"
    path.mkdir(parents=True, exist_ok=True)
    return path


async def test_everyone_sees_everyone(
    http: test_utils.TestClient,
    store: InMemoryRoomStore,
    make_token: Callable[..., str],
    artefacts: Path,
) -> None:
    from playwright.async_api import async_playwright

    store.names.update({"med": "李调解", "pa": "张三", "pb": "王五"})
    session = registry_of(http)

    def url(role: Role, pid: str) -> str:
        return str(http.make_url(f"/h5/room/{ROOM_ID}")) + "?t=" + make_token(role, pid)

    links = {
        "med": url(Role.MEDIATOR, "med"),
        "pa": url(Role.PARTY_A, "pa"),
        "pb": url(Role.PARTY_B, "pb"),
    }

    async with async_playwright() as pw:
        browser = await pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_FLAGS)
        people: dict[str, Person] = {}
        contexts = {}
        for who, viewport in (("med", DESKTOP), ("pa", PHONE), ("pb", PHONE)):
            context = await browser.new_context(viewport=viewport, locale="zh-CN")
            await context.add_init_script(TRACK_SOCKETS)
            if who == "pb":  # B's camera is slow: offer and roster overtake it
                await context.add_init_script(SLOW_CAMERA)
            contexts[who] = context
            people[who] = Person(who, await context.new_page(), artefacts)
        med, pa, pb = people["med"], people["pa"], people["pb"]

        async def everyone_sees_everyone(step: str) -> None:
            await asyncio.gather(*(p.sees(others(w)) for w, p in people.items()))
            for p in people.values():
                await p.shot(step)
                await p.no_sideways_scroll()

        # 1. Both parties arrive before the mediator and wait, checking their camera.
        for p in (pa, pb):
            await p.page.goto(links[p.name])
            await p.page.get_by_role("button", name="同意并进入").click()
        for p in (pa, pb):
            await p.page.wait_for_selector("#waiting-room:not([hidden])")
            await p.page.wait_for_function(
                "document.getElementById('preview').videoWidth > 0", timeout=20000
            )
            await p.page.wait_for_function("window.roomState.micPeak > 0", timeout=20000)
            assert await p.page.is_hidden("#rec")  # nothing is recorded in the waiting room
            await p.shot("01-waiting-room")
            await p.no_sideways_scroll()
        await med.page.goto(links["med"])
        await med.page.get_by_role("button", name="同意并进入").click()
        await med.wait_state("pa", "waiting")
        await med.wait_state("pb", "waiting")
        assert "张三（申请人）" in await med.text("#roster")  # names, not roles only
        await med.shot("01-waiting-room")

        # 2. Admitted A then B (B's camera still opening when its offer arrives).
        await med.click_action("pa", "admit")
        await pa.sees({"med"})
        await med.click_action("pb", "admit")
        await everyone_sees_everyone("02-admitted-a-then-b")
        for p in people.values():
            assert await p.page.is_visible("#rec")
        # On a phone the chat box comes before the evidence.
        chat_top, evidence_top = await pa.page.evaluate(
            "['chat-box', 'evidence-box'].map(i => document.getElementById(i).offsetTop)"
        )
        assert chat_top < evidence_top
        # On the desktop no video overlaps the side panel.
        overlap = await med.page.evaluate(
            """() => { const side = document.getElementById('side').getBoundingClientRect();
                return Array.from(document.querySelectorAll('#videos .tile'))
                  .filter(t => !t.hidden)
                  .some(t => t.getBoundingClientRect().right > side.left + 1); }"""
        )
        assert not overlap

        # 3. Both sent back to the waiting room, then admitted B first, then A.
        for who in ("pa", "pb"):
            await med.click_action(who, "to_waiting")
            await med.wait_state(who, "waiting")
        await pa.page.wait_for_selector("#waiting-room:not([hidden])")
        await pa.shot("03-sent-back-to-waiting")
        await med.sees(set())
        await med.click_action("pb", "admit")
        await med.click_action("pa", "admit")
        await everyone_sees_everyone("03-admitted-b-then-a")

        # 4. A reloads the page.
        await pa.page.reload()
        await everyone_sees_everyone("04-after-reload-a")

        # 5. B opens the link again in a new page; the old page gives way.
        old = pb.page
        pb.page = await contexts["pb"].new_page()
        await pb.page.goto(links["pb"])
        await old.wait_for_function("window.roomState.messages.includes('replaced')")
        await old.close()
        await everyone_sees_everyone("05-after-reopen-b")

        # 6. The mediator reloads.
        await med.page.reload()
        await everyone_sees_everyone("06-after-reload-mediator")

        # 7. A's network drops and comes back.
        await pa.drop_network()
        await everyone_sees_everyone("07-after-network-drop-a")

        # 8. Caucus with side A: B sees nobody, sees the time passing and can write privately.
        await med.page.click('[data-caucus="a"]')
        await asyncio.gather(med.sees({"pa"}), pa.sees({"med"}), pb.sees(set()))
        await pb.wait_text("#caucus-bar", "已进行")
        first = await pb.text("#caucus-bar")
        await pb.page.wait_for_function(
            "t => document.getElementById('caucus-bar').textContent !== t", arg=first
        )
        await pb.page.fill("#chat-text", "我可以接受分期，但首期要少一些")
        await pb.page.click('#chat-form button[type="submit"]')
        await med.wait_text("#chat p.private", "首期要少一些")
        await med.page.click('#chat p.private button[data-action="reply"]')
        await med.page.fill("#chat-text", "收到，稍后单独和您谈")
        await med.page.click('#chat-form button[type="submit"]')
        await pb.wait_text("#chat p.private", "稍后单独和您谈")
        for p in people.values():
            await p.shot("08-caucus-with-a")
        assert "首期要少一些" not in await pa.text("#chat")
        assert "稍后单独和您谈" not in await pa.text("#chat")
        await med.page.click("#btn-caucus-end")
        await everyone_sees_everyone("08-after-caucus")

        # 9. Removing asks first; a removed party can be let back in.
        await med.click_action("pb", "remove")
        await med.page.click("#confirm-cancel")
        assert await med.state_of("pb") == "admitted"
        await med.click_action("pb", "remove")
        await med.page.click("#confirm-ok")
        await med.wait_state("pb", "removed")
        await pb.wait_text("#status", "移出")
        await asyncio.gather(med.sees({"pa"}), pa.sees({"med"}))
        await pb.shot("09-removed")
        await med.shot("09-removed")
        await med.click_action("pb", "readmit")
        await everyone_sees_everyone("09-readmitted-b")

        # 10. Ending asks first.
        await med.page.click("#btn-end")
        await med.page.click("#confirm-cancel")
        assert ROOM_ID in session.sessions
        await med.page.click("#btn-end")
        await med.page.click("#confirm-ok")
        for p in people.values():
            await p.page.wait_for_function("window.roomState.messages.includes('ended')")
            await p.shot("10-ended")
            assert await p.page.is_hidden("#rec")
        await browser.close()

    async with asyncio.timeout(30):
        while ROOM_ID not in store.recordings:
            await asyncio.sleep(0.1)
    reasons = [e.detail.get("reason") for e in store.events]
    assert "调解员结束了本次调解" in reasons and "ended_by_mediator" not in reasons


async def test_refused_camera_is_explained_for_wechat(
    http: test_utils.TestClient, make_token: Callable[..., str], artefacts: Path
) -> None:
    from playwright.async_api import async_playwright

    url = str(http.make_url(f"/h5/room/{ROOM_ID}")) + "?t=" + make_token(Role.PARTY_A, "pa")
    async with async_playwright() as pw:
        browser = await pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_FLAGS)
        context = await browser.new_context(viewport=PHONE, locale="zh-CN")
        await context.add_init_script(REFUSED_CAMERA)
        party = Person("pa", await context.new_page(), artefacts)
        await party.page.goto(url)
        await party.page.get_by_role("button", name="同意并进入").click()
        await party.page.wait_for_selector("#media-help:not([hidden])")
        help_text = await party.text("#media-help")
        assert "拒绝" in help_text and "微信" in help_text and "设置" in help_text
        assert await party.page.is_visible("#btn-retry-media")
        await party.shot("00-camera-refused")
        await party.no_sideways_scroll()

        # Admitted without a camera, the party still sees (and hears) the mediator.
        mediator = RoomClient(http, ROOM_ID, make_token(Role.MEDIATOR, "med"), 200)
        await mediator.join()
        await mediator.wait_for("notice")
        await mediator.send(type="consent", accepted=True)
        await mediator.wait_for("offer")
        await mediator.send(type="admit", participant="pa")
        await party.sees({"med"})
        assert await party.page.is_visible("#media-help")
        await party.shot("00-camera-refused-in-room")
        await browser.close()
    await mediator.leave()
