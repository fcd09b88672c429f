"""Roster rules become slots. Idempotent: a slot is identified by (expert, start), the
database refuses a second one (unique constraint) and the insert skips what exists
(ON CONFLICT DO NOTHING), so running twice, or on two processes at once, creates nothing
twice.

Times: a rule is in the hospital's local wall-clock time. Each slot is built from the
local date and time and only then converted to UTC, so 09:00 stays 09:00 across a
daylight-saving change (and the UTC time moves). A local time that does not exist (the
skipped hour of a spring-forward night) yields no slot.
"""

from __future__ import annotations

import bisect
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from flask import current_app
from sqlalchemy.dialects import sqlite

from app.core.clock import now
from app.core.intervals import overlaps
from app.directory.models import ExpertProfile
from app.extensions import db
from app.rosters.calendars import DayKind, HospitalCalendar
from app.rosters.models import RosterException, RosterRule, Slot, SlotStatus

WEEKDAY_MASK = 0b0011111  # Monday to Friday


@dataclass(frozen=True)
class SlotSpec:
    starts_at: datetime
    ends_at: datetime
    rule: RosterRule
    provisional: bool


def horizon_days() -> int:
    return current_app.config["ROSTER_HORIZON_DAYS"]


def horizon_end(today: date) -> date:
    return today + timedelta(days=horizon_days())


def rule_runs_on(rule: RosterRule, day: date, kind: DayKind) -> bool:
    """Does `rule` open slots on `day`, given the calendar's word on that day?

    An adjusted working day (调休) on a weekend works like a weekday: every rule that
    follows the official calendar and runs on some weekday opens its window there.
    """
    if not (rule.valid_from <= day and (rule.valid_to is None or day <= rule.valid_to)):
        return False
    on_weekday = bool(rule.weekdays & (1 << day.weekday()))
    if not rule.follows_official_calendar:
        return on_weekday
    if kind is DayKind.holiday:
        return False
    if kind is DayKind.workday and day.weekday() >= 5:
        return bool(rule.weekdays & WEEKDAY_MASK)
    return on_weekday


def local_slots(rule: RosterRule, day: date, zone: ZoneInfo) -> Iterable[tuple[datetime, datetime]]:
    """The UTC [start, end) of each slot of `rule` on the local date `day`."""
    step = timedelta(minutes=rule.slot_minutes)
    wall = datetime.combine(day, rule.start_time)
    last = datetime.combine(day, rule.end_time)
    while wall + step <= last:
        start = wall.replace(tzinfo=zone)
        utc = start.astimezone(UTC)
        if utc.astimezone(zone).replace(tzinfo=None) == wall:  # skip non-existent local times
            yield utc, (wall + step).replace(tzinfo=zone).astimezone(UTC)
        wall += step


def expert_slot_specs(expert: ExpertProfile, rules: list[RosterRule], first: date, last: date) -> list[SlotSpec]:
    """Every slot the rules describe for local days first..last (inclusive), before
    removing exceptions, the past and what exists."""
    zone = ZoneInfo(expert.hospital.timezone)
    calendar = HospitalCalendar(expert.hospital_id, expert.hospital.timezone, first, last)
    specs = []
    day = first
    while day <= last:
        status = calendar.status(day)
        for rule in rules:
            if rule_runs_on(rule, day, status.kind):
                provisional = status.provisional and rule.follows_official_calendar
                specs.extend(SlotSpec(s, e, rule, provisional) for s, e in local_slots(rule, day, zone))
        day += timedelta(days=1)
    return specs


def materialise_expert(expert: ExpertProfile, rules: list[RosterRule] | None = None,
                       until: date | None = None) -> int:
    """Create the missing slots of `expert` from today to the horizon. Returns how many
    were created."""
    return insert_slot_rows(missing_slot_rows(expert, rules, until))


def materialise_experts(experts: Iterable[ExpertProfile], batch: int = 5000) -> int:
    """Many experts, their rows inserted in large batches: equal-sized batches reuse one
    statement (the driver caches its parsing), which is most of the cost at scale."""
    created, pending = 0, []
    for expert in experts:
        pending.extend(missing_slot_rows(expert))
        if len(pending) >= batch:
            created += insert_slot_rows(pending)
            pending = []
    return created + insert_slot_rows(pending)


