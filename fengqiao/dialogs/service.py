"""IntakeService: loads a resident's dialog session, runs one turn, saves it, files the case.

Every edge (official account, mini-program, terminal) calls this one service.
"""

from __future__ import annotations

import hashlib
import logging
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from fengqiao.cases import codes
from fengqiao.cases.case_link import PURPOSE as CASE_PURPOSE
from fengqiao.cases.case_link import CaseLinks
from fengqiao.cases.revisit import parse_satisfaction
from fengqiao.cases.service import LOCAL_TZ, CaseNotFound, CaseService, NewCase, PartyInfo
from fengqiao.dialogs import prompts, texts
from fengqiao.dialogs.intake import AnalyzerLike, Intake, Session
from fengqiao.settings import Settings
from fengqiao.storage import jsoncodec
from fengqiao.storage.files import FileStore
from fengqiao.storage.kv import EPHEMERAL, KeyValueStore
from fengqiao.storage.models import utcnow
from fengqiao.tokens import DAY, PURPOSES

log = logging.getLogger("fengqiao.dialogs")

IMAGE_MAGIC = {
    b"\xff\xd8\xff": "image/jpeg",
    b"\x89PNG\r\n\x1a\n": "image/png",
    b"GIF8": "image/gif",
}


REVISIT_RECHECK_SECONDS = 300
DECODED_SESSIONS = 1024  # decoded sessions kept (~15 KB each), most recently saved
# A resident who filed from this account may later get a revisit question; others never do.
FILED_MARK_SECONDS = 2 * 365 * 24 * 3600


@dataclass
class Turn:
    reply: str
    state: str
    case_code: str | None
    # What the dialog waits for now (prompts.prompt_of): a mini-program draws it natively.
    prompt: dict[str, Any] | None = None


def _user_ref(channel: str, user_id: str) -> str:
    """A stable pseudonym for logs: never the openid itself."""
    return hashlib.sha256(f"{channel}:{user_id}".encode()).hexdigest()[:12]


