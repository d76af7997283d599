"""Probe #13: the demo walk (README and what `fengqiao demo` prints) left out the parties'
“我同意电子送达” after signing, so a newcomer's 电子送达 answered no_consent; and the README
named only the mediator's and the seal keeper's codes as being in the log."""

from __future__ import annotations

from fengqiao.demo import print_walkthrough
from tests.conftest import REPO


def demo_result() -> dict:
    return {
        "base_url": "http://127.0.0.1:8080",
        "cases": [{"type": "neighbor", "code": "FQ-N"}, {"type": "labor", "code": "FQ-L"}],
        "agreement": {"code": "DOC-1"},
        "dashboard_url": "http://127.0.0.1:8080/dashboard/",
        "dev_inbox": "var/dev-messages.txt",
    }


def test_the_printed_walk_has_the_consent_before_delivery(capsys):
    print_walkthrough(demo_result())
    steps = capsys.readouterr().out.splitlines()
    consent = next(i for i, s in enumerate(steps) if "我同意电子送达" in s)
    delivery = next(i for i, s in enumerate(steps) if "电子送达、下载司法确认材料" in s)
    assert consent < delivery
    assert "当事人的验证码也在服务日志里" in steps[consent]


def test_the_readme_says_so_too():
    readme = (REPO / "README.md").read_text("utf-8")
    demo = readme.split("`fengqiao demo` creates console accounts", 1)[1].split("## ", 1)[0]
    assert "我同意电子送达" in demo and "no_consent" in demo
    assert "the parties'" in demo and "grep 验证码" in demo
