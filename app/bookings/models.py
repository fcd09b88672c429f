from __future__ import annotations

import enum
from datetime import date, datetime

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import ExcludeConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.core.db import TimestampMixin, enum_type
from app.extensions import db


class SessionMode(enum.Enum):
    remote = "remote"
    onsite = "onsite"


class BookingStatus(enum.Enum):
    scheduled = "scheduled"
    in_progress = "in_progress"
    completed = "completed"
    no_show = "no_show"
    cancelled = "cancelled"


class NoShowSide(enum.Enum):
    expert = "expert"
    requester = "requester"


class OutCallStatus(enum.Enum):
    planned = "planned"
    done = "done"
    cancelled = "cancelled"


# A booking in one of these states holds its slot and its expert's time.
LIVE_BOOKING_SQL = "status IN ('scheduled', 'in_progress', 'completed')"


class OutCall(TimestampMixin, db.Model):
    """An expert's trip to one county hospital on one day, grouping its on-site bookings."""

    __tablename__ = "out_calls"

    id: Mapped[int] = mapped_column(primary_key=True)
    expert_id: Mapped[int] = mapped_column(sa.ForeignKey("expert_profiles.id"))
    hospital_id: Mapped[int] = mapped_column(sa.ForeignKey("hospitals.id"), index=True)
    day: Mapped[date]
    travel_minutes: Mapped[int] = mapped_column(default=0)
    status: Mapped[OutCallStatus] = mapped_column(enum_type(OutCallStatus), default=OutCallStatus.planned)

    __table_args__ = (sa.UniqueConstraint("expert_id", "hospital_id", "day"),)


class Booking(TimestampMixin, db.Model):
    """The confirmed session. Never deleted: cancelled and rescheduled bookings keep their
    history."""

    __tablename__ = "bookings"

    id: Mapped[int] = mapped_column(primary_key=True)
    request_id: Mapped[int] = mapped_column(sa.ForeignKey("consultation_requests.id"))
    expert_id: Mapped[int] = mapped_column(sa.ForeignKey("expert_profiles.id"))
    slot_id: Mapped[int] = mapped_column(sa.ForeignKey("slots.id"))
    offer_id: Mapped[int | None] = mapped_column(sa.ForeignKey("offers.id"))
    out_call_id: Mapped[int | None] = mapped_column(sa.ForeignKey("out_calls.id"), index=True)
    mode: Mapped[SessionMode] = mapped_column(enum_type(SessionMode))
    # Copied from the slot: the exclusion constraint needs them on this row.
    starts_at: Mapped[datetime]
    ends_at: Mapped[datetime]
    status: Mapped[BookingStatus] = mapped_column(enum_type(BookingStatus), default=BookingStatus.scheduled)
    video_url: Mapped[str | None] = mapped_column(sa.String(500))
    location: Mapped[str | None] = mapped_column(sa.String(300))
    cancel_reason: Mapped[str | None] = mapped_column(sa.String(500))
    cancelled_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    no_show_side: Mapped[NoShowSide | None] = mapped_column(enum_type(NoShowSide))
    started_at: Mapped[datetime | None]
    ended_at: Mapped[datetime | None]
    # Set once by the overdue-session sweep (past its end, no outcome): the schedulers are
    # told once, and their queue can list the flagged sessions.
    overdue_flagged_at: Mapped[datetime | None]

    request = relationship("ConsultationRequest")
    expert = relationship("ExpertProfile")
    slot = relationship("Slot")
    out_call = relationship("OutCall")

    __table_args__ = (
        sa.CheckConstraint("ends_at > starts_at", name="period_order"),
        # One slot is booked at most once; a request has at most one live booking.
        sa.Index(
            "uq_bookings_live_slot", "slot_id", unique=True,
            sqlite_where=sa.text(LIVE_BOOKING_SQL), postgresql_where=sa.text(LIVE_BOOKING_SQL),
        ),
        sa.Index(
            "uq_bookings_live_request", "request_id", unique=True,
            sqlite_where=sa.text(LIVE_BOOKING_SQL), postgresql_where=sa.text(LIVE_BOOKING_SQL),
        ),
        sa.Index("ix_bookings_expert_starts_at", "expert_id", "starts_at"),
        sa.Index("ix_bookings_status_starts_at", "status", "starts_at"),
        # One expert never has two live bookings that overlap (PostgreSQL only; btree_gist).
        ExcludeConstraint(
            (sa.column("expert_id"), "="),
            (sa.func.tstzrange(sa.column("starts_at"), sa.column("ends_at"), "[)"), "&&"),
            name="ex_bookings_expert_overlap",
            using="gist",
            where=sa.text(LIVE_BOOKING_SQL),
        ).ddl_if(dialect="postgresql"),
    )


class BookingChange(db.Model):
    """History of a booking: every reschedule and cancellation, with who and why."""

    __tablename__ = "booking_changes"

    id: Mapped[int] = mapped_column(primary_key=True)
    booking_id: Mapped[int] = mapped_column(sa.ForeignKey("bookings.id"), index=True)
    kind: Mapped[str] = mapped_column(sa.String(30))
    from_slot_id: Mapped[int | None] = mapped_column(sa.ForeignKey("slots.id"))
    to_slot_id: Mapped[int | None] = mapped_column(sa.ForeignKey("slots.id"))
    from_starts_at: Mapped[datetime | None]
    to_starts_at: Mapped[datetime | None]
    reason: Mapped[str | None] = mapped_column(sa.String(500))
    actor_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    created_at: Mapped[datetime]


class SentReminder(db.Model):
    """One row per reminder sent, so each reminder goes out exactly once, across restarts
    and concurrent sweeps (the unique key is the lock)."""

    __tablename__ = "sent_reminders"

    id: Mapped[int] = mapped_column(primary_key=True)
    booking_id: Mapped[int] = mapped_column(sa.ForeignKey("bookings.id"))
    kind: Mapped[str] = mapped_column(sa.String(20))
    sent_at: Mapped[datetime]

    __table_args__ = (sa.UniqueConstraint("booking_id", "kind"),)
