"""The booking invariants are the database's, not only the application's."""

from datetime import timedelta

import pytest
import sqlalchemy as sa

from app.bookings.models import Booking, BookingStatus
from app.extensions import db


def test_a_slot_cannot_have_two_live_bookings(make):
    slot = make.slot(make.expert())
    make.booking(slot)
    db.session.commit()

    with pytest.raises(sa.exc.IntegrityError):
        make.booking(slot)
    db.session.rollback()


def test_a_cancelled_booking_frees_its_slot(make):
    slot = make.slot(make.expert())
    make.booking(slot, status=BookingStatus.cancelled)

    rebooked = make.booking(slot)
    db.session.commit()  # the database accepts it: a cancelled booking no longer holds the slot

    assert _live_bookings_of_slot(slot.id) == [rebooked.id]


def test_a_request_has_at_most_one_live_booking(make):
    expert = make.expert()
    request = make.consultation_request()
    make.booking(make.slot(expert), request=request)
    db.session.commit()

    with pytest.raises(sa.exc.IntegrityError):
        make.booking(make.slot(expert, starts_at=_later()), request=request)
    db.session.rollback()


def _live_bookings_of_slot(slot_id: int) -> list[int]:
    return list(db.session.scalars(sa.select(Booking.id).where(
        Booking.slot_id == slot_id, Booking.status != BookingStatus.cancelled)))


def _later():
    from tests.conftest import T0

    return T0 + timedelta(days=2)


def test_postgres_refuses_overlapping_bookings_of_one_expert(make, is_postgres):
    if not is_postgres:
        pytest.skip("exclusion constraints are PostgreSQL's; the SQLite run covers the other invariants")
    expert = make.expert()
    first = make.slot(expert, starts_at=_later(), minutes=60)
    # A second slot of the same expert, overlapping the first by 30 minutes: only a
    # hand-made or buggy roster produces that, and the database must still say no.
    overlapping = make.slot(expert, starts_at=_later() + timedelta(minutes=30), minutes=60)
    make.booking(first)
    db.session.commit()

    with pytest.raises(sa.exc.IntegrityError, match="ex_bookings_expert_overlap"):
        make.booking(overlapping)
    db.session.rollback()


def test_postgres_allows_adjacent_and_other_experts_bookings(make, is_postgres):
    if not is_postgres:
        pytest.skip("exclusion constraints are PostgreSQL's")
    expert, other = make.expert(), make.expert()
    make.booking(make.slot(expert, starts_at=_later(), minutes=30))
    make.booking(make.slot(expert, starts_at=_later() + timedelta(minutes=30)))  # [) touching
    make.booking(make.slot(other, starts_at=_later()))
    db.session.commit()  # touching intervals and another expert's booking are not overlaps

    assert db.session.scalar(sa.select(sa.func.count()).select_from(Booking)) == 3
