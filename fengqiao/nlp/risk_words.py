"""What the learned red-risk model reads in a text: word classes of jieba's words, in each
clause and in neighbouring clauses, negation, tense, a person as the target, and character
n-grams.

The word classes are the `[lexicon]` of ``config/risk_cues.toml`` (blades, fire, poison,
vehicles, holding and harm verbs, people, kin, crowds, despair ...): a word an operator adds
there is read by the model like the words of its class it was trained with. Each distinct
jieba word is tagged once and remembered, so tagging a text is a few dictionary look-ups.
"""

from __future__ import annotations

import re
from bisect import bisect_right
from collections.abc import Callable, Iterable, Sequence

from fengqiao.nlp.prefixes import spans_only
from fengqiao.nlp.risk_cues import _PAST as _PAST_TIME
from fengqiao.nlp.risk_cues import BLANK, required_chars

_HAN = re.compile(r"[\u4e00-\u9fff□]+")
_PUNCT = frozenset("，。！？；、,.!?;:：\n \t…～~")
NEGATIONS = frozenset({"不", "没", "没有", "别", "未", "并未", "不会", "不想", "不要", "绝不",
                       "不敢", "不用", "无需", "防止", "避免", "以免", "从没", "从来不", "不至于",
                       "不能", "不是"})
_PASSIVE = frozenset({"被", "让", "给", "叫"})
_TOWARDS = frozenset({"把", "往", "朝", "对着", "冲着", "向", "将", "拿", "用"})
_TARGETS = frozenset({"person", "kin", "school_hosp", "institution"})
# Context classes: people, kin, going, holding, saying, imminence, places and buildings are
# in every complaint ("我爸提着水去", "婆婆说要把我赶出去"); what matters is what they are found
# with. They are read only in a pair with a class that carries danger itself (a blade, a harm
# verb, a crowd, despair ...): k:blade+hold, k:beat+kin, s:despair+now; never alone
# (k:hold) nor with each other (k:go+person), which fired on ordinary disputes. A class an
# operator adds is a danger class unless listed here.
CONTEXT = frozenset({"person", "kin", "hold", "go", "say", "now", "later", "institution", "way",
                     "school_hosp", "block", "medicine", "strain", "vehicle", "take"})
_PAST = ("以前", "前几年", "几年前", "多年前", "去年", "前年", "曾经", "那时候", "小时候", "当年",
         "早就", "后来", "现在没事", "戒了", "已经好了", "年轻的时候", "年轻时", "早年", "那几年",
         "那会儿", "好几年前", "十几年前", "几十年前", "上周", "上礼拜", "上星期", "上个月")
_FICTION = ("小说", "电视剧", "电影", "游戏里", "梦里", "梦见", "做梦", "剧里", "故事")
_ASKING = ("请问", "想问", "问一下", "咨询", "怎么办", "能不能", "合法吗", "算不算", "怎么赔",
           "要赔", "该找谁", "找谁", "投诉", "退货", "退款", "赔偿", "补偿", "问问", "问一问",
           "需要带", "要带什么", "需要什么", "需要准备", "什么材料", "怎么写")
# Seeking a remedy (a complaint's purpose): 想让他赔, 合理吗, 不认账, 起诉, 仲裁.
_REMEDY = ("想让", "要求", "合理吗", "合法吗", "这样对吗", "公平吗", "不负责", "不认账", "不肯赔",
           "不赔", "不给退", "要我赔", "要我们赔", "赔一半", "私了", "调解", "协商", "仲裁", "起诉",
           "律师", "打官司", "医药费", "误工费", "精神损失", "报销", "社保", "工伤认定")
CACHE_LIMIT = 50_000


