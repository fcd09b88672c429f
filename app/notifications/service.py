"""Notifications: rows written in the transaction of the change they describe, pushed to
the user's websocket room only after that transaction commits."""

from __future__ import annotations

from app.extensions import db
from app.notifications.models import Notification

PENDING_KEY = "huizhen.pending_notifications"


def notify(user_id: int, type_: str, payload: dict) -> Notification:
    """Add a notification for `user_id` to the current transaction.

    The row is flushed with the change; delivery happens after commit (see `push`), so a
    rolled-back change never notifies anyone.
    """
    notification = Notification(user_id=user_id, type=type_, payload=payload)
    db.session.add(notification)
    db.session.info.setdefault(PENDING_KEY, []).append(notification)
    return notification


def notify_many(user_ids, type_: str, payload: dict) -> list[Notification]:
    return [notify(uid, type_, payload) for uid in dict.fromkeys(user_ids)]
