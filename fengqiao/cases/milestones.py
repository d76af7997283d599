"""Where a case stands beyond its status: the steps of mediation itself (a time offered and
agreed, the video session, the agreement issued and sealed, service and receipt), read from
the case's audit log, which every service already writes in the same transaction as the
change. A case stays 受理/处置 while these happen; without them a resident's progress would
not move after a booking is confirmed or an agreement sealed. No personal data."""

from __future__ import annotations

from typing import NamedTuple


class Milestone(NamedTuple):
    key: str
    name: str
    description: str


_OFFERED = Milestone("booking_offered", "预约调解", "已为您安排调解员，请选择或确认调解时间")
# Audit action -> the step a resident reads. The first entry of each step counts.
BY_ACTION: dict[str, Milestone] = {
    "booking.proposed": _OFFERED,
    "booking.booked": _OFFERED,
    "booking.confirmed": Milestone("booking_confirmed", "已约定调解时间", "各方已确认调解时间"),
    "room.joined": Milestone("room_session", "视频调解", "调解员已在视频调解室主持调解"),
    "booking.completed": Milestone("mediated", "调解结束", "调解员已记录调解结果"),
    "agreement.issued": Milestone("agreement_issued", "协议待签署", "调解协议已发出，等待各方签署"),
    "agreement.sealed": Milestone(
        "agreement_sealed", "协议已生效", "各方已签署，调解组织已加盖印章"
    ),
    "delivery.sent": Milestone("delivered", "文书已送达", "调解协议书已电子送达"),
    "delivery.acknowledged": Milestone("acknowledged", "已签收", "当事人已签收送达的文书"),
}
ACTIONS = tuple(BY_ACTION)