class WordTagger:
    """Where the lexicon's words are in a clause, and their classes. A single-character
    word (刀, 打, 药) counts only as a whole jieba word; a longer one (菜刀, 这辈子就这样,
    收起来) wherever its characters are, across jieba's cut; the lexicon's patterns (二三十个人)
    wherever they match."""

    def __init__(self, lexicon: dict[str, list[str]]) -> None:
        self.single: dict[str, tuple[str, ...]] = {}
        by_first: dict[str, dict[str, set[str]]] = {}
        patterns: dict[str, list[str]] = {}
        for name, words in lexicon.items():
            for word in map(str, words):
                if re.escape(word) != word and not word.isalnum():
                    patterns.setdefault(name, []).append(word)
                elif len(word) == 1:
                    self.single[word] = tuple(sorted({*self.single.get(word, ()), name}))
                else:
                    by_first.setdefault(word[0], {}).setdefault(word, set()).add(name)
        # Longest first at each starting character.
        self.by_first = {ch: sorted(((w, tuple(sorted(n))) for w, n in found.items()),
                                    key=lambda wn: -len(wn[0]))
                         for ch, found in by_first.items()}
        self.patterns = [(spans_only("|".join(f"(?:{p})" for p in ps)), name)
                         for name, ps in patterns.items()]
        # Sets of characters each pattern's every match holds one of (`required_chars`): a
        # clause missing one is not searched (most clauses: all of them skipped). One
        # alternation of all the patterns, searched first, cost more than the patterns alone
        # (it starts at every character: no common first character for `re` to scan for).
        self._gates = [required_chars(pattern.pattern) for pattern, _ in self.patterns]
        # clause, or (clause, masked clause) -> its classes (sorted) and features
        self.clauses: dict[str | tuple[str, str], tuple[tuple[str, ...], frozenset[str]]] = {}
        # (classes of a clause, of the next) -> their s: features (`word_features`)
        self.pairs: dict[tuple[tuple[str, ...], tuple[str, ...]], tuple[str, ...]] = {}

    def spans(self, text: str) -> list[tuple[int, int, tuple[str, ...]]]:
        """(start, end, classes) of the multi-character words and patterns in ``text``."""
        out: list[tuple[int, int, tuple[str, ...]]] = []
        by_first = self.by_first
        startswith = text.startswith
        for i, ch in enumerate(text):
            for word, names in by_first.get(ch, ()):
                if startswith(word, i):
                    out.append((i, i + len(word), names))
                    break  # the longest word here is enough
        if self.patterns:
            chars = set(text)
            # Plain loops: a generator in all() per pattern cost more than the search.
            for (pattern, name), gates in zip(self.patterns, self._gates):
                for gate in gates:
                    if gate.isdisjoint(chars):
                        break
                else:
                    out.extend((m.start(), m.end(), (name,)) for m in pattern.finditer(text)
                               if m.end() > m.start())
        return out


class GramCache:
    """Character bigrams of each run of Chinese characters, remembered."""

    def __init__(self) -> None:
        self._runs: dict[str, tuple[str, ...]] = {}

    @staticmethod
    def runs(text: str) -> list[str]:
        """The runs `grams` takes bigrams from: ``grams(text)`` is the union of theirs."""
        return _HAN.findall(text)

    def grams(self, text: str) -> set[str]:
        out: set[str] = set()
        runs = self._runs
        for run in _HAN.findall(text):
            found = runs.get(run)
            if found is None:
                n = len(run)
                # Trigrams were tried: on texts written apart from the training set they
                # lowered recall (they learn the training sentences rather than the words).
                found = tuple({run[i:i + 2] for i in range(n - 1)})
                if len(runs) >= CACHE_LIMIT:
                    runs.clear()
                runs[run] = found
            out.update(found)
        return out


_BREAK = re.compile(r"[，。！？；,.!?;\n]")


