"""Native intake in the mini-program: every answer carries a machine-readable prompt, and a
resident files with structured answers only (pickers, a date field, a phone field, a review
screen with edit buttons), through the real app and dialog."""

from __future__ import annotations

import json
import re
from collections.abc import AsyncIterator
from typing import Any

import pytest
from aiohttp.test_utils import TestClient

from fengqiao import keys
from fengqiao.cases import codes
from fengqiao.settings import Settings
from tests.bot.test_integration import _client
from tests.fakes.wechat_server import FakeWeChat

WAGES = "公司老板一直拖欠我的工资不发，多次讨要都没有结果，想申请调解"
CHINESE = re.compile(r"[\u4e00-\u9fff]")
ANSWERS: dict[str, Any] = {
    "other_party_name": "某某建筑公司",
    "other_party_phone": "13800001111",
    "when": "2026-03-05",
    "where": "城关镇幸福村",
    "amount": 15000,
    "wants": "要回欠款",
    "workers_count": "三个人",
    "applicant_name": "张三",
    "applicant_phone": "13912345678",
}


@pytest.fixture
async def app_client(settings: Settings, wechat_fake: FakeWeChat) -> AsyncIterator[TestClient]:
    client = await _client(settings, wechat_fake, "")
    yield client
    await client.close()


async def signed_in(client: TestClient, wechat_fake: FakeWeChat, openid: str) -> dict[str, str]:
    wechat_fake.js_codes[f"js-{openid}"] = openid
    resp = await client.post("/api/v1/auth/wxa-login", json={"code": f"js-{openid}"})
    return {"Authorization": f"Bearer {(await resp.json())['token']}"}


async def send(client: TestClient, headers: dict[str, str], body: dict[str, Any],
               status: int = 200) -> dict[str, Any]:
    resp = await client.post("/api/v1/intake/messages", json=body, headers=headers)
    found = await resp.json()
    assert resp.status == status, found
    return found


def refused(found: dict[str, Any], code: str) -> None:
    assert found["error"]["code"] == code
    assert CHINESE.search(found["error"]["message"]), found


async def test_a_resident_files_with_structured_answers_only(app_client, wechat_fake):
    headers = await signed_in(app_client, wechat_fake, "wxa-native-1")
    turn = await send(app_client, headers, {"key": "description", "value": WAGES})
    prompt = turn["prompt"]
    assert turn["state"] == "consent"
    assert prompt["kind"] == "consent" and prompt["key"] == "consent" and prompt["step"] == 1
    assert [o["value"] for o in prompt["options"]] == ["同意", "不同意"]

    turn = await send(app_client, headers, {"key": "consent", "value": True})
    prompt = turn["prompt"]
    assert prompt["key"] == "type" and prompt["kind"] == "choice"
    if turn["state"] == "confirm_type" and prompt["options"][0]["value"] != "labor":
        turn = await send(app_client, headers, {"key": "type", "value": "__other__"})
    turn = await send(app_client, headers, {"key": "type", "value": "labor"})
    assert turn["state"] == "asking", turn

    kinds, steps = [], []
    while turn["state"] == "asking":
        prompt = turn["prompt"]
        kinds.append(prompt["kind"])
        steps.append(prompt["step"])
        assert prompt["of"] == 3 + 10 + 2  # consent, description, type; 10 questions; review, done
        if prompt["kind"] == "choice":
            assert [o["value"] for o in prompt["options"]] == ["签了书面合同", "没签合同", "不清楚"]
            value: Any = prompt["options"][1]["value"]
        else:
            value = ANSWERS[prompt["key"]]
        assert prompt["optional"] is (prompt["key"] not in ("applicant_name", "applicant_phone"))
        turn = await send(app_client, headers, {"key": prompt["key"], "value": value})
    assert {"text", "choice", "phone", "amount", "date"} <= set(kinds)
    assert steps == sorted(steps) and len(set(steps)) == len(steps)

    prompt = turn["prompt"]
    assert turn["state"] == "review" and prompt["kind"] == "review"
    shown = {o["value"]: (o["label"], o["answer"]) for o in prompt["options"]}
    assert shown["type"] == ("纠纷类型", "劳动争议")
    assert shown["amount"][1] == "15,000元" and shown["when"][1] == "2026年3月5日"
    assert shown["employment_form"][1] == "没签合同"

    # An edit button on the review screen: the answer's key with the new value.
    turn = await send(app_client, headers, {"key": "amount", "value": 20000.5})
    assert turn["state"] == "review"
    edited = {o["value"]: o["answer"] for o in turn["prompt"]["options"]}
    assert edited["amount"] == "20,000.50元" and edited["when"] == "2026年3月5日"
    # An edit without a value opens the field (its own prompt), then the value follows.
    turn = await send(app_client, headers, {"key": "other_party_phone"})
    assert turn["state"] == "editing"
    assert (turn["prompt"]["key"], turn["prompt"]["kind"]) == ("other_party_phone", "phone")
    turn = await send(app_client, headers, {"key": "other_party_phone", "value": "0891-6321234"})
    assert turn["prompt"]["kind"] == "review"

    turn = await send(app_client, headers, {"key": "review", "value": "submit"})
    assert turn["state"] == "filed" and codes.is_valid(turn["case_code"])
    assert turn["prompt"]["kind"] == "done"
    assert turn["prompt"]["step"] == turn["prompt"]["of"]
    # The filing reply names where this resident follows the case: the mini-program.
    assert "小程序" in turn["reply"] and "公众号" not in turn["reply"]

    case = await app_client.server.app[keys.CASES].get(turn["case_code"])
    assert case.channel == "wxa" and case.type_code == "labor"
    assert case.answers["amount"] == 20000.5
    assert case.answers["when"] == "2026-03-05"
    assert case.answers["other_party_phone"] == "0891-6321234"
    assert case.answers["employment_form"] == "没签合同"


