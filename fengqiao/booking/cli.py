"""`fengqiao booking import KIND FILE`: load the registry from a spreadsheet export."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import TextIO

from fengqiao.settings import Settings


def import_command(kind: str, file: str, out: TextIO) -> int:
    try:
        text = Path(file).read_text("utf-8-sig")
    except (OSError, UnicodeDecodeError) as exc:
        out.write(f"无法读取 {file}：{exc}\n")
        return 1
    return asyncio.run(_import(kind, text, out))


async def _import(kind: str, text: str, out: TextIO) -> int:
    from fengqiao.booking.registry import Registry
    from fengqiao.storage.db import Database
    from fengqiao.storage.migrate import upgrade_async

    settings = Settings.from_env()
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    await upgrade_async(settings.effective_database_url)
    db = Database(settings.effective_database_url)
    try:
        report = await Registry(db).import_csv(kind, text, "cli")
    finally:
        await db.dispose()
    for error in report.errors:
        out.write(error + "\n")
    if report.errors:
        out.write("有错误，未导入任何记录\n")
        return 1
    out.write(f"新增 {report.created}，更新 {report.updated}\n")
    return 0
