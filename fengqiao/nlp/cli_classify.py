"""`fengqiao classify [TEXT] [--jsonl]` — the lead registers this in fengqiao/cli.py.

One text: prints one JSON object. ``--jsonl``: each stdin line is ``{"text": ...}`` and each
output line is the classification (DESIGN.md); a line that is not valid JSON or has no text
gets ``{"error": ...}`` on its output line, so outputs stay aligned with inputs.
"""

from __future__ import annotations

import gc
import json
import re
import select
from collections.abc import Callable, Iterable, Iterator
from json.encoder import c_make_encoder, encode_basestring  # type: ignore[attr-defined]
from pathlib import Path
from typing import TextIO

from fengqiao.nlp.analyzer import Analysis, get_analyzer

ERR_BAD_JSON = "输入行不是有效的 JSON"
ERR_NO_TEXT = "输入行缺少 text 字段"
ERR_NEED_TEXT = "请提供要分析的文本，或使用 --jsonl 从标准输入读取"
MEMO_LIMIT = 20_000  # output lines remembered for repeated texts in one --jsonl run


# One encoder for the run: json.dumps with options builds a new one for every line, and
# JSONEncoder.encode its C encoder (made here once, as `encode` makes it, without the check
# for circular references, which our plain dicts and lists cannot have).
_ENCODER = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"))
_MAKE = c_make_encoder(None, _ENCODER.default, encode_basestring, None, ":", ",", False, False,
                       True) if c_make_encoder is not None else None


def _dump(obj: object) -> str:
    return "".join(_MAKE(obj, 0)) if _MAKE is not None else _ENCODER.encode(obj)


# The line almost every caller writes, {"text": "..."} with no escape in the string: its text
# is the string as it stands (what json.loads gives), read without the JSON parser.
_PLAIN_LINE = re.compile(r'\{"text": "([^"\\\x00-\x1f]*)"\}\n?')


def run_classify(argv_text: str | None, jsonl: bool, stdin: TextIO, stdout: TextIO,
                 data_dir: Path, config_dir: Path | None = None) -> int:
    """Exit status: 0 on success, 2 when there is nothing to classify."""
    # Loading makes a few hundred thousand objects that live as long as the process (the
    # tokenizer's dictionary, the models), none of them garbage: the collector's passes over
    # them while they are made cost ≈ 4 % of the start-up, so it is off meanwhile.
    enabled = gc.isenabled()
    gc.disable()
    try:
        analyzer = get_analyzer(config_dir, data_dir)
    finally:
        if enabled:
            gc.enable()
    if not jsonl:
        text = argv_text if argv_text is not None else stdin.read()
        if not text.strip() and argv_text is None:
            stdout.write(_dump({"error": ERR_NEED_TEXT}) + "\n")
            return 2
        stdout.write(_dump(analyzer.analyze(text).to_dict()) + "\n")
        return 0
    # A batch makes many small containers, and each pass of the garbage collector walked the
    # loaded model and the caches too (none of it garbage): ≈ 4 % of the instructions of a run.
    # For the batch, what is loaded is set aside (gc.freeze) and passes are rarer.
    # A process that froze its own heap before (the service, app._settle_heap) keeps it frozen.
    thresholds, frozen_before = gc.get_threshold(), gc.get_freeze_count() > 0
    gc.freeze()
    # A batch makes no cyclic garbage (none found after the bench's 20,000 lines): what a pass
    # finds is the caches' new entries, still in use. At 20,000 a pass came every few
    # thousand texts and walked them (≈ 8 ms each); now rarely (cycles would still be found).
    gc.set_threshold(500_000, 20, 20)
    lines, write, finish = _batched(stdin, stdout)
    try:
        try:
            _run_jsonl(analyzer.analyze, lines, write)
        finally:
            finish()
    finally:
        gc.set_threshold(*thresholds)
        if not frozen_before:
            gc.unfreeze()
    stdout.flush()
    return 0


def _batched(stdin: TextIO, stdout: TextIO
             ) -> tuple[Iterable[str], Callable[[str], object], Callable[[], None]]:
    """(input lines, write, finish): the output lines are written in groups, each time the
    input has no more at hand (and by ``finish``), not one by one: with unbuffered output
    (``python -u``, PYTHONUNBUFFERED) each line was a system call, ≈ 7 % of a batch's CPU. A
    caller that waits for each answer before sending the next text still gets it at once:
    what is pending is written and flushed before a read that could wait. Input that cannot
    be polled (not a pipe or file) is answered line by line, as before."""
    try:
        fd = stdin.fileno()
        select.select([fd], [], [], 0)
    except (AttributeError, OSError, ValueError):  # io.UnsupportedOperation is an OSError
        return stdin, stdout.write, lambda: None
    pending: list[str] = []

    def write_pending() -> None:
        if pending:
            stdout.write("".join(pending))
            pending.clear()
            stdout.flush()

    def lines() -> Iterator[str]:
        read = iter(stdin)
        while True:
            if pending and (len(pending) >= 512 or not select.select([fd], [], [], 0)[0]):
                write_pending()
            line = next(read, None)
            if line is None:
                return
            yield line

    return lines(), pending.append, write_pending


def _run_jsonl(analyze: Callable[..., Analysis], stdin: Iterable[str],
               write: Callable[[str], object]) -> None:
    # What is printed is `Analysis.to_dict`: the dates and personal numbers it leaves out are
    # not looked for (facts=False), about a tenth of the time a text takes.
    # A batch often holds the same text more than once (forwarded messages, re-imports): its
    # output line is remembered. The classification does not depend on the time it is made.
    seen: dict[str, str] = {}
    lines: dict[str, str] = {}  # the same for a repeated input line, not parsed again
    for line in stdin:
        out = lines.get(line)
        if out is not None:
            write(out)
            continue
        plain = _PLAIN_LINE.fullmatch(line)
        if plain is not None:
            line_text: object = plain.group(1)
        else:
            if not line.strip():
                continue
            try:
                row = json.loads(line)
            except ValueError:
                write(_dump({"error": ERR_BAD_JSON}) + "\n")
                continue
            line_text = row.get("text") if isinstance(row, dict) else None
        if not isinstance(line_text, str):
            write(_dump({"error": ERR_NO_TEXT}) + "\n")
            continue
        out = seen.get(line_text)
        if out is None:
            out = _dump(analyze(line_text, facts=False).to_dict()) + "\n"
            if len(seen) >= MEMO_LIMIT:
                seen.clear()
            seen[line_text] = out
        if len(lines) >= MEMO_LIMIT:
            lines.clear()
        lines[line] = out
        write(out)
