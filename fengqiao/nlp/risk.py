"""红黄蓝 risk colour from the operator's rules in ``config/risk.toml``.

Rules are phrases and combinations, never single characters, and a phrase negated in its
own clause (我们不会去闹) does not count. The reasons returned are the rules' own Chinese
text plus the words that triggered them, so a mediator sees why.
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass
from pathlib import Path

RED, YELLOW, BLUE = "red", "yellow", "blue"
_NEGATION = re.compile(
    r"(不|没|没有|别|未|并未|不会|不想|不要|绝不|不打算|不至于|差点|险些)[^，。！？,.!?]{0,3}$"
)
_CLAUSE_BREAK = re.compile(r"[，。！？；,.!?;\n]")
LARGE_SUM_REASON = "涉及金额较大"


@dataclass(frozen=True)
class RiskRule:
    level: str
    reason: str
    groups: tuple[re.Pattern[str], ...]  # every group must match (one group for plain rules)


def _first_unnegated(pattern: re.Pattern[str], text: str) -> str | None:
    for m in pattern.finditer(text):
        before = _CLAUSE_BREAK.split(text[max(0, m.start() - 8) : m.start()])[-1]
        if not _NEGATION.search(before):
            return m.group(0)
    return None


class RiskAssessor:
    def __init__(self, rules: list[RiskRule], large_sum_yuan: float) -> None:
        self.rules = rules
        self.large_sum_yuan = large_sum_yuan

    @classmethod
    def from_config(cls, config_dir: Path) -> RiskAssessor:
        data = tomllib.loads((config_dir / "risk.toml").read_text(encoding="utf-8"))
        rules: list[RiskRule] = []
        for raw in data.get("rule", []):
            level = raw["level"]
            if level not in (RED, YELLOW):
                raise ValueError(f"risk rule level must be red or yellow, not {level!r}")
            groups = raw.get("all") or [raw["patterns"]]
            compiled = tuple(re.compile("|".join(f"(?:{p})" for p in group)) for group in groups)
            rules.append(RiskRule(level, raw["reason"], compiled))
        return cls(rules, float(data.get("large_sum_yuan", 100_000)))

    def assess(self, text: str, amounts_yuan: list[float | int]) -> tuple[str, list[str]]:
        """(colour, reasons). Reasons list red ones first."""
        red: list[str] = []
        yellow: list[str] = []
        for rule in self.rules:
            hits: list[str] = []
            for group in rule.groups:
                hit = _first_unnegated(group, text)
                if hit is None:
                    break
                hits.append(hit)
            else:
                shown = "、".join(dict.fromkeys(hits))
                (red if rule.level == RED else yellow).append(f"{rule.reason}（“{shown}”）")
        biggest = max(amounts_yuan, default=0)
        if biggest >= self.large_sum_yuan:
            yellow.append(f"{LARGE_SUM_REASON}（{_yuan_text(biggest)}）")
        if red:
            return RED, red + yellow
        if yellow:
            return YELLOW, yellow
        return BLUE, []


def _yuan_text(amount: float) -> str:
    if amount >= 10_000:
        wan = amount / 10_000
        return f"{wan:g}万元" if wan == round(wan, 2) else f"{amount:g}元"
    return f"{amount:g}元"
