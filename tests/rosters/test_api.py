"""Rules, exceptions, calendar days and slots over HTTP: who may do what, and what a
change does to open and booked slots."""

from datetime import timedelta

import sqlalchemy as sa

from app.accounts.models import Role
from app.extensions import db
from app.notifications.models import Notification
from app.rosters.models import SlotMode, SlotStatus
from app.rosters.slots import claim_slot
from tests.factories import token_headers
from tests.rosters.conftest import slots_of, utc

RULE = {"weekdays": ["mon", "wed"], "start_time": "09:00", "end_time": "11:00", "slot_minutes": 30,
        "mode": "remote", "valid_from": "2026-11-01"}


def _create_rule(client, expert, headers) -> int:
    resp = client.post(f"/api/v1/experts/{expert.id}/roster-rules", json=RULE, headers=headers)
    return resp.get_json()["rule"]["id"]


def _book(make, slot):
    assert claim_slot(slot.id)
    make.booking(slot)
    db.session.commit()
    db.session.refresh(slot)
    return slot


def test_scheduler_creates_a_rule_and_its_slots_appear(client, make, beijing):
    expert = make.expert(hospital=beijing)
    headers = token_headers(make.user(Role.scheduler, hospital=beijing))

    resp = client.post(f"/api/v1/experts/{expert.id}/roster-rules", json=RULE, headers=headers)

    body = resp.get_json()
    assert resp.status_code == 201
    assert body["rule"]["weekdays"] == ["mon", "wed"] and body["created"] == len(slots_of(expert)) > 0
    assert client.get(f"/api/v1/experts/{expert.id}/roster-rules", headers=headers).get_json()["total"] == 1


def test_deleting_a_rule_keeps_its_booked_slot_and_reports_it(client, make, beijing):
    expert = make.expert(hospital=beijing)
    headers = token_headers(make.user(Role.scheduler, hospital=beijing))
    rule_id = _create_rule(client, expert, headers)
    booked = _book(make, slots_of(expert)[0])
    open_before = len(slots_of(expert)) - 1

    resp = client.delete(f"/api/v1/roster-rules/{rule_id}", headers=headers)

    body = resp.get_json()
    assert resp.status_code == 200
    assert body["removed"] == open_before
    assert [s["id"] for s in body["untouched"]] == [booked.id]
    remaining = slots_of(expert)
    assert [(s.id, s.status) for s in remaining] == [(booked.id, SlotStatus.booked)]


def test_expert_deleting_own_rule_with_a_booking_tells_the_schedulers(client, make, beijing):
    expert = make.expert(hospital=beijing)
    scheduler = make.user(Role.scheduler, hospital=beijing)
    headers = token_headers(expert.user)
    rule_id = _create_rule(client, expert, headers)
    booked = _book(make, slots_of(expert)[0])

    client.delete(f"/api/v1/roster-rules/{rule_id}", headers=headers)

    notes = db.session.scalars(sa.select(Notification).where(Notification.user_id == scheduler.id)).all()
    assert [n.type for n in notes] == ["roster.booked_slots_untouched"]
    assert [s["id"] for s in notes[0].payload["slots"]] == [booked.id]


def test_editing_a_rule_redoes_open_slots_and_reports_booked_ones_it_no_longer_covers(client, make, beijing):
    expert = make.expert(hospital=beijing)
    headers = token_headers(make.user(Role.scheduler, hospital=beijing))
    rule_id = _create_rule(client, expert, headers)
    booked = _book(make, slots_of(expert, utc(2026, 11, 25, 1, 0))[0])  # Wednesday 09:00 Beijing

    resp = client.patch(f"/api/v1/roster-rules/{rule_id}", json={"weekdays": ["tue"]}, headers=headers)

    body = resp.get_json()
    assert resp.status_code == 200
    assert [s["id"] for s in body["untouched"]] == [booked.id]
    local_weekdays = {s.starts_at.weekday() for s in slots_of(expert) if s.status is SlotStatus.open}
    assert local_weekdays == {1}
    assert db.session.get(type(booked), booked.id).status is SlotStatus.booked


def test_expert_manages_own_rules_but_not_a_colleagues(client, make, beijing):
    expert, colleague = make.expert(hospital=beijing), make.expert(hospital=beijing)
    headers = token_headers(expert.user)

    own = client.post(f"/api/v1/experts/{expert.id}/roster-rules", json=RULE, headers=headers)
    other = client.post(f"/api/v1/experts/{colleague.id}/roster-rules", json=RULE, headers=headers)

    assert own.status_code == 201
    assert other.status_code == 403


