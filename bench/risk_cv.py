"""Leave each risk training file out in turn: train the red model without it, run the whole
risk decision (cues, rules, model) on it, and print red recall and precision per file and in
all, at several thresholds. A way to compare changes to the features or the training set
on texts the model did not see (the files were written apart, some as dev rounds).

    python bench/risk_cv.py [--config DIR] [--cache DIR]
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from fengqiao.nlp import risk as risk_module
from fengqiao.nlp.analyzer import Analyzer, _training_files, default_config_dir
from fengqiao.nlp.model import load_examples
from fengqiao.nlp.risk_model import (
    HARD_NEGATIVE_WEIGHT,
    RiskModel,
    load_risk_examples,
    training_files,
)

THRESHOLDS = [(0.3, 0.2), (0.4, 0.25), (0.5, 0.3)]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--config", type=Path, default=default_config_dir())
    parser.add_argument("--cache", type=Path, default=None)
    args = parser.parse_args(argv)
    cache = args.cache or Path(tempfile.mkdtemp(prefix="fengqiao-risk-cv-"))
    analyzer = Analyzer.load(args.config, cache)
    risk = analyzer._risk
    normal = analyzer._normalizer.normalize
    plain = [e.text for e in load_examples(_training_files(args.config))
             if len(e.text) > 12 and risk.is_plain(normal(e.text))]
    plain_docs = [risk.model_features(normal(t)) for t in plain]
    files = training_files(args.config)
    rows = {f: load_risk_examples([f]) for f in files}
    docs = {t: risk.model_features(normal(t)) for f in files for t, _ in rows[f]}
    total = {g: [0, 0, 0] for g in THRESHOLDS}
    for held in files:
        train = [(t, red) for f in files if f != held for t, red in rows[f]]
        risk.model = RiskModel.train(
            [docs[t] for t, _ in train] + plain_docs,
            [red for _, red in train] + [False] * len(plain_docs),
            [1.0 if red else HARD_NEGATIVE_WEIGHT for _, red in train] + [1.0] * len(plain))
        shown = []
        for red_at, with_cue_at in THRESHOLDS:
            risk_module.MODEL_RED, risk_module.MODEL_WITH_CUE = red_at, with_cue_at
            tp = fp = fn = 0
            for text, red in rows[held]:
                said = analyzer.analyze(text).risk == "red"
                tp += red and said
                fp += said and not red
                fn += red and not said
            for i, n in enumerate((tp, fp, fn)):
                total[(red_at, with_cue_at)][i] += n
            shown.append(f"{red_at}/{with_cue_at}: recall {tp / max(1, tp + fn):.2f} "
                         f"precision {tp / max(1, tp + fp):.2f}")
        print(f"{held.name:>22}  " + " | ".join(shown))
    for (red_at, with_cue_at), (tp, fp, fn) in total.items():
        print(f"{'all':>22}  {red_at}/{with_cue_at}: recall {tp / max(1, tp + fn):.3f} "
              f"precision {tp / max(1, tp + fp):.3f} ({fp} false reds, {fn} missed)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
