"""From accepted offer to session: rooms, out-calls, cancel, reschedule, running it."""

from datetime import timedelta

import sqlalchemy as sa

from app.accounts.models import Role
from app.bookings.models import OutCall
from app.extensions import db
from app.rosters.models import Slot, SlotStatus
from tests.conftest import T0
from tests.consults import world as W


def _booked(client, w, expert=None, hours=24, then=None, **overrides):
    """File a request, let the offered expert accept; returns (request id, booking json, expert).
    `then` runs between the offer and the accept (e.g. to add the expert's other slots)."""
    expert = expert or W.expert(w)
    W.slot(w, expert, hours=hours)
    rid = W.file(client, w, **overrides).get_json()["id"]
    extra = then() if then else None
    offer = W.offers_of(rid)[-1]
    resp = client.post(f"/api/v1/offers/{offer.id}/accept", headers=W.headers(expert.user))
    assert resp.status_code == 201, resp.get_json()
    return (rid, resp.get_json(), expert) if then is None else (rid, resp.get_json(), expert, extra)


def _status(client, w, rid):
    return client.get(f"/api/v1/requests/{rid}", headers=W.headers(w.doctor)).get_json()["status"]


def test_remote_booking_gets_an_unguessable_video_room(client, make, app):
    w = W.build(make)
    rid, one, _ = _booked(client, w)
    _rid2, two, _ = _booked(client, w, hours=30)

    assert one["mode"] == "remote" and one["status"] == "scheduled"
    assert one["video_url"].startswith(app.config["VIDEO_BASE_URL"] + "/huizhen-")
    assert len(one["video_url"].rsplit("-", 1)[-1]) >= 20 or len(one["video_url"]) > 50
    assert one["video_url"] != two["video_url"]
    assert _status(client, w, rid) == "booked"
    assert db.session.get(Slot, one["slot_id"]).status is SlotStatus.booked


def test_onsite_bookings_share_the_days_out_call_and_block_travel_time(client, make):
    w = W.build(make)
    e = W.expert(w)
    _rid, first, _ = _booked(client, w, expert=e, hours=24, preferred_mode="onsite")
    _rid2, second, _ = _booked(client, w, expert=e, hours=28, preferred_mode="onsite", patient_ref="ZZ-2026-0043")

    assert first["mode"] == "onsite" and first["video_url"] is None and first["location"]
    assert first["out_call_id"] == second["out_call_id"] is not None
    out_call = db.session.get(OutCall, first["out_call_id"])
    assert out_call.hospital_id == w.county.id and 60 <= out_call.travel_minutes <= 90
    assert db.session.scalar(sa.select(sa.func.count()).select_from(OutCall)) == 1


def test_travel_margin_blocks_adjacent_open_slots_and_cancel_frees_them(client, make):
    w = W.build(make)
    e = W.expert(w)
    rid, booking, _, (adjacent, after, far) = _booked(
        client, w, expert=e, hours=24, preferred_mode="onsite",
        then=lambda: (W.slot(w, e, hours=23.5), W.slot(w, e, hours=24.5), W.slot(w, e, hours=20)))
    db.session.expire_all()
    blocked = [db.session.get(Slot, s.id).status for s in (adjacent, after)]
    assert db.session.get(Slot, far.id).status is SlotStatus.open  # outside the ~65 minutes of travel

    client.post(f"/api/v1/bookings/{booking['id']}/cancel", json={"reason": "patient improved"},
                headers=W.headers(w.doctor))
    db.session.expire_all()

    assert blocked == [SlotStatus.blocked, SlotStatus.blocked]
    assert db.session.get(Slot, adjacent.id).status is SlotStatus.open
    assert db.session.get(Slot, booking["slot_id"]).status is SlotStatus.open


def test_requesting_side_cancel_ends_request_and_keeps_history(client, make):
    w = W.build(make)
    rid, booking, e = _booked(client, w)

    resp = client.post(f"/api/v1/bookings/{booking['id']}/cancel", json={"reason": "patient transferred"},
                       headers=W.headers(w.doctor))
    history = client.get(f"/api/v1/bookings/{booking['id']}/history", headers=W.headers(e.user)).get_json()

    assert resp.status_code == 200
    body = resp.get_json()
    assert body["status"] == "cancelled" and body["cancel_reason"] == "patient transferred"
    assert body["cancelled_by_id"] == w.doctor.id
    assert [h["kind"] for h in history] == ["booked", "cancelled"]
    assert _status(client, w, rid) == "cancelled"
    assert client.get(f"/api/v1/bookings/{booking['id']}", headers=W.headers(w.doctor)).status_code == 200


