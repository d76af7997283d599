"""Every sentence the intake dialog says, in one place for review and translation."""

from __future__ import annotations

PRIVACY_NOTICE = (
    "您好，这里是{centre}矛盾纠纷在线受理。\n"
    "开始前请了解：为办理您的纠纷，我们会收集您描述的事情经过、您和对方的姓名与联系电话、"
    "涉及金额和您提供的材料，仅用于受理、分派和调解本纠纷；只有承办的中心工作人员和调解员能看到，"
    "不会公开或用于其他用途。您可随时回复“取消”停止。\n"
    "同意请回复“同意”，不同意请回复“不同意”。"
)
CONSENT_REASK = "请回复“同意”继续登记，或回复“不同意”结束。"
CONSENT_DECLINED = (
    "好的，我们不会保存您的任何信息。如需帮助，可拨打{centre}热线 {hotline}，或到中心窗口办理。"
)

ASK_DESCRIPTION = "请用几句话说说您遇到的纠纷：发生了什么事，和谁，现在怎样了。"
KEPT_DESCRIPTION = "好的。您刚才说的情况我们已记下：\n“{text}”"
DESCRIPTION_TOO_SHORT = "能再多说几句吗？比如发生了什么事、和谁有纠纷、涉及多少钱。"
DESCRIPTION_TOO_LONG = "内容有点长，请先用500字以内说明主要情况，详细材料稍后可以补充。"

PROPOSE_TYPE = "听起来这是【{type_name}】（依据：{keywords}）。\n回复 1 确认，回复 2 选择其他类型。"
CHOOSE_TYPE = "请选择最接近的纠纷类型，回复序号：\n{menu}"
CHOOSE_TYPE_LOW_CONFIDENCE = "我还不太确定您的纠纷属于哪一类，请回复序号选择：\n{menu}"
MORE_TYPES = "以上都不是"
TYPE_REASK = "请回复列表中的序号（例如 1）。"
CONFIRM_REASK = "请回复 1（确认）或 2（选择其他类型）。"

ASK_APPLICANT_NAME = "请问您怎么称呼？（姓名）"
ASK_APPLICANT_PHONE = "请留下您的手机号码，方便调解员联系您。"

INVALID = {
    "text": "没看明白，请用文字简单回答一下。",
    "phone": "这个号码好像不对，请输入11位手机号（如 13800001111）或带区号的座机号；不知道请回复“不知道”。",
    "amount": "没能识别金额，请写成数字加“元”，例如 3000元、1.2万元；不涉及金额请回复“无”。",
    "date": "没能识别时间，请写成例如 2024年3月5日、上个月、去年年底；记不清请回复“不记得”。",
    "choice": "请回复选项前的序号。",
    "applicant_phone": "这个号码好像不对，请输入您的11位手机号（如 13800001111）。",
}
UNKNOWN_ANSWER = "不清楚"
# The applicant's name goes on the case, the mediator's call and the agreement (People's
# Mediation Law art. 29): a registration cannot be anonymous, but a surname is enough.
APPLICANT_NAME_REQUIRED = (
    "登记调解需要知道怎么称呼您，方便调解员联系和制作调解文书。不想留全名的话，写姓氏加先生或女士也可以"
    "（例如：王女士）。如果不想留下任何信息，可以回复“取消”，或拨打{centre}热线 {hotline} 咨询。"
)
# Answers to "what is your name" that are not a name: refusals, "don't know", anonymity.
NOT_A_NAME = (
    "不知道", "不清楚", "不记得", "没有", "无", "忘了", "跳过", "不涉及", "不告诉你", "不告诉",
    "不说", "不想说", "不方便说", "不方便", "不想告诉你", "不愿意说", "不愿透露", "保密", "秘密",
    "匿名", "我要匿名", "我想匿名", "匿名登记", "匿名举报", "不留名", "不留姓名", "无名氏", "没名字",
    "你猜", "随便", "不用", "算了", "略", "未知", "无可奉告",
)
NAME_NOT_PHONE = "已记下电话号码。请再告诉我{who}的姓名或称呼（单位可写单位名称）。"

