"""The documents side of a case, built once: evidence, agreement signing, e-delivery, proofs.

Edges (web pages and API, the WeChat bot, the mediation room) call these services; they
read and write the case's tables directly but never change cases/ rules.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cryptography import x509

from fengqiao.documents import lookup
from fengqiao.documents.agreement_service import AgreementService
from fengqiao.documents.delivery_service import DeliveryService
from fengqiao.documents.evidence_service import EvidenceService
from fengqiao.documents.ltv import Timestamping, timestamping_for
from fengqiao.documents.messages import MessageService
from fengqiao.documents.notify import DEV_INBOX, LogNotifier, Notifier
from fengqiao.documents.otp import LogSmsSender, OtpService, SmsSender
from fengqiao.documents.pki import PlatformCA, to_asn1
from fengqiao.documents.proof_service import ProofService
from fengqiao.settings import Settings
from fengqiao.storage.db import Database
from fengqiao.storage.files import FileStore


def pki_dir(settings: Settings) -> Path:
    return Path(settings.pki_dir) if settings.pki_dir else settings.data_dir / "pki"


def load_ca(settings: Settings) -> PlatformCA:
    if settings.signing_p12:
        return PlatformCA.from_pkcs12(
            settings.signing_p12,
            settings.signing_p12_password or None,
            id_hash_secret=settings.secret,
            public_url=settings.public_url,
            tsa_dir=pki_dir(settings),
        )
    return PlatformCA.load_or_create(pki_dir(settings), id_hash_secret=settings.secret,
                                     public_url=settings.public_url)


def load_timestamping(settings: Settings, ca: PlatformCA) -> Timestamping:
    """``FENGQIAO_TSA_URL`` (with the TSA's roots in ``FENGQIAO_TSA_ROOTS``, PEM) or the
    platform's own TSA."""
    roots = []
    if settings.tsa_url and settings.tsa_roots:
        roots = [to_asn1(c) for c in x509.load_pem_x509_certificates(
            Path(settings.tsa_roots).read_bytes())]
    return timestamping_for(ca, settings.tsa_url, roots)


@dataclass
class DocumentService:
    evidence: EvidenceService
    agreements: AgreementService
    messages: MessageService
    delivery: DeliveryService
    proofs: ProofService
    otp: OtpService
    notifier: Notifier
    ca: PlatformCA
    db: Database

    def use_notifier(self, notifier: Notifier) -> None:
        """Switch every sender to `notifier` (the WeChat client exists only once the bot
        edge is set up, after the services)."""
        self.notifier = self.agreements.notifier = self.delivery.notifier = notifier

    async def follow_up(self, now: Any = None) -> dict[str, int]:
        """Periodic work: delivery reminders and paper service, judicial-deadline reminders."""
        from fengqiao.documents.judicial_service import remind_judicial_deadlines

        done = await self.delivery.follow_up(now)
        done["judicial_reminders"] = await remind_judicial_deadlines(
            self.db, self.notifier, self.delivery.settings, now)
        return done

    async def party_for_openid(self, case_id: int, openid: str) -> Any:
        async with self.db.read() as session:
            return await lookup.party_for_openid(session, case_id, openid)

    async def case_id_of_document(self, doc_code: str) -> int:
        from fengqiao.documents import records

        async with self.db.read() as session:
            return (await records.load_doc(session, doc_code)).case_id

    async def case_id_of_case(self, case_code: str) -> int:
        async with self.db.read() as session:
            return (await lookup.case_by_code(session, case_code)).id

    async def case_id_of_evidence(self, file_id: int) -> int | None:
        from fengqiao.storage.models import CaseFile

        async with self.db.read() as session:
            row = await session.get(CaseFile, file_id)
        return row.case_id if row is not None else None


async def build_document_service(
    settings: Settings,
    db: Database,
    kv: Any,
    files: FileStore,
    *,
    sms: SmsSender | None = None,
    notifier: Notifier | None = None,
) -> DocumentService:
    ca = await asyncio.to_thread(load_ca, settings)
    timestamping = await asyncio.to_thread(load_timestamping, settings, ca)
    notifier = notifier or LogNotifier(inbox=Path(settings.data_dir) / DEV_INBOX)
    otp = OtpService(kv, sms or LogSmsSender(), settings.secret)
    delivery = DeliveryService(db, files, kv, notifier, settings)
    return DocumentService(
        evidence=EvidenceService(db, files, settings.max_upload_mb * 1024 * 1024),
        messages=MessageService(db, files, settings.max_upload_mb * 1024 * 1024),
        agreements=AgreementService(db, files, kv, ca, otp, notifier, settings, timestamping),
        delivery=delivery,
        proofs=ProofService(db, files, ca, delivery, settings, timestamping),
        otp=otp,
        notifier=notifier,
        ca=ca,
        db=db,
    )