def test_expert_cancel_sends_request_back_to_matching(client, make):
    w = W.build(make)
    other = W.expert(w)
    W.slot(w, other, hours=40)
    rid, booking, e = _booked(client, w, hours=24)

    resp = client.post(f"/api/v1/bookings/{booking['id']}/cancel", json={"reason": "called to surgery"},
                       headers=W.headers(e.user))

    assert resp.status_code == 200
    assert _status(client, w, rid) == "offered"
    assert W.offers_of(rid)[-1].expert_id == other.id


def test_reschedule_to_another_slot_of_the_same_expert(client, make):
    w = W.build(make)
    rid, booking, e = _booked(client, w, hours=24)
    later = W.slot(w, e, hours=48)
    foreign = W.slot(w, W.expert(w), hours=50)

    moved = client.post(f"/api/v1/bookings/{booking['id']}/reschedule", json={"slot_id": later.id, "reason": "clinic"},
                        headers=W.headers(w.doctor))
    wrong = client.post(f"/api/v1/bookings/{booking['id']}/reschedule", json={"slot_id": foreign.id, "reason": "x y"},
                        headers=W.headers(w.doctor))

    assert moved.status_code == 200
    assert moved.get_json()["slot_id"] == later.id and moved.get_json()["id"] == booking["id"]
    assert wrong.status_code == 422 and "slot_id" in wrong.get_json()["errors"]
    db.session.expire_all()
    assert db.session.get(Slot, booking["slot_id"]).status is SlotStatus.open
    assert db.session.get(Slot, later.id).status is SlotStatus.booked
    history = client.get(f"/api/v1/bookings/{booking['id']}/history", headers=W.headers(w.doctor)).get_json()
    assert history[-1]["kind"] == "rescheduled" and history[-1]["to_slot_id"] == later.id


def test_reschedule_back_to_matching(client, make):
    w = W.build(make)
    rid, booking, _e = _booked(client, w, hours=24)
    nxt = W.expert(w)
    W.slot(w, nxt, hours=30)

    resp = client.post(f"/api/v1/bookings/{booking['id']}/reschedule", json={"reason": "another expert wanted"},
                       headers=W.headers(w.county_scheduler))

    assert resp.status_code == 200 and resp.get_json()["status"] == "cancelled"
    assert _status(client, w, rid) == "offered"
    assert W.offers_of(rid)[-1].expert_id == nxt.id


def test_session_runs_at_the_right_time_by_the_right_people(client, make, clock):
    w = W.build(make)
    rid, booking, e = _booked(client, w, hours=24)
    bid = booking["id"]

    too_early = client.post(f"/api/v1/bookings/{bid}/start", headers=W.headers(e.user))
    clock.set(T0 + timedelta(hours=24) - timedelta(minutes=5))
    by_doctor = client.post(f"/api/v1/bookings/{bid}/start", headers=W.headers(w.doctor))
    started = client.post(f"/api/v1/bookings/{bid}/start", headers=W.headers(e.user))
    done = client.post(f"/api/v1/bookings/{bid}/complete", headers=W.headers(e.user))

    assert too_early.status_code == 409 and "can start from" in too_early.get_json()["detail"]
    assert by_doctor.status_code == 403
    assert started.status_code == 200 and started.get_json()["status"] == "in_progress"
    assert done.status_code == 200 and done.get_json()["status"] == "completed"
    assert _status(client, w, rid) == "completed"


def test_no_show_reported_by_the_right_side_after_grace(client, make, clock):
    w = W.build(make)
    backup = W.expert(w)
    W.slot(w, backup, hours=30)
    rid, booking, e = _booked(client, w, hours=24)
    bid = booking["id"]
    clock.set(T0 + timedelta(hours=24, minutes=5))

    early = client.post(f"/api/v1/bookings/{bid}/no-show", json={"side": "expert"}, headers=W.headers(w.doctor))
    clock.advance(minutes=10)
    wrong_side = client.post(f"/api/v1/bookings/{bid}/no-show", json={"side": "expert"}, headers=W.headers(e.user))
    ok = client.post(f"/api/v1/bookings/{bid}/no-show", json={"side": "expert"}, headers=W.headers(w.doctor))

    assert early.status_code == 409
    assert wrong_side.status_code == 403
    assert ok.status_code == 200 and ok.get_json()["no_show_side"] == "expert"
    assert _status(client, w, rid) == "offered"
    assert W.offers_of(rid)[-1].expert_id == backup.id


