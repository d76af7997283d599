"""Building blocks for the documents API tests: a case with two parties, staff sessions."""

from __future__ import annotations

import io
from dataclasses import dataclass
from typing import Any

from PIL import Image, ImageDraw
from sqlalchemy import select

from fengqiao import keys
from fengqiao.cases.service import NewCase, PartyInfo
from fengqiao.storage.models import Case, CaseParty, Person
from fengqiao.tokens import issue_token
from tests.web.sessions import staff_session

APPLICANT_PHONE = "13800000001"
RESPONDENT_PHONE = "13900000002"
ORGANISATION = "县劳动争议人民调解委员会"
SEALER_PHONE = "13600000009"


@dataclass
class CaseAtHand:
    code: str
    case_id: int
    applicant: int  # case_parties.id
    respondent: int


async def make_case(app: Any, *, suffix: str = "a", organisation: str = ORGANISATION
                    ) -> CaseAtHand:
    cases = app[keys.CASES]
    filed = await cases.file_case(NewCase(
        description="包工头刘某拖欠王建国工资共18000元。", channel="mp", actor="test",
        type_code="labor", type_name="劳动争议", risk="blue",
        applicant=PartyInfo(name="王建国", phone=APPLICANT_PHONE, openid=f"o-app-{suffix}",
                            channel="mp"),
        respondent=PartyInfo(name="刘某", phone=RESPONDENT_PHONE),
        answers={"wants": "结清工资"}))
    db = app[keys.DB]
    # The respondent follows the official account (one person with that channel).
    person_id = await app[keys.CASES].link("mp", f"o-resp-{suffix}")
    async with db.transaction() as session:
        parties = (await session.scalars(select(CaseParty).where(
            CaseParty.case_id == filed.id).order_by(CaseParty.id))).all()
        person = await session.get(Person, person_id)
        assert person is not None
        person.name = "刘某"
        parties[1].person_id = person.id
        ids = [p.id for p in parties]
        case = await session.get(Case, filed.id)
        assert case is not None
        case.organisation = organisation
    return CaseAtHand(filed.code, filed.id, ids[0], ids[1])


async def staff_headers(app: Any, username: str = "m1", name: str = "王调解", *,
                        role: str = "mediator", organisation: str | None = ORGANISATION
                        ) -> dict[str, str]:
    """A signed-in console user of ``role`` (a mediator of the case's organisation unless
    told otherwise): the session cookie and its CSRF token, as the console's pages send them."""
    return await staff_session(app, username, name, role=role, organisation=organisation)


async def sealer_headers(app: Any) -> dict[str, str]:
    return await staff_session(app, "yinzhang", "印章管理员", role="seal_keeper",
                               phone=SEALER_PHONE)


def party_token(app: Any, case: CaseAtHand, party_id: int, purpose: str = "sign") -> str:
    return issue_token(app[keys.SETTINGS].secret, purpose=purpose, case_id=case.case_id,
                       party_id=party_id)


def complete(data: dict[str, Any]) -> dict[str, Any]:
    """What the mediator fills in after the mediation."""
    parties = data["parties"]
    parties[0].update(id_number="110101199001011234", address="县城关镇锦绣家园1号")
    parties[1].update(id_number="330681198505052345", address="县城关镇二号")
    return {
        "parties": parties,
        "disputed_matters": "拖欠工资的数额和支付期限。",
        "responsibilities": {"王建国": "无", "刘某": "未按时支付工资，应承担支付责任。"},
        "obligations": [{
            "obligor": "刘某", "obligee": "王建国", "kind": "payment",
            "description": "拖欠工资", "amount": "18000", "method": "bank_transfer",
            "account": {"holder": "王建国", "bank": "中国农业银行城关支行",
                        "number": "6228480000000000001"},
            "deadline": "2099-12-31",
            "default_clause": "逾期未付的，王建国可就未付款项申请强制执行。",
        }],
        "signed_on": "2099-01-01",
    }


def drawn_png() -> bytes:
    img = Image.new("RGBA", (300, 100), (0, 0, 0, 0))
    ImageDraw.Draw(img).line([(10, 80), (80, 20), (150, 70), (290, 30)], fill="black",
                             width=6)
    out = io.BytesIO()
    img.save(out, "PNG")
    return out.getvalue()


def png_data_url() -> str:
    import base64

    return "data:image/png;base64," + base64.b64encode(drawn_png()).decode()


def jpeg_bytes() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (640, 480), "orange").save(out, "JPEG")
    return out.getvalue()