def word_features(text: str, masked: str, cut: Callable[[str], list[str]],
                  tagger: WordTagger) -> set[str]:
    """Word-class features of ``text`` (``masked``: the same with its harmless senses
    blanked out; ``cut``: jieba's cut of a clause, punctuation left out):

    ``k:blade`` a class in some clause; ``k:blade+hold`` two classes in one clause;
    ``s:blade+person`` two classes in neighbouring clauses; ``n:blade`` a class negated
    in its clause (我没拿刀); ``p:beat`` a harm or holding verb said in the passive (被…打);
    ``t:kin`` a person after 把/往/朝 (把我妈推倒); ``h:blade`` a danger class in a clause
    told of the past (去年…拿刀吓唬过我爸); ``x:past``, ``x:fiction``, ``x:ask``,
    ``x:remedy`` the text speaks of the past, of fiction, asks a question about a dispute,
    or seeks a remedy (想让他赔, 起诉).
    A clause's part is remembered (residents repeat clauses); jieba cuts between
    punctuation, so a clause cut alone gives the words it has in the whole text."""
    feats: set[str] = set()
    previous: tuple[str, ...] = ()
    remembered = tagger.clauses
    # Keyed by the clause alone when nothing was blanked (most texts), else with its masked
    # form; an empty clause (two breaks in a row) is skipped.
    keys: Sequence[str | tuple[str, str]]
    if masked == text:
        keys = _BREAK.split(text)
    else:
        stops = [*(m.start() for m in _BREAK.finditer(text)), len(text)]
        # A clause nothing was blanked in is keyed by itself, as in an unmasked text: the
        # same entry (a tuple key for every clause of such a text missed the cache).
        keys = [clause if clause == masked_clause else (clause, masked_clause)
                for a, b in zip([0, *(s + 1 for s in stops)], stops) if b > a
                for clause, masked_clause in ((text[a:b], masked[a:b]),)]
    for key in keys:
        if key:
            found = remembered.get(key)
            if found is None:
                clause, masked_clause = (key, key) if isinstance(key, str) else key
                names, own = _clause(cut(clause), (clause, masked_clause), tagger)
                # The x: words hold no clause break, so each is found in one clause.
                flags = [flag for flag, words in _TEXT_FLAGS if words.search(masked_clause)
                         ] if _ANY_FLAG.search(masked_clause) else []
                found = (tuple(sorted(names)), own.union(flags) if flags else own)
                if len(remembered) >= CACHE_LIMIT:
                    remembered.clear()
                remembered[key] = found
            ordered, own = found
            if own:
                feats.update(own)
            if ordered:
                if previous:
                    pair = tagger.pairs.get((previous, ordered))
                    if pair is None:
                        pair = _pair_features(previous, ordered)
                        if len(tagger.pairs) >= CACHE_LIMIT:
                            tagger.pairs.clear()
                        tagger.pairs[previous, ordered] = pair
                    feats.update(pair)
                previous = ordered
            else:
                previous = ()
    return feats


def _pair_features(previous: tuple[str, ...], ordered: tuple[str, ...]) -> tuple[str, ...]:
    """The s: features of two neighbouring clauses' classes, in the order they were added
    one by one (a tuple, not a set: the text's set of features is then built alike)."""
    return tuple(f"s:{min(a, b)}+{max(a, b)}" for a in previous for b in ordered
                 if a != b and (a not in CONTEXT or b not in CONTEXT))


# Done before, said in its own clause: 吓唬过我爸, 打过他两次 (经过, 路过 are not).
_EXPERIENCED = re.compile(r"(?<![经通路穿越跨超度])过(一次|两次|几次|好几次|一回|几回|我|他|她|你|人|孩子)")
# Whether any of the words is in a text, in one scan each (was a substring test per word).
_PAST_ANY, _FICTION_ANY, _ASKING_ANY, _REMEDY_ANY = (
    re.compile("|".join(map(re.escape, words))) for words in (_PAST, _FICTION, _ASKING, _REMEDY))
_TEXT_FLAGS = (("x:past", _PAST_ANY), ("x:fiction", _FICTION_ANY), ("x:ask", _ASKING_ANY),
               ("x:remedy", _REMEDY_ANY))
_ANY_FLAG = re.compile("|".join(map(re.escape, (*_PAST, *_FICTION, *_ASKING, *_REMEDY))))
if any(_BREAK.search(w) for w in (*_PAST, *_FICTION, *_ASKING, *_REMEDY)):
    raise ValueError("an x: word holds a clause break: word_features finds them per clause")


