"""Case statuses and their public names: the 受理→分流→处置→反馈→归档 loop."""

from __future__ import annotations

ACCEPTED = "accepted"
ROUTED = "routed"
HANDLING = "handling"
FEEDBACK = "feedback"
ARCHIVED = "archived"
WITHDRAWN = "withdrawn"
MERGED = "merged"

NAMES = {
    ACCEPTED: "受理",
    ROUTED: "分流",
    HANDLING: "处置",
    FEEDBACK: "反馈",
    ARCHIVED: "归档",
    WITHDRAWN: "已撤回",
    MERGED: "已合并",
}

# What a resident reads for each step on the public progress page.
DESCRIPTIONS = {
    ACCEPTED: "中心已登记您的纠纷",
    ROUTED: "已分派给承办单位",
    HANDLING: "承办单位正在调处",
    FEEDBACK: "已向当事人反馈处理结果",
    ARCHIVED: "案件已办结归档",
    WITHDRAWN: "申请人已撤回",
    MERGED: "已与同一纠纷合并办理",
}

RISK_NAMES = {"red": "红色", "yellow": "黄色", "blue": "蓝色"}

# Statuses in which the case is still being worked on (deadlines and supervision apply).
OPEN = (ACCEPTED, ROUTED, HANDLING)
# Statuses after which nothing more happens to the case.
FINAL = (ARCHIVED, WITHDRAWN, MERGED)

# Outcomes recorded when handling ends (反馈).
SUCCESS = "success"
PARTIAL = "partial"
FAILED = "failed"
OUTCOMES = {SUCCESS: "调解成功", PARTIAL: "部分达成", FAILED: "调解不成"}
RESOLVED_OUTCOMES = (SUCCESS, PARTIAL)

# 七步走: where a case goes when mediation fails; the receiving body is recorded with it.
REFERRALS = {
    "arbitration": "仲裁",
    "administrative_ruling": "行政裁决",
    "administrative_review": "行政复议",
    "petition": "信访",
    "litigation": "诉讼",
    "legal_supervision": "法律监督",
}

# 回访 answers. 基本满意 or below sends the case back under supervision.
SATISFIED = "satisfied"
BASIC = "basic"
UNSATISFIED = "unsatisfied"
SATISFACTION = {SATISFIED: "满意", BASIC: "基本满意", UNSATISFIED: "不满意"}
SATISFACTION_FROM_TEXT = {v: k for k, v in SATISFACTION.items()}

# Supervision steps (督办), in escalation order.
ESCALATIONS = {1: "reminder", 2: "warning", 3: "order"}
ESCALATION_NAMES = {"reminder": "提醒函", "warning": "预警单", "order": "督办令"}
