"""Who gets the offer, and why: hard filters and the named score parts."""

from datetime import timedelta

import sqlalchemy as sa

from app.accounts.models import Role
from app.bookings.models import BookingStatus
from app.consults.models import RequestStatus
from app.extensions import db
from app.notifications.models import Notification
from app.rosters.models import SlotMode
from tests.conftest import T0
from tests.consults import world as W

PARTS = {"time", "partnership", "continuity", "load", "quality", "travel"}


def _offered_expert(client, w, **overrides):
    rid = W.file(client, w, **overrides).get_json()["id"]
    offers = W.offers_of(rid)
    return rid, (offers[0].expert_id if offers else None)


def test_in_network_expert_is_preferred_over_an_earlier_out_of_network_one(client, make, app, monkeypatch):
    monkeypatch.setitem(app.config, "MATCH_OUT_OF_NETWORK", "allow")
    w = W.build(make)
    inside, outside = W.expert(w), W.expert(w, hospital=w.other)
    W.slot(w, outside, hours=3)
    W.slot(w, inside, hours=40)

    rid, chosen = _offered_expert(client, w)

    assert chosen == inside.id
    assert W.offers_of(rid)[0].is_in_network is True


def test_out_of_network_expert_is_offered_when_no_partner_expert_is_free(client, make):
    w = W.build(make)
    W.expert(w)  # the partner's expert has no slot in the window
    outside = W.expert(w, hospital=w.other)
    W.slot(w, outside)

    rid, chosen = _offered_expert(client, w)

    assert chosen == outside.id
    assert W.offers_of(rid)[0].is_in_network is False


def test_out_of_network_is_not_used_while_a_partner_expert_is_free(client, make):
    w = W.build(make)
    inside, outside = W.expert(w), W.expert(w, hospital=w.other)
    W.slot(w, outside, hours=2)
    W.slot(w, inside, hours=60)

    _rid, chosen = _offered_expert(client, w)

    assert chosen == inside.id


def test_policy_never_leaves_request_unmatched_without_partner_expert(client, make, app, monkeypatch):
    monkeypatch.setitem(app.config, "MATCH_OUT_OF_NETWORK", "never")
    w = W.build(make)
    W.slot(w, W.expert(w, hospital=w.other))

    resp = W.file(client, w)

    assert resp.get_json()["status"] == "unmatched"


def test_expert_who_saw_the_patient_before_is_preferred(client, make):
    w = W.build(make)
    familiar, stranger = W.expert(w), W.expert(w)
    earlier = make.consultation_request(requester=w.doctor, specialty_=w.cardio, patient_ref="ZZ-2026-0042",
                                        status=RequestStatus.completed)
    past = make.slot(familiar, starts_at=T0 - timedelta(days=20))
    make.booking(past, request=earlier, status=BookingStatus.completed)
    W.slot(w, stranger, hours=20)
    W.slot(w, familiar, hours=30)

    rid, chosen = _offered_expert(client, w)

    assert chosen == familiar.id
    assert W.offers_of(rid)[0].score_parts["continuity"]["value"] == 1.0


def test_less_loaded_expert_is_preferred(client, make):
    w = W.build(make)
    busy, idle = W.expert(w), W.expert(w)
    for day in range(3):  # future sessions outside this request's window
        make.booking(make.slot(busy, starts_at=T0 + timedelta(days=5 + day)))
    W.slot(w, busy, hours=20)
    W.slot(w, idle, hours=21)

    rid, chosen = _offered_expert(client, w)

    assert chosen == idle.id
    parts = W.offers_of(rid)[0].score_parts
    assert parts["load"]["value"] == 1.0


def test_expert_at_daily_cap_is_skipped(client, make):
    w = W.build(make)
    capped, free = W.expert(w, daily_cap=1), W.expert(w)
    make.booking(W.slot(w, capped, hours=22))  # same local day as its open slot below
    W.slot(w, capped, hours=23)
    W.slot(w, free, hours=40)

    _rid, chosen = _offered_expert(client, w)

    assert chosen == free.id


def test_onsite_only_where_travel_time_fits(client, make):
    w = W.build(make)
    guangzhou = make.hospital(name="广州医院", latitude=23.13, longitude=113.26)
    make.partnership(w.county, guangzhou, [w.cardio])
    far, near = W.expert(w, hospital=guangzhou), W.expert(w)
    W.slot(w, far, hours=5)
    W.slot(w, near, hours=0.5)  # starts before the ~65 minutes of travel could be done
    W.slot(w, near, hours=30)

    rid, chosen = _offered_expert(client, w, preferred_mode="onsite")

    offer = W.offers_of(rid)[0]
    assert chosen == near.id and offer.slot.starts_at == T0 + timedelta(hours=30)
    assert 0 < offer.score_parts["travel"]["value"] < 1


