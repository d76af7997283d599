"""Electronic service (电子送达) of a sealed document: consent first (送达地址确认书, its exact
wording and SHA-256 kept with the address it covers), then a WeChat message with a link;
WeChat's events say it arrived; opening, downloading and acknowledging are recorded with the
recipient's identity; a paper copy can be asked for.

Nothing is rewritten: every consent and every delivery attempt is a new row, and each
step's time is set once. An attempt not opened after ``delivery_remind_days`` is reminded;
after ``delivery_paper_days`` it becomes a paper-service task for staff (``follow_up``)."""

from __future__ import annotations

import hashlib
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import func, select

from fengqiao.cases import audit
from fengqiao.documents import lookup, records, service_address
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
    CaseTask,
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
    def __init__(self, db: Database, files: FileStore, kv: Any, notifier: Notifier,
                 settings: Settings) -> None:
        self.db, self.files, self.kv = db, files, kv
        self.notifier, self.settings = notifier, settings

    async def consent(self, case_code: str, viewer: Viewer, *, openid: str | None = None,
                      wording: str | None = None) -> dict[str, Any]:
        """Record the party's consent to be served on their WeChat account."""
        async with self.db.transaction() as session:
            case = await lookup.case_by_code(session, case_code)
            # Asked for on the signing page too, before there is anything to deliver.
            viewer.require_case(case.id, "delivery", "sign")
            if viewer.is_staff or viewer.party_id is None:
                raise Forbidden("not_party", DOCS["no_wechat"])
            party = await session.get(CaseParty, viewer.party_id)
            assert party is not None
            # WeChat only from WeChat: through a link opened elsewhere the party has shown
            # no WeChat account (service_address: what the consent may name).
            wechat = viewer.from_wechat
            found = ((service_address.WECHAT, openid) if openid else
                     await service_address.address_of(session, self.settings.secret, case.id,
                                                      party, wechat=wechat))
            if found is None and not wechat:
                raise Conflict("not_in_wechat", DOCS["not_in_wechat"])
            if found is None:
                raise Conflict("no_wechat", DOCS["no_address"])
            channel, address = found
            agreed = service_address.wording(channel, address)
            if wording is not None and wording.strip() != agreed:
                raise Conflict("consent_changed", DOCS["consent_changed"])
            wording = agreed
            digest = hashlib.sha256(wording.encode()).hexdigest()
            row = ServiceConsent(case_id=case.id, party_id=party.id, channel=channel,
                                 address=address, phone=party.phone, ip=viewer.ip,
                                 user_agent=viewer.user_agent, consented_at=utcnow(),
                                 wording=wording, wording_sha256=digest)
            session.add(row)
            await session.flush()
            await audit.append(session, case_id=case.id, actor=viewer.actor,
                               action="delivery.consented",
                               detail={"party_id": party.id, "channel": channel,
                                       "consent_id": row.id, "wording_sha256": digest})
            return {"consented_at": row.consented_at.isoformat(),
                    "address": service_address.shown(channel, address),
                    "wording_sha256": digest}

    async def deliver(self, doc_code: str, staff: Viewer) -> list[dict[str, Any]]:
        """Send the sealed document to every party who consented; say who was not served.

        One delivery of a document at a time, across workers (the lock seal uses): a second
        press while the first is still sending is refused (409 ``delivering``) instead of
        making a second attempt for every party. Delivering again afterwards is allowed and
        adds attempts."""
        staff.require_staff()
        held = False
        try:
            async with self.kv.lock(f"doc-deliver:{doc_code.strip()}", ttl=120, wait=0):
                held = True
                return await self._deliver(doc_code, staff)
        except TimeoutError:
            if held:  # a timeout while sending is not a second press
                raise
            raise Conflict("delivering", DOCS["delivering"]) from None

    async def _deliver(self, doc_code: str, staff: Viewer) -> list[dict[str, Any]]:
        async with self.db.read() as session:
            doc = await records.load_doc(session, doc_code)
            if doc.status != "sealed":
                raise Conflict("not_sealed", DOCS["not_sealed"])
            case = await session.get(Case, doc.case_id)
            parties = [p for p in await lookup.case_parties(session, doc.case_id)
                       if p.id in {s.party_id for s in await records.slots_of(session, doc.id)}]
            consents = {c.party_id: c for c in (await session.scalars(select(
                ServiceConsent).where(ServiceConsent.case_id == doc.case_id)
                .order_by(ServiceConsent.id))).all()}  # the latest consent is in force
            # Served on the person behind the designated WeChat address, through a channel
            # that can reach them (cases.reach): never the official account with a
            # mini-program openid.
            persons = {p.id: p.person_id for p in parties}
            reaches = {pid: await service_address.reach_for(session, c.channel, c.address,
                                                            persons.get(pid))
                       for pid, c in consents.items()}
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
                to = reaches.get(party.id)
                if to is None:
                    raise NotSent(DOCS["no_wechat"])
                msg_id = await self.notifier.send_link(
                    to, "delivery", DOCS["deliver_title"].format(title=doc.title),
                    DOCS["deliver_text"].format(case=case.code if case else ""), url,
                    code=case.code if case else "")
            except NotSent as exc:
                await self._record_attempt(doc, party, consent, None, staff,
                                           failure=str(exc)[:64] or "not_sent")
                results.append({"party_id": party.id, "name": party.name,
                                "status": "send_failed", "message": DOCS["send_failed"]})
                continue
            results.append(await self._record_attempt(doc, party, consent, msg_id, staff))
        return results

    async def _record_attempt(self, doc: Document, party: CaseParty, consent: ServiceConsent,
                              msg_id: str | None, staff: Viewer, *, failure: str | None = None
                              ) -> dict[str, Any]:
        """A new attempt row: earlier attempts keep their own times untouched."""
        now = utcnow()
        async with self.db.transaction() as session:
            earlier = await session.scalar(select(func.count()).select_from(Delivery).where(
                Delivery.document_id == doc.id, Delivery.party_id == party.id)) or 0
            row = Delivery(document_id=doc.id, party_id=party.id, recipient=party.name or "",
                           address=consent.address, consent_id=consent.id,
                           attempt=earlier + 1, status="failed" if failure else "sent",
                           message_id=msg_id, doc_sha256=doc.sha256 or "",
                           sent_at=now, failure=failure)
            session.add(row)
            await session.flush()
            event = "delivery_failed" if failure else "sent"
            await records.add_event(session, doc, event, staff, actor=staff.name,
                                    detail={"delivery_id": row.id, "party_id": party.id,
                                            "attempt": row.attempt})
            await audit.append(session, case_id=doc.case_id, actor=staff.actor,
                               action=f"delivery.{'failed' if failure else 'sent'}",
                               detail={"doc": doc.code, "party_id": party.id,
                                       "attempt": row.attempt, "sha256": doc.sha256})
            return {"party_id": party.id, "name": party.name, "status": row.status,
                    "delivery_id": row.id, "attempt": row.attempt}

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
                if row.read_at is None:
                    row.status = "refused" if "block" in status else "failed"
                row.failure = row.failure or status[:64]
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
                row.read_at = row.read_at or now  # a download is an opening too
                row.delivered_at = row.delivered_at or now  # opening proves arrival
                if row.status in ("sent", "delivered", "failed"):
                    row.status = "read"
                await records.add_event(session, doc, event, viewer,
                                        detail={"delivery_id": row.id})
                await audit.append(session, case_id=doc.case_id, actor=viewer.actor,
                                   action=f"delivery.{event}", detail={"doc": doc.code})
            return self._describe(doc, row)

    async def acknowledge(self, doc_code: str, viewer: Viewer) -> dict[str, Any]:
        """The recipient confirms receipt (签收); recorded once, on the latest attempt."""
        async with self.db.transaction() as session:
            doc = await records.load_doc(session, doc_code)
            viewer.require_case(doc.case_id, "delivery")
            row = await self._row(session, doc, viewer)
            if row is None:
                raise NotFound("no_delivery", DOCS["no_delivery"])
            if row.acknowledged_at is None:
                now = utcnow()
                row.acknowledged_at = now
                row.read_at = row.read_at or now
                row.delivered_at = row.delivered_at or now
                row.status = "acknowledged"
                await records.add_event(session, doc, "acknowledged", viewer,
                                        detail={"delivery_id": row.id})
                await audit.append(session, case_id=doc.case_id, actor=viewer.actor,
                                   action="delivery.acknowledged", detail={"doc": doc.code})
            return self._describe(doc, row)

    async def follow_up(self, now: datetime | None = None) -> dict[str, int]:
        """Remind recipients who have not opened a delivery after ``delivery_remind_days``;
        after ``delivery_paper_days`` hand it to staff as a paper-service task."""
        now = now or utcnow()
        remind_before = now - timedelta(days=self.settings.delivery_remind_days)
        paper_before = now - timedelta(days=self.settings.delivery_paper_days)
        async with self.db.read() as session:
            rows = list((await session.scalars(select(Delivery).where(
                Delivery.read_at.is_(None), Delivery.sent_at.is_not(None),
                Delivery.sent_at <= remind_before,
                Delivery.paper_task_at.is_(None)))).all())
        reminded = tasks = 0
        for row in rows:
            assert row.sent_at is not None
            if row.sent_at <= paper_before:
                await self._paper_task(row, now)
                tasks += 1
            elif row.reminded_at is None:
                reminded += await self._remind(row, now)
        return {"reminded": reminded, "paper_tasks": tasks}

    async def _remind(self, row: Delivery, now: datetime) -> int:
        async with self.db.read() as session:
            doc = await session.get(Document, row.document_id)
            assert doc is not None
            case = await session.get(Case, doc.case_id)
            consent = await session.get(ServiceConsent, row.consent_id) if row.consent_id else None
            to = await service_address.reach_for(
                session, consent.channel if consent else service_address.WECHAT, row.address,
                None)
        token = issue_token(self.settings.secret, purpose="delivery", case_id=doc.case_id,
                            party_id=row.party_id)
        url = records.page_url(self.settings.public_url, "delivery", doc.code, token)
        try:
            if to is None:
                raise NotSent(DOCS["no_wechat"])
            await self.notifier.send_link(
                to, "delivery", DOCS["remind_title"].format(title=doc.title),
                DOCS["remind_text"].format(case=case.code if case else ""), url,
                code=case.code if case else "")
        except NotSent:
            return 0  # tried again at the next run
        async with self.db.transaction() as session:
            fresh = await session.get(Delivery, row.id)
            assert fresh is not None
            fresh.reminded_at = fresh.reminded_at or now
            await records.add_event(session, doc, "reminded", None, actor="system",
                                    detail={"delivery_id": row.id}, at=now)
            await audit.append(session, case_id=doc.case_id, actor="system",
                               action="delivery.reminded",
                               detail={"doc": doc.code, "party_id": row.party_id})
        return 1

    async def _paper_task(self, row: Delivery, now: datetime) -> None:
        async with self.db.transaction() as session:
            fresh = await session.get(Delivery, row.id)
            doc = await session.get(Document, row.document_id)
            assert fresh is not None and doc is not None
            fresh.paper_task_at = now
            line = DOCS["paper_task"].format(name=fresh.recipient, title=doc.title,
                                             code=doc.code)
            task = await session.scalar(select(CaseTask).where(
                CaseTask.case_id == doc.case_id, CaseTask.department == DOCS["paper_dept"]))
            if task is None:
                session.add(CaseTask(case_id=doc.case_id, department=DOCS["paper_dept"],
                                     instruction=line, status="open",
                                     deadline_at=now + timedelta(days=3)))
            else:
                task.instruction = (task.instruction + "\n" + line).strip()
                task.status = "open"
            await records.add_event(session, doc, "paper_task", None, actor="system",
                                    detail={"delivery_id": row.id}, at=now)
            await audit.append(session, case_id=doc.case_id, actor="system",
                               action="delivery.paper_task",
                               detail={"doc": doc.code, "party_id": row.party_id})

    async def consents(self, case_id: int) -> list[ServiceConsent]:
        async with self.db.read() as session:
            return list((await session.scalars(select(ServiceConsent).where(
                ServiceConsent.case_id == case_id).order_by(ServiceConsent.id))).all())

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
            Delivery.document_id == doc.id, Delivery.party_id == viewer.party_id)
            .order_by(Delivery.id.desc()).limit(1))  # the latest attempt

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
                "acknowledged_at": iso(row.acknowledged_at), "attempt": row.attempt,
                "paper_requested_at": iso(row.paper_requested_at)},
        }
