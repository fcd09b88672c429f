from __future__ import annotations

import enum
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.core.db import JSONDoc, TimestampMixin, enum_type
from app.extensions import db


class Disposition(enum.Enum):
    manage_locally = "manage_locally"
    refer_up = "refer_up"
    follow_up = "follow_up"
    onsite_visit = "onsite_visit"


class ReferralDirection(enum.Enum):
    up = "up"  # county → tertiary
    down = "down"  # tertiary → county (patient returned)


class ReferralStatus(enum.Enum):
    proposed = "proposed"
    accepted = "accepted"
    completed = "completed"
    declined = "declined"
    cancelled = "cancelled"


class Outcome(TimestampMixin, db.Model):
    """What a session concluded, from both sides. Amended with history, never overwritten
    silently (see OutcomeRevision)."""

    __tablename__ = "outcomes"

    id: Mapped[int] = mapped_column(primary_key=True)
    booking_id: Mapped[int] = mapped_column(sa.ForeignKey("bookings.id"), unique=True)
    recorded_by_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"))
    advice: Mapped[str] = mapped_column(sa.Text)
    disposition: Mapped[Disposition] = mapped_column(enum_type(Disposition), index=True)
    diagnosis_text: Mapped[str | None] = mapped_column(sa.Text)
    icd10_code: Mapped[str | None] = mapped_column(sa.String(10))
    duration_minutes: Mapped[int | None]
    version: Mapped[int] = mapped_column(default=1)
    # The requesting side's confirmation and rating of the consultation.
    confirmed_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    confirmed_at: Mapped[datetime | None]
    requester_rating: Mapped[int | None] = mapped_column(sa.SmallInteger)
    requester_comment: Mapped[str | None] = mapped_column(sa.Text)
    # The expert's rating of how well the case was prepared.
    preparation_rating: Mapped[int | None] = mapped_column(sa.SmallInteger)

    booking = relationship("Booking")

    __table_args__ = (
        sa.CheckConstraint("requester_rating BETWEEN 1 AND 5", name="requester_rating_range"),
        sa.CheckConstraint("preparation_rating BETWEEN 1 AND 5", name="preparation_rating_range"),
        sa.CheckConstraint("duration_minutes >= 0", name="duration_positive"),
    )


class OutcomeRevision(db.Model):
    """The previous content of an outcome, kept each time it is amended."""

    __tablename__ = "outcome_revisions"

    id: Mapped[int] = mapped_column(primary_key=True)
    outcome_id: Mapped[int] = mapped_column(sa.ForeignKey("outcomes.id"), index=True)
    version: Mapped[int]
    snapshot: Mapped[dict] = mapped_column(JSONDoc)
    changed_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    reason: Mapped[str | None] = mapped_column(sa.String(500))
    created_at: Mapped[datetime]

    __table_args__ = (sa.UniqueConstraint("outcome_id", "version"),)


class Referral(TimestampMixin, db.Model):
    """A patient referred up to a tertiary hospital, or back down to the county."""

    __tablename__ = "referrals"

    id: Mapped[int] = mapped_column(primary_key=True)
    request_id: Mapped[int] = mapped_column(sa.ForeignKey("consultation_requests.id"), index=True)
    outcome_id: Mapped[int | None] = mapped_column(sa.ForeignKey("outcomes.id"), index=True)
    direction: Mapped[ReferralDirection] = mapped_column(enum_type(ReferralDirection))
    from_hospital_id: Mapped[int] = mapped_column(sa.ForeignKey("hospitals.id"), index=True)
    to_hospital_id: Mapped[int] = mapped_column(sa.ForeignKey("hospitals.id"), index=True)
    status: Mapped[ReferralStatus] = mapped_column(enum_type(ReferralStatus), default=ReferralStatus.proposed)
    note: Mapped[str | None] = mapped_column(sa.Text)
    recorded_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    details: Mapped[dict] = mapped_column(JSONDoc, default=dict)

    __table_args__ = (sa.CheckConstraint("from_hospital_id <> to_hospital_id", name="distinct_hospitals"),)
