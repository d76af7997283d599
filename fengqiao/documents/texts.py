"""Every user-facing text of the documents feature, in Simplified Chinese, in one place.

Keys are stable identifiers the API may return as error codes; values are what people read.
"""

from __future__ import annotations

# --- uploads (evidence) ------------------------------------------------------------------
UPLOAD = {
    "empty": "文件为空，请重新选择。",
    "bad_form": "上传的内容格式不正确，请重新选择文件上传。",
    "too_large": "文件过大，单个文件不能超过 {limit_mb} MB。",
    "unknown_type": "不支持的文件类型。可上传图片（JPG、PNG、GIF、WebP、HEIC）、PDF、"
    "音频（MP3、M4A、AMR、WAV、OGG）、视频（MP4、WebM、MKV）和 Office 文档。",
    "dangerous_type": "该文件疑似网页、脚本或可执行程序，出于安全考虑不能上传。",
    "damaged_image": "图片已损坏或无法识别，请重新拍摄或选择其他图片。",
    "image_too_big": "图片像素过大，请压缩后再上传。",
    "macro_document": "含宏的 Office 文档不能上传，请另存为普通文档后再上传。",
    "unnamed": "未命名文件",
}

# --- file kinds shown next to an uploaded file ---------------------------------------------
KIND_NAMES = {
    "image": "图片",
    "pdf": "PDF 文档",
    "audio": "录音",
    "video": "视频",
    "office": "办公文档",
}

# --- agreement ---------------------------------------------------------------------------
AGREEMENT = {
    "title": "人民调解协议书",
    "invalid": "调解协议内容不完整，不能生成协议书：",
    "unknown_dispute_type": "未知的纠纷类型“{value}”。",
    "too_few_parties": "调解协议至少需要两方当事人。",
    "party_name": "第 {n} 方当事人缺少姓名或名称。",
    "party_name_text": "当事人“{name}”不像姓名或单位全称，请在案件页的当事人信息中改为姓名（单位写全称），"
    "身份说明写在事实部分。",
    "party_id": "当事人“{name}”缺少身份证件号码（单位为统一社会信用代码）。",
    "party_address": "当事人“{name}”缺少住所地址。",
    "party_org_rep": "单位当事人“{name}”缺少法定代表人或负责人。",
    "party_duplicate": "当事人“{name}”重复出现。",
    "facts": "请写明纠纷事实。",
    "matters": "请写明争议事项。",
    "responsibility": "请写明当事人“{name}”应承担的责任（无责任的请写“无”）。",
    "no_obligations": "请至少约定一项具体义务。",
    "obligor": "第 {n} 项义务的履行人“{name}”不是本协议的当事人。",
    "obligee": "第 {n} 项义务的权利人“{name}”不是本协议的当事人。",
    "same_party": "第 {n} 项义务的履行人和权利人不能是同一人。",
    "description": "第 {n} 项义务缺少具体内容。",
    "amount": "第 {n} 项付款义务缺少具体金额，或金额不大于零。",
    "method": "第 {n} 项付款义务请选择支付方式：银行转账、现金、微信转账或支付宝转账。",
    "account": "第 {n} 项付款义务为转账支付，请写明收款人户名、开户银行和账号。",
    "deadline": "第 {n} 项义务缺少履行期限（具体日期）。",
    "deadline_past": "第 {n} 项义务的履行期限早于协议日期。",
    "instalment_sum": "第 {n} 项义务的分期金额合计（{total} 元）与总金额（{amount} 元）不一致。",
    "instalment_order": "第 {n} 项义务的分期日期应按先后顺序排列，且不晚于最终履行期限。",
    "instalment_amount": "第 {n} 项义务的第 {k} 期缺少金额或日期。",
    "default_clause": "第 {n} 项义务缺少违约责任（逾期或不履行时如何处理）。",
    "mediator": "请填写调解员姓名。",
    "committee": "请填写调解组织名称。",
    "signed_date": "请填写协议日期。",
    "font_missing": "找不到可嵌入的中文字体。请安装 fonts-noto-cjk（或 fonts-wqy-zenhei），"
    "或用 FENGQIAO_CJK_FONT 指定字体文件路径。",
    "verify_hint": "扫码核验本文书真伪",
    "page": "第 {page} 页 / 共 {pages} 页",
    "doc_code": "文书编号：{code}",
    "sign_party": "{role}（签名）：{name}",
    "sign_mediator": "调解员（签名）：{name}",
    "sign_seal": "{committee}（盖章）",
    "sign_date": "日期：",
}

