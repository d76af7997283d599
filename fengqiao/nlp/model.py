"""Dispute classifier in pure Python: naive Bayes and logistic regression, combined.

Features are jieba words (``w:``), character bigrams (``b:``) and characters (``u:``).
Multinomial NB over words and bigrams (binary presence, uniform class priors) is robust on
short complaints; its raw scores are over-confident, so its softmax is tempered by a factor
fitted on held-out folds of the training set. Logistic regression over all features weighs
words that NB counts twice. Their combination beats either alone in cross-validation on the
training examples (the evaluation set is never seen here).
"""

from __future__ import annotations

import json
import math
import os
import random
from collections import Counter
from collections.abc import Callable, Collection, Iterable, Iterator, Sequence
from dataclasses import dataclass
from itertools import repeat
from pathlib import Path

# numpy here indexes and sums rows and does no linear algebra, so OpenBLAS's worker threads
# have nothing to do; started at import, one spins on the other core for ≈ 0.1 s of CPU
# before it sleeps (a fifth of `fengqiao classify`'s start-up). Set before numpy is first
# imported; a value given in the environment is kept.
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
import numpy as np  # noqa: E402 - after the setting above

ALPHA = 0.1
NB_SHARE = 0.5  # weight of NB's (tempered) scores in the combined scores
NB_PREFIXES = ("w:", "b:")
LR_EPOCHS = 10
LR_RATE = 0.5
LR_L2 = 1e-4
CALIBRATION_SOURCES = frozenset({"consultation", "questions"})
DROPPED_CUES = 8  # strongest features removed from 3 in 4 calibration texts
BACKGROUND_SHARE = 3  # one in this many calibration texts is also scored after another matter
BACKGROUND_PART = 0.75  # the share of that other matter's features that come with it
REFERENCE_FEATURES = 60  # the temperature is the fitted one at this many known features
# What residents write around any question (律师您好, 请问, 求助, 怎么办) and the words of legal
# procedure (起诉, 法院, 打官司, 证据: how to pursue a dispute, not what it is) say nothing of
# the type, but some training files hold more of them than others, so the models learnt them
# as signs of "other" or "debt". Their words and the bigrams inside them are left out of
# training: the model does not know them, and a question's type rests on what it tells.
# (仲裁 and 赔偿 stay: 劳动仲裁 is labour's, a claim for 赔偿 an injury's more than a debt's.)
BOILERPLATE = (
    "律师您好", "律师你好", "请问", "求助", "咨询一下", "想问一下", "问问", "怎么办", "怎么处理",
    "怎么弄", "怎么做", "咋办", "咋整", "谢谢", "麻烦", "能不能", "可不可以", "有没有", "合法吗",
    "合理吗", "应该怎么", "该怎么", "什么办法", "求解答", "在线等",
    "起诉", "诉讼", "法院", "判决", "执行", "上诉", "证据", "打官司", "维权", "法律", "律师",
)
STOP_WORDS = frozenset(
    ["我", "你", "他", "她", "它", "我们", "你们", "他们", "她们", "的", "了", "是", "在", "都", "也", "就", "还", "又", "和", "跟", "与", "把", "被", "给", "让", "说", "这", "那", "这个", "那个", "一个", "有", "没", "没有", "不", "很", "太", "啊", "吧", "呢", "吗", "呀", "哦", "嘛", "么", "着", "过", "要", "会", "能", "可以", "现在", "一直", "已经", "自己", "什么", "怎么", "怎么办", "请问", "你好", "您好", "谢谢", "麻烦", "帮忙", "<num>"]
)


def boilerplate_features(phrases: Iterable[str] = BOILERPLATE) -> frozenset[str]:
    """The word and bigram features of question boilerplate (see BOILERPLATE)."""
    dropped: set[str] = set()
    for phrase in phrases:
        dropped.add("w:" + phrase)
        dropped.update("b:" + phrase[i : i + 2] for i in range(len(phrase) - 1))
    return frozenset(dropped)


@dataclass
class Example:
    text: str
    type: str
    source: str = ""  # the training file's name (consultation, labor …)


