"""Chinese texts of the staff console, dashboard and public progress page (one place)."""

from __future__ import annotations

from fengqiao.cases import statuses
from fengqiao.mediation_room import texts as room_texts

TITLE = "矛盾纠纷调处工作台"
LOGIN_FAILED = "用户名或密码错误"
LOGIN_EXPIRED = "页面已过期，请重新登录"
CSRF_FAILED = "页面已过期，请刷新后重试"
FORBIDDEN = "您没有执行此操作的权限"
DONE = "{action}已完成"
CASE_NOT_FOUND = "案件编号不存在或有误，请核对后重试"
REGISTERED = "已登记，案件编号 {code}"
NOT_SIGNED_IN = "请先登录"
# Under 告知当事人: only for a party the platform cannot reach by WeChat, named. Progress
# notices go by WeChat (by SMS only as the fallback of a WeChat user's verified phone); a
# party with a phone alone can still be texted their case link, where SMS links are set up.
NO_WECHAT_NOTE = "未绑定微信，进展需电话告知"
NO_WECHAT_SMS_NOTE = "未绑定微信，进展不会自动通知：可点“短信发送案件链接”让其随时查看，或电话告知"
NO_CHANNEL_NOTE = "没有微信，也没有电话：进展无法告知，请补充联系方式"
NO_NOTICES = "暂无发给当事人的通知"
# The channel an outbox notice went by (outbox rows say sms where reach says phone).
NOTICE_CHANNELS = {"mp": "公众号", "wxa": "小程序", "sms": "短信", "phone": "短信"}

ACTIONS = {
    "route": "分流",
    "handle": "受理办理",
    "assign": "指定承办人",
    "whistle": "吹哨报到",
    "report": "部门报到",
    "escalate": "督办",
    "close": "办结反馈",
    "archive": "归档",
    "withdraw": "撤回",
    "merge": "合并重复案件",
    "reopen": "重新督办",
    "revisit": "电话回访",
}
AUDIT_ACTIONS = {
    "case.filed": "登记受理",
    "case.route": "分流",
    "case.handle": "受理办理",
    "case.assign": "指定承办人",
    "case.whistle": "吹哨报到",
    "case.close": "办结反馈",
    "case.archive": "归档",
    "case.withdraw": "撤回",
    "case.merge": "合并",
    "case.merged_in": "并入重复案件",
    "case.reopen": "重新督办",
    "task.reported": "部门报到",
    "file.added": "上传材料",
    "revisit.answered": "回访",
    "revisit.sampled": "抽取回访",
    "supervision.red_alert": "红色风险预警",
    "supervision.reminder": "提醒函",
    "supervision.warning": "预警单",
    "supervision.order": "督办令",
    "supervision.revisit": "回访不满意督办",
    "supervision.task_reminder": "报到提醒函",
    "supervision.task_warning": "报到预警单",
    "supervision.task_order": "报到督办令",
    "supervision.daily_report": "每日报告",
    "case.escalate": "督办",
    "party.added": "添加当事人",
    "party.updated": "修改当事人信息",
    "evidence.added": "提交证据",
    "evidence.commented": "质证意见",
    "message.sent": "留言（当事人与调解员）",
    "agreement.drafted": "起草调解协议",
    "agreement.edited": "修改调解协议",
    "agreement.issued": "发出调解协议待签",
    "agreement.opened": "阅读调解协议",
    "agreement.signed": "签署调解协议",
    "agreement.sealed": "加盖印章",
    "delivery.consented": "确认电子送达地址",
    "delivery.sent": "电子送达",
    "delivery.paper_requested": "申请纸质文书",
    "delivery.acknowledged": "签收送达文书",
    "delivery.reminded": "提醒签收送达文书",
    "delivery.paper_task": "转为纸质送达",
    "judicial.reminded": "提醒申请司法确认",
    "judicial.package": "导出司法确认材料",
    "booking.proposed": "提供调解时间",
    "booking.booked": "预约调解",
    "booking.consent": "当事人同意调解",
    "booking.party_confirmed": "当事人确认时间",
    "booking.accepted": "调解员接受预约",
    "booking.confirmed": "预约已确认",
    "booking.link_sms": "短信发送预约链接",
    "case.link_sms": "短信发送案件链接",
    "booking.rescheduled": "改约",
    "booking.notes": "调解记录",
    "booking.rated": "评价调解",
    "booking.declined": "调解员婉拒",
    "booking.cancelled": "取消预约",
    "booking.completed": "调解结束",
    "booking.no_show": "当事人未到场",
    "room.created": "创建视频调解室",
    "room.recording": "保存调解录像",
    "room.status": "视频调解室状态变化",
    "signin.failed": "登录失败",
    "signin.refused": "登录被暂停",
    "signin.succeeded": "登录",
    "user.created": "创建工作人员账号",
    "registry.import.organisations": "导入调解组织名册",
    "registry.import.mediators": "导入调解员名册",
    "registry.organisation": "修改调解组织信息",
    "registry.mediator": "修改调解员信息",
    "registry.absence": "登记调解员请假",
    **room_texts.AUDIT_ACTIONS,  # a video session's events, named where the room's texts live
}
OTHER_ACTION = "其他操作"
ROLES_IN_CASE = {"applicant": "申请人", "respondent": "被申请人", "agent": "代理人"}
NOTICE_STATUS = {
    "pending": "待发送",
    "sending": "发送中",
    "sent": "已发送",
    "failed": "发送失败",
    "skipped": "未配置模板",
    "undeliverable": "无法送达",
    "dev_inbox": "未配置微信，已写入 dev-messages.txt",
}
CHANNELS = {"walk_in": "来访登记", "phone": "来电登记"}
CASE_CHANNELS = {
    "mp": "微信公众号",
    "wxa": "微信小程序",
    "walk_in": "来访登记",
    "phone": "来电登记",
    "console": "工作台登记",
    "cli": "命令行",
}
STATUS_OPTIONS = statuses.NAMES
RISK_OPTIONS = statuses.RISK_NAMES
OUTCOME_OPTIONS = statuses.OUTCOMES
REFERRAL_OPTIONS = statuses.REFERRALS
SATISFACTION_OPTIONS = statuses.SATISFACTION

# Dashboard labels, used by dashboard.js through the page's data attributes.
DASHBOARD = {
    "title": "综治中心数据看板",
    "total": "受理总数",
    "resolution_rate": "化解率",
    "satisfaction_rate": "满意率",
    "cycle_avg": "平均办理天数",
    "cycle_p90": "90%案件办结天数",
    "overdue": "超期在办",
    "by_type": "按纠纷类型",
    "by_month": "按月份",
    "by_region": "按地区",
    "by_risk": "按风险等级",
    "by_organisation": "按承办单位",
    "cases": "案件数",
    "refreshed": "统计时间",
}

PROGRESS = {
    "title": "案件进度查询",
    "prompt": "请输入案件编号（如 FQ2611-ABCDEF-X）",
    "button": "查询",
    "status": "当前状态",
    "type": "纠纷类型",
    "filed": "受理时间",
    "deadline": "办理期限",
    "steps": "办理进展",
    "not_found": CASE_NOT_FOUND,
    "hint": "案件编号见受理时的微信消息；如有疑问请致电 {hotline}。",
}
PARTY_SAVED = "当事人信息已保存"
