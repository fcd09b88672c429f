"""Rosters: rules, exceptions, hospital calendar days, slots and calendar feeds.

A change to a rule or a new exception only ever removes or blocks OPEN slots. Held and
booked slots are left exactly as they are and reported back (`untouched`), so the
scheduler can move or cancel those bookings deliberately.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass, field
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from sqlalchemy.orm import contains_eager

from app.accounts import policy
from app.accounts.models import Role, User
from app.bookings.models import Booking, BookingChange
from app.core import audit
from app.core.clock import now
from app.core.intervals import overlaps_clause
from app.core.repo import apply_changes, get_or_404
from app.directory import service as directory
from app.directory.models import ExpertProfile, Hospital, Specialty, expert_specialties
from app.errors import Conflict, InvalidInput
from app.extensions import db
from app.matching.models import Offer
from app.notifications.service import notify_many
from app.rosters import materialise as mat
from app.rosters.models import (
    CalendarFeedToken,
    HospitalCalendarDay,
    RosterException,
    RosterRule,
    Slot,
    SlotMode,
    SlotStatus,
)


@dataclass
class ChangeReport:
    """What a roster change did to the slots."""

    removed: int = 0  # open slots deleted (or blocked, when something refers to them)
    created: int = 0
    untouched: list[Slot] = field(default_factory=list)  # held/booked slots left alone


# --- rules -------------------------------------------------------------------------------

def get_expert(actor: User, expert_id: int) -> ExpertProfile:
    expert = get_or_404(ExpertProfile, expert_id, "Expert")
    policy.authorize(actor, "roster:manage", expert)
    return expert


def list_rules_stmt(actor: User, expert_id: int) -> sa.Select:
    get_expert(actor, expert_id)
    return sa.select(RosterRule).where(RosterRule.expert_id == expert_id).order_by(RosterRule.id)


def get_rule(actor: User, rule_id: int) -> RosterRule:
    rule = get_or_404(RosterRule, rule_id, "Roster rule")
    policy.authorize(actor, "roster:manage", rule.expert)
    return rule


def create_rule(actor: User, expert_id: int, data: dict) -> tuple[RosterRule, ChangeReport]:
    rule = add_rule(actor, get_expert(actor, expert_id), data)
    return rule, ChangeReport(created=mat.materialise_expert(rule.expert))


def add_rule(actor: User | None, expert: ExpertProfile, data: dict, source: str = "api") -> RosterRule:
    """Add a rule without materialising it (bulk import materialises once per expert).
    `actor` None is the command line, which runs with the operator's authority."""
    if actor is not None:
        policy.authorize(actor, "roster:manage", expert)
    rule = RosterRule(expert_id=expert.id, created_by_id=getattr(actor, "id", None), **data)
    check_rule(rule)
    db.session.add(rule)
    db.session.flush()
    audit.record(actor, rule, "roster_rule.created", weekdays=rule.weekdays, source=source)
    return rule


def update_rule(actor: User, rule_id: int, changes: dict) -> tuple[RosterRule, ChangeReport]:
    rule = get_rule(actor, rule_id)
    diff = apply_changes(rule, changes)
    check_rule(rule)
    report = ChangeReport()
    if diff:
        db.session.flush()
        first = now().date() - timedelta(days=1)
        report.removed, report.untouched = _prune_undescribed(
            rule.expert, Slot.rule_id == rule.id, first, mat.horizon_end(first) + timedelta(days=2))
        report.created = mat.materialise_expert(rule.expert)
    audit.record(actor, rule, "roster_rule.updated", changes=diff, slots_removed=report.removed,
                 untouched_slot_ids=[s.id for s in report.untouched])
    _tell_schedulers(rule.expert, "roster_rule.updated", report.untouched)
    return rule, report


def delete_rule(actor: User, rule_id: int) -> ChangeReport:
    rule = get_rule(actor, rule_id)
    removed, kept = _clear_open_slots(Slot.rule_id == rule.id)
    db.session.execute(sa.update(Slot).where(Slot.rule_id == rule.id).values(rule_id=None)
                       .execution_options(synchronize_session=False))
    audit.record(actor, rule, "roster_rule.deleted", slots_removed=removed, untouched_slot_ids=[s.id for s in kept])
    _tell_schedulers(rule.expert, "roster_rule.deleted", kept)
    db.session.delete(rule)
    db.session.flush()
    return ChangeReport(removed=removed, untouched=kept)