def load_examples(paths: Iterable[Path], typed_only: bool = False) -> list[Example]:
    """``typed_only``: skip lines without a type (risk_training/ files, whose lines written
    with a type are dispute examples too)."""
    examples: list[Example] = []
    for path in sorted(paths):
        for line_no, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            if not line.strip():
                continue
            row = json.loads(line)
            if typed_only and not row.get("type"):
                continue
            if not row.get("text") or not row.get("type"):
                raise ValueError(f"{path}:{line_no}: needs text and type")
            examples.append(Example(str(row["text"]), str(row["type"]), path.stem))
    return examples


class NaiveBayes:
    def __init__(self, classes: list[str], weights: dict[str, list[float]],
                 bias: list[float], temperature: float) -> None:
        self.classes = classes
        self.weights = weights
        self.bias = bias
        self.temperature = temperature

    @classmethod
    def train(cls, docs: Sequence[set[str]], labels: Sequence[str], classes: list[str],
              alpha: float = ALPHA) -> NaiveBayes:
        index = {c: i for i, c in enumerate(classes)}
        vocab: dict[str, int] = {}
        rows: list[int] = []
        columns: list[int] = []
        for features, label in zip(docs, labels):
            k = index[label]
            for f in features:
                rows.append(vocab.setdefault(f, len(vocab)))
                columns.append(k)
        counts = np.zeros((len(vocab), len(classes)), dtype=np.float64)
        np.add.at(counts, (np.array(rows, dtype=np.intp), np.array(columns, dtype=np.intp)), 1)
        totals = counts.sum(axis=0)
        table = np.log(counts + alpha) - np.log(totals + alpha * len(vocab))
        # Features never seen with a class get the smoothed floor; centring each feature's
        # vector keeps scores comparable whatever the number of features in a text.
        table -= table.mean(axis=1, keepdims=True)
        weights = dict(zip(vocab, table.tolist()))
        return cls(classes, weights, [0.0] * len(classes), 1.0)

    def scores(self, features: Iterable[str]) -> list[float]:
        return sum_rows(self.weights, features, self.bias)

    def probabilities(self, features: Iterable[str]) -> list[float]:
        return softmax(self.scores(features), self.temperature)

    def contributions(self, features: Iterable[str], class_index: int) -> dict[str, float]:
        """How much each known feature pushed the text towards the given class."""
        return {f: self.weights[f][class_index] for f in features if f in self.weights}

    def to_data(self) -> dict[str, object]:
        return {"classes": self.classes, "weights": self.weights, "bias": self.bias,
                "temperature": self.temperature}

    @classmethod
    def from_data(cls, data: dict[str, object]) -> NaiveBayes:
        return cls(data["classes"], data["weights"], data["bias"],  # type: ignore[arg-type]
                   float(data["temperature"]))  # type: ignore[arg-type]


def sum_rows(weights: dict[str, list[float]], features: Iterable[str],
             start: list[float]) -> list[float]:
    """start + the sum of the weight rows of the known features. zip/sum run in C: ten times
    faster than indexing each class in Python, and this is the classifier's hot loop."""
    rows = [row for row in map(weights.get, features) if row is not None]
    if not rows:
        return list(start)
    rows.append(start)
    return list(map(sum, zip(*rows)))


def softmax(scores: list[float], temperature: float) -> list[float]:
    top = max(scores)
    exps = [math.exp((s - top) * temperature) for s in scores]
    total = sum(exps)
    return [e / total for e in exps]