async def walk_to(client, headers, key: str) -> dict[str, Any]:
    """Structured answers until the dialog asks ``key``."""
    turn = await send(client, headers, {"key": "description", "value": WAGES})
    turn = await send(client, headers, {"key": "consent", "value": "同意"})
    turn = await send(client, headers, {"key": "type", "value": "labor"})
    while turn["prompt"]["key"] != key:
        prompt = turn["prompt"]
        value = prompt["options"][0]["value"] if prompt["kind"] == "choice" else ANSWERS[
            prompt["key"]]
        turn = await send(client, headers, {"key": prompt["key"], "value": value})
    return turn


@pytest.mark.parametrize(
    ("key", "body", "code"),
    [
        ("other_party_phone", {"key": "other_party_phone", "value": "打电话给他"}, "bad_value"),
        ("other_party_phone", {"key": "wants", "value": "要回欠款"}, "wrong_key"),
        ("other_party_phone", {"key": "other_party_phone"}, "value_required"),
        ("amount", {"key": "amount", "value": -5}, "bad_value"),
        ("amount", {"key": "amount", "value": 1e13}, "bad_value"),
        ("amount", {"key": "amount", "value": "很多钱"}, "bad_value"),
        ("when", {"key": "when", "value": "2026-02-30"}, "bad_value"),
        ("when", {"key": "when", "value": True}, "bad_value"),
        ("employment_form", {"key": "employment_form", "value": "口头约定"}, "bad_value"),
        ("applicant_phone", {"key": "applicant_phone", "value": None}, "bad_value"),
    ],
)
async def test_bad_structured_values_are_422_chinese_and_change_nothing(
    app_client, wechat_fake, key, body, code
):
    headers = await signed_in(app_client, wechat_fake, f"wxa-bad-{key}")
    await walk_to(app_client, headers, key)
    intake = app_client.server.app[keys.INTAKE]
    said = len((await intake.load("wxa", f"wxa-bad-{key}")).transcript)
    refused(await send(app_client, headers, body, status=422), code)
    session = await intake.load("wxa", f"wxa-bad-{key}")
    assert session.state == "asking" and session.current == key
    assert key not in session.answers and len(session.transcript) == said


