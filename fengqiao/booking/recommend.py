"""Ranking mediators for a case: each component is a number in 0..1 with a reason to show.

`Recommender` scores every eligible mediator on what costs nothing (skill, language, region,
organisation, workload, satisfaction), then looks up the first free time of the short list
only.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any

from fengqiao.booking import texts
from fengqiao.booking.availability import slots
from fengqiao.booking.config import BookingConfig

if TYPE_CHECKING:
    from fengqiao.booking.schedule import Schedule
    from fengqiao.booking.store import BookingStore
    from fengqiao.booking.views import BookingViews

# Added to an observed average so one early rating does not decide a ranking.
PRIOR_WEIGHT = 2.0
DEFAULT_PRIOR = 4.0


@dataclass(frozen=True)
class CaseNeeds:
    type_code: str
    type_name: str
    region: str | None = None
    language: str | None = None
    remote: bool = False  # a party cannot travel: video mediation, region matters less
    organisation: str | None = None  # where 分流 sent the case (name or code), if anywhere


@dataclass(frozen=True)
class Candidate:
    id: int
    name: str
    organisation: str | None
    organisation_code: str | None
    skills: list[str]
    languages: list[str]
    region: str | None
    capacity: int
    open_bookings: int
    rating: float | None
    ratings_sum: float = 0.0
    ratings_count: int = 0


@dataclass
class Scored:
    candidate: Candidate
    score: float = 0.0
    components: dict[str, float] = field(default_factory=dict)
    reasons: list[str] = field(default_factory=list)
    first_slot: datetime | None = None


def satisfaction(c: Candidate) -> tuple[float, str | None]:
    prior = c.rating if c.rating is not None else DEFAULT_PRIOR
    if c.ratings_count:
        score = (prior * PRIOR_WEIGHT + c.ratings_sum) / (PRIOR_WEIGHT + c.ratings_count)
        avg = c.ratings_sum / c.ratings_count
        return (score - 1) / 4, texts.R_RATING.format(score=avg, count=c.ratings_count)
    reason = texts.R_RATING_PRIOR.format(score=c.rating) if c.rating is not None else None
    return (prior - 1) / 4, reason


def score_static(c: Candidate, needs: CaseNeeds, config: BookingConfig) -> Scored:
    """Everything but availability, which costs a query per mediator: scored on the short list."""
    s = Scored(c)
    if needs.type_code in c.skills:
        s.components["skill"] = 1.0
        s.reasons.append(texts.R_SKILL.format(type_name=needs.type_name))
    else:
        s.components["skill"] = 0.3 if "general" in c.skills else 0.0
        s.reasons.append(texts.R_NO_SKILL.format(type_name=needs.type_name))
    if needs.language and needs.language != "普通话":
        spoken = needs.language in c.languages
        s.components["language"] = 1.0 if spoken else 0.0
        if spoken:
            s.reasons.append(texts.R_LANGUAGE.format(language=needs.language))
    else:
        s.components["language"] = 1.0
    if needs.remote:
        s.components["region"] = 1.0
        s.reasons.append(texts.R_REMOTE)
    elif needs.region and c.region == needs.region:
        s.components["region"] = 1.0
        s.reasons.append(texts.R_REGION.format(region=c.region))
    else:
        s.components["region"] = 0.0 if needs.region else 0.5
    if needs.organisation:
        routed = needs.organisation in (c.organisation, c.organisation_code)
        s.components["organisation"] = 1.0 if routed else 0.0
        if routed:
            s.reasons.append(texts.R_ORGANISATION.format(organisation=c.organisation))
    capacity = max(c.capacity, 1)
    s.components["workload"] = max(0.0, 1 - c.open_bookings / capacity)
    s.reasons.append(texts.R_WORKLOAD.format(open=c.open_bookings, capacity=c.capacity))
    value, reason = satisfaction(c)
    s.components["satisfaction"] = value
    if reason:
        s.reasons.append(reason)
    s.components["availability"] = 0.0
    s.score = total(s, config)
    return s


def add_availability(
    s: Scored, first_slot: datetime | None, now: datetime, config: BookingConfig
) -> None:
    s.first_slot = first_slot
    if first_slot is None:
        s.components["availability"] = 0.0
        s.reasons.append(texts.R_NOT_SOON.format(days=config.horizon_days))
    else:
        horizon = config.horizon_days * 86400
        wait = max((first_slot - now).total_seconds(), 0)
        s.components["availability"] = max(0.0, 1 - wait / horizon)
        local = first_slot.astimezone(config.tz)
        when = f"{local:%m月%d日} {texts.WEEKDAY_NAMES[local.weekday()]} {local:%H:%M}"
        s.reasons.append(texts.R_SOON.format(when=when))
    s.score = total(s, config)


def total(s: Scored, config: BookingConfig) -> float:
    return round(sum(config.weights.get(k, 0) * v for k, v in s.components.items()), 4)


def eligible(c: Candidate) -> bool:
    return c.open_bookings < c.capacity


class Recommender:
    def __init__(
        self,
        store: BookingStore,
        schedule: Schedule,
        views: BookingViews,
        config: BookingConfig,
        clock: Callable[[], datetime],
    ) -> None:
        self.store = store
        self.schedule = schedule
        self.views = views
        self.config = config
        self.clock = clock

    async def recommend(
        self,
        code: str,
        *,
        language: str | None = None,
        remote: bool | None = None,
        limit: int | None = None,
    ) -> dict[str, Any]:
        """The case's needs and the best `limit` mediators, each with its reasons."""
        now = self.clock()
        limit = limit or self.config.recommend_top
        async with self.store.read() as tx:
            case = await tx.case_by_code(code)
            answers = case.answers if isinstance(case.answers, dict) else {}
            needs = CaseNeeds(
                type_code=case.type_code,
                type_name=case.type_name,
                region=case.region,
                language=language or answers.get("language"),
                remote=bool(remote if remote is not None else answers.get("remote")),
                organisation=case.organisation,
            )
            static = [
                score_static(c, needs, self.config) for c in await tx.candidates() if eligible(c)
            ]
            static.sort(key=lambda s: -s.score)
            short = static[: max(limit * 4, 20)]
            start, end = self.schedule.window(now)
            ids = [s.candidate.id for s in short]
            free = await self.schedule.free_time(tx, ids, start, end)
        for s in short:
            first = slots(free[s.candidate.id], self.config, 1)
            add_availability(s, first[0][0] if first else None, now, self.config)
        short.sort(key=lambda s: (-s.score, s.candidate.id))
        return {
            "case": case.code,
            "needs": {
                "type": needs.type_code,
                "type_name": needs.type_name,
                "region": needs.region,
                "language": needs.language,
                "remote": needs.remote,
            },
            "mediators": [self.views.scored(s) for s in short[:limit]],
        }
