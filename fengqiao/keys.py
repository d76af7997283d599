"""Typed application keys: dependencies are built once in app.py and reached through these."""

from __future__ import annotations

from typing import TYPE_CHECKING

from aiohttp import web

if TYPE_CHECKING:
    from fengqiao.cases.service import CaseService
    from fengqiao.dialogs.service import IntakeService
    from fengqiao.documents.service import DocumentService
    from fengqiao.settings import Settings
    from fengqiao.storage.db import Database
    from fengqiao.storage.files import FileStore
    from fengqiao.storage.kv import KeyValueStore

SETTINGS: web.AppKey[Settings] = web.AppKey("settings")
DB: web.AppKey[Database] = web.AppKey("db")
KV: web.AppKey[KeyValueStore] = web.AppKey("kv")
FILES: web.AppKey[FileStore] = web.AppKey("files")
CASES: web.AppKey[CaseService] = web.AppKey("cases")
INTAKE: web.AppKey[IntakeService] = web.AppKey("intake")
DOCUMENTS: web.AppKey[DocumentService] = web.AppKey("documents")