# --- signing -----------------------------------------------------------------------------
SIGNING = {
    "unknown_field": "文书中没有“{field}”签名位置。",
    "already_signed": "您已经签署过本文书，不能重复签署。",
    "field_taken": "该签名位置已经签署。",
    "out_of_order": "还未轮到该签名位置签署，请等待“{expected}”先签署。",
    "all_done": "本文书已全部签署完毕。",
    "wrong_signer": "您不是该签名位置指定的签署人，不能代替他人签署。",
    "order_mismatch": "文书中已有的签名与预定的签署顺序不一致，已停止签署。",
    "bad_image": "签名图片无法识别，请重新手写签名。",
    "blank_signature": "没有检测到手写签名，请在签名框内用手指写下您的姓名后再提交。",
    "pkcs12": "无法读取签章证书文件，请检查路径和口令。",
}

# --- verification ------------------------------------------------------------------------
VERIFY = {
    "ok": "文书完整，全部 {n} 个签名有效，签署后未被修改。",
    "no_signatures": "文书中没有电子签名。",
    "not_pdf": "无法读取该文件，它不是有效的 PDF 文书。",
    "broken": "签名“{field}”对应的内容已被篡改。",
    "untrusted": "签名“{field}”的证书不是由本平台签发的，不可信。",
    "invalid": "签名“{field}”无效。",
    "modified_after": "最后一个签名之后，文书又被修改过。",
    "bad_timestamp": "文书末尾的时间戳无效或不可信。",
    "label_party": "第 {n} 方当事人签名",
    "label_mediator": "调解员签名",
    "label_seal": "调解组织印章",
    "label_other": "签名",
    "final": "这是平台存档的最终版本：{m} 个签名齐全，已加盖调解组织印章。",
    "not_final": "这不是最终版本：{m} 个签名中只有 {n} 个，尚未盖章。请以平台存档的最终版本为准。",
    "not_final_signing": "文书尚在签署中：{m} 个签名中已有 {n} 个，尚未盖章，还不是最终版本。",
    "differs_from_final": "该文件与平台存档的最终版本不一致，请以平台存档为准。",
    "not_archived": "平台存档中没有找到这份文件，无法确认它是否为最终版本。",
    "disallowed_change": "签名“{field}”之后出现了不允许的修改。",
    "coverage_whole": "覆盖整份文书",
    "coverage_revision": "覆盖签署时的文书版本（其后仅追加签名）",
    "coverage_partial": "未覆盖整份文书",
}

# --- certificates (audit trail and service of documents) --------------------------------
CERTIFICATES = {
    "audit_title": "电子签署存证报告",
    "audit_intro": "本报告记录文书“{title}”（编号 {code}）自发送至签署完成的全部过程。",
    "service_title": "电子送达证明",
    "service_intro": "本证明记录文书“{title}”（编号 {code}）的电子送达情况。",
    "col_time": "时间",
    "col_event": "事件",
    "col_actor": "操作人",
    "col_ip": "IP 地址",
    "col_ua": "终端",
    "col_hash": "文书摘要（SHA-256）",
    "col_recipient": "受送达人",
    "col_address": "送达地址",
    "col_sent": "发送时间",
    "col_status": "送达状态",
    "col_read": "阅读时间",
    "col_sent_at": "发送时间",
    "col_delivered_at": "到达时间",
    "col_read_at": "打开时间",
    "col_downloaded_at": "下载时间",
    "col_acknowledged_at": "签收时间",
    "col_failure": "失败原因",
    "col_wording": "确认书内容",
    "col_wording_hash": "确认书内容摘要（SHA-256）",
    "consents": "一、送达地址确认",
    "attempts": "二、送达记录（每次送达单独记录，不作修改）",
    "no_consent": "受送达人未确认电子送达地址。",
    "attempt_no": "第 {n} 次送达",
    "note_reminded_at": "未查看，已于 {time} 提醒查收。",
    "note_paper_task_at": "逾期未查看，已于 {time} 转为纸质送达，由中心工作人员办理。",
    "note_paper_requested_at": "受送达人于 {time} 申请纸质文书。",
    "platform_reason": "平台出具并签章",
    "col_method": "身份核验方式",
    "col_operator": "用印人",
    "col_text_hash": "所阅读协议文本摘要（SHA-256）",

    "generated_at": "生成时间：{time}",
    "none": "无",
}

