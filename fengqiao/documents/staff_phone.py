"""Where a staff member's one-time code goes: the mediator's signature and the seal need a
second factor, so a staff signer without a known phone number cannot sign or seal."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from fengqiao.documents.viewer import Viewer
from fengqiao.storage.models import Mediator


async def staff_phone(session: Any, viewer: Viewer) -> str | None:
    """The phone the console knows for this staff member, else the mediator record's
    (linked by console username)."""
    if viewer.phone:
        return viewer.phone
    username = (viewer.staff_id or "").removeprefix("staff:")
    if not username:
        return None
    phone = await session.scalar(select(Mediator.phone).where(Mediator.username == username))
    return str(phone) if phone else None
