from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from app.core.clock import now
from app.core.db import JSONDoc
from app.extensions import db


class Notification(db.Model):
    """A persisted message to one user. The table is the truth; websockets deliver it."""

    __tablename__ = "notifications"

    id: Mapped[int] = mapped_column(sa.BigInteger().with_variant(sa.Integer, "sqlite"), primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"))
    type: Mapped[str] = mapped_column(sa.String(60))
    payload: Mapped[dict] = mapped_column(JSONDoc, default=dict)
    created_at: Mapped[datetime] = mapped_column(default=now)
    delivered_at: Mapped[datetime | None]
    read_at: Mapped[datetime | None]

    __table_args__ = (
        # Replay after reconnect: a user's notifications after the last id seen, in order.
        sa.Index("ix_notifications_user_id_id", "user_id", "id"),
    )
