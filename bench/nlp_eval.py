"""Quality report for the complaint classifier, risk colour and amount extraction.

    python bench/nlp_eval.py [--data PATH] [--config DIR] [--cache DIR] [--show-errors]

Default data: <repo>/../shared/data/intake_dev.jsonl (lines of {"text", "type", "risk",
"amounts_yuan"}). It is for evaluation only: nothing here feeds back into training.
Targets: top-1 ≥ 90%, top-3 ≥ 98%, red recall 100% with red precision ≥ 80%, amounts ≥ 95%.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
from collections import Counter
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from fengqiao.nlp.analyzer import Analyzer, default_config_dir

TARGETS = {"top1": 0.90, "top3": 0.98, "red_recall": 1.0, "red_precision": 0.80, "amounts": 0.95}


def _same_amounts(predicted: list[float], expected: list[float]) -> bool:
    return sorted(set(map(float, predicted))) == sorted(set(map(float, expected)))


def macro_f1(pairs: list[tuple[str, str]], labels: list[str]) -> float:
    scores = []
    for label in labels:
        tp = sum(1 for g, p in pairs if g == label and p == label)
        fp = sum(1 for g, p in pairs if g != label and p == label)
        fn = sum(1 for g, p in pairs if g == label and p != label)
        if tp + fp + fn == 0:
            continue
        scores.append(2 * tp / (2 * tp + fp + fn))
    return sum(scores) / len(scores) if scores else 0.0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=REPO.parent / "shared/data/intake_dev.jsonl")
    parser.add_argument("--config", type=Path, default=default_config_dir())
    parser.add_argument("--cache", type=Path, default=None, help="data dir for the model cache")
    parser.add_argument("--show-errors", action="store_true", help="print misread rows")
    args = parser.parse_args(argv)
    rows = [json.loads(line) for line in args.data.read_text(encoding="utf-8").splitlines()
            if line.strip()]
    cache = args.cache or Path(tempfile.mkdtemp(prefix="fengqiao-nlp-eval-"))
    analyzer = Analyzer.load(args.config, cache)
    pairs: list[tuple[str, str]] = []
    top3 = risk_ok = amount_ok = amount_n = 0
    red_tp = red_fp = red_fn = 0
    risk_pairs: Counter[tuple[str, str]] = Counter()
    for row in rows:
        result = analyzer.analyze(row["text"])
        pairs.append((row["type"], result.type))
        top3 += row["type"] in [code for code, _ in result.top]
        if "risk" in row:
            risk_ok += result.risk == row["risk"]
            risk_pairs[(row["risk"], result.risk)] += 1
            red_tp += row["risk"] == "red" and result.risk == "red"
            red_fp += row["risk"] != "red" and result.risk == "red"
            red_fn += row["risk"] == "red" and result.risk != "red"
        if "amounts_yuan" in row:
            amount_n += 1
            same = _same_amounts(result.amounts_yuan, row["amounts_yuan"])
            amount_ok += same
        if args.show_errors:
            wrong = []
            if result.type != row["type"]:
                wrong.append(f"type {row['type']}→{result.type} {result.top}")
            if "risk" in row and result.risk != row["risk"]:
                wrong.append(f"risk {row['risk']}→{result.risk} {result.risk_reasons}")
            if "amounts_yuan" in row and not _same_amounts(result.amounts_yuan,
                                                           row["amounts_yuan"]):
                wrong.append(f"amounts {row['amounts_yuan']}→{result.amounts_yuan}")
            if wrong:
                print("✗", row["text"], "|", "; ".join(wrong))
    n = len(rows)
    labels = [t.code for t in analyzer.taxonomy]
    figures = {
        "top1": sum(g == p for g, p in pairs) / n,
        "top3": top3 / n,
        "macro_f1": macro_f1(pairs, labels),
        "risk_accuracy": risk_ok / n,
        "red_recall": red_tp / (red_tp + red_fn) if red_tp + red_fn else 1.0,
        "red_precision": red_tp / (red_tp + red_fp) if red_tp + red_fp else 1.0,
        "amounts": amount_ok / amount_n if amount_n else 1.0,
    }
    print(f"texts: {n}  (data: {args.data})")
    for name, value in figures.items():
        target = TARGETS.get(name)
        mark = "" if target is None else ("  ok" if value >= target else f"  BELOW {target:.0%}")
        print(f"{name:>14}: {value:7.2%}{mark}")
    print("\nconfusion (rows = expected, columns = predicted; only types that occur):")
    used = [c for c in labels if any(c in pair for pair in pairs)]
    width = max(len(c) for c in used)
    print(" " * (width + 1) + " ".join(f"{c[:5]:>5}" for c in used))
    counts = Counter(pairs)
    for gold in used:
        cells = " ".join(f"{counts[(gold, p)] or '.':>5}" for p in used)
        print(f"{gold:>{width}} {cells}")
    print("\nrisk (expected→predicted):", dict(sorted(risk_pairs.items())))
    met = all(figures[k] >= v for k, v in TARGETS.items())
    print("\nall targets met" if met else "\nsome targets not met")
    return 0 if met else 1


if __name__ == "__main__":
    raise SystemExit(main())
