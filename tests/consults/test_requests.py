"""Filing, following, editing and cancelling consultation requests."""

import pytest
import sqlalchemy as sa

from app.accounts.models import Role
from app.consults.models import ConsultationRequest
from app.core.audit import AuditEvent
from app.extensions import db
from app.notifications.models import Notification
from tests.consults import world as W


def test_county_doctor_files_a_request_and_it_is_offered_to_an_expert(client, make):
    w = W.build(make)
    W.slot(w, W.expert(w))

    resp = W.file(client, w)

    assert resp.status_code == 201
    body = resp.get_json()
    assert body["status"] == "offered"
    assert body["hospital"]["id"] == w.county.id and body["specialty"]["code"] == "cardiology"
    assert body["case_summary"]["attachments"][0]["ref"] == "pacs://zz/123"
    actions = db.session.scalars(sa.select(AuditEvent.action).where(AuditEvent.action != "user.created")
                                 .order_by(AuditEvent.id)).all()
    assert actions[:4] == ["request.submitted", "request.matching", "offer.created", "request.offered"]


def test_same_idempotency_key_twice_creates_one_request(client, make):
    w = W.build(make)
    W.slot(w, W.expert(w))
    headers = {**W.headers(w.doctor), "Idempotency-Key": "retry-7c1e"}

    first = client.post("/api/v1/requests", json=W.body(), headers=headers)
    second = client.post("/api/v1/requests", json=W.body(), headers=headers)

    assert first.status_code == 201 and second.status_code == 200
    assert second.get_json()["id"] == first.get_json()["id"]
    assert second.headers["Idempotent-Replayed"] == "true"
    assert db.session.scalar(sa.select(sa.func.count()).select_from(ConsultationRequest)) == 1
    assert W.file(client, w, headers={**headers, "Idempotency-Key": "other"}).status_code == 201


@pytest.mark.parametrize("ref", ["张三", "欧阳娜娜", "110101199003074514", "11010119900307451X",
                                 "13912345678", "E12345678", "patient 42", "330102900307451"])
def test_patient_ref_that_looks_like_a_name_or_id_is_422(client, make, ref):
    w = W.build(make)

    resp = W.file(client, w, patient_ref=ref)

    assert resp.status_code == 422
    assert "patient_ref" in resp.get_json()["errors"]
    assert db.session.scalar(sa.select(sa.func.count()).select_from(ConsultationRequest)) == 0


def test_bad_request_fields_are_422_naming_them(client, make):
    w = W.build(make)

    resp = W.file(client, w, urgency="whenever", window_end="2026-11-20T00:00:00",
                  case_summary={"age_band": "old", "sex": "female"})

    assert resp.status_code == 422
    assert {"urgency", "window_end", "case_summary"} <= set(resp.get_json()["errors"])


def test_only_county_doctors_file_requests(client, make):
    w = W.build(make)

    assert W.file(client, w, user=w.partner_scheduler).status_code == 403
    assert W.file(client, w, user=W.expert(w).user).status_code == 403


def test_county_doctor_sees_only_own_hospitals_requests(client, make):
    w = W.build(make)
    mine = W.file(client, w).get_json()["id"]
    stranger = make.user(Role.county_doctor, hospital=make.county_hospital())
    colleague = make.user(Role.county_doctor, hospital=w.county)

    assert client.get(f"/api/v1/requests/{mine}", headers=W.headers(stranger)).status_code == 403
    assert client.get("/api/v1/requests", headers=W.headers(stranger)).get_json()["total"] == 0
    assert client.get(f"/api/v1/requests/{mine}", headers=W.headers(colleague)).status_code == 200