def check_rule(rule: RosterRule) -> None:
    if rule.end_time <= rule.start_time:
        raise InvalidInput("end_time", "must be after start_time")
    if rule.valid_to is not None and rule.valid_to < rule.valid_from:
        raise InvalidInput("valid_to", "must be on or after valid_from")
    window = (rule.end_time.hour * 60 + rule.end_time.minute) - (rule.start_time.hour * 60 + rule.start_time.minute)
    if rule.slot_minutes > window:
        raise InvalidInput("slot_minutes", f"the window is only {window} minutes long")
    if not 1 <= rule.weekdays <= 127:
        raise InvalidInput("weekdays", "choose at least one weekday")
    expert = db.session.get(ExpertProfile, rule.expert_id)
    if rule.mode in (SlotMode.remote, SlotMode.both) and not expert.accepts_remote:
        raise InvalidInput("mode", "this expert does not accept remote sessions")
    if rule.mode in (SlotMode.onsite, SlotMode.both) and not expert.accepts_onsite:
        raise InvalidInput("mode", "this expert does not accept on-site sessions")


def _tell_schedulers(expert: ExpertProfile, change: str, untouched: list[Slot]) -> None:
    """Booked slots a roster change could not remove need a person: tell the schedulers
    of the expert's hospital (the change may have been made by the expert)."""
    if not untouched:
        return
    schedulers = db.session.scalars(sa.select(User.id).where(
        User.hospital_id == expert.hospital_id, User.role == Role.scheduler, User.is_active.is_(True))).all()
    notify_many(schedulers, "roster.booked_slots_untouched", {
        "expert_id": expert.id, "change": change,
        "slots": [{"id": s.id, "starts_at": s.starts_at.isoformat(), "status": s.status.name} for s in untouched]})


def _prune_undescribed(expert: ExpertProfile, scope, first, last) -> tuple[int, list[Slot]]:
    """Of the expert's future rule-made slots in `scope` (local days first..last), clear
    the open ones the rules no longer describe and return the held/booked ones in that
    case. Slots still described stay as they are (same id, offers keep pointing at them);
    only their provisional mark follows the calendar."""
    specs = mat.expert_slot_specs(expert, mat.active_rules(expert.id), first, last)
    wanted = {(spec.starts_at, spec.rule.id): spec for spec in specs}
    slots = db.session.scalars(sa.select(Slot).where(
        scope, Slot.expert_id == expert.id, Slot.rule_id.is_not(None), Slot.starts_at >= now())).all()
    stale = []
    for slot in slots:
        spec = wanted.get((slot.starts_at, slot.rule_id))
        if spec is None or spec.ends_at != slot.ends_at or spec.rule.mode is not slot.mode:
            stale.append(slot.id)
        elif slot.is_provisional != spec.provisional:
            slot.is_provisional = spec.provisional
    db.session.flush()
    return _clear_open_slots(Slot.id.in_(stale)) if stale else (0, [])


def _clear_open_slots(condition) -> tuple[int, list[Slot]]:
    """Remove the future open slots matching `condition`: delete those nothing refers to,
    block the others (an old offer or a cancelled booking still points at them). Returns
    (how many, the held/booked slots that were left alone)."""
    future = sa.and_(condition, Slot.starts_at >= now())
    referenced = sa.or_(
        sa.exists().where(Booking.slot_id == Slot.id),
        sa.exists().where(Offer.slot_id == Slot.id),
        sa.exists().where(sa.or_(BookingChange.from_slot_id == Slot.id, BookingChange.to_slot_id == Slot.id)),
    )
    is_open = Slot.status == SlotStatus.open
    blocked = db.session.execute(sa.update(Slot).where(future, is_open, referenced)
                                 .values(status=SlotStatus.blocked, updated_at=now())
                                 .execution_options(synchronize_session=False)).rowcount
    deleted = db.session.execute(sa.delete(Slot).where(future, is_open)
                                 .execution_options(synchronize_session=False)).rowcount
    kept = db.session.scalars(sa.select(Slot).where(
        future, Slot.status.in_([SlotStatus.held, SlotStatus.booked])).order_by(Slot.starts_at)).all()
    return blocked + deleted, list(kept)


# --- exceptions --------------------------------------------------------------------------

def list_exceptions_stmt(actor: User, expert_id: int) -> sa.Select:
    get_expert(actor, expert_id)
    return (sa.select(RosterException).where(RosterException.expert_id == expert_id)
            .order_by(RosterException.starts_at))


