"""The red-risk model's second reader: one hidden layer over the same features as the
logistic regression (risk_model.py), so that it can weigh words together — a threat with a
means in hand and a time, not a threat hung on "if you don't pay by the new year" — which a
sum of single weights cannot. Its calibrated probability is averaged with the regression's.

Each feature has a row of HIDDEN numbers; a text's hidden layer is the sum of its known
features' rows scaled by 1/sqrt(n + 1) (as the regression's step), through ReLU, then one
weighted sum. Trained with Adam on mini-batches, features dropped at random (so no single
phrase carries a text), balanced classes and each text's weight; seeded, so a build is
repeatable. Chosen by leaving each author's file out in turn (docs/nlp.md): with the
regression, fewer false reds and fewer misses than the regression alone.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from typing import Any, cast

import numpy as np

from fengqiao.nlp.risk_words import CACHE_LIMIT, GramCache

HIDDEN = 32
EPOCHS = 12
BATCH = 32
RATE = 0.01
DROP = 0.3  # the share of a text's features left out at each step
L2 = 1e-5
MIN_COUNT = 2  # a feature seen in one text only is not learned (it would learn that text)


def _sigmoid(z: float) -> float:
    if z >= 0:
        return 1.0 / (1.0 + math.exp(-z))
    e = math.exp(z)
    return e / (1.0 + e)


class HiddenModel:
    def __init__(self, vocab: dict[str, int], w1: np.ndarray, b1: np.ndarray, w2: np.ndarray,
                 b2: float, a: float = 1.0, b: float = 0.0) -> None:
        self.vocab = vocab
        self.w1, self.b1, self.w2, self.b2 = w1, b1, w2, b2
        self.a, self.b = a, b  # Platt calibration, fitted on held-out folds (RiskModel.train)
        self._runs: dict[str, tuple[int, ...]] = {}  # run of Chinese -> its bigrams' rows

    def score(self, feats: Iterable[str]) -> float:
        vocab = self.vocab
        # Sorted rows, as probability_of: the same sum in the same order, to the last bit.
        return self._score(np.array(sorted({vocab[f] for f in feats if f in vocab}),
                                    dtype=np.intp))

    def probability(self, feats: Iterable[str]) -> float:
        return _sigmoid(self.a * self.score(feats) + self.b)

    def probability_of(self, feats: Iterable[str], runs: Iterable[str], grams: GramCache) -> float:
        """`probability` of ``feats`` and the bigrams of ``runs`` (`GramCache.runs` of the
        masked text), each run's rows remembered (residents repeat phrases, and the bench
        repeats texts). The rows are a set of ints sorted in Python: numpy's `unique` over
        the joined arrays cost twice as much for the ≈ 40 rows of a text."""
        vocab = self.vocab
        rows = set(map(vocab.get, feats))
        rows.discard(None)
        known = self._runs
        for run in runs:
            found = known.get(run)
            if found is None:
                found = tuple(vocab[g] for g in grams.grams(run) if g in vocab)
                if len(known) >= CACHE_LIMIT:
                    known.clear()
                known[run] = found
            rows.update(found)
        return _sigmoid(self.a * self._score(sorted(cast(set[int], rows))) + self.b)

    def _score(self, rows: Sequence[int] | np.ndarray) -> float:
        if not len(rows):
            return float(np.maximum(self.b1, 0.0) @ self.w2) + self.b2
        # The same operations on the same float32 arrays as written out plainly (the rows
        # summed in order, / sqrt(n + 1), + b1, ReLU, · w2), done in place: a text's time
        # here is the number of numpy calls and arrays, not the arithmetic on 32 numbers.
        hidden = np.add.reduce(self.w1.take(rows, axis=0), axis=0)
        hidden /= math.sqrt(len(rows) + 1)
        hidden += self.b1
        return float(np.maximum(hidden, 0.0, out=hidden) @ self.w2) + self.b2

    @classmethod
    def train(cls, docs: Sequence[set[str]], labels: Sequence[bool],
              sample: Sequence[float] | None = None, seed: int = 7) -> HiddenModel:
        counts: dict[str, int] = {}
        for doc in docs:
            for f in doc:
                counts[f] = counts.get(f, 0) + 1
        vocab = {f: i for i, f in enumerate(sorted(f for f, c in counts.items()
                                                   if c >= MIN_COUNT))}
        rng = np.random.default_rng(seed)
        w1 = rng.normal(0.0, 0.05, (len(vocab), HIDDEN))
        b1 = np.zeros(HIDDEN)
        w2 = rng.normal(0.0, 0.1, HIDDEN)
        b2 = 0.0
        rows = [np.array(sorted(vocab[f] for f in doc if f in vocab), dtype=np.intp)
                for doc in docs]
        y = np.array(labels, dtype=np.float64)
        weight = np.array(sample if sample is not None else [1.0] * len(docs))
        positives = float((weight * y).sum()) or 1.0
        negatives = float((weight * (1 - y)).sum()) or 1.0
        total = positives + negatives
        # Balanced classes, as the regression: a missed red costs as much as all the rest.
        weight = weight * np.where(y > 0, total / (2 * positives), total / (2 * negatives))
        adam = _Adam([w1, b1, w2, np.zeros(1)])
        order = np.arange(len(docs))
        for _ in range(EPOCHS):
            rng.shuffle(order)
            for start in range(0, len(order), BATCH):
                batch = order[start:start + BATCH]
                kept = []
                for i in batch:
                    r = rows[i]
                    if DROP and len(r) > 1:
                        keep = rng.random(len(r)) > DROP
                        r = r[keep] if keep.any() else r
                    kept.append(r)
                sizes = np.array([len(r) for r in kept])
                flat = np.concatenate(kept) if sizes.sum() else np.zeros(0, dtype=np.intp)
                scale = 1.0 / np.sqrt(sizes + 1)
                starts = np.concatenate(([0], np.cumsum(sizes)[:-1]))
                summed = np.zeros((len(batch), HIDDEN))
                nonempty = sizes > 0
                if flat.size:
                    summed[nonempty] = np.add.reduceat(w1[flat], starts[nonempty], axis=0)
                pre = summed * scale[:, None] + b1
                hidden = np.maximum(pre, 0.0)
                z = np.clip(hidden @ w2 + b2, -30, 30)
                p = 1.0 / (1.0 + np.exp(-z))
                g = (p - y[batch]) * weight[batch]
                g_w2 = hidden.T @ g
                g_b2 = g.sum()
                d_pre = (g[:, None] * w2[None, :]) * (pre > 0)
                g_b1 = d_pre.sum(axis=0)
                g_w1 = np.zeros_like(w1)
                if flat.size:
                    np.add.at(g_w1, flat, np.repeat(d_pre * scale[:, None], sizes, axis=0))
                touched = np.unique(flat)
                adam.step([g_w1, g_b1, g_w2, np.array([g_b2])], touched)
                b2 = float(adam.params[3][0])
        return cls(vocab, w1.astype(np.float32), b1.astype(np.float32),
                   w2.astype(np.float32), b2)

    def to_data(self) -> dict[str, object]:
        return {"vocab": sorted(self.vocab, key=self.vocab.__getitem__),
                "w1": self.w1.astype(np.float32).tobytes(), "shape": list(self.w1.shape),
                "b1": self.b1.astype(np.float32).tobytes(),
                "w2": self.w2.astype(np.float32).tobytes(), "b2": self.b2,
                "a": self.a, "b": self.b}

    @classmethod
    def from_data(cls, data: dict[str, Any]) -> HiddenModel:
        vocab = {f: i for i, f in enumerate(data["vocab"])}
        shape = (int(data["shape"][0]), int(data["shape"][1]))
        w1 = np.frombuffer(data["w1"], dtype=np.float32).reshape(shape)
        b1 = np.frombuffer(data["b1"], dtype=np.float32)
        w2 = np.frombuffer(data["w2"], dtype=np.float32)
        return cls(vocab, w1, b1, w2, float(data["b2"]), float(data["a"]), float(data["b"]))


class _Adam:
    """Adam on a few arrays; the first (the feature rows) updated only where a batch's texts
    had features, so a feature absent from a batch keeps its row and its moments."""

    def __init__(self, params: list[np.ndarray]) -> None:
        self.params = params
        self.m = [np.zeros_like(p) for p in params]
        self.v = [np.zeros_like(p) for p in params]
        self.t = 0

    def step(self, grads: list[np.ndarray], rows: np.ndarray) -> None:
        self.t += 1
        c1, c2 = 1 - 0.9 ** self.t, 1 - 0.999 ** self.t
        for k, (p, g) in enumerate(zip(self.params, grads)):
            if k == 0:
                m, v = self.m[0], self.v[0]
                m[rows] = 0.9 * m[rows] + 0.1 * g[rows]
                v[rows] = 0.999 * v[rows] + 0.001 * g[rows] ** 2
                p[rows] -= RATE * (m[rows] / c1) / (np.sqrt(v[rows] / c2) + 1e-8) + RATE * L2 * p[rows]
            else:
                self.m[k] = 0.9 * self.m[k] + 0.1 * g
                self.v[k] = 0.999 * self.v[k] + 0.001 * g * g
                p -= RATE * (self.m[k] / c1) / (np.sqrt(self.v[k] / c2) + 1e-8)
