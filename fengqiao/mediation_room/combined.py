"""A combined view of a recorded session: everyone side by side on one timeline, one file.

Made after the session from its manifest (never on the live path: this re-encodes), with
Debian's ffmpeg. Each participant gets one column; their segments are placed at their
``offset_ms`` on the shared timeline, so a reconnect shows as a gap in that column.

    python -m fengqiao.mediation_room.combined RECORDINGS/ROOM/STAMP-manifest.json OUT.webm
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

TILE = (320, 240)


def combine_command(
    manifest: dict[str, Any], directory: Path, out: Path, ffmpeg: str = "ffmpeg"
) -> list[str]:
    """The ffmpeg command line that renders ``manifest``'s files into ``out`` (VP8 + Opus)."""
    files = [f for f in manifest["files"] if f.get("offset_ms") is not None]
    if not files:
        raise ValueError("the manifest lists no recorded file")
    columns = list(dict.fromkeys(f["participant_id"] for f in files))
    width, height = TILE
    total = max(f["offset_ms"] + f["duration_ms"] for f in files) / 1000 + 0.5
    args = [ffmpeg, "-hide_banner", "-loglevel", "error", "-y", "-f", "lavfi", "-i"]
    args.append(f"color=c=black:s={width * len(columns)}x{height}:r=15:d={total:.3f}")
    chains, canvas, sounds = [], "[0:v]", []
    for n, entry in enumerate(files, start=1):
        args += ["-i", str(directory / entry["file"])]
        kinds = {s["kind"] for s in entry.get("streams", [])}
        seconds = entry["offset_ms"] / 1000
        if "video" in kinds:
            x = columns.index(entry["participant_id"]) * width
            chains.append(
                f"[{n}:v]scale={width}:{height},setpts=PTS-STARTPTS+{seconds:.3f}/TB[v{n}]"
            )
            chains.append(f"{canvas}[v{n}]overlay=x={x}:y=0:eof_action=pass[c{n}]")
            canvas = f"[c{n}]"
        if "audio" in kinds:
            delay = entry["offset_ms"]
            chains.append(f"[{n}:a]adelay={delay}|{delay},aresample=48000[a{n}]")
            sounds.append(f"[a{n}]")
    chains.append(f"{canvas}null[v]")
    if sounds:
        chains.append(f"{''.join(sounds)}amix=inputs={len(sounds)}:normalize=0[a]")
    args += ["-filter_complex", ";".join(chains), "-map", "[v]"]
    if sounds:
        args += ["-map", "[a]", "-c:a", "libopus"]
    args += ["-c:v", "libvpx", "-b:v", "1M", "-deadline", "realtime", "-cpu-used", "8"]
    args += ["-t", f"{total:.3f}", str(out)]
    return args


def combine(manifest_path: Path, out: Path) -> Path:
    """Render the combined view next to nothing else; raises if ffmpeg is missing or fails."""
    ffmpeg = shutil.which("ffmpeg")
    if ffmpeg is None:
        raise RuntimeError("ffmpeg is not installed")
    manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
    command = combine_command(manifest, manifest_path.parent, out, ffmpeg)
    subprocess.run(command, check=True)  # noqa: S603 - our own arguments, no shell
    return out


if __name__ == "__main__":
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    combine(Path(sys.argv[1]), Path(sys.argv[2]))
