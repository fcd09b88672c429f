"""Time-driven work of the outcomes domain."""

from __future__ import annotations

from datetime import timedelta

import sqlalchemy as sa
from flask import current_app

from app.bookings.models import Booking
from app.core import audit
from app.core.audit import AuditEvent
from app.core.clock import now
from app.extensions import db
from app.notifications.service import notify
from app.outcomes.models import Outcome
from app.outcomes.service import OUTCOME_EXPECTED

FLAGGED = "outcome.due_flagged"
BATCH = 500
# Any constant: serialises concurrent sweeps on PostgreSQL (SQLite's BEGIN IMMEDIATE already does).
_LOCK_KEY = 0x0C7C0E


def flag_overdue_outcomes() -> dict:
    """Remind the expert, once per session, that a session ended without an outcome. The
    audit event is the memory of "already reminded", so reruns and restarts do no harm."""
    if db.session.get_bind().dialect.name == "postgresql":
        db.session.execute(sa.text("SELECT pg_advisory_xact_lock(:k)"), {"k": _LOCK_KEY})
    cutoff = now() - timedelta(minutes=current_app.config["OUTCOME_DUE_GRACE_MINUTES"])
    flagged = sa.select(AuditEvent.id).where(AuditEvent.entity_type == "bookings", AuditEvent.action == FLAGGED,
                                             AuditEvent.entity_id == Booking.id)
    due = db.session.scalars(
        sa.select(Booking).where(Booking.status.in_(OUTCOME_EXPECTED), Booking.ends_at <= cutoff,
                                 ~sa.exists().where(Outcome.booking_id == Booking.id), ~flagged.exists())
        .order_by(Booking.id).limit(BATCH)).all()
    for booking in due:
        audit.record(None, booking, FLAGGED, ended_at=booking.ends_at.isoformat())
        notify(booking.expert.user_id, "outcome.due", {"booking_id": booking.id, "request_id": booking.request_id})
    db.session.commit()
    return {"flagged": len(due)}


JOBS = [("outcomes.flag_overdue", flag_overdue_outcomes, {"trigger": "interval", "minutes": 5})]
