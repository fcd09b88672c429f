"""Rules become the right slots: local wall-clock time across DST, the official Chinese
calendar, its fallback for unannounced years, hand-entered days, idempotence."""

from datetime import date, timedelta
from zoneinfo import ZoneInfo

import sqlalchemy as sa

from app.extensions import db
from app.rosters import jobs
from app.rosters.materialise import materialise_expert
from app.rosters.models import CalendarDayKind, HospitalCalendarDay, Slot
from tests.rosters.conftest import add_rule, slots_of, utc


def _local_days(slots, zone):
    return {s.starts_at.astimezone(ZoneInfo(zone)).date() for s in slots}


def test_weekly_rule_gives_slots_at_beijing_local_time(make, beijing):
    expert = make.expert(hospital=beijing)
    add_rule(expert, days=("mon", "wed"), start="09:00", end="11:00")

    materialise_expert(expert)

    wednesday = slots_of(expert, utc(2026, 11, 25), utc(2026, 11, 26))
    assert [s.starts_at for s in wednesday] == [utc(2026, 11, 25, 1, 0), utc(2026, 11, 25, 1, 30),
                                                utc(2026, 11, 25, 2, 0), utc(2026, 11, 25, 2, 30)]
    assert all(s.ends_at - s.starts_at == timedelta(minutes=30) for s in wednesday)
    weekdays = {d.weekday() for d in _local_days(slots_of(expert), "Asia/Shanghai")}
    assert weekdays == {0, 2}
    assert max(slots_of(expert), key=lambda s: s.starts_at).starts_at.date() <= date(2027, 1, 19)


def test_new_york_rule_keeps_nine_oclock_across_the_dst_change(make, new_york, clock):
    clock.set(utc(2026, 10, 26, 12, 0))  # Monday; clocks go back on Sunday 1 November
    expert = make.expert(hospital=new_york)
    add_rule(expert, start="09:00", end="10:00", slot_minutes=60, follows_official_calendar=False)

    materialise_expert(expert)

    friday_before = slots_of(expert, utc(2026, 10, 30), utc(2026, 10, 31))
    monday_after = slots_of(expert, utc(2026, 11, 2), utc(2026, 11, 3))
    assert [s.starts_at for s in friday_before] == [utc(2026, 10, 30, 13, 0)]  # 09:00 EDT
    assert [s.starts_at for s in monday_after] == [utc(2026, 11, 2, 14, 0)]  # 09:00 EST
    local = {s.starts_at.astimezone(ZoneInfo("America/New_York")).time().isoformat() for s in slots_of(expert)}
    assert local == {"09:00:00"}


def test_spring_forward_skips_the_missing_hour_and_keeps_the_rest(make, new_york, clock):
    clock.set(utc(2027, 3, 8, 12, 0))  # clocks go forward on Sunday 14 March 2027 at 02:00
    expert = make.expert(hospital=new_york)
    add_rule(expert, days=("sun",), start="01:00", end="04:00", slot_minutes=60, follows_official_calendar=False)

    materialise_expert(expert, until=date(2027, 3, 14))

    local = [s.starts_at.astimezone(ZoneInfo("America/New_York")).strftime("%H:%M") for s in slots_of(expert)]
    assert local == ["01:00", "03:00"]  # 02:00 does not exist that night


def test_chinese_statutory_holiday_removes_slots_and_adjusted_saturday_adds_them(make, beijing, clock):
    clock.set(utc(2026, 9, 21, 0, 0))  # National Day week 1-7 Oct; Saturday 10 Oct is a working day
    official = make.expert(hospital=beijing)
    plain = make.expert(hospital=beijing)
    add_rule(official, start="09:00", end="10:00", slot_minutes=60)
    add_rule(plain, start="09:00", end="10:00", slot_minutes=60, follows_official_calendar=False)

    materialise_expert(official)
    materialise_expert(plain)

    official_days = _local_days(slots_of(official), "Asia/Shanghai")
    plain_days = _local_days(slots_of(plain), "Asia/Shanghai")
    assert date(2026, 10, 1) not in official_days and date(2026, 10, 2) not in official_days
    assert date(2026, 10, 10) in official_days  # 调休: Saturday works
    assert date(2026, 10, 1) in plain_days and date(2026, 10, 10) not in plain_days
    assert not any(s.is_provisional for s in slots_of(official))


def test_year_the_official_calendar_does_not_cover_falls_back_and_is_provisional(make, beijing):
    expert = make.expert(hospital=beijing)
    add_rule(expert, start="09:00", end="10:00", slot_minutes=60)

    materialise_expert(expert)

    by_day = {s.starts_at.astimezone(ZoneInfo("Asia/Shanghai")).date(): s for s in slots_of(expert)}
    assert date(2027, 1, 1) not in by_day  # New Year's Day from the `holidays` China calendar
    assert by_day[date(2027, 1, 4)].is_provisional is True
    assert by_day[date(2026, 12, 31)].is_provisional is False  # 2026 is officially published


def test_hand_entered_hospital_days_override_the_calendars_and_are_not_provisional(make, beijing):
    expert = make.expert(hospital=beijing)
    db.session.add_all([
        HospitalCalendarDay(hospital_id=beijing.id, day=date(2027, 1, 5), kind=CalendarDayKind.holiday, name="院庆"),
        HospitalCalendarDay(hospital_id=beijing.id, day=date(2027, 1, 9), kind=CalendarDayKind.workday),
    ])
    add_rule(expert, start="09:00", end="10:00", slot_minutes=60)

    materialise_expert(expert)

    by_day = {s.starts_at.astimezone(ZoneInfo("Asia/Shanghai")).date(): s for s in slots_of(expert)}
    assert date(2027, 1, 5) not in by_day
    assert by_day[date(2027, 1, 9)].is_provisional is False  # a Saturday the hospital works


def test_materialising_twice_creates_nothing_twice(make, beijing):
    expert = make.expert(hospital=beijing)
    add_rule(expert)

    first = materialise_expert(expert)
    second = materialise_expert(expert)
    db.session.commit()
    job = jobs.roll_rosters_forward()

    total = db.session.scalar(sa.select(sa.func.count()).select_from(Slot))
    assert first > 0 and second == 0 and job["slots_created"] == 0
    assert total == first


def test_rolling_forward_a_day_later_adds_only_the_new_day(make, beijing, clock):
    expert = make.expert(hospital=beijing)
    add_rule(expert, days=("mon", "tue", "wed", "thu", "fri", "sat", "sun"), follows_official_calendar=False)
    materialise_expert(expert)
    db.session.commit()

    clock.advance(days=1)
    summary = jobs.roll_rosters_forward()

    assert summary == {"experts": 1, "slots_created": 4}


def test_two_concurrent_roll_forwards_create_each_slot_once(app, make, beijing):
    import threading

    experts = [make.expert(hospital=beijing) for _ in range(3)]
    for expert in experts:
        add_rule(expert, days=("mon", "tue", "wed", "thu", "fri", "sat", "sun"), follows_official_calendar=False)
    db.session.commit()
    results, errors = [], []

    def run():
        try:
            with app.app_context():
                results.append(jobs.roll_rosters_forward())
        except Exception as exc:  # noqa: BLE001  (reported below)
            errors.append(exc)

    threads = [threading.Thread(target=run) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)

    total = db.session.scalar(sa.select(sa.func.count()).select_from(Slot))
    assert errors == []
    # 56 whole days of 4 slots, and today from 10:00 Beijing (the clock) on: 2 more
    assert sum(r["slots_created"] for r in results) == total == 3 * (56 * 4 + 2)
