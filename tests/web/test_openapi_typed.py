"""The OpenAPI description is enough to build a mini-program on: every answer a resident's or
party's client reads is typed (no bare object), downloads name their real media types, and
each operation names the credential it takes."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from fengqiao.app import create_app
from fengqiao.dialogs.session import STATES
from fengqiao.web.kit.openapi import build_spec
from tests.conftest import make_settings

PARTY_CREDENTIALS = {"miniProgram", "partyLink", "partyLinkHeader"}


@pytest.fixture(scope="module")
def spec(tmp_path_factory) -> dict[str, Any]:
    return build_spec(create_app(make_settings(tmp_path_factory.mktemp("spec"))))


def operations(spec: dict[str, Any]):
    for path, ops in spec["paths"].items():
        for method, op in ops.items():
            yield path, method, op


def read_by_residents(path: str, op: dict[str, Any]) -> bool:
    names = {name for requirement in op["security"] for name in requirement}
    return bool(names & PARTY_CREDENTIALS) or "x-credential" in op or path.startswith(
        ("/api/v1/intake", "/api/v1/auth", "/api/v1/me")
    )


def bare(node: Any, schemas: dict[str, Any], seen: set[str], where: str) -> list[str]:
    """Places in ``node`` (followed through $ref) typed only as "some object"."""
    if not isinstance(node, dict) or node.get("x-staff-only"):
        return []
    ref = node.get("$ref")
    if ref:
        name = ref.rsplit("/", 1)[1]
        if name in seen:
            return []
        seen.add(name)
        return bare(schemas[name], schemas, seen, name)
    found = []
    extra = node.get("additionalProperties")
    if node.get("type") == "object" and not node.get("properties") and not isinstance(extra, dict):
        found.append(where)
    for key, sub in (node.get("properties") or {}).items():
        found += bare(sub, schemas, seen, f"{where}.{key}")
    for key in ("items", "additionalProperties"):
        found += bare(node.get(key), schemas, seen, f"{where}[]")
    for key in ("anyOf", "oneOf", "allOf"):
        for sub in node.get(key) or []:
            found += bare(sub, schemas, seen, where)
    return found


def test_every_answer_a_resident_reads_is_typed(spec):
    schemas = spec["components"]["schemas"]
    untyped, checked = [], 0
    for path, method, op in operations(spec):
        if not read_by_residents(path, op):
            continue
        for status, answer in op["responses"].items():
            for media_type, content in (answer.get("content") or {}).items():
                if media_type == "application/json":
                    checked += 1
                    where = f"{method.upper()} {path} {status}"
                    untyped += bare(content["schema"], schemas, set(), where)
    assert checked > 40  # intake, auth, me, booking, documents, evidence, rooms
    assert sorted(set(untyped)) == []


def test_the_intake_answer_and_prompt_are_described(spec):
    schemas = spec["components"]["schemas"]
    turn = spec["paths"]["/api/v1/intake/messages"]["post"]
    assert turn["responses"]["200"]["content"]["application/json"]["schema"] == {
        "$ref": "#/components/schemas/Turn"
    }
    assert {"422", "429", "401"} <= set(turn["responses"])
    assert schemas["Prompt"]["properties"]["kind"]["enum"] == [
        "consent", "text", "choice", "phone", "amount", "date", "review", "done",
    ]
    assert set(schemas["IntakeMessage"]["properties"]) == {"text", "key", "value"}
    assert schemas["Turn"]["properties"]["state"]["enum"] == STATES  # the dialog's own


@pytest.mark.parametrize(
    ("path", "method", "types"),
    [
        ("/api/v1/documents/{doc}/pdf", "get", {"application/pdf"}),
        ("/api/v1/documents/{doc}/service-certificate", "get", {"application/pdf"}),
        ("/api/v1/documents/{doc}/judicial-package", "get", {"application/zip"}),
        ("/api/v1/evidence/{id}/thumbnail", "get", {"image/jpeg"}),
        ("/h5/room/{room_id}/recordings/{name}", "get", {"video/webm", "video/x-matroska"}),
    ],
)
def test_downloads_name_their_media_types(spec, path, method, types):
    content = spec["paths"][path][method]["responses"]["200"]["content"]
    assert set(content) == types
    assert all(c["schema"] == {"type": "string", "format": "binary"} for c in content.values())


def test_evidence_is_served_in_its_own_types(spec):
    for path in ("/api/v1/evidence/{id}/file", "/h5/room/{room_id}/evidence/{evidence_id}"):
        content = spec["paths"][path]["get"]["responses"]["200"]["content"]
        assert {"image/*", "audio/*", "video/*", "application/pdf"} <= set(content)
        assert "application/octet-stream" not in content


def test_each_operation_names_its_credential(spec):
    schemes = spec["components"]["securitySchemes"]
    assert schemes["console"] == {**schemes["console"], "in": "cookie", "name": "fq_session"}
    assert schemes["csrf"] == {**schemes["csrf"], "in": "header", "name": "X-CSRF-Token"}
    assert schemes["miniProgram"]["scheme"] == "bearer"
    assert (schemes["partyLink"]["in"], schemes["partyLinkHeader"]["in"]) == ("query", "header")
    paths = spec["paths"]
    for path, method, op in operations(spec):
        assert "security" in op, (method, path)
        names = {name for requirement in op["security"] for name in requirement}
        assert names <= set(schemes), (method, path)
        if op["x-permission"] == "public":
            assert op["security"] == [], (method, path)
        elif "x-credential" not in op:
            assert op["security"], (method, path)
    assert paths["/api/v1/intake/messages"]["post"]["security"] == [{"miniProgram": []}]
    assert paths["/api/v1/auth/wxa-login"]["post"]["security"] == []
    # A console write takes the session cookie and the CSRF header together.
    assert paths["/api/v1/documents/{doc}/seal"]["post"]["security"] == [
        {"console": [], "csrf": []}
    ]
    assert paths["/api/v1/booking/cases/{code}/bookings"]["get"]["security"] == [{"console": []}]
    sign = paths["/api/v1/documents/{doc}/sign"]["post"]["security"]
    assert {"partyLink": []} in sign and {"partyLinkHeader": []} in sign
    assert {"miniProgram": []} in sign
    # A booking link's token is its path: no other credential, and the parameter says so.
    party = paths["/api/v1/booking/party/{token}"]["get"]
    assert party["security"] == [] and party["x-credential"].startswith("partyLink")
    (token,) = [p for p in party["parameters"] if p["name"] == "token"]
    assert "令牌" in token["description"]


def test_two_models_of_one_name_are_refused(tmp_path: Path):
    from pydantic import BaseModel

    from fengqiao.web.kit.openapi import Spec

    class Twin(BaseModel):
        a: int

    first = Twin

    class Twin(BaseModel):  # type: ignore[no-redef]  # noqa: F811
        b: str

    found = Spec()
    found.schema(first)
    with pytest.raises(ValueError, match="Twin"):
        found.schema(Twin)