IDENTITY_METHODS = {
    "wechat_link+sms": "微信专属链接 + 短信验证码",
    "console_login+sms": "工作台账号登录 + 短信验证码",
}

EVENT_NAMES = {
    "sent": "发送文书",
    "opened": "打开文书",
    "identity_confirmed": "身份核验通过",
    "otp_verified": "短信验证码核验通过",
    "signed": "签名",
    "sealed": "加盖电子印章",
    "delivered": "送达",
    "read": "阅读",
    "issued": "生成待签署文书",
    "downloaded": "下载文书",
    "paper_requested": "申请纸质文书",
    "delivery_failed": "送达失败",
    "acknowledged": "受送达人签收",
    "reminded": "提醒查收",
    "paper_task": "转为纸质送达",
    "judicial_reminder": "提醒司法确认申请期限",
}

DELIVERY_STATUS = {
    "sent": "已发送",
    "delivered": "已送达",
    "read": "已阅读",
    "failed": "送达失败",
    "refused": "拒收",
    "acknowledged": "已签收",
}

PACKAGE = {
    "readme": "司法确认申请材料：调解协议书、当事人身份信息、调解记录。"
    "各文件的 SHA-256 见 manifest.json。",
    "parties_title": "当事人身份信息",
    "record_title": "调解记录",
}

# --- judicial confirmation package --------------------------------------------------------
JUDICIAL = {
    "application_title": "司法确认申请书",
    "applicant": "申请人{n}：{name}（{role}），身份证件号码：{id_number}，住所：{address}，"
    "联系电话：{phone}",
    "request_head": "请求事项",
    "request": "请求人民法院确认申请人于 {date} 经{committee}调解达成的《{title}》"
    "（文书编号 {code}）有效。",
    "facts_head": "事实和理由",
    "facts": "申请人之间的纠纷经{committee}调解，于 {date} 达成调解协议，协议约定：{obligations}"
    "该协议已由各方当事人和调解员电子签名并加盖调解组织电子印章，自 {date} 起生效。"
    "根据《中华人民共和国人民调解法》第三十三条和《中华人民共和国民事诉讼法》第二百零五条，"
    "申请人共同申请司法确认。",
    "promise": "申请人承诺：出于解决纠纷的目的自愿达成协议，没有恶意串通、规避法律的行为；"
    "如因虚假调解损害他人合法权益的，愿承担相应的法律责任。",
    "court": "此致\n____________人民法院",
    "sign_line": "申请人（签名）：____________（{name}）",
    "date_line": "日期：______年____月____日",
    "attachments": "附：调解协议书、当事人身份证明、证据材料、调解笔录、送达证明、电子签署存证报告、"
    "平台根证书（用于核验电子签名）及文件清单（manifest.pdf，平台电子签章）。",
    "record_title": "调解笔录",
    "record_case": "案件编号：{code}　纠纷类型：{type}　受理时间：{filed}",
    "record_org": "调解组织：{committee}　调解员：{mediator}",
    "record_dispute": "一、纠纷情况",
    "record_sessions": "二、调解经过",
    "record_session": "调解时间：{time}　方式：{mode}　地点：{place}",
    "record_notes": "调解员记录：{notes}",
    "record_evidence": "三、举证与质证",
    "record_comment": "{by}的质证意见（{time}）：{text}",
    "record_said": "四、调解中的发言（文字记录）",
    "record_outcome": "五、调解结果",
    "record_timeline": "六、办理过程",
    "outcome_agreed": "双方自愿达成调解协议（文书编号 {code}），已于 {date} 签署盖章生效。"
    "司法确认申请期限至 {deadline}。",
    "reminder_title": "司法确认申请期限提醒",
    "reminder_text": "案件 {case} 的《{title}》已生效。如需申请司法确认，双方当事人应于 {deadline} "
    "前共同向人民法院提出申请（还剩 {left} 天）。材料包可向调解员索取。",
    "manifest_title": "司法确认材料清单",
    "manifest_intro": "本清单列出材料包中每个文件的 SHA-256 摘要，生成于 {time}（UTC），"
    "由平台电子签章。任何文件被改动，其摘要即与本清单不符。",
    "recording_note": "录音录像文件 {name} 大小 {mb} MB，超过随附上限，未放入材料包。"
    "SHA-256：{sha256}。法院可向调解组织调取原件，并用该摘要核对。",
    "readme": "司法确认申请材料：\n"
    "  application.pdf 司法确认申请书（请双方当事人签名后提交）\n"
    "  agreement.pdf 调解协议书（电子签名和电子印章，PAdES B-LTA）\n"
    "  parties.json 当事人身份信息\n  evidence/ 证据材料原件\n"
    "  recordings/ 调解录音录像（或其摘要与调取说明）\n  consents.json 送达地址确认记录\n"
    "  mediation_record.pdf 调解笔录\n  service_certificate.pdf 电子送达证明\n"
    "  audit_certificate.pdf 电子签署存证报告\n  root-ca.pem 平台根证书（核验电子签名的信任根）\n"
    "  manifest.json / manifest.pdf 文件清单与 SHA-256 摘要（manifest.pdf 由平台电子签章）\n",
}

