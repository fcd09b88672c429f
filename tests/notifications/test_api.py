"""GET /api/v1/notifications and mark-read: the same rows, for clients without websockets."""

from __future__ import annotations

from app.accounts.models import Role
from app.notifications import service


def _notes(user, *texts):
    return [service.notify(user.id, "system.message", {"text": t}) for t in texts]


def test_list_shows_only_own_notifications_newest_first_paginated(client, make):
    user, other = make.user(), make.user()
    _notes(user, "a", "b", "c")
    _notes(other, "not yours")
    headers = make.token_headers(user)
    page = client.get("/api/v1/notifications?per_page=2", headers=headers).get_json()
    assert page["total"] == 3
    assert [n["payload"]["text"] for n in page["items"]] == ["c", "b"]
    page2 = client.get("/api/v1/notifications?per_page=2&page=2", headers=headers).get_json()
    assert [n["payload"]["text"] for n in page2["items"]] == ["a"]


def test_unread_filter_and_mark_one_read(client, make):
    user = make.user()
    first, _second = _notes(user, "a", "b")
    headers = make.token_headers(user)
    read = client.post(f"/api/v1/notifications/{first.id}/read", headers=headers)
    assert read.status_code == 200 and read.get_json()["read_at"] and read.get_json()["delivered_at"]
    unread = client.get("/api/v1/notifications?unread=true", headers=headers).get_json()
    assert [n["payload"]["text"] for n in unread["items"]] == ["b"]


def test_mark_all_read(client, make):
    user, other = make.user(), make.user()
    _notes(user, "a", "b")
    _notes(other, "x")
    headers = make.token_headers(user)
    assert client.post("/api/v1/notifications/read-all", headers=headers).get_json() == {"marked": 2}
    assert client.get("/api/v1/notifications?unread=true", headers=headers).get_json()["total"] == 0
    other_headers = make.token_headers(other)
    assert client.get("/api/v1/notifications?unread=true", headers=other_headers).get_json()["total"] == 1


def test_after_id_catches_up_oldest_first(client, make):
    user = make.user()
    first, *_ = _notes(user, "a", "b", "c")
    headers = make.token_headers(user)
    page = client.get(f"/api/v1/notifications?after_id={first.id}", headers=headers).get_json()
    assert [n["payload"]["text"] for n in page["items"]] == ["b", "c"]


def test_marking_someone_elses_notification_is_not_found(client, make):
    user, other = make.user(), make.user()
    [theirs] = _notes(other, "x")
    response = client.post(f"/api/v1/notifications/{theirs.id}/read", headers=make.token_headers(user))
    assert response.status_code == 404


def test_list_needs_authentication(client):
    assert client.get("/api/v1/notifications").status_code == 401


def test_only_admins_send_system_messages(client, make):
    user = make.user(Role.scheduler)
    response = client.post("/api/v1/notifications/system-messages", json={"user_ids": [user.id], "text": "hi"},
                           headers=make.token_headers(user))
    assert response.status_code == 403


def test_system_message_to_unknown_user_is_422_and_sends_nothing(client, make):
    admin, user = make.user(Role.admin), make.user()
    response = client.post("/api/v1/notifications/system-messages",
                           json={"user_ids": [user.id, 999999], "text": "hi"}, headers=make.token_headers(admin))
    assert response.status_code == 422
    assert client.get("/api/v1/notifications", headers=make.token_headers(user)).get_json()["total"] == 0
