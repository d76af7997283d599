"""Electronic service (电子送达) of a sealed document: consent first (送达地址确认书), then a
WeChat message with a link; WeChat's events say it arrived; the first open and download are
recorded with the recipient's identity; a paper copy can be asked for."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from fengqiao.cases import audit
from fengqiao.documents import lookup, records
from fengqiao.documents.errors import Conflict, Forbidden, Invalid, NotFound
from fengqiao.documents.notify import Notifier, NotSent
from fengqiao.documents.texts import DOCS
from fengqiao.documents.viewer import Viewer
from fengqiao.settings import Settings
from fengqiao.storage.db import Database
from fengqiao.storage.files import FileStore
from fengqiao.storage.models import (
    Case,
    CaseParty,
    Delivery,
    Document,
    ServiceConsent,
    utcnow,
)
from fengqiao.tokens import issue_token

MAX_ADDRESS = 200


def mask_openid(openid: str) -> str:
    return f"微信（{openid[:4]}…{openid[-4:]}）" if len(openid) > 10 else "微信"


class DeliveryService:
    def __init__(self, db: Database, files: FileStore, notifier: Notifier,
                 settings: Settings) -> None:
        self.db, self.files, self.notifier, self.settings = db, files, notifier, settings

    async def consent(self, case_code: str, viewer: Viewer, *, openid: str | None = None
                      ) -> dict[str, Any]:
        """Record the party's consent to be served on their WeChat account."""
        async with self.db.transaction() as session:
            case = await lookup.case_by_code(session, case_code)
            # Asked for on the signing page too, before there is anything to deliver.
            viewer.require_case(case.id, "delivery", "sign")
            if viewer.is_staff or viewer.party_id is None:
                raise Forbidden("not_party", DOCS["no_wechat"])
            party = await session.get(CaseParty, viewer.party_id)
            assert party is not None
            address = openid or await lookup.party_openid(session, party)
            if not address:
                raise Conflict("no_wechat", DOCS["no_wechat"])
            row = await session.scalar(select(ServiceConsent).where(
                ServiceConsent.case_id == case.id, ServiceConsent.party_id == party.id))
            if row is None:
                row = ServiceConsent(case_id=case.id, party_id=party.id, channel="wechat",
                                     address=address)
                session.add(row)
            row.address, row.phone = address, party.phone
            row.ip, row.user_agent, row.consented_at = viewer.ip, viewer.user_agent, utcnow()
            await session.flush()
            await audit.append(session, case_id=case.id, actor=viewer.actor,
                               action="delivery.consented",
                               detail={"party_id": party.id, "channel": "wechat"})
            return {"consented_at": row.consented_at.isoformat(),
                    "address": mask_openid(address)}

    async def deliver(self, doc_code: str, staff: Viewer) -> list[dict[str, Any]]:
        """Send the sealed document to every party who consented; say who was not served."""
        staff.require_staff()
        async with self.db.read() as session:
            doc = await records.load_doc(session, doc_code)
            if doc.status != "sealed":
                raise Conflict("not_sealed", DOCS["not_sealed"])
            case = await session.get(Case, doc.case_id)
            parties = [p for p in await lookup.case_parties(session, doc.case_id)
                       if p.id in {s.party_id for s in await records.slots_of(session, doc.id)}]
            consents = {c.party_id: c for c in (await session.scalars(select(
                ServiceConsent).where(ServiceConsent.case_id == doc.case_id))).all()}
        results = []
        for party in parties:
            consent = consents.get(party.id)
            if consent is None:
                results.append({"party_id": party.id, "name": party.name,
                                "status": "no_consent", "message": DOCS["no_consent"]})
                continue
            token = issue_token(self.settings.secret, purpose="delivery", case_id=doc.case_id,
                                party_id=party.id)
            url = records.page_url(self.settings.public_url, "delivery", doc.code, token)
            try:
                msg_id = await self.notifier.send_link(
                    consent.address, DOCS["deliver_title"].format(title=doc.title),
                    DOCS["deliver_text"].format(case=case.code if case else ""), url)
            except NotSent:
                results.append({"party_id": party.id, "name": party.name,
                                "status": "send_failed", "message": DOCS["send_failed"]})
                continue
            results.append(await self._record_sent(doc, party, consent, msg_id, staff))
        return results

    async def _record_sent(self, doc: Document, party: CaseParty, consent: ServiceConsent,
                           msg_id: str | None, staff: Viewer) -> dict[str, Any]:
        now = utcnow()
        async with self.db.transaction() as session:
            row = await session.scalar(select(Delivery).where(
                Delivery.document_id == doc.id, Delivery.party_id == party.id))
            if row is None:
                row = Delivery(document_id=doc.id, party_id=party.id,
                               recipient=party.name or "", address=consent.address,
                               status="sent", doc_sha256=doc.sha256 or "")
                session.add(row)
            row.status, row.message_id, row.sent_at = "sent", msg_id, now
            row.doc_sha256 = doc.sha256 or ""
            await session.flush()
            await records.add_event(session, doc, "sent", staff, actor=staff.name,
                                    detail={"delivery_id": row.id, "party_id": party.id})
            await audit.append(session, case_id=doc.case_id, actor=staff.actor,
                               action="delivery.sent",
                               detail={"doc": doc.code, "party_id": party.id,
                                       "sha256": doc.sha256})
            return {"party_id": party.id, "name": party.name, "status": "sent",
                    "delivery_id": row.id}

    async def on_wechat_status(self, message_id: str, status: str) -> bool:
        """WeChat's TEMPLATESENDJOBFINISH (or similar) event for a message we sent.

        ``status`` is WeChat's text: "success", "failed:user block", "failed: system failed".
        Returns False when the message is not one of our deliveries.
        """
        async with self.db.transaction() as session:
            row = await session.scalar(select(Delivery).where(Delivery.message_id == message_id))
            if row is None:
                return False
            doc = await session.get(Document, row.document_id)
            assert doc is not None
            now = utcnow()
            if status == "success":
                if row.status == "sent":
                    row.status = "delivered"
                row.delivered_at = row.delivered_at or now
                event = "delivered"
            else:
                row.status = "refused" if "block" in status else "failed"
                event = "delivery_failed"
            await records.add_event(session, doc, event, None, actor=row.recipient,
                                    doc_sha256=row.doc_sha256,
                                    detail={"delivery_id": row.id, "wechat_status": status})
            await audit.append(session, case_id=doc.case_id, actor="wechat",
                               action=f"delivery.{row.status}",
                               detail={"doc": doc.code, "party_id": row.party_id})
            return True

    async def open(self, doc_code: str, viewer: Viewer, *, download: bool = False
                   ) -> dict[str, Any]:
        """The recipient opened (or downloaded) the document: recorded once each."""
        async with self.db.transaction() as session:
            doc = await records.load_doc(session, doc_code)
            viewer.require_case(doc.case_id, "delivery")
            row = await self._row(session, doc, viewer)
            now = utcnow()
            field, event = ("downloaded_at", "downloaded") if download else ("read_at", "read")
            if row is not None and getattr(row, field) is None:
                setattr(row, field, now)
                if row.status in ("sent", "delivered"):
                    row.status = "read"
                    row.read_at = row.read_at or now
                    row.delivered_at = row.delivered_at or now  # reading proves arrival
                await records.add_event(session, doc, event, viewer,
                                        detail={"delivery_id": row.id})
                await audit.append(session, case_id=doc.case_id, actor=viewer.actor,
                                   action=f"delivery.{event}", detail={"doc": doc.code})
            return self._describe(doc, row)

    async def request_paper(self, doc_code: str, viewer: Viewer, address: str
                            ) -> dict[str, Any]:
        address = (address or "").strip()
        if not address or len(address) > MAX_ADDRESS:
            raise Invalid("paper_address", DOCS["paper_address"])
        async with self.db.transaction() as session:
            doc = await records.load_doc(session, doc_code)
            viewer.require_case(doc.case_id, "delivery")
            row = await self._row(session, doc, viewer)
            if row is None:
                raise NotFound("no_delivery", DOCS["no_delivery"])
            row.paper_requested_at, row.paper_address = utcnow(), address
            await records.add_event(session, doc, "paper_requested", viewer,
                                    detail={"delivery_id": row.id})
            await audit.append(session, case_id=doc.case_id, actor=viewer.actor,
                               action="delivery.paper_requested", detail={"doc": doc.code})
            return self._describe(doc, row)

    async def deliveries(self, doc_code: str) -> tuple[Document, list[Delivery]]:
        async with self.db.read() as session:
            doc = await records.load_doc(session, doc_code)
            rows = (await session.scalars(select(Delivery).where(
                Delivery.document_id == doc.id).order_by(Delivery.id))).all()
            return doc, list(rows)

    @staticmethod
    async def _row(session: Any, doc: Document, viewer: Viewer) -> Delivery | None:
        if viewer.party_id is None:
            return None
        return await session.scalar(select(Delivery).where(
            Delivery.document_id == doc.id, Delivery.party_id == viewer.party_id))

    @staticmethod
    def _describe(doc: Document, row: Delivery | None) -> dict[str, Any]:
        def iso(value: Any) -> str | None:
            return value.isoformat() if value else None

        return {
            "code": doc.code, "title": doc.title, "status": doc.status, "sha256": doc.sha256,
            "pdf_url": f"/api/v1/documents/{doc.code}/pdf",
            "delivery": None if row is None else {
                "status": row.status, "sent_at": iso(row.sent_at),
                "delivered_at": iso(row.delivered_at), "read_at": iso(row.read_at),
                "downloaded_at": iso(row.downloaded_at),
                "paper_requested_at": iso(row.paper_requested_at)},
        }
