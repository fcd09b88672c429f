from __future__ import annotations

import enum
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.core.db import JSONDoc, TimestampMixin, enum_type
from app.extensions import db


class OfferStatus(enum.Enum):
    pending = "pending"
    accepted = "accepted"
    declined = "declined"
    expired = "expired"
    withdrawn = "withdrawn"


class Offer(TimestampMixin, db.Model):
    """One request proposed to one expert for one slot, with a deadline. The score and its
    named parts say why this expert was chosen."""

    __tablename__ = "offers"

    id: Mapped[int] = mapped_column(primary_key=True)
    request_id: Mapped[int] = mapped_column(sa.ForeignKey("consultation_requests.id"), index=True)
    expert_id: Mapped[int] = mapped_column(sa.ForeignKey("expert_profiles.id"))
    slot_id: Mapped[int] = mapped_column(sa.ForeignKey("slots.id"), index=True)
    status: Mapped[OfferStatus] = mapped_column(enum_type(OfferStatus), default=OfferStatus.pending)
    score: Mapped[float] = mapped_column(sa.Float, default=0.0)
    score_parts: Mapped[dict] = mapped_column(JSONDoc, default=dict)
    rank: Mapped[int] = mapped_column(default=1)
    is_in_network: Mapped[bool] = mapped_column(default=False)
    # Assigned by a scheduler, overriding the ranking.
    is_manual: Mapped[bool] = mapped_column(default=False)
    deadline_at: Mapped[datetime]
    responded_at: Mapped[datetime | None]
    decline_reason: Mapped[str | None] = mapped_column(sa.String(500))

    request = relationship("ConsultationRequest")
    expert = relationship("ExpertProfile")
    slot = relationship("Slot")

    __table_args__ = (
        # The expiry sweep: pending offers past their deadline.
        sa.Index("ix_offers_status_deadline_at", "status", "deadline_at"),
        sa.Index("ix_offers_expert_status", "expert_id", "status"),
    )
