"""The recording's manifest: which file is whose, where it sits on the shared timeline, its
SHA-256, and the session's events; written next to the files and handed to the store."""

from __future__ import annotations

import asyncio
import hashlib
import json
import logging
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from fengqiao.mediation_room import texts
from fengqiao.mediation_room.recorder import RecordingSegment, sha256_file
from fengqiao.mediation_room.store import RecordedFile, RoomInfo, RoomStore
from fengqiao.mediation_room.tokens import Role

logger = logging.getLogger(__name__)


def segment_title(segment: RecordingSegment) -> str:
    """The line a reviewer reads in the case's file list: 张三（申请人） · 第2段 · 1分21秒."""
    role = texts.ROLE_LABELS.get(Role(segment.role), segment.role)
    who = f"{segment.name}（{role}）" if segment.name else role
    return f"{who} · 第{segment.number}段 · {texts.duration(segment.duration_ms)}"


async def finalise_recording(
    *,
    store: RoomStore,
    room: RoomInfo,
    directory: Path,
    stamp: str,
    started_at: datetime,
    segments: list[RecordingSegment],
    events: list[dict[str, Any]],
    reason: str,
) -> dict[str, Any]:
    files: list[RecordedFile] = []
    entries = []
    for segment in segments:
        try:
            digest, size = await asyncio.to_thread(_digest_and_size, segment.path)
        except OSError:  # one lost file must not lose the others and the manifest
            logger.exception("recording %s is missing", segment.path.name)
            continue
        title = segment_title(segment)
        files.append(RecordedFile(segment.path, digest, size, title))
        entries.append(
            {
                "file": segment.path.name,
                "title": title,
                "participant_id": segment.participant_id,
                "role": segment.role,
                "segment": segment.number,
                # The file's own times start at 0; offset_ms places that 0 on the timeline.
                "offset_ms": segment.offset_ms,
                "start_ms": segment.start_ms,
                "end_ms": segment.end_ms,
                "duration_ms": segment.duration_ms,
                "streams": segment.streams,
                "sha256": digest,
                "bytes": size,
            }
        )
    manifest = {
        "version": 2,
        "room_id": room.room_id,
        "case_id": room.case_id,
        "started_at": started_at.isoformat(),
        "ended_at": datetime.now(UTC).isoformat(),
        "end_reason": reason,
        "end_reason_text": texts.END_REASONS.get(reason, reason),
        "timeline": (
            "milliseconds since started_at; each file's own times start at 0, "
            "which is offset_ms on this timeline"
        ),
        "files": entries,
        "events": events,
    }
    path = directory / f"{stamp}-manifest.json"
    data = json.dumps(manifest, ensure_ascii=False, indent=2).encode("utf-8")
    await asyncio.to_thread(_write, path, data)
    files.insert(
        0, RecordedFile(path, hashlib.sha256(data).hexdigest(), len(data), texts.MANIFEST_TITLE)
    )
    await store.save_recording(room, manifest, files)
    return manifest


def _digest_and_size(path: Path) -> tuple[str, int]:
    return sha256_file(path), path.stat().st_size


def _write(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
