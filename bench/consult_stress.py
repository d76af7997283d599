"""Harder variants of hand-written consultation questions, for the type classifier's bench.

    python bench/consult_stress.py OUT_DIR FILE ...
    python bench/nlp_eval.py --data OUT_DIR/stress_*.jsonl

Hand-written questions are easier than the ones the public writes (docs/nlp.md): this makes
two variants of the rows of the given JSONL files, labelled as the originals —
- ``stress_nokw.jsonl``: every taxonomy keyword of two or more characters taken out of the
  text (the situation is described, the tell-tale word is missing);
- ``stress_pairs.jsonl``: each question after another question of another type (a story of
  another matter, then the question the row is labelled by; ``random.Random(1)``).
Never give it training files: the variants must be of texts the model has not seen.
"""

from __future__ import annotations

import json
import random
import sys
import tomllib
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


def main(argv: list[str]) -> int:
    if len(argv) < 2:
        print(__doc__)
        return 2
    out_dir = Path(argv[0])
    out_dir.mkdir(parents=True, exist_ok=True)
    taxonomy = tomllib.loads((REPO / "config/taxonomy.toml").read_text("utf-8"))
    keywords = sorted({w for t in taxonomy["type"] for w in t["keywords"] if len(w) > 1},
                      key=len, reverse=True)
    rows = [json.loads(line) for name in argv[1:]
            for line in Path(name).read_text("utf-8").splitlines() if line.strip()]
    rows = [r for r in rows if r.get("type")]
    with (out_dir / "stress_nokw.jsonl").open("w", encoding="utf-8") as out:
        for row in rows:
            text = row["text"]
            for word in keywords:
                text = text.replace(word, "")
            out.write(json.dumps({"text": text, "type": row["type"]}, ensure_ascii=False) + "\n")
    rng = random.Random(1)
    with (out_dir / "stress_pairs.jsonl").open("w", encoding="utf-8") as out:
        for row in rows:
            other = rng.choice([r for r in rows if r["type"] != row["type"]])
            text = other["text"].rstrip("？?") + "。还有" + row["text"]
            out.write(json.dumps({"text": text, "type": row["type"]}, ensure_ascii=False) + "\n")
    print(f"{len(rows)} rows → {out_dir}/stress_nokw.jsonl, {out_dir}/stress_pairs.jsonl")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
