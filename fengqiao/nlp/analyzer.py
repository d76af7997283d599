"""One entry point for reading a complaint: ``Analyzer.analyze(text) -> Analysis``.

The intake dialog, the HTTP API and ``fengqiao classify`` all call this, so a text gets the
same type, risk colour and extracted facts wherever it comes in.
"""

from __future__ import annotations

import hashlib
import logging
import marshal
import os
import sys
import tempfile
import threading
from dataclasses import dataclass, field
from datetime import datetime
from operator import itemgetter
from pathlib import Path
from typing import TYPE_CHECKING, Any, cast

import jieba

from fengqiao.nlp import money, prefixes, tokenize
from fengqiao.nlp.model import STOP_WORDS, Classifier, Example, load_examples, train_model
from fengqiao.nlp.risk import RiskAssessor
from fengqiao.nlp.risk_model import HARD_NEGATIVE_WEIGHT, RiskModel, load_risk_examples
from fengqiao.nlp.risk_model import training_files as risk_training_files
from fengqiao.nlp.taxonomy import DisputeType, load_taxonomy
from fengqiao.nlp.text import Normalizer

log = logging.getLogger("fengqiao.nlp")
BUILDING = "正在训练文本模型（首次运行或规则、训练数据有改动时，约半分钟，只需一次）…"

# Bump when feature extraction or the model changes, so old caches are not reused.
MODEL_VERSION = "nb-lr-poe-5-lentemp+risk-lr-words-5+hidden32+matrix"
LOW_CONFIDENCE = 0.6
KEYWORD_COUNT = 5
FALLBACK_TYPE = "other"
if TYPE_CHECKING:  # dates and pii are imported on first use: `fengqiao classify` needs neither
    from fengqiao.nlp.dates import Period

_CONFIG_FILES = ("taxonomy.toml", "normalize.toml", tokenize.USERDICT_NAME, "risk.toml",
                 "risk_cues.toml")


@dataclass
class Screening:
    risk: str
    risk_reasons: list[str]
    amounts_yuan: list[float | int]
    dates: list[Period] = field(default_factory=list)
    self_harm: bool = False  # red because of a danger to the resident themself (12356)


@dataclass
class Analysis:
    type: str
    type_name: str
    confidence: float
    top: list[tuple[str, float]]
    low_confidence: bool
    risk: str
    risk_reasons: list[str]
    keywords: list[str]
    amounts_yuan: list[float | int]
    department: str
    dates: list[Period] = field(default_factory=list)
    phones: list[str] = field(default_factory=list)
    id_numbers: list[str] = field(default_factory=list)
    bank_cards: list[str] = field(default_factory=list)
    self_harm: bool = False
    risk_probability: float | None = None  # the learned model's calibrated red probability

    def to_dict(self) -> dict[str, object]:
        """The JSON object `fengqiao classify` prints (DESIGN.md)."""
        return {
            "type": self.type,
            "type_name": self.type_name,
            "confidence": round(self.confidence, 4),
            "top": [[code, round(score, 4)] for code, score in self.top],
            "risk": self.risk,
            "risk_reasons": list(self.risk_reasons),
            "keywords": list(self.keywords),
            "amounts_yuan": list(self.amounts_yuan),
            "department": self.department,
        }


def _training_files(config_dir: Path) -> list[Path]:
    return sorted((config_dir / "training").glob("*.jsonl"))


def model_key(config_dir: Path) -> str:
    """Hash of everything the trained model depends on."""
    digest = hashlib.sha256(
        f"{MODEL_VERSION}|jieba {jieba.__version__}|{tokenize.MIN_FREQ}".encode()
    )
    paths = [config_dir / name for name in _CONFIG_FILES] + _training_files(config_dir)
    for path in paths + risk_training_files(config_dir):
        if path.exists():
            digest.update(path.name.encode())
            digest.update(path.read_bytes())
    return digest.hexdigest()[:16]


