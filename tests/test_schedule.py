"""Schedules and slots, in Europe/Zurich across both DST changes of 2026."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from syncd.schedule import Schedule, parse_duration, parse_schedule

ZRH = ZoneInfo("Europe/Zurich")


def at(*args: int) -> datetime:
    return datetime(*args, tzinfo=ZRH)


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


# --- parsing --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("spec", "parsed"),
    [
        ("hourly", Schedule("hourly", step=timedelta(hours=1))),
        ("daily", Schedule("daily", step=timedelta(days=1))),
        ("weekly", Schedule("weekly", step=timedelta(days=7))),
        ("every 15m", Schedule("every 15m", step=timedelta(minutes=15))),
        ("every 30min", Schedule("every 30min", step=timedelta(minutes=30))),
        ("  every   2h ", Schedule("every 2h", step=timedelta(hours=2))),
        ("every 1d", Schedule("every 1d", step=timedelta(days=1))),
        ("every 3d", Schedule("every 3d", step=timedelta(days=3))),
        ("0 6 * * *", Schedule("0 6 * * *", cron="0 6 * * *")),
        ("0  6 * *  1-5", Schedule("0 6 * * 1-5", cron="0 6 * * 1-5")),
    ],
)
def test_parse_schedule(spec, parsed):
    assert parse_schedule(spec) == parsed


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        ("every 7m", "'every 7m': an interval under a day must divide 24h evenly"),
        ("every 5h", "'every 5h': an interval under a day must divide 24h evenly"),
        ("every 36h", "'every 36h': an interval of a day or more must be whole days"),
        ("every 0m", "unknown schedule 'every 0m'; use hourly, daily, weekly"),
        ("sometimes", "unknown schedule 'sometimes'; use hourly, daily, weekly, 'every 15m'"),
        ("0 6 * *", "unknown schedule '0 6 \\* \\*'"),
        ("0 25 * * *", "invalid cron expression '0 25 \\* \\* \\*'"),
        ("0 6 * * mon-xyz", "invalid cron expression"),
    ],
)
def test_parse_errors_say_what_is_wrong(spec, message):
    with pytest.raises(ValueError, match=message):
        parse_schedule(spec)


@pytest.mark.parametrize(
    ("text", "duration"),
    [
        ("72h", timedelta(hours=72)),
        ("3d", timedelta(days=3)),
        ("90m", timedelta(minutes=90)),
        ("30s", timedelta(seconds=30)),
        ("2w", timedelta(days=14)),
        ("1.5h", timedelta(minutes=90)),
        (" 12 h ", timedelta(hours=12)),
    ],
)
def test_parse_duration(text, duration):
    assert parse_duration(text) == duration


@pytest.mark.parametrize("text", ["3 days", "h", "-2h", "1y", ""])
def test_parse_duration_errors(text):
    with pytest.raises(ValueError, match=r"unknown duration .*use a number and s, m, h, d or w"):
        parse_duration(text)


# --- intervals (what staleness is judged on) ------------------------------------------------


@pytest.mark.parametrize(
    ("spec", "interval"),
    [
        ("hourly", timedelta(hours=1)),
        ("daily", timedelta(days=1)),
        ("weekly", timedelta(days=7)),
        ("every 15m", timedelta(minutes=15)),
        ("0 6 * * *", timedelta(days=1)),
        ("*/15 * * * *", timedelta(minutes=15)),
        ("0 6,18 * * *", timedelta(hours=12)),
        ("0 8 * * 1-5", timedelta(days=3)),  # Friday 08:00 → Monday 08:00
        ("0 9 1 * *", timedelta(days=31)),  # the longest month gap
        ("30 7 * * 1", timedelta(days=7)),
    ],
)
def test_interval(spec, interval):
    assert parse_schedule(spec).interval == interval


# --- interval slots -------------------------------------------------------------------------


def test_hourly_across_the_autumn_dst_change_gives_25_slots():
    day = parse_schedule("hourly").slots_between(at(2026, 10, 25), at(2026, 10, 25, 23, 59), ZRH)
    assert len(day) == 25
    # 00:00 CEST is 22:00 UTC the day before; then every real hour until 23:00 CET = 22:00 UTC.
    assert [s.astimezone(UTC) for s in day] == [
        utc(2026, 10, 24, 22) + timedelta(hours=n) for n in range(25)
    ]
    # 02:00 happens twice: once in CEST, once in CET.
    twice = [s for s in day if (s.hour, s.minute) == (2, 0)]
    assert [s.utcoffset() for s in twice] == [timedelta(hours=2), timedelta(hours=1)]
    assert all(s.tzinfo is ZRH for s in day)


def test_hourly_across_the_spring_dst_change_gives_23_slots():
    day = parse_schedule("hourly").slots_between(at(2026, 3, 29), at(2026, 3, 29, 23, 59), ZRH)
    assert len(day) == 23
    assert [s.hour for s in day] == [0, 1, *range(3, 24)]  # 02:00 does not exist


def test_hourly_slot_in_the_repeated_hour():
    schedule = parse_schedule("hourly")
    # 02:40 CET (second pass) is 01:40 UTC; its slot is 02:00 CET = 01:00 UTC. Compared in
    # UTC: Python never finds a fold=1 time equal to a time in another zone (PEP 495).
    second = schedule.slot(utc(2026, 10, 25, 1, 40), ZRH)
    assert second.astimezone(UTC) == utc(2026, 10, 25, 1)
    assert (second.hour, second.utcoffset()) == (2, timedelta(hours=1))
    first = schedule.slot(utc(2026, 10, 25, 0, 40), ZRH)
    assert first.astimezone(UTC) == utc(2026, 10, 25, 0)
    assert (first.hour, first.utcoffset()) == (2, timedelta(hours=2))


def test_every_15m():
    schedule = parse_schedule("every 15m")
    assert schedule.slot(at(2026, 11, 3, 10, 37, 12), ZRH) == at(2026, 11, 3, 10, 30)
    assert schedule.slot(at(2026, 11, 3, 10, 45), ZRH) == at(2026, 11, 3, 10, 45)
    assert schedule.slots_between(at(2026, 11, 3, 10), at(2026, 11, 3, 11), ZRH) == [
        at(2026, 11, 3, 10),
        at(2026, 11, 3, 10, 15),
        at(2026, 11, 3, 10, 30),
        at(2026, 11, 3, 10, 45),
        at(2026, 11, 3, 11),
    ]
    # the latest slot at or before the start comes first
    assert schedule.slots_between(at(2026, 11, 3, 10, 5), at(2026, 11, 3, 10, 20), ZRH) == [
        at(2026, 11, 3, 10),
        at(2026, 11, 3, 10, 15),
    ]
    # 96 slots in a plain day, 100 on the 25-hour day
    plain = schedule.slots_between(at(2026, 11, 3), at(2026, 11, 3, 23, 59), ZRH)
    assert len(plain) == 96
    long_day = schedule.slots_between(at(2026, 10, 25), at(2026, 10, 25, 23, 59), ZRH)
    assert len(long_day) == 100


def test_every_2h_restarts_at_each_local_midnight():
    schedule = parse_schedule("every 2h")
    # On the 25-hour day: 00:00 CEST, 02:00 CEST, then 03:00 CET (two real hours later) ...
    day = schedule.slots_between(at(2026, 10, 25), at(2026, 10, 25, 23, 59), ZRH)
    assert [s.astimezone(UTC) for s in day] == [
        utc(2026, 10, 24, 22) + timedelta(hours=2 * n) for n in range(13)
    ]
    # ... and the next day starts at its own midnight, whichever way it is asked.
    assert schedule.slot(at(2026, 10, 26, 0, 30), ZRH) == at(2026, 10, 26)
    assert schedule.slots_between(at(2026, 10, 25, 22), at(2026, 10, 26, 2), ZRH) == [
        at(2026, 10, 25, 21),
        at(2026, 10, 25, 23),
        at(2026, 10, 26),
        at(2026, 10, 26, 2),
    ]


def test_daily_slots_stay_at_local_midnight_across_dst():
    schedule = parse_schedule("daily")
    assert schedule.slot(at(2026, 10, 25, 15), ZRH) == at(2026, 10, 25)
    slots = schedule.slots_between(at(2026, 10, 24, 12), at(2026, 10, 27, 12), ZRH)
    assert slots == [at(2026, 10, 24), at(2026, 10, 25), at(2026, 10, 26), at(2026, 10, 27)]
    assert [s.astimezone(UTC).hour for s in slots] == [22, 22, 23, 23]
    # exactly at midnight, the slot is that midnight
    assert schedule.slot(at(2026, 10, 26), ZRH) == at(2026, 10, 26)
    assert schedule.slot(at(2026, 10, 25, 23, 59, 59), ZRH) == at(2026, 10, 25)


def test_weekly_slots_are_monday_midnight():
    schedule = parse_schedule("weekly")
    # Wednesday 2026-10-28 → Monday 2026-10-26; Sunday 2026-10-25 → Monday 2026-10-19.
    assert schedule.slot(at(2026, 10, 28, 9), ZRH) == at(2026, 10, 26)
    assert schedule.slot(at(2026, 10, 25, 23), ZRH) == at(2026, 10, 19)
    assert schedule.slots_between(at(2026, 11, 1), at(2026, 11, 20), ZRH) == [
        at(2026, 10, 26),
        at(2026, 11, 2),
        at(2026, 11, 9),
        at(2026, 11, 16),
    ]


# --- cron slots -----------------------------------------------------------------------------


def test_daily_cron_at_six_local_time():
    schedule = parse_schedule("0 6 * * *")
    assert schedule.slot(at(2026, 10, 26, 5), ZRH) == at(2026, 10, 25, 6)
    assert schedule.slot(at(2026, 10, 26, 6), ZRH) == at(2026, 10, 26, 6)
    slots = schedule.slots_between(at(2026, 10, 24, 7), at(2026, 10, 26, 7), ZRH)
    assert slots == [at(2026, 10, 24, 6), at(2026, 10, 25, 6), at(2026, 10, 26, 6)]
    assert [s.astimezone(UTC).hour for s in slots] == [4, 5, 5]


@pytest.mark.parametrize(
    ("field", "weekdays"),
    [
        ("1-5", {0, 1, 2, 3, 4}),  # cron Monday-Friday (Python: Monday = 0)
        ("0", {6}),
        ("7", {6}),
        ("0,6", {5, 6}),
        ("5-7", {4, 5, 6}),
        ("*/2", {6, 1, 3, 5}),  # cron 0, 2, 4, 6: Sunday, Tuesday, Thursday, Saturday
        ("mon-fri", {0, 1, 2, 3, 4}),
        ("sat,sun", {5, 6}),
        ("*", set(range(7))),
    ],
)
def test_cron_weekdays_use_crontab_numbering(field, weekdays):
    # Daily fires over two weeks at 06:00; which weekdays fire?
    schedule = parse_schedule(f"0 6 * * {field}")
    slots = schedule.slots_between(at(2026, 11, 2), at(2026, 11, 15, 23), ZRH)
    assert {s.weekday() for s in slots if s >= at(2026, 11, 2)} == weekdays


@pytest.mark.parametrize(
    ("field", "message"),
    [("5-1", "runs backwards"), ("8", "unsupported day-of-week '8'"), ("*-3", "unsupported")],
)
def test_cron_weekday_errors(field, message):
    with pytest.raises(ValueError, match=message):
        parse_schedule(f"0 6 * * {field}")


def test_weekday_cron_skips_the_weekend():
    schedule = parse_schedule("0 6 * * 1-5")
    # Monday 2026-10-26 05:00: the last fire was Friday 2026-10-23 06:00.
    assert schedule.slot(at(2026, 10, 26, 5), ZRH) == at(2026, 10, 23, 6)
    slots = schedule.slots_between(at(2026, 10, 23, 12), at(2026, 10, 28, 12), ZRH)
    assert slots == [
        at(2026, 10, 23, 6),
        at(2026, 10, 26, 6),
        at(2026, 10, 27, 6),
        at(2026, 10, 28, 6),
    ]


def test_hourly_cron_across_the_autumn_dst_change_gives_25_slots():
    schedule = parse_schedule("30 * * * *")
    day = schedule.slots_between(at(2026, 10, 25, 0, 30), at(2026, 10, 25, 23, 59), ZRH)
    assert len(day) == 25
    assert [s.astimezone(UTC) for s in day] == [
        utc(2026, 10, 24, 22, 30) + timedelta(hours=n) for n in range(25)
    ]


def test_every_15m_cron_matches_the_interval_form():
    cron = parse_schedule("*/15 * * * *")
    interval = parse_schedule("every 15m")
    start, end = at(2026, 10, 25, 1), at(2026, 10, 25, 4)
    assert cron.slots_between(start, end, ZRH) == interval.slots_between(start, end, ZRH)
    assert len(cron.slots_between(start, end, ZRH)) == 4 * 4 + 1  # 4 real hours (02:00 twice)


def test_slot_bounds_must_be_aware():
    with pytest.raises(ValueError, match="timezone-aware"):
        parse_schedule("hourly").slots_between(datetime(2026, 1, 1), at(2026, 1, 2), ZRH)
    with pytest.raises(ValueError, match="timezone-aware"):
        parse_schedule("0 6 * * *").slots_between(at(2026, 1, 1), datetime(2026, 1, 2), ZRH)


# --- schedules that cannot run -----------------------------------------------------------


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        ("0 0 30 2 *", "cron expression '0 0 30 2 *' never fires"),
        ("0 0 31 11 *", "cron expression '0 0 31 11 *' never fires"),
        ("every 99999999999d", "'every 99999999999d': the longest interval is 366d"),
        ("every 367d", "'every 367d': the longest interval is 366d"),
    ],
)
def test_schedules_that_never_fire_are_refused(spec, message):
    with pytest.raises(ValueError, match="^" + message.replace("*", r"\*")):
        parse_schedule(spec)


def test_a_leap_day_cron_fires_every_four_years():
    schedule = parse_schedule("0 0 29 2 *")
    assert schedule.slot(at(2027, 6, 1), ZRH) == at(2024, 2, 29)
    # The longest gap: 2096 to 2104, as 2100 is not a leap year.
    assert schedule.interval == timedelta(days=8 * 365 + 1)


@pytest.mark.parametrize("text", ["99999999999999d", "3661d", "523w"])
def test_durations_beyond_ten_years_are_refused(text):
    with pytest.raises(ValueError, match="is too long; at most 3660d"):
        parse_duration(text)


def test_a_schedule_without_slots_says_so_instead_of_an_index_error():
    # parse_schedule refuses it; a Schedule made by hand still must not break a caller.
    never = Schedule("0 0 30 2 *", cron="0 0 30 2 *")
    assert never.latest_slot(utc(2026, 12, 5), ZRH) is None
    assert never.slots_between(utc(2026, 1, 1), utc(2026, 12, 31), ZRH) == []
    with pytest.raises(ValueError, match=r"schedule '0 0 30 2 \*' has no slot at or before"):
        never.slot(utc(2026, 12, 5), ZRH)


def test_latest_slot_at_the_end_of_time_is_none_not_an_overflow():
    assert parse_schedule("daily").latest_slot(datetime(1, 1, 1, 12, tzinfo=UTC), ZRH) is None
    assert parse_schedule("daily").latest_slot(utc(2026, 12, 5, 12), ZRH) == at(2026, 12, 5)


def test_the_daemon_trigger_of_a_schedule_without_slots_has_no_next_fire_time():
    from syncd.daemon.jobs import SlotTrigger

    never = Schedule("0 0 30 2 *", cron="0 0 30 2 *")
    trigger = SlotTrigger(never, ZRH, timedelta(0))
    assert trigger.get_next_fire_time(None, utc(2026, 12, 5)) is None
