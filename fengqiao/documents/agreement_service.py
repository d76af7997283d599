"""The agreement on a case: draft from the case, edit, issue as a PDF with signature fields,
sign in order (parties, mediator) after a one-time code, seal last.

The order is checked twice: against the slots table (the clear answer for the person) and
by ``signing.check_turn`` against the signatures in the PDF itself. Each signing writes a
new version of the file; the row moves to it only if no one else moved it first.
"""

from __future__ import annotations

import asyncio
import copy
import dataclasses
import hashlib
import logging
from pathlib import Path
from typing import Any

from pyhanko.sign.general import SigningError
from pyhanko.sign.timestamps.common_utils import TimestampRequestError
from sqlalchemy import select

from fengqiao.cases import audit
from fengqiao.cases.reach import Reach
from fengqiao.documents import lookup, records, service_address
from fengqiao.documents.agreement import build_agreement_pdf, new_doc_code, render_agreement_text
from fengqiao.documents.agreement_model import (
    AgreementData,
    Instalment,
    Obligation,
    Party,
    PayeeAccount,
    validate_agreement,
)
from fengqiao.documents.errors import BadCode, Conflict, Forbidden, Invalid, TooMany
from fengqiao.documents.facts import proposed_facts
from fengqiao.documents.judicial import deadline_text, judicial_deadline
from fengqiao.documents.ltv import Timestamping, add_long_term_data
from fengqiao.documents.notify import Notifier, NotSent
from fengqiao.documents.otp import OtpError, OtpService, mask_phone
from fengqiao.documents.pki import PlatformCA, SignerIdentity
from fengqiao.documents.signing import ExpectedSigner, SigningRefused, sign_field
from fengqiao.documents.staff_phone import staff_phone
from fengqiao.documents.texts import AGREEMENT, DOCS
from fengqiao.documents.viewer import Viewer
from fengqiao.settings import Settings
from fengqiao.storage.db import Database
from fengqiao.storage.files import FileStore
from fengqiao.storage.models import Case, CaseParty, Document, DocumentSlot, utcnow
from fengqiao.tokens import issue_token

log = logging.getLogger(__name__)
ROLE_NAMES = {"applicant": "申请人", "respondent": "被申请人"}
_FIELDS = {cls: {f.name for f in dataclasses.fields(cls)}
           for cls in (Party, PayeeAccount, Obligation, Instalment)}


def to_agreement(raw: dict[str, Any]) -> tuple[AgreementData | None, list[dict[str, str]]]:
    """The stored draft as AgreementData with signer keys, plus every problem with it."""
    clean = copy.deepcopy(raw)
    problems: list[dict[str, str]] = []
    parties = []
    for n, p in enumerate(clean.get("parties") or []):
        p = {k: v for k, v in dict(p).items() if k in _FIELDS[Party] or k == "party_id"}
        pid = p.pop("party_id", None)
        p["signer_key"] = f"party:{pid}" if pid else ""
        if not pid:
            problems.append({"where": f"parties[{n}].party_id",
                             "message": DOCS["unlinked_party"].format(name=p.get("name", ""))})
        parties.append(p)
    clean["parties"] = parties
    staff_id = clean.pop("mediator_staff_id", None)
    clean["mediator_key"] = f"staff:{staff_id}" if staff_id else ""
    for ob in clean.get("obligations") or []:
        if isinstance(ob.get("account"), dict):
            ob["account"] = {k: v for k, v in ob["account"].items() if k in _FIELDS[PayeeAccount]}
        for k in [k for k in ob if k not in _FIELDS[Obligation]]:
            ob.pop(k)
    try:
        data = AgreementData.from_dict(clean)
    except (TypeError, KeyError, ValueError, AttributeError) as exc:
        return None, [{"where": "", "message": f"{AGREEMENT['invalid']}{exc}"}]
    problems += [{"where": p.where, "message": p.message} for p in validate_agreement(data)]
    return data, problems


