"""Money amounts in resident text, converted to yuan.

Handles Arabic and Chinese numerals and their mixtures: 14万, 十四万元, 1.2万元, 两千五, 3000块,
¥3,000, 三万五千, 1万5, 2.5w, 3k, and prices as they are said: 三块二 (3.2), 一万九八 (19,800).
A number counts as money when a currency word touches it (元, 块, ¥, 人民币), when the clause
around it talks about money (借, 欠, 工资, 赔, 花了 ...), or when a verb of paying or asking
or a price per unit stands right before it (修要八百, 只给六千八, 一节课一百二); and no other
unit follows it (天, 个, 人, 年, 月, 米 ...).
"""

from __future__ import annotations

import re

_CN_DIGITS = {
    "零": 0, "〇": 0, "一": 1, "壹": 1, "二": 2, "两": 2, "贰": 2, "三": 3, "叁": 3,
    "四": 4, "肆": 4, "五": 5, "伍": 5, "六": 6, "陆": 6, "七": 7, "柒": 7, "八": 8, "捌": 8,
    "九": 9, "玖": 9,
}
_SMALL_UNITS = {"十": 10, "拾": 10, "百": 100, "佰": 100, "千": 1000, "仟": 1000}
_BIG_UNITS = {"万": 10_000, "亿": 100_000_000}
_NUM_CHARS = "".join(_CN_DIGITS) + "".join(_SMALL_UNITS) + "".join(_BIG_UNITS)

# One candidate number: Arabic groups (3,000 / 1.2) and Chinese numeral characters, mixed.
_CANDIDATE = re.compile(
    rf"(?:\d{{1,3}}(?:,\d{{3}})+(?:\.\d+)?|\d+(?:\.\d+)?|[{_NUM_CHARS}])"
    rf"(?:\d+(?:\.\d+)?|[{_NUM_CHARS}])*"
    r"(?:[wWkK](?![A-Za-z]))?"
)
_CURRENCY_AFTER = re.compile(
    r"^\s*(?:多|余|来)?\s*(?:元|块(?![地田砖石板木布肉糖玉表去走来种喝干住吃玩过商上找儿堆跑坐睡做出回办长学打凑])"
    r"|圆|rmb|RMB|人民币|大洋)"
)
_CURRENCY_BEFORE = re.compile(r"(?:¥|\$|rmb|RMB|人民币|金额|现金)[:：\s]*$")
_APPROX_AFTER = re.compile(r"^(?:多|余|来|左右|上下|出头)")
# Units that make the number something other than money.
_OTHER_UNIT_AFTER = re.compile(
    r"^\s*(?:多|余|来)?\s*(?:个|人|名|位|天(?!天)|日|号|年(?!卡|费|薪|终)|月(?!卡)|周|岁|次|趟|遍|回|小时|分钟|分|秒|点|层|楼|"
    r"户|家|间|套|辆|台|只(?!给|能|有|是|要|退|赔|好|剩|收|肯|说|修|换)|头|条|匹|棵|亩|米|公里|里|平|方|斤|"
    r"公斤|克|吨|kg|KG|km|%|％|倍|级|栋|圈|单(?!价)|对(?![方面我他她你不])|会员|骑手|工人|工友|村民|"
    r"老人|学生|员工|业主|家长|司机|"
    r"座|张|本|件|份|期|集|度|成|公分|厘米|cm|个月|组|队|班|届|辈|代|口|顿|下|针|瓶|箱|袋|粒|颗|"
    r"包(?!工|料|吃|住|干|清|活|修|装)|"
    r"块地|块田|块砖|室|单元|幢|弄|巷|路|床|房间|届|年级|分钟)"
)
_MONEY_CUE = re.compile(
    r"钱|费|款|资|薪|价|赔|借|欠|还|付|交|收|花|补偿|补贴|押金|彩礼|定金|订金|租|罚|扣|退|报销|损失|"
    r"利息|本金|贷|转账|转了|提成|奖金|共计|总共|一共|合计|金额|值|买|卖|亏|投资|存|要了|给了|"
    r"给我|给他|每月|每个月|一个月|每年|一年|每天|一天|每亩|一亩|每平|月入|收入|挣|赚|骗|拿|领|发|充|"
    r"首付|月供|尾款|余额|差|涨|降|多收|少给|分红|补助|奖励|开价|报价|估价|评估|标准|块|元|贵|便宜|"
    r"每人|一人|每户|一户|出|包工|包料|套餐|会员|挂号|年卡|月卡|学费|输了|输掉|结账|结算|"
    r"的手机|的电脑|的耳机|的手表|的项链|的首饰"
)
# Said right before the number, these make it a price or a sum: 修要八百, 只给六千八, and a
# price per unit, 一节课一百二, 每斤三块二.
_MONEY_JUST_BEFORE = re.compile(
    r"(?:要|给|加|补|开|收|卖|赔|出|值|花|付|交|退|扣|结|罚|刷|满|减)(?:我|他|她|你|我们|了)?$"
    r"|(?:说好|讲好|谈好)$"
    r"|(?:一|每)(?:[节斤个次天晚月年件份桌台亩张本瓶箱盒吨方顿趟车家套]|节课|小时|课时|平米|平方|人|户|公斤)$"
)
# 三块二, 两块八: a digit right after 块 or 元 is dimes (角), unless more of a number follows.
_DIMES_AFTER = re.compile(
    rf"^\s*(?:块|元)([{''.join(_CN_DIGITS)}]|\d)(?![\d.十百千万亿拾佰仟])(?:毛|角)?")
