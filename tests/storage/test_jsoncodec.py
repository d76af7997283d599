"""jsoncodec: the fast path and the fallbacks give what the standard library would."""

import json
from decimal import Decimal

from fengqiao.storage import jsoncodec


def test_a_session_round_trips():
    session = {"state": "asking", "answers": {"amount": 1200.5}, "transcript": [{"text": "欠薪"}]}
    raw = jsoncodec.dumps(session)
    assert b"\\u" not in raw  # Chinese as UTF-8, not escapes
    assert jsoncodec.loads(raw) == session


def test_values_the_fast_path_refuses_still_encode():
    # A resident can type an amount beyond 64 bits; keys may be numbers; odd types as text.
    value = {"big": 2**70, 3: "three", "price": Decimal("1.50")}
    assert json.loads(jsoncodec.dumps(value)) == {"big": 2**70, "3": "three", "price": "1.50"}
