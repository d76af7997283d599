"""Naive Bayes dispute classifier over jieba words and character bigrams, in pure Python.

Multinomial NB with binary (presence) features suits short complaints; with uniform class
priors it does not favour the types that happen to have more examples. Raw NB scores are
over-confident, so the softmax is tempered by a factor fitted on held-out folds of the
training set (the evaluation set is never seen here).
"""

from __future__ import annotations

import json
import math
import random
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

ALPHA = 0.3
STOP_WORDS = frozenset(
    "我 你 他 她 它 我们 你们 他们 她们 的 了 是 在 都 也 就 还 又 和 跟 与 把 被 给 让 说 这 那 "
    "这个 那个 一个 有 没 没有 不 很 太 啊 吧 呢 吗 呀 哦 嘛 么 着 过 要 会 能 可以 现在 "
    "一直 已经 自己 什么 怎么 怎么办 请问 你好 您好 谢谢 麻烦 帮忙 <num>".split()
)


@dataclass
class Example:
    text: str
    type: str


def load_examples(paths: Iterable[Path]) -> list[Example]:
    examples: list[Example] = []
    for path in sorted(paths):
        for line_no, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            if not line.strip():
                continue
            row = json.loads(line)
            if not row.get("text") or not row.get("type"):
                raise ValueError(f"{path}:{line_no}: needs text and type")
            examples.append(Example(str(row["text"]), str(row["type"])))
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
        counts: dict[str, list[int]] = {}
        totals = [0] * len(classes)
        for features, label in zip(docs, labels):
            k = index[label]
            for f in features:
                row = counts.get(f)
                if row is None:
                    row = counts[f] = [0] * len(classes)
                row[k] += 1
            totals[k] += len(features)
        vocab = len(counts)
        denominators = [math.log(t + alpha * vocab) for t in totals]
        weights = {
            f: [math.log(row[k] + alpha) - denominators[k] for k in range(len(classes))]
            for f, row in counts.items()
        }
        # Features never seen with a class get the smoothed floor; centring each feature's
        # vector keeps scores comparable whatever the number of features in a text.
        for f, vec in weights.items():
            mean = sum(vec) / len(vec)
            weights[f] = [v - mean for v in vec]
        return cls(classes, weights, [0.0] * len(classes), 1.0)

    def scores(self, features: Iterable[str]) -> list[float]:
        total = list(self.bias)
        weights = self.weights
        n = len(total)
        for f in features:
            vec = weights.get(f)
            if vec is not None:
                for k in range(n):
                    total[k] += vec[k]
        return total

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
    best, best_loss = 1.0, math.inf
    for step in range(1, 60):
        t = step * 0.02
        loss = -sum(math.log(max(softmax(s, t)[k], 1e-12)) for s, k in held)
        if loss < best_loss:
            best, best_loss = t, loss
    return best


def train_model(examples: Sequence[Example], classes: list[str],
                featurize: Callable[[str], set[str]]) -> NaiveBayes:
    unknown = Counter(e.type for e in examples if e.type not in classes)
    if unknown:
        raise ValueError(f"training examples with types not in the taxonomy: {dict(unknown)}")
    docs = [featurize(e.text) for e in examples]
    labels = [e.type for e in examples]
    model = NaiveBayes.train(docs, labels, classes)
    model.temperature = fit_temperature(docs, labels, classes)
    return model
