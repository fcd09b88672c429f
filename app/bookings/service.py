"""Bookings: made from an accepted offer, then run, cancelled or rescheduled; never deleted.
The one function that knows the booking's transitions is `_move`.

Double booking is prevented three times over: the slot is claimed with one conditional
UPDATE (rosters.slots.claim_slot), a live booking of the expert overlapping in time is
refused here, and on PostgreSQL the exclusion constraint refuses it in the database."""

from __future__ import annotations

import secrets
from datetime import timedelta

import sqlalchemy as sa
from flask import current_app
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import selectinload

from app.accounts import policy
from app.accounts.models import Role, User
from app.bookings.models import Booking, BookingChange, BookingStatus, NoShowSide, OutCall, SessionMode
from app.consults import access
from app.consults import service as consults
from app.consults.models import ConsultationRequest, RequestStatus
from app.core import audit
from app.core.audit import AuditEvent
from app.core.clock import now
from app.core.intervals import overlaps_clause
from app.core.repo import get_or_404
from app.directory.models import ExpertProfile, Hospital
from app.errors import Conflict, Forbidden, InvalidInput
from app.extensions import db
from app.matching import candidates as cands
from app.matching import scoring
from app.notifications.service import notify_many
from app.rosters import slots as roster_slots
from app.rosters.models import Slot

B = BookingStatus
TRANSITIONS = {
    B.scheduled: {B.in_progress, B.cancelled, B.no_show},
    B.in_progress: {B.completed},
}
LIVE = cands.LIVE


def claim(slot_id: int) -> bool:
    return roster_slots.claim_slot(slot_id)


# --- the booking state machine -------------------------------------------------------------

def _move(booking: Booking, to: BookingStatus, actor: User | None, action: str, **data) -> None:
    current = booking.status
    if to not in TRANSITIONS.get(current, set()):
        allowed = ", ".join(sorted(s.name for s in TRANSITIONS.get(current, ()))) or "none, it is final"
        raise Conflict(f"Booking {booking.id} is {current.name}; it cannot become {to.name} (allowed: {allowed}).")
    booking.status = to
    db.session.flush()
    audit.record(actor, booking, action, from_state=current, to_state=to, **data)
    _notify(booking, action, **data)


def _notify(booking: Booking, type_: str, **extra) -> None:
    request = booking.request
    payload = {"booking_id": booking.id, "request_id": booking.request_id, "slot_id": booking.slot_id,
               "status": booking.status.name, "mode": booking.mode.name, "starts_at": booking.starts_at.isoformat(),
               "ends_at": booking.ends_at.isoformat(), "patient_ref": request.patient_ref,
               "at": now().isoformat(), **extra}
    notify_many([request.requester_id, booking.expert.user_id], type_, payload)


def _access(booking: Booking):
    return access.for_expert(booking.request, booking.expert)


def _load(actor: User, booking_id: int, action: str | None):
    """The booking, authorised, with its request locked and both freshly read (so two
    concurrent changes of one booking run one after the other, never on stale state)."""
    from app.matching import service as matching

    booking = get_or_404(Booking, booking_id, "Booking")
    if action is not None:
        policy.authorize(actor, action, _access(booking))
    request = matching.lock_request(booking.request_id)
    db.session.refresh(booking)
    return booking, request


# --- booking from an offer -----------------------------------------------------------------

def book_from_offer(offer, request: ConsultationRequest, actor: User) -> Booking:
    """The slot is already claimed by the caller; make the booking on it."""
    slot, expert = offer.slot, offer.expert
    mode = cands.session_mode(request.preferred_mode, slot.mode, expert.accepts_remote, expert.accepts_onsite)
    if mode is None:
        raise Conflict(f"Slot {slot.id} no longer fits a {request.preferred_mode.name} request.")
    booking = _insert(Booking(request_id=request.id, expert_id=expert.id, slot_id=slot.id, offer_id=offer.id,
                              mode=SessionMode[mode], starts_at=slot.starts_at, ends_at=slot.ends_at,
                              status=B.scheduled), request, expert)
    _place(booking, request, actor)
    _history(booking, "booked", actor, to_slot=slot)
    audit.record(actor, booking, "booking.confirmed", to_state=B.scheduled, request_id=request.id,
                 offer_id=offer.id, slot_id=slot.id, mode=mode)
    _notify(booking, "booking.confirmed")
    return booking


