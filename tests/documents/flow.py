"""A sealed agreement made through the HTTP API, for the tests that start after sealing."""

from __future__ import annotations

from typing import Any

from fengqiao import keys
from tests.web.docs_helpers import (
    APPLICANT_PHONE,
    RESPONDENT_PHONE,
    SEALER_PHONE,
    CaseAtHand,
    party_token,
    png_data_url,
    sealer_headers,
)
from tests.web.test_documents_flow import give_phone, issued, sign_as, staff_code

MEDIATOR_PHONE = "13700000003"


async def sealed_document(client: Any) -> tuple[CaseAtHand, str, dict[str, str], bytes]:
    app = client.app
    case, doc, staff = await issued(client)
    for party, phone in ((case.applicant, APPLICANT_PHONE), (case.respondent, RESPONDENT_PHONE)):
        await sign_as(client, doc, party_token(app, case, party), phone)
    await give_phone(app, "m1", MEDIATOR_PHONE)
    await client.get(f"/api/v1/documents/{doc}", headers=staff)
    code = await staff_code(client, doc, staff, MEDIATOR_PHONE)
    resp = await client.post(f"/api/v1/documents/{doc}/sign", headers=staff,
                             json={"code": code, "signature": png_data_url()})
    assert resp.status == 200, await resp.text()
    app[keys.DOCUMENTS].otp.resend_after = 0
    sealer = await sealer_headers(app)
    await client.get(f"/api/v1/documents/{doc}", headers=sealer)
    code = await staff_code(client, doc, sealer, SEALER_PHONE)
    resp = await client.post(f"/api/v1/documents/{doc}/seal", headers=sealer,
                             json={"code": code})
    assert resp.status == 200, await resp.text()
    pdf = await (await client.get(f"/api/v1/documents/{doc}/pdf", headers=staff)).read()
    return case, doc, staff, pdf