AUDIT_ACTION_NAMES = {
    "case.filed": "登记受理", "case.route": "分流", "case.handle": "受理办理",
    "case.assign": "指定承办人", "case.close": "办结反馈", "file.added": "提交材料",
    "evidence.uploaded": "提交证据", "evidence.commented": "发表质证意见",
    "agreement.drafted": "起草调解协议", "agreement.edited": "修改调解协议",
    "agreement.issued": "发出调解协议待签署", "agreement.opened": "阅读协议全文",
    "agreement.signed": "签名", "agreement.sealed": "加盖调解组织印章",
    "delivery.consented": "确认电子送达地址", "delivery.sent": "电子送达",
    "delivery.read": "查看送达文书", "delivery.downloaded": "下载送达文书",
    "delivery.acknowledged": "签收", "delivery.reminded": "提醒查收",
    "delivery.paper_task": "转为纸质送达", "judicial.package": "生成司法确认材料",
    "judicial.reminded": "提醒司法确认申请期限",
}

# --- one-time codes ------------------------------------------------------------------------
OTP = {
    "sms": "【枫桥调解】您的验证码是 {code}，{minutes} 分钟内有效。请勿告诉他人。",
    "wrong": "验证码不正确，还可以再试 {left} 次。",
    "expired": "验证码已过期或已使用，请重新获取。",
    "too_many": "验证码错误次数过多，请重新获取。",
    "too_soon": "验证码发送过于频繁，请 {seconds} 秒后再试。",
    "bad_phone": "手机号码格式不正确。",
    "rate_limited": "验证码发送次数已达上限，请 {minutes} 分钟后再试。",
    "not_sent": "验证码短信发送失败，请稍后再试或联系调解员。",
}

# --- access to a case's evidence and documents --------------------------------------------
ACCESS = {
    "bad_token": "链接无效，请使用微信中收到的最新链接打开。",
    "expired": "链接已过期，请联系调解员重新发送。",
    "no_access": "请通过微信中收到的链接打开本页面。",
    "other_case": "您无权查看其他案件的材料。",
    "wrong_purpose": "该链接不能用于此操作，请使用对应的链接。",
    "staff_only": "仅限调解员或中心工作人员操作，请先登录。",
    "not_party": "您不是本案当事人。",
}

