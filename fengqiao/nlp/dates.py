"""Dates in resident text, relative ones resolved against the time the message was sent.

Absolute: 2023年5月6日, 2023-05-06, 2023/5/6, 5月6号, 五月六号, 2023年5月, 3月份.
Relative: 今天 昨天 前天 大前天 明天 后天, 3天前, 两个月前, 半年前, 上周三, 上周 (a week),
上个月(15号), 这个月, 下个月, 去年(年底/年初/3月), 前年, 今年; 十月初 / 3月底 / 5月中旬 (a
month); holidays 国庆节, 元旦, 劳动节, 清明, 春节/过年/除夕, 端午, 中秋 (the last one, or the
year said: 去年春节). A date given without a year that would lie
more than 60 days in the future is taken to be last year's: complaints are about the past.
Vague words (最近, 前几天, 那天) give no date rather than a wrong one.

Each date keeps how precisely it was said (`Period`): 去年 is the year 2023, not 1 January,
and 上个月 is a month. The dialog stores and shows it at that precision.
"""

from __future__ import annotations

import calendar
import re
from datetime import date, datetime, timedelta
from typing import Literal, NamedTuple

from fengqiao.nlp.money import cn_to_number
from fengqiao.nlp.risk_cues import required_chars

_NUM = r"(?:\d{1,4}|[零〇一二两三四五六七八九十]{1,4})"
_DAY_WORDS = {"今天": 0, "今日": 0, "今儿": 0, "今早": 0, "今晚": 0, "昨天": -1, "昨日": -1,
              "昨晚": -1, "昨儿": -1, "前天": -2, "前日": -2, "大前天": -3, "明天": 1,
              "明日": 1, "明早": 1, "后天": 2, "大后天": 3}
_YEAR_WORDS = {"今年": 0, "去年": -1, "前年": -2, "大前年": -3, "明年": 1}
_MONTH_WORDS = {"这个月": 0, "本月": 0, "这月": 0, "上个月": -1, "上月": -1, "下个月": 1,
                "下月": 1}
_WEEK_WORDS = {"这周": 0, "本周": 0, "这个星期": 0, "这星期": 0, "上周": -1, "上个星期": -1,
               "上星期": -1, "上礼拜": -1, "上个礼拜": -1, "下周": 1, "下个星期": 1,
               "下星期": 1, "下礼拜": 1}
_WEEKDAYS = {"一": 0, "二": 1, "三": 2, "四": 3, "五": 4, "六": 5, "日": 6, "天": 6, "末": 5}


Precision = Literal["day", "week", "month", "year"]
_ISO_LENGTH = {"day": 10, "month": 7, "year": 4}
_FIXED_HOLIDAYS = {"元旦": (1, 1), "劳动节": (5, 1), "五一劳动节": (5, 1), "五一节": (5, 1),
                   "五一假期": (5, 1), "国庆节": (10, 1), "国庆": (10, 1), "国庆假期": (10, 1),
                   "清明节": (4, 5), "清明": (4, 5)}
# Lunar holidays by year (Gregorian dates); outside the table such a word gives no date.
_LUNAR_HOLIDAYS = {
    "春节": {2022: (2, 1), 2023: (1, 22), 2024: (2, 10), 2025: (1, 29), 2026: (2, 17),
             2027: (2, 6), 2028: (1, 26)},
    "端午": {2022: (6, 3), 2023: (6, 22), 2024: (6, 10), 2025: (5, 31), 2026: (6, 19),
             2027: (6, 9), 2028: (5, 28)},
    "中秋": {2022: (9, 10), 2023: (9, 29), 2024: (9, 17), 2025: (10, 6), 2026: (9, 25),
             2027: (9, 15), 2028: (10, 3)},
}
_LUNAR_NAMES = {"春节": "春节", "过年": "春节", "过年时": "春节", "大年初一": "春节",
                "端午节": "端午", "端午": "端午", "中秋节": "中秋", "中秋": "中秋"}
_HOLIDAY_WORDS = {**{k: 0 for k in _FIXED_HOLIDAYS}, **{k: 0 for k in _LUNAR_NAMES},
                  "除夕": 0, "大年三十": 0}


