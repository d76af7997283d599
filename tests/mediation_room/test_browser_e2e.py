"""A real browser (Debian's headless Chromium) meets two aiortc participants in a room."""

from __future__ import annotations

import asyncio
import os
from collections.abc import Callable
from pathlib import Path

import av
import pytest
from aiohttp import test_utils

from fengqiao.mediation_room import Role
from fengqiao.mediation_room.memory_store import InMemoryRoomStore

from .client import RoomClient
from .conftest import ROOM_ID, registry_of

CHROMIUM = os.environ.get("FENGQIAO_CHROMIUM", "/usr/bin/chromium")
# Skips on a developer machine without Chromium; in CI it runs and fails if Chromium is missing.
pytestmark = pytest.mark.skipif(
    not Path(CHROMIUM).exists() and not os.environ.get("CI"), reason="chromium not installed"
)

CHROMIUM_FLAGS = [
    "--use-fake-device-for-media-stream",
    "--use-fake-ui-for-media-stream",
    "--no-sandbox",
    "--disable-background-networking",
    "--disable-dev-shm-usage",
    "--autoplay-policy=no-user-gesture-required",
]
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


async def until(check: Callable[[], object], timeout: float = 30) -> None:
    async def poll() -> None:
        while not check():
            await asyncio.sleep(0.1)

    await asyncio.wait_for(poll(), timeout)


async def test_browser_party_with_aiortc_mediator_and_party(
    http: test_utils.TestClient,
    store: InMemoryRoomStore,
    make_token: Callable[..., str],
    tmp_path: Path,
) -> None:
    from playwright.async_api import async_playwright

    m = RoomClient(http, ROOM_ID, make_token(Role.MEDIATOR, "med"), 200)
    b = RoomClient(http, ROOM_ID, make_token(Role.PARTY_B, "pb"), 130)
    for client in (m, b):
        await client.join()
        await client.wait_for("notice")
        await client.send(type="consent", accepted=True)
    await m.wait_for("offer")
    await m.send(type="admit", participant="pb")
    await b.wait_for("offer")

    session = registry_of(http).sessions[ROOM_ID]
    url = str(http.make_url(f"/h5/room/{ROOM_ID}")) + "?t=" + make_token(Role.PARTY_A, "pa")
    async with async_playwright() as pw:
        browser = await pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_FLAGS)
        page = await browser.new_page(viewport={"width": 390, "height": 844})
        await page.goto(url)
        await page.get_by_role("button", name="同意并进入").click()
        await page.wait_for_function("window.roomState.messages.includes('waiting')")
        await until(
            lambda: (
                session.participants.get("pa") is not None
                and session.participants["pa"].state == "waiting"
            )
        )
        await m.send(type="admit", participant="pa")

        # The browser's camera reaches the aiortc peers, and theirs reach the browser.
        await page.wait_for_function("window.roomState.connected", timeout=30000)
        await page.wait_for_function("window.roomState.slotsPlaying >= 2", timeout=30000)
        await until(lambda: len(m.frames) >= 2 and len(b.frames) >= 2)
        playing = await page.eval_on_selector_all(
            "#videos .tile:not(.self) video", "vs => vs.filter(v => v.videoWidth > 0).length"
        )
        assert playing == 2
        assert await page.is_visible("#rec")

        # Caucus with side B: the browser (side A) is told and its tiles are hidden.
        await m.send(type="caucus", side="b")
        await page.wait_for_function(
            "document.getElementById('caucus-bar').textContent.includes('单独沟通')"
        )
        visible = await page.eval_on_selector_all(
            "#videos .tile:not(.self)", "ts => ts.filter(t => !t.hidden).length"
        )
        assert visible == 0
        await m.send(type="caucus", side=None)

        # The browser shows evidence; the aiortc party sees it and comments.
        photo = tmp_path / "现场照片.png"
        photo.write_bytes(PNG)
        await page.set_input_files("#evidence-file", str(photo))
        await page.click("#evidence-form button")
        shown = await b.wait_for("evidence")
        assert shown["filename"] == "现场照片.png"
        await b.send(type="comment", evidence_id=shown["id"], text="有异议")
        await page.wait_for_selector("#chat >> text=有异议")
        await page.fill("#chat-text", "我同意调解方案")
        await page.click('#chat-form button[type="submit"]')
        assert (await m.wait_for("chat"))["text"] == "我同意调解方案"

        await asyncio.sleep(2)  # a little more recording
        await m.send(type="end")
        await page.wait_for_function("window.roomState.messages.includes('ended')")
        await browser.close()
    for client in (m, b):
        await client.leave()
    await until(lambda: ROOM_ID in store.recordings)

    manifest, files = store.recordings[ROOM_ID]
    entry = next(f for f in manifest["files"] if f["participant_id"] == "pa")
    path = next(f.path for f in files if f.path.name == entry["file"])
    with av.open(str(path)) as container:
        assert sorted(s.type for s in container.streams) == ["audio", "video"]
        video = container.streams.video[0]
        assert video.codec_context.name == "vp8"
        times = [float(f.time) for f in container.decode(video=0)]
    assert len(times) > 20
    assert max(times) - min(times) > 2.0
    assert entry["sha256"] == next(f.sha256 for f in files if f.path == path)
