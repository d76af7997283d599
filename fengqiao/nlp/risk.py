"""红黄蓝 risk colour from the operator's rules in ``config/risk.toml``.

Rules are phrases and combinations, never single characters, and a phrase negated in its
own clause (我们不会去闹) does not count. The reasons returned are the rules' own Chinese
text plus the words that triggered them, so a mediator sees why.
"""

from __future__ import annotations

import tomllib
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from fengqiao.nlp.prefixes import required_pairs
from fengqiao.nlp.risk_cues import BLANK, CueSet, Phrases, first_unnegated, required_chars
from fengqiao.nlp.risk_model import RiskModel, features, read
from fengqiao.nlp.risk_words import GramCache, WordTagger, explain

RED, YELLOW, BLUE = "red", "yellow", "blue"
LARGE_SUM_REASON = "涉及金额较大"
MODEL_REASON = "整体表述显示可能存在紧急人身危险（模型判断，可能性{p:.0%}{why}）"
SELF_HARM = "self_harm"
# Decision thresholds on the calibrated red probability (see evaluate()).
MODEL_RED = 0.4  # the model alone, on any text (chosen on dev rounds B-E, docs/nlp.md)
MODEL_WITH_CUE = 0.25  # the model where a weak cue (a weapon named, an intent, a crowd) agrees
# Word classes of a danger to the resident themself (the 12356 line), and of one to others.
_SELF_CLASSES = ("k:selfharm_act", "k:despair", "k:lethal", "k:high_place", "k:farewell",
                 "k:stockpile")
_OTHERS_CLASSES = ("k:blade", "k:blunt", "k:gun", "k:fire+person", "k:beat", "k:detain",
                   "k:crowd")
# A vehicle (a context class, read only in pairs) with a harm or beating verb: k:harm+vehicle.
_OTHERS_PAIRS = ("k:beat+vehicle", "k:harm+vehicle")
# A strong cue of danger to others is red unless the model, reading the whole text, is nearly
# sure it is not (told as past, said in anger, a word in another sense): in held-out texts of
# seven authors, every such cue below this floor was a text its author did not call red.
CUE_FLOOR = 0.1
# Kinds red whatever the model says: a life at stake now, a person held, self-harm (the issue
# lists 活着没意思 as red, and a miss costs most).
EMERGENCY = "emergency"
ALWAYS_RED_KINDS = frozenset({SELF_HARM, "detention", EMERGENCY})
MODEL_MIN_CHARS = 8
RULE_FLOOR = 0.3  # an operator phrase rule: red only if the model does not disagree
DISTANCE_REASON = "本人表示事情已过去或并非当真，请调解员核实"


@dataclass(frozen=True)
class RiskRule:
    level: str
    reason: str
    groups: tuple[Phrases, ...]  # every group must match (one group for plain rules)
    # Characters one of which must be in the text for each group to match (None: any text).
    # Checking them first skips most regex scans: the risk step runs on every message.
    first_chars: tuple[frozenset[str] | None, ...]


def _first_unnegated(phrases: Phrases, text: str) -> str | None:
    return first_unnegated(phrases.finditer(text), text)


@dataclass
class RiskResult:
    colour: str
    reasons: list[str]
    self_harm: bool = False
    probability: float | None = None  # the learned model's calibrated red probability


