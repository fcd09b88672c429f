"""Slot state changes that other domains need (booking claims and releases). One
conditional UPDATE each: the database decides who wins a race, never a read-then-write."""

from __future__ import annotations

import sqlalchemy as sa

from app.extensions import db
from app.rosters.models import Slot, SlotStatus


def _transition(slot_id: int, from_status: SlotStatus, to_status: SlotStatus) -> bool:
    result = db.session.execute(
        sa.update(Slot)
        .where(Slot.id == slot_id, Slot.status == from_status)
        .values(status=to_status)
        .execution_options(synchronize_session=False)
    )
    return result.rowcount == 1


def claim_slot(slot_id: int) -> bool:
    """open → booked. False when someone else got there first (the caller answers 409)."""
    return _transition(slot_id, SlotStatus.open, SlotStatus.booked)


def release_slot(slot_id: int) -> bool:
    """booked → open, e.g. when a booking is cancelled or moved away."""
    return _transition(slot_id, SlotStatus.booked, SlotStatus.open)
