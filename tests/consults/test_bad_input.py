"""Hostile input found by fuzzing: each is a clear 422/404 naming the field, never a 500,
and nothing is written."""

import json

import sqlalchemy as sa

from app.consults.models import ConsultationRequest
from app.extensions import db
from tests.consults import world as W


def _requests() -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(ConsultationRequest))


def test_window_at_the_edge_of_the_calendar_is_422_not_500(client, make):
    w = W.build(make)

    early = W.file(client, w, window_start="0001-01-01T00:00:00+14:00")
    late = W.file(client, w, window_end="9999-12-31T23:59:59-14:00")

    assert early.status_code == 422 and "window_start" in early.get_json()["errors"]
    assert late.status_code == 422 and "window_end" in late.get_json()["errors"]
    assert _requests() == 0


def test_nul_character_in_a_text_field_is_422_naming_it(client, make):
    w = W.build(make)

    resp = W.file(client, w, clinical_question="chest pain \u0000 since noon")

    assert resp.status_code == 422
    assert resp.mimetype == "application/problem+json"
    assert "clinical_question" in resp.get_json()["errors"]
    assert _requests() == 0


def test_request_id_too_large_for_the_database_is_404(client, make):
    w = W.build(make)

    resp = client.get("/api/v1/requests/99999999999999999999999", headers=W.headers(w.doctor))

    assert resp.status_code == 404
    assert "request_id" in resp.get_json()["detail"]


def test_page_number_too_large_for_the_database_is_422_naming_page(client, make):
    w = W.build(make)

    resp = client.get("/api/v1/requests?page=" + "9" * 30, headers=W.headers(w.doctor))

    assert resp.status_code == 422
    assert "page" in resp.get_json()["errors"]


def _post_raw(client, w, text: str):
    return client.post("/api/v1/requests", data=text, content_type="application/json",
                       headers=W.headers(w.doctor))


def test_lone_surrogate_escape_in_a_nested_field_is_422_naming_it(client, make):
    w = W.build(make)
    body = json.dumps(W.body()).replace('"pacs://zz/123"', '"pacs://zz/\\udfff"')

    resp = _post_raw(client, w, body)

    assert resp.status_code == 422
    assert "case_summary.attachments.0.ref" in resp.get_json()["errors"]
    assert _requests() == 0


def test_json_nested_thousands_deep_is_400_naming_the_body(client, make):
    w = W.build(make)

    resp = _post_raw(client, w, "[" * 100_000 + "]" * 100_000)

    assert resp.status_code == 400
    assert resp.mimetype == "application/problem+json"
    assert "body" in resp.get_json()["errors"]


def test_number_with_thousands_of_digits_is_400_naming_the_body(client, make):
    w = W.build(make)

    resp = _post_raw(client, w, '{"urgency": ' + "1" * 5000 + "}")

    assert resp.status_code == 400
    assert "body" in resp.get_json()["errors"]


def test_idempotency_key_with_control_characters_is_422_naming_the_header(client, make):
    w = W.build(make)

    resp = W.file(client, w, headers={**W.headers(w.doctor), "Idempotency-Key": "retry\x00\x01"})

    assert resp.status_code == 422
    assert "Idempotency-Key" in resp.get_json()["errors"]
    assert _requests() == 0


def test_ids_beyond_a_32_bit_column_are_404_in_the_path_and_422_in_the_query(client, make):
    w = W.build(make)

    by_path = client.get(f"/api/v1/requests/{2**31}", headers=W.headers(w.doctor))
    by_query = client.get(f"/api/v1/offers?request_id={2**40}", headers=W.headers(w.doctor))

    assert by_path.status_code == 404 and "request_id" in by_path.get_json()["detail"]
    assert by_query.status_code == 422 and "request_id" in by_query.get_json()["errors"]