_CLAUSE_BREAK = re.compile(r"[，。！？；,!?;\n、]")
# Every candidate starts with one of these; the rewrites before the search only blank
# characters out, so a text without any holds no amount.
_ANY_NUMERAL = re.compile(rf"[\d{_NUM_CHARS}]")
_APPROX_INSIDE = re.compile(rf"([\d{_NUM_CHARS}])(多|来|余)([万千百亿])")
# 十几万, 三十几万, 二十几块: at least the tens said (authors and residents read 十几万 as
# 100,000 and more); 几十万 says no digit and stays vague.
_TENS_AND_SOME = re.compile(r"(十)几([万千]|块(?=钱)|元)")
_VAGUE_BEFORE = re.compile(r"(?:几|好几|百分之|第|之|No\.?|no\.?|#|双|腊月|正月|冬月|农历|阴历|初)$")
# A number named as a label (车牌后面是578, 房号1203) or an age (我七十三了, 老人八十多了).
_LABEL_BEFORE = re.compile(r"(?:车牌|牌照|尾号|编号|号码|工号|房号|门牌|单号|订单号)[^，。！？]{0,4}$"
                           r"|\d(?:栋|幢|单元|号楼)$")
_AGE = (re.compile(r"(?:我|他|她|俺|老人|我妈|我爸|奶奶|爷爷|姥姥|姥爷|老伴|老头|老太太|老汉)"
                   r"(?:都|已经|也|今年)?$"), re.compile(r"^(?:多|来)?(?:岁)?了"))
# An elder named, then a number ending the phrase (我娘七十九 临洮, 俺老两口都八十了): an age.
_ELDER_AGE = (re.compile(r"(?:我娘|俺娘|老娘|我妈|俺妈|我爹|俺爹|老爹|我爸|奶奶|爷爷|姥姥|姥爷|外婆|外公|"
                         r"老伴|老太太|老两口|两口子|老俩口|婆婆|公公|大伯|大爷|大娘)(?:都|已经|也|今年)?$"),
              re.compile(r"^(?:多|来)?(?:岁)?(?:了|\s|[，。！？,]|$)"))
# Hotlines and service numbers: 我打了12345投诉 names a number to call, never an amount.
SERVICE_NUMBERS = frozenset({"110", "119", "120", "122", "12345", "12315", "12348", "12356",
                             "12333", "12319", "12369", "12351", "12338", "96110", "12110"})