@pytest.mark.parametrize(
    "raw",
    [
        b'{"key": "amount", "value": 1e400}',
        b'{"key": "amount", "value": 100000000000000000000000}',
        b'{"key": "amount", "value": NaN}',
        b'{"key": "amount", "value": [1]}',
        b'{"key": "Amount!", "value": 1}',
        b'{"text": "hi", "key": "amount"}',
        b'{"text": "hi", "value": 3}',
        b'{"value": 3}',
        b'{"key": "consent", "value": {"a": [1, 2]}}',
    ],
)
async def test_malformed_answers_and_out_of_range_numbers_are_400_chinese(
    app_client, wechat_fake, raw
):
    headers = await signed_in(app_client, wechat_fake, "wxa-malformed")
    resp = await app_client.post(
        "/api/v1/intake/messages", data=raw,
        headers={**headers, "Content-Type": "application/json"},
    )
    assert resp.status == 400
    error = (await resp.json())["error"]
    assert CHINESE.search(error["message"])
    # Probe report #18: "字段 value.bool … value.constrained-int" named pydantic's union
    # choices; the client's field is "value", named once.
    said = error["message"] + json.dumps(error.get("problems", []), ensure_ascii=False)
    assert not re.search(r"bool|constrained|int\b|float|str\b", said), said
    fields = [p["field"] for p in error.get("problems", [])]
    assert len(fields) == len(set(fields)), fields


async def test_a_typed_answer_gets_the_same_prompt_and_commands_still_work(app_client, wechat_fake):
    headers = await signed_in(app_client, wechat_fake, "wxa-typed")
    turn = await send(app_client, headers, {"text": "你好"})
    assert turn["state"] == "consent" and turn["prompt"]["kind"] == "consent"
    turn = await send(app_client, headers, {"text": "同意"})
    assert turn["prompt"] == {"key": "description", "kind": "text", "label": "事情经过",
                              "options": [], "optional": False, "step": 2, "of": turn[
                                  "prompt"]["of"]}
    # Typed, 取消 is a command; as a structured description it is only words (too short).
    refused(await send(app_client, headers, {"key": "description", "value": "取消"}, 422),
            "bad_value")
    turn = await send(app_client, headers, {"text": "取消"})
    assert turn["state"] == "start"


@pytest.mark.parametrize(
    ("method", "path", "body", "status"),
    [
        ("GET", "/api/v1/intake/nothing-here", None, 404),
        ("GET", "/api/v1/intake/messages", None, 405),
        ("POST", "/api/v1/intake/messages", b'{"text": "' + b"x" * 300_000 + b'"}', 413),
        ("POST", "/api/v1/intake/messages", b'{"text": "\\ud83d"}', 400),
        ("POST", "/api/v1/intake/messages", b'{"text": "\xff\xfe"}', 400),
        ("POST", "/api/v1/intake/messages", b"[]", 400),
        ("POST", "/api/v1/me/cases", None, 405),
    ],
)
async def test_every_error_a_mini_program_meets_is_chinese_json(
    app_client, wechat_fake, method, path, body, status
):
    headers = await signed_in(app_client, wechat_fake, "wxa-errors")
    resp = await app_client.request(
        method, path, data=body, headers={**headers, "Content-Type": "application/json"}
    )
    assert resp.status == status
    assert resp.content_type == "application/json"
    assert CHINESE.search((await resp.json())["error"]["message"])


async def test_a_non_name_is_refused_as_the_applicants_name(app_client, wechat_fake):
    headers = await signed_in(app_client, wechat_fake, "wxa-no-name")
    await walk_to(app_client, headers, "applicant_name")
    for value in ("不知道", "匿名"):
        found = await send(app_client, headers, {"key": "applicant_name", "value": value}, 422)
        refused(found, "bad_value")
        assert "王女士" in found["error"]["message"]
    turn = await send(app_client, headers, {"key": "applicant_name", "value": "王女士"})
    assert turn["prompt"]["key"] == "applicant_phone"
