"""Every allowed transition works; every forbidden one is a 409 that says why."""

import itertools
from datetime import timedelta

import pytest
import sqlalchemy as sa

from app.bookings import service as bookings
from app.bookings.models import BookingStatus
from app.consults import service as consults
from app.consults.models import RequestStatus
from app.core.audit import AuditEvent
from app.errors import Conflict
from app.extensions import db
from app.matching import service as matching
from app.matching.models import Offer, OfferStatus
from app.notifications.models import Notification
from tests.conftest import T0

REQUEST_PAIRS = list(itertools.product(RequestStatus, RequestStatus))
BOOKING_PAIRS = list(itertools.product(BookingStatus, BookingStatus))
OFFER_PAIRS = list(itertools.product(OfferStatus, OfferStatus))


def _count(model):
    return db.session.scalar(sa.select(sa.func.count()).select_from(model))


# One test per machine walks every (from, to) pair on fresh rows: far cheaper than one test
# (and one table reset) per pair, and a failure still names the pair.

def test_request_transitions_allowed_work_and_forbidden_are_409(make):
    for start, to in REQUEST_PAIRS:
        request = make.consultation_request(status=start)
        notes = _count(Notification)
        if to in consults.TRANSITIONS[start]:
            consults.transition(request, to, None, f"request.{to.name}")
            db.session.flush()
            db.session.refresh(request)
            assert request.status is to, (start, to)
            assert _count(Notification) == notes + 1, (start, to)
        else:
            with pytest.raises(Conflict) as err:
                consults.transition(request, to, None, "x")
            assert start.name in err.value.detail and to.name in err.value.detail, (start, to)
            db.session.refresh(request)
            assert request.status is start
    assert _count(AuditEvent) > 0


def test_booking_transitions_allowed_work_and_forbidden_are_409(make):
    expert = make.expert()
    for i, (start, to) in enumerate(BOOKING_PAIRS):
        booking = make.booking(make.slot(expert, starts_at=T0 + timedelta(hours=i)), status=start)
        notes = _count(Notification)
        if to in bookings.TRANSITIONS.get(start, set()):
            bookings._move(booking, to, None, f"booking.{to.name}")
            assert booking.status is to and _count(Notification) == notes + 2, (start, to)
        else:
            with pytest.raises(Conflict) as err:
                bookings._move(booking, to, None, "x")
            assert start.name in err.value.detail and to.name in err.value.detail, (start, to)


def test_offer_transitions_allowed_work_and_forbidden_are_409(make):
    expert = make.expert()
    slot = make.slot(expert)
    request = make.consultation_request()
    for start, to in OFFER_PAIRS:
        offer = Offer(request_id=request.id, expert_id=expert.id, slot_id=slot.id, status=start,
                      deadline_at=T0.replace(year=2027))
        db.session.add(offer)
        db.session.flush()
        notes = _count(Notification)
        if to in matching.TRANSITIONS.get(start, set()):
            matching._move(offer, to, None, f"offer.{to.name}")
            db.session.refresh(offer)
            assert offer.status is to and _count(Notification) == notes + 1, (start, to)
        else:
            with pytest.raises(Conflict) as err:
                matching._move(offer, to, None, "x")
            assert start.name in err.value.detail, (start, to)


def test_forbidden_transition_over_http_is_409_problem_saying_why(client, make):
    from tests.consults import world as W

    w = W.build(make)
    request = make.consultation_request(requester=w.doctor, specialty_=w.cardio, status=RequestStatus.completed)

    resp = client.patch(f"/api/v1/requests/{request.id}", json={"clinical_question": "changed my mind"},
                        headers=W.headers(w.doctor))

    assert resp.status_code == 409 and resp.mimetype == "application/problem+json"
    assert "completed" in resp.get_json()["detail"]