class Period(NamedTuple):
    """A date as precisely as the resident gave it. `day` is the date `find_dates` returns
    for it (the first of the month for 3月份, 31 December for 年底)."""

    day: date
    precision: Precision

    @property
    def iso(self) -> str:
        """ISO 8601 at its precision: 2023, 2023-12, 2023-12-31, or a week 2023-W52."""
        if self.precision == "week":
            year, week, _ = self.day.isocalendar()
            return f"{year}-W{week:02d}"
        return self.day.isoformat()[: _ISO_LENGTH[self.precision]]


def _alt(words: dict[str, int]) -> str:
    return "|".join(sorted(map(re.escape, words), key=len, reverse=True))


_PATTERN = re.compile(
    # 0: holidays, with an optional year word (去年春节, 今年国庆节)
    rf"(?P<hol>(?:(?P<hy>{_alt(_YEAR_WORDS)}))?(?P<hname>{_alt(_HOLIDAY_WORDS)}))"
    # 1: y-m-d with separators
    r"|(?P<iso>(?<!\d)(?P<iy>\d{4})[-/.](?P<im>\d{1,2})[-/.](?P<id>\d{1,2})(?!\d))"
    # 2: [year word or YYYY年] [M月 [D日] | 年底 | 年初 | 年中]
    rf"|(?P<ymd>(?:(?P<yy>(?<!\d)\d{{4}}|[零〇一二三四五六七八九]{{4}})年|(?P<yw>{_alt(_YEAR_WORDS)}))"
    rf"(?:(?P<ym>{_NUM})月份?(?:(?P<yd>{_NUM})[日号])?|(?P<yend>年底|底|年末|末|年初|初|年中|中)|)"
    r")"
    # 3: month word [D号 | 底 | 初]
    rf"|(?P<mw>(?P<mword>{_alt(_MONTH_WORDS)})(?:(?P<mwd>{_NUM})[日号]|(?P<mwe>底|初|末))?)"
    # 4: week word [+ weekday]
    rf"|(?P<ww>(?P<wword>{_alt(_WEEK_WORDS)})(?:(?:星期|周|礼拜)?(?P<wday>[一二三四五六日天末]))?)"
    # 5: N units ago
    rf"|(?P<ago>(?P<an>{_NUM}|半)(?:多)?个?(?P<au>天|日|星期|礼拜|周|月|年)(?:多)?(?:以前|之前|前))"
    # 6: M月D日 without a year
    rf"|(?P<md>(?<![\d年])(?P<mm>{_NUM})月(?P<mdd>{_NUM})[日号])"
    # 6b: 十月初, 3月底, 5月中旬 without a year
    rf"|(?P<mpart>(?<![\d年个])(?P<mpm>{_NUM})月(?P<mpp>初|上旬|中旬|下旬|中|底|末))"
    # 7: M月份 without a year or day
    rf"|(?P<mo>(?<![\d年个])(?P<mom>{_NUM})月份)"
    # 8: day words
    rf"|(?P<dw>{_alt(_DAY_WORDS)})"
)


_AGE_AFTER = re.compile(r"\s*(?:都|已经|才|刚)?(?:\d{1,3}|[一二三四五六七八九十]{1,3})(?:多)?(?:岁|周岁)")


def _num(text: str | None) -> int | None:
    if not text:
        return None
    if text.isdigit():
        return int(text)
    value = cn_to_number(text)
    return int(value) if value is not None and value == int(value) else None


def _add_months(day: date, months: int) -> date:
    index = day.year * 12 + day.month - 1 + months
    year, month = divmod(index, 12)
    month += 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def _safe(year: int, month: int, day: int) -> date | None:
    if not (1900 <= year <= 2200):
        return None
    try:
        return date(year, month, day)
    except ValueError:
        return None


def _past_year(today: date, month: int, day: int) -> date | None:
    found = _safe(today.year, month, day)
    if found is not None and found > today + timedelta(days=60):
        found = _safe(today.year - 1, month, day)
    return found


def _holiday(g: dict[str, str | None], today: date) -> date | None:
    name = g["hname"] or ""
    years = [today.year + _YEAR_WORDS[g["hy"]]] if g["hy"] else [today.year, today.year - 1]
    for year in years:
        if name in _FIXED_HOLIDAYS:
            found = _safe(year, *_FIXED_HOLIDAYS[name])
        elif name in ("除夕", "大年三十"):
            spring = _LUNAR_HOLIDAYS["春节"].get(year)
            eve = _safe(year, *spring) if spring else None
            found = eve - timedelta(days=1) if eve else None
        else:
            md = _LUNAR_HOLIDAYS[_LUNAR_NAMES[name]].get(year)
            found = _safe(year, *md) if md else None
        # Without a year, the last one: a complaint is about the past.
        if found is not None and (g["hy"] or found <= today + timedelta(days=7)):
            return found
    return None


