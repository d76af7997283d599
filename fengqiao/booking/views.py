"""Bookings as the edges show them: plain dicts, times in the centre's zone, names masked for
the parties (each party sees the others' role and a masked name, never their links)."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any

from fengqiao.booking import texts
from fengqiao.booking.config import BookingConfig
from fengqiao.booking.links import PartyLinks
from fengqiao.booking.recommend import Scored
from fengqiao.cases import masking
from fengqiao.storage.models import Booking, Mediator, Organisation

if TYPE_CHECKING:
    from fengqiao.booking.availability import Interval
    from fengqiao.booking.store import BookingTx, Details


def local_text(moment: datetime, config: BookingConfig) -> str:
    """2026年11月23日 周一 14:00 in the centre's zone."""
    local = moment.astimezone(config.tz)
    return f"{local:%Y年%m月%d日} {texts.WEEKDAY_NAMES[local.weekday()]} {local:%H:%M}"


def place_text(booking: Booking) -> str:
    if booking.mode == "video":
        return texts.PLACE_VIDEO
    return booking.place or ""


class BookingViews:
    def __init__(self, config: BookingConfig, links: PartyLinks) -> None:
        self.config = config
        self.links = links

    def iso(self, moment: datetime | None) -> str | None:
        return moment.astimezone(self.config.tz).isoformat() if moment else None

    async def show(
        self, tx: BookingTx, booking: Booking, *, with_links: bool = True, mask: bool = False
    ) -> dict[str, Any]:
        return self.booking(booking, await tx.details(booking), with_links=with_links, mask=mask)

    def booking(
        self, booking: Booking, details: Details, *, with_links: bool = True, mask: bool = False
    ) -> dict[str, Any]:
        """Parties (mask=True) see each other's role and a masked name only; staff and the
        mediator see names, and (with_links) each party's link to forward and the notes."""
        case, mediator = details.case, details.mediator
        parties = []
        for p, name in details.parties:
            item = {
                "id": p.id,
                "role": p.role,
                "role_name": texts.ROLE_NAMES.get(p.role, p.role),
                "name": masking.name(name) if mask else (name or ""),
                "consented": p.consent_at is not None,
                "confirmed": p.confirmed_version == booking.version,
                "reschedule_reason": p.reschedule_reason,
                "no_show": p.no_show,
            }
            if with_links:
                item["link"] = self.links.url(booking.case_id, p.case_party_id)
                item["case_party_id"] = p.case_party_id
            parties.append(item)
        return {
            "id": booking.id,
            "case": case.code,
            "type_name": case.type_name,
            "status": booking.status,
            "status_name": texts.STATUS_NAMES.get(booking.status, booking.status),
            "version": booking.version,
            "mediator": {"id": mediator.id, "name": mediator.name, "title": mediator.title},
            "mediator_accepted": booking.mediator_accepted_at is not None,
            "starts_at": self.iso(booking.starts_at),
            "ends_at": self.iso(booking.ends_at),
            "when": local_text(booking.starts_at, self.config) if booking.starts_at else None,
            "mode": booking.mode,
            "mode_name": texts.MODE_NAMES.get(booking.mode, booking.mode),
            "place": place_text(booking),
            "reason": booking.reason,
            "notes": booking.notes if with_links else None,
            "outcome": booking.outcome,
            "outcome_name": texts.OUTCOME_NAMES.get(booking.outcome or "", None),
            "slots": [
                {
                    "id": s.id,
                    "starts_at": self.iso(s.starts_at),
                    "ends_at": self.iso(s.ends_at),
                    "when": local_text(s.starts_at, self.config),
                }
                for s in details.slots
            ],
            "parties": parties,
        }

    def scored(self, s: Scored) -> dict[str, Any]:
        """One recommended mediator with the score's parts and the reasons to show."""
        c = s.candidate
        return {
            "id": c.id,
            "name": c.name,
            "organisation": c.organisation,
            "languages": c.languages,
            "region": c.region,
            "score": s.score,
            "components": {k: round(v, 3) for k, v in s.components.items()},
            "reasons": s.reasons,
            "first_slot": self.iso(s.first_slot),
        }

    def free(self, intervals: list[Interval]) -> list[dict[str, Any]]:
        """Free slots of a calendar."""
        return [
            {"starts_at": self.iso(lo), "when": local_text(lo, self.config)} for lo, _ in intervals
        ]

    def no_booking_yet(
        self, case_code: str, type_name: str, role: str, choices: list[dict[str, Any]]
    ) -> dict[str, Any]:
        """A party's page before anything is booked: the applicant may pick a mediator."""
        return {
            "id": None,
            "case": case_code,
            "type_name": type_name,
            "status": "none",
            "status_name": texts.STATUS_NAMES["none"],
            "me": {"role": role, "role_name": texts.ROLE_NAMES.get(role, role)},
            "choices": choices,
        }


def mediator_view(m: Mediator, hours: str, ics_url: str | None = None) -> dict[str, Any]:
    """A registry entry as the console shows it; `ics_url` only to the mediator themself."""
    out: dict[str, Any] = {
        "id": m.id,
        "code": m.code,
        "name": m.name,
        "title": m.title,
        "skills": m.skills,
        "languages": m.languages,
        "region": m.region,
        "capacity": m.capacity,
        "subsidy_yuan": m.subsidy_fen / 100,
        "status": m.status,
        "username": m.username,
        "hours": hours,
    }
    if ics_url is not None:
        out["ics_url"] = ics_url
    return out


def registry_view(orgs: list[Organisation], mediators: list[Mediator]) -> dict[str, Any]:
    """Organisations and mediators of the registry page."""
    by_id = {o.id: o.code for o in orgs}
    return {
        "organisations": [
            {
                "code": o.code,
                "name": o.name,
                "kind": o.kind,
                "kind_name": texts.ORG_KINDS.get(o.kind, o.kind),
                "region": o.region,
                "address": o.address,
                "active": o.active,
            }
            for o in orgs
        ],
        "mediators": [
            {
                "id": m.id,
                "code": m.code,
                "name": m.name,
                "organisation": by_id.get(m.organisation_id or 0),
                "skills": m.skills,
                "languages": m.languages,
                "region": m.region,
                "capacity": m.capacity,
                "subsidy_yuan": m.subsidy_fen / 100,
                "status": m.status,
            }
            for m in mediators
        ],
    }