def test_remote_request_never_gets_an_onsite_only_slot(client, make):
    w = W.build(make)
    W.slot(w, W.expert(w), mode=SlotMode.onsite)

    assert W.file(client, w, preferred_mode="remote").get_json()["status"] == "unmatched"


def test_travel_matrix_overrides_the_distance_estimate(client, make, app, monkeypatch):
    w = W.build(make)
    near = W.expert(w)
    monkeypatch.setitem(app.config, "TRAVEL_MATRIX", {f"{w.partner.id}-{w.county.id}": 600})
    W.slot(w, near, hours=30)

    assert W.file(client, w, preferred_mode="onsite").get_json()["status"] == "unmatched"


def test_score_parts_are_shown_to_whoever_may_see_the_offer(client, make):
    w = W.build(make)
    chosen, other = W.expert(w), W.expert(w, hospital=w.other)
    W.slot(w, chosen)
    rid = W.file(client, w).get_json()["id"]
    offer_id = W.offers_of(rid)[0].id

    as_expert = client.get(f"/api/v1/offers/{offer_id}", headers=W.headers(chosen.user)).get_json()
    as_doctor = client.get(f"/api/v1/requests/{rid}/offers", headers=W.headers(w.doctor)).get_json()
    as_other = client.get(f"/api/v1/offers/{offer_id}", headers=W.headers(other.user))
    other_list = client.get("/api/v1/offers", headers=W.headers(other.user)).get_json()

    assert set(as_expert["score_parts"]) == PARTS
    assert abs(as_expert["score"] - sum(p["points"] for p in as_expert["score_parts"].values())) < 1e-3
    assert as_expert["score_parts"]["partnership"] == {"value": 1.0, "weight": 3.0, "points": 3.0}
    assert as_doctor[0]["score_parts"] == as_expert["score_parts"]
    assert as_other.status_code == 403 and other_list["total"] == 0


def test_urgency_weighs_time_to_slot(client, make):
    w = W.build(make)
    W.slot(w, W.expert(w), hours=20)
    W.slot(w, W.expert(w), hours=21)

    routine = W.offers_of(W.file(client, w).get_json()["id"])[0].score_parts["time"]["weight"]
    urgent = W.offers_of(W.file(client, w, urgency="urgent").get_json()["id"])[0].score_parts["time"]["weight"]

    assert urgent > routine


def test_scheduler_assigns_by_hand_overriding_the_ranking(client, make):
    w = W.build(make)
    best, manual = W.expert(w), W.expert(w)
    W.slot(w, best, hours=10)
    hand_picked = W.slot(w, manual, hours=50)
    rid = W.file(client, w).get_json()["id"]

    resp = client.post(f"/api/v1/requests/{rid}/assign", json={"slot_id": hand_picked.id, "note": "knows the case"},
                       headers=W.headers(w.partner_scheduler))
    stranger = client.post(f"/api/v1/requests/{rid}/assign", json={"slot_id": hand_picked.id},
                           headers=W.headers(make.user(Role.scheduler, hospital=make.county_hospital())))

    assert resp.status_code == 201 and resp.get_json()["is_manual"] is True
    assert resp.get_json()["expert"]["id"] == manual.id
    first, second = W.offers_of(rid)
    assert first.status.name == "withdrawn" and second.status.name == "pending"
    from app.core.audit import AuditEvent

    event = db.session.scalar(sa.select(AuditEvent).where(AuditEvent.action == "request.assigned"))
    assert event.actor_id == w.partner_scheduler.id and event.data["note"] == "knows the case"
    assert stranger.status_code == 403
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Notification).where(
        Notification.user_id == manual.user_id, Notification.type == "offer.created")) == 1


def test_unrelated_hospitals_scheduler_cannot_assign_own_expert_to_another_hospitals_request(client, make):
    w = W.build(make)
    W.slot(w, W.expert(w), hours=10)
    outsider = W.expert(w, hospital=w.other)
    outsiders_slot = W.slot(w, outsider, hours=20)
    rid = W.file(client, w).get_json()["id"]

    resp = client.post(f"/api/v1/requests/{rid}/assign", json={"slot_id": outsiders_slot.id},
                       headers=W.headers(w.other_scheduler))
    read = client.get(f"/api/v1/requests/{rid}", headers=W.headers(w.other_scheduler))

    assert resp.status_code == 403
    assert read.status_code == 403  # no offer to its expert, so the clinical details stay hidden
    assert [o.status.name for o in W.offers_of(rid)] == ["pending"]  # the partner's offer stands
