"""The audit trail: who changed what, when, from what to what. Append-only; written by the
service that makes the change, in the same transaction."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from app.core.clock import now
from app.core.db import JSONDoc
from app.extensions import db


class AuditEvent(db.Model):
    __tablename__ = "audit_events"

    id: Mapped[int] = mapped_column(sa.BigInteger().with_variant(sa.Integer, "sqlite"), primary_key=True)
    actor_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"), index=True)
    entity_type: Mapped[str] = mapped_column(sa.String(40))
    entity_id: Mapped[int] = mapped_column(sa.BigInteger)
    action: Mapped[str] = mapped_column(sa.String(60))
    from_state: Mapped[str | None] = mapped_column(sa.String(40))
    to_state: Mapped[str | None] = mapped_column(sa.String(40))
    data: Mapped[dict] = mapped_column(JSONDoc, default=dict)
    created_at: Mapped[datetime] = mapped_column(default=now)

    __table_args__ = (sa.Index("ix_audit_events_entity", "entity_type", "entity_id"),)


def record(actor, entity, action: str, *, from_state=None, to_state=None, **data) -> AuditEvent:
    """Add an audit event for `entity` to the current transaction (flushed, not committed)."""
    event = AuditEvent(
        actor_id=getattr(actor, "id", None),
        entity_type=type(entity).__tablename__,
        entity_id=entity.id,
        action=action,
        from_state=getattr(from_state, "name", from_state),
        to_state=getattr(to_state, "name", to_state),
        data=data,
    )
    db.session.add(event)
    return event
