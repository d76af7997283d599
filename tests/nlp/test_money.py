from __future__ import annotations

import pytest

from fengqiao.nlp.money import cn_to_number, find_amounts


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("对方借了我14万", [140000]),
        ("欠我十四万元", [140000]),
        ("押金1.2万元不退", [12000]),
        ("工资两千五一个月", [2500]),
        ("还差3000块没给", [3000]),
        ("共计¥3,000", [3000]),
        ("借了三万五千块", [35000]),
        ("借了三万五", [35000]),
        ("彩礼1万5千", [15000]),
        ("欠款一万二千五", [12500]),
        ("要价2.5w", [25000]),
        ("月薪8k", [8000]),
        ("赔了五块钱", [5]),
        ("人民币叁仟元整", [3000]),
        ("花了2万多", [20000]),
        ("彩礼二十来万", [200000]),
        ("十万余元", [100000]),
        ("RMB3000", [3000]),
        ("花了不少钱，打疫苗1100", [1100]),
        ("每人五百，一共三千", [500, 3000]),
        ("３０００元", [3000]),  # full-width digits
        ("工程款一百二十八万", [1280000]),
        ("借了12万8", [128000]),
        # Prices as they are said at a market stall or a shop counter.
        ("鸡蛋一斤五块六", [5.6]),
        ("橘子3块5一斤卖给他的", [3.5]),
        ("物业费1.5元一平", [1.5]),  # 一平 is per square metre, not dimes
        ("一台手机标价两万三五", [23500]),  # 两万三千五百
        ("装空调一次三百五", [350]),
        ("老板只给四千六", [4600]),
        ("换个屏幕要九百", [900]),
        ("讲好一千八全包的", [1800]),
        ("说好两千三包工包料", [2300]),
    ],
)
def test_amount_forms(text: str, expected: list[float]) -> None:
    assert find_amounts(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        "",
        "我今年35岁，住了3天医院",
        "2023年5月借的",
        "他手机13812345678",
        "身份证110101199003074514",
        "两个人吵架，一直没解决",
        "好几万块",
        "几十万",  # no digit said
        "三四千",  # a range is not one amount
        "分3期付款",
        "302室的住户欠钱",
        "百分之三十的责任",
        "三万多人",
        "两万多平方米的地",
        "5kg的东西",
        "A3000型号的机器",
        "三块地",
        "😀😀💰💰",
        "万一他不还",
        "说好三天完工",
        "他要两个人来帮忙",
        "每天给我打五个电话",
    ],
)
def test_not_amounts(text: str) -> None:
    assert find_amounts(text) == []


def test_amounts_keep_order_and_drop_repeats() -> None:
    assert find_amounts("先借了5000元，又借了3000元，加上之前的5000元") == [5000, 3000]


def test_decimal_yuan() -> None:
    assert find_amounts("退了12.5元") == [12.5]


def test_long_text_is_handled() -> None:
    text = "欠我3000块。" + "邻居吵闹。" * 2000
    assert find_amounts(text) == [3000]


@pytest.mark.parametrize(
    ("token", "value"),
    [("十", 10), ("十五", 15), ("二十", 20), ("一百零八", 108), ("两千五", 2500),
     ("一亿二千万", 120_000_000), ("1.2万", 12000), ("千", None), ("三四千", None),
     ("一万九八", 19800), ("三万二五", 32500), ("一万七八", None), ("一万九八千", None)],
)
def test_cn_to_number(token: str, value: float | None) -> None:
    assert cn_to_number(token) == value


@pytest.mark.parametrize(
    "text",
    ["我打了12345投诉", "打110报警了", "打了120", "打12315也没人管", "拨打12348法律援助",
     "打过12356心理热线", "他电话159-1234-5678", "他手机 +86 159 1234 5678",
     "身份证号110101199003071234", "卡号6222 0212 3456 7890 123", "3", "欠我3"],
)
def test_service_phone_id_and_card_numbers_are_never_amounts(text: str) -> None:
    assert find_amounts(text) == []


def test_an_amount_next_to_a_phone_number_is_still_found() -> None:
    assert find_amounts("他电话159-1234-5678，欠我3000块") == [3000]
    assert find_amounts("我打了12345投诉，他还欠我两万") == [20000]
    assert find_amounts("他欠我12345元") == [12345]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("老板娘说再闹就找人收拾我们，欠了两个月工资", []),  # 收拾: 拾 is no written ten
        ("儿媳妇不让我做饭，还骂我，我七十三了", []),  # an age
        ("双十一买的洗衣机1288，是翻新机", [1288]),  # a shopping festival
        ("定金给了三千，他说腊月二十八来", [3000]),  # a lunar date
        ("他开车撞过来，车牌后面是578", []),  # a label
        ("补课收费2800一个学生", [2800]),  # the digits before 一个
        ("理发店剪一次头扣我120", [120]),  # a verb of docking with its object
        ("老公赌钱输了十几万", [100000]),  # at least the tens said: read as its lower bound
        ("拆迁一户才给二十来万，隔壁给到三十几万", [200000, 300000]),
        ("民事赔偿十二万一直没给", [120000]),  # the 一 of 一直 is no digit
        ("房租八百一个月，押一付三", [800]),
        ("工资两千一", [2100]),
        ("那个那个老板欠我三万六 家里娃要上学", [36000]),  # a pause, not a unit (家)
        ("医院还欠着五万多天天催", [50000]),  # 天天 is every day, not days
        ("我娘七十九 临洮 我在路上", []),  # an elder's age
        ("和平小区6栋302，欠了房租八千", [8000]),  # a room number
        ("996干了一年，工资拖了三个月", []),  # a work schedule
        ("大家商量下礼拜一块去县里要钱", []),  # 一块去: together
        ("满三百减两百，结果商家不发货", [300, 200]),
        ("合作社让我们入股每家五千，说年底分红", [5000]),  # per household
        ("健身房交了五千年卡，只退一千", [5000, 1000]),  # 年卡 is a card, not years
        ("说好结4500，到手只给了2000", [4500, 2000]),
    ],
)
def test_words_that_look_like_numbers_and_numbers_said_with_context(text, expected) -> None:
    assert find_amounts(text) == expected
