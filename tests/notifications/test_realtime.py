"""Websocket delivery with real python-socketio clients against the live server."""

from __future__ import annotations

import pytest
import requests
import socketio

from app.accounts.models import Role
from app.extensions import db
from app.notifications import service
from app.notifications.models import Notification
from tests.notifications.conftest import Inbox, connect, token_of


def _send(live_server, admin, user_ids, text):
    """A real change through a real request: an administrator's system message."""
    response = requests.post(f"{live_server}/api/v1/notifications/system-messages",
                             json={"user_ids": user_ids, "text": text},
                             headers={"Authorization": f"Bearer {token_of(admin)}"}, timeout=5)
    assert response.status_code == 201, response.text
    return response.json()


@pytest.fixture
def admin(make):
    return make.user(Role.admin)


def test_connect_without_token_is_refused(live_server):
    with pytest.raises(socketio.exceptions.ConnectionError):
        connect(live_server, None)


def test_connect_with_bad_token_is_refused(live_server):
    with pytest.raises(socketio.exceptions.ConnectionError):
        connect(live_server, {"token": "not-a-token"})


def test_connect_with_token_of_deactivated_user_is_refused(live_server, make):
    user = make.user(Role.expert)
    token = token_of(user)
    user.is_active = False
    db.session.commit()
    with pytest.raises(socketio.exceptions.ConnectionError):
        connect(live_server, {"token": token})


def test_notification_reaches_its_user_and_no_other(live_server, make, sio, admin):
    expert_e, expert_f = make.expert().user, make.expert().user
    _, inbox_e = sio(expert_e)
    _, inbox_f = sio(expert_f)

    sent = _send(live_server, admin, [expert_e.id], "offer for E")
    _send(live_server, admin, [expert_f.id], "for F")

    [event] = inbox_e.wait_for(1)
    assert event["id"] == sent[0]["id"] and event["type"] == "system.message"
    assert event["payload"]["text"] == "offer for E" and event["created_at"]
    # F's own message came after E's on the same server: had E's reached F, it would be first.
    assert inbox_f.wait_for(1)[0]["payload"]["text"] == "for F"
    assert inbox_f.texts == ["for F"]


def test_offer_made_by_matching_reaches_the_chosen_expert_and_no_other(live_server, make, sio, admin):
    from tests.consults import world as W

    w = W.build(make)
    chosen, passed_over = W.expert(w), W.expert(w, hospital=w.other)  # in-network ranks first
    W.slot(w, chosen), W.slot(w, passed_over)
    _, inbox_chosen = sio(chosen.user)
    _, inbox_passed_over = sio(passed_over.user)

    filed = requests.post(f"{live_server}/api/v1/requests", json=W.body(), headers=W.headers(w.doctor), timeout=10)

    assert filed.status_code == 201
    [event] = inbox_chosen.wait_for(1)
    assert event["type"] == "offer.created"
    assert event["payload"]["request_id"] == filed.json()["id"]
    # A later message to the passed-over expert is the first thing they hear.
    _send(live_server, admin, [passed_over.user_id], "later")
    assert [e["type"] for e in inbox_passed_over.wait_for(1)] == ["system.message"]


def test_client_cannot_join_another_users_room(live_server, make, sio, admin):
    victim, snoop = make.user(), make.user()
    client, inbox = sio(snoop)
    for event in ("join", "join_room", "enter_room", "subscribe"):
        client.emit(event, {"room": f"user:{victim.id}"})
    _send(live_server, admin, [victim.id], "private")
    _send(live_server, admin, [snoop.id], "own")
    assert [e["payload"]["text"] for e in inbox.wait_for(1)] == ["own"]


def test_rolled_back_change_pushes_nothing(live_server, make, sio):
    user = make.user()
    _, inbox = sio(user)
    service.notify(user.id, "system.message", {"text": "rolled back"})
    db.session.flush()
    db.session.rollback()
    service.notify(user.id, "system.message", {"text": "committed"})
    db.session.commit()
    assert [e["payload"]["text"] for e in inbox.wait_for(1)] == ["committed"]
    assert db.session.query(Notification).count() == 1