class RiskAssessor:
    """Operator phrase rules (risk.toml), structural cues (risk_cues.toml) and, once the
    Analyzer attaches it, the learned model (risk_model.py), combined in ``evaluate``."""

    def __init__(self, rules: list[RiskRule], large_sum_yuan: float,
                 cues: CueSet | None = None, model: RiskModel | None = None,
                 distance: list[str] | None = None, earnest: list[str] | None = None) -> None:
        self.rules = rules
        # The resident's own stance towards what they tell: said in anger or jest, long ago,
        # already handled (气话, 嘴上说说, 大家都笑, 这都两年了, 派出所处理了). Anywhere in
        # the text it makes the cues and rules evidence for the model, not red on their own.
        self.distance = Phrases(distance) if distance else None
        # And the opposite: the resident believes it (他干得出来, 真的不是开玩笑). Then neither
        # that distance nor the model's doubt (CUE_FLOOR) takes a strong cue's red away.
        self.earnest = Phrases(earnest) if earnest else None
        self.large_sum_yuan = large_sum_yuan
        self.cues = cues or CueSet([], None)
        self.model = model
        self.always_probability = False  # kept for the bench: the model is asked on every text
        # jieba's cut, attached by the Analyzer; the model reads words (None: not asked).
        self.cut: Callable[[str], list[str]] | None = None
        self.tagger = WordTagger(self.cues.lexicon)
        self._grams = GramCache()
        # The risk step runs on every answer. Each rule's character sets (what each group can
        # start with, the rarest characters and the pairs each group's every match holds) are
        # bits, in the cues' index: a rule is tried only if the text sets all of its bits.
        self._rule_bits: list[tuple[int, RiskRule]] = [
            (self.cues.gates.bits(gate for group, first in zip(rule.groups, rule.first_chars)
                                  for gate in (*((first,) if first else ()),
                                               *required_chars(group.source),
                                               *required_pairs(group.source))), rule)
            for rule in rules]

    @classmethod
    def from_config(cls, config_dir: Path) -> RiskAssessor:
        data = tomllib.loads((config_dir / "risk.toml").read_text(encoding="utf-8"))
        rules: list[RiskRule] = []
        for raw in data.get("rule", []):
            level = raw["level"]
            if level not in (RED, YELLOW):
                raise ValueError(f"risk rule level must be red or yellow, not {level!r}")
            groups = raw.get("all") or [raw["patterns"]]
            # Groups that can be skipped by the character check go first.
            compiled = sorted(map(Phrases, groups), key=lambda p: p.first_chars is None)
            first = tuple(p.first_chars for p in compiled)
            rules.append(RiskRule(level, raw["reason"], tuple(compiled), first))
        return cls(rules, float(data.get("large_sum_yuan", 100_000)), CueSet.from_config(config_dir),
                   distance=list(data.get("distance", {}).get("patterns", [])),
                   earnest=list(data.get("earnest", {}).get("patterns", [])))

    def model_features(self, text: str) -> set[str]:
        """What the learned model reads: the masked text's n-grams and the word classes of
        its words (jieba's cut, ``self.cut``, attached by the Analyzer)."""
        if self.cut is None:
            raise ValueError("the learned model reads jieba's words: attach RiskAssessor.cut")
        return features(text, self.cues.mask(text), self.cut, self.tagger, self._grams)

    def is_plain(self, text: str) -> bool:
        """True if no cue (strong or weak) and no red rule finds anything: an everyday
        complaint, perhaps a heated one (yellow), a negative example for the model."""
        masked = self.cues.mask(text)
        red, _ = self._rules(masked)
        return not red and not self.cues.find(masked)

    def assess(self, text: str, amounts_yuan: list[float | int]) -> tuple[str, list[str]]:
        """(colour, reasons). Reasons list red ones first."""
        result = self.evaluate(text, amounts_yuan)
        return result.colour, result.reasons

    def evaluate(self, text: str, amounts_yuan: list[float | int],
                 words: Callable[[], list[str]] | None = None) -> RiskResult:
        """The colour, the reasons in Chinese, and whether the danger is to the resident."""
        bits = self.cues.gates.of_text(text)  # the characters, for the mask, cues and rules
        masked = self.cues.mask(text, bits)
        if masked is not text:
            bits = self.cues.gates.of_text(masked)
        hits = self.cues.find(masked, words, bits)
        rule_red, yellow = self._rules(masked, bits)
        strong = [h for h in hits if h.strong]
        p = None
        feats: set[str] = set()
        # The learned model reads every text long enough to say something (a short answer
        # such as 张三, 同意, 上个月 gives it nothing to weigh).
        if self.model is not None and self.cut is not None and len(masked) >= MODEL_MIN_CHARS:
            p, feats = read(self.model, text, masked, self.cut, self.tagger, self._grams)
        red: list[str] = []
        if p is not None and p < CUE_FLOOR and strong and not self._earnest(masked):
            yellow.extend(f"{h.reason}（“{h.text}”）" for h in strong
                          if h.kind not in ALWAYS_RED_KINDS)
            strong = [h for h in strong if h.kind in ALWAYS_RED_KINDS]
        if strong:
            red.extend(dict.fromkeys(f"{h.reason}（“{h.text}”）" for h in strong))
        if rule_red:
            if p is None or p >= RULE_FLOOR:
                red.extend(r for r in rule_red if r not in red)
            else:
                yellow = rule_red + yellow  # a phrase the model reads as harmless here
        model_red = False
        if not red and p is not None and self.model is not None and (
                p >= MODEL_RED or (p >= MODEL_WITH_CUE and any(not h.strong for h in hits))):
            why = explain(self.model.weights, feats)
            red.append(MODEL_REASON.format(p=p, why="；" + "、".join(why) if why else ""))
            model_red = True
        biggest = max(amounts_yuan, default=0)
        if biggest >= self.large_sum_yuan:
            yellow.append(f"{LARGE_SUM_REASON}（{_yuan_text(biggest)}）")
        self_harm = bool(red) and any(h.kind == SELF_HARM for h in hits) or any(
            "自杀" in r for r in red) or (model_red and any(f in feats for f in _SELF_CLASSES)
                                        and not any(f in feats for f in _OTHERS_CLASSES)
                                        and not any(f in feats for f in _OTHERS_PAIRS))
        # A life in danger now is not made distant by what else the resident says (对方跑了).
        if red and not any(h.kind == EMERGENCY and h.strong for h in hits) and (
                distant := self._distant(masked)) is not None and not self._earnest(masked):
            # Told as anger, jest, long ago or handled, and nothing set for now or tonight:
            # the mediator checks it the same day (yellow), with the reasons kept.
            return RiskResult(YELLOW, red + yellow + [f"{DISTANCE_REASON}（“{distant}”）"],
                              False, p)
        if red:
            return RiskResult(RED, red + yellow, self_harm, p)
        if yellow:
            return RiskResult(YELLOW, yellow, False, p)
        return RiskResult(BLUE, [], False, p)

    def _earnest(self, masked: str) -> bool:
        """Whether the resident says they believe it (asked only where it would decide)."""
        return self.earnest is not None and next(self.earnest.finditer(masked), None) is not None

    def _distant(self, masked: str) -> str | None:
        """The words of the resident's distance from what they tell, if the text holds them
        and no set time or imminence (the `soon` class: 今晚, 马上, 正在…) outside them."""
        found = None if self.distance is None else next(self.distance.finditer(masked), None)
        if found is None:
            return None
        rest = masked[:found.start()] + BLANK * len(found.group(0)) + masked[found.end():]
        soon = self.cues.class_words.get("soon")
        return None if soon is not None and next(soon.finditer(rest), None) else found.group(0)

    def _rules(self, text: str, bits: int | None = None) -> tuple[list[str], list[str]]:
        red: list[str] = []
        yellow: list[str] = []
        bits = self.cues.gates.of_text(text) if bits is None else bits
        # A rule missing a character one of its groups needs is skipped (& with the bits, not
        # with their complement: a negative int is copied whole at every test).
        for rule in [rule for needed, rule in self._rule_bits if needed & bits == needed]:
            hits: list[str] = []
            for group in rule.groups:
                hit = _first_unnegated(group, text)
                if hit is None:
                    break
                hits.append(hit)
            else:
                shown = "、".join(dict.fromkeys(hits))
                (red if rule.level == RED else yellow).append(f"{rule.reason}（“{shown}”）")
        return red, yellow


def _yuan_text(amount: float) -> str:
    if amount >= 10_000:
        wan = amount / 10_000
        return f"{wan:g}万元" if wan == round(wan, 2) else f"{amount:g}元"
    return f"{amount:g}元"
