"""The command line as an operator uses it: real processes, real data directory."""

from __future__ import annotations

import json
import os
import shutil
import sqlite3
import subprocess
import sys
from pathlib import Path

from tests.conftest import shared_nlp_cache
from tests.fakes.resident import Resident

ENV_KEEP = ("PATH", "HOME", "LANG", "PYTHONPATH", "VIRTUAL_ENV")


def env_for(data_dir: Path, **extra: str) -> dict[str, str]:
    """The environment of a `fengqiao` process on ``data_dir``, whose language-model cache
    is the one the test run trained once (as a restart on the same data directory finds it)."""
    shutil.copytree(shared_nlp_cache(), data_dir / "nlp", dirs_exist_ok=True)
    env = {k: v for k, v in os.environ.items() if k in ENV_KEEP}
    env.update(FENGQIAO_DATA_DIR=str(data_dir), FENGQIAO_SECRET_KEY="cli-test-secret", **extra)
    return env


def fengqiao(*args: str, env: dict[str, str], input: str | None = None) -> str:
    done = subprocess.run(
        [sys.executable, "-m", "fengqiao", *args],
        input=input,
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    return done.stdout


def test_chat_jsonl_files_a_case_through_the_dialog(tmp_path):
    env = env_for(tmp_path / "var")
    proc = subprocess.Popen(
        [sys.executable, "-m", "fengqiao", "chat", "--jsonl", "--openid", "cli-1"],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )
    resident = Resident()
    said: str | None = resident.opening()
    lines = []
    while said is not None:
        proc.stdin.write(said + "\n")
        proc.stdin.flush()
        line = json.loads(proc.stdout.readline())
        assert set(line) == {"reply", "state", "case_code", "prompt"}
        assert line["prompt"]["kind"] in ("consent", "text", "choice", "phone", "amount", "date",
                                          "review", "done")
        lines.append(line)
        said = resident.answer(said, line["reply"])
    proc.stdin.close()
    assert proc.wait(30) == 0
    assert lines[-1]["state"] == "filed"
    assert lines[-1]["case_code"] == resident.code
    assert lines[-1]["prompt"]["kind"] == "done" and "公众号" not in lines[-1]["reply"]
    assert all(line["case_code"] is None for line in lines[:-1])


def test_demo_json_is_idempotent(tmp_path):
    env = env_for(tmp_path / "var")
    first = json.loads(fengqiao("demo", "--json", "--port", "8093", env=env))
    assert first["base_url"] == "http://127.0.0.1:8093"  # where `serve --port 8093` listens
    second = json.loads(fengqiao("demo", "--json", env=env))
    assert [c["code"] for c in first["cases"]] == [c["code"] for c in second["cases"]]
    assert all(c["progress_url"].endswith(c["code"]) for c in first["cases"])
    assert_demo_walks_the_whole_path(first, tmp_path / "var" / "fengqiao.db")


def assert_demo_walks_the_whole_path(demo: dict, database: Path) -> None:
    """Every step has someone who can sign in to do it, links reach the parties, and
    whatever the demo did reads in Chinese on the timeline."""
    from fengqiao.web.console_texts import AUDIT_ACTIONS

    roles = {s["username"]: s["role"] for s in demo["staff"]}
    assert {"staff", "mediator", "leader", "admin", "seal_keeper"} <= set(roles.values())
    mediator = demo["booking"]["mediator_login"]
    assert roles.get(mediator) == "mediator"  # the booked mediator can sign in
    people = demo["room"]["participants"].values()
    room_mediator = next(p for p in people if p["role"] == "mediator")
    assert room_mediator["name"] == demo["booking"]["booking"]["mediator"]
    assert demo["booking"]["booking"]["place"].startswith("视频调解")  # what the room link opens
    sealed = demo["sealed_agreement"]  # a party's delivery page the newcomer can open
    assert len(sealed["delivery_urls"]) == 2
    assert all("/h5/delivery/" in u and "?t=fq1." in u for u in sealed["delivery_urls"].values())
    with sqlite3.connect(database) as db:
        actions = {a for (a,) in db.execute("SELECT DISTINCT action FROM audit_log")}
        unlabelled = actions - set(AUDIT_ACTIONS)
        assert not unlabelled, unlabelled
        no_wechat = db.execute(
            "SELECT count(*) FROM case_parties p LEFT JOIN people h ON h.id = p.person_id"
            " WHERE h.openid IS NULL").fetchone()[0]
        assert no_wechat == 0  # every demo party can receive its links
        data = db.execute(
            "SELECT data FROM documents WHERE code = ?", (demo["agreement"]["code"],)
        ).fetchone()
    assert json.loads(data[0])["mediator_staff_id"] == mediator  # signs on the page


def test_db_upgrade_and_bad_settings(tmp_path):
    env = env_for(tmp_path / "var")
    assert "up to date" in fengqiao("db", "upgrade", env=env)
    bad = env_for(tmp_path / "var", FENGQIAO_DATABASE_URL="mysql://nope")
    done = subprocess.run(
        [sys.executable, "-m", "fengqiao", "serve", "--port", "1"],
        capture_output=True,
        text=True,
        env=bad,
        timeout=60,
    )
    assert done.returncode == 2
    assert "FENGQIAO_DATABASE_URL" in done.stderr
    assert "Traceback" not in done.stderr


def test_links_default_to_the_address_served():
    from fengqiao.serve import default_public_url

    assert default_public_url("127.0.0.1", 8091) == "http://127.0.0.1:8091"
    assert default_public_url("0.0.0.0", 9000) == "http://127.0.0.1:9000"
    assert default_public_url("192.168.1.20", 80) == "http://192.168.1.20:80"
    assert default_public_url("::1", 8080) == "http://[::1]:8080"


def test_chat_links_to_the_address_the_service_runs_on(tmp_path, monkeypatch):
    """Probe #17: `chat` printed its progress link on port 8080 whatever port `serve` used."""
    from fengqiao import serve as serve_module
    from fengqiao.settings import Settings

    data_dir = tmp_path / "var"
    env = env_for(data_dir)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    monkeypatch.setenv("FENGQIAO_PUBLIC_URL", "")  # serve() sets it: undone after the test
    monkeypatch.delenv("FENGQIAO_PUBLIC_URL")
    monkeypatch.setattr(serve_module, "_worker", lambda *args, **kwargs: None)
    monkeypatch.setattr(serve_module.logs, "configure", lambda *args, **kwargs: None)
    assert serve_module.serve("127.0.0.1", 8411, 1) == 0  # records the address it serves
    resident = Resident()
    said: str | None = resident.opening()
    replies = []
    proc = subprocess.Popen(
        [sys.executable, "-m", "fengqiao", "chat", "--jsonl", "--openid", "cli-port"],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        env=env,
    )
    while said is not None:
        proc.stdin.write(said + "\n")
        proc.stdin.flush()
        replies.append(json.loads(proc.stdout.readline())["reply"])
        said = resident.answer(said, replies[-1])
    proc.stdin.close()
    assert proc.wait(30) == 0
    # The filing reply links the applicant's own case page, on the port the service runs on.
    assert f"http://127.0.0.1:8411/h5/case/{resident.code}?t=" in replies[-1]
    # A configured public URL still wins over the recorded address.
    configured = Settings(data_dir=data_dir, public_url="https://tiaojie.example.cn")
    assert configured.with_served_url().public_url == "https://tiaojie.example.cn"
    assert Settings(data_dir=tmp_path / "empty").with_served_url().public_url.endswith(":8080")
