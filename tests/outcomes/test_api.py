from datetime import UTC, datetime, timedelta

import sqlalchemy as sa

from app.accounts.models import Role
from app.bookings.models import BookingStatus
from app.core.audit import AuditEvent
from app.extensions import db
from app.notifications.models import Notification
from app.outcomes.models import Disposition
from tests.factories import token_headers

ADVICE = {"advice": "Start aspirin 100 mg daily; echocardiogram within a week.",
          "disposition": "follow_up", "diagnosis_text": "Stable angina", "icd10_code": "I20.8",
          "duration_minutes": 30, "preparation_rating": 4}


def _session(make, status=BookingStatus.completed, starts_at=datetime(2026, 11, 24, 1, 0, tzinfo=UTC)):
    """A booking of a tertiary expert for a county hospital's request, already held."""
    tertiary, county = make.hospital(), make.county_hospital()
    expert = make.expert(hospital=tertiary)
    doctor = make.user(Role.county_doctor, hospital=county)
    request = make.consultation_request(requester=doctor)
    booking = make.booking(make.slot(expert, starts_at=starts_at), request=request, status=status)
    return booking, expert, doctor


def test_expert_records_the_outcome_and_the_requester_is_told(client, make):
    booking, expert, doctor = _session(make)

    resp = client.post(f"/api/v1/bookings/{booking.id}/outcome", json=ADVICE, headers=token_headers(expert.user))

    assert resp.status_code == 201, resp.get_json()
    body = resp.get_json()
    assert body["disposition"] == "follow_up" and body["version"] == 1 and body["icd10_code"] == "I20.8"
    notified = sa.select(Notification.type).where(Notification.user_id == doctor.id)
    audited = sa.select(AuditEvent.action).where(AuditEvent.entity_type == "outcomes")
    assert db.session.scalar(notified) == db.session.scalar(audited) == "outcome.recorded"


def test_bad_icd10_code_is_422_naming_the_field(client, make):
    booking, expert, _ = _session(make)

    resp = client.post(f"/api/v1/bookings/{booking.id}/outcome", json={**ADVICE, "icd10_code": "chest pain"},
                       headers=token_headers(expert.user))

    assert resp.status_code == 422
    assert "icd10_code" in resp.get_json()["errors"]


def test_only_the_bookings_expert_records_an_outcome(client, make):
    booking, _expert, doctor = _session(make)
    other_expert = make.expert()

    for user in (doctor, other_expert.user, make.user(Role.admin)):
        resp = client.post(f"/api/v1/bookings/{booking.id}/outcome", json=ADVICE, headers=token_headers(user))
        assert resp.status_code == 403


def test_no_outcome_before_the_session_starts_or_after_a_no_show(client, make, clock):
    future, expert, _ = _session(make, status=BookingStatus.scheduled,
                                 starts_at=datetime(2026, 11, 25, 2, 0, tzinfo=UTC))
    headers = token_headers(expert.user)
    assert client.post(f"/api/v1/bookings/{future.id}/outcome", json=ADVICE, headers=headers).status_code == 409

    clock.set(datetime(2026, 11, 25, 2, 10, tzinfo=UTC))
    headers = token_headers(expert.user)  # a fresh token at the new time
    assert client.post(f"/api/v1/bookings/{future.id}/outcome", json=ADVICE, headers=headers).status_code == 201

    no_show = make.booking(make.slot(expert, starts_at=datetime(2026, 11, 23, 2, 0, tzinfo=UTC)),
                           status=BookingStatus.no_show)
    resp = client.post(f"/api/v1/bookings/{no_show.id}/outcome", json=ADVICE, headers=headers)
    assert resp.status_code == 409 and "no_show" in resp.get_json()["detail"]


def test_second_outcome_for_a_booking_is_409(client, make):
    booking, expert, _ = _session(make)
    headers = token_headers(expert.user)
    client.post(f"/api/v1/bookings/{booking.id}/outcome", json=ADVICE, headers=headers)

    resp = client.post(f"/api/v1/bookings/{booking.id}/outcome", json=ADVICE, headers=headers)

    assert resp.status_code == 409


def test_an_amended_outcome_keeps_its_history(client, make):
    booking, expert, doctor = _session(make)
    headers = token_headers(expert.user)
    outcome_id = client.post(f"/api/v1/bookings/{booking.id}/outcome", json=ADVICE, headers=headers).get_json()["id"]

    first = client.patch(f"/api/v1/outcomes/{outcome_id}", headers=headers,
                         json={"disposition": "refer_up", "reason": "troponin came back raised"})
    second = client.patch(f"/api/v1/outcomes/{outcome_id}", headers=headers,
                          json={"icd10_code": "I21.4", "reason": "NSTEMI confirmed"})
    history = client.get(f"/api/v1/outcomes/{outcome_id}/revisions", headers=token_headers(doctor)).get_json()

    assert first.status_code == 200 and second.status_code == 200
    assert second.get_json()["version"] == 3
    assert second.get_json()["disposition"] == "refer_up" and second.get_json()["icd10_code"] == "I21.4"
    assert [r["version"] for r in history] == [1, 2]
    assert history[0]["snapshot"]["disposition"] == "follow_up" and history[0]["snapshot"]["icd10_code"] == "I20.8"
    assert history[1]["snapshot"]["disposition"] == "refer_up" and history[1]["snapshot"]["icd10_code"] == "I20.8"
    assert history[1]["reason"] == "NSTEMI confirmed"