def fit_temperature(docs: Sequence[set[str]], labels: Sequence[str], classes: list[str],
                    folds: int = 5, seed: int = 7) -> float:
    """Temperature that minimises held-out log loss (k-fold over the training examples)."""
    order = list(range(len(docs)))
    random.Random(seed).shuffle(order)
    held: list[tuple[list[float], int]] = []
    for fold in range(folds):
        test = set(order[fold::folds])
        train_idx = [i for i in order if i not in test]
        model = NaiveBayes.train([docs[i] for i in train_idx], [labels[i] for i in train_idx],
                                 classes)
        held.extend((model.scores(docs[i]), classes.index(labels[i])) for i in test)
    scores = np.array([s for s, _ in held], dtype=np.float64)
    scores -= scores.max(axis=1, keepdims=True)
    at_gold = scores[np.arange(len(held)), [k for _, k in held]]
    best, best_loss = 1.0, math.inf
    for step in range(1, 60):
        t = step * 0.02
        loss = float(np.sum(np.log(np.exp(scores * t).sum(axis=1)) - at_gold * t))
        if loss < best_loss:
            best, best_loss = t, loss
    return best


class LogisticRegression:
    """Multinomial logistic regression trained by SGD on sparse binary features."""

    def __init__(self, classes: list[str], weights: dict[str, list[float]]) -> None:
        self.classes = classes
        self.weights = weights

    @classmethod
    def train(cls, docs: Sequence[set[str]], labels: Sequence[str], classes: list[str],
              seed: int = 3) -> LogisticRegression:
        """Plain SGD, one text at a time, on a numpy matrix (a row per feature): the rows of
        a text's features are read, stepped and decayed together (the decay is lazy: only
        rows in use shrink), a tenth of the time of a Python loop over each class."""
        index = {c: i for i, c in enumerate(classes)}
        vocab: dict[str, int] = {}
        rows_of = [np.array([vocab.setdefault(f, len(vocab)) for f in sorted(doc)],
                            dtype=np.intp) for doc in docs]  # sorted: same model every run
        weights = np.zeros((len(vocab), len(classes)), dtype=np.float64)
        golds = [index[label] for label in labels]
        order = list(range(len(docs)))
        rng = random.Random(seed)
        for epoch in range(LR_EPOCHS):
            rng.shuffle(order)
            rate = LR_RATE / (1 + epoch * 0.5)
            decay = 1.0 - rate * LR_L2
            for i in order:
                rows = rows_of[i]
                if not len(rows):
                    continue
                block = weights[rows]
                scores = block.sum(axis=0)
                grad = np.exp(scores - scores.max())
                grad /= grad.sum()
                grad[golds[i]] -= 1.0
                # Long texts would otherwise take steps as large as their feature count.
                weights[rows] = block * decay - (rate / math.sqrt(len(rows))) * grad
        return cls(classes, {f: weights[k].tolist() for f, k in vocab.items()})

    def probabilities(self, features: Iterable[str]) -> list[float]:
        return softmax(sum_rows(self.weights, features, [0.0] * len(self.classes)), 1.0)


