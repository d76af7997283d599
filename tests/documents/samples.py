"""Sample agreement data shared by the documents tests."""

from __future__ import annotations

from datetime import date
from typing import Any

from fengqiao.documents.agreement_model import AgreementData


def debt_agreement_dict(**overrides: Any) -> dict[str, Any]:
    raw: dict[str, Any] = {
        "dispute_type": "debt",
        "case_code": "FQ-2025-000123-K",
        "parties": [
            {"name": "张三", "role": "申请人", "id_number": "110101199001011234",
             "gender": "男", "address": "浙江省诸暨市枫桥镇一号", "phone": "13800001111",
             "signer_key": "person-1"},
            {"name": "李四", "role": "被申请人", "id_number": "330681198505052345",
             "gender": "女", "address": "浙江省诸暨市枫桥镇二号", "signer_key": "person-2"},
        ],
        "facts": "2024年3月，被申请人向申请人借款，至今未还。",
        "disputed_matters": "借款本金及归还期限。",
        "responsibilities": {"张三": "无", "李四": "未按约定归还借款，应承担还款责任。"},
        "obligations": [{
            "obligor": "李四", "obligee": "张三", "kind": "payment",
            "description": "借款本金", "amount": "50000", "method": "bank_transfer",
            "account": {"holder": "张三", "bank": "中国农业银行诸暨枫桥支行",
                        "number": "6228480000000000000"},
            "deadline": "2025-12-31",
            "instalments": [{"due": "2025-10-31", "amount": "20000"},
                            {"due": "2025-12-31", "amount": "30000"}],
            "default_clause": "任何一期逾期未付，申请人可就全部未付款项申请强制执行，"
                              "并按未付金额每日万分之五支付违约金。",
        }],
        "mediator": "王调解",
        "mediator_key": "mediator-9",
        "committee": "枫桥镇人民调解委员会",
        "signed_on": "2025-09-01",
        "type_details": {"loan_date": "2024年3月5日", "principal": "50,000", "voucher": "借条"},
    }
    raw.update(overrides)
    return raw


def debt_agreement(**overrides: Any) -> AgreementData:
    return AgreementData.from_dict(debt_agreement_dict(**overrides))


TODAY = date(2025, 9, 1)
