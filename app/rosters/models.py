from __future__ import annotations

import enum
from datetime import date, datetime, time

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.core.db import TimestampMixin, enum_type
from app.extensions import db


class SlotMode(enum.Enum):
    remote = "remote"
    onsite = "onsite"
    both = "both"


class SlotStatus(enum.Enum):
    open = "open"
    held = "held"
    booked = "booked"
    blocked = "blocked"


class ExceptionKind(enum.Enum):
    leave = "leave"
    blocked = "blocked"


class CalendarDayKind(enum.Enum):
    holiday = "holiday"  # no regular work
    workday = "workday"  # an adjusted working day (调休), e.g. a Saturday


class RosterRule(TimestampMixin, db.Model):
    """A recurring availability window of one expert, in the hospital's local time."""

    __tablename__ = "roster_rules"

    id: Mapped[int] = mapped_column(primary_key=True)
    expert_id: Mapped[int] = mapped_column(sa.ForeignKey("expert_profiles.id"), index=True)
    # Bit i set = weekday i (Monday = 0) is on.
    weekdays: Mapped[int] = mapped_column(sa.SmallInteger)
    start_time: Mapped[time]
    end_time: Mapped[time]
    slot_minutes: Mapped[int] = mapped_column(sa.SmallInteger, default=30)
    mode: Mapped[SlotMode] = mapped_column(enum_type(SlotMode))
    valid_from: Mapped[date]
    valid_to: Mapped[date | None]
    follows_official_calendar: Mapped[bool] = mapped_column(default=True)
    created_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))

    expert = relationship("ExpertProfile")

    __table_args__ = (
        sa.CheckConstraint("end_time > start_time", name="window_order"),
        sa.CheckConstraint("slot_minutes BETWEEN 5 AND 480", name="slot_length"),
        sa.CheckConstraint("weekdays BETWEEN 1 AND 127", name="weekdays_mask"),
        sa.CheckConstraint("valid_to IS NULL OR valid_to >= valid_from", name="valid_period"),
    )


class RosterException(TimestampMixin, db.Model):
    """Leave or a blocked period of one expert: no slot is open inside it."""

    __tablename__ = "roster_exceptions"

    id: Mapped[int] = mapped_column(primary_key=True)
    expert_id: Mapped[int] = mapped_column(sa.ForeignKey("expert_profiles.id"), index=True)
    kind: Mapped[ExceptionKind] = mapped_column(enum_type(ExceptionKind))
    starts_at: Mapped[datetime]
    ends_at: Mapped[datetime]
    reason: Mapped[str | None] = mapped_column(sa.String(300))
    created_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))

    __table_args__ = (sa.CheckConstraint("ends_at > starts_at", name="period_order"),)


class HospitalCalendarDay(TimestampMixin, db.Model):
    """A hospital's own holiday or adjusted working day, entered by hand. Overrides the
    official and fallback calendars for that hospital."""

    __tablename__ = "hospital_calendar_days"

    id: Mapped[int] = mapped_column(primary_key=True)
    hospital_id: Mapped[int] = mapped_column(sa.ForeignKey("hospitals.id"))
    day: Mapped[date]
    kind: Mapped[CalendarDayKind] = mapped_column(enum_type(CalendarDayKind))
    name: Mapped[str | None] = mapped_column(sa.String(120))
    created_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))

    __table_args__ = (sa.UniqueConstraint("hospital_id", "day"),)


class Slot(TimestampMixin, db.Model):
    """A concrete bookable interval [starts_at, ends_at) of one expert, in UTC."""

    __tablename__ = "slots"

    id: Mapped[int] = mapped_column(sa.BigInteger().with_variant(sa.Integer, "sqlite"), primary_key=True)
    expert_id: Mapped[int] = mapped_column(sa.ForeignKey("expert_profiles.id"))
    rule_id: Mapped[int | None] = mapped_column(sa.ForeignKey("roster_rules.id", ondelete="SET NULL"), index=True)
    starts_at: Mapped[datetime]
    ends_at: Mapped[datetime]
    mode: Mapped[SlotMode] = mapped_column(enum_type(SlotMode))
    status: Mapped[SlotStatus] = mapped_column(enum_type(SlotStatus), default=SlotStatus.open)
    # The day's working status came from a fallback calendar, not the official one.
    is_provisional: Mapped[bool] = mapped_column(default=False)

    expert = relationship("ExpertProfile")

    __table_args__ = (
        sa.UniqueConstraint("expert_id", "starts_at"),
        sa.CheckConstraint("ends_at > starts_at", name="period_order"),
        # Slot search: open slots in a time window.
        sa.Index("ix_slots_status_starts_at", "status", "starts_at"),
    )


class CalendarFeedToken(db.Model):
    """The private iCalendar feed of one expert. Only a SHA-256 of the token is stored: a
    leaked database does not leak the feed URLs. Rotating replaces the hash; revoking
    deletes the row, so the old URL answers 404."""

    __tablename__ = "calendar_feed_tokens"

    id: Mapped[int] = mapped_column(primary_key=True)
    expert_id: Mapped[int] = mapped_column(sa.ForeignKey("expert_profiles.id", ondelete="CASCADE"), unique=True)
    token_hash: Mapped[str] = mapped_column(sa.String(64), unique=True)
    created_at: Mapped[datetime]
    created_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
