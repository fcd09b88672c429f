"""Every allowed transition works; every forbidden one is a 409 that says why."""

import itertools

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


@pytest.mark.parametrize(("start", "to"), REQUEST_PAIRS, ids=[f"{a.name}->{b.name}" for a, b in REQUEST_PAIRS])
def test_request_transitions(make, start, to):
    request = make.consultation_request(status=start)
    allowed = to in consults.TRANSITIONS[start]

    if allowed:
        consults.transition(request, to, None, f"request.{to.name}")
        db.session.commit()
        db.session.expire_all()
        assert request.status is to
        assert _count(AuditEvent) >= 1 and _count(Notification) == 1
    else:
        with pytest.raises(Conflict) as err:
            consults.transition(request, to, None, "x")
        assert start.name in err.value.detail and to.name in err.value.detail


@pytest.mark.parametrize(("start", "to"), BOOKING_PAIRS, ids=[f"{a.name}->{b.name}" for a, b in BOOKING_PAIRS])
def test_booking_transitions(make, start, to):
    booking = make.booking(make.slot(make.expert()), status=start)
    allowed = to in bookings.TRANSITIONS.get(start, set())

    if allowed:
        bookings._move(booking, to, None, f"booking.{to.name}")
        db.session.commit()
        assert booking.status is to and _count(Notification) == 2
    else:
        with pytest.raises(Conflict) as err:
            bookings._move(booking, to, None, "x")
        assert start.name in err.value.detail and to.name in err.value.detail


@pytest.mark.parametrize(("start", "to"), OFFER_PAIRS, ids=[f"{a.name}->{b.name}" for a, b in OFFER_PAIRS])
def test_offer_transitions(make, start, to):
    expert = make.expert()
    slot = make.slot(expert)
    offer = Offer(request_id=make.consultation_request().id, expert_id=expert.id, slot_id=slot.id,
                  status=start, deadline_at=T0.replace(year=2027))
    db.session.add(offer)
    db.session.flush()
    allowed = to in matching.TRANSITIONS.get(start, set())

    if allowed:
        matching._move(offer, to, None, f"offer.{to.name}")
        db.session.commit()
        db.session.expire_all()
        assert offer.status is to and _count(Notification) == 1
    else:
        with pytest.raises(Conflict) as err:
            matching._move(offer, to, None, "x")
        assert start.name in err.value.detail


def test_forbidden_transition_over_http_is_409_problem_saying_why(client, make):
    from tests.consults import world as W

    w = W.build(make)
    request = make.consultation_request(requester=w.doctor, specialty_=w.cardio, status=RequestStatus.completed)

    resp = client.patch(f"/api/v1/requests/{request.id}", json={"clinical_question": "changed my mind"},
                        headers=W.headers(w.doctor))

    assert resp.status_code == 409 and resp.mimetype == "application/problem+json"
    assert "completed" in resp.get_json()["detail"]