REVIEW_HEADER = "请核对您填写的信息：\n"
REVIEW_FOOTER = "\n信息无误请回复“提交”；要修改某一项，请回复“修改”加序号，例如“修改2”。"
REVIEW_REASK = "请回复“提交”，或回复“修改”加序号（例如“修改2”）。"
EDIT_PROMPT = "请重新填写【{label}】：\n{prompt}"

FILED = "已受理！您的纠纷已登记，案件编号：{code}\n{next_step}\n请记下案件编号，{follow_up}"
# Where the resident follows the case, by the channel they filed on (a mini-program cannot
# open an outside link, and has no official-account menu).
FOLLOW_UP = {
    "mp": "随时回复“进度”或在公众号菜单“查询进度”查看办理情况，也可打开 {progress_url} 查询。",
    "wxa": "随时在小程序“我的”页面查看办理情况和后续事项，也可在这里回复“进度”查询。",
    "": "随时回复“进度”查看办理情况，也可打开 {progress_url} 查询。",
}
# The same with the resident's own case link (cases.case_link), where their channel can open it.
FOLLOW_UP_CASE = {
    "mp": "随时回复“进度”或在公众号菜单“查询进度”查看办理情况。{case_link}",
    "": "随时回复“进度”查看办理情况。{case_link}",
}
# A party's own link to their case: progress, evidence, messages with the mediator.
CASE_LINK = "查看进度、提交证据、给调解员留言，请打开您的专属链接（{days}天内有效，请勿转发）：{url}"
# What really happens next, by risk colour (config/deadlines.toml: red the same day, yellow
# reported daily, blue handled within 30 days). The deadline is when the case must be
# handled, not a promise to call.
NEXT_STEP = {
    "red": "下一步：中心负责人已收到紧急提示，工作人员今天就会与您联系。",
    "yellow": "下一步：中心会指定专人跟进，在{deadline}前与您联系。",
    "blue": (
        "下一步：中心工作人员审核后，会把纠纷分派给调解员，调解员会按您留的电话联系您约定调解时间。"
        "本纠纷的办理时限为{deadline}。"
    ),
}
NEXT_STEP_NO_DEADLINE = "下一步：中心工作人员审核后会分派承办人员，承办人员会按您留的电话联系您。"
FILED_RED = "工作人员已收到紧急提示，会尽快与您联系。"
AFTER_FILED = (
    "您的纠纷已提交（案件编号：{code}）。回复“进度”查看办理情况，回复“新纠纷”登记另一件纠纷。"
)
SUBMIT_FAILED = "提交时遇到问题，您的信息没有丢失，请稍后回复“提交”重试。"

# The emergency numbers alone: what anyone in danger is told, whether or not anything is kept.
SELF_HARM_NUMBERS = (
    "⚠️ 您的安全最重要。如果您或身边的人有轻生的念头或已经受伤，请马上拨打 120 急救或 110 报警；"
    "心理援助热线 12356（24小时）有专业人员陪您聊。{centre}热线：{hotline}。"
)
RED_NUMBERS = (
    "⚠️ 如果您或他人正面临人身危险，请立即拨打 110 报警，需要急救请拨打 120。"
    "{centre}热线：{hotline}（24小时）。"
)
# After consent the description is on the record and the case will carry the red flag.
SELF_HARM_GUIDANCE = SELF_HARM_NUMBERS + "我们已将此事标记为紧急，工作人员会尽快联系您。"
RED_GUIDANCE = RED_NUMBERS + "我们已将此事标记为紧急，会优先处理。"
# Before consent nothing is kept and nobody is alerted: promise no call, say what agreeing does.
URGENT_BEFORE_CONSENT = (
    "您说的内容我们现在还没有保存，中心也还无法联系您。回复“同意”登记后，中心会把此事作为紧急情况跟进。"
)
# Declined or cancelled after danger was mentioned: nothing kept, so the numbers once more.
URGENT_NOT_KEPT = (
    "好的，我们不会保存您的任何信息，中心也就无法跟进联系您。遇到危险请不要等待，直接求助：\n{numbers}\n"
    "想登记时随时发消息给我。"
)

