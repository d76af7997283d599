"""Where a party can be served electronically (送达地址), and the words they agree to.

The party's WeChat, when the platform knows it. Otherwise the mobile phone the party proved
to hold by signing with a code sent to it (Civil Procedure Law art. 90 allows service by
mobile communication with the recipient's consent): a respondent entered by staff often has
no WeChat identity, and would otherwise never be served online. The phone's proof is a
keyed hash of the number in the signing event, so the event does not carry the number.

A 送达地址确认书 is the party's own statement of an address *they* control (Civil Procedure
Law art. 90: service to the system the recipient designates, with their consent). Through a
party link (``?t=``) the platform only knows who the link was sent to, not which WeChat
account — if any — opened it. So WeChat is offered and recorded only where the request
comes from WeChat: the mini-program (whose session names the openid) or a link opened in
WeChat's browser (user agent ``MicroMessenger``), where the wording "即打开本页面的微信账号"
is true. A link opened in another browser (an SMS'd case link) can consent only to the phone
the party proved by a signing code; with none, consent is refused (409 ``not_in_wechat``)
and the party is told to open the link in WeChat or sign first."""

from __future__ import annotations

import hashlib
import hmac
from typing import Any

from sqlalchemy import select

from fengqiao.cases.identity import Channel
from fengqiao.cases.reach import Reach
from fengqiao.documents import lookup
from fengqiao.documents.otp import mask_phone
from fengqiao.documents.texts import DOCS
from fengqiao.storage.models import CaseParty, Document, DocumentEvent, ServiceConsent

WECHAT, SMS = "wechat", "sms"


def phone_proof(secret: bytes, phone: str) -> str:
    return hmac.new(secret, f"signing-phone:{phone}".encode(), hashlib.sha256).hexdigest()


def proof_of_signing(secret: bytes, party_id: int | None, phone: str | None) -> str | None:
    """A party's signing code went to their phone: the proof lets them be served there."""
    return phone_proof(secret, phone) if party_id is not None and phone else None


def in_wechat(user_agent: str | None) -> bool:
    """The request comes from WeChat's browser or web-view (what a link opened there sends)."""
    return "micromessenger" in (user_agent or "").lower()


async def consent_text(session: Any, secret: bytes, case_id: int, party_id: int | None,
                       *, wechat: bool = True) -> str:
    """The service consent as this party would give it: by WeChat (only when ``wechat``: the
    request comes from WeChat), or by SMS to the phone they proved by signing."""
    party = await session.get(CaseParty, party_id) if party_id is not None else None
    found = (await address_of(session, secret, case_id, party, wechat=wechat)
             if party is not None else None)
    if found:
        return wording(*found)
    return DOCS["consent_text"] if wechat else DOCS["not_in_wechat"]


async def proved_phone(session: Any, secret: bytes, case_id: int, party: CaseParty) -> str | None:
    """The party's phone, if they signed a document of this case with a code sent to it."""
    if not party.phone:
        return None
    proof = phone_proof(secret, party.phone)
    events = await session.scalars(
        select(DocumentEvent.detail)
        .join(Document, Document.id == DocumentEvent.document_id)
        .where(Document.case_id == case_id, DocumentEvent.event == "signed",
               DocumentEvent.party_id == party.id)
    )
    if any(hmac.compare_digest(str((d or {}).get("phone_proof", "")), proof)
           for d in events.all()):
        return party.phone
    return None


async def address_of(session: Any, secret: bytes, case_id: int, party: CaseParty,
                     *, wechat: bool = True) -> tuple[str, str] | None:
    """(channel, address) at which the party can be served, or None; WeChat only when
    ``wechat`` (the consent is given from WeChat)."""
    openid = lookup.wechat_address(await lookup.party_reach(session, party)) if wechat else None
    if openid:
        return WECHAT, openid
    phone = await proved_phone(session, secret, case_id, party)
    return (SMS, phone) if phone else None


def wording(channel: str, address: str) -> str:
    """The consent the party reads and agrees to; its hash is stored with the consent."""
    if channel == SMS:
        return DOCS["consent_text_sms"].format(phone=mask_phone(address))
    return DOCS["consent_text"]


def shown(channel: str, address: str) -> str:
    if channel == SMS:
        return f"短信（{mask_phone(address)}）"
    return f"微信（{address[:4]}…{address[-4:]}）" if len(address) > 10 else "微信"


async def reach_for(session: Any, consent_channel: str, address: str, person_id: int | None
                    ) -> Reach | None:
    """How to send to a consented address: the phone itself for SMS, else the person behind
    the WeChat openid with their channels (each written to only through its own AppID)."""
    if consent_channel == SMS:
        return Reach(person_id, (Channel("phone", address, True),))
    return await lookup.reach_of_openid(session, address)


def consent_address(row: ServiceConsent) -> str:
    return shown(row.channel, row.address)
