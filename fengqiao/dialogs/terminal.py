"""`fengqiao chat`: the intake dialog from a terminal, through the same IntakeService as WeChat."""

from __future__ import annotations

import asyncio
import json
from typing import IO

from fengqiao.settings import Settings


def run_chat(openid: str, jsonl: bool, stdin: IO[str], stdout: IO[str]) -> int:
    return asyncio.run(_chat(openid, jsonl, stdin, stdout))


async def _chat(openid: str, jsonl: bool, stdin: IO[str], stdout: IO[str]) -> int:
    from fengqiao import logs
    from fengqiao.services import build_services

    # Its progress link points where `serve` on this data directory runs (or the public URL).
    settings = Settings.from_env().with_secret().with_served_url()
    logs.configure("WARNING")
    services = await build_services(settings)
    interactive = not jsonl and stdin.isatty()
    try:
        if interactive:
            stdout.write("枫桥在线调解（输入“帮助”查看操作，Ctrl-D 退出）\n")
        loop = asyncio.get_running_loop()
        while True:
            if interactive:
                stdout.write("您> ")
                stdout.flush()
            line = await loop.run_in_executor(None, stdin.readline)
            if not line:
                break
            text = line.rstrip("\n")
            if jsonl and not text.strip():
                continue
            turn = await services.intake.handle_text("cli", openid, text)
            if jsonl:
                out = {"reply": turn.reply, "state": turn.state, "case_code": turn.case_code,
                       "prompt": turn.prompt}
                stdout.write(json.dumps(out, ensure_ascii=False) + "\n")
            else:
                stdout.write(f"枫桥> {turn.reply}\n")
            stdout.flush()
    finally:
        await services.close()
    return 0