def test_reconnecting_client_gets_what_it_missed_in_order(live_server, make, sio, admin):
    user = make.user()
    client, inbox = sio(user)
    first = _send(live_server, admin, [user.id], "before")[0]
    inbox.wait_for(1)
    client.disconnect()

    _send(live_server, admin, [user.id], "while away 1")
    _send(live_server, admin, [user.id], "while away 2")

    _, again = sio(user, last_id=inbox.ids[-1])
    assert [e["payload"]["text"] for e in again.wait_for(2)] == ["while away 1", "while away 2"]
    assert again.ids == sorted(again.ids) and again.ids[0] > first["id"]
    _send(live_server, admin, [user.id], "live again")
    assert again.wait_for(3)[-1]["payload"]["text"] == "live again"


def test_replay_event_returns_everything_after_the_given_id(live_server, make, sio):
    user = make.user()
    rows = [service.notify(user.id, "system.message", {"text": f"n{i}"}) for i in range(3)]
    db.session.commit()
    client, inbox = sio(user)
    answer = client.call("replay", {"after_id": rows[0].id}, timeout=5)
    assert answer == {"sent": 2, "more": False}
    assert inbox.texts == ["n1", "n2"]


def test_acknowledged_notifications_are_marked_delivered(live_server, make, sio):
    user, other = make.user(), make.user()
    mine = service.notify(user.id, "system.message", {"text": "x"})
    theirs = service.notify(other.id, "system.message", {"text": "y"})
    db.session.commit()
    client, _ = sio(user)
    assert client.call("ack", {"ids": [mine.id, theirs.id]}, timeout=5) == {"delivered": 1}
    db.session.expire_all()
    assert db.session.get(Notification, mine.id).delivered_at is not None
    assert db.session.get(Notification, theirs.id).delivered_at is None


def test_web_session_cookie_authenticates_the_socket(live_server, make):
    from tests.factories import PASSWORD

    user = make.user()
    db.session.commit()
    http = requests.Session()
    login = http.post(f"{live_server}/api/v1/auth/login", json={"email": user.email, "password": PASSWORD},
                      timeout=5)
    assert login.status_code == 200, login.text
    cookie = "; ".join(f"{k}={v}" for k, v in http.cookies.items())
    inbox = Inbox()
    client = socketio.Client(reconnection=False)
    client.on("notification", inbox.add)
    client.connect(live_server, headers={"Cookie": cookie}, transports=["websocket"], wait_timeout=5)
    try:
        service.notify(user.id, "system.message", {"text": "hello web"})
        db.session.commit()
        assert inbox.wait_for(1)[0]["payload"]["text"] == "hello web"
    finally:
        client.disconnect()


def test_rows_of_a_rolled_back_savepoint_are_not_pushed_and_release_waits_for_commit(
        live_server, make, sio):
    user = make.user()
    _, inbox = sio(user)
    savepoint = db.session.begin_nested()
    service.notify(user.id, "system.message", {"text": "undone"})
    savepoint.rollback()
    with db.session.begin_nested():  # released here; pushed only with the outer commit
        service.notify(user.id, "system.message", {"text": "kept"})
    assert inbox.events == []
    db.session.commit()
    assert [e["payload"]["text"] for e in inbox.wait_for(1)] == ["kept"]
    service.notify(user.id, "system.message", {"text": "next"})
    db.session.commit()
    assert inbox.wait_for(2)[-1]["payload"]["text"] == "next" and len(inbox.events) == 2


def test_web_session_cookie_from_another_site_does_not_open_the_socket(live_server, make):
    """Cross-site websocket hijacking: a page elsewhere must not ride the user's cookie."""
    from tests.factories import PASSWORD

    user = make.user()
    db.session.commit()
    http = requests.Session()
    http.post(f"{live_server}/api/v1/auth/login", json={"email": user.email, "password": PASSWORD}, timeout=5)
    cookie = "; ".join(f"{k}={v}" for k, v in http.cookies.items())
    client = socketio.Client(reconnection=False, websocket_extra_options={"origin": "https://evil.example"})

    with pytest.raises(socketio.exceptions.ConnectionError):
        client.connect(live_server, headers={"Cookie": cookie}, transports=["websocket"], wait_timeout=5)
