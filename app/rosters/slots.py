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


def block_open_slots(expert_id: int, starts_at, ends_at, keep_slot_id: int | None = None) -> list[int]:
    """open → blocked for every open slot of the expert overlapping [starts_at, ends_at)
    (e.g. the travel time around an on-site session). Returns the ids blocked."""
    from app.core.intervals import overlaps_clause

    cond = [Slot.expert_id == expert_id, Slot.status == SlotStatus.open,
            overlaps_clause(Slot.starts_at, Slot.ends_at, starts_at, ends_at)]
    if keep_slot_id is not None:
        cond.append(Slot.id != keep_slot_id)
    ids = list(db.session.scalars(sa.select(Slot.id).where(*cond)))
    if ids:
        db.session.execute(sa.update(Slot).where(Slot.id.in_(ids), Slot.status == SlotStatus.open)
                           .values(status=SlotStatus.blocked).execution_options(synchronize_session=False))
    return ids


def unblock_slots(slot_ids: list[int]) -> int:
    """blocked → open for these slots (travel time no longer needed)."""
    if not slot_ids:
        return 0
    result = db.session.execute(sa.update(Slot).where(Slot.id.in_(slot_ids), Slot.status == SlotStatus.blocked)
                                .values(status=SlotStatus.open).execution_options(synchronize_session=False))
    return result.rowcount
