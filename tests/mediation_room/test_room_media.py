"""Three in-process aiortc participants: waiting room, admit, caucus, rejoin, evidence, end."""

from __future__ import annotations

import asyncio
import hashlib
from collections.abc import Callable

import av
from aiohttp import FormData, test_utils

from fengqiao.mediation_room import Role, texts
from fengqiao.mediation_room.memory_store import InMemoryRoomStore

from .client import RoomClient
from .conftest import ROOM_ID, registry_of

MEDIATOR, PARTY_A, PARTY_B = 200, 60, 130  # the grey level each one sends
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


async def test_three_party_session(
    http: test_utils.TestClient, store: InMemoryRoomStore, make_token: Callable[..., str]
) -> None:
    a = RoomClient(http, ROOM_ID, make_token(Role.PARTY_A, "pa"), PARTY_A)
    b = RoomClient(http, ROOM_ID, make_token(Role.PARTY_B, "pb"), PARTY_B)
    m = RoomClient(http, ROOM_ID, make_token(Role.MEDIATOR, "med"), MEDIATOR)

    # A party consents and waits; nothing flows before the mediator admits it.
    await a.join()
    assert "录音录像" in (await a.wait_for("notice"))["text"]
    await a.send(type="consent", accepted=True)
    await a.wait_for("waiting")
    assert a.pc is None

    # The same link from another device is refused while the first is connected.
    thief = RoomClient(http, ROOM_ID, a.token, 1, device="other-phone")
    await thief.join()
    assert (await thief.wait_for("error"))["code"] == "in_use"
    await thief.leave()

    await m.join()
    await m.wait_for("notice")
    await m.send(type="consent", accepted=True)
    await m.wait_for("offer")
    roster = await m.wait_for("roster")
    assert {p["id"]: p["state"] for p in roster["participants"]}["pa"] == "waiting"

    # Party B first refuses the recording notice: the mediator sees why.
    await b.join()
    await b.wait_for("notice")
    await b.send(type="consent", accepted=False)
    assert (await b.wait_for("error"))["code"] == "consent_refused"
    refused = await m.wait_for("roster")
    while {p["id"]: p["state"] for p in refused["participants"]}.get("pb") != "refused":
        refused = await m.wait_for("roster")
    assert next(p for p in refused["participants"] if p["id"] == "pb")["reason"]
    await b.leave()
    # ...then changes their mind from the same link.
    b = RoomClient(http, ROOM_ID, b.token, PARTY_B)
    await b.join()
    await b.wait_for("notice")
    await b.send(type="consent", accepted=True)
    await b.wait_for("waiting")

    # A party cannot use mediator controls.
    await a.send(type="admit", participant="pb")
    assert (await a.wait_for("error"))["code"] == "forbidden"

    await m.send(type="admit", participant="pa")
    await m.send(type="admit", participant="pb")
    await a.wait_for("offer")
    await b.wait_for("offer")
    await a.wait_seeing({MEDIATOR, PARTY_B})
    await b.wait_seeing({MEDIATOR, PARTY_A})
    await m.wait_seeing({PARTY_A, PARTY_B})

    # Caucus with side A: B's slots stop being fed and B is told; A still sees the mediator.
    session = registry_of(http).sessions[ROOM_ID]
    await m.send(type="caucus", side="a")
    assert "单独沟通" in (await b.wait_for("caucus", side="a"))["text"]
    await a.wait_for("caucus", side="a")
    peer_b = session.participants["pb"].peer
    assert peer_b is not None
    assert all(s.video.source is None and s.audio.source is None for s in peer_b.slots)
    sent_to_b = sum(s.video.forwarded + s.audio.forwarded for s in peer_b.slots)
    a_from_mediator = a.frames.copy()
    await asyncio.sleep(1.0)
    assert sum(s.video.forwarded + s.audio.forwarded for s in peer_b.slots) == sent_to_b
    assert sum(a.frames.values()) > sum(a_from_mediator.values())
    await m.send(type="chat", text="只对申请人说")
    assert (await a.wait_for("chat"))["text"] == "只对申请人说"
    await m.send(type="caucus", side=None)
    await b.wait_for("caucus", side=None)
    b.seen.clear()
    await b.wait_seeing({MEDIATOR, PARTY_A})
    assert not any(msg["type"] == "chat" for msg in b.inbox)
    assert store.chat[-1].audience and "pb" not in store.chat[-1].audience

    # Evidence shown by A reaches everyone; B comments on it (质证).
    form = FormData()
    form.add_field("file", PNG, filename="收据.png", content_type="image/png")
    resp = await http.post(
        f"/h5/room/{ROOM_ID}/evidence", data=form, headers={"Authorization": f"Bearer {a.token}"}
    )
    assert resp.status == 200, await resp.text()
    evidence_id = (await resp.json())["id"]
    shown = await b.wait_for("evidence")
    assert shown["id"] == evidence_id and shown["filename"] == "收据.png"
    view = await http.get(f"/h5/room/{ROOM_ID}/evidence/{evidence_id}", params={"t": b.token})
    assert view.status == 200 and await view.read() == PNG
    await b.send(type="comment", evidence_id=evidence_id, text="这张收据不是我签的")
    assert (await a.wait_for("comment"))["text"] == "这张收据不是我签的"
    assert store.chat[-1].kind == "comment" and store.chat[-1].evidence_id == evidence_id

    # A's network drops; the same link on the same phone rejoins without waiting again.
    await a.leave()
    a = RoomClient(http, ROOM_ID, a.token, PARTY_A)
    await a.join()
    await a.wait_for("offer")
    await a.wait_seeing({MEDIATOR, PARTY_B})

    # The mediator's page reloads: the session and the others' recording go on.
    await m.leave()
    m = RoomClient(http, ROOM_ID, m.token, MEDIATOR)
    await m.join()
    await m.wait_for("offer")
    await m.wait_seeing({PARTY_A, PARTY_B})
    assert ROOM_ID in registry_of(http).sessions

    await m.send(type="end")
    for client in (a, b):
        await client.wait_for("ended")
    for client in (a, b, m):
        await client.leave()

    async def finalised() -> None:  # finalising runs after "ended" is sent
        while ROOM_ID not in store.recordings:
            await asyncio.sleep(0.1)

    await asyncio.wait_for(finalised(), 30)

    manifest, files = store.recordings[ROOM_ID]
    assert store.rooms[ROOM_ID].status == "ended"
    segments = manifest["files"]
    assert sorted(s["participant_id"] for s in segments) == ["med", "med", "pa", "pa", "pb"]
    assert [e["kind"] for e in manifest["events"]].count("caucus_start") == 1
    # Each consent records the hash of the exact notice that was shown.
    consents = [e for e in manifest["events"] if e["kind"] == "consent_accepted"]
    notice = hashlib.sha256(texts.RECORDING_NOTICE.encode()).hexdigest()
    assert len(consents) >= 3 and {e["notice_sha256"] for e in consents} == {notice}
    for recorded in files:
        assert hashlib.sha256(recorded.path.read_bytes()).hexdigest() == recorded.sha256
    frames_of: dict[str, int] = {}
    heard: set[str] = set()
    for entry in segments:
        path = next(f.path for f in files if f.path.name == entry["file"])
        with av.open(str(path)) as container:
            # A segment cut by a rejoin before any audio was buffered holds video only (the
            # recorder writes what it has, bffc62f): on a loaded machine that happens.
            assert container.streams.video[0].codec_context.name == "vp8"
            if container.streams.audio:
                assert container.streams.audio[0].codec_context.name == "opus"
                heard.add(entry["participant_id"])
            frames = sum(1 for _ in container.decode(video=0))
            assert frames >= 1
            assert container.duration is not None and container.duration > 0
        assert entry["end_ms"] > entry["start_ms"]
        pid = entry["participant_id"]
        frames_of[pid] = frames_of.get(pid, 0) + frames
    # A segment cut short by a rejoin may hold only a few frames on a slow machine; each
    # participant's segments together span the whole session.
    assert all(n > 5 for n in frames_of.values()), frames_of
    assert heard == {"med", "pa", "pb"}  # everyone's voice is in the recording
