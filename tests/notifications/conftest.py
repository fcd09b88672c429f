"""Real Socket.IO clients against the live server, and their inboxes."""

from __future__ import annotations

import threading

import pytest
import socketio

from app.accounts import service as accounts
from app.extensions import db

WAIT_SECONDS = 5


class Inbox:
    """The notification events one client received, in order; waits with a condition
    variable (woken by each arrival), never a sleep."""

    def __init__(self):
        self.events: list[dict] = []
        self._cond = threading.Condition()

    def add(self, data: dict) -> None:
        with self._cond:
            self.events.append(data)
            self._cond.notify_all()

    def wait_for(self, count: int, timeout: float = WAIT_SECONDS) -> list[dict]:
        with self._cond:
            if not self._cond.wait_for(lambda: len(self.events) >= count, timeout):
                raise AssertionError(f"expected {count} notifications, got {self.events}")
            return list(self.events)

    @property
    def ids(self) -> list[int]:
        return [e["id"] for e in self.events]

    @property
    def texts(self) -> list[str]:
        return [e["payload"].get("text") for e in self.events]


def token_of(user) -> str:
    db.session.commit()
    token = accounts.token_for(user)["access_token"]
    db.session.commit()  # end the read: on SQLite an open transaction holds the write lock
    return token


def connect(url: str, auth: dict | None, inbox: Inbox | None = None) -> socketio.Client:
    client = socketio.Client(reconnection=False)
    if inbox is not None:
        client.on("notification", inbox.add)
    client.connect(url, auth=auth, transports=["websocket"], wait_timeout=WAIT_SECONDS)
    return client


@pytest.fixture(autouse=True)
def _keep_loaded_after_commit():
    """Reading a committed object's attributes must not open a transaction: on SQLite it
    would hold the write lock the live server needs."""
    db.session().expire_on_commit = False


@pytest.fixture(autouse=True)
def _quick_client_close(monkeypatch):
    """websocket-client waits 3 s for the server's close frame, which the werkzeug test
    server never sends once the socket.io session has ended; wait 0.2 s instead."""
    import websocket

    close = websocket.WebSocket.close
    monkeypatch.setattr(websocket.WebSocket, "close",
                        lambda self, status=1000, reason=b"", timeout=0.2: close(self, status, reason, timeout))


@pytest.fixture
def sio(live_server):
    """connect_as(user, last_id=None) -> (client, inbox); every client is closed after."""
    clients: list[socketio.Client] = []

    def connect_as(user, last_id: int | None = None, url: str = live_server):
        inbox = Inbox()
        auth = {"token": token_of(user)}
        if last_id is not None:
            auth["last_id"] = last_id
        client = connect(url, auth, inbox)
        clients.append(client)
        return client, inbox

    yield connect_as
    for client in clients:
        client.disconnect()