def _clause(words: list[str], key: tuple[str, str], tagger: WordTagger
            ) -> tuple[frozenset[str], frozenset[str]]:
    """The classes of one clause (not negated) and its own features (k:, n:, p:, t:)."""
    text, masked = key
    feats: set[str] = set()
    current: set[str] = set()
    starts: list[int] = []
    tags: list[set[str]] = []
    pos = 0
    words = [w for w in words if w in text]  # not <num>, the cut's token for a number
    for word in words:
        start = text.find(word, pos)
        pos = start + len(word)
        starts.append(start)
        tags.append(set(tagger.single.get(word, ())))
    for begin, end, names in tagger.spans(text):
        if BLANK in masked[begin:end]:
            continue
        tags[max(0, bisect_right(starts, begin) - 1)].update(names)
    for index, word in enumerate(words):
        begin = starts[index]
        if BLANK in masked[begin:begin + len(word)]:
            feats.add("x:harmless")  # a harmless sense was here (跳楼价, 气死我了)
            continue
        if not tags[index]:
            continue
        recent = words[max(0, index - 4):index]
        negated = any(w in NEGATIONS for w in recent[-3:])
        passive = any(w in _PASSIVE for w in recent)
        towards = any(w in _TOWARDS for w in recent[-2:])
        for name in tags[index]:
            if negated:
                feats.add("n:" + name)
                continue
            current.add(name)
            if passive:
                feats.add("p:" + name)
            if towards and name in _TARGETS:
                feats.add("t:" + name)
    found = sorted(current)
    danger = not current <= CONTEXT
    if not danger:  # 把我的车锁了: a person after 把 says nothing without a danger class
        feats = {f for f in feats if f[:2] != "t:" and f[:2] != "p:"}
    elif _PAST_TIME.search(masked) or _EXPERIENCED.search(masked):
        # 去年有个亲戚拿刀吓唬过我爸: the danger classes of a clause told of the past are
        # read as history (h:blade), not as the same danger now; no pairs, no target.
        feats = {f for f in feats if f[:2] == "n:" or f == "x:harmless"}
        feats.update("h:" + name for name in found if name not in CONTEXT)
        return frozenset(), frozenset(feats)
    feats.update("k:" + name for name in found if name not in CONTEXT)
    feats.update(f"k:{a}+{b}" for i, a in enumerate(found) for b in found[i + 1:]
                 if a not in CONTEXT or b not in CONTEXT)
    return frozenset(current), frozenset(feats)


# Word classes named in the model's reason, in the resident's terms.
CLASS_NAMES = {
    "blade": "刀具", "blunt": "棍棒等器械", "gun": "枪支", "fire": "汽油、煤气等易燃物",
    "blast": "爆炸物", "poison": "农药毒物", "vehicle": "车辆机械", "hold": "手持",
    "harm": "伤害动作", "beat": "殴打", "person": "针对他人", "kin": "家人",
    "now": "正在或即将发生", "threat": "扬言", "crowd": "人群聚集", "block": "堵、围",
    "way": "道路、大门", "detain": "扣押、关押", "ransom": "索要钱财放人",
    "selfharm_act": "自伤行为", "despair": "轻生念头", "lethal": "致命药物",
    "high_place": "高处", "farewell": "告别、交代后事", "stockpile": "攒药、藏药",
    "medicine": "药物、绳子、木炭", "school_hosp": "学校、医院", "institution": "机关单位", "go": "前往",
    "say": "说、要、想", "strain": "难以支撑", "take": "带走、扣下",
}


def explain(weights: dict[str, float], feats: Iterable[str], count: int = 3) -> list[str]:
    """The Chinese names of the word classes that pushed a text most towards red."""
    scored: dict[str, float] = {}
    for feat in feats:
        if feat[:2] not in ("k:", "s:", "p:", "t:"):
            continue
        weight = weights.get(feat, 0.0)
        if weight <= 0:
            continue
        for name in feat[2:].split("+"):
            if name in CLASS_NAMES and name not in ("person", "now", "hold", "go", "say"):
                scored[name] = max(scored.get(name, 0.0), weight)
    # Ties by name: the features come from a set, whose order follows the hash seed.
    ranked = sorted(scored, key=lambda n: (-scored[n], n))[:count]
    return [CLASS_NAMES[n] for n in ranked]
