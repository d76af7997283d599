"""Chinese texts of the case lifecycle: notices to residents and supervision documents."""

from __future__ import annotations

# -- notices to residents (WeChat template / subscribe message) ------------------------------
STATUS_REMARK = {
    "routed": "您的纠纷已分派至{organisation}办理。",
    "handling": "{organisation}正在调处您的纠纷。",
    "feedback": "处理结果：{outcome}。如有疑问请致电{hotline}。",
    "archived": "案件已办结归档，感谢您的信任。",
    "withdrawn": "您的申请已撤回。",
    "merged": "您的纠纷已与同一纠纷（{target}）合并办理。",
    "reopened": "中心已重新督办您的纠纷，承办单位将尽快与您联系。",
}
# A notice by SMS (only where [sms] notices = true in config/notifications.toml).
SMS_NOTICE = "【{status}】案件编号 {code}：{remark} {url}"
REVISIT_REMARK = "请在对话中回复“满意”“基本满意”或“不满意”，也可以附上您的意见。"
REVISIT_QUESTION = (
    "您的纠纷（案件编号 {code}）已办结，处理结果：{outcome}。\n"
    "请问您对办理结果是否满意？请回复：满意 / 基本满意 / 不满意，也可以附上您的意见。"
)
REVISIT_THANKS = "感谢您的评价（案件编号 {code}：{level}）。"
REVISIT_REOPENED = "我们已将案件（案件编号 {code}）重新交由中心督办，承办单位将尽快与您联系。"

# -- supervision documents (督办) --------------------------------------------------------------
DOC_TITLES = {
    "reminder": "提醒函",
    "warning": "预警单",
    "order": "督办令",
    "red_alert": "红色风险预警",
    "daily_report": "黄色风险每日报告",
    "task_reminder": "吹哨报到提醒函",
    "task_warning": "吹哨报到预警单",
    "task_order": "吹哨报到督办令",
    "revisit_reopen": "回访不满意督办令",
}
DOC_BODY = {
    "reminder": (
        "{recipient}：案件编号 {code}（{type_name}，{risk_name}风险）办理期限 {deadline} 已到，"
        "请抓紧办理并及时反馈。"
    ),
    "warning": (
        "{recipient}：案件编号 {code}（{type_name}，{risk_name}风险）已超期 {overdue} 小时仍未办结，"
        "现予预警，请于24小时内报告办理进展。"
    ),
    "order": (
        "{recipient}：案件编号 {code}（{type_name}，{risk_name}风险）已超期 {overdue} 小时，"
        "经提醒、预警仍未办结，现下达督办令，请立即办理并书面报告。"
    ),
    "red_alert": (
        "{recipient}：新受理红色风险案件，案件编号 {code}（{type_name}），风险原因：{reasons}。"
        "请当日处置。"
    ),
    "daily_report": "{recipient}：{day} 在办黄色、红色风险案件 {count} 件：\n{lines}",
    "task_reminder": (
        "{recipient}：案件编号 {code} 吹哨报到任务报告期限 {deadline} 已到，请尽快报到并报告。"
    ),
    "task_warning": "{recipient}：案件编号 {code} 吹哨报到任务已超期 {overdue} 小时，现予预警。",
    "task_order": "{recipient}：案件编号 {code} 吹哨报到任务已超期 {overdue} 小时，现下达督办令。",
    "revisit_reopen": (
        "{recipient}：案件编号 {code} 回访结果为“{level}”（{comment}），"
        "案件重新纳入督办，请于3日内重新联系当事人。"
    ),
}
LEADERS = "中心领导"
NO_COMMENT = "无意见"
