"""The official-account callback `GET|POST /wechat/mp`: plain and safe (AES) mode.

A message becomes one dialog turn. WeChat waits 5 s for the answer and retries the same
message up to three times, so: each message is handled once across all workers (the
ledger), and a turn that would overrun the reply budget is answered "success" at once and its
reply delivered later as a customer-service message.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import logging
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from aiohttp import web
from wechatpy.crypto import WeChatCrypto
from wechatpy.messages import BaseMessage
from wechatpy.replies import TextReply

from fengqiao import keys
from fengqiao.bot import texts
from fengqiao.bot.client import ReplyWindowClosed, TooManyMessages, WeChatClient, WeChatError
from fengqiao.bot.deadlines import Deadlines
from fengqiao.bot.inbound import (
    Rejected,
    check_fields,
    check_fresh,
    check_signature,
    decrypt,
    parse_xml,
    read_body,
    to_message,
)
from fengqiao.bot.ledger import MessageLedger, Outcome
from fengqiao.bot.limits import BotConfig, over_limit
from fengqiao.cases import codes
from fengqiao.settings import Settings
from fengqiao.storage.kv import EPHEMERAL, KeyValueStore, StoreUnavailable
from fengqiao.web.kit.door import declare

if TYPE_CHECKING:
    from fengqiao.dialogs.service import IntakeService

log = logging.getLogger("fengqiao.bot.mp")

CHANNEL = "mp"
# Keys of the CLICK menu items (docs/wechat.md shows the menu to create) -> dialog events.
MENU_EVENTS = {
    "FQ_MEDIATE": "menu_mediate",  # 我要调解
    "FQ_PROGRESS": "menu_progress",  # 查询进度
    "FQ_HUMAN": "menu_human",  # 联系人工
}
# How often a follower's unionid is asked again (a follower may bind later, or unfollow).
IDENTITY_RECHECK_SECONDS = 86400.0
_DIALOG_EVENTS = frozenset({"subscribe", "subscribe_scan", "scan", "click"})
_DIALOG_MESSAGES = frozenset({"text", "voice", "image"})


def message_key(fields: dict[str, Any]) -> str:
    """WeChat's own identity of a delivery: sender + MsgId for messages, sender + CreateTime +
    Event for events.

    A MsgId is unique per sender, not across all of them: keyed on MsgId alone, another
    resident's message with the same MsgId was taken for a repeat and got the first one's
    reply. Taken from the raw fields: wechatpy gives events it does not know a MsgId of 0.
    """
    sender = fields["FromUserName"]
    if fields["MsgType"].lower() == "event":
        return f"evt:{sender}:{fields['CreateTime']}:{fields.get('Event', '')}"
    return f"msg:{sender}:{fields['MsgId']}"


def loggable(key: str) -> str:
    """A message key for the logs: the sender's openid replaced by a short digest of it."""
    kind, sender, rest = key.split(":", 2)
    return f"{kind}:{hashlib.sha256(sender.encode()).hexdigest()[:12]}:{rest}"


def reaches_dialog(fields: dict[str, Any], message: BaseMessage) -> bool:
    """Whether the delivery gets a turn; system events (template sent, location...) do not."""
    if fields["MsgType"].lower() == "event":
        return message.type == "event" and message.event in _DIALOG_EVENTS
    return True  # every message gets an answer, if only "please send text"


def _scene_code(scene: str | None) -> str | None:
    if not scene:
        return None
    scene = scene.removeprefix("qrscene_")
    return codes.normalise(scene) or scene


