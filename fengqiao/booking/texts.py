"""Every user-facing text of booking, in one place for review and translation."""

from __future__ import annotations

STATUS_NAMES = {
    "none": "尚未预约",
    "proposed": "待选时间",
    "pending": "待确认",
    "confirmed": "已确认",
    "declined": "调解员已婉拒",
    "cancelled": "已取消",
    "completed": "已完成",
    "no_show": "当事人未到场",
}
OUTCOME_NAMES = {"agreed": "调解成功", "failed": "调解不成", "withdrawn": "申请人撤回"}
ROLE_NAMES = {"applicant": "申请人", "respondent": "被申请人", "agent": "代理人"}
MODE_NAMES = {"onsite": "现场调解", "video": "视频调解"}
ORG_KINDS = {
    "committee": "人民调解委员会",
    "professional": "行业性专业性调解室",
    "court": "诉调对接",
    "police": "警调对接",
    "procuratorate": "检调对接",
    "petition": "访调对接",
    "legal_aid": "法律援助",
    "other": "其他",
}
WEEKDAY_NAMES = ["周一", "周二", "周三", "周四", "周五", "周六", "周日"]

# Recommendation reasons
R_SKILL = "擅长{type_name}"
R_NO_SKILL = "未登记{type_name}专长"
R_LANGUAGE = "会说{language}"
R_REGION = "同在{region}"
R_ORGANISATION = "属于承办单位{organisation}"
R_REMOTE = "可视频调解，不受地域限制"
R_WORKLOAD = "当前在办{open}件（上限{capacity}件）"
R_SOON = "最早可约：{when}"
R_NOT_SOON = "{days}天内无空闲时间"
R_RATING = "满意度{score:.1f}分（{count}次评价）"
R_RATING_PRIOR = "满意度{score:.1f}分（登记评分）"

# Errors
E_NOT_FOUND = "预约不存在"
E_MEDIATOR_NOT_FOUND = "调解员不存在"
E_NOT_IN_REGISTRY = "您的账号尚未登记在调解员名册中，请联系管理员在名册中填写您的登录账号。"
E_ORG_NOT_FOUND = "调解组织不存在"
E_CASE_NOT_FOUND = "案件编号不存在或有误，请核对后重试"
E_SLOT_TAKEN = "该时间已被占用，请选择其他时间"
E_SLOT_UNKNOWN = "所选时间不在可选范围内"
E_STATE = "当前预约状态（{status}）不能进行此操作"
E_CONSENT = "请先同意参加调解"
E_MEDIATOR_UNAVAILABLE = "该调解员不在岗或已满负荷"
E_NOT_YOURS = "这不是您的预约"
E_LINK = "链接无效或已过期，请联系中心重新获取"
E_REASON = "请填写原因"
E_NO_PARTIES = "案件没有可邀请的当事人"
E_OUTSIDE_HOURS = "该时间不在调解员的工作时间内"
E_PAST = "不能预约已经过去的时间"
E_NAIVE_TIME = "时间缺少时区"
E_OUTCOME = "请选择调解结果：调解成功、调解不成或申请人撤回"
E_SCORE = "满意度请打1到5分"
E_ABSENT = "请勾选未到场的当事人（至少一位本次预约的当事人）"
E_YEAR = "年份应在{low}到{high}之间"
E_CSV = "第{line}行：{error}"

# Notices (WeChat template remark / console lines)
N_PROPOSED = "调解时间待您选择，请点击查看可选时间"
N_INVITED = "{applicant}申请就“{type_name}”进行调解，邀请您参加，请点击查看并选择时间"
N_TIME_FIXED = "调解时间已定为{when}，请确认"
N_CONFIRMED = "调解已确认：{when}，{place}，调解员{mediator}"
N_DECLINED = "调解员因故无法主持（{reason}），中心将重新安排"
N_CANCELLED = "调解已取消：{reason}"
N_RESCHEDULE = "调解需改期（{reason}），请重新选择时间"
N_REMINDER = "调解提醒：{when}，{place}，调解员{mediator}"
N_MEDIATOR_NEW = "新的调解预约：案件{code}，{when}，请接受或婉拒"
N_MEDIATOR_REMINDER = "调解提醒：案件{code}，{when}，{place}"
REMINDER_STATUS = "调解提醒"
BOOKING_STATUS = "调解预约"
PLACE_VIDEO = "视频调解（开始前30分钟起，点开本预约链接进入调解室）"
PLACE_DEFAULT = "{organisation}"

ICS_SUMMARY = "调解：案件{code}（{type_name}）"
ICS_CALENDAR = "{name} · 调解日程"
