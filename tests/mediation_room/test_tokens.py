from datetime import UTC, datetime, timedelta

import pytest

from fengqiao.mediation_room import Role, build_join_link, issue_join_token
from fengqiao.mediation_room.tokens import TokenError, verify_join_token

SECRET = b"k" * 32
NOW = datetime(2026, 5, 1, 9, 0, tzinfo=UTC)


def token(role: Role = Role.PARTY_A, **kw: object) -> str:
    args = {
        "room_id": "r1",
        "case_id": "C1",
        "participant_id": "p1",
        "not_before": NOW - timedelta(minutes=30),
        "not_after": NOW + timedelta(hours=2),
    }
    args.update(kw)
    return issue_join_token(SECRET, role=role, **args)  # type: ignore[arg-type]


def test_round_trip_carries_case_room_role_and_participant() -> None:
    claims = verify_join_token(SECRET, token(Role.MEDIATOR), "r1", NOW)
    assert (claims.case_id, claims.role, claims.participant_id) == ("C1", Role.MEDIATOR, "p1")


@pytest.mark.parametrize(
    ("tok", "room", "now", "code"),
    [
        (token(), "r2", NOW, "wrong_room"),
        (token(), "r1", NOW - timedelta(hours=1), "too_early"),
        (token(), "r1", NOW + timedelta(hours=3), "expired"),
        ("garbage", "r1", NOW, "malformed"),
        (token(case_id="C2")[:-2] + "AA", "r1", NOW, "bad_signature"),
    ],
)
def test_rejects(tok: str, room: str, now: datetime, code: str) -> None:
    with pytest.raises(TokenError) as err:
        verify_join_token(SECRET, tok, room, now)
    assert err.value.code == code


def test_claims_cannot_be_swapped_between_tokens() -> None:
    body_b = token(Role.MEDIATOR).split(".")[0]
    forged = body_b + "." + token(Role.PARTY_A).split(".")[1]
    with pytest.raises(TokenError):
        verify_join_token(SECRET, forged, "r1", NOW)


def test_other_secret_is_rejected() -> None:
    with pytest.raises(TokenError):
        verify_join_token(b"other", token(), "r1", NOW)


def test_link_points_at_room_page() -> None:
    link = build_join_link("https://fq.example.cn/", "r1", "a.b")
    assert link == "https://fq.example.cn/h5/room/r1?t=a.b"