class MpBot:
    """State of the callback: crypto, ledger, and the replies still being delivered late."""

    def __init__(
        self,
        app: web.Application,
        settings: Settings,
        kv: KeyValueStore,
        client: WeChatClient,
    ) -> None:
        self.app = app
        self.settings = settings
        self.kv = kv
        self.client = client
        appid = settings.wechat_appid or "default"
        self.ledger = MessageLedger(kv, prefix=f"{EPHEMERAL}wechat:mp:{appid}")
        self.crypto = (
            WeChatCrypto(settings.wechat_token, settings.wechat_aes_key, settings.wechat_appid)
            if settings.wechat_aes_key
            else None
        )
        self._late: set[asyncio.Task[None]] = set()
        self.deadlines = Deadlines()

    @property
    def config(self) -> BotConfig:
        return self.app[keys.BOT_CONFIG]

    @property
    def intake(self) -> IntakeService:
        return self.app[keys.INTAKE]

    # -- inbound ------------------------------------------------------------------------------

    def verify(self, query: Any, *extra: str, signed: str = "signature") -> None:
        timestamp, nonce = query.get("timestamp"), query.get("nonce")
        check_fresh(timestamp, self.config.clock(), self.config.replay_window_seconds)
        check_signature((timestamp, nonce, *extra), self.settings.wechat_token, query.get(signed))

    async def inbound(self, request: web.Request) -> tuple[BaseMessage, dict[str, Any], bool]:
        """The verified, decrypted message, its raw fields, and whether it came in safe mode.

        With an EncodingAESKey set the account is in safe (or compatible) mode and WeChat
        posts every message encrypted: a plain one is refused, since anyone who learns the
        token could sign one, while an encrypted one also needs the key."""
        body = await read_body(request, self.settings.max_body_bytes)
        query = request.query
        safe = query.get("encrypt_type", "raw").lower() == "aes"
        if not safe or "signature" in query:
            self.verify(query)
        if not safe and self.crypto is not None:
            raise Rejected(403, "plain message refused in safe mode")
        outer = parse_xml(body)
        if safe:
            if self.crypto is None:
                raise Rejected(400, "safe mode without FENGQIAO_WECHAT_AES_KEY")
            encrypted = outer.get("Encrypt")
            if not isinstance(encrypted, str) or not encrypted:
                raise Rejected(400, "missing Encrypt")
            self.verify(query, encrypted, signed="msg_signature")
            inner = decrypt(self.settings.wechat_aes_key, self.settings.wechat_appid, encrypted)
            fields = parse_xml(inner)
        else:
            fields = outer
        check_fields(fields)
        return to_message(fields), fields, safe

    # -- one message, once --------------------------------------------------------------------

    async def answer(
        self,
        message: BaseMessage,
        fields: dict[str, Any],
        started: float,
        alive: Callable[[], bool] = lambda: True,
    ) -> tuple[str | None, bytes | None]:
        """The passive reply text for `message` (None: answer "success") and the ledger
        version it was handed out under (see `take_back`). `alive` tells whether WeChat
        still waits on this connection: a reply is never handed to one it has left."""
        budget = self.settings.reply_budget_seconds - (time.monotonic() - started)
        key = message_key(fields)
        if not await self.ledger.claim(key):
            # A live first delivery settles (reply or "deferred") within its budget. Still
            # pending after that means its worker stalled or died: wait until its lease would
            # have lapsed, and take over, rather than answer "success" for a message nobody
            # handles. (Past 5 s WeChat hangs up on us and repeats; the turn still runs.)
            outcome = await self.ledger.wait(key, max(budget, 0.0) + self.ledger.pending_ttl)
            if outcome is not None:
                log.info("repeat delivery", extra={"key": loggable(key), "answered": True})
                if outcome.deferred or outcome.reply is None or not alive():
                    return None, None
                version = await self.ledger.hand_out(key, outcome)
                # None: the first delivery took its reply back to send it as a message.
                return (outcome.reply, version) if version else (None, None)
            # No outcome: the first delivery is still running (answer "success", its reply
            # follows), or its claim is gone because its worker died or its turn failed; then
            # this repeat takes the message over, so it is handled once, not never.
            if not await self.ledger.claim(key):
                log.info("repeat delivery", extra={"key": loggable(key), "answered": False})
                return None, None
            log.warning("repeat delivery takes over a lapsed claim", extra={"key": loggable(key)})
            takeover = True
        else:
            takeover = False
        try:
            return await self._handle(message, fields, key, started, takeover, alive)
        except BaseException:
            # The store or the event loop failed under us: stop renewing the claim so that it
            # lapses and a repeat may try again.
            self.ledger.abandon(key)
            raise

    async def _handle(
        self,
        message: BaseMessage,
        fields: dict[str, Any],
        key: str,
        started: float,
        takeover: bool = False,
        alive: Callable[[], bool] = lambda: True,
    ) -> tuple[str | None, bytes | None]:
        """The claimed message: count it against the user's limit (once: not again when a
        repeat takes it over) and run its turn."""
        budget = self.settings.reply_budget_seconds - (time.monotonic() - started)
        if not reaches_dialog(fields, message):
            if str(fields.get("Event", "")).upper() == "TEMPLATESENDJOBFINISH":
                await self._template_finished(fields)
            await self.ledger.finish(key, Outcome(reply=None, deferred=False))
            return None, None
        if not takeover and await over_limit(
            self.kv,
            f"mp:{message.source}",
            self.config.user_messages_per_minute,
            now=self.config.clock(),
        ):
            version = await self.ledger.finish(key, Outcome(texts.RATE_LIMITED, deferred=False))
            return texts.RATE_LIMITED, version
        self.learn_identity(message.source)
        task = asyncio.create_task(self.turn(message, key))
        finished = await self.deadlines.wait(task, budget)
        # If WeChat left this connection while the turn ran, its reply takes the late path
        # below too: sent as a message, repeats answer "success".
        if finished and alive():
            try:
                reply = task.result()
            except Exception:
                log.exception("dialog turn failed", extra={"key": loggable(key)})
                await self.ledger.release(key)
                return texts.BUSY.format(hotline=self.settings.hotline), None
            version = await self.ledger.finish(key, Outcome(reply=reply, deferred=False))
            if version is None:
                return None, None  # a repeat took the message over and answers it
            return reply, version
        # Out of time: WeChat gets "success" now; the reply follows as a customer-service
        # message. Repeats of this message also get "success" and never run the turn again.
        # If a repeat took the message over meanwhile, it answers, and only it: our turn still
        # runs to its end (so the dialog state is whole) but its reply is not sent.
        ours = await self.ledger.finish(key, Outcome(reply=None, deferred=True)) is not None
        late = asyncio.create_task(self._deliver_late(task, message.source, key, send=ours))
        self._late.add(late)
        late.add_done_callback(self._late.discard)
        return None, None

    def learn_identity(self, openid: str) -> None:
        """Beside the turn, never delaying it: ask WeChat (once a day per follower) for the
        unionid, which joins this follower to the same person on the mini-program. Only for an
        account bound to an open platform (config/notifications.toml [mp] open_platform)."""
        cases = self.app.get(keys.CASES)
        if cases is None or not cases.config.notifications.get("mp", {}).get("open_platform"):
            return  # without an open platform WeChat gives no unionid: nothing to ask
        task = asyncio.create_task(self._learn_identity(openid))
        self._late.add(task)
        task.add_done_callback(self._late.discard)

    async def _learn_identity(self, openid: str) -> None:
        marker = f"{EPHEMERAL}wechat:mp:identity:{hashlib.sha256(openid.encode()).hexdigest()}"
        try:
            if not await self.kv.set_if_absent(marker, "1", ttl=IDENTITY_RECHECK_SECONDS):
                return
            unionid = await self.client.unionid_of(openid)
            await self.app[keys.CASES].link(CHANNEL, openid, unionid)
        except (WeChatError, StoreUnavailable) as exc:
            log.warning("follower identity not learnt: %s", exc)
        except Exception:  # noqa: BLE001 - the turn goes on whatever happens here
            log.exception("follower identity not learnt")

    async def turn(self, message: BaseMessage, key: str | None = None) -> str | None:
        """One dialog turn; `key` lets the dialog recognise a message it already answered
        (a repeat that took over from a worker that died after saving the turn)."""
        user = message.source
        kind = message.type
        if kind == "text":
            turn = await self.intake.handle_text(CHANNEL, user, message.content, message_key=key)
            return turn.reply
        if kind == "voice":
            recognised = (message.recognition or "").strip()
            if not recognised:
                return texts.VOICE_NOT_RECOGNISED
            turn = await self.intake.handle_text(CHANNEL, user, recognised, message_key=key)
            return turn.reply
        if kind == "image":
            try:
                data = await self.client.download_media(message.media_id)
            except WeChatError as exc:
                log.warning("image download failed: %s", exc, extra={"msg_id": message.id})
                return texts.IMAGE_FAILED
            turn = await self.intake.handle_image(
                CHANNEL, user, data, source_ref=f"mp:{user}:{message.id}"
            )
            return turn.reply
        if kind == "event":
            return await self._event(message)
        return texts.UNSUPPORTED_MESSAGE

    async def _event(self, message: BaseMessage) -> str | None:
        user = message.source
        event = message.event
        if event in ("subscribe", "subscribe_scan"):
            scene = getattr(message, "scene_id", None) or getattr(message, "key", None)
            code = _scene_code(scene)
            turn = await self.intake.handle_event(CHANNEL, user, "subscribe", code)
            return turn.reply or texts.WELCOME.format(
                centre=self.settings.centre_name, hotline=self.settings.hotline
            )
        if event == "scan":
            code = _scene_code(message.scene_id)
            return (await self.intake.handle_event(CHANNEL, user, "menu_progress", code)).reply
        if event == "click":
            name = MENU_EVENTS.get(message.key or "")
            if name is None:
                return texts.UNKNOWN_MENU
            return (await self.intake.handle_event(CHANNEL, user, name, None)).reply
        return None

    async def _template_finished(self, fields: dict[str, Any]) -> None:
        """WeChat's delivery report for a template message: case notices and e-service."""
        msg_id, status = str(fields.get("MsgID", "")), str(fields.get("Status", ""))
        if not msg_id:
            return
        known = await self.app[keys.CASES].handle_template_event(msg_id, status)
        if not known:
            await self.app[keys.DOCUMENTS].delivery.on_wechat_status(msg_id, status)

    async def _deliver_late(
        self, task: asyncio.Task[str | None], openid: str, key: str, send: bool = True
    ) -> None:
        try:
            reply = await task
        except Exception:
            log.exception("late dialog turn failed", extra={"key": loggable(key)})
            reply = texts.BUSY.format(hotline=self.settings.hotline)
        if not reply or not send:
            return
        try:
            await self.client.send_text(openid, reply)
        except (ReplyWindowClosed, TooManyMessages) as exc:
            # WeChat will not take more; the resident sees the reply on their next message.
            log.warning("late reply not deliverable: %s", exc, extra={"key": loggable(key)})
        except WeChatError as exc:
            log.error("late reply failed: %s", exc, extra={"key": loggable(key)})

    async def redeliver(
        self, message: BaseMessage, fields: dict[str, Any], reply: str, version: bytes | None
    ) -> None:
        """Send `reply` as a customer-service message instead, unless a repeat has already
        handed it out passively; later repeats then answer "success"."""
        key = message_key(fields)
        if version is None:
            return  # a "busy, send again" answer: WeChat's repeat or the resident retries
        try:
            if not await self.ledger.take_back(key, version):
                return  # a repeat on a live connection has it
        except StoreUnavailable:
            return  # cannot tell; a duplicate is worse than WeChat's own "retry" prompt
        log.info(
            "connection gone before the reply; sending it as a message",
            extra={"key": loggable(key)},
        )
        done: asyncio.Future[str | None] = asyncio.get_running_loop().create_future()
        done.set_result(reply)
        late = asyncio.create_task(self._deliver_late(done, message.source, key))  # type: ignore[arg-type]
        self._late.add(late)
        late.add_done_callback(self._late.discard)

    async def close(self, grace: float = 5.0) -> None:
        """Let late replies go out on shutdown, within `grace` seconds."""
        if not self._late:
            return
        pending = set(self._late)
        _, still = await asyncio.wait(pending, timeout=grace)
        for task in still:
            task.cancel()
        for task in still:
            with contextlib.suppress(asyncio.CancelledError):
                await task


