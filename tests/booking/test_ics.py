from datetime import UTC, datetime

from fengqiao.booking.ics import CalendarEvent, render


def test_feed_lines_are_folded_escaped_and_in_utc():
    start = datetime(2026, 11, 24, 1, 0, tzinfo=UTC)
    event = CalendarEvent(
        uid="booking-7@fengqiao",
        starts_at=start,
        ends_at=start.replace(hour=2),
        summary="调解：案件FQ2611-ABCDEF-1（劳动争议）" * 3,
        location="县综治中心二楼, 201室",
        description="已确认; 现场调解",
        url="http://x/console/booking/7",
        sequence=2,
    )
    text = render("张明 · 调解日程", [event], start)
    lines = text.split("\r\n")
    assert text.endswith("\r\n") and lines[0] == "BEGIN:VCALENDAR"
    assert all(len(line.encode()) <= 75 for line in lines)
    assert "DTSTART:20261124T010000Z" in lines and "SEQUENCE:2" in lines
    assert "LOCATION:县综治中心二楼\\, 201室" in lines
    unfolded = text.replace("\r\n ", "")
    assert ("SUMMARY:" + "调解：案件FQ2611-ABCDEF-1（劳动争议）" * 3) in unfolded