# Phone (with dashes, spaces or +86), landline, ID and card numbers: blanked before looking
# for amounts, so no part of them (the 5678 of 159-1234-5678) is read as money.
_NOT_MONEY = re.compile(
    r"(?<![0-9A-Za-z])(?:(?:\+?86|0086)[- ]?)?1[3-9]\d[- ]?\d{4}[- ]?\d{4}(?![0-9A-Za-z])"
    r"|(?<![0-9A-Za-z])\(?0\d{2,3}\)?[- ]\d{7,8}(?![0-9A-Za-z])"
    r"|(?<![0-9A-Za-z])\d{4}(?:[ -]\d{4}){3}(?:[ -]?\d{1,3})?(?![0-9A-Za-z])"
    r"|(?<![0-9A-Za-z])\d{17}[\dXx](?![0-9A-Za-z])"
)
_DIGIT = re.compile(r"\d")
_NON_DIGITS = re.compile(r"\D")
_LONE_DIGITS = frozenset(_CN_DIGITS)  # 一, 两 …: the short cut in find_amounts
_SERVICE_CONTEXT_AFTER = re.compile(r"^\s*(?:元|块|圆|万|千|百)")
_CHARGED_BEFORE = re.compile(r"(?:扣|收|罚|赔|花|付|退)(?:了|我|他|她|我们)?$")
# A work schedule, not a sum: 996干了一年.
_SCHEDULES = frozenset({"996", "955", "007"})
# 十二万一直, 三万一时, 八百一个月: the numeral run took the 一 of the next word.
_SWALLOWED_ONE = re.compile(r"[万千百亿][一二三四五六七八九两]?一$")
_NEXT_WORD = re.compile(r"^(?:直|时|共|起|下|定|点|般|样|次|些|天|年|个|月|把|边|会|旦|切|再|向|律|同|"
                        r"家|人|辈|周|星期|礼拜|声|口|回|趟|笔)")


def cn_to_number(token: str) -> float | None:
    """Value of a numeral string such as 十四万, 两千五, 1万5千, 1.2万, 一百零八; None if it is
    not one number (ranges like 三四千, or units with no digit like 千)."""
    parts = re.findall(rf"\d+(?:\.\d+)?|[{_NUM_CHARS}]", token.replace(",", ""))
    if not parts:
        return None
    result = 0.0
    section = 0.0
    num: float | None = None
    last_small = 0
    last_big = 0
    after_zero = False
    has_digit = False
    tail = 0.0  # the scale of a second digit said after a first (一万九八)
    for part in parts:
        if part[0].isdigit():
            if num is not None:
                return None
            num = float(part)
            has_digit = True
        elif part in _CN_DIGITS:
            value = _CN_DIGITS[part]
            if value == 0:
                after_zero = True
                continue
            if num is not None:
                # 一万九八 = 19,800 (one ten-thousand, nine thousand, eight hundred), as prices
                # are said; 一万七八 (rising by one) is a range, as is 三四千.
                if (last_big and not last_small and not tail and section == 0
                        and value != num + 1):
                    section, num, tail = num * last_big / 10, float(value), last_big / 100
                    continue
                return None  # 三四千: a range, not an amount
            num = float(value)
            has_digit = True
        elif tail:
            return None  # nothing follows 一万九八
        elif part in _SMALL_UNITS:
            unit = _SMALL_UNITS[part]
            if num is None and unit != 10:
                return None
            section += (num if num is not None else 1.0) * unit
            num = None
            last_small = unit
            after_zero = False
        else:
            unit = _BIG_UNITS[part]
            if num is not None:
                section += num
            if section == 0 and result == 0:
                return None
            if unit > last_big and last_big:
                result = (result + section) * unit
            else:
                result += section * unit
            section = 0.0
            num = None
            last_big = unit
            last_small = 0
            after_zero = False
    if not has_digit and parts[0] not in ("十", "拾"):
        return None  # 千, 万: a unit with no digit is not an amount (but 十 is ten)
    if num is not None and tail:
        section += num * tail
    elif num is not None:
        if after_zero or (not last_small and not last_big):
            section += num
        elif last_small:
            section += num * last_small / 10  # 两千五 = 2500
        else:
            section += num * last_big / 10  # 三万五 = 35000
    return result + section


def _as_number(value: float) -> float | int:
    rounded = round(value, 2)
    return int(rounded) if rounded == int(rounded) else rounded