def _configured(request: web.Request) -> MpBot:
    bot = request.app[keys.WECHAT_MP]
    if not bot.settings.wechat_token:
        raise web.HTTPServiceUnavailable(text="FENGQIAO_WECHAT_TOKEN is not set")
    return bot


# The WeChat callback proves itself by its signature: public at the door, checked here.
@declare(
    "public",
    summary="Official-account server URL check: echoes echostr when the signature is right",
    media_type="text/plain",
    errors=(403,),
)
async def verify_url(request: web.Request) -> web.Response:
    bot = _configured(request)
    try:
        bot.verify(request.query)
    except Rejected as exc:
        return web.Response(status=exc.status, text=exc.reason)
    return web.Response(text=request.query.get("echostr", ""))


@declare(
    "public",
    summary="Official-account callback: a message or event in, the reply (XML or 'success') out",
    body_schema={"type": "string", "format": "xml"},
    body_media_type="text/xml",
    media_type="text/xml",
    errors=(400, 403),
)
async def receive(request: web.Request) -> web.Response:
    started = time.monotonic()
    bot = _configured(request)
    try:
        message, fields, safe = await bot.inbound(request)
    except Rejected as exc:
        log.warning("callback rejected: %s", exc.reason, extra={"status": exc.status})
        return web.Response(status=exc.status, text=exc.reason)

    def alive() -> bool:
        return request.transport is not None and not request.transport.is_closing()

    try:
        reply, version = await bot.answer(message, fields, started, alive)
    except StoreUnavailable:
        # Without the store there is no once-only ledger and no dialog session: tell the
        # resident plainly to send again (WeChat would only show "service unavailable").
        log.warning("key-value store unavailable at the callback")
        reply, version = texts.BUSY.format(hotline=bot.settings.hotline), None
    if reply is not None and not alive():
        # WeChat gave up on this connection while the turn ran (its repeat was answered
        # "success"): a passive reply would be lost, so it goes as a customer-service message.
        await bot.redeliver(message, fields, reply, version)
        return web.Response(text="success")
    if reply is None:
        return web.Response(text="success")
    xml = TextReply(message=message, content=reply).render()
    if safe:
        assert bot.crypto is not None  # inbound() refused safe mode without a key
        xml = bot.crypto.encrypt_message(xml, request.query["nonce"], str(int(bot.config.clock())))
    return web.Response(text=xml, content_type="text/xml")