def missing_slot_rows(expert: ExpertProfile, rules: list[RosterRule] | None = None,
                      until: date | None = None) -> list[dict]:
    """The rows of the slots `expert` should have up to the horizon and does not."""
    if rules is None:
        rules = active_rules(expert.id)
    moment = now()
    zone = ZoneInfo(expert.hospital.timezone)
    first = moment.astimezone(zone).date()
    last = until or horizon_end(first)
    specs = [s for s in expert_slot_specs(expert, rules, first, last) if s.starts_at >= moment]
    if not specs:
        return []
    start, end = min(s.starts_at for s in specs), max(s.ends_at for s in specs)
    blocked = _blocked_periods(expert.id, start, end)
    taken = _Taken(_existing_periods(expert.id, start, end))
    rows = []
    for spec in sorted(specs, key=lambda s: s.starts_at):
        if any(overlaps(spec.starts_at, spec.ends_at, s, e) for s, e in blocked) or taken.collides(spec):
            continue
        taken.add(spec.starts_at, spec.ends_at)
        rows.append(_row(expert.id, spec, moment))
    return rows


class _Taken:
    """An expert's existing slots, sorted by start: they never overlap one another, so a
    new interval can only collide with its neighbour on the left."""

    def __init__(self, periods: list[tuple[datetime, datetime]]):
        periods.sort()
        self.starts = [s for s, _ in periods]
        self.ends = [e for _, e in periods]

    def collides(self, spec: SlotSpec) -> bool:
        i = bisect.bisect_left(self.starts, spec.ends_at)
        return i > 0 and self.ends[i - 1] > spec.starts_at

    def add(self, start: datetime, end: datetime) -> None:
        i = bisect.bisect_left(self.starts, start)
        self.starts.insert(i, start)
        self.ends.insert(i, end)


def _row(expert_id: int, spec: SlotSpec, moment: datetime) -> dict:
    return {"expert_id": expert_id, "rule_id": spec.rule.id, "starts_at": spec.starts_at,
            "ends_at": spec.ends_at, "mode": spec.rule.mode, "status": SlotStatus.open,
            "is_provisional": spec.provisional, "created_at": moment, "updated_at": moment}


def insert_slot_rows(rows: list[dict]) -> int:
    """Insert, skipping any (expert, start) that a concurrent run created meanwhile.
    RETURNING counts what was really inserted (rowcount is -1 here on psycopg)."""
    if not rows:
        return 0
    if db.session.get_bind().dialect.name == "postgresql":
        return _insert_unnest(rows)
    stmt = (sqlite.insert(Slot.__table__).on_conflict_do_nothing(index_elements=["expert_id", "starts_at"])
            .returning(Slot.__table__.c.id))
    return len(db.session.connection().execute(stmt, rows).all())


# PostgreSQL: one short statement with array parameters, whatever the number of rows. A
# multi-row VALUES list makes a long statement the driver parses afresh every time, which
# cost more than the database's own work.
_UNNEST_INSERT = sa.text("""
    INSERT INTO slots (expert_id, rule_id, starts_at, ends_at, mode, is_provisional,
                       status, created_at, updated_at)
    SELECT u.*, 'open', :moment, :moment
    FROM unnest(CAST(:expert_ids AS integer[]), CAST(:rule_ids AS integer[]),
                CAST(:starts AS timestamptz[]), CAST(:ends AS timestamptz[]),
                CAST(:modes AS varchar[]), CAST(:provisional AS boolean[])) AS u
    ON CONFLICT (expert_id, starts_at) DO NOTHING
    RETURNING id""")


def _insert_unnest(rows: list[dict]) -> int:
    created = 0
    for i in range(0, len(rows), 20000):
        chunk = rows[i:i + 20000]
        created += len(db.session.execute(_UNNEST_INSERT, {
            "expert_ids": [r["expert_id"] for r in chunk], "rule_ids": [r["rule_id"] for r in chunk],
            "starts": [r["starts_at"] for r in chunk], "ends": [r["ends_at"] for r in chunk],
            "modes": [r["mode"].name for r in chunk], "provisional": [r["is_provisional"] for r in chunk],
            "moment": chunk[0]["created_at"]}).all())
    return created


def _blocked_periods(expert_id: int, start: datetime, end: datetime) -> list[tuple[datetime, datetime]]:
    rows = db.session.execute(sa.select(RosterException.starts_at, RosterException.ends_at).where(
        RosterException.expert_id == expert_id, RosterException.starts_at < end, RosterException.ends_at > start))
    return [tuple(r) for r in rows]


def _existing_periods(expert_id: int, start: datetime, end: datetime) -> list[tuple[datetime, datetime]]:
    rows = db.session.execute(sa.select(Slot.starts_at, Slot.ends_at).where(
        Slot.expert_id == expert_id, Slot.starts_at < end, Slot.ends_at > start))
    return [tuple(r) for r in rows]


def active_rules(expert_id: int) -> list[RosterRule]:
    today = now().date() - timedelta(days=1)  # a day of slack for zones ahead of UTC
    return list(db.session.scalars(sa.select(RosterRule).where(
        RosterRule.expert_id == expert_id,
        sa.or_(RosterRule.valid_to.is_(None), RosterRule.valid_to >= today)).order_by(RosterRule.id)))