def test_amendment_needs_a_reason_and_a_real_change(client, make):
    booking, expert, _ = _session(make)
    headers = token_headers(expert.user)
    outcome_id = client.post(f"/api/v1/bookings/{booking.id}/outcome", json=ADVICE, headers=headers).get_json()["id"]

    no_reason = client.patch(f"/api/v1/outcomes/{outcome_id}", json={"disposition": "refer_up"}, headers=headers)
    no_change = client.patch(f"/api/v1/outcomes/{outcome_id}", json={"disposition": "follow_up", "reason": "x"},
                             headers=headers)

    assert no_reason.status_code == 422 and "reason" in no_reason.get_json()["errors"]
    assert no_change.status_code == 422
    assert client.get(f"/api/v1/outcomes/{outcome_id}", headers=headers).get_json()["version"] == 1


def test_county_doctor_of_the_requesting_hospital_confirms_and_rates(client, make):
    booking, expert, doctor = _session(make)
    colleague = make.user(Role.county_doctor, hospital=db.session.get(type(doctor.hospital), doctor.hospital_id))
    outsider = make.user(Role.county_doctor)
    outcome = make.outcome(booking)

    denied = client.post(f"/api/v1/outcomes/{outcome.id}/confirmation", json={"rating": 5},
                         headers=token_headers(outsider))
    by_expert = client.post(f"/api/v1/outcomes/{outcome.id}/confirmation", json={"rating": 5},
                            headers=token_headers(expert.user))
    bad = client.post(f"/api/v1/outcomes/{outcome.id}/confirmation", json={"rating": 6},
                      headers=token_headers(colleague))
    ok = client.post(f"/api/v1/outcomes/{outcome.id}/confirmation", json={"rating": 4, "comment": "很有帮助"},
                     headers=token_headers(colleague))
    rerated = client.post(f"/api/v1/outcomes/{outcome.id}/confirmation", json={"rating": 5},
                          headers=token_headers(doctor))

    assert denied.status_code == 403 and by_expert.status_code == 403
    assert bad.status_code == 422 and "rating" in bad.get_json()["errors"]
    assert ok.status_code == 200 and ok.get_json()["requester_rating"] == 4 and ok.get_json()["version"] == 1
    assert rerated.get_json()["requester_rating"] == 5 and rerated.get_json()["version"] == 2
    history = client.get(f"/api/v1/outcomes/{outcome.id}/revisions", headers=token_headers(doctor)).get_json()
    assert history[0]["snapshot"]["requester_rating"] == 4
    assert history[0]["snapshot"]["requester_comment"] == "很有帮助"


def test_referral_up_and_down_are_recorded_with_status(client, make):
    booking, expert, doctor = _session(make)
    outcome = make.outcome(booking, disposition=Disposition.refer_up)
    city = make.hospital()

    up = client.post(f"/api/v1/outcomes/{outcome.id}/referrals", headers=token_headers(expert.user),
                     json={"direction": "up", "to_hospital_id": city.id, "note": "cardiology ward"})
    accepted = client.post(f"/api/v1/referrals/{up.get_json()['id']}/status", json={"status": "accepted"},
                           headers=token_headers(expert.user))
    back = client.post(f"/api/v1/referrals/{up.get_json()['id']}/status", json={"status": "proposed"},
                       headers=token_headers(expert.user))
    down = client.post(f"/api/v1/outcomes/{outcome.id}/referrals", json={"direction": "down"},
                       headers=token_headers(doctor))
    to_county = client.post(f"/api/v1/outcomes/{outcome.id}/referrals", headers=token_headers(expert.user),
                            json={"direction": "up", "to_hospital_id": doctor.hospital_id})

    assert up.status_code == 201
    assert up.get_json()["from_hospital_id"] == doctor.hospital_id and up.get_json()["to_hospital_id"] == city.id
    assert accepted.get_json()["status"] == "accepted"
    assert back.status_code == 409
    assert down.status_code == 201 and down.get_json()["to_hospital_id"] == doctor.hospital_id
    assert down.get_json()["from_hospital_id"] == expert.hospital_id
    assert to_county.status_code == 422 and "to_hospital_id" in to_county.get_json()["errors"]


def test_sessions_past_their_end_without_outcome_show_up_for_their_schedulers(client, make, clock):
    done, expert, doctor = _session(make)  # ended 01:30, now 02:00
    with_outcome, *_ = _session(make)
    make.outcome(with_outcome)
    running, *_ = _session(make, status=BookingStatus.in_progress, starts_at=clock.now() - timedelta(minutes=10))
    cancelled, *_ = _session(make, status=BookingStatus.cancelled)
    tertiary_scheduler = make.user(Role.scheduler, hospital=db.session.get(type(doctor.hospital), expert.hospital_id))
    county_scheduler = make.user(Role.scheduler, hospital=db.session.get(type(doctor.hospital), doctor.hospital_id))
    other_scheduler = make.user(Role.scheduler)

    mine = client.get("/api/v1/outcomes/overdue", headers=token_headers(tertiary_scheduler)).get_json()
    county = client.get("/api/v1/outcomes/overdue", headers=token_headers(county_scheduler)).get_json()
    other = client.get("/api/v1/outcomes/overdue", headers=token_headers(other_scheduler)).get_json()
    admin = client.get("/api/v1/outcomes/overdue", headers=token_headers(make.user(Role.admin))).get_json()
    denied = client.get("/api/v1/outcomes/overdue", headers=token_headers(doctor))

    assert [b["booking_id"] for b in mine["items"]] == [done.id]
    assert [b["booking_id"] for b in county["items"]] == [done.id]
    assert other["total"] == 0
    assert [b["booking_id"] for b in admin["items"]] == [done.id]
    assert denied.status_code == 403
    clock.advance(minutes=30)
    later = client.get("/api/v1/outcomes/overdue", headers=token_headers(make.user(Role.admin))).get_json()
    assert {b["booking_id"] for b in later["items"]} == {done.id, running.id}
    assert cancelled.id not in {b["booking_id"] for b in later["items"]}