def _insert(booking: Booking, request, expert) -> Booking:
    _lock_expert(expert.id)
    _check_free(expert, booking.starts_at, booking.ends_at, booking.id)
    _check_cap(expert, booking.starts_at, booking.id)
    try:
        with db.session.begin_nested():
            db.session.add(booking)
            db.session.flush()
    except IntegrityError as exc:  # the exclusion constraint or a unique index: a rival won
        raise Conflict(f"{expert.user.display_name} is already booked at that time, or request {request.id}"
                       " already has a booking; this one was refused.") from exc
    return booking


def _lock_expert(expert_id: int) -> None:
    """Serialise bookings of one expert. Without it, concurrent inserts of overlapping
    bookings deadlock inside PostgreSQL's exclusion constraint (each waits for the other's
    uncommitted row); with it, the later one sees the winner and gets a clean 409. NO KEY
    UPDATE, so rows that merely reference the expert (slots, offers) are not blocked.
    SQLite needs nothing: BEGIN IMMEDIATE already serialises writers."""
    db.session.execute(sa.select(ExpertProfile.id).where(ExpertProfile.id == expert_id)
                       .with_for_update(key_share=True))


def _check_free(expert, starts_at, ends_at, booking_id=None) -> None:
    stmt = sa.select(Booking.id).where(Booking.expert_id == expert.id, Booking.status.in_(LIVE),
                                       overlaps_clause(Booking.starts_at, Booking.ends_at, starts_at, ends_at))
    if booking_id is not None:
        stmt = stmt.where(Booking.id != booking_id)
    if db.session.scalar(stmt.limit(1)) is not None:
        raise Conflict(f"{expert.user.display_name} already has a session overlapping"
                       f" {starts_at.isoformat()}–{ends_at.isoformat()}.")


def _check_cap(expert, starts_at, booking_id=None) -> None:
    tz = expert.hospital.timezone
    day = cands.local_day(starts_at, tz)
    stmt = sa.select(Booking.starts_at).where(
        Booking.expert_id == expert.id, Booking.status.in_(LIVE),
        Booking.starts_at >= starts_at - timedelta(days=1), Booking.starts_at < starts_at + timedelta(days=1))
    if booking_id is not None:
        stmt = stmt.where(Booking.id != booking_id)
    same_day = sum(1 for s in db.session.scalars(stmt) if cands.local_day(s, tz) == day)
    if same_day >= expert.daily_cap:
        raise Conflict(f"{expert.user.display_name} reached the daily cap of {expert.daily_cap} consultations"
                       f" on {day.isoformat()}.")


def _place(booking: Booking, request, actor) -> None:
    """Remote: a video room with an unguessable name. On-site: the expert's out-call to that
    county hospital on that day, with the travel time around the session blocked."""
    cfg = current_app.config
    if booking.mode is SessionMode.remote:
        room = cfg["VIDEO_ROOM_PREFIX"] + secrets.token_urlsafe(24)
        booking.video_url = f"{cfg['VIDEO_BASE_URL'].rstrip('/')}/{room}"
        booking.location = None
        booking.out_call_id = None
        return
    county = db.session.get(Hospital, request.hospital_id)
    travel = scoring.travel_minutes(booking.expert.hospital, county, cfg["TRAVEL_SPEED_KMH"], cfg["TRAVEL_MATRIX"])
    booking.out_call_id = _out_call(booking, county, travel).id
    booking.location = county.address or county.name
    booking.video_url = None
    margin = timedelta(minutes=travel)
    blocked = roster_slots.block_open_slots(booking.expert_id, booking.starts_at - margin,
                                            booking.ends_at + margin, keep_slot_id=booking.slot_id)
    db.session.flush()
    audit.record(actor, booking, "booking.travel_blocked", slot_ids=blocked, travel_minutes=travel)


def _out_call(booking: Booking, county: Hospital, travel: int) -> OutCall:
    day = cands.local_day(booking.starts_at, county.timezone)
    key = dict(expert_id=booking.expert_id, hospital_id=county.id, day=day)
    found = db.session.scalar(sa.select(OutCall).filter_by(**key))
    if found is not None:
        return found
    try:
        with db.session.begin_nested():
            out_call = OutCall(**key, travel_minutes=travel)
            db.session.add(out_call)
            db.session.flush()
    except IntegrityError:  # created by a concurrent booking of the same trip
        return db.session.scalar(sa.select(OutCall).filter_by(**key))
    return out_call