def test_scheduler_of_hospital_a_cannot_touch_hospital_b_experts(client, make):
    hospital_a, hospital_b = make.hospital(), make.hospital()
    expert_b = make.expert(hospital=hospital_b)
    headers_b = token_headers(make.user(Role.scheduler, hospital=hospital_b))
    rule_id = client.post(f"/api/v1/experts/{expert_b.id}/roster-rules", json=RULE, headers=headers_b
                          ).get_json()["rule"]["id"]
    slot_id = slots_of(expert_b)[0].id
    headers_a = token_headers(make.user(Role.scheduler, hospital=hospital_a))
    leave = {"kind": "leave", "starts_at": "2026-12-01T00:00:00Z", "ends_at": "2026-12-08T00:00:00Z"}

    attempts = [
        client.post(f"/api/v1/experts/{expert_b.id}/roster-rules", json=RULE, headers=headers_a),
        client.patch(f"/api/v1/roster-rules/{rule_id}", json={"start_time": "08:00"}, headers=headers_a),
        client.delete(f"/api/v1/roster-rules/{rule_id}", headers=headers_a),
        client.post(f"/api/v1/experts/{expert_b.id}/roster-exceptions", json=leave, headers=headers_a),
        client.post(f"/api/v1/slots/{slot_id}/block", headers=headers_a),
        client.post(f"/api/v1/experts/{expert_b.id}/slots/materialise", headers=headers_a),
        client.post(f"/api/v1/experts/{expert_b.id}/calendar-feed", headers=headers_a),
        client.post(f"/api/v1/hospitals/{hospital_b.id}/calendar-days", json={"day": "2027-01-05", "kind": "holiday"},
                    headers=headers_a),
    ]

    assert [r.status_code for r in attempts] == [403] * len(attempts)
    assert client.get(f"/api/v1/roster-rules/{rule_id}", headers=headers_b).get_json()["start_time"] == "09:00"
    assert all(s.status is SlotStatus.open for s in slots_of(expert_b))


def test_leave_removes_open_slots_and_reports_booked_ones(client, make, beijing):
    expert = make.expert(hospital=beijing)
    headers = token_headers(make.user(Role.scheduler, hospital=beijing))
    client.post(f"/api/v1/experts/{expert.id}/roster-rules", json=RULE, headers=headers)
    booked = _book(make, slots_of(expert, utc(2026, 11, 30))[0])
    leave = {"kind": "leave", "starts_at": "2026-11-29T16:00:00Z", "ends_at": "2026-12-06T16:00:00Z",
             "reason": "conference"}

    resp = client.post(f"/api/v1/experts/{expert.id}/roster-exceptions", json=leave, headers=headers)

    body = resp.get_json()
    assert resp.status_code == 201
    assert body["removed"] == 7 and [s["id"] for s in body["untouched"]] == [booked.id]
    during = slots_of(expert, utc(2026, 11, 29, 16), utc(2026, 12, 6, 16))
    assert [s.id for s in during] == [booked.id]

    deleted = client.delete(f"/api/v1/roster-exceptions/{body['exception']['id']}", headers=headers)
    assert deleted.get_json()["created"] == 7


def test_hospital_holiday_entered_by_hand_removes_that_days_open_slots(client, make, beijing):
    expert = make.expert(hospital=beijing)
    headers = token_headers(make.user(Role.scheduler, hospital=beijing))
    client.post(f"/api/v1/experts/{expert.id}/roster-rules", json=RULE, headers=headers)

    resp = client.post(f"/api/v1/hospitals/{beijing.id}/calendar-days",
                       json={"day": "2026-12-02", "kind": "holiday", "name": "院庆"}, headers=headers)
    twice = client.post(f"/api/v1/hospitals/{beijing.id}/calendar-days",
                        json={"day": "2026-12-02", "kind": "workday"}, headers=headers)

    assert resp.status_code == 201 and resp.get_json()["removed"] == 4
    assert twice.status_code == 409
    assert slots_of(expert, utc(2026, 12, 1, 16), utc(2026, 12, 2, 16)) == []


def test_scheduler_blocks_and_unblocks_a_single_slot(client, make, beijing):
    expert = make.expert(hospital=beijing)
    slot = make.slot(expert)
    scheduler = token_headers(make.user(Role.scheduler, hospital=beijing))
    doctor = token_headers(make.user(Role.county_doctor))

    blocked = client.post(f"/api/v1/slots/{slot.id}/block", headers=scheduler)
    again = client.post(f"/api/v1/slots/{slot.id}/block", headers=scheduler)
    by_doctor = client.post(f"/api/v1/slots/{slot.id}/unblock", headers=doctor)
    hidden = client.get(f"/api/v1/slots?expert_id={expert.id}", headers=doctor).get_json()["total"]
    unblocked = client.post(f"/api/v1/slots/{slot.id}/unblock", headers=scheduler)

    assert blocked.status_code == 200 and blocked.get_json()["status"] == "blocked"
    assert again.status_code == 409
    assert by_doctor.status_code == 403
    assert hidden == 0
    assert unblocked.get_json()["status"] == "open"


