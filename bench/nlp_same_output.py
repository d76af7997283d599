"""Does `fengqiao classify --jsonl` print the same lines as another revision? For speed work.

    python bench/nlp_same_output.py [--base main] [--texts 20000] [--seed 0]

Runs the command of this checkout and of ``--base`` (a git revision, unpacked into a temporary
directory with `git archive`) on the texts `bench/nlp_speed.py` times, plus every text of the
risk training set, the evaluation sets and shared/data, with one data directory and the same
PYTHONHASHSEED: the model's reason lists its word classes by weight, and ties follow the order
of a set of strings, which differs from one hash seed to the next. Exit status 1 on any
difference, and the first differing lines are printed.
"""

from __future__ import annotations

import argparse
import io
import json
import os
import random
import subprocess
import sys
import tarfile
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


def _texts(count: int) -> list[str]:
    config = REPO / "config"
    training = [json.loads(line)["text"] for path in sorted((config / "training").glob("*.jsonl"))
                for line in path.read_text("utf-8").splitlines() if line.strip()]
    rng = random.Random(1)  # as bench/nlp_speed.py
    texts = ["，".join(rng.choice(training) for _ in range(rng.choice((1, 2, 3))))
             for _ in range(count)]
    others = [*(config / "risk_training").glob("*.jsonl"), *(REPO / "bench/data").glob("*.jsonl"),
              *(REPO.parent / "shared/data").glob("*.jsonl")]
    for path in sorted(others):
        for line in path.read_text("utf-8").splitlines():
            row = json.loads(line) if line.strip() else None
            if isinstance(row, dict) and isinstance(row.get("text"), str):
                texts.append(row["text"])
    return texts + ["老闆拖欠工資三個月，欠我２００００元", "hello 123", "", "我要拿刀砍死他！！"]


def _run(source: Path, stdin: str, data_dir: Path, seed: str) -> list[str]:
    env = dict(os.environ, FENGQIAO_DATA_DIR=str(data_dir), PYTHONHASHSEED=seed,
               PYTHONPATH=str(source))
    out = subprocess.run([sys.executable, "-m", "fengqiao", "classify", "--jsonl"], input=stdin,
                         capture_output=True, text=True, cwd=source, env=env, check=True)
    return out.stdout.splitlines()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--base", default="main")
    parser.add_argument("--texts", type=int, default=20_000)
    parser.add_argument("--seed", default="0")
    args = parser.parse_args(argv)
    lines = [json.dumps({"text": t}, ensure_ascii=False) for t in _texts(args.texts)]
    stdin = "\n".join([*lines, "not json", '{"x": 1}']) + "\n"
    with tempfile.TemporaryDirectory(prefix="fengqiao-same-") as tmp:
        base = Path(tmp) / "base"
        base.mkdir()
        archive = subprocess.run(["git", "archive", args.base], cwd=REPO, check=True,
                                 capture_output=True).stdout
        with tarfile.open(fileobj=io.BytesIO(archive)) as tar:
            tar.extractall(base, filter="data")
        data = Path(tmp) / "data"
        ours = _run(REPO, stdin, data, args.seed)
        theirs = _run(base, stdin, data, args.seed)
    differing = [i for i, (a, b) in enumerate(zip(ours, theirs)) if a != b]
    if len(ours) != len(theirs):
        differing.append(min(len(ours), len(theirs)))
    print(f"{len(ours)} lines, {len(differing)} differ from {args.base}")
    for i in differing[:5]:
        print(f"line {i + 1}:\n  {args.base}: {theirs[i] if i < len(theirs) else '-'}\n"
              f"  here: {ours[i] if i < len(ours) else '-'}")
    return 1 if differing else 0


if __name__ == "__main__":
    raise SystemExit(main())