class AgreementService:
    def __init__(self, db: Database, files: FileStore, kv: Any, ca: PlatformCA,
                 otp: OtpService, notifier: Notifier, settings: Settings,
                 timestamping: Timestamping) -> None:
        self.db, self.files, self.kv, self.ca = db, files, kv, ca
        self.otp, self.notifier, self.settings = otp, notifier, settings
        self.template_dir = Path(settings.config_dir) / "agreements"
        self.timestamping = timestamping

    # --- drafting ----------------------------------------------------------------------
    async def draft(self, case_code: str, staff: Viewer) -> dict[str, Any]:
        """The case's agreement draft, made from the case the first time."""
        staff.require_staff()
        async with self.db.transaction() as session:
            case = await lookup.case_by_code(session, case_code)
            existing = await session.scalar(
                select(Document).where(Document.case_id == case.id,
                                       Document.kind == "agreement",
                                       Document.status != "void").order_by(Document.id.desc()))
            if existing is not None:
                return await self._summary(session, existing, staff)
            parties = await lookup.case_parties(session, case.id)
            doc = Document(case_id=case.id, code=new_doc_code(case.code), kind="agreement",
                           status="draft", title=AGREEMENT["title"],
                           data=self._initial(case, parties, staff), created_by=staff.actor)
            session.add(doc)
            await session.flush()
            await audit.append(session, case_id=case.id, actor=staff.actor,
                               action="agreement.drafted", detail={"doc": doc.code})
            return await self._summary(session, doc, staff)

    def _initial(self, case: Case, parties: list[CaseParty], staff: Viewer) -> dict[str, Any]:
        wants = str((case.answers or {}).get("wants", "")).strip()
        return {
            "dispute_type": case.type_code, "case_code": case.code,
            "parties": [{"party_id": p.id, "name": p.name or "", "role": ROLE_NAMES[p.role],
                         "id_number": "", "address": "", "phone": p.phone or ""}
                        for p in parties if p.role in ROLE_NAMES],
            "facts": proposed_facts(case, parties),
            "disputed_matters": f"申请人请求：{wants}。" if wants else "",
            "responsibilities": {}, "obligations": [], "other_terms": [], "type_details": {},
            "mediator": staff.name, "mediator_staff_id": staff.staff_id,
            "committee": self.settings.centre_name, "place": "",
            "signed_on": utcnow().astimezone(lookup_tz()).date().isoformat(),
        }

    async def update_draft(self, doc_code: str, staff: Viewer, data: dict[str, Any]
                           ) -> dict[str, Any]:
        staff.require_staff()
        if not isinstance(data, dict):
            raise Invalid("bad_data", AGREEMENT["invalid"])
        async with self.db.transaction() as session:
            doc = await records.load_doc(session, doc_code)
            if doc.status != "draft":
                raise Conflict("not_draft", DOCS["not_draft"])
            case = await session.get(Case, doc.case_id)
            assert case is not None
            own = {p.id for p in await lookup.case_parties(session, case.id)}
            merged = {**doc.data, **data, "case_code": case.code}
            for p in merged.get("parties") or []:
                if isinstance(p, dict) and p.get("party_id") not in own:
                    p["party_id"] = None  # only this case's parties can be linked
            doc.data = merged
            doc.updated_at = utcnow()
            await audit.append(session, case_id=case.id, actor=staff.actor,
                               action="agreement.edited", detail={"doc": doc.code})
            return await self._summary(session, doc, staff)

    # --- reading -----------------------------------------------------------------------
    async def summary(self, doc_code: str, viewer: Viewer) -> dict[str, Any]:
        """The document as a signer sees it. Opening the issued text is recorded (with the
        text's hash) the first time for each signer: signing requires it."""
        async with self.db.transaction() as session:
            doc = await records.load_doc(session, doc_code)
            viewer.require_case(doc.case_id, "sign", "delivery")
            if doc.status != "draft" and (not viewer.is_staff or records.slot_of(
                    viewer, await records.slots_of(session, doc.id)) is not None):
                if not await records.has_opened(session, doc, viewer):
                    await records.add_event(session, doc, "opened", viewer, detail={
                        "text_sha256": doc.original_sha256, "by": viewer.actor})
                    await audit.append(session, case_id=doc.case_id, actor=viewer.actor,
                                       action="agreement.opened",
                                       detail={"doc": doc.code, "sha256": doc.original_sha256})
            return await self._summary(session, doc, viewer)

    async def _summary(self, session: Any, doc: Document, viewer: Viewer) -> dict[str, Any]:
        case = await session.get(Case, doc.case_id)
        slots = await records.slots_of(session, doc.id)
        data, problems = to_agreement(doc.data)
        text = None
        if data is not None and not problems:
            text = await asyncio.to_thread(render_agreement_text, data, self.template_dir)
        mine = records.slot_of(viewer, slots)
        turn = records.next_slot(slots) if doc.status == "signing" else None
        base = self.settings.public_url.rstrip("/")
        body: dict[str, Any] = {
            "code": doc.code, "case_code": case.code if case else "", "kind": doc.kind,
            "title": doc.title, "status": doc.status,
            "status_name": records.STATUS_NAMES.get(doc.status, doc.status),
            "sha256": doc.sha256, "text": text,
            "problems": problems if viewer.is_staff else [],
            "slots": [{"field": s.field_name, "role": s.role, "label": s.label,
                       "name": s.name, "signed": s.signed_at is not None,
                       "signed_at": s.signed_at.isoformat() if s.signed_at else None}
                      for s in slots],
            "next": turn.field_name if turn else None,
            "mine": mine.field_name if mine else None,
            "my_turn": bool(mine and turn and mine.id == turn.id),
            "issued_at": doc.issued_at.isoformat() if doc.issued_at else None,
            "sealed_at": doc.sealed_at.isoformat() if doc.sealed_at else None,
            "judicial_deadline_at": (doc.judicial_deadline_at.isoformat()
                                     if doc.judicial_deadline_at else None),
            "judicial_deadline_text": (deadline_text(doc.judicial_deadline_at)
                                       if doc.judicial_deadline_at else None),
            "pdf_url": f"/api/v1/documents/{doc.code}/pdf" if doc.file_key else None,
            "verify_url": f"{base}/h5/verify?code={doc.code}",
            "privacy_notice": DOCS["privacy_notice"],
            "consent_text": await service_address.consent_text(
                session, self.settings.secret, doc.case_id, viewer.party_id,
                wechat=viewer.from_wechat),
        }
        if viewer.is_staff:
            body["data"] = doc.data
        return body

    async def pdf(self, doc_code: str, viewer: Viewer, purpose: str = "sign") -> bytes:
        async with self.db.read() as session:
            doc = await records.load_doc(session, doc_code)
        viewer.require_case(doc.case_id, purpose)
        if not doc.file_key:
            raise Conflict("not_signing", DOCS["not_signing"])
        return await self.files.get(doc.file_key)

    def link(self, doc: Document, party_id: int, purpose: str = "sign") -> str:
        token = issue_token(self.settings.secret, purpose=purpose, case_id=doc.case_id,
                            party_id=party_id)
        page = "sign" if purpose == "sign" else "delivery"
        return records.page_url(self.settings.public_url, page, doc.code, token)

    async def links(self, doc_code: str, staff: Viewer) -> dict[str, str]:
        """Per-party signing (and preview) links, for the mediator to share by hand too."""
        staff.require_staff()
        async with self.db.read() as session:
            doc = await records.load_doc(session, doc_code)
            parties = await lookup.case_parties(session, doc.case_id)
        return {str(p.id): self.link(doc, p.id) for p in parties if p.role in ROLE_NAMES}

    # --- issuing -----------------------------------------------------------------------
    async def issue(self, doc_code: str, staff: Viewer) -> dict[str, Any]:
        """Freeze the draft into a PDF with empty signature fields and send signing links."""
        staff.require_staff()
        async with self.db.read() as session:
            doc = await records.load_doc(session, doc_code)
        if doc.status != "draft":
            raise Conflict("not_draft", DOCS["not_draft"])
        data, problems = to_agreement(doc.data)
        if data is None or problems:
            raise Invalid("agreement_incomplete", AGREEMENT["invalid"].rstrip("："),
                          problems=problems)
        built = await asyncio.to_thread(
            build_agreement_pdf, data, doc_code=doc.code, public_url=self.settings.public_url,
            template_dir=self.template_dir, font_path=self.settings.cjk_font or None)
        key = f"documents/{doc.case_id}/{doc.code}/v0.pdf"
        await self.files.put(key, built.pdf)
        now = utcnow()
        sends: list[tuple[Reach, int]] = []
        async with self.db.transaction() as session:
            doc = await records.load_doc(session, doc_code)
            if doc.status != "draft":
                raise Conflict("not_draft", DOCS["not_draft"])
            for position, slot in enumerate(built.slots):
                party_id = (int(slot.signer_key.split(":", 1)[1])
                            if slot.role == "party" else None)
                name = next((p.name for p in data.parties if p.signer_key == slot.signer_key),
                            data.mediator if slot.role == "mediator" else data.committee)
                session.add(DocumentSlot(document_id=doc.id, position=position,
                                         field_name=slot.field_name, role=slot.role,
                                         signer_key=slot.signer_key, party_id=party_id,
                                         name=name, label=slot.label))
            doc.status, doc.file_key, doc.issued_at = "signing", key, now
            doc.sha256 = doc.original_sha256 = built.sha256
            await records.add_event(session, doc, "issued", staff, actor=staff.name)
            await audit.append(session, case_id=doc.case_id, actor=staff.actor,
                               action="agreement.issued",
                               detail={"doc": doc.code, "sha256": built.sha256})
            for party in await lookup.case_parties(session, doc.case_id):
                to = await lookup.party_reach(session, party)
                if to and any(p.signer_key == f"party:{party.id}" for p in data.parties):
                    sends.append((to, party.id))
            case = await session.get(Case, doc.case_id)
        await self._send_sign_links(doc, case.code if case else "", sends)
        return await self.links(doc_code, staff)

    async def resend(self, doc_code: str, staff: Viewer) -> int:
        """Send the signing links again to the parties who have not signed yet."""
        staff.require_staff()
        async with self.db.read() as session:
            doc = await records.load_doc(session, doc_code)
            if doc.status != "signing":
                raise Conflict("not_signing", DOCS["not_signing"])
            waiting = {s.party_id for s in await records.slots_of(session, doc.id)
                       if s.party_id is not None and s.signed_at is None}
            sends = [(to, p.id) for p in await lookup.case_parties(session, doc.case_id)
                     if p.id in waiting and (to := await lookup.party_reach(session, p))]
            case = await session.get(Case, doc.case_id)
        await self._send_sign_links(doc, case.code if case else "", sends)
        return len(sends)

    async def _send_sign_links(self, doc: Document, case_code: str,
                               sends: list[tuple[Reach, int]]) -> None:
        for to, party_id in sends:
            event = "sent"
            detail: dict[str, object] = {"party_id": party_id}
            try:
                detail["message_id"] = await self.notifier.send_link(
                    to, "signing", DOCS["sign_title"], DOCS["sign_text"].format(case=case_code),
                    self.link(doc, party_id), code=case_code)
            except NotSent as exc:
                # The link stays valid: staff can send it again or hand it over another way.
                event, detail["error"] = "send_failed", str(exc)[:200]
            async with self.db.transaction() as session:
                row = await records.load_doc(session, doc.code)
                await records.add_event(session, row, event, None, actor="system", detail=detail)

    # --- signing -----------------------------------------------------------------------
    async def request_code(self, doc_code: str, viewer: Viewer) -> dict[str, Any]:
        """Send the signer's one-time code: a party's, the mediator's, or (staff, when the
        seal is next) the code of the person applying the seal."""
        async with self.db.read() as session:
            doc = await records.load_doc(session, doc_code)
            viewer.require_case(doc.case_id, "sign")
            slots = await records.slots_of(session, doc.id)
            turn = records.next_slot(slots) if doc.status == "signing" else None
            if viewer.is_staff and turn is not None and turn.role == "seal":
                slot = turn
            else:
                slot = self._my_turn(doc, slots, viewer)
            phone = await self._phone(session, slot, viewer)
        try:
            await self.otp.send(self._purpose(doc, slot), phone, scope=doc.code)
        except OtpError as exc:
            if exc.code in ("too_soon", "rate_limited"):
                raise TooMany(exc.code, exc.message) from None
            if exc.code == "not_sent":
                raise Conflict(exc.code, exc.message) from None
            raise Invalid(exc.code, exc.message) from None
        return {"required": True, "phone": mask_phone(phone)}

    async def sign(self, doc_code: str, viewer: Viewer, *, code: str, signature_png: bytes,
                   field: str | None = None) -> dict[str, Any]:
        if not signature_png:
            raise Invalid("signature_missing", DOCS["signature_missing"])
        try:
            async with self.kv.lock(f"doc-sign:{doc_code}", ttl=120, wait=20):
                return await self._sign_locked(doc_code, viewer, code, signature_png, field)
        except TimeoutError:
            raise Conflict("busy", DOCS["busy"]) from None

    async def _sign_locked(self, doc_code: str, viewer: Viewer, code: str, png: bytes,
                           field: str | None) -> dict[str, Any]:
        async with self.db.read() as session:
            doc = await records.load_doc(session, doc_code)
            viewer.require_case(doc.case_id, "sign")
            slots = await records.slots_of(session, doc.id)
            mine = records.slot_of(viewer, slots)
            if field and (mine is None or mine.field_name != field):
                raise Forbidden("wrong_signer", DOCS["wrong_signer"])
            slot = self._my_turn(doc, slots, viewer)
            if not await records.has_opened(session, doc, viewer):
                raise Conflict("not_opened", DOCS["not_opened"])
            phone = await self._phone(session, slot, viewer)
            data, _ = to_agreement(doc.data)
        assert data is not None
        await self._check_code(doc, slot, viewer, phone, code)
        party = next((p for p in data.parties if p.signer_key == slot.signer_key), None)
        identity = SignerIdentity(
            name=party.name if party else slot.name, signer_key=slot.signer_key,
            role=slot.role, id_number=party.id_number if party else "",
            organisation="" if party else data.committee)
        return await self._apply(doc, slots, slot, viewer, identity, png, "signed",
                                 phone_proof=service_address.proof_of_signing(
                                     self.settings.secret, viewer.party_id, phone))

    async def seal(self, doc_code: str, staff: Viewer, *, code: str = "") -> dict[str, Any]:
        """The committee's seal, last; it locks the document. Starts the 30-day clock.

        Applied by a natural person (the edge checks the seal permission) who confirms it
        with a one-time code; the seal's certificate and the audit certificate name them.
        """
        staff.require_staff()
        try:
            async with self.kv.lock(f"doc-sign:{doc_code}", ttl=120, wait=20):
                async with self.db.read() as session:
                    doc = await records.load_doc(session, doc_code)
                    slots = await records.slots_of(session, doc.id)
                    phone = await staff_phone(session, staff)
                if doc.status != "signing":
                    raise Conflict("not_signing", DOCS["not_signing"])
                slot = records.next_slot(slots)
                if slot is None or slot.role != "seal":
                    expected = slot.label if slot else ""
                    raise Conflict("not_your_turn",
                                   DOCS["not_your_turn"].format(expected=expected))
                if phone is None:
                    raise Conflict("no_phone_staff", DOCS["no_phone_staff"])
                await self._check_code(doc, slot, staff, phone, code)
                identity = SignerIdentity(name=slot.name, signer_key=slot.signer_key,
                                          role="seal", organisation=slot.name,
                                          operator=staff.name)
                return await self._apply(doc, slots, slot, staff, identity, None, "sealed")
        except TimeoutError:
            raise Conflict("busy", DOCS["busy"]) from None

    async def _apply(self, doc: Document, slots: list[DocumentSlot], slot: DocumentSlot,
                     viewer: Viewer, identity: SignerIdentity, png: bytes | None,
                     event: str, *, phone_proof: str | None = None) -> dict[str, Any]:
        assert doc.file_key and doc.sha256
        current = await self.files.get(doc.file_key)
        if hashlib.sha256(current).hexdigest() != doc.sha256:
            raise Conflict("file_changed", DOCS["file_changed"])
        expected = [ExpectedSigner(s.field_name, s.signer_key, s.label) for s in slots]
        try:
            signed = await sign_field(current, field_name=slot.field_name, identity=identity,
                                      ca=self.ca, expected=expected, signature_png=png,
                                      timestamper=self.timestamping.stamper)
            # PAdES B-LT for every signature; the seal also gets the document timestamp.
            signed = await add_long_term_data(signed, self.ca, self.timestamping,
                                              archive=event == "sealed")
        except SigningRefused as exc:
            if exc.code in ("bad_image", "blank_signature"):
                raise Invalid(exc.code, exc.message) from None
            raise Conflict(exc.code, exc.message) from None
        except (TimestampRequestError, SigningError) as exc:
            # A licensed TSA or CA's revocation service out of reach: nothing was stored.
            log.warning("signing %s stopped: %s", doc.code, type(exc).__name__)
            raise Conflict("trust_service_down", DOCS["trust_service_down"]) from None
        digest = hashlib.sha256(signed).hexdigest()
        key = f"documents/{doc.case_id}/{doc.code}/v{slot.position + 1}.pdf"
        await self.files.put(key, signed)
        now = utcnow()
        async with self.db.transaction() as session:
            row = await records.load_doc(session, doc.code)
            if row.sha256 != doc.sha256:  # someone else signed in between
                raise Conflict("file_changed", DOCS["file_changed"])
            db_slot = await session.get(DocumentSlot, slot.id)
            assert db_slot is not None
            db_slot.signed_at, db_slot.signed_sha256 = now, digest
            row.file_key, row.sha256, row.updated_at = key, digest, now
            detail: dict[str, Any] = {"doc": row.code, "field": slot.field_name,
                                      "sha256": digest}
            if event == "sealed":
                row.status, row.sealed_at = "sealed", now
                row.judicial_deadline_at = judicial_deadline(now)  # 24:00 of the 30th day
                detail["judicial_deadline"] = row.judicial_deadline_at.isoformat()
            await records.add_event(session, row, event, viewer, doc_sha256=digest,
                                    actor=(f"{identity.name}（用印人：{identity.operator}）"
                                           if identity.operator else identity.name),
                                    detail={"field": slot.field_name, "role": slot.role,
                                            "operator": identity.operator,
                                            "operator_id": viewer.actor,
                                            **({"phone_proof": phone_proof}
                                               if phone_proof else {})})
            await audit.append(session, case_id=row.case_id, actor=viewer.actor,
                               action=f"agreement.{event}", detail=detail)
            return await self._summary(session, row, viewer)

    def _my_turn(self, doc: Document, slots: list[DocumentSlot], viewer: Viewer
                 ) -> DocumentSlot:
        if doc.status != "signing":
            raise Conflict("not_signing", DOCS["not_signing"])
        mine = records.slot_of(viewer, slots)
        if mine is None:
            raise Forbidden("no_slot", DOCS["no_slot"])
        if mine.signed_at is not None:
            raise Conflict("already_signed", DOCS["already_signed"])
        turn = records.next_slot(slots)
        if turn is None or turn.id != mine.id:
            raise Conflict("not_your_turn",
                           DOCS["not_your_turn"].format(expected=turn.label if turn else ""))
        return mine

    async def _check_code(self, doc: Document, slot: DocumentSlot, viewer: Viewer,
                          phone: str, code: str) -> None:
        try:
            await self.otp.verify(self._purpose(doc, slot), phone, code or "")
        except OtpError as exc:
            raise BadCode(exc.code, exc.message) from None
        method = "console_login+sms" if viewer.is_staff else "wechat_link+sms"
        async with self.db.transaction() as session:
            await records.add_event(session, doc, "identity_confirmed", viewer, detail={
                "method": method, "phone": mask_phone(phone), "field": slot.field_name})

    async def _phone(self, session: Any, slot: DocumentSlot, viewer: Viewer) -> str:
        """Where the one-time code goes. Every signer needs one: parties, the mediator and
        the person applying the seal (second factor on top of the console login)."""
        if viewer.is_staff:
            phone = await staff_phone(session, viewer)
            if phone is None:
                raise Conflict("no_phone_staff", DOCS["no_phone_staff"])
            return phone
        party = await session.get(CaseParty, slot.party_id) if slot.party_id else None
        if party is None or not party.phone:
            raise Conflict("no_phone", DOCS["no_phone"])
        return party.phone

    @staticmethod
    def _purpose(doc: Document, slot: DocumentSlot) -> str:
        return f"sign:{doc.code}:{slot.field_name}"


def lookup_tz() -> Any:
    from zoneinfo import ZoneInfo

    return ZoneInfo("Asia/Shanghai")
