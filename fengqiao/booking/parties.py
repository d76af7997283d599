"""What a party does through its booking link: see its booking, pick a time, ask for another,
and, before anything is booked, let the applicant pick one of the top mediators.

Every action starts from `PartyLinks.open`, which accepts a booking link only (a link made for
signing, delivery or evidence is refused), and acts as that party of that case.
"""

from __future__ import annotations

from typing import Any

from fengqiao.booking import texts
from fengqiao.booking.actor import Actor
from fengqiao.booking.config import BookingConfig
from fengqiao.booking.errors import Conflict, Forbidden, Invalid, NotFound
from fengqiao.booking.flow import BookingFlow
from fengqiao.booking.links import PartyLink, PartyLinks
from fengqiao.booking.recommend import Recommender
from fengqiao.booking.store import BookingStore
from fengqiao.booking.views import BookingViews
from fengqiao.storage.models import Case, CaseParty


class Parties:
    def __init__(
        self,
        store: BookingStore,
        links: PartyLinks,
        views: BookingViews,
        flow: BookingFlow,
        recommender: Recommender,
        config: BookingConfig,
    ) -> None:
        self.store = store
        self.links = links
        self.views = views
        self.flow = flow
        self.recommender = recommender
        self.config = config

    async def access(self, token: str) -> tuple[int, Actor]:
        """The booking and the party behind a booking link: one link per party and case,
        valid for whichever booking the case has now."""
        link = self.links.open(token)
        async with self.store.read() as tx:
            found = await tx.latest_of_party(link.case_id, link.case_party_id)
        if found is None:
            raise NotFound("booking_not_found", texts.E_NOT_FOUND)
        booking_id, party_id = found
        return booking_id, Actor(f"party:{link.case_party_id}", party_id=party_id)

    async def view(self, token: str) -> dict[str, Any]:
        """The party's booking, names masked, with `me`; before any booking, the choices."""
        try:
            booking_id, actor = await self.access(token)
        except NotFound:
            return await self._no_booking_yet(token)
        async with self.store.read() as tx:
            booking = await tx.booking(booking_id)
            view = await self.views.show(tx, booking, with_links=False, mask=True)
        view["me"] = next(p for p in view["parties"] if p["id"] == actor.party_id)
        return view

    async def confirm(self, token: str, slot_id: int, *, consent: bool) -> dict[str, Any]:
        """The party picks an offered time (consenting to mediation with it)."""
        booking_id, actor = await self.access(token)
        await self.flow.choose(booking_id, actor, slot_id, consent=consent)
        return await self.view(token)

    async def reschedule(self, token: str, reason: str) -> dict[str, Any]:
        """The party asks for other times, with a reason."""
        booking_id, actor = await self.access(token)
        await self.flow.reschedule(booking_id, actor, reason)
        return await self.view(token)

    async def pick(
        self, token: str, mediator_id: int | None, *, mode: str = "onsite"
    ) -> dict[str, Any]:
        """The applicant picks one of the top mediators (None: the first) and gets times."""
        case, party = await self._case_party(token)
        if party.role != "applicant":
            raise Forbidden("not_yours", texts.E_NOT_YOURS)
        top = await self._choices(case)
        allowed = [m["id"] for m in top]
        if not allowed:
            raise Conflict("no_mediator", texts.E_MEDIATOR_UNAVAILABLE)
        chosen = allowed[0] if mediator_id is None else mediator_id
        if chosen not in allowed:
            raise Invalid("not_offered", texts.E_MEDIATOR_UNAVAILABLE)
        await self.flow.propose(case.code, chosen, Actor(f"party:{party.id}"), mode=mode)
        return await self.view(token)

    async def _no_booking_yet(self, token: str) -> dict[str, Any]:
        """Before anything is booked the applicant may pick from the top few mediators."""
        case, party = await self._case_party(token)
        choices = await self._choices(case) if party.role == "applicant" else []
        return self.views.no_booking_yet(case.code, case.type_name, party.role, choices)

    async def _choices(self, case: Case) -> list[dict[str, Any]]:
        found = await self.recommender.recommend(case.code, limit=self.config.resident_choices)
        mediators: list[dict[str, Any]] = found["mediators"]
        return mediators

    async def _case_party(self, token: str) -> tuple[Case, CaseParty]:
        link: PartyLink = self.links.open(token)
        async with self.store.read() as tx:
            party = await tx.case_party(link.case_party_id)
            case = await tx.find_case(link.case_id)
        if party is None or case is None or party.case_id != case.id:
            raise Forbidden("bad_link", texts.E_LINK)
        return case, party