class IntakeService:
    def __init__(
        self,
        kv: KeyValueStore,
        cases: CaseService,
        files: FileStore,
        analyzer: AnalyzerLike,
        settings: Settings,
    ) -> None:
        self.kv = kv
        self.cases = cases
        self.files = files
        self.settings = settings
        self.intake = Intake(analyzer, settings.centre_name, settings.hotline)
        self.links = CaseLinks(settings.secret, settings.public_url)
        self.fmt = {"centre": settings.centre_name, "hotline": settings.hotline}
        # Sessions as last saved, with their stored bytes: decoding a session costs as much
        # as the rest of a turn. Used only while the store still holds those very bytes.
        self._decoded: dict[str, tuple[bytes, Session]] = {}

    # -- session storage -----------------------------------------------------------------
    def _key(self, channel: str, user_id: str) -> str:
        return f"dialog:{channel}:{user_id}"

    async def load(self, channel: str, user_id: str, *, to_change: bool = True) -> Session:
        """The resident's session. `to_change=False` for a caller that only reads it: the
        decoded session stays cached for the next turn (do not change what it returns)."""
        key = self._key(channel, user_id)
        raw = await self.kv.get(key)
        # A caller that changes it owns the cached object: a turn that fails before `save`
        # leaves no half-changed session behind in the cache, only the stored one.
        cached = self._decoded.pop(key, None) if to_change else self._decoded.get(key)
        if raw is None:
            return Session()
        if cached is not None and cached[0] == raw:  # still the value we stored last
            return cached[1]
        try:
            return Session.from_json(jsoncodec.loads(raw))
        except (ValueError, TypeError):
            log.warning(
                "unreadable dialog session replaced", extra={"user": _user_ref(channel, user_id)}
            )
            return Session()

    async def save(
        self,
        channel: str,
        user_id: str,
        session: Session,
        also: Mapping[str, tuple[bytes | str, float | None]] | None = None,
    ) -> None:
        """Store the session, and `also` other keys (value, ttl) in the same commit."""
        key = self._key(channel, user_id)
        raw = jsoncodec.dumps(session.to_json())
        if also:
            await self.kv.set_many({key: (raw, self.settings.dialog_ttl_seconds), **also})
        else:
            await self.kv.set(key, raw, ttl=self.settings.dialog_ttl_seconds)
        self._decoded[key] = (raw, session)
        if len(self._decoded) > DECODED_SESSIONS:
            del self._decoded[next(iter(self._decoded))]

    def _lock(self, channel: str, user_id: str) -> Any:
        # One turn at a time per resident, across all workers. Renewed while held: the short
        # TTL only frees the lock of a worker that died mid-turn.
        return self.kv.lock(f"turn:{channel}:{user_id}", ttl=6, wait=10)

    # -- entry points --------------------------------------------------------------------
    async def handle_text(
        self,
        channel: str,
        user_id: str,
        text: str,
        *,
        at: datetime | None = None,
        message_key: str | None = None,
    ) -> Turn:
        """One turn. `message_key` (the channel's id of the message) makes a repeat of the
        message just answered get the same reply instead of counting as the next answer."""
        now = at or utcnow()
        async with self._lock(channel, user_id):
            session = await self.load(channel, user_id)
            last = session.last_turn
            if message_key and last.get("key") == message_key:
                return Turn(str(last.get("reply", "")), session.state, last.get("code"),
                            self.prompt(session))
            return await self._run(channel, user_id, session, [text], now, message_key)

    async def handle_answer(
        self, channel: str, user_id: str, key: str, value: Any, *, given: bool = True,
        at: datetime | None = None,
    ) -> Turn:
        """A structured answer (``{"key", "value"}`` from a mini-program): checked as a typed
        answer would be, errors.Invalid when it would not be accepted, else the same turn(s)."""
        now = at or utcnow()
        async with self._lock(channel, user_id):
            session = await self.load(channel, user_id)
            said = prompts.answer_texts(self.intake, session, key, value, given, now)
            return await self._run(channel, user_id, session, said, now, None, structured=True)

    def prompt(self, session: Session) -> dict[str, Any]:
        return prompts.prompt_of(self.intake, session)

    async def _run(
        self,
        channel: str,
        user_id: str,
        session: Session,
        said: list[str],
        now: datetime,
        message_key: str | None,
        *,
        structured: bool = False,
    ) -> Turn:
        """Run the messages ``said`` (one, or an edit's two) as turns, save, file if asked."""
        before = session.state
        revisit = None
        if session.state in ("start", "consent", "filed") and not structured:
            # After closure the centre asks how satisfied the resident is (回访).
            revisit = await self._pending_revisit(channel, user_id)
            answer = parse_satisfaction(said[0]) if revisit else None
            if revisit and answer:
                result = await self.cases.record_satisfaction(
                    revisit.code, user_id, answer[0], answer[1]
                )
                return Turn(result.reply, session.state, None, self.prompt(session))
        for text in said:  # an edit from review is two messages: 修改N, then the new value
            outcome = self.intake.turn(session, text, now, commands=not structured)
        replies = list(outcome.replies)
        if revisit and session.state in ("start", "filed", "consent"):
            replies.append(revisit.text)
        if outcome.submit:
            replies.append(await self._submit(channel, user_id, session, now))
        if outcome.progress_query:
            replies.append(await self._progress(channel, user_id, outcome.progress_query))
        if outcome.wants_human:
            log.info("resident asked for a person", extra={"user": _user_ref(channel, user_id)})
        reply = "\n\n".join(r for r in replies if r)
        code = session.case_code if outcome.submit and session.state == "filed" else None
        if message_key:
            session.last_turn = {"key": message_key, "reply": reply, "code": code}
        if code is None:
            await self.save(channel, user_id, session)
        else:  # filed: from now on a revisit may be asked (the mark outlives the session)
            mark = {self._filed_key(channel, user_id): ("1", FILED_MARK_SECONDS)}
            await self.save(channel, user_id, session, also=mark)
        if log.isEnabledFor(logging.INFO):  # spares the pseudonym's hash when not logged
            log.info(
                "dialog turn",
                extra={"user": _user_ref(channel, user_id), "from": before, "to": session.state},
            )
        return Turn(reply, session.state, code, self.prompt(session))

    async def handle_image(
        self,
        channel: str,
        user_id: str,
        data: bytes,
        *,
        source_ref: str,
        at: datetime | None = None,
    ) -> Turn:
        async with self._lock(channel, user_id):
            session = await self.load(channel, user_id)
            if not session.consent:
                return Turn(texts.IMAGE_BEFORE_CONSENT, session.state, None)
            mime = next((m for magic, m in IMAGE_MAGIC.items() if data.startswith(magic)), None)
            if mime is None:
                return Turn(texts.IMAGE_REJECTED, session.state, None)
            if any(a["ref"] == source_ref for a in session.attachments):
                return Turn(texts.IMAGE_RECEIVED, session.state, None)
            digest = hashlib.sha256(data).hexdigest()
            key = f"evidence/{uuid.uuid4().hex}"
            await self.files.put(key, data)
            item: dict[str, Any] = {
                "key": key,
                "sha256": digest,
                "mime": mime,
                "size": len(data),
                "ref": source_ref,
            }
            if session.state == "filed" and session.case_code:
                await self.cases.add_file(
                    session.case_code, kind="evidence", submitted_by=f"{channel}:{user_id}", **item
                )
                reply = texts.IMAGE_RECEIVED_FILED.format(code=session.case_code)
            else:
                session.attachments.append(item)
                reply = texts.IMAGE_RECEIVED
            await self.save(channel, user_id, session)
        return Turn(reply, session.state, None)

    async def handle_event(
        self, channel: str, user_id: str, event: str, key: str | None = None
    ) -> Turn:
        if key and codes.normalise(key):
            reply = await self._progress(channel, user_id, key)
            if event == "subscribe":
                reply = texts.WELCOME.format(**self.fmt) + "\n\n" + reply
            session = await self.load(channel, user_id, to_change=False)
            return Turn(reply, session.state, None)
        if event == "subscribe":
            session = await self.load(channel, user_id, to_change=False)
            return Turn(texts.WELCOME.format(**self.fmt), session.state, None)
        if event == "menu_progress":
            return await self.handle_text(channel, user_id, "进度")
        if event == "menu_human":
            return await self.handle_text(channel, user_id, "人工")
        if event == "menu_mediate":
            async with self._lock(channel, user_id):
                session = await self.load(channel, user_id)
                if session.state == "filed":
                    session = Session(consent=session.consent)
                outcome = self.intake.begin(session, utcnow())
                await self.save(channel, user_id, session)
            return Turn("\n\n".join(outcome.replies), session.state, None)
        session = await self.load(channel, user_id, to_change=False)
        return Turn("", session.state, None)

    @staticmethod
    def _filed_key(channel: str, user_id: str) -> str:
        return f"has-filed:{channel}:{user_id}"

    async def _pending_revisit(self, channel: str, user_id: str) -> Any:
        """The open revisit question, with "none" remembered for a few minutes so that a
        resident's greeting and consent do not each cost a database read."""
        if await self.kv.get(self._filed_key(channel, user_id)) is None:
            return None  # never filed from this account: nothing to revisit
        none_key = f"{EPHEMERAL}revisit-none:{channel}:{user_id}"
        if await self.kv.get(none_key) is not None:
            return None
        question = await self.cases.pending_revisit(channel, user_id)
        if question is None:
            await self.kv.set(none_key, "1", ttl=REVISIT_RECHECK_SECONDS)
        return question

    # -- actions ---------------------------------------------------------------------------
    async def _submit(self, channel: str, user_id: str, session: Session, now: datetime) -> str:
        answers = dict(session.answers)
        new = NewCase(
            description=session.description,
            channel=channel,
            actor=f"{channel}:{user_id}",
            type_code=session.type or "other",
            type_name=session.type_name or "其他纠纷",
            risk=session.risk,
            confidence=float(session.analysis.get("confidence", 0.0)),
            risk_reasons=list(session.risk_reasons),
            department=session.analysis.get("department")
            if session.type == session.analysis.get("type")
            else None,
            applicant=PartyInfo(
                name=answers.get("applicant_name"),
                phone=answers.get("applicant_phone"),
                openid=user_id,
                channel=channel,
            ),
            respondent=PartyInfo(
                name=answers.get("other_party_name"), phone=answers.get("other_party_phone")
            ),
            answers=answers,
            transcript=list(session.transcript),
            privacy_consent_at=datetime.fromisoformat(session.consent_at)
            if session.consent_at
            else None,
            intake_key=session.id,
        )
        try:
            filed = await self.cases.file_case(new)
            for item in session.attachments:
                await self.cases.add_file(
                    filed.code, kind="evidence", submitted_by=f"{channel}:{user_id}", **item
                )
        except Exception:
            log.exception("filing failed", extra={"user": _user_ref(channel, user_id)})
            return texts.SUBMIT_FAILED
        deadline = (
            filed.deadline_at.astimezone(LOCAL_TZ).strftime("%Y年%m月%d日")
            if filed.deadline_at
            else ""
        )
        url = f"{self.settings.public_url.rstrip('/')}/h5/progress?code={filed.code}"
        link = await self._case_link(
            channel, user_id, filed.id, filed.code, party_id=filed.applicant_party_id
        )
        return self.intake.filed(session, filed.code, deadline, url, channel, link)

    async def _case_link(
        self, channel: str, user_id: str, case_id: int, code: str, *, party_id: int | None = None
    ) -> str:
        """The sentence with the resident's own case link (cases.case_link), when they are a
        party of the case and their channel can open a web page (not the mini-program: it
        has its own case space and web-view); else nothing."""
        if channel == "wxa":
            return ""
        # A party filed in this turn has had no link revoked: its generation is 0, and the
        # filing turn reads nothing more (each read is more loop turns under load).
        generation = 0
        if party_id is None:
            party_id = await self.cases.party_of(case_id, channel, user_id)
            if party_id is None:
                return ""
            generation = await self.cases.link_generation(party_id)
        url = self.links.for_party(case_id=case_id, case_code=code, party_id=party_id,
                                   generation=generation)
        return texts.CASE_LINK.format(days=PURPOSES[CASE_PURPOSE] // DAY, url=url)

    async def _progress(self, channel: str, user_id: str, query: str) -> str:
        if query == "mine":
            mine = await self.cases.cases_of(channel, user_id)
            if not mine:
                return texts.PROGRESS_NONE
            return "\n\n".join(
                [await self._progress_text(c.code, channel, user_id) for c in mine[:3]]
            )
        try:
            return await self._progress_text(query, channel, user_id)
        except CaseNotFound:
            return texts.PROGRESS_NOT_FOUND

    async def _progress_text(self, code: str, channel: str = "", user_id: str = "") -> str:
        """A case's progress; for one of its parties, with their own case link."""
        case = await self.cases.get(code)
        p = await self.cases.progress(code)
        steps = "\n".join(
            texts.PROGRESS_STEP.format(
                at=s["at"][:16].replace("T", " "), name=s["name"], description=s["description"]
            )
            for s in p["steps"]
        )
        out = texts.PROGRESS_LINE.format(
            code=p["code"], type_name=p["type_name"], status_name=p["status_name"], steps=steps
        )
        if p.get("next_deadline"):
            out += "\n" + texts.PROGRESS_DEADLINE.format(deadline=p["next_deadline"][:10])
        if user_id:
            link = await self._case_link(channel, user_id, case.id, case.code)
            out += "\n" + link if link else ""
        return out
