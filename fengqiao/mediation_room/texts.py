"""Every user-facing text of the mediation room (server side), in one place for review.

The room page's own texts (camera errors, buttons) live in fengqiao/web/static/room/texts.js.
"""

import hashlib

from fengqiao.mediation_room.tokens import Role

ROLE_LABELS: dict[Role, str] = {
    Role.MEDIATOR: "调解员",
    Role.PARTY_A: "申请人",
    Role.PARTY_B: "被申请人",
    Role.AGENT_A: "申请人代理人",
    Role.AGENT_B: "被申请人代理人",
    Role.INTERPRETER: "翻译",
    Role.OBSERVER: "旁听人员",
}

RECORDING_NOTICE = (
    "录音录像告知：本次调解将全程录音录像，录像作为调解记录保存在案件中，"
    "仅供有权限的工作人员查看，并可在双方同意时代替书面笔录。"
    "点击“同意并进入”即表示您已知悉并同意录音录像；如不同意，您将无法参加本次录像调解，"
    "可联系调解员改用其他方式。"
)
RECORDING_NOTICE_SHA256 = hashlib.sha256(RECORDING_NOTICE.encode("utf-8")).hexdigest()

# Error codes (stable, for the page) -> message shown to the participant.
ERRORS: dict[str, str] = {
    "malformed": "链接无效，请使用调解员发送的完整链接。",
    "bad_signature": "链接无效，请使用调解员发送的完整链接。",
    "wrong_room": "该链接不属于此调解室。",
    "too_early": "调解尚未开始，请在预约时间前30分钟内进入。",
    "expired": "该链接已过期。",
    "no_room": "调解室不存在。",
    "room_ended": "本次调解已结束。",
    "room_expired": "调解室已过期，请联系调解员重新预约。",
    "in_use": "该链接正在另一台设备上使用，同一链接不能同时在两台设备上进入。",
    "removed": "您已被调解员移出本次调解。",
    "consent_refused": "您未同意录音录像，无法参加本次录像调解。",
    "protocol": "连接出错，请刷新页面重试。",
    "not_in_room": "您当前不在调解室中。",
    "evidence_rejected": "文件未能上传：仅支持照片（JPEG/PNG）和 PDF，且不超过20MB。",
    "forbidden": "您无权进行此操作。",
}

CONSENT_REFUSED_REASON = "拒绝录音录像告知，未能进入"
MUTE_REQUEST = "调解员请您暂时关闭麦克风。"
CAUCUS_STARTED_OTHER_SIDE = (
    "调解员正在与对方单独沟通（背靠背调解），请稍候。您可以在下方给调解员发私信，对方看不到。"
)
CAUCUS_STARTED_WITH_YOU = "调解员正在与您单独沟通，对方看不到也听不到。"
CAUCUS_ENDED = "背靠背调解结束，双方恢复同场。"
WAITING = "请稍候，调解员将很快让您进入调解室。"
ENDED = "本次调解已结束，感谢您的参与。"
SENT_TO_WAITING = "调解员请您暂时回到等候室，稍后会再请您进入。"
REMOVED_WAIT = "您已被调解员移出本次调解。如调解员允许，您将自动回到调解室。"
READMITTED = "调解员已允许您重新进入调解室。"
PRIVATE_TO_MEDIATOR = "私信给调解员"
MANIFEST_TITLE = "录像清单（各文件的时间轴与 SHA-256 校验值）"

# Why a session ended, as the case's audit log and the manifest show it.
END_REASONS: dict[str, str] = {
    "ended_by_mediator": "调解员结束了本次调解",
    "abandoned": "所有人离开已超过15分钟，系统自动结束",
    "past_window": "已超过预约时间，所有人均已离开，系统自动结束",
    "server_shutdown": "服务重启，本段录像已保存，可重新进入",
}
# Reasons for the other audit events of a session.
EVENT_REASONS: dict[str, str] = {
    "removed": "调解员将其移出调解室",
    "readmitted": "调解员允许其重新进入",
    "sent_to_waiting": "调解员请其暂回等候室",
    "consent_refused": CONSENT_REFUSED_REASON,
}


def duration(ms: int) -> str:
    """1分21秒, 42秒, 1小时2分."""
    seconds = max(ms, 0) // 1000
    hours, rest = divmod(seconds, 3600)
    minutes, secs = divmod(rest, 60)
    if hours:
        return f"{hours}小时{minutes}分"
    return f"{minutes}分{secs}秒" if minutes else f"{secs}秒"


# The case's audit log shows a session's events under these names (the console merges them).
AUDIT_ACTIONS: dict[str, str] = {
    "room.created": "创建视频调解室",
    "room.status": "视频调解室状态变化",
    "room.joined": "进入调解室",
    "room.left": "离开调解室",
    "room.consent_accepted": "同意录音录像",
    "room.consent_refused": "拒绝录音录像",
    "room.admitted": "准入调解室",
    "room.removed": "移出调解室",
    "room.readmitted": "允许重新进入",
    "room.sent_to_waiting": "请回等候室",
    "room.mute_requested": "请其静音",
    "room.caucus_start": "开始背靠背调解",
    "room.caucus_end": "结束背靠背调解",
    "room.evidence_shown": "调解中出示证据",
    "room.session_end": "结束视频调解",
    "room.recording": "保存调解录像",
}