def test_expert_sees_only_requests_offered_to_them(client, make):
    w = W.build(make)
    chosen, bystander = W.expert(w), W.expert(w, hospital=w.other)
    W.slot(w, chosen)
    rid = W.file(client, w).get_json()["id"]

    assert client.get(f"/api/v1/requests/{rid}", headers=W.headers(chosen.user)).status_code == 200
    assert client.get(f"/api/v1/requests/{rid}", headers=W.headers(bystander.user)).status_code == 403
    assert client.get("/api/v1/requests", headers=W.headers(bystander.user)).get_json()["total"] == 0


def test_scheduler_queue_holds_own_hospitals_requests(client, make):
    w = W.build(make)
    rid = W.file(client, w).get_json()["id"]

    county_q = client.get("/api/v1/requests", headers=W.headers(w.county_scheduler)).get_json()
    other_q = client.get("/api/v1/requests", headers=W.headers(w.other_scheduler)).get_json()

    assert [r["id"] for r in county_q["items"]] == [rid]
    assert other_q["total"] == 0


def test_editing_window_rematches_and_editing_text_does_not(client, make):
    w = W.build(make)
    e = W.expert(w)
    W.slot(w, e, hours=24)
    W.slot(w, e, hours=100)
    rid = W.file(client, w).get_json()["id"]
    h = W.headers(w.doctor)

    text = client.patch(f"/api/v1/requests/{rid}", json={"clinical_question": "Also: syncope twice."}, headers=h)
    offers_after_text_edit = len(W.offers_of(rid))
    moved = client.patch(f"/api/v1/requests/{rid}", headers=h, json={
        "window_start": W.body()["window_end"], "window_end": "2026-11-29T00:00:00+00:00"})

    assert text.status_code == 200 and offers_after_text_edit == 1
    assert moved.status_code == 200 and moved.get_json()["status"] == "offered"
    first, second = W.offers_of(rid)
    assert first.status.name == "withdrawn" and second.status.name == "pending"


def test_cancel_with_reason_withdraws_offers_and_tells_the_expert(client, make):
    w = W.build(make)
    e = W.expert(w)
    W.slot(w, e)
    rid = W.file(client, w).get_json()["id"]

    resp = client.post(f"/api/v1/requests/{rid}/cancel", json={"reason": "patient transferred"},
                       headers=W.headers(w.doctor))

    assert resp.status_code == 200 and resp.get_json()["status"] == "cancelled"
    assert W.offers_of(rid)[0].status.name == "withdrawn"
    types = db.session.scalars(sa.select(Notification.type).where(Notification.user_id == e.user_id)).all()
    assert types == ["offer.created", "offer.withdrawn"]
    again = client.post(f"/api/v1/requests/{rid}/cancel", json={"reason": "again"}, headers=W.headers(w.doctor))
    assert again.status_code == 409 and "cancelled" in again.get_json()["detail"]


def test_notifications_never_carry_patient_details_beyond_the_reference(client, make):
    w = W.build(make)
    W.slot(w, W.expert(w))
    W.file(client, w)

    payloads = db.session.scalars(sa.select(Notification.payload)).all()

    assert payloads
    for payload in payloads:
        text = str(payload)
        assert "ST depression" not in text and "hypertension" not in text and "60-69" not in text


def test_concurrent_retries_with_one_idempotency_key_file_one_request(make, live_server):
    import threading

    import requests

    w = W.build(make)
    W.slot(w, W.expert(w))
    headers = {**W.headers(w.doctor), "Idempotency-Key": "flaky-network-1"}
    db.session.commit()  # reading the token refreshed the user: release SQLite's write lock
    answers, barrier = [], threading.Barrier(10)

    def post():
        barrier.wait()
        resp = requests.post(f"{live_server}/api/v1/requests", json=W.body(), headers=headers, timeout=30)
        answers.append((resp.status_code, resp.json()["id"]))

    threads = [threading.Thread(target=post) for _ in range(10)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()

    assert sorted(code for code, _ in answers) == [200] * 9 + [201]
    assert len({rid for _, rid in answers}) == 1
    db.session.expire_all()
    assert db.session.scalar(sa.select(sa.func.count()).select_from(ConsultationRequest)) == 1
