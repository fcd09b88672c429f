"""Which days a hospital works: weekends, public holidays and adjusted working days.

Order of authority for one day of one hospital:
1. the hospital's own calendar days, entered by hand (`HospitalCalendarDay`);
2. in China, the official calendar from `chinese_calendar` (statutory holidays and the
   adjusted working days, 调休), which only covers the years announced so far;
3. for a Chinese year it does not cover yet, the `holidays` package's China calendar —
   marked provisional, because the State Council has not published that year;
4. elsewhere, the `holidays` package for the hospital's country.

The country comes from the hospital's IANA time zone (tzdata's zone table), which every
hospital has; there is no separate country column.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import date
from functools import cache, lru_cache
from importlib.resources import files

import chinese_calendar
import holidays
import sqlalchemy as sa

from app.extensions import db
from app.rosters.models import CalendarDayKind, HospitalCalendarDay


class DayKind(enum.Enum):
    regular = "regular"  # an ordinary day: the rule's weekdays decide
    holiday = "holiday"  # nobody works, whatever the weekday
    workday = "workday"  # an adjusted working day on a weekend (调休)


@dataclass(frozen=True)
class DayStatus:
    kind: DayKind
    provisional: bool = False
    name: str | None = None


REGULAR = DayStatus(DayKind.regular)


@cache
def _zone_countries() -> dict[str, str]:
    """IANA zone → ISO country code, from tzdata's zone.tab."""
    text = (files("tzdata.zoneinfo") / "zone.tab").read_text(encoding="utf-8")
    out = {}
    for line in text.splitlines():
        if line and not line.startswith("#"):
            parts = line.split("\t")
            out[parts[2]] = parts[0]
    out.update({"PRC": "CN", "Asia/Chongqing": "CN", "Asia/Chungking": "CN", "Asia/Harbin": "CN"})
    return out


def country_of_zone(zone: str) -> str | None:
    return _zone_countries().get(zone)


@cache
def _holiday_calendar(country: str, year: int):
    try:
        return holidays.country_holidays(country, years=year)
    except NotImplementedError:  # a country the package does not know: no holidays
        return {}


def _china_official(day: date) -> DayStatus | None:
    """The official calendar, or None when `chinese_calendar` has no data for that year
    (it raises NotImplementedError past the last announced year)."""
    try:
        is_workday = chinese_calendar.is_workday(day)
        is_holiday, name = chinese_calendar.get_holiday_detail(day)
    except NotImplementedError:
        return None
    weekend = day.weekday() >= 5
    if weekend and is_workday:
        return DayStatus(DayKind.workday, name=name)
    if not weekend and is_holiday:
        return DayStatus(DayKind.holiday, name=name)
    return REGULAR


def _from_holidays_package(country: str, day: date, provisional: bool) -> DayStatus:
    calendar = _holiday_calendar(country, day.year)
    if day in calendar:
        return DayStatus(DayKind.holiday, provisional, calendar.get(day))
    if day in getattr(calendar, "weekend_workdays", ()):
        return DayStatus(DayKind.workday, provisional)
    return DayStatus(DayKind.regular, provisional)


@lru_cache(maxsize=8192)  # the public calendars are fixed data: one lookup per day and country
def public_day_status(country: str | None, day: date) -> DayStatus:
    """The public calendar's word on `day`, ignoring the hospital's own days."""
    if country == "CN":
        official = _china_official(day)
        return official if official is not None else _from_holidays_package("CN", day, provisional=True)
    if country is None:
        return REGULAR
    return _from_holidays_package(country, day, provisional=False)


class HospitalCalendar:
    """The working calendar of one hospital over a range of days, loaded once."""

    def __init__(self, hospital_id: int, zone: str, first: date, last: date):
        self.country = country_of_zone(zone)
        rows = db.session.scalars(sa.select(HospitalCalendarDay).where(
            HospitalCalendarDay.hospital_id == hospital_id,
            HospitalCalendarDay.day >= first, HospitalCalendarDay.day <= last))
        self._own = {row.day: row for row in rows}

    def status(self, day: date) -> DayStatus:
        own = self._own.get(day)
        if own is not None:
            kind = DayKind.holiday if own.kind is CalendarDayKind.holiday else DayKind.workday
            return DayStatus(kind, name=own.name)
        return public_day_status(self.country, day)
