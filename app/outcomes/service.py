"""Outcomes: what each session concluded, the two sides' ratings, and referrals up to the
city and back down to the county. An outcome is amended with history: every change to
recorded content keeps the previous version as an OutcomeRevision."""

from __future__ import annotations

import sqlalchemy as sa

from app.accounts import policy
from app.accounts.models import Role, User
from app.bookings.models import Booking, BookingStatus
from app.consults.models import ConsultationRequest
from app.core import audit
from app.core.clock import now
from app.core.repo import get_or_404
from app.directory.models import ExpertProfile, Hospital, Tier
from app.errors import Conflict, InvalidInput, NotFound
from app.extensions import db
from app.notifications.service import notify
from app.outcomes.models import (
    Outcome,
    OutcomeRevision,
    Referral,
    ReferralDirection,
    ReferralStatus,
)

# The content a revision snapshots: everything either side recorded.
SNAPSHOT_FIELDS = ("advice", "disposition", "diagnosis_text", "icd10_code", "duration_minutes",
                   "preparation_rating", "recorded_by_id", "confirmed_by_id", "confirmed_at",
                   "requester_rating", "requester_comment")

# Bookings whose session has happened (or is under way) and can carry an outcome.
SESSION_HELD = (BookingStatus.in_progress, BookingStatus.completed)
# Bookings that should get an outcome once their end has passed.
OUTCOME_EXPECTED = (BookingStatus.scheduled, BookingStatus.in_progress, BookingStatus.completed)

REFERRAL_TRANSITIONS = {
    ReferralStatus.proposed: {ReferralStatus.accepted, ReferralStatus.declined, ReferralStatus.cancelled},
    ReferralStatus.accepted: {ReferralStatus.completed, ReferralStatus.cancelled},
}


# --- outcomes ----------------------------------------------------------------------------

def record_outcome(actor: User, booking_id: int, data: dict) -> Outcome:
    booking = get_or_404(Booking, booking_id, "Booking")
    policy.authorize(actor, "outcome:record", booking)
    _check_session_held(booking)
    if outcome_of(booking.id) is not None:
        raise Conflict(f"Booking {booking.id} already has an outcome; amend it (PATCH) instead.")
    outcome = Outcome(booking_id=booking.id, recorded_by_id=actor.id, version=1, **data)
    db.session.add(outcome)
    db.session.flush()
    audit.record(actor, outcome, "outcome.recorded", to_state=outcome.disposition,
                 booking_id=booking.id)
    notify(booking.request.requester_id, "outcome.recorded", _payload(outcome))
    return outcome


def _check_session_held(booking: Booking) -> None:
    """An outcome follows a session: completed, under way, or scheduled and already started
    (the consult flow may not have marked it in progress yet)."""
    started = booking.status is BookingStatus.scheduled and booking.starts_at <= now()
    if booking.status not in SESSION_HELD and not started:
        raise Conflict(f"Booking {booking.id} is {booking.status.name}: an outcome can be recorded "
                       "only once the session has started.")


def outcome_of(booking_id: int) -> Outcome | None:
    return db.session.scalar(sa.select(Outcome).where(Outcome.booking_id == booking_id))


def get_outcome_for_booking(actor: User, booking_id: int) -> Outcome:
    booking = get_or_404(Booking, booking_id, "Booking")
    policy.authorize(actor, "outcome:read", booking)
    outcome = outcome_of(booking.id)
    if outcome is None:
        raise NotFound(f"Booking {booking.id} has no outcome yet.")
    return outcome


def get_outcome(actor: User, outcome_id: int) -> Outcome:
    outcome = get_or_404(Outcome, outcome_id, "Outcome")
    policy.authorize(actor, "outcome:read", outcome.booking)
    return outcome


def amend_outcome(actor: User, outcome_id: int, changes: dict) -> Outcome:
    outcome = get_or_404(Outcome, outcome_id, "Outcome")
    policy.authorize(actor, "outcome:record", outcome.booking)
    changes = dict(changes)
    reason = changes.pop("reason")
    diff = {k: v for k, v in changes.items() if getattr(outcome, k) != v}
    if not diff:
        raise InvalidInput("reason", "nothing to amend: every given field already has that value")
    _revise(outcome, actor, reason, diff)
    notify(outcome.booking.request.requester_id, "outcome.amended", _payload(outcome))
    return outcome


def confirm_outcome(actor: User, outcome_id: int, data: dict) -> Outcome:
    """The requesting side confirms and rates the consultation; a second confirmation
    (a changed rating) is an amendment and keeps the first as a revision."""
    outcome = get_or_404(Outcome, outcome_id, "Outcome")
    policy.authorize(actor, "outcome:confirm", outcome.booking)
    changes = {"confirmed_by_id": actor.id, "confirmed_at": now(),
               "requester_rating": data["rating"], "requester_comment": data.get("comment")}
    if outcome.confirmed_at is None:
        _apply(outcome, changes)
        audit.record(actor, outcome, "outcome.confirmed", rating=data["rating"], version=outcome.version)
    else:
        _revise(outcome, actor, "confirmation changed", changes)
    notify(outcome.booking.expert.user_id, "outcome.confirmed", _payload(outcome))
    return outcome


def _revise(outcome: Outcome, actor: User, reason: str, changes: dict) -> None:
    """Keep the current version as a revision, then apply the changes as the next one."""
    db.session.add(OutcomeRevision(outcome_id=outcome.id, version=outcome.version, snapshot=_snapshot(outcome),
                                   changed_by_id=actor.id, reason=reason, created_at=now()))
    before = outcome.version
    _apply(outcome, changes)
    outcome.version = before + 1
    db.session.flush()
    audit.record(actor, outcome, "outcome.amended", from_state=str(before), to_state=str(outcome.version),
                 reason=reason, fields=sorted(changes))