def _load_idf() -> tuple[dict[str, float], float]:
    """jieba.analyse's IDF table. Imported only when a model is (re)built: importing
    jieba.analyse costs ~0.5 s, so the words we need are copied into the model cache."""
    import jieba.analyse

    extractor = jieba.analyse.TFIDF()
    return extractor.idf_freq, extractor.median_idf


def _atomic_write(path: Path, payload: bytes) -> None:
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=path.name, suffix=".tmp")
    with os.fdopen(fd, "wb") as handle:
        handle.write(payload)
    os.replace(tmp, path)


class Analyzer:
    def __init__(self, taxonomy: list[DisputeType], normalizer: Normalizer,
                 tokenizer: jieba.Tokenizer, model: Classifier, idf: dict[str, float],
                 median_idf: float, risk: RiskAssessor) -> None:
        self.taxonomy = taxonomy
        self._types = {t.code: t for t in taxonomy}
        self._normalizer = normalizer
        self._tokenizer = tokenizer
        self._model = model
        self._idf = idf
        self._median_idf = median_idf
        self._risk = risk
        self._class_index = {c: i for i, c in enumerate(model.classes)}
        self._word_rows: dict[str, int] = {}  # word -> its row in the model, -1 if none
        self._run_rows: dict[str, tuple[int, ...]] = {}  # run of Chinese -> known rows
        self._keyword_weights: dict[str, tuple[float, tuple[float, ...]]] = {}
        # block -> its words, their known rows, its runs' known rows, candidates (`_read`)
        self._blocks: dict[str, _Block] = {}

    # -- building -------------------------------------------------------------------------
    @classmethod
    def load(cls, config_dir: Path, cache_dir: Path, key: str | None = None) -> Analyzer:
        """Loads from ``<cache_dir>/nlp/`` if the cache matches the config, else trains and
        writes the cache (a few seconds, once per change of config or training data).
        ``key``: `model_key` of the config, if already worked out (it hashes every file)."""
        config_dir, nlp_cache = Path(config_dir), Path(cache_dir) / "nlp"
        taxonomy = load_taxonomy(config_dir / "taxonomy.toml")
        prefixes.load_memo(nlp_cache)
        normalizer = Normalizer.from_config(config_dir)
        extra_words = [w for t in taxonomy for w in t.keywords if len(w) > 1]
        tokenizer = tokenize.build_tokenizer(config_dir, nlp_cache, extra_words)
        risk = RiskAssessor.from_config(config_dir)
        prefixes.save_memo(nlp_cache)
        risk.cut = lambda text: tokenize.cut(tokenizer, text)
        key = key or model_key(config_dir)
        path = nlp_cache / f"model-{key}.marshal"
        data: dict[str, Any] | None = None  # the marshalled model, idf and median idf
        if path.exists():
            try:
                data = marshal.loads(path.read_bytes())  # noqa: S302 - our own cache file in the data dir
            except (EOFError, ValueError, TypeError):
                data = None  # a torn or foreign file: rebuild it
        if data is None:
            # Half a minute of silence on a first start looks like a hang: say why.
            log.info("building the text model", extra={"cache": str(path)})
            if sys.stderr.isatty():
                print(BUILDING, file=sys.stderr, flush=True)
            data = cls._build(config_dir, taxonomy, normalizer, tokenizer, risk)
            _atomic_write(path, marshal.dumps(data))
            for old in nlp_cache.glob("model-*.marshal"):
                if old != path:
                    old.unlink(missing_ok=True)
        model = Classifier.from_data(data["model"])
        if model.classes != [t.code for t in taxonomy]:
            raise ValueError("cached model does not match the taxonomy; delete the cache")
        if data.get("risk") is not None:
            risk.model = RiskModel.from_data(data["risk"])
        return cls(taxonomy, normalizer, tokenizer, model, data["idf"], data["median_idf"], risk)

    @staticmethod
    def _build(config_dir: Path, taxonomy: list[DisputeType], normalizer: Normalizer,
               tokenizer: jieba.Tokenizer, risk: RiskAssessor) -> dict[str, Any]:
        examples = load_examples(_training_files(config_dir))
        # The taxonomy's own words are examples too, so a new type works before it has data.
        for t in taxonomy:
            examples.extend(_seed_examples(t))
        # Risk texts written with a type teach the types too; they are not among the plain
        # negatives below (a red one may hold no cue).
        typed_risk = load_examples(risk_training_files(config_dir), typed_only=True)
        classes = [t.code for t in taxonomy]

        def featurize(text: str) -> set[str]:
            return _features(normalizer.normalize(text), tokenizer)[0]

        model = train_model(examples + typed_risk, classes, featurize)
        idf_all, median = _load_idf()
        words = set(model.word_weights)
        idf = {w: idf_all[w] for w in words if w in idf_all}
        risk_examples = load_risk_examples(risk_training_files(config_dir))
        risk_model = None
        if risk_examples:
            # The dispute examples are ordinary complaints: the ones no cue or rule reads
            # anything into teach the model what everyday disputes look like (not red).
            plain = [e.text for e in examples if len(e.text) > 12
                     and risk.is_plain(normalizer.normalize(e.text))]
            texts = [t for t, _ in risk_examples] + plain
            labels = [red for _, red in risk_examples] + [False] * len(plain)
            normal = [normalizer.normalize(t) for t in texts]
            docs = [risk.model_features(t) for t in normal]
            # The texts not red in risk_training/ are hard negatives in residents' words; the
            # dispute examples are written in another style, and outnumber them.
            sample = [1.0 if red else HARD_NEGATIVE_WEIGHT for _, red in risk_examples]
            sample += [1.0] * len(plain)
            risk_model = RiskModel.train(docs, labels, sample).to_data()
        return {"model": model.to_data(), "idf": idf, "median_idf": median, "risk": risk_model}

    # -- reading a text -------------------------------------------------------------------
    def analyze(self, text: str, now: datetime | None = None, *, facts: bool = True) -> Analysis:
        """``facts=False`` leaves out the dates and personal numbers (phones, ID and bank card
        numbers), which `Analysis.to_dict` does not print: `fengqiao classify` skips them."""
        text = self._normalizer.normalize(text or "")
        words, rows, candidates = self._read(text)
        probs = self._model.probabilities_of_rows(rows)
        known = probs is not None
        classes = self._model.classes
        if probs is not None:
            ranked = sorted(zip(classes, probs), key=itemgetter(1), reverse=True)
            if ranked[0][1] < LOW_CONFIDENCE and all(c != FALLBACK_TYPE for c, _ in ranked[:3]):
                # Unsure: the resident is offered a choice of three, and "other" is the honest
                # third option when nothing fits well.
                other = next(cp for cp in ranked if cp[0] == FALLBACK_TYPE)
                ranked.remove(other)
                ranked.insert(2, other)
        else:
            share = 1.0 / len(classes)
            ranked = [(FALLBACK_TYPE, share)] + [(c, share) for c in classes if c != FALLBACK_TYPE]
        best, confidence = ranked[0]
        amounts = money.find_amounts(text)
        risk = self._risk.evaluate(text, amounts, lambda: words)
        kind = self._types[best]
        periods: list[Period] = []
        phones: list[str] = []
        id_numbers: list[str] = []
        bank_cards: list[str] = []
        if facts:
            from fengqiao.nlp import dates, pii

            periods, phones = dates.find_periods(text, now), pii.find_phones(text)
            id_numbers, bank_cards = pii.find_id_numbers(text), pii.find_bank_cards(text)
        return Analysis(
            type=best,
            type_name=kind.name,
            confidence=confidence,
            top=ranked[:3],
            low_confidence=confidence < LOW_CONFIDENCE or not known,
            risk=risk.colour,
            risk_reasons=risk.reasons,
            keywords=self._keywords(candidates, self._class_index[best]),
            amounts_yuan=amounts,
            department=kind.department,
            dates=periods,
            phones=phones,
            id_numbers=id_numbers,
            bank_cards=bank_cards,
            self_harm=risk.self_harm,
            risk_probability=risk.probability,
        )

    def _read(self, text: str) -> tuple[list[str], set[int], list[str]]:
        """jieba's cut of the text, the rows of `_rows` and the keyword candidates, from one
        pass over its blocks (`tokenize.blocks`): each block's words, their rows, the rows of
        its runs of Chinese characters and its candidates are remembered together. The rows go
        into the set in the order `_rows` adds them (the words' rows, then the runs' rows,
        each in the text's order), so the set iterates alike and the sums are the same bit
        for bit."""
        words: list[str]
        if tokenize.OUTSIDE_BLOCKS.search(text) is not None:  # a rare character: plain path
            words = tokenize.cut(self._tokenizer, text)
            return words, self._rows(text, words), _candidates(words)
        known = self._blocks
        words = []
        word_rows: list[int] = []
        run_rows: list[int] = []
        candidates: list[str] = []
        for block in tokenize.blocks(text):
            found = known.get(block)
            if found is None:
                found = self._block(block)
            if found is _NOTHING:  # punctuation, spaces, the empty ends of the split
                continue
            words += found[0]
            word_rows += found[1]
            run_rows += found[2]
            candidates += found[3]
        rows = set(word_rows)
        rows.update(run_rows)
        return words, rows, candidates

    def _block(self, block: str) -> _Block:
        """One block's words, their known rows (in order), its runs' known rows and its
        keyword candidates."""
        words = tokenize.cut(self._tokenizer, block)
        word_rows = tuple(row for row in self._model.rows(["w:" + w for w in words
                                                           if w not in STOP_WORDS]) if row >= 0)
        run_rows = tuple(row for run in tokenize.han_runs(block) for row in self._run_known(run))
        found = (words, word_rows, run_rows, _candidates(words))
        if found == _NOTHING:
            found = _NOTHING
        if len(self._blocks) >= tokenize.CACHE_LIMIT:
            self._blocks.clear()
        self._blocks[block] = found
        return found

    def _run_known(self, run: str) -> tuple[int, ...]:
        """The known rows of a run of Chinese characters: its bigrams, then its characters."""
        known = self._run_rows.get(run)
        if known is None:
            # `han_bigrams` and `han_chars` of a run, written out: each would search the run
            # for runs again (the set is built alike, so it iterates alike).
            grams = ["b:" + run[i:i + 2] for i in range(len(run) - 1)]
            grams += ["u:" + c for c in {c for c in run}]
            known = tuple(i for i in self._model.rows(grams) if i >= 0)
            if len(self._run_rows) >= tokenize.CACHE_LIMIT:
                self._run_rows.clear()
            self._run_rows[run] = known
        return known

    def _rows(self, text: str, words: list[str]) -> set[int]:
        """The rows of the model's weight matrix for the text's known features, the same set
        `_features` and `Classifier.known` give. Looked up once per word and once per run of
        Chinese characters, then remembered (as tokenize.cut remembers blocks): residents
        repeat the same words and clauses, and each lookup would build and hash new strings."""
        row_of = self._model.row
        word_rows = self._word_rows
        found: list[int | None] = list(map(word_rows.get, words))
        if None in found:
            for i, word in enumerate(words):
                if found[i] is None:
                    if len(word_rows) >= tokenize.CACHE_LIMIT:
                        word_rows.clear()
                    found[i] = word_rows[word] = (-1 if word in STOP_WORDS
                                                  else row_of("w:" + word))
        # Added in the words' order, as one by one: the set iterates alike, so the rows are
        # summed in the same order (bit for bit the same sums).
        rows: set[int] = {row for row in cast(list[int], found) if row >= 0}  # no None left
        for run in tokenize.han_runs(text):
            rows.update(self._run_known(run))
        return rows

    def screen(self, text: str, now: datetime | None = None) -> Screening:
        """What an answer to one of the dialog's questions needs: the risk screen, amounts
        and dates, without classifying it (an answer says nothing about the dispute type)."""
        text = self._normalizer.normalize(text or "")
        amounts = money.find_amounts(text)
        risk = self._risk.evaluate(text, amounts, lambda: tokenize.cut(self._tokenizer, text))
        from fengqiao.nlp import dates

        return Screening(risk.colour, risk.reasons, amounts, dates.find_periods(text, now),
                         risk.self_harm)

    def simplify(self, text: str) -> str:
        """Half-width Simplified Chinese (重新開始 → 重新开始), nothing else changed."""
        return self._normalizer.to_simplified(text)

    def type_by_code(self, code: str) -> DisputeType:
        return self._types[code]

    def _keyword_weights_of(self, word: str) -> tuple[float, tuple[float, ...]]:
        """A word's IDF and its relevance to each class (≥ 0), remembered for `_keywords`."""
        vec = self._model.word_weights.get(word)
        found = (self._idf.get(word, self._median_idf),
                 tuple(max(v, 0.0) for v in vec) if vec is not None
                 else (0.0,) * len(self._model.classes))
        if len(self._keyword_weights) >= tokenize.CACHE_LIMIT:
            self._keyword_weights.clear()
        self._keyword_weights[word] = found
        return found

    def _keywords(self, candidates: list[str], class_index: int) -> list[str]:
        """jieba.analyse's TF-IDF ranking (tf × idf, words of two or more characters, stop
        words dropped: `_candidates`), boosted by how much each word pointed to the chosen
        type, so the words shown are the ones that explain the decision."""
        if not candidates:
            return []
        counts: dict[str, int] = {}  # in first-seen order, as the ranking's ties need
        for w in candidates:  # (a Counter does the same, at twice the cost for ten words)
            counts[w] = counts.get(w, 0) + 1
        total = len(candidates)
        known = self._keyword_weights.get
        ranked = [(relevance > 0, n / total * idf * (1.0 + relevance), w)
                  for w, n in counts.items()
                  for idf, relevances in (known(w) or self._keyword_weights_of(w),)
                  for relevance in (relevances[class_index],)]
        ranked.sort(reverse=True)
        return [w for _, _, w in ranked[:KEYWORD_COUNT]]


