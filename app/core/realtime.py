"""Real time: each notification row is pushed to its user's Socket.IO room after the
transaction that wrote it commits; connections authenticate at connect and join their own
room only; a client that was away gets everything after the last id it saw.

Handlers are bound to the Socket.IO server of each app (not through the module-level
`socketio` object, which the last `create_app()` of a process rebinds), so several apps in
one process (the tests) keep working.
"""

from __future__ import annotations

import logging
from urllib.parse import urlsplit

import sqlalchemy as sa
from flask import current_app, has_app_context, request, session
from socketio.exceptions import ConnectionRefusedError as Refused
from sqlalchemy import event
from sqlalchemy.orm import Session

log = logging.getLogger(__name__)

EVENT = "notification"
NAMESPACE = "/"
SERVER_KEY = "huizhen.socketio_server"
# An object with .emit(event, data, room=..., namespace=...) used instead of the app's
# server: the scheduler process sets a write-only message-queue manager here.
EMITTER_KEY = "huizhen.emitter"
PENDING_KEY = "huizhen.pending_notifications"  # set by notify(); rows not flushed yet
READY_KEY = "huizhen.ready_notifications"  # flushed rows, serialised, waiting for commit
REPLAY_LIMIT = 500


def room_of(user_id: int) -> str:
    return f"user:{user_id}"


def serialize(notification) -> dict:
    return {
        "id": notification.id,
        "type": notification.type,
        "payload": notification.payload,
        "created_at": notification.created_at.isoformat(),
    }


def init_app(app) -> None:
    """Bind this app's Socket.IO server: handlers and the after-commit hooks."""
    from app.extensions import socketio

    server = socketio.server
    app.extensions[SERVER_KEY] = server
    for name, handler in (("connect", _on_connect), ("disconnect", _on_disconnect),
                          ("replay", _on_replay), ("ack", _on_ack)):
        server.on(name, _bound(app, server, handler), namespace=NAMESPACE)
    install_session_hooks()


def _bound(app, server, handler):
    def run(sid, *args):
        with app.request_context(server.get_environ(sid, NAMESPACE)):
            return handler(server, sid, *args)

    return run


# --- connections -------------------------------------------------------------------------


def _on_connect(server, sid, _environ, auth=None):
    user = _authenticate(auth if isinstance(auth, dict) else {})
    server.save_session(sid, {"uid": user.id}, namespace=NAMESPACE)
    server.enter_room(sid, room_of(user.id), namespace=NAMESPACE)
    last_id = (auth or {}).get("last_id") if isinstance(auth, dict) else None
    if last_id is not None:
        # Sent before the CONNECT packet: socket.io clients buffer them, so the replay
        # reaches the client ahead of any live event of the same room.
        _replay(server, sid, user.id, last_id)
    return True


def _authenticate(auth: dict):
    from app.accounts import service
    from app.errors import NotAuthenticated

    token = auth.get("token")
    try:
        if token:
            return service.user_from_token(str(token))
        if "uid" in session:  # the web UI: the session cookie (same origin only)
            _check_same_origin()
            return service.user_from_session(session["uid"], session.get("tv"))
    except NotAuthenticated as exc:
        raise Refused(exc.detail) from None
    raise Refused("Authenticate: connect with auth={'token': '<bearer token>'}.")


def _check_same_origin() -> None:
    """Browsers send the cookie with a websocket opened by any site (Socket.IO's own origin
    check is off): a cookie connection must come from a page of this host. The host only,
    not the scheme, which a TLS-terminating proxy changes."""
    origin = request.headers.get("Origin")
    if origin is not None and urlsplit(origin).netloc != request.host:
        raise Refused("A session cookie is accepted only from this site's own pages.")


def _on_disconnect(server, sid, *_reason):
    return None


def _user_id(server, sid) -> int:
    return server.get_session(sid, namespace=NAMESPACE)["uid"]


def _on_replay(server, sid, data=None):
    """Client asks for what it missed: {"after_id": n}. Answers {"sent": k, "more": bool};
    with more=true it asks again from its new last id."""
    after_id = (data or {}).get("after_id", 0) if isinstance(data, dict) else data
    return _replay(server, sid, _user_id(server, sid), after_id)


def _replay(server, sid, user_id: int, after_id) -> dict:
    from app.notifications import service

    try:
        after_id = int(after_id or 0)
    except (TypeError, ValueError):
        return {"error": "after_id must be an integer"}
    rows = service.missed(user_id, after_id, REPLAY_LIMIT + 1)
    for row in rows[:REPLAY_LIMIT]:
        server.emit(EVENT, serialize(row), to=sid, namespace=NAMESPACE)
    return {"sent": min(len(rows), REPLAY_LIMIT), "more": len(rows) > REPLAY_LIMIT}


def _on_ack(server, sid, data=None):
    """Client confirms receipt: {"ids": [...]}; marks delivered_at of its own rows."""
    from app.extensions import db
    from app.notifications import service

    ids = (data or {}).get("ids", []) if isinstance(data, dict) else data
    if not isinstance(ids, list) or not all(isinstance(i, int) for i in ids):
        return {"error": "ids must be a list of integers"}
    count = service.mark_delivered(_user_id(server, sid), ids)
    db.session.commit()
    return {"delivered": count}


# --- push after commit -------------------------------------------------------------------


def install_session_hooks() -> None:
    for name, fn in (("before_commit", _collect), ("after_commit", _push_committed),
                     ("after_rollback", _forget)):
        if not event.contains(Session, name, fn):
            event.listen(Session, name, fn)


def _collect(session) -> None:
    """Serialise the rows about to be committed: after commit they are expired and no SQL
    may run. A row added in a savepoint that rolled back is no longer persistent: skipped."""
    if session.in_nested_transaction():  # a savepoint released: the outer commit decides
        return
    pending = session.info.pop(PENDING_KEY, None)
    if not pending:
        return
    session.flush()
    ready = session.info.setdefault(READY_KEY, [])
    ready.extend((row.user_id, serialize(row)) for row in pending if sa.inspect(row).persistent)


def _push_committed(session) -> None:
    if session.in_nested_transaction():
        return
    ready = session.info.pop(READY_KEY, None)
    session.info.pop(PENDING_KEY, None)
    if ready:
        push(ready)


def _forget(session) -> None:
    # A rolled-back change notifies no one.
    session.info.pop(READY_KEY, None)
    session.info.pop(PENDING_KEY, None)


def push(items) -> None:
    """Emit (user_id, data) pairs. Never raises: the rows are committed, and a client that
    misses a push gets it by replay."""
    target = _emit_target()
    if target is None:
        return
    for user_id, data in items:
        try:
            target.emit(EVENT, data, room=room_of(user_id), namespace=NAMESPACE)
        except Exception:  # noqa: BLE001 - delivery is best effort; the table is the truth
            log.exception("could not push notification %s", data.get("id"))


def _emit_target():
    if not has_app_context():
        return None
    ext = current_app.extensions
    return ext.get(EMITTER_KEY) or ext.get(SERVER_KEY)


def write_only_emitter(url: str, channel: str):
    """A message-queue publisher for processes that serve no clients (the scheduler)."""
    import socketio

    manager_class = socketio.RedisManager if url.startswith(("redis://", "rediss://")) \
        else socketio.KombuManager
    return manager_class(url, channel=channel, write_only=True)