def _apply(outcome: Outcome, changes: dict) -> None:
    for name, value in changes.items():
        setattr(outcome, name, value)
    db.session.flush()


def _snapshot(outcome: Outcome) -> dict:
    out = {}
    for name in SNAPSHOT_FIELDS:
        value = getattr(outcome, name)
        out[name] = value.isoformat() if hasattr(value, "isoformat") else getattr(value, "name", value)
    return out


def revisions(actor: User, outcome_id: int) -> list[OutcomeRevision]:
    outcome = get_outcome(actor, outcome_id)
    return list(db.session.scalars(sa.select(OutcomeRevision).where(OutcomeRevision.outcome_id == outcome.id)
                                   .order_by(OutcomeRevision.version)))


def _payload(outcome: Outcome) -> dict:
    return {"outcome_id": outcome.id, "booking_id": outcome.booking_id, "version": outcome.version,
            "disposition": outcome.disposition.name}


# --- sessions past their end without an outcome ------------------------------------------

def overdue_sessions_stmt(actor: User, args: dict) -> sa.Select:
    """Sessions whose end has passed with no outcome, for the schedulers of either side."""
    hospital_id = args.get("hospital_id") if actor.role is Role.admin else actor.hospital_id
    if actor.role is not Role.admin:
        policy.authorize(actor, "outcome:list_overdue", actor.hospital_id)
    stmt = (sa.select(Booking)
            .join(ConsultationRequest, ConsultationRequest.id == Booking.request_id)
            .join(ExpertProfile, ExpertProfile.id == Booking.expert_id)
            .where(Booking.status.in_(OUTCOME_EXPECTED), Booking.ends_at <= now(),
                   ~sa.exists().where(Outcome.booking_id == Booking.id))
            .order_by(Booking.ends_at, Booking.id))
    if hospital_id is not None:
        stmt = stmt.where(sa.or_(ConsultationRequest.hospital_id == hospital_id,
                                 ExpertProfile.hospital_id == hospital_id))
    return stmt


# --- referrals ---------------------------------------------------------------------------

def refer(actor: User, outcome_id: int, data: dict) -> Referral:
    """Record a referral up (county → tertiary) or down (patient returned to the county)."""
    outcome = get_or_404(Outcome, outcome_id, "Outcome")
    booking = outcome.booking
    policy.authorize(actor, "referral:write", booking)
    county = booking.request.hospital_id
    up = data["direction"] is ReferralDirection.up
    field = "to_hospital_id" if up else "from_hospital_id"
    tertiary = _tertiary(data.get(field) or booking.expert.hospital_id, field)
    referral = Referral(request_id=booking.request_id, outcome_id=outcome.id, direction=data["direction"],
                        from_hospital_id=county if up else tertiary, to_hospital_id=tertiary if up else county,
                        status=ReferralStatus.proposed, note=data.get("note"), recorded_by_id=actor.id,
                        details=data.get("details") or {})
    db.session.add(referral)
    db.session.flush()
    audit.record(actor, referral, f"referral.{referral.direction.name}", to_state=referral.status,
                 from_hospital_id=referral.from_hospital_id, to_hospital_id=referral.to_hospital_id)
    _notify_referral(actor, referral, booking)
    return referral


def _tertiary(hospital_id: int, field: str) -> int:
    hospital = db.session.get(Hospital, hospital_id)
    if hospital is None or hospital.tier is not Tier.tertiary:
        raise InvalidInput(field, f"hospital {hospital_id} is not a tertiary hospital")
    return hospital.id


def set_referral_status(actor: User, referral_id: int, data: dict) -> Referral:
    referral = get_or_404(Referral, referral_id, "Referral")
    booking = _booking_of(referral)
    policy.authorize(actor, "referral:write", booking)
    target, before = data["status"], referral.status
    if target not in REFERRAL_TRANSITIONS.get(before, set()):
        raise Conflict(f"Referral {referral.id} is {before.name}; it cannot become {target.name}.")
    referral.status = target
    if data.get("note"):
        referral.note = data["note"]
    db.session.flush()
    audit.record(actor, referral, "referral.status_changed", from_state=before, to_state=target)
    _notify_referral(actor, referral, booking)
    return referral


def _booking_of(referral: Referral) -> Booking:
    if referral.outcome_id is not None:
        return db.session.get(Outcome, referral.outcome_id).booking
    booking = db.session.scalar(sa.select(Booking).where(Booking.request_id == referral.request_id)
                                .order_by(Booking.id.desc()))
    if booking is None:
        raise NotFound(f"Referral {referral.id} has no session to check permissions against.")
    return booking


def _notify_referral(actor: User, referral: Referral, booking: Booking) -> None:
    payload = {"referral_id": referral.id, "direction": referral.direction.name,
               "status": referral.status.name, "request_id": referral.request_id}
    for user_id in {booking.request.requester_id, booking.expert.user_id} - {actor.id}:
        notify(user_id, "referral.updated", payload)


def referrals_for(actor: User, outcome_id: int) -> list[Referral]:
    outcome = get_outcome(actor, outcome_id)
    return list(db.session.scalars(sa.select(Referral).where(Referral.outcome_id == outcome.id)
                                   .order_by(Referral.id)))
