"""Time-driven sweeps of bookings: reminders before sessions, and sessions past their end
without an outcome. Both derive from database state and claim their work with one
conditional write, so a late, repeated or concurrent run never sends anything twice."""

from __future__ import annotations

from datetime import timedelta

import sqlalchemy as sa
from flask import current_app
from sqlalchemy.dialects import postgresql, sqlite

from app.accounts.models import Role, User
from app.bookings.models import Booking, BookingStatus, SentReminder
from app.core import audit
from app.core.clock import now
from app.extensions import db
from app.notifications.service import notify, notify_many
from app.outcomes.models import Outcome
from app.outcomes.service import OUTCOME_EXPECTED


def reminder_kind(minutes: int) -> str:
    return f"before_{minutes}m"


def send_due_reminders() -> dict:
    """Remind both sides of each scheduled session whose reminder time has come.

    Catches up after downtime: every reminder whose time has passed while the session has
    not started is due. When several are due at once (a restart, a late booking) the
    participants get one message, the nearest, and all of them are recorded as sent.
    """
    at = now()
    offsets = sorted(set(current_app.config["REMINDER_OFFSETS_MINUTES"]))
    if not offsets:
        return {"reminded": 0}
    reminded = 0
    for booking in db.session.scalars(_due_bookings_stmt(at, offsets)):
        due = [m for m in offsets if booking.starts_at - timedelta(minutes=m) <= at]
        claimed = [m for m in due if _claim(booking.id, reminder_kind(m), at)]
        if claimed:
            _remind(booking, min(claimed), at)
            reminded += 1
    db.session.commit()
    return {"reminded": reminded}


def _due_bookings_stmt(at, offsets: list[int]) -> sa.Select:
    # Sessions not started, inside the widest reminder horizon, still missing the last one.
    nearest_sent = sa.exists().where(SentReminder.booking_id == Booking.id,
                                     SentReminder.kind == reminder_kind(offsets[0]))
    return (sa.select(Booking)
            .where(Booking.status == BookingStatus.scheduled, Booking.starts_at > at,
                   Booking.starts_at <= at + timedelta(minutes=offsets[-1]), ~nearest_sent)
            .order_by(Booking.starts_at, Booking.id))


def _claim(booking_id: int, kind: str, at) -> bool:
    """Insert-first: the unique (booking_id, kind) decides who sends. A concurrent sweep
    waits on the row until the first commits, then inserts nothing."""
    dialect = db.session.get_bind().dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    stmt = (insert(SentReminder).values(booking_id=booking_id, kind=kind, sent_at=at)
            .on_conflict_do_nothing(index_elements=["booking_id", "kind"])
            .returning(SentReminder.id))
    return db.session.execute(stmt).first() is not None


def _remind(booking: Booking, minutes: int, at) -> None:
    payload = {
        "booking_id": booking.id,
        "starts_at": booking.starts_at.isoformat(),
        "minutes_before": minutes,
        "minutes_left": int((booking.starts_at - at).total_seconds() // 60),
        "mode": booking.mode.name,
        "video_url": booking.video_url,
        "location": booking.location,
    }
    notify_many([booking.expert.user_id, booking.request.requester_id], "booking.reminder", payload)


def flag_overdue_sessions() -> dict:
    """Sessions past their end (plus a grace period) without an outcome: flag each once,
    remind the expert to write it, and tell the schedulers of both hospitals."""
    at = now()
    cutoff = at - timedelta(minutes=current_app.config["OVERDUE_GRACE_MINUTES"])
    has_outcome = sa.exists().where(Outcome.booking_id == Booking.id)
    stmt = (sa.select(Booking)
            .where(Booking.status.in_(OUTCOME_EXPECTED),
                   Booking.ends_at <= cutoff, Booking.overdue_flagged_at.is_(None), ~has_outcome)
            .order_by(Booking.ends_at, Booking.id))
    flagged = 0
    for booking in db.session.scalars(stmt).all():
        if _flag(booking, at):
            flagged += 1
    db.session.commit()
    return {"flagged": flagged}


def _flag(booking: Booking, at) -> bool:
    # Conditional update: of two concurrent sweeps, one changes the row, the other none.
    won = db.session.execute(
        sa.update(Booking).where(Booking.id == booking.id, Booking.overdue_flagged_at.is_(None))
        .values(overdue_flagged_at=at).execution_options(synchronize_session=False)).rowcount == 1
    if not won:
        return False
    audit.record(None, booking, "booking.flagged_overdue", from_state=booking.status,
                 to_state=booking.status, ended_at=booking.ends_at.isoformat())
    payload = {"booking_id": booking.id, "status": booking.status.name,
               "ends_at": booking.ends_at.isoformat(), "request_id": booking.request_id}
    notify(booking.expert.user_id, "outcome.due", payload)
    notify_many(_schedulers_of(booking), "booking.overdue_without_outcome", payload)
    return True


def _schedulers_of(booking: Booking) -> list[int]:
    hospitals = {booking.expert.hospital_id, booking.request.hospital_id}
    return list(db.session.scalars(
        sa.select(User.id).where(User.role == Role.scheduler, User.is_active,
                                 User.hospital_id.in_(hospitals)).order_by(User.id)))


JOBS = [
    ("bookings.send_due_reminders", send_due_reminders, {"trigger": "interval", "seconds": 60}),
    ("bookings.flag_overdue_sessions", flag_overdue_sessions, {"trigger": "interval", "minutes": 5}),
]