def create_exception(actor: User, expert_id: int, data: dict) -> tuple[RosterException, ChangeReport]:
    expert = get_expert(actor, expert_id)
    if data["ends_at"] <= data["starts_at"]:
        raise InvalidInput("ends_at", "must be after starts_at")
    exception = RosterException(expert_id=expert.id, created_by_id=actor.id, **data)
    db.session.add(exception)
    db.session.flush()
    inside = overlaps_clause(Slot.starts_at, Slot.ends_at, exception.starts_at, exception.ends_at)
    removed, kept = _clear_open_slots(sa.and_(Slot.expert_id == expert.id, inside))
    audit.record(actor, exception, "roster_exception.created", kind=exception.kind.name, slots_removed=removed,
                 untouched_slot_ids=[s.id for s in kept])
    _tell_schedulers(expert, "roster_exception.created", kept)
    return exception, ChangeReport(removed=removed, untouched=kept)


def delete_exception(actor: User, exception_id: int) -> ChangeReport:
    exception = get_or_404(RosterException, exception_id, "Roster exception")
    expert = get_expert(actor, exception.expert_id)
    audit.record(actor, exception, "roster_exception.deleted")
    db.session.delete(exception)
    db.session.flush()
    return ChangeReport(created=mat.materialise_expert(expert))  # the period opens again


# --- hospital calendar days ---------------------------------------------------------------

def list_calendar_days_stmt(actor: User, hospital_id: int) -> sa.Select:
    get_or_404(Hospital, hospital_id, "Hospital")
    return (sa.select(HospitalCalendarDay).where(HospitalCalendarDay.hospital_id == hospital_id)
            .order_by(HospitalCalendarDay.day))


def create_calendar_day(actor: User, hospital_id: int, data: dict) -> tuple[HospitalCalendarDay, ChangeReport]:
    """A hospital's own holiday or working day. The slots of that day are redone: open ones
    of a new holiday go, a new working day gets its slots; booked ones are reported."""
    get_or_404(Hospital, hospital_id, "Hospital")
    policy.authorize(actor, "calendar_day:manage", hospital_id)
    exists = sa.select(HospitalCalendarDay.id).where(
        HospitalCalendarDay.hospital_id == hospital_id, HospitalCalendarDay.day == data["day"])
    if db.session.scalar(exists) is not None:
        raise Conflict(f"{data['day']} already has a calendar entry for this hospital; delete it first.")
    day = HospitalCalendarDay(hospital_id=hospital_id, created_by_id=actor.id, **data)
    db.session.add(day)
    db.session.flush()
    report = _redo_hospital_day(hospital_id, day.day)
    audit.record(actor, day, "calendar_day.created", day=day.day.isoformat(), kind=day.kind.name,
                 slots_removed=report.removed, untouched_slot_ids=[s.id for s in report.untouched])
    return day, report


def delete_calendar_day(actor: User, day_id: int) -> ChangeReport:
    day = get_or_404(HospitalCalendarDay, day_id, "Calendar day")
    policy.authorize(actor, "calendar_day:manage", day.hospital_id)
    audit.record(actor, day, "calendar_day.deleted", day=day.day.isoformat())
    hospital_id, date_ = day.hospital_id, day.day
    db.session.delete(day)
    db.session.flush()
    return _redo_hospital_day(hospital_id, date_)


def _redo_hospital_day(hospital_id: int, day) -> ChangeReport:
    report = ChangeReport()
    zone = ZoneInfo(db.session.get(Hospital, hospital_id).timezone)
    start = datetime.combine(day, time(0), zone)
    end = datetime.combine(day + timedelta(days=1), time(0), zone)
    experts = db.session.scalars(sa.select(ExpertProfile).where(ExpertProfile.hospital_id == hospital_id)).all()
    for expert in experts:
        on_that_day = sa.and_(Slot.starts_at >= start, Slot.starts_at < end)
        removed, kept = _prune_undescribed(expert, on_that_day, day, day)
        report.removed += removed
        report.created += mat.materialise_expert(expert)
        report.untouched.extend(kept)
    return report


# --- slots -------------------------------------------------------------------------------

def materialise(actor: User | None, expert_id: int) -> int:
    expert = get_expert(actor, expert_id) if actor else get_or_404(ExpertProfile, expert_id, "Expert")
    created = mat.materialise_expert(expert)
    return created


def materialise_all() -> dict:
    """Every active expert with rules, up to the horizon. Used by the nightly job and the CLI."""
    with_rules = sa.select(RosterRule.expert_id)
    experts = db.session.scalars(sa.select(ExpertProfile).where(
        ExpertProfile.is_active.is_(True), ExpertProfile.id.in_(with_rules)).order_by(ExpertProfile.id)).all()
    return {"experts": len(experts), "slots_created": mat.materialise_experts(experts)}


