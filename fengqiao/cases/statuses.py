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