def test_patient_no_show_ends_the_request(client, make, clock):
    w = W.build(make)
    rid, booking, e = _booked(client, w, hours=24)
    clock.set(T0 + timedelta(hours=24, minutes=15))

    resp = client.post(f"/api/v1/bookings/{booking['id']}/no-show", json={"side": "requester"},
                       headers=W.headers(e.user))

    assert resp.status_code == 200
    assert _status(client, w, rid) == "cancelled"


def test_booking_confirmation_notifies_both_sides_in_the_same_transaction(client, make):
    from app.notifications.models import Notification

    w = W.build(make)
    _rid, booking, e = _booked(client, w)

    rows = db.session.execute(sa.select(Notification.user_id, Notification.payload).where(
        Notification.type == "booking.confirmed")).all()
    assert {r.user_id for r in rows} == {w.doctor.id, e.user_id}
    assert all(r.payload["booking_id"] == booking["id"] for r in rows)


def test_cancelling_a_booked_request_cancels_its_booking_and_frees_the_slot(client, make):
    w = W.build(make)
    rid, booking, e = _booked(client, w)

    resp = client.post(f"/api/v1/requests/{rid}/cancel", json={"reason": "patient recovered"},
                       headers=W.headers(w.doctor))

    assert resp.status_code == 200 and resp.get_json()["status"] == "cancelled"
    after = client.get(f"/api/v1/bookings/{booking['id']}", headers=W.headers(e.user)).get_json()
    assert after["status"] == "cancelled" and after["cancel_reason"] == "patient recovered"
    db.session.expire_all()
    assert db.session.get(Slot, booking["slot_id"]).status is SlotStatus.open


def test_reschedule_to_a_slot_that_is_not_open_is_409(client, make):
    w = W.build(make)
    _rid, booking, e = _booked(client, w, hours=24)
    taken = W.slot(w, e, hours=48, status=SlotStatus.blocked)

    resp = client.post(f"/api/v1/bookings/{booking['id']}/reschedule", json={"slot_id": taken.id, "reason": "later"},
                       headers=W.headers(w.doctor))

    assert resp.status_code == 409 and "not open" in resp.get_json()["detail"]
    assert client.get(f"/api/v1/bookings/{booking['id']}", headers=W.headers(w.doctor)).get_json()["slot_id"] == \
        booking["slot_id"]


def test_scheduler_previews_the_ranking_with_score_parts(client, make):
    w = W.build(make)
    for hours in (10, 20):
        W.slot(w, W.expert(w), hours=hours)
    rid = W.file(client, w).get_json()["id"]

    ranking = client.get(f"/api/v1/requests/{rid}/candidates", headers=W.headers(w.partner_scheduler))
    as_doctor = client.get(f"/api/v1/requests/{rid}/candidates", headers=W.headers(w.doctor))

    assert ranking.status_code == 200
    assert len(ranking.get_json()) == 1  # the other expert's slot already has the pending offer
    assert set(ranking.get_json()[0]["parts"]) >= {"time", "partnership", "travel"}
    assert as_doctor.status_code == 403


def test_video_room_reaches_only_the_sessions_participants(client, make):
    w = W.build(make)
    _rid, booking, expert = _booked(client, w)
    colleague = make.user(Role.county_doctor, hospital=w.county)

    def seen_by(user):
        one = client.get(f"/api/v1/bookings/{booking['id']}", headers=W.headers(user)).get_json()
        listed = client.get("/api/v1/bookings", headers=W.headers(user)).get_json()["items"]
        return one["video_url"], [b["video_url"] for b in listed]

    room = booking["video_url"]
    assert room
    for participant in (w.doctor, colleague, expert.user):
        assert seen_by(participant) == (room, [room])
    for scheduler in (w.county_scheduler, w.partner_scheduler):
        assert seen_by(scheduler) == (None, [None])