def set_slot_blocked(actor: User, slot_id: int, blocked: bool) -> Slot:
    slot = get_or_404(Slot, slot_id, "Slot")
    policy.authorize(actor, "slot:block", slot.expert)
    before, after = (SlotStatus.open, SlotStatus.blocked) if blocked else (SlotStatus.blocked, SlotStatus.open)
    if slot.status is not before:
        verb = "block" if blocked else "unblock"
        raise Conflict(f"Slot {slot.id} is {slot.status.name}; only a {before.name} slot can be {verb}ed.")
    changed = db.session.execute(sa.update(Slot).where(Slot.id == slot.id, Slot.status == before)
                                 .values(status=after, updated_at=now())
                                 .execution_options(synchronize_session=False)).rowcount
    if changed != 1:
        raise Conflict(f"Slot {slot.id} changed meanwhile; reload and retry.")
    db.session.refresh(slot)
    audit.record(actor, slot, "slot.blocked" if blocked else "slot.unblocked", from_state=before, to_state=after)
    return slot


def search_slots_stmt(actor: User, args: dict) -> sa.Select:
    """Open slots, soonest first. Filters: specialty code, mode, time window, hospital,
    partnership (its tertiary hospital and its specialties), expert."""
    policy.authorize(actor, "slot:search")
    start = args.get("starts_after") or now()
    end = args.get("starts_before") or start + timedelta(days=mat.horizon_days())
    stmt = (sa.select(Slot).join(Slot.expert).options(contains_eager(Slot.expert))
            .where(Slot.status == SlotStatus.open, Slot.starts_at >= start, Slot.starts_at < end,
                   ExpertProfile.is_active.is_(True))
            .order_by(Slot.starts_at, Slot.id))
    if args.get("mode"):
        stmt = stmt.where(Slot.mode.in_([SlotMode[args["mode"]], SlotMode.both]))
    if args.get("hospital_id"):
        stmt = stmt.where(ExpertProfile.hospital_id == args["hospital_id"])
    if args.get("expert_id"):
        stmt = stmt.where(Slot.expert_id == args["expert_id"])
    specialty_ids = _specialty_filter(actor, args)
    if specialty_ids is not None:
        stmt = stmt.where(sa.exists().where(expert_specialties.c.expert_id == Slot.expert_id,
                                            expert_specialties.c.specialty_id.in_(specialty_ids)))
    if args.get("partnership_id"):
        partnership = directory.get_partnership(actor, args["partnership_id"])
        stmt = stmt.where(ExpertProfile.hospital_id == partnership.tertiary_hospital_id)
    return stmt


def _specialty_filter(actor: User, args: dict) -> list[int] | None:
    ids = None
    if args.get("specialty"):
        ids = [s.id for s in directory.specialties_by_code([args["specialty"]], "specialty")]
    if args.get("partnership_id"):
        covered = {s.id for s in directory.get_partnership(actor, args["partnership_id"]).specialties}
        ids = sorted(covered if ids is None else covered & set(ids))
    return ids


def specialty_by_code(code: str) -> Specialty:
    return directory.specialties_by_code([code], "specialty")[0]


# --- calendar feed tokens ------------------------------------------------------------------

def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def issue_feed_token(actor: User, expert_id: int) -> str:
    """A new feed token for the expert; any older one stops working (rotation)."""
    expert = get_expert(actor, expert_id)
    token = secrets.token_urlsafe(32)
    row = db.session.scalar(sa.select(CalendarFeedToken).where(CalendarFeedToken.expert_id == expert.id))
    if row is None:
        row = CalendarFeedToken(expert_id=expert.id)
        db.session.add(row)
    row.token_hash, row.created_at, row.created_by_id = _hash(token), now(), actor.id
    db.session.flush()
    audit.record(actor, expert, "calendar_feed.issued")
    return token


def revoke_feed_token(actor: User, expert_id: int) -> None:
    expert = get_expert(actor, expert_id)
    deleted = db.session.execute(sa.delete(CalendarFeedToken).where(CalendarFeedToken.expert_id == expert.id)).rowcount
    if deleted:
        audit.record(actor, expert, "calendar_feed.revoked")


def expert_for_feed_token(token: str) -> ExpertProfile | None:
    row = db.session.scalar(sa.select(CalendarFeedToken).where(CalendarFeedToken.token_hash == _hash(token)))
    expert = db.session.get(ExpertProfile, row.expert_id) if row else None
    # The token is a credential of the expert's account: it dies with the account.
    return expert if expert is not None and expert.user.is_active else None
