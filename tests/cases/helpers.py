"""Shared helpers for the case tests."""

from __future__ import annotations

import shutil
from pathlib import Path

from fengqiao.cases.service import NewCase, PartyInfo
from fengqiao.settings import CONFIG_DIR


def resident_case(n: int = 1, **overrides: object) -> NewCase:
    values: dict[str, object] = dict(
        description="老板拖欠三个月工资",
        channel="mp",
        actor=f"mp:openid-{n}",
        type_code="labor",
        type_name="劳动争议",
        risk="blue",
        applicant=PartyInfo(name="王小明", phone="13912345678", openid=f"openid-{n}", channel="mp"),
        respondent=PartyInfo(name="张老板", phone="13800001111"),
        intake_key=f"intake-{n}",
        region="城关镇",
    )
    values.update(overrides)
    return NewCase(**values)  # type: ignore[arg-type]


def config_with_templates(tmp_path: Path) -> Path:
    """A copy of config/ with WeChat template ids filled in, as an operator would."""
    target = tmp_path / "config"
    shutil.copytree(CONFIG_DIR, target, dirs_exist_ok=True)
    path = target / "notifications.toml"
    text = path.read_text("utf-8")
    text = text.replace('[mp]\nstatus_template_id = ""', '[mp]\nstatus_template_id = "TPL-MP"')
    for kind in ("progress", "booking", "reminder", "signing", "delivery"):
        text = text.replace(
            f'[wxa.templates.{kind}]\nid = ""', f'[wxa.templates.{kind}]\nid = "TPL-WXA-{kind}"'
        )
    path.write_text(text, "utf-8")
    return target
