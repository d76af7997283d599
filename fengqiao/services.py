"""Builds the storage and services once, for the web app and for the command line alike."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.orm import configure_mappers

from fengqiao.booking.build import BookingServices, build_booking
from fengqiao.cases.scope import CaseScopes
from fengqiao.cases.service import CaseService
from fengqiao.dialogs.service import IntakeService
from fengqiao.documents.service import DocumentService, build_document_service
from fengqiao.nlp import get_analyzer
from fengqiao.settings import Settings
from fengqiao.sms import build_sms_sender
from fengqiao.storage.db import Database
from fengqiao.storage.files import FileStore, LocalFileStore
from fengqiao.storage.kv import KeyValueStore, open_store
from fengqiao.storage.migrate import upgrade_async
from fengqiao.tokens import Signer


@dataclass
class Services:
    settings: Settings
    db: Database
    kv: KeyValueStore
    files: FileStore
    cases: CaseService
    intake: IntakeService
    documents: DocumentService
    booking: BookingServices
    signer: Signer
    scopes: CaseScopes

    async def close(self) -> None:
        await self.kv.close()
        await self.db.dispose()


async def build_services(settings: Settings, *, migrate: bool = True) -> Services:
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    signer = Signer(settings.secret)
    if migrate:
        await upgrade_async(settings.effective_database_url)
    db = Database(settings.effective_database_url)
    kv = open_store(settings.redis_url, settings.data_dir / "kv.sqlite")
    files = LocalFileStore(settings.data_dir / "files")
    cases = CaseService(
        db, settings.config_dir, public_url=settings.public_url, hotline=settings.hotline
    )
    analyzer = get_analyzer(settings.config_dir, settings.data_dir)
    intake = IntakeService(kv, cases, files, analyzer, settings)
    documents = await build_document_service(settings, db, kv, files,
                                             sms=build_sms_sender(settings))
    booking = build_booking(db, settings, signer)
    # SQLAlchemy sets up every mapped class at the first use of any (~0.1 s): now, rather than
    # inside the first resident's filing or the scheduler's first tick while others wait.
    configure_mappers()
    return Services(
        settings, db, kv, files, cases, intake, documents, booking, signer, CaseScopes(db)
    )
