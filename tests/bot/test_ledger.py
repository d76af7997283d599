"""The once-only ledger's hand-over rules: exactly one delivery answers a message."""

from __future__ import annotations

import asyncio

from fengqiao.bot.ledger import MessageLedger, Outcome
from fengqiao.storage.kv import LocalStore


async def test_a_passive_reply_is_handed_out_or_taken_back_never_both():
    ledger = MessageLedger(LocalStore(None), prefix="t")
    assert await ledger.claim("msg:1")
    version = await ledger.finish("msg:1", Outcome("好的", deferred=False))
    assert version
    seen = await ledger.wait("msg:1", 0)
    # A repeat on a live connection and the first delivery (its connection gone) race.
    handed, taken = await asyncio.gather(
        ledger.hand_out("msg:1", seen), ledger.take_back("msg:1", version)
    )
    assert (handed is not None) != taken
    after = await ledger.wait("msg:1", 0)
    assert after.deferred is taken


async def test_a_claim_taken_over_cannot_be_finished_by_its_first_holder():
    kv = LocalStore(None)
    first = MessageLedger(kv, prefix="t")
    assert await first.claim("msg:2")
    await kv.set("t:msg:2", b"pending:someone-else", ttl=5)  # lapsed and re-claimed
    assert await first.finish("msg:2", Outcome("好的", deferred=False)) is None