def _release_travel(booking: Booking) -> None:
    """Open again the slots blocked for this booking's travel (as recorded when booked)."""
    events = db.session.scalars(sa.select(AuditEvent).where(
        AuditEvent.entity_type == "bookings", AuditEvent.entity_id == booking.id,
        AuditEvent.action == "booking.travel_blocked"))
    roster_slots.unblock_slots([sid for e in events for sid in e.data.get("slot_ids", [])])


def _history(booking: Booking, kind: str, actor, *, from_slot: Slot | None = None, to_slot: Slot | None = None,
             reason: str | None = None) -> None:
    db.session.add(BookingChange(
        booking_id=booking.id, kind=kind, reason=reason, actor_id=getattr(actor, "id", None), created_at=now(),
        from_slot_id=getattr(from_slot, "id", None), to_slot_id=getattr(to_slot, "id", None),
        from_starts_at=getattr(from_slot, "starts_at", None), to_starts_at=getattr(to_slot, "starts_at", None)))


# --- reading -------------------------------------------------------------------------------

def get_booking(actor: User, booking_id: int) -> Booking:
    booking = get_or_404(Booking, booking_id, "Booking")
    policy.authorize(actor, "booking:read", _access(booking))
    return booking


def video_url_for(actor: User, booking: Booking) -> str | None:
    """The room link for the session's participants; others (schedulers, admins) see None."""
    return booking.video_url if policy.may(actor, "booking:join", _access(booking)) else None


def list_bookings_stmt(actor: User, args: dict) -> sa.Select:
    # Each row's output reads its expert and request (name, who may join the room): load them
    # with the page rather than one query per booking.
    stmt = access.visible_to(actor, sa.select(Booking).order_by(Booking.starts_at)
                             .options(selectinload(Booking.expert), selectinload(Booking.request)),
                             Booking.expert_id, Booking.request_id)
    for key, col in (("status", Booking.status), ("request_id", Booking.request_id)):
        if args.get(key) is not None:
            stmt = stmt.where(col == args[key])
    return stmt


def history(actor: User, booking_id: int) -> list[BookingChange]:
    get_booking(actor, booking_id)
    return list(db.session.scalars(sa.select(BookingChange).where(BookingChange.booking_id == booking_id)
                                   .order_by(BookingChange.id)))


# --- cancelling and rescheduling -----------------------------------------------------------

def _cancel(booking: Booking, actor, reason: str, kind: str = "cancelled") -> None:
    _move(booking, B.cancelled, actor, "booking.cancelled", reason=reason, kind=kind)
    booking.cancel_reason = reason
    booking.cancelled_by_id = getattr(actor, "id", None)
    roster_slots.release_slot(booking.slot_id)
    _release_travel(booking)
    _history(booking, kind, actor, from_slot=booking.slot, reason=reason)


def cancel_live_booking_of(request: ConsultationRequest, actor, reason: str) -> None:
    """Used when the whole request is cancelled."""
    booking = db.session.scalar(sa.select(Booking).where(Booking.request_id == request.id, Booking.status.in_(LIVE)))
    if booking is None:
        return
    if booking.status is not B.scheduled:
        raise Conflict(f"Request {request.id} has a session that is already {booking.status.name}; it cannot be"
                       " cancelled any more.")
    _cancel(booking, actor, reason)


def cancel_booking(actor: User, booking_id: int, reason: str) -> Booking:
    """The requesting side cancelling ends the request; the serving side cancelling sends
    the request back to matching to find someone else."""
    from app.matching import service as matching

    booking, request = _load(actor, booking_id, "booking:cancel")
    acc = _access(booking)
    _cancel(booking, actor, reason)
    if policy.may(actor, "request:cancel", acc) and actor.role is not Role.expert:
        request.cancel_reason = reason
        consults.transition(request, RequestStatus.cancelled, actor, "request.cancelled", reason=reason)
    else:
        consults.transition(request, RequestStatus.matching, actor, "request.matching", reason=reason)
        matching.refill(request, actor)
    return booking


