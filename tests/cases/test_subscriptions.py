"""Subscribe-message templates: one per kind, and page paths that carry what the page needs."""

from __future__ import annotations

from fengqiao.cases.rules import load_config
from fengqiao.cases.subscriptions import Template, load_templates
from tests.cases.helpers import config_with_templates


def test_each_kind_has_its_own_template_and_unset_ids_are_left_out(tmp_path):
    templates = load_templates(load_config(config_with_templates(tmp_path)).notifications)
    assert {k: t.id for k, t in templates.items()} == {
        k: f"TPL-WXA-{k}" for k in ("progress", "booking", "reminder", "signing", "delivery")
    }
    assert templates["booking"].fields["remark"] == "thing4"
    assert load_templates({"wxa": {"templates": {"progress": {"id": ""}}}}) == {}


def test_page_paths_carry_the_case_code_the_link_token_and_the_document():
    booking = Template("booking", "B", "pages/booking/index?code={code}&t={t}")
    assert (
        booking.page_for({"code": "FQ1", "url": "https://x/h5/booking/fq1.abc.def"})
        == "pages/booking/index?code=FQ1&t=fq1.abc.def"
    )
    sign = Template("signing", "S", "pages/sign/index?doc={doc}&t={t}")
    assert (
        sign.page_for({"code": "FQ1", "url": "https://x/h5/sign/AG-7?t=fq1.a%2Bb"})
        == "pages/sign/index?doc=AG-7&t=fq1.a%2Bb"
    )
    progress = Template("progress", "P", "pages/progress/index?code={code}")
    assert progress.page_for({"code": "FQ1", "url": "https://x/h5/progress?code=FQ1"}) == (
        "pages/progress/index?code=FQ1"
    )
    assert Template("progress", "P").page_for({"code": "FQ1"}) == ""
