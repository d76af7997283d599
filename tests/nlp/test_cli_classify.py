from __future__ import annotations

import io
import json
from pathlib import Path

from fengqiao.nlp.cli_classify import run_classify


def test_one_text(nlp_cache: Path) -> None:
    out = io.StringIO()
    code = run_classify("老板拖欠工资三千块", False, io.StringIO(), out, nlp_cache)
    assert code == 0
    data = json.loads(out.getvalue())
    assert data["type"] == "labor"
    assert data["amounts_yuan"] == [3000]
    assert list(data) == ["type", "type_name", "confidence", "top", "risk", "risk_reasons",
                          "keywords", "amounts_yuan", "department"]
    assert "劳动" in out.getvalue()  # Chinese is written as is, not \\u escapes


def test_text_from_stdin_without_argument(nlp_cache: Path) -> None:
    out = io.StringIO()
    assert run_classify(None, False, io.StringIO("楼上漏水\n"), out, nlp_cache) == 0
    assert json.loads(out.getvalue())["type"] == "neighbor"


def test_nothing_to_classify(nlp_cache: Path) -> None:
    out = io.StringIO()
    assert run_classify(None, False, io.StringIO(""), out, nlp_cache) == 2
    assert "error" in json.loads(out.getvalue())


def test_jsonl_keeps_one_output_line_per_input_line(nlp_cache: Path) -> None:
    lines = [
        json.dumps({"text": "朋友借钱不还"}, ensure_ascii=False),
        "not json",
        json.dumps({"no_text": 1}),
        "",
        json.dumps({"text": "他扬言要弄死我"}, ensure_ascii=False),
        json.dumps(["a list"]),
    ]
    out = io.StringIO()
    assert run_classify(None, True, io.StringIO("\n".join(lines) + "\n"), out, nlp_cache) == 0
    rows = [json.loads(line) for line in out.getvalue().splitlines()]
    assert len(rows) == 5  # the blank line is skipped
    assert rows[0]["type"] == "debt"
    assert "error" in rows[1] and "error" in rows[2] and "error" in rows[4]
    assert rows[3]["risk"] == "red"


def test_jsonl_empty_input(nlp_cache: Path) -> None:
    out = io.StringIO()
    assert run_classify(None, True, io.StringIO(""), out, nlp_cache) == 0
    assert out.getvalue() == ""


def test_a_batch_leaves_a_heap_frozen_before_it_frozen(tmp_path) -> None:  # type: ignore[no-untyped-def]
    """Was: the batch's gc.unfreeze() also unfroze what the service had frozen at start-up
    (app._settle_heap), so every full collection walked it again."""
    import gc
    import io

    from fengqiao.nlp.cli_classify import run_classify

    was_frozen = gc.get_freeze_count() > 0  # by a service an earlier test started
    gc.freeze()
    try:
        frozen = gc.get_freeze_count()
        assert frozen > 0
        out = io.StringIO()
        run_classify(None, True, io.StringIO('{"text": "老板拖欠工资"}\n'), out, tmp_path)
        assert '"labor"' in out.getvalue()
        assert gc.get_freeze_count() >= frozen
    finally:
        if not was_frozen:
            gc.unfreeze()
