"""Drive the room page in real Chromium and check what a person sees on it: which remote
tiles are on screen (rendered size, not hidden) and whether their video is playing."""

from __future__ import annotations

import asyncio
import os
from pathlib import Path
from typing import Any

CHROMIUM = os.environ.get("FENGQIAO_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_FLAGS = [
    "--use-fake-device-for-media-stream",
    "--use-fake-ui-for-media-stream",
    "--no-sandbox",
    "--disable-background-networking",
    "--disable-dev-shm-usage",
]
PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1366, "height": 800}

# Keeps every WebSocket the page opens, so a test can cut them as a dropped network would.
TRACK_SOCKETS = """
(() => {
  const Native = window.WebSocket;
  window.__sockets = [];
  window.WebSocket = function (url, protocols) {
    const s = protocols ? new Native(url, protocols) : new Native(url);
    window.__sockets.push(s);
    return s;
  };
  window.WebSocket.prototype = Native.prototype;
  Object.assign(window.WebSocket, { CONNECTING: 0, OPEN: 1, CLOSING: 2, CLOSED: 3 });
})();
"""
# A slow camera: the offer and the roster arrive while the page still waits for it.
SLOW_CAMERA = """
(() => {
  const md = navigator.mediaDevices, native = md.getUserMedia.bind(md);
  md.getUserMedia = (c) => new Promise((r) => setTimeout(r, 2500)).then(() => native(c));
})();
"""

# The ids of remote participants whose tile is on screen with a decoded picture.
VISIBLE_TILES = """
() => Array.from(document.querySelectorAll('#videos .tile.remote')).filter((t) => {
  if (t.hidden || t.offsetParent === null) return false;
  const box = t.getBoundingClientRect(), style = getComputedStyle(t);
  const v = t.querySelector('video');
  return box.width >= 60 && box.height >= 60 && style.visibility === 'visible'
    && v.videoWidth > 0 && !v.paused;
}).map((t) => t.dataset.participant)
"""
PLAYHEADS = """
() => Object.fromEntries(Array.from(document.querySelectorAll('#videos .tile.remote'))
  .filter((t) => !t.hidden)
  .map((t) => [t.dataset.participant, t.querySelector('video').currentTime]))
"""


class Person:
    """One participant's browser page."""

    def __init__(self, name: str, page: Any, artefacts: Path) -> None:
        self.name = name
        self.page = page
        self.artefacts = artefacts

    async def visible_tiles(self) -> set[str]:
        return set(await self.page.evaluate(VISIBLE_TILES))

    async def sees(self, expected: set[str], timeout: float = 20) -> None:
        """Waits until exactly ``expected`` remote tiles are on screen, then checks that each
        one's video is playing: its currentTime moves on."""
        seen: set[str] = set()
        try:
            async with asyncio.timeout(timeout):
                while (seen := await self.visible_tiles()) != expected:
                    await asyncio.sleep(0.2)
        except TimeoutError:
            await self.shot("FAILED")
            raise AssertionError(f"{self.name} sees {seen or 'nobody'}, not {expected}") from None
        before = await self.page.evaluate(PLAYHEADS)
        async with asyncio.timeout(10):
            while True:
                await asyncio.sleep(0.5)
                now = await self.page.evaluate(PLAYHEADS)
                if all(now.get(pid, 0) > before.get(pid, 0) for pid in expected):
                    break

    async def shot(self, step: str) -> None:
        path = self.artefacts / f"{step}-{self.name}.png"
        await self.page.screenshot(path=str(path), full_page=True)

    async def no_sideways_scroll(self) -> None:
        widths = await self.page.evaluate(
            "[document.documentElement.scrollWidth, document.documentElement.clientWidth]"
        )
        assert widths[0] <= widths[1], f"{self.name}: page is {widths[0]} px wide in {widths[1]}"

    async def text(self, selector: str) -> str:
        return str(await self.page.locator(selector).inner_text())

    async def wait_text(self, selector: str, text: str, timeout: float = 15) -> None:
        await self.page.locator(selector, has_text=text).first.wait_for(timeout=timeout * 1000)

    async def click_action(self, who: str, action: str) -> None:
        row = f'#roster li[data-participant="{who}"]'
        await self.page.click(f'{row} button[data-action="{action}"]')

    async def state_of(self, who: str) -> str:
        return str(
            await self.page.get_attribute(f'#roster li[data-participant="{who}"]', "data-state")
        )

    async def wait_state(self, who: str, state: str) -> None:
        await self.page.wait_for_selector(
            f'#roster li[data-participant="{who}"][data-state="{state}"]', timeout=20000
        )

    async def drop_network(self) -> None:
        await self.page.evaluate("window.__sockets.forEach((s) => s.close())")


# The person refuses the camera and microphone prompt.
REFUSED_CAMERA = """
(() => {
  navigator.mediaDevices.getUserMedia = () =>
    Promise.reject(new DOMException('Permission denied', 'NotAllowedError'));
})();
"""
