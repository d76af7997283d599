"""The demo's finished agreement: drafted, signed by both parties and the mediator, sealed
and served, through the same service calls a real case makes (only the SMS codes are read
back from a development sender instead of a phone). The seal is applied by the demo's seal
keeper (`yinzhang`, 孙印章), not the mediator who drafted and signed: only the seal keeper
applies the seal, and the certificate and /h5/verify show the two duties apart."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from fengqiao.documents import lookup, records
from fengqiao.documents.otp import LogSmsSender
from fengqiao.documents.viewer import party_viewer, staff_viewer
from fengqiao.tokens import issue_token

MEDIATOR_PHONE = "13300000007"
# The demo's seal keeper account (fengqiao.cases.demo.DEMO_USERS): username, name, phone.
SEAL_KEEPER = ("yinzhang", "孙印章", "13800000023")
DEMO_TRAFFIC: dict[str, Any] = {
    "ids": ("110101198506061234", "110101197909093456"),
    "addresses": ("县城关镇幸福里3号", "县东城乡运输队宿舍2号"),
    "disputed_matters": "车辆维修费、误工费的数额和支付期限。",
    "responsibilities": {"陈志强": "无", "孙师傅": "倒车时未注意观察，负事故全部责任。"},
    "type_details": {"accident_place": "县城关镇建设路与人民路交叉口",
                     "liability": "孙师傅负全部责任，陈志强无责任"},
    "obligation": {
        "obligor": "孙师傅", "obligee": "陈志强", "kind": "payment",
        "description": "车辆维修费和误工费", "amount": "6800", "method": "bank_transfer",
        "account": {"holder": "陈志强", "bank": "中国工商银行城关支行",
                    "number": "6222020000000000002"},
        "default_clause": "逾期未付的，陈志强可就未付款项向人民法院申请强制执行。",
    },
}


async def build_sealed_agreement(services: Any, case_code: str, public_url: str
                                 ) -> dict[str, Any]:
    docs = services.documents
    agreements = docs.agreements
    mediator = staff_viewer("demo-sealer", "张调解", phone=MEDIATOR_PHONE)
    keeper_id, keeper_name, keeper_phone = SEAL_KEEPER
    seal_keeper = staff_viewer(keeper_id, keeper_name, phone=keeper_phone)
    codes = LogSmsSender()
    real_sender, docs.otp.sender = docs.otp.sender, codes  # codes read back, not texted
    try:
        draft = await agreements.draft(case_code, mediator)
        doc = draft["code"]
        if draft["status"] == "draft":
            data = draft["data"]
            for party, id_number, address in zip(data["parties"], DEMO_TRAFFIC["ids"],
                                                  DEMO_TRAFFIC["addresses"], strict=False):
                party.update(id_number=id_number, address=address)
            deadline = (date.today() + timedelta(days=20)).isoformat()
            await agreements.update_draft(doc, mediator, {
                "parties": data["parties"], "mediator_staff_id": "demo-sealer",
                "mediator": "张调解",
                "disputed_matters": DEMO_TRAFFIC["disputed_matters"],
                "responsibilities": DEMO_TRAFFIC["responsibilities"],
                "type_details": DEMO_TRAFFIC["type_details"],
                "obligations": [{**DEMO_TRAFFIC["obligation"], "deadline": deadline}]})
            await agreements.issue(doc, mediator)
        case_id = await docs.case_id_of_case(case_code)
        async with docs.db.read() as session:
            parties = {p.id: p for p in await lookup.case_parties(session, case_id)}
        summary = await agreements.summary(doc, mediator)
        docs.otp.resend_after = 0
        while summary["status"] == "signing":
            slot = next(s for s in summary["slots"] if s["field"] == summary["next"])
            if slot["role"] == "seal":
                await agreements.request_code(doc, seal_keeper)
                summary = await agreements.seal(
                    doc, seal_keeper, code=codes.last_code(keeper_phone) or "")
                continue
            if slot["role"] == "mediator":
                signer, phone = mediator, MEDIATOR_PHONE
            else:
                party = next(p for p in parties.values() if p.name == slot["name"])
                signer = party_viewer(case_id, party.id, party.name or "",
                                      frozenset({"sign"}))
                phone = party.phone or ""
            await agreements.summary(doc, signer)  # the signer opens the text first
            await agreements.request_code(doc, signer)
            summary = await agreements.sign(doc, signer, code=codes.last_code(phone) or "",
                                            signature_png=_handwriting(signer.name))
        for party in parties.values():
            viewer = party_viewer(case_id, party.id, party.name or "", frozenset({"delivery"}))
            consents = await docs.delivery.consents(case_id)
            if not any(c.party_id == party.id for c in consents):
                await docs.delivery.consent(case_code, viewer)  # the demo party's WeChat
        _, attempts = await docs.delivery.deliveries(doc)
        if not attempts:
            await docs.delivery.deliver(doc, mediator)
        # A party's own link opens the PDF without a console login.
        link = next(iter((await agreements.links(doc, mediator)).values()))
    finally:
        docs.otp.sender = real_sender
    base = public_url.rstrip("/")
    token = link.split("?t=", 1)[1]
    # What each party's WeChat message opens. The service log leaves the token out of links
    # (docs/security.md), so a newcomer could not otherwise open a delivery as the party.
    secret = docs.delivery.settings.secret
    delivery_urls = {
        p.name or str(p.id): records.page_url(public_url, "delivery", doc, issue_token(
            secret, purpose="delivery", case_id=case_id, party_id=p.id))
        for p in parties.values()}
    return {"code": doc, "pdf_url": f"{base}/api/v1/documents/{doc}/pdf?t={token}",
            "verify_url": f"{base}/h5/verify?code={doc}", "status": summary["status"],
            "delivery_urls": delivery_urls}


def _handwriting(name: str) -> bytes:
    """A drawn signature image for the demo signers."""
    import io

    from PIL import Image, ImageDraw

    from fengqiao.documents.pdf_layout import find_cjk_font

    path, index = find_cjk_font()
    from PIL import ImageFont

    img = Image.new("RGBA", (480, 160), (0, 0, 0, 0))
    font = ImageFont.truetype(path, size=96, index=index)
    ImageDraw.Draw(img).text((24, 20), name, font=font, fill=(20, 20, 60, 255))
    out = io.BytesIO()
    img.save(out, "PNG")
    return out.getvalue()
