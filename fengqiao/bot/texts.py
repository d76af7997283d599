"""What the WeChat edges say to residents themselves (the dialog's own texts live in dialogs/)."""

from __future__ import annotations

# Shown when the dialog gives no welcome of its own for a new follower.
WELCOME = (
    "您好，欢迎关注{centre}！\n"
    "在这里您可以：\n"
    "1. 点击菜单“我要调解”，在线申请调解纠纷；\n"
    "2. 点击“查询进度”，输入案件编号查看办理进度；\n"
    "3. 点击“联系人工”，转接中心工作人员。\n"
    "也可以直接发文字告诉我们您遇到的问题。紧急情况请拨打 {hotline}。"
)

VOICE_NOT_RECOGNISED = (
    "抱歉，这条语音没能识别成文字。麻烦您用文字再说一遍，我们好准确记录您的情况。"
)

UNSUPPORTED_MESSAGE = (
    "抱歉，暂时只能处理文字、语音和图片消息。请用文字描述您的情况，或发送照片作为证据。"
)

IMAGE_FAILED = "抱歉，图片没有接收成功，请稍后重新发送一次。"

UNKNOWN_MENU = "抱歉，这个菜单暂时不可用。您可以直接发文字告诉我们您遇到的问题。"

RATE_LIMITED = "您发送消息太频繁了，请稍等一分钟再发。我们会认真处理您的每一条消息。"

BUSY = "抱歉，系统暂时繁忙，请稍后再发一次。如情况紧急，请拨打 {hotline}。"

# API errors (mini-program).
LOGIN_REQUIRED = "请先登录小程序"
LOGIN_EXPIRED = "登录已过期，请重新进入小程序"
LOGIN_CODE_INVALID = "登录凭证无效或已过期，请重新进入小程序"
WECHAT_UNAVAILABLE = "微信服务暂时不可用，请稍后再试"
TOO_MANY_REQUESTS = "请求太频繁，请稍后再试"
TEXT_REQUIRED = "请输入要发送的文字"
TEXT_TOO_LONG = "文字太长了，请分几条发送（每条不超过 {limit} 字）"
BAD_JSON = "请求内容不是有效的 JSON"
BAD_CHARACTERS = "请求内容含有无效的字符，请检查后重新发送"
