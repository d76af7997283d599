"""The mediator's controls forgive a slip, the caucus leaves no one silent, the roster says who
is shown where, and the recordings can be told apart and played from any point."""

from __future__ import annotations

import asyncio
from collections.abc import Callable

import av
from aiohttp import test_utils

from fengqiao.mediation_room import Role, texts
from fengqiao.mediation_room.memory_store import InMemoryRoomStore

from .client import RoomClient
from .conftest import ROOM_ID

MEDIATOR, PARTY_A, PARTY_B = 200, 60, 130


def states(client: RoomClient) -> dict[str, str]:
    return {p["id"]: p["state"] for p in client.roster["participants"]}


def slots(client: RoomClient) -> dict[str, int]:
    """Who the client's page shows, and in which slot, by its latest roster."""
    return {p["id"]: p["slot"] for p in client.roster["participants"] if p["slot"] is not None}


async def eventually(check: Callable[[], object], timeout: float = 20) -> None:
    async with asyncio.timeout(timeout):
        while not check():
            await asyncio.sleep(0.05)


async def test_controls_caucus_and_recordings(
    http: test_utils.TestClient, store: InMemoryRoomStore, make_token: Callable[..., str]
) -> None:
    store.names.update({"med": "李调解", "pa": "张三", "pb": "王五"})
    m = RoomClient(http, ROOM_ID, make_token(Role.MEDIATOR, "med"), MEDIATOR)
    a = RoomClient(http, ROOM_ID, make_token(Role.PARTY_A, "pa"), PARTY_A)
    b = RoomClient(http, ROOM_ID, make_token(Role.PARTY_B, "pb"), PARTY_B)
    for c in (m, a, b):
        await c.join()
        await c.wait_for("notice")
        await c.send(type="consent", accepted=True)
    await m.wait_for("offer")
    for pid in ("pa", "pb"):
        await m.send(type="admit", participant=pid)
    await a.wait_seeing({MEDIATOR, PARTY_B})
    await b.wait_seeing({MEDIATOR, PARTY_A})

    # The roster, per viewer, says which of its slots shows whom, and names people.
    await eventually(lambda: set(slots(m)) == {"pa", "pb"})
    assert set(slots(a)) == {"med", "pb"} and "pa" not in slots(a)
    labels = {p["id"]: p["label"] for p in m.roster["participants"]}
    assert labels == {"med": "李调解（调解员）", "pa": "张三（申请人）", "pb": "王五（被申请人）"}
    assert m.roster["recording"] is True
    versions = [m.roster["version"]]

    # Removing keeps B connected and can be undone; B's reload does not let B back in alone.
    await m.send(type="remove", participant="pb")
    assert "移出" in (await b.wait_for("removed"))["message"]
    await eventually(lambda: states(m).get("pb") == "removed" and "pb" not in slots(m))
    await eventually(lambda: "pb" not in slots(a))
    assert b.ws is not None and not b.ws.closed
    await b.send(type="chat", text="被移出后说的话")
    await b.leave()
    b = RoomClient(http, ROOM_ID, b.token, PARTY_B)
    await b.join()
    await b.wait_for("removed")
    await m.send(type="readmit", participant="pb")
    await b.wait_for("readmitted")
    await b.wait_for("offer")
    await b.wait_seeing({MEDIATOR, PARTY_A})
    await eventually(lambda: set(slots(m)) == {"pa", "pb"})
    assert "被移出后说的话" not in [c.text for c in store.chat]

    # Sent back to the waiting room, then admitted again.
    await m.send(type="to_waiting", participant="pa")
    await a.wait_for("waiting", text=texts.SENT_TO_WAITING)
    await eventually(lambda: states(m).get("pa") == "waiting" and "pa" not in slots(m))
    await m.send(type="admit", participant="pa")
    await a.wait_for("offer")
    a.seen.clear()
    await a.wait_seeing({MEDIATOR, PARTY_B})

    # A page whose media connection failed asks for a fresh one and gets it.
    await a.close_media()
    await a.send(type="media_restart")
    await a.wait_for("offer")
    await a.wait_seeing({MEDIATOR, PARTY_B})
    await eventually(lambda: set(slots(m)) == {"pa", "pb"})

    # A party cannot use these controls.
    await a.send(type="remove", participant="pb")
    assert (await a.wait_for("error"))["code"] == "forbidden"
    await a.send(type="to_waiting", participant="pb")
    assert (await a.wait_for("error"))["code"] == "forbidden"

    # Caucus with A: B's text reaches the mediator alone, and B's roster says how long.
    await m.send(type="caucus", side="a")
    await b.wait_for("caucus", side="a")
    await eventually(lambda: b.roster.get("caucus") == "a" and b.roster["in_caucus"] is False)
    assert b.roster["caucus_ms"] is not None and slots(b) == {}
    await b.send(type="chat", text="我想单独和调解员说")
    said = await m.wait_for("chat", text="我想单独和调解员说")
    assert said["private"] is True and said["label"] == "王五（被申请人）"
    assert (await b.wait_for("chat"))["private"] is True
    await asyncio.sleep(0.5)
    assert not any(msg["type"] == "chat" for msg in a.inbox)
    assert set(store.chat[-1].audience) == {"pb", "med"}
    # ...and the mediator may answer B privately, while A (in the caucus) does not see it.
    await m.send(type="chat", text="好的，稍后单独和您谈", to="pb")
    answer = await b.wait_for("chat", text="好的，稍后单独和您谈")
    assert answer["private"] is True and answer["to"] == "pb"
    await asyncio.sleep(0.5)
    assert not any(msg["type"] == "chat" for msg in a.inbox)
    assert set(store.chat[-1].audience) == {"pb", "med"}
    # A party cannot address anyone privately: A's text goes to the caucus group as usual.
    await a.send(type="chat", text="我也说一句", to="pb")
    await m.wait_for("chat", text="我也说一句", private=False)
    await m.send(type="caucus", side=None)
    await eventually(lambda: b.roster.get("caucus") is None and set(slots(b)) == {"med", "pa"})
    versions.append(m.roster["version"])
    assert versions == sorted(versions) and versions[0] < versions[-1]

    await asyncio.sleep(1.0)
    await m.send(type="end")
    for c in (a, b):
        await c.wait_for("ended")
    for c in (m, a, b):
        await c.leave()
    await eventually(lambda: ROOM_ID in store.recordings, 30)

    # The audit says why in Chinese; each file says whose, which segment and how long.
    reasons = {e.kind: e.detail.get("reason") for e in store.events}
    assert reasons["session_end"] == "调解员结束了本次调解"
    assert reasons["removed"] and reasons["sent_to_waiting"] and reasons["readmitted"]
    manifest, files = store.recordings[ROOM_ID]
    assert manifest["end_reason"] == "ended_by_mediator"
    titles = [f.title for f in files]
    assert titles[0].startswith("录像清单")
    assert any(t.startswith("王五（被申请人） · 第2段 · ") for t in titles), titles
    for entry in manifest["files"]:
        path = next(f.path for f in files if f.path.name == entry["file"])
        with av.open(str(path)) as container:
            # Each file starts at its own zero (a segment cut within a packet or two of its
            # start, by the quick removal or the media restart above, may hold no video).
            first = next(container.demux(), None)
            assert first is not None and float(first.pts * first.time_base) < 1.0
            assert container.duration is not None
            seconds = container.duration / av.time_base
        # ...while the manifest keeps where it sits on the shared timeline.
        assert entry["offset_ms"] <= entry["start_ms"] <= entry["end_ms"]
        assert abs(seconds * 1000 - entry["duration_ms"]) < 1500
    # The segments that ran for a while decode as video from their start.
    long = [e for e in manifest["files"] if e["duration_ms"] > 1000]
    assert len(long) >= 2
    for entry in long:
        path = next(f.path for f in files if f.path.name == entry["file"])
        with av.open(str(path)) as container:
            assert float(next(container.decode(video=0)).time or 0) < 1.0
    late = max(manifest["files"], key=lambda e: e["offset_ms"])
    assert late["offset_ms"] > 1000

    # The mediator's player seeks: HTTP Range answers 206; parties may not play at all.
    name = manifest["files"][0]["file"]
    url = f"/h5/room/{ROOM_ID}/recordings/{name}"
    resp = await http.get(url, params={"t": m.token}, headers={"Range": "bytes=100-199"})
    assert resp.status == 206
    assert resp.headers["Content-Range"].startswith("bytes 100-199/")
    assert len(await resp.read()) == 100
    resp = await http.get(url, params={"t": a.token}, headers={"Range": "bytes=0-9"})
    assert resp.status == 403