def find_amounts(text: str) -> list[float | int]:
    """All money amounts in text, in yuan, in order of appearance, without repeats."""
    amounts: list[float | int] = []
    if not text or _ANY_NUMERAL.search(text) is None:
        return amounts  # no character a number can start with (four texts in ten)
    # 二十多万 / 三千来块: the approximation word sits inside the number; drop it (the same
    # length is kept with a space so positions stay meaningful).
    text = _APPROX_INSIDE.sub(lambda m: m.group(1) + m.group(3) + " ", text)
    if "几" in text:
        text = _TENS_AND_SOME.sub(lambda m: m.group(1) + m.group(2) + " ", text)
    if _DIGIT.search(text) is not None:  # every phone, ID or card number holds digits
        text = _NOT_MONEY.sub(lambda m: " " * len(m.group(0)), text)
    for m in _CANDIDATE.finditer(text):
        token = m.group(0)
        multiplier = 1
        if token[-1] in "wW":
            multiplier, token = 10_000, token[:-1]
        elif token[-1] in "kK":
            multiplier, token = 1_000, token[:-1]
        start, end = m.start(), m.end()
        before = text[max(0, start - 12) : start]
        after = text[end : end + 6]
        if (len(token) == 1 and multiplier == 1 and token in _LONE_DIGITS
                and not _CURRENCY_AFTER.match(after) and not _CURRENCY_BEFORE.search(before)):
            continue  # 一, 两 with no currency word: below ten, never money (checked below too)
        if _VAGUE_BEFORE.search(before) or after.startswith(("几", "把")):
            continue
        if token[0] in "拾佰仟" or _LABEL_BEFORE.search(before) or (
                _AGE[0].search(before) and _AGE[1].match(after)) or (
                _ELDER_AGE[0].search(before) and _ELDER_AGE[1].match(after)
                and 40 <= (cn_to_number(token) or 0) <= 120):
            continue  # 收拾 is no 拾 (a written amount starts with a digit: 壹拾), a label, an age
        digits_only = _NON_DIGITS.sub("", token)
        if token in _SCHEDULES and not _CURRENCY_AFTER.match(after):
            continue
        if token in SERVICE_NUMBERS and not _SERVICE_CONTEXT_AFTER.match(after) and not (
                _CHARGED_BEFORE.search(before)):
            continue  # 12345, 110 …: a hotline unless a currency word follows (12345元) or
            # a charge comes right before (扣我120; 给120 is still a call)
        before_currency = bool(_CURRENCY_BEFORE.search(before))
        if len(digits_only) >= 11 or (not before_currency and start > 0 and
                                      text[start - 1].isalpha() and text[start - 1].isascii()):
            continue  # phone, ID or card number, or a code such as A3000
        if _SWALLOWED_ONE.search(token) and _NEXT_WORD.match(after) and not (
                _CURRENCY_AFTER.match(after)):
            token, end = token[:-1], end - 1
            after = text[end : end + 6]
        value = cn_to_number(token)
        if value is None and len(token) > 1:
            # 两千五一个月: the numeral run swallowed the next word's 一; keep the longest
            # prefix that is one number, unless it is a range such as 三四千.
            for cut in range(len(token) - 1, 0, -1):
                value = cn_to_number(token[:cut])
                if value is not None:
                    rest = token[cut:]
                    if len(rest) > 1 and (rest[1] in _SMALL_UNITS or rest[1] in _BIG_UNITS):
                        value = None  # 三四千: a range
                    token, end = token[:cut], start + cut
                    after = text[end : end + 6]
                    break
        if value is None or value <= 0:
            continue
        value *= multiplier
        currency = multiplier == 10_000 or before_currency or bool(_CURRENCY_AFTER.match(after))
        dimes = _DIMES_AFTER.match(after) if multiplier == 1 and "." not in token else None
        if dimes and not _OTHER_UNIT_AFTER.match(text[end + dimes.end():end + dimes.end() + 4]):
            digit = dimes.group(1)
            value += (int(digit) if digit.isdigit() else _CN_DIGITS[digit]) / 10
        if not currency:
            unit = _OTHER_UNIT_AFTER.match(after)
            if unit and (not after[:1].isspace() or value < 100
                         or any(ch.isdigit() for ch in token)):
                continue  # a space after a large Chinese numeral is a pause (三万六 家里)
            # 14万 with no other unit after it is money in a complaint; smaller numbers need
            # the clause to be about money.
            if not ("万" in token or "亿" in token) and not _MONEY_JUST_BEFORE.search(before):
                # The money word may sit in the clause before (花了不少钱，打疫苗1100) but
                # not far away: look back 20 characters and into the rest of this clause.
                context = text[max(0, start - 20) : start]
                tail = _CLAUSE_BREAK.split(after)[0]
                if not (_MONEY_CUE.search(context) or _MONEY_CUE.search(tail[:4])):
                    continue
            is_plain_cn = not any(ch.isdigit() for ch in token)
            if is_plain_cn and value < 10:
                continue  # 一直, 两人: single Chinese digits need a currency word
            if multiplier == 1 and value < 10 and not any(u in token for u in "万千百亿"):
                continue
        amount = _as_number(value)
        if amount not in amounts:
            amounts.append(amount)
    return amounts
