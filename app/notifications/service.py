"""Notifications: rows written in the transaction of the change they describe, pushed to
the user's websocket room only after that transaction commits (app.core.realtime)."""

from __future__ import annotations

import sqlalchemy as sa

from app.accounts import policy
from app.accounts.models import User
from app.core.clock import now
from app.core.realtime import PENDING_KEY
from app.errors import InvalidInput, NotFound
from app.extensions import db
from app.notifications.models import Notification

__all__ = ["PENDING_KEY", "notify", "notify_many"]


def notify(user_id: int, type_: str, payload: dict) -> Notification:
    """Add a notification for `user_id` to the current transaction.

    The row is flushed with the change; delivery happens after commit (see
    app.core.realtime), so a rolled-back change never notifies anyone.
    """
    notification = Notification(user_id=user_id, type=type_, payload=payload)
    db.session.add(notification)
    db.session.info.setdefault(PENDING_KEY, []).append(notification)
    return notification


def notify_many(user_ids, type_: str, payload: dict) -> list[Notification]:
    return [notify(uid, type_, payload) for uid in dict.fromkeys(user_ids)]


def missed(user_id: int, after_id: int, limit: int) -> list[Notification]:
    """A user's notifications after `after_id`, oldest first (replay after reconnect)."""
    stmt = (sa.select(Notification).where(Notification.user_id == user_id, Notification.id > after_id)
            .order_by(Notification.id).limit(limit))
    return list(db.session.scalars(stmt))


def mark_delivered(user_id: int, ids: list[int]) -> int:
    """A client acknowledged these; only the user's own, not yet delivered rows change."""
    if not ids:
        return 0
    result = db.session.execute(
        sa.update(Notification)
        .where(Notification.user_id == user_id, Notification.id.in_(ids), Notification.delivered_at.is_(None))
        .values(delivered_at=now()))
    return result.rowcount


def list_stmt(actor: User, args: dict) -> sa.Select:
    """The caller's own notifications, newest first; `unread`, `after_id` narrow them."""
    stmt = sa.select(Notification).where(Notification.user_id == actor.id)
    if args.get("unread"):
        stmt = stmt.where(Notification.read_at.is_(None))
    if args.get("after_id") is not None:
        stmt = stmt.where(Notification.id > args["after_id"])
        return stmt.order_by(Notification.id)  # catching up: oldest first
    return stmt.order_by(Notification.id.desc())


def mark_read(actor: User, notification_id: int) -> Notification:
    notification = db.session.get(Notification, notification_id)
    # Someone else's notification is "not found": its existence is not the caller's business.
    if notification is None or notification.user_id != actor.id:
        raise NotFound(f"Notification {notification_id} does not exist.")
    if notification.read_at is None:
        notification.read_at = now()
        notification.delivered_at = notification.delivered_at or notification.read_at
    return notification


def mark_all_read(actor: User) -> int:
    at = now()
    base = sa.update(Notification).where(Notification.user_id == actor.id, Notification.read_at.is_(None))
    db.session.execute(base.where(Notification.delivered_at.is_(None)).values(delivered_at=at))
    return db.session.execute(base.values(read_at=at)).rowcount


def send_system_message(actor: User, user_ids: list[int], text: str) -> list[Notification]:
    """An administrator's message to some users ("system.message")."""
    policy.authorize(actor, "notification:broadcast")
    found = set(db.session.scalars(sa.select(User.id).where(User.id.in_(user_ids), User.is_active)))
    unknown = sorted(set(user_ids) - found)
    if unknown:
        raise InvalidInput("user_ids", f"no active user with id {unknown[0]}")
    return notify_many(user_ids, "system.message", {"text": text, "from_user_id": actor.id})
