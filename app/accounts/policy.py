"""The one place that decides whether a user may do something to an object, by role and
hospital. Services call `authorize`; list endpoints call the `*_scope` helpers to filter."""

from __future__ import annotations

from collections.abc import Callable

from app.accounts.models import Role, User
from app.errors import Forbidden


def _admin(user: User, _target=None) -> bool:
    return user.role is Role.admin


def _anyone(user: User, _target=None) -> bool:
    return True


def _party_to_partnership(user: User, partnership) -> bool:
    return _admin(user) or user.hospital_id in (
        partnership.grassroots_hospital_id,
        partnership.tertiary_hospital_id,
    )


def _manages_hospital(user: User, hospital_id: int) -> bool:
    """Admins anywhere; schedulers of that hospital."""
    return _admin(user) or (user.role is Role.scheduler and user.hospital_id == hospital_id)


def _manages_expert(user: User, expert) -> bool:
    return _manages_hospital(user, expert.hospital_id) or (
        user.role is Role.expert and expert.user_id == user.id
    )


RULES: dict[str, Callable[[User, object], bool]] = {
    "hospital:read": _anyone,
    "hospital:write": _admin,
    "specialty:read": _anyone,
    "specialty:write": _admin,
    "partnership:read": _party_to_partnership,
    "partnership:write": _admin,
    "expert:read": _anyone,
    # target: the hospital id the new expert belongs to
    "expert:create": _manages_hospital,
    "expert:update": _manages_expert,
    # target: the hospital id whose users are listed or created
    "user:list": _manages_hospital,
    "user:create": _admin,
    # --- notifications ---
    # a "system.message" to chosen users
    "notification:broadcast": _admin,
}


def may(user: User, action: str, target=None) -> bool:
    try:
        rule = RULES[action]
    except KeyError:  # an unknown action is a programming error, never a silent yes
        raise LookupError(f"no policy rule for {action!r}") from None
    return user.is_active and rule(user, target)


def authorize(user: User, action: str, target=None) -> None:
    if not may(user, action, target):
        raise Forbidden(f"A {user.role.name} of this hospital may not {action.replace(':', ' ')} here.")