def test_booked_slot_cannot_be_blocked(client, make, beijing):
    expert = make.expert(hospital=beijing)
    slot = _book(make, make.slot(expert))
    headers = token_headers(make.user(Role.scheduler, hospital=beijing))

    resp = client.post(f"/api/v1/slots/{slot.id}/block", headers=headers)

    assert resp.status_code == 409 and "booked" in resp.get_json()["detail"]


def test_slot_search_filters_by_specialty_mode_window_hospital_and_partnership(client, make):
    cardio, neuro = make.specialty("cardiology"), make.specialty("neurology")
    partner, elsewhere, county = make.hospital(), make.hospital(), make.county_hospital()
    partnership = make.partnership(county, partner, [cardio])
    wanted = make.expert(hospital=partner, specialties=[cardio])
    onsite_only = make.expert(hospital=partner, specialties=[cardio])
    neurologist = make.expert(hospital=partner, specialties=[neuro])
    far_away = make.expert(hospital=elsewhere, specialties=[cardio])
    hits = [make.slot(wanted, utc(2026, 11, 25, 2) + timedelta(hours=i)) for i in range(3)]

    make.slot(onsite_only, utc(2026, 11, 25, 2), mode=SlotMode.onsite)
    make.slot(neurologist, utc(2026, 11, 25, 2))
    make.slot(far_away, utc(2026, 11, 25, 2))
    make.slot(wanted, utc(2026, 12, 25, 2))  # outside the window
    headers = token_headers(make.user(Role.county_doctor, hospital=county))

    query = (f"specialty=cardiology&mode=remote&partnership_id={partnership.id}"
             "&starts_after=2026-11-25T00:00:00Z&starts_before=2026-11-26T00:00:00Z&per_page=2")
    first = client.get(f"/api/v1/slots?{query}", headers=headers).get_json()
    second = client.get(f"/api/v1/slots?{query}&page=2", headers=headers).get_json()
    by_hospital = client.get(f"/api/v1/slots?hospital_id={elsewhere.id}", headers=headers).get_json()

    assert first["total"] == 3
    assert [s["id"] for s in first["items"] + second["items"]] == [s.id for s in hits]
    assert [s["expert_id"] for s in by_hospital["items"]] == [far_away.id]
    assert client.get("/api/v1/slots?specialty=astrology", headers=headers).status_code == 422


def test_bad_rule_is_422_naming_the_field(client, make, beijing):
    expert = make.expert(hospital=beijing, accepts_onsite=False)
    headers = token_headers(make.user(Role.scheduler, hospital=beijing))

    backwards = client.post(f"/api/v1/experts/{expert.id}/roster-rules",
                            json={**RULE, "end_time": "08:00"}, headers=headers)
    onsite = client.post(f"/api/v1/experts/{expert.id}/roster-rules", json={**RULE, "mode": "onsite"}, headers=headers)
    no_day = client.post(f"/api/v1/experts/{expert.id}/roster-rules", json={**RULE, "weekdays": ["funday"]},
                         headers=headers)

    assert backwards.status_code == 422 and "end_time" in backwards.get_json()["errors"]
    assert onsite.status_code == 422 and "mode" in onsite.get_json()["errors"]
    assert no_day.status_code == 422 and "weekdays" in no_day.get_json()["errors"]


def test_editing_a_rule_keeps_the_slots_it_still_describes(client, make, beijing):
    expert = make.expert(hospital=beijing)
    headers = token_headers(make.user(Role.scheduler, hospital=beijing))
    rule_id = _create_rule(client, expert, headers)
    before = {s.starts_at: s.id for s in slots_of(expert) if s.starts_at < utc(2026, 12, 31)}

    resp = client.patch(f"/api/v1/roster-rules/{rule_id}", json={"valid_to": "2026-12-31"}, headers=headers)

    db.session.rollback()
    after = {s.starts_at: s.id for s in slots_of(expert)}
    assert resp.get_json()["created"] == 0 and resp.get_json()["removed"] > 0
    assert after == before


def test_hand_entered_working_day_makes_a_provisional_day_definite(client, make, beijing):
    expert = make.expert(hospital=beijing)
    headers = token_headers(make.user(Role.scheduler, hospital=beijing))
    _create_rule(client, expert, headers)
    monday = slots_of(expert, utc(2027, 1, 3, 16), utc(2027, 1, 4, 16))
    assert monday and all(s.is_provisional for s in monday)

    resp = client.post(f"/api/v1/hospitals/{beijing.id}/calendar-days",
                       json={"day": "2027-01-04", "kind": "workday", "name": "confirmed"}, headers=headers)

    db.session.rollback()
    again = slots_of(expert, utc(2027, 1, 3, 16), utc(2027, 1, 4, 16))
    assert resp.status_code == 201 and resp.get_json()["removed"] == 0 and resp.get_json()["untouched"] == []
    assert [s.id for s in again] == [s.id for s in monday]
    assert not any(s.is_provisional for s in again)
