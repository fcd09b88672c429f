"""Fifty experts' clicks at once, on real connections: exactly one booking, 49 clear 409s.

Each thread has its own app context, hence its own session and database connection, and
goes through the same service call as the HTTP handler (one HTTP variant goes through the
live server too). Repeated 20 times per scenario, on whichever backend the suite runs on."""

from __future__ import annotations

import os
import threading
from datetime import timedelta

import pytest
import requests
import sqlalchemy as sa

from app.bookings.models import Booking, BookingStatus
from app.consults.models import ConsultationRequest, RequestStatus, Urgency
from app.errors import Conflict
from app.extensions import db
from app.matching import service as matching
from app.matching.models import Offer, OfferStatus
from tests.conftest import T0
from tests.consults import world as W

THREADS = int(os.environ.get("RACE_THREADS", 50))
ROUNDS = int(os.environ.get("RACE_ROUNDS", 20))


def _requests(w, n, urgency=Urgency.emergency):
    rows = [ConsultationRequest(
        requester_id=w.doctor.id, hospital_id=w.county.id, specialty_id=w.cardio.id, urgency=urgency,
        preferred_mode="remote", clinical_question="Acute chest pain", case_summary={}, patient_ref=f"RACE-{i}",
        window_start=T0, window_end=T0 + timedelta(days=3), status=RequestStatus.offered) for i in range(n)]
    db.session.add_all(rows)
    db.session.flush()
    return rows


def _offers(pairs):
    offers = [Offer(request_id=r.id, expert_id=e.id, slot_id=s.id, status=OfferStatus.pending,
                    deadline_at=T0 + timedelta(hours=1)) for r, e, s in pairs]
    db.session.add_all(offers)
    db.session.flush()
    jobs = [(o.id, e.user_id) for o, (_r, e, _s) in zip(offers, pairs, strict=True)]
    # Commit last: reading an expired attribute after it would open a transaction, and on
    # SQLite that holds the write lock (BEGIN IMMEDIATE) while the threads race.
    db.session.commit()
    return jobs


def _race(app, jobs) -> list[str]:
    """Accept every (offer id, expert user id) at once, each on its own connection."""
    outcomes, barrier = [], threading.Barrier(len(jobs))

    def accept(offer_id, user_id):
        with app.app_context():
            from app.accounts.models import User

            actor = db.session.get(User, user_id)
            db.session.commit()
            barrier.wait()
            try:
                matching.accept_offer(actor, offer_id)
                db.session.commit()
                outcomes.append("booked")
            except Conflict as exc:
                db.session.rollback()
                outcomes.append("409: " + exc.detail)
            finally:
                db.session.remove()

    threads = [threading.Thread(target=accept, args=job) for job in jobs]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return outcomes


def _live_bookings() -> int:
    db.session.expire_all()
    return db.session.scalar(sa.select(sa.func.count()).select_from(Booking).where(
        Booking.status == BookingStatus.scheduled))


def _assert_one_winner(outcomes, expected_words):
    losers = [o for o in outcomes if o != "booked"]
    assert outcomes.count("booked") == 1, outcomes[:3]
    assert len(losers) == THREADS - 1
    assert all(any(word in o for word in expected_words) for o in losers), losers[:3]


def test_fifty_accepts_of_the_same_slot_make_one_booking(app, make):
    w = W.build(make)
    expert = W.expert(w, daily_cap=50)
    for round_ in range(ROUNDS):
        slot = W.slot(w, expert, hours=1 + round_)
        jobs = _offers([(r, expert, slot) for r in _requests(w, THREADS)])

        outcomes = _race(app, jobs)

        _assert_one_winner(outcomes, ["was just booked"])
        assert _live_bookings() == round_ + 1


def test_fifty_accepts_of_overlapping_slots_of_one_expert_make_one_booking(app, make):
    w = W.build(make)
    expert = W.expert(w, daily_cap=50)
    for round_ in range(ROUNDS):
        base = 2 * round_  # hours: each round's slots overlap each other, not other rounds'
        slots = [W.slot(w, expert, hours=base + i / 60, minutes=60) for i in range(THREADS)]
        jobs = _offers([(r, expert, s) for r, s in zip(_requests(w, THREADS), slots, strict=True)])

        outcomes = _race(app, jobs)

        _assert_one_winner(outcomes, ["overlapping", "already booked at that time"])
        assert _live_bookings() == round_ + 1


def test_fifty_experts_accepting_one_emergency_make_one_booking(app, make):
    w = W.build(make)
    experts = [W.expert(w) for _ in range(THREADS)]
    for round_ in range(ROUNDS):
        request = _requests(w, 1)[0]
        jobs = _offers([(request, e, W.slot(w, e, hours=1 + round_)) for e in experts])

        outcomes = _race(app, jobs)

        _assert_one_winner(outcomes, ["accepted by another expert first"])
        assert _live_bookings() == round_ + 1


@pytest.mark.parametrize("round_", range(2))
def test_fifty_http_accepts_of_one_slot_over_real_connections(app, make, live_server, round_):
    w = W.build(make)
    expert = W.expert(w)
    slot = W.slot(w, expert)
    headers = W.headers(expert.user)
    jobs = _offers([(r, expert, slot) for r in _requests(w, THREADS)])
    codes, barrier = [], threading.Barrier(THREADS)

    def accept(offer_id):
        barrier.wait()
        resp = requests.post(f"{live_server}/api/v1/offers/{offer_id}/accept", headers=headers, timeout=60)
        codes.append((resp.status_code, resp.json().get("detail", "")))

    threads = [threading.Thread(target=accept, args=(offer_id,)) for offer_id, _u in jobs]
    for t in threads:
        t.start()
    for t in threads:
        t.join()

    assert sorted(c for c, _d in codes) == [201] + [409] * (THREADS - 1)
    assert all("was just booked" in d for c, d in codes if c == 409)
    assert _live_bookings() == 1
    db.session.expire_all()
    # every loser's offer was withdrawn and its request moved on (here: nobody left → unmatched)
    statuses = db.session.scalars(sa.select(Offer.status)).all()
    assert statuses.count(OfferStatus.accepted) == 1 and statuses.count(OfferStatus.withdrawn) == THREADS - 1
