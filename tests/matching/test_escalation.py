"""Decline, expiry and emergencies, on the controllable clock."""

import threading
from datetime import timedelta

import sqlalchemy as sa

from app.extensions import db
from app.matching.jobs import JOBS, expire_overdue_offers
from app.notifications.models import Notification
from tests.consults import world as W


def _types(user_id):
    db.session.expire_all()
    return db.session.scalars(sa.select(Notification.type).where(Notification.user_id == user_id)
                              .order_by(Notification.id)).all()


def _two_experts(w):
    first, second = W.expert(w), W.expert(w)
    W.slot(w, first, hours=20)
    W.slot(w, second, hours=30)
    return first, second


def test_decline_with_reason_offers_the_next_candidate(client, make):
    w = W.build(make)
    first, second = _two_experts(w)
    rid = W.file(client, w).get_json()["id"]
    offer = W.offers_of(rid)[0]

    resp = client.post(f"/api/v1/offers/{offer.id}/decline", json={"reason": "in theatre all day"},
                       headers=W.headers(first.user))

    assert resp.status_code == 200 and resp.get_json()["decline_reason"] == "in theatre all day"
    declined, nxt = W.offers_of(rid)
    assert declined.status.name == "declined" and nxt.expert_id == second.id and nxt.status.name == "pending"
    assert client.get(f"/api/v1/requests/{rid}", headers=W.headers(w.doctor)).get_json()["status"] == "offered"
    assert "offer.created" in _types(second.user_id)


def test_only_the_offered_expert_may_answer(client, make):
    w = W.build(make)
    first, second = _two_experts(w)
    offer = W.offers_of(W.file(client, w).get_json()["id"])[0]

    assert client.post(f"/api/v1/offers/{offer.id}/decline", json={"reason": "not mine"},
                       headers=W.headers(second.user)).status_code == 403
    assert client.post(f"/api/v1/offers/{offer.id}/accept", headers=W.headers(w.doctor)).status_code == 403


def test_expiry_offers_the_next_candidate(client, make, clock):
    w = W.build(make)
    first, second = _two_experts(w)
    rid = W.file(client, w).get_json()["id"]
    offer = W.offers_of(rid)[0]
    assert offer.deadline_at == clock.now() + timedelta(hours=20)  # capped by the slot's start

    clock.advance(hours=19)
    assert expire_overdue_offers() == {"expired": 0, "skipped": 0}
    clock.advance(hours=1, minutes=1)
    summary = expire_overdue_offers()

    expired, nxt = W.offers_of(rid)
    assert summary == {"expired": 1, "skipped": 0}
    assert expired.status.name == "expired" and nxt.expert_id == second.id
    assert _types(first.user_id) == ["offer.created", "offer.expired"]


def test_urgent_offer_has_a_thirty_minute_deadline(client, make, clock):
    w = W.build(make)
    _two_experts(w)

    offer = W.offers_of(W.file(client, w, urgency="urgent").get_json()["id"])[0]

    assert offer.deadline_at == clock.now() + timedelta(minutes=30)


def test_late_answer_after_deadline_is_409(client, make, clock):
    w = W.build(make)
    first, _second = _two_experts(w)
    offer = W.offers_of(W.file(client, w, urgency="urgent").get_json()["id"])[0]
    clock.advance(minutes=31)

    resp = client.post(f"/api/v1/offers/{offer.id}/accept", headers=W.headers(first.user))

    assert resp.status_code == 409 and "deadline" in resp.get_json()["detail"]


def test_last_candidate_gone_makes_request_unmatched_and_tells_schedulers(client, make):
    w = W.build(make)
    only = W.expert(w)
    W.slot(w, only)
    rid = W.file(client, w).get_json()["id"]
    offer = W.offers_of(rid)[0]

    client.post(f"/api/v1/offers/{offer.id}/decline", json={"reason": "on leave"}, headers=W.headers(only.user))

    assert client.get(f"/api/v1/requests/{rid}", headers=W.headers(w.doctor)).get_json()["status"] == "unmatched"
    assert "request.unmatched" in _types(w.county_scheduler.id)
    assert "request.unmatched" in _types(w.partner_scheduler.id)
    assert _types(w.other_scheduler.id) == []
    assert "request.unmatched" in _types(w.doctor.id)


def test_expiry_of_last_offer_makes_request_unmatched(client, make, clock):
    w = W.build(make)
    W.slot(w, W.expert(w), hours=2)
    rid = W.file(client, w).get_json()["id"]

    clock.advance(hours=3)
    expire_overdue_offers()

    assert client.get(f"/api/v1/requests/{rid}", headers=W.headers(w.doctor)).get_json()["status"] == "unmatched"
    assert "request.unmatched" in _types(w.county_scheduler.id)


def test_sweep_run_twice_concurrently_expires_and_reoffers_exactly_once(client, make, clock, app):
    w = W.build(make)
    _two_experts(w)
    rid = W.file(client, w).get_json()["id"]
    clock.advance(hours=21)
    db.session.commit()
    results, barrier = [], threading.Barrier(2)

    def sweep():
        with app.app_context():
            barrier.wait()
            results.append(expire_overdue_offers())
            db.session.remove()

    threads = [threading.Thread(target=sweep) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()

    offers = W.offers_of(rid)
    assert sum(r["expired"] for r in results) == 1
    assert [o.status.name for o in offers] == ["expired", "pending"]
    assert expire_overdue_offers() == {"expired": 0, "skipped": 0}


def test_jobs_list_follows_the_scheduler_convention():
    (job_id, func, trigger), = JOBS
    assert job_id == "matching.expire_overdue_offers" and func is expire_overdue_offers
    assert trigger == {"trigger": "interval", "seconds": 30}


def test_emergency_goes_to_k_experts_and_first_accept_wins(client, make):
    w = W.build(make)
    experts = [W.expert(w) for _ in range(4)]
    for i, e in enumerate(experts):
        W.slot(w, e, hours=1 + i)
    rid = W.file(client, w, urgency="emergency").get_json()["id"]
    offers = W.offers_of(rid)
    by_expert = {e.id: e for e in experts}

    first = client.post(f"/api/v1/offers/{offers[1].id}/accept", headers=W.headers(by_expert[offers[1].expert_id].user))
    late = client.post(f"/api/v1/offers/{offers[0].id}/accept", headers=W.headers(by_expert[offers[0].expert_id].user))

    assert len(offers) == 3  # EMERGENCY_FANOUT
    assert first.status_code == 201
    assert late.status_code == 409 and "another expert first" in late.get_json()["detail"]
    statuses = [o.status.name for o in W.offers_of(rid)]
    assert statuses == ["withdrawn", "accepted", "withdrawn"]
    assert "offer.withdrawn" in _types(by_expert[offers[2].expert_id].user_id)


def test_emergency_decline_tops_up_the_fan_out(client, make):
    w = W.build(make)
    experts = [W.expert(w) for _ in range(4)]
    for i, e in enumerate(experts):
        W.slot(w, e, hours=1 + i)
    rid = W.file(client, w, urgency="emergency").get_json()["id"]
    offer = W.offers_of(rid)[0]
    owner = next(e for e in experts if e.id == offer.expert_id)

    client.post(f"/api/v1/offers/{offer.id}/decline", json={"reason": "driving"}, headers=W.headers(owner.user))

    assert [o.status.name for o in W.offers_of(rid)] == ["declined", "pending", "pending", "pending"]