# A block's words, their rows, its runs' rows and its keyword candidates (`Analyzer._read`).
_Block = tuple[list[str], tuple[int, ...], tuple[int, ...], list[str]]
_NOTHING: _Block = ([], (), (), [])  # a block that gives none of them


def _candidates(words: list[str]) -> list[str]:
    """The words the keyword ranking weighs."""
    return [w for w in words if len(w) > 1 and w not in STOP_WORDS]


def _features(text: str, tokenizer: jieba.Tokenizer) -> tuple[set[str], list[str]]:
    """The classifier's features of a text (training; `Analyzer._rows` gives the same set as
    rows of the model's weight matrix)."""
    words = tokenize.cut(tokenizer, text)
    features = {"w:" + w for w in words if w not in STOP_WORDS}
    features.update("b:" + g for g in tokenize.han_bigrams(text))
    features.update("u:" + c for c in tokenize.han_chars(text))
    return features, words


def _seed_examples(kind: DisputeType) -> list[Example]:
    seeds = [Example(kind.description, kind.code)]
    seeds.extend(Example(word, kind.code) for word in kind.keywords)
    return seeds


_CACHE: dict[tuple[str, str], Analyzer] = {}
_LOCK = threading.Lock()


def default_config_dir() -> Path:
    return Path(__file__).resolve().parents[2] / "config"


def default_cache_dir() -> Path:
    return Path(os.environ.get("FENGQIAO_DATA_DIR") or "./var")


def get_analyzer(config_dir: Path | None = None, cache_dir: Path | None = None) -> Analyzer:
    """The process-wide Analyzer for this configuration, loaded on first use. It depends on
    the configuration alone (the cache only saves training it again), so two data
    directories share one: a process that opens many (the tests) keeps one model, not one
    per directory."""
    config = Path(config_dir or default_config_dir()).resolve()
    cache = Path(cache_dir or default_cache_dir()).resolve()
    key = (str(config), model_key(config))
    with _LOCK:
        analyzer = _CACHE.get(key)
        if analyzer is None:
            analyzer = _CACHE[key] = Analyzer.load(config, cache, key[1])
        return analyzer