class Classifier:
    """NB and LR combined as a product of experts: the tempered NB scores and the LR scores are
    averaged before one softmax. Averaging scores instead of probabilities lets the two weight
    tables be merged into one, so a text costs one pass over its features."""

    def __init__(self, classes: list[str], weights: dict[str, list[float]] | None,
                 word_weights: dict[str, list[float]], temperature: float = 1.0,
                 length_power: float = 0.0,
                 matrix: tuple[list[str], bytes] | None = None) -> None:
        """``weights``: a row of weights per feature; or None and ``matrix``: the features
        and their rows as `to_data` stores them (the rows as one array's bytes)."""
        self.classes = classes
        self._weights = weights
        self.word_weights = word_weights  # NB's centred log-likelihoods of words, for keywords
        # Fitted on a held-out split (see train_model): confidence tracks accuracy. Scores are
        # sums over the known features, so they grow with a text's length while the evidence
        # does not grow as fast (a long story tells of other matters too): above
        # REFERENCE_FEATURES the temperature falls as (known / REFERENCE_FEATURES) ** -power.
        # Shorter texts keep it: a few words are not surer for being few.
        self.temperature = temperature
        self.length_power = length_power
        # The same weights as one matrix, a row per feature: a text's scores are the sum of
        # its rows, added in numpy in the order the features come (the same sums, to the
        # last bit, as adding them one by one in Python, at a tenth of the cost).
        if weights is None and matrix is not None:
            # From the cache: the array is the stored bytes as they are, and the features'
            # rows as a dict of lists (400,000 floats made one by one, then copied into the
            # array: a fifth of the start-up) only if asked for (`weights`).
            self._row = dict(zip(matrix[0], range(len(matrix[0]))))
            self._matrix = np.frombuffer(matrix[1], dtype=np.float64).reshape(-1, len(classes))
            return
        weights = weights or {}
        self._row = {f: i for i, f in enumerate(weights)}
        self._matrix = np.array(list(weights.values()) or [[0.0] * len(classes)],
                                dtype=np.float64).reshape(-1, len(classes))

    @property
    def weights(self) -> dict[str, list[float]]:
        """A row of weights per feature (the classes' order), in the rows' order."""
        if self._weights is None:
            self._weights = dict(zip(self._row, self._matrix.tolist()))
        return self._weights

    @classmethod
    def combine(cls, nb: NaiveBayes, lr: LogisticRegression) -> Classifier:
        n = len(nb.classes)
        zeros = [0.0] * n
        scale = NB_SHARE * nb.temperature
        merged: dict[str, list[float]] = {}
        for f in nb.weights.keys() | lr.weights.keys():
            a = nb.weights.get(f, zeros)
            b = lr.weights.get(f, zeros)
            merged[f] = [scale * x + (1 - NB_SHARE) * y for x, y in zip(a, b)]
        words = {f[2:]: vec for f, vec in nb.weights.items() if f.startswith("w:")}
        return cls(nb.classes, merged, words)

    def known(self, features: set[str]) -> list[str]:
        weights = self.weights
        return [f for f in features if f in weights]

    def scores(self, features: Iterable[str]) -> list[float]:
        rows = [i for i in map(self._row.get, features) if i is not None]
        if not rows:
            return [0.0] * len(self.classes)
        return self._matrix[rows].sum(axis=0).tolist()  # type: ignore[no-any-return]

    def temperature_for(self, known: int) -> float:
        """The softmax temperature of a text with this many known features."""
        if not self.length_power or known <= REFERENCE_FEATURES:
            return self.temperature
        return float(self.temperature * (known / REFERENCE_FEATURES) ** -self.length_power)

    def probabilities(self, features: Iterable[str]) -> list[float]:
        known = self.known(set(features))
        return softmax(self.scores(known), self.temperature_for(len(known)))

    def row(self, feature: str) -> int:
        """The feature's row in the weight matrix, -1 if the model does not know it."""
        return self._row.get(feature, -1)

    def rows(self, features: Iterable[str]) -> Iterator[int]:
        """`row` of each feature, looked up in C (no Python call per feature)."""
        return map(self._row.get, features, repeat(-1))

    def probabilities_of_rows(self, rows: Collection[int]) -> list[float] | None:
        """Probabilities per class from the rows of the known features (see `row`), or None
        if there are none."""
        if not rows:
            return None
        # fromiter: a third of the cost of turning a list of ints into an index array.
        picked = np.fromiter(rows, np.intp, len(rows))
        summed = np.add.reduce(self._matrix.take(picked, axis=0), axis=0)
        return softmax(summed.tolist(), self.temperature_for(len(picked)))

    def word_weight(self, word: str, class_index: int) -> float:
        """How strongly a word points to a class (NB log-likelihood, centred)."""
        vec = self.word_weights.get(word)
        return vec[class_index] if vec is not None else 0.0

    def to_data(self) -> dict[str, object]:
        """The features in their rows' order and the rows as the bytes of one array (marshal
        reads them back at once: no float objects made)."""
        return {"classes": self.classes, "features": list(self._row),
                "matrix": self._matrix.tobytes(), "words": self.word_weights,
                "temperature": self.temperature, "length_power": self.length_power}

    @classmethod
    def from_data(cls, data: dict[str, object]) -> Classifier:
        stored = (data["features"], data["matrix"]) if "matrix" in data else None
        return cls(data["classes"], data.get("weights"), data["words"],  # type: ignore[arg-type]
                   float(data.get("temperature", 1.0)),  # type: ignore[arg-type]
                   float(data.get("length_power", 0.0)),  # type: ignore[arg-type]
                   stored)  # type: ignore[arg-type]