# --- evidence, agreements, signing and delivery as services ---------------------------------
DOCS = {
    "case_not_found": "案件编号不存在或有误，请核对后重试。",
    "evidence_not_found": "证据不存在。",
    "image_unreadable": "这张图片无法去除拍摄位置等信息，暂不能向您展示，请联系调解员查看。",
    "document_not_found": "文书不存在或编号有误，请核对后重试。",
    "bad_visibility": "可见范围只能是“各方当事人”或“仅调解员”。",
    "comment_empty": "质证意见不能为空，且不超过 2000 字。",
    "comment_own": "不能对自己提交的证据发表质证意见。",
    "not_draft": "协议书已发出签署，不能再修改。",
    "not_signing": "本文书当前不在签署阶段。",
    "not_sealed": "协议书尚未签署盖章完毕，不能送达。",
    "unlinked_party": "当事人“{name}”未关联到本案当事人，无法发送签署链接。",
    "no_slot": "您不是本文书的签署人。",
    "wrong_signer": "您不是该签名位置指定的签署人，不能代替他人签署。",
    "not_your_turn": "还未轮到您签署，请等待“{expected}”先签署。",
    "already_signed": "您已经签署过本文书，不能重复签署。",
    "no_phone": "未登记您的手机号，无法发送验证码，请联系调解员。",
    "no_phone_staff": "调解员签名和加盖印章须短信验证，但系统中没有您的手机号。"
    "请在调解员资料中登记手机号后再试。",
    "signature_missing": "请先手写签名。",
    "not_opened": "请先打开并阅读协议全文，再签名。",
    "privacy_notice": "个人信息保护提示：为核验您的身份并留存签署证据，本平台将处理您的姓名、"
    "身份证号、手机号、签署时间、IP 地址和设备信息。身份证号在电子签名证书中只以部分遮盖"
    "和加密摘要的形式出现；上述信息仅用于本案调解、送达和司法确认，依法保存，不会向无关方提供。"
    "您可以向调解员查询、更正您的个人信息。",
    "file_changed": "文书存档与记录不一致，已停止签署，请联系调解员。",
    "busy": "有人正在签署，请稍后再试。",
    "delivering": "这份文书正在送达中，请勿重复提交，稍后刷新查看送达结果。",
    "trust_service_down": "时间戳或证书状态服务暂时无法连接，本次签署未生效，请稍后重试。",
    "sign_title": "请签署《人民调解协议书》",
    "sign_text": "案件 {case} 的调解协议书已生成，请点击链接核对内容并签名。",
    "deliver_title": "《{title}》电子送达",
    "deliver_text": "案件 {case} 的文书已送达，请点击链接查看和下载。",
    "no_consent": "当事人尚未确认电子送达地址。",
    "consent_text": "本人同意人民调解组织通过本人的微信（即打开本页面的微信账号）向本人电子送达"
    "本案调解协议书、送达证明等文书，文书到达该微信账号即视为送达；本人可以随时申请纸质文书。",
    "consent_text_sms": "本人同意人民调解组织通过短信（发送至本人签名时验证过的手机号 {phone}）向本人"
    "电子送达本案调解协议书、送达证明等文书，短信到达该手机号即视为送达；本人可以随时申请纸质文书。",
    "no_address": "还没有可用于电子送达的地址：请先在本页完成签名（签名时会验证您的手机号），"
    "或通过公众号、小程序中的链接操作。",
    "not_in_wechat": "您是在微信以外打开的链接，无法确认由您本人的微信接收文书。请在微信中打开中心发给您的"
    "链接后再确认电子送达，或先在签署页面完成签名（签名时会验证您的手机号），即可确认以短信送达。",
    "consent_changed": "送达方式已经变化，请刷新页面，阅读新的确认内容后再同意。",
    "send_failed": "消息未能发出，请稍后重新送达，或改用其他方式送达。",
    "no_wechat": "未找到您的微信身份，请通过公众号或小程序中的链接操作。",
    "paper_address": "请填写纸质文书的邮寄地址（不超过 200 字）。",
    "no_delivery": "本文书没有送达给您。",
    "remind_title": "《{title}》尚未查收",
    "remind_text": "案件 {case} 的文书已于数日前电子送达给您，请点击链接查看、下载并签收。",
    "paper_dept": "纸质送达",
    "paper_task": "{name} 未在期限内查看电子送达的《{title}》（{code}），请改为邮寄或直接送达纸质文书。",
    "too_many_codes": "验证码发送过于频繁，请稍后再试。",
    "record_title": "调解记录",
    "record_case": "案件编号：{code}  纠纷类型：{type}  受理时间：{filed}",
    "record_description": "纠纷情况：{text}",
    "record_evidence": "证据材料：",
    "record_events": "办理过程：",
    "code_matches": "该文件与平台存档的最终版本一致。",
    "code_differs": "该文件与平台存档的版本不一致，请以平台存档为准。",
}