HELP = (
    "我可以帮您在线登记纠纷并申请调解。随时可以回复：\n"
    "“返回”回到上一步；“重新开始”从头填写；“取消”结束本次登记；"
    "“人工”联系工作人员；“进度”查询已登记案件。\n当前这一步：{step_hint}"
)
STEP_HINTS = {
    "start": "发送任意内容开始登记。",
    "consent": "请回复“同意”或“不同意”。",
    "describe": "请描述您遇到的纠纷。",
    "confirm_type": "请回复 1 确认纠纷类型，或 2 选择其他类型。",
    "choose_type": "请回复纠纷类型前的序号。",
    "asking": "请回答上面的问题。",
    "review": "请核对信息，回复“提交”或“修改”加序号。",
    "editing": "请填写要修改的内容。",
    "filed": "回复“进度”查看办理情况，回复“新纠纷”登记另一件纠纷。",
}
BACK_AT_START = "已经是第一步了。"
RESTARTED = "好的，我们重新开始。"
CANCELLED = "已取消本次登记，您填写的内容已清除。需要时随时发消息给我。"
HUMAN = (
    "已为您通知工作人员，请稍候，工作时间内会尽快回复。紧急情况请直接拨打{centre}热线 {hotline}。"
    "您也可以继续在这里登记。"
)
NOT_UNDERSTOOD = "抱歉，没有理解您的意思。{step_hint}回复“帮助”查看可用的操作。"

WELCOME = (
    "欢迎关注{centre}！遇到邻里、劳资、婚姻家庭、物业、消费、借贷等矛盾纠纷，"
    "可以在这里在线申请调解：直接发消息描述您的情况即可开始登记。\n"
    "已登记的案件，回复“进度”或发送案件编号即可查询办理情况。"
)
PROGRESS_NONE = (
    "您还没有登记过纠纷。直接描述您遇到的情况即可开始登记；查询他人提供的案件编号，请直接发送编号。"
)
PROGRESS_LINE = "案件编号：{code}\n类型：{type_name}\n当前状态：{status_name}\n{steps}"
PROGRESS_STEP = "· {at} {name}：{description}"
PROGRESS_NOT_FOUND = "没有找到这个案件编号，请核对后重试（编号形如 FQ2611-XXXXXX-X）。"
PROGRESS_DEADLINE = "下一办理时限：{deadline}"

VOICE_NOT_RECOGNISED = "抱歉，没能听清这段语音，请用文字发给我。"
IMAGE_RECEIVED = "已收到图片，将作为证据材料附在您的纠纷里。"
IMAGE_RECEIVED_FILED = "已收到图片，已作为证据材料附在案件 {code} 中。"
IMAGE_BEFORE_CONSENT = "请先回复“同意”隐私说明后再发送材料，图片暂未保存。"
IMAGE_REJECTED = "这个文件无法作为图片证据保存，请发送照片或截图。"
BUSY = "系统有点忙，请稍等片刻再发一次。"
TOO_FAST = "您发送得太快了，请稍等片刻再发。"

FIELD_LABELS = {
    "type": "纠纷类型",
    "description": "事情经过",
    "applicant_name": "您的称呼",
    "applicant_phone": "您的手机",
}

COMMAND_WORDS = {
    "back": ("返回", "上一步", "退回"),
    "restart": ("重新开始", "重来", "从头开始"),
    "cancel": ("取消", "不办了", "退出"),
    "human": ("人工", "转人工", "人工客服", "联系人工", "找人工"),
    "help": ("帮助", "help", "?", "？", "怎么用"),
    "progress": ("进度", "查询进度", "查进度", "案件进度"),
    "new": ("新纠纷", "再登记", "新的纠纷"),
}
YES_WORDS = ("同意", "好", "好的", "可以", "是", "是的", "确认", "1", "对", "嗯", "行")
NO_WORDS = ("不同意", "不", "不要", "否", "2", "不是", "不对")
SUBMIT_WORDS = ("提交", "确认提交", "确认", "没问题", "无误", "对")
SKIP_WORDS = ("不知道", "不清楚", "不记得", "没有", "无", "不涉及", "忘了", "跳过")