def _train_combined(docs: Sequence[set[str]], labels: Sequence[str],
                    classes: list[str]) -> Classifier:
    nb_docs = [{f for f in d if f.startswith(NB_PREFIXES)} for d in docs]
    nb = NaiveBayes.train(nb_docs, labels, classes)
    nb.temperature = fit_temperature(nb_docs, labels, classes)
    return Classifier.combine(nb, LogisticRegression.train(docs, labels, classes))


def train_model(examples: Sequence[Example], classes: list[str],
                featurize: Callable[[str], set[str]]) -> Classifier:
    """The combined model, with its temperature fitted on a held-out split: the questions
    written the way the public asks (``consultation`` and ``questions`` examples) and every
    fifth other example. A probe model trained without them scores them as real questions
    come: three in four without the features that point hardest to their type (the situation
    is described, the tell-tale word is missing), and one in BACKGROUND_SHARE also with most
    of the features of another held-out text of another type (a story of other matters
    before the question).
    The temperature and its fall with length that minimise their log loss are kept by the
    final model, trained on everything, so its confidence is an honest probability."""
    unknown = Counter(e.type for e in examples if e.type not in classes)
    if unknown:
        raise ValueError(f"training examples with types not in the taxonomy: {dict(unknown)}")
    dropped = boilerplate_features()
    docs = [featurize(e.text) - dropped for e in examples]
    labels = [e.type for e in examples]
    held = [i for i, e in enumerate(examples)
            if e.source in CALIBRATION_SOURCES or (e.source and i % 5 == 0)]
    model = _train_combined(docs, labels, classes)
    if held:
        held_set = set(held)
        train = [i for i in range(len(docs)) if i not in held_set]
        probe = _train_combined([docs[i] for i in train], [labels[i] for i in train], classes)
        zeros = [0.0] * len(classes)
        rng = random.Random(5)
        scored: list[tuple[list[float], int, int]] = []
        for n, i in enumerate(held):
            gold = classes.index(labels[i])
            doc = docs[i]
            if n % 4 != 3:
                ranked = sorted(doc, key=lambda f: probe.weights.get(f, zeros)[gold])
                doc = set(ranked[: max(1, len(ranked) - DROPPED_CUES)])
            variants = [doc]
            if n % BACKGROUND_SHARE == 0:
                other = rng.choice(held)
                if labels[other] != labels[i]:
                    background = sorted(docs[other])
                    rng.shuffle(background)
                    variants.append(doc.union(background[: int(len(background) * BACKGROUND_PART)]))
            for variant in variants:
                known = probe.known(variant)
                scored.append((probe.scores(known), gold, len(known)))
        model.temperature, model.length_power = _best_temperature(scored)
    return model


def _best_temperature(scored: list[tuple[list[float], int, int]]) -> tuple[float, float]:
    """The (temperature, length power) of least log loss on the scored held-out texts."""
    scores = np.array([s for s, _, _ in scored], dtype=np.float64)
    gold = np.array([k for _, k, _ in scored])
    lengths = np.maximum(np.array([n for _, _, n in scored], dtype=np.float64), 1.0)
    scores -= scores.max(axis=1, keepdims=True)
    at_gold = scores[np.arange(len(gold)), gold]
    best, best_loss = (1.0, 0.0), math.inf
    # At most 1: at power 1 the scores of long texts are averages, and a longer story must
    # not be less sure than a shorter one with the same evidence on average.
    for power in (0.0, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 1.0):
        scale = (np.maximum(lengths, REFERENCE_FEATURES) / REFERENCE_FEATURES) ** -power
        for step in range(5, 301):
            t = (step * 0.01) * scale
            logits = scores * t[:, None]
            loss = float(np.sum(np.log(np.exp(logits).sum(axis=1)) - at_gold * t))
            if loss < best_loss:
                best, best_loss = (step * 0.01, power), loss
    return best
