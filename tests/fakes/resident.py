"""A simulated resident: answers the intake dialog by reading its replies, as a person would.

Transport-free, so the same resident talks through the official account, the mini-program
API, or a benchmark.
"""

from __future__ import annotations

import re

from fengqiao.dialogs import texts

CODE = re.compile(r"案件编号：(FQ\d{4}-[0-9A-Z]{6}-[0-9A-Z])")
MAX_TURNS = 40
NOISE = "邻居家装修噪音很大，每天晚上十点以后还在施工，多次沟通无果，想请中心调解。"


class Resident:
    def __init__(
        self,
        description: str = NOISE,
        name: str = "张三",
        phone: str = "13912345678",
    ) -> None:
        self.description = description
        self.name = name
        self.phone = phone
        self.turns = 0
        self.code: str | None = None
        self.transcript: list[tuple[str, str]] = []

    def opening(self) -> str:
        return "你好"

    def answer(self, said: str, reply: str) -> str | None:
        """What to say next after `reply` to `said`; None once the case code has arrived."""
        self.transcript.append((said, reply))
        self.turns += 1
        if self.turns > MAX_TURNS:
            raise AssertionError(f"dialog did not finish: {self.transcript}")
        if match := CODE.search(reply):
            self.code = match.group(1)
            return None
        if "同意请回复" in reply or reply.startswith(texts.CONSENT_REASK):
            return "同意"
        if texts.ASK_DESCRIPTION in reply or reply == texts.DESCRIPTION_TOO_SHORT:
            return self.description
        if "回复 1 确认" in reply or reply == texts.CONFIRM_REASK:
            return "1"
        if texts.REVIEW_HEADER.strip() in reply or reply == texts.REVIEW_REASK:
            return "提交"
        if "回复序号" in reply:
            return "1"
        if texts.ASK_APPLICANT_NAME in reply:
            return self.name
        if texts.ASK_APPLICANT_PHONE in reply or texts.INVALID["applicant_phone"] in reply:
            return self.phone
        return "不清楚"  # any other question may be skipped
