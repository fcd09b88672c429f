from __future__ import annotations

import enum
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.core.db import JSONDoc, TimestampMixin, enum_type
from app.extensions import db


class Urgency(enum.Enum):
    routine = "routine"
    urgent = "urgent"
    emergency = "emergency"


class PreferredMode(enum.Enum):
    remote = "remote"
    onsite = "onsite"
    either = "either"


class RequestStatus(enum.Enum):
    submitted = "submitted"
    matching = "matching"
    offered = "offered"
    booked = "booked"
    completed = "completed"
    cancelled = "cancelled"
    unmatched = "unmatched"


class ConsultationRequest(TimestampMixin, db.Model):
    __tablename__ = "consultation_requests"

    id: Mapped[int] = mapped_column(primary_key=True)
    requester_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"), index=True)
    hospital_id: Mapped[int] = mapped_column(sa.ForeignKey("hospitals.id"))
    specialty_id: Mapped[int] = mapped_column(sa.ForeignKey("specialties.id"))
    urgency: Mapped[Urgency] = mapped_column(enum_type(Urgency))
    preferred_mode: Mapped[PreferredMode] = mapped_column(enum_type(PreferredMode))
    clinical_question: Mapped[str] = mapped_column(sa.Text)
    # Structured: age band, sex, history, current findings, attachment references.
    case_summary: Mapped[dict] = mapped_column(JSONDoc, default=dict)
    # Pseudonymous: never a name or an ID number (checked by the service).
    patient_ref: Mapped[str] = mapped_column(sa.String(64), index=True)
    window_start: Mapped[datetime]
    window_end: Mapped[datetime]
    status: Mapped[RequestStatus] = mapped_column(enum_type(RequestStatus), default=RequestStatus.submitted)
    cancel_reason: Mapped[str | None] = mapped_column(sa.String(500))
    idempotency_key: Mapped[str | None] = mapped_column(sa.String(100))

    requester = relationship("User")
    hospital = relationship("Hospital")
    specialty = relationship("Specialty")

    __table_args__ = (
        sa.UniqueConstraint("requester_id", "idempotency_key"),
        sa.CheckConstraint("window_end > window_start", name="window_order"),
        sa.Index("ix_consultation_requests_hospital_status", "hospital_id", "status"),
    )