def reschedule(actor: User, booking_id: int, to_slot_id: int | None, reason: str) -> Booking:
    """To another open slot of the same expert, or (no slot) back to matching."""
    from app.matching import service as matching

    booking, request = _load(actor, booking_id, "booking:reschedule")
    if booking.status is not B.scheduled:
        raise Conflict(f"Booking {booking.id} is {booking.status.name}; only scheduled sessions can be rescheduled.")
    if to_slot_id is None:
        _cancel(booking, actor, reason, kind="returned_to_matching")
        consults.transition(request, RequestStatus.matching, actor, "request.matching", reason=reason)
        matching.refill(request, actor)
        return booking
    return _move_to_slot(booking, request, get_or_404(Slot, to_slot_id, "Slot"), actor, reason)


def _move_to_slot(booking: Booking, request, slot: Slot, actor, reason: str) -> Booking:
    if slot.expert_id != booking.expert_id:
        raise InvalidInput("slot_id", "a booking moves only to another slot of the same expert;"
                           " reschedule without a slot to match again")
    expert = booking.expert
    mode = cands.session_mode(request.preferred_mode, slot.mode, expert.accepts_remote, expert.accepts_onsite)
    if mode is None:
        raise InvalidInput("slot_id", f"the slot's mode does not fit a {request.preferred_mode.name} request")
    if not roster_slots.claim_slot(slot.id):
        raise Conflict(f"Slot {slot.id} is not open (someone booked or blocked it); pick another.")
    old = booking.slot
    roster_slots.release_slot(old.id)
    _release_travel(booking)
    booking.slot_id, booking.starts_at, booking.ends_at = slot.id, slot.starts_at, slot.ends_at
    booking.mode = SessionMode[mode]
    db.session.flush()
    _check_free(expert, slot.starts_at, slot.ends_at, booking.id)
    _check_cap(expert, slot.starts_at, booking.id)
    db.session.refresh(booking, ["slot"])
    _place(booking, request, actor)
    _history(booking, "rescheduled", actor, from_slot=old, to_slot=slot, reason=reason)
    audit.record(actor, booking, "booking.rescheduled", from_slot_id=old.id, to_slot_id=slot.id, reason=reason)
    _notify(booking, "booking.rescheduled", from_starts_at=old.starts_at.isoformat(), reason=reason)
    return booking


# --- running the session -------------------------------------------------------------------

def start_session(actor: User, booking_id: int) -> Booking:
    booking, _request = _load(actor, booking_id, "booking:run")
    early = timedelta(minutes=current_app.config["BOOKING_START_EARLY_MINUTES"])
    if booking.status is B.scheduled and not (booking.starts_at - early <= now() < booking.ends_at):
        raise Conflict(f"Booking {booking.id} can start from {(booking.starts_at - early).isoformat()} until"
                       f" {booking.ends_at.isoformat()}; it is {now().isoformat()}.")
    _move(booking, B.in_progress, actor, "booking.started")
    booking.started_at = now()
    return booking


def complete_session(actor: User, booking_id: int) -> Booking:

    booking, request = _load(actor, booking_id, "booking:run")
    _move(booking, B.completed, actor, "booking.completed")
    booking.ended_at = now()
    consults.transition(request, RequestStatus.completed, actor, "request.completed", booking_id=booking.id)
    return booking


def mark_no_show(actor: User, booking_id: int, side: NoShowSide) -> Booking:
    """Who did not come. The expert missing: match again. The patient missing: the request ends."""
    from app.matching import service as matching

    booking, request = _load(actor, booking_id, None)
    if not policy.may(actor, f"booking:no_show_{side.name}", _access(booking)):
        raise Forbidden(f"A {actor.role.name} may not report that the {side.name} did not come.")
    grace = timedelta(minutes=current_app.config["BOOKING_NO_SHOW_GRACE_MINUTES"])
    if booking.status is B.scheduled and now() < booking.starts_at + grace:
        raise Conflict(f"A no-show can be reported from {(booking.starts_at + grace).isoformat()};"
                       f" it is {now().isoformat()}.")
    _move(booking, B.no_show, actor, "booking.no_show", side=side.name)
    booking.no_show_side = side
    if side is NoShowSide.expert:
        consults.transition(request, RequestStatus.matching, actor, "request.matching", reason="expert no-show")
        matching.refill(request, actor)
    else:
        request.cancel_reason = "the patient did not attend"
        consults.transition(request, RequestStatus.cancelled, actor, "request.cancelled", reason="requester no-show")
    return booking