def _resolve(m: re.Match[str], today: date) -> tuple[date | None, Precision]:
    g = m.groupdict()
    if g["hol"]:
        return _holiday(g, today), "day"
    if g["iso"]:
        return _safe(int(g["iy"]), int(g["im"]), int(g["id"])), "day"
    if g["ymd"]:
        if g["yy"]:
            year = int(g["yy"]) if g["yy"].isdigit() else int(
                "".join(str(_num(c) or 0) for c in g["yy"])
            )
        else:
            year = today.year + _YEAR_WORDS[g["yw"]]
        month, day = _num(g["ym"]), _num(g["yd"])
        if month is not None:
            return _safe(year, month, day or 1), "day" if day else "month"
        end = g["yend"] or ""
        if end in ("年底", "底", "年末", "末"):
            return _safe(year, 12, 31), "month"
        if end in ("年中", "中"):
            return _safe(year, 7, 1), "year"
        return _safe(year, 1, 1), "month" if end in ("年初", "初") else "year"
    if g["mw"]:
        first = _add_months(today.replace(day=1), _MONTH_WORDS[g["mword"]])
        if g["mwd"]:
            day = _num(g["mwd"])
            return (_safe(first.year, first.month, day) if day else None), "day"
        if g["mwe"] in ("底", "末"):
            return first.replace(day=calendar.monthrange(first.year, first.month)[1]), "month"
        return first, "month"
    if g["ww"]:
        monday = today - timedelta(days=today.weekday()) + timedelta(weeks=_WEEK_WORDS[g["wword"]])
        if not g["wday"]:
            return monday, "week"
        return monday + timedelta(days=_WEEKDAYS[g["wday"]]), "day"
    if g["ago"]:
        count = 0.5 if g["an"] == "半" else _num(g["an"])
        if count is None:
            return None, "day"
        unit = g["au"]
        if unit in ("天", "日"):
            return today - timedelta(days=int(count)), "day"
        if unit in ("星期", "礼拜", "周"):
            return today - timedelta(days=int(count * 7)), "day"
        if unit == "月":
            if count == 0.5:
                return today - timedelta(days=15), "day"
            return _add_months(today, -int(count)), "month"
        if count == 0.5:
            return _add_months(today, -6), "month"
        return _add_months(today, -int(count * 12)), "year"
    if g["md"]:
        month, day = _num(g["mm"]), _num(g["mdd"])
        return (_past_year(today, month, day) if month and day else None), "day"
    if g["mpart"]:
        month = _num(g["mpm"])
        part = g["mpp"] or ""
        day = 15 if part in ("中", "中旬") else 25 if part == "下旬" else 1
        if month and part in ("底", "末") and 1 <= month <= 12:
            day = calendar.monthrange(today.year, month)[1]
        return (_past_year(today, month, day) if month else None), "month"
    if g["mo"]:
        month = _num(g["mom"])
        return (_past_year(today, month, 1) if month else None), "month"
    if g["dw"]:
        return today + timedelta(days=_DAY_WORDS[g["dw"]]), "day"
    return None, "day"


# Characters every match of _PATTERN holds at least one of (年, 月, 号, 前, 今, -, / …): about
# half of complaints have none and skip the pattern, which is tried at every character.
_GATE = next(iter(required_chars(_PATTERN.pattern)), None)


def find_periods(text: str, now: datetime | date | None = None) -> list[Period]:
    """Dates mentioned in text with their precision, in order of appearance, without repeats."""
    if not text:
        return []
    if now is None:
        now = datetime.now()
    if _GATE is not None and _GATE.isdisjoint(text):
        return []  # none of the characters every date mention holds one of
    today = now.date() if isinstance(now, datetime) else now
    found: list[Period] = []
    for m in _PATTERN.finditer(text):
        if m.group("yw") and m.end() == m.end("yw") and _AGE_AFTER.match(text, m.end()):
            continue  # 今年35岁 is an age, not a date
        day, precision = _resolve(m, today)
        if day is not None and all(day != p.day for p in found):
            found.append(Period(day, precision))
    return found


def find_dates(text: str, now: datetime | date | None = None) -> list[date]:
    """Dates mentioned in text, in order of appearance, without repeats."""
    return [p.day for p in find_periods(text, now)]
