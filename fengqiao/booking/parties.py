"""What a party does about its booking: see it, pick a time, ask for another, and, before
anything is booked (or after it fell through), let the applicant pick one of the top mediators.

A party comes by its booking link (`PartyLinks.open` accepts a booking link only: a link made
for signing, delivery or evidence is refused) or, signed in to the mini-program, as the party
of the case the door found for its session (`PartyLink` built by the caller). Either way it
acts as that party of that case.
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
from fengqiao.booking.store import OPEN, BookingStore
from fengqiao.booking.views import BookingViews
from fengqiao.storage.models import Case, CaseParty

# A booking that ended before it was held: the applicant may choose another mediator.
ENDED_UNHELD = ("declined", "cancelled")


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

    # A booking link's token names the party; a resident's session names it through the
    # door (the party of the case whose person holds the session's openid). Both end here as
    # one PartyLink: the same view and the same actions, whichever way the party came.

    async def view(self, token: str) -> dict[str, Any]:
        return await self.view_of(self.links.open(token))

    async def confirm(self, token: str, slot_id: int, *, consent: bool) -> dict[str, Any]:
        return await self.confirm_of(self.links.open(token), slot_id, consent=consent)

    async def reschedule(self, token: str, reason: str) -> dict[str, Any]:
        return await self.reschedule_of(self.links.open(token), reason)

    async def pick(
        self, token: str, mediator_id: int | None, *, mode: str = "onsite"
    ) -> dict[str, Any]:
        return await self.pick_of(self.links.open(token), mediator_id, mode=mode)

    async def access(self, link: PartyLink) -> tuple[int, Actor]:
        """The booking and the party behind a link: one link per party and case, valid for
        whichever booking the case has now."""
        async with self.store.read() as tx:
            found = await tx.latest_of_party(link.case_id, link.case_party_id)
        if found is None:
            raise NotFound("booking_not_found", texts.E_NOT_FOUND)
        booking_id, party_id = found
        return booking_id, Actor(f"party:{link.case_party_id}", party_id=party_id)

    async def view_of(self, link: PartyLink) -> dict[str, Any]:
        """The party's booking, names masked, with `me` and the `actions` open to the party
        now; before any booking (or after the mediator declined or it was cancelled), the
        applicant's choice of mediators."""
        try:
            booking_id, actor = await self.access(link)
        except NotFound:
            return await self._no_booking_yet(link)
        async with self.store.read() as tx:
            booking = await tx.booking(booking_id)
            view = await self.views.show(tx, booking, with_links=False, mask=True)
        me = next(p for p in view["parties"] if p["id"] == actor.party_id)
        view["me"] = me
        actions = []
        if view["status"] in ("proposed", "pending") and not me["confirmed"]:
            actions.append("confirm")
        if view["status"] in OPEN:
            actions.append("reschedule")
        if view["status"] in ENDED_UNHELD and me["role"] == "applicant":
            view["choices"] = (await self._no_booking_yet(link))["choices"]
            actions.append("mediator")
        view["actions"] = actions
        return view

    async def confirm_of(self, link: PartyLink, slot_id: int, *, consent: bool) -> dict[str, Any]:
        """The party picks an offered time (consenting to mediation with it)."""
        booking_id, actor = await self.access(link)
        await self.flow.choose(booking_id, actor, slot_id, consent=consent)
        return await self.view_of(link)

    async def reschedule_of(self, link: PartyLink, reason: str) -> dict[str, Any]:
        """The party asks for other times, with a reason."""
        booking_id, actor = await self.access(link)
        await self.flow.reschedule(booking_id, actor, reason)
        return await self.view_of(link)

    async def pick_of(
        self, link: PartyLink, mediator_id: int | None, *, mode: str = "onsite"
    ) -> dict[str, Any]:
        """The applicant picks one of the top mediators (None: the first) and gets times."""
        case, party = await self._case_party(link)
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
        return await self.view_of(link)

    async def _no_booking_yet(self, link: PartyLink) -> dict[str, Any]:
        """Before anything is booked the applicant may pick from the top few mediators."""
        case, party = await self._case_party(link)
        choices = await self._choices(case) if party.role == "applicant" else []
        view = self.views.no_booking_yet(case.code, case.type_name, party.role, choices)
        view["actions"] = ["mediator"] if choices else []
        return view

    async def _choices(self, case: Case) -> list[dict[str, Any]]:
        found = await self.recommender.recommend(case.code, limit=self.config.resident_choices)
        mediators: list[dict[str, Any]] = found["mediators"]
        return mediators

    async def _case_party(self, link: PartyLink) -> tuple[Case, CaseParty]:
        async with self.store.read() as tx:
            party = await tx.case_party(link.case_party_id)
            case = await tx.find_case(link.case_id)
        if party is None or case is None or party.case_id != case.id:
            raise Forbidden("bad_link", texts.E_LINK)
        return case, party
