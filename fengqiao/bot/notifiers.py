"""The WeChat side of the notices the domain sends: the outbox's ``Notifier`` (fengqiao.cases.
outbox) over the official account's and the mini-program's API clients."""

from __future__ import annotations

from typing import Any


class WeChatNotifier:
    """Template messages through the official account's client, subscribe messages through
    the mini-program's (both fengqiao.bot.client.WeChatClient); None when not configured."""

    def __init__(self, mp: Any | None, wxa: Any | None) -> None:
        self.mp = mp
        self.wxa = wxa

    async def send_template(
        self, openid: str, template_id: str, data: dict[str, str], *, url: str | None = None
    ) -> int | str:
        if self.mp is None:
            raise RuntimeError("official account is not configured")
        return await self.mp.send_template(openid, template_id, data, url=url)  # type: ignore[no-any-return]

    async def send_subscribe(
        self, openid: str, template_id: str, data: dict[str, str], *, page: str | None = None
    ) -> Any:
        if self.wxa is None:
            raise RuntimeError("mini-program is not configured")
        return await self.wxa.send_subscribe(openid, template_id, data, page=page)
