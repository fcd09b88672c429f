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


# --- outcomes / evaluation helpers: targets are bookings (with .request and .expert loaded) ---

def _booking_expert(user: User, booking) -> bool:
    return user.role is Role.expert and booking.expert.user_id == user.id


def _booking_requester_side(user: User, booking) -> bool:
    return user.role is Role.county_doctor and user.hospital_id == booking.request.hospital_id


def _booking_party(user: User, booking) -> bool:
    """Admins, the booking's expert, the requesting hospital's doctors, schedulers of either side."""
    return (_admin(user) or _booking_expert(user, booking) or _booking_requester_side(user, booking)
            or (user.role is Role.scheduler
                and user.hospital_id in (booking.request.hospital_id, booking.expert.hospital_id)))


def _reads_evaluation(user: User, scope) -> bool:
    """Admins all; schedulers a scope anchored at their hospital; experts their own figures."""
    if _admin(user):
        return True
    if user.role is Role.scheduler:
        return scope.touches_hospital(user.hospital_id)
    if user.role is Role.expert:
        return scope.expert is not None and scope.expert.user_id == user.id
    return False


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
    # --- outcomes ---
    # target: the booking
    "outcome:record": _booking_expert,
    "outcome:confirm": _booking_requester_side,
    "outcome:read": _booking_party,
    "referral:write": _booking_party,
    # target: the hospital id whose overdue sessions are listed
    "outcome:list_overdue": _manages_hospital,
    # target: an evaluation Scope
    "evaluation:read": _reads_evaluation,
    # --- rosters ---
    # target: the expert whose rules, exceptions, slots or calendar feed are touched
    "roster:manage": _manages_expert,
    # target: the hospital id whose calendar days are entered by hand
    "calendar_day:manage": _manages_hospital,
    # target: the expert owning the slot; blocking a single slot is the scheduler's call
    "slot:block": lambda user, expert: _manages_hospital(user, expert.hospital_id),
    "slot:search": _anyone,
    # --- consults / matching / bookings ---
    # Targets are `app.consults.access.Access` views: who asked, which hospitals and which
    # expert users are involved (so these rules need no database).
    "request:create": lambda u, _t=None: u.role is Role.county_doctor,
    "request:read": lambda u, a: _requesting_side(u, a) or _serving_side(u, a),
    "request:update": lambda u, a: _requester_or_manager(u, a),
    "request:cancel": lambda u, a: _requester_or_manager(u, a),
    # target: Access of the request (the chosen expert's hospital does not widen it)
    "request:assign": lambda u, a: _admin(u) or (u.role is Role.scheduler and (
        u.hospital_id == a.hospital_id or u.hospital_id in a.serving_hospital_ids)),
    "offer:read": lambda u, a: _requesting_side(u, a) or _serving_side(u, a),
    "offer:respond": lambda u, a: u.role is Role.expert and u.id in a.expert_user_ids,
    "booking:read": lambda u, a: _requesting_side(u, a) or _serving_side(u, a),
    "booking:cancel": lambda u, a: _requester_or_manager(u, a) or _serving_side(u, a),
    "booking:reschedule": lambda u, a: _requester_or_manager(u, a) or _serving_manager(u, a),
    "booking:run": lambda u, a: _serving_side(u, a),
    # the video room: only who joins the session (its expert, the requesting hospital's doctors)
    "booking:join": lambda u, a: (u.role is Role.expert and u.id in a.expert_user_ids) or (
        u.role is Role.county_doctor and u.hospital_id == a.hospital_id),
    # target: the Access; reporting that the *expert* did not come is the requesting side's
    "booking:no_show_expert": lambda u, a: _requesting_side(u, a) and u.role is not Role.expert,
    "booking:no_show_requester": lambda u, a: _serving_side(u, a),
    # --- notifications ---
    # a "system.message" to chosen users
    "notification:broadcast": _admin,
}


def _requesting_side(user: User, access) -> bool:
    """Admins; county doctors and schedulers of the requesting hospital."""
    return _admin(user) or (user.role in (Role.county_doctor, Role.scheduler)
                            and user.hospital_id == access.hospital_id)


def _serving_side(user: User, access) -> bool:
    """The expert(s) involved and the schedulers of their hospitals (never other experts)."""
    if user.role is Role.expert:
        return user.id in access.expert_user_ids
    return _serving_manager(user, access)


def _serving_manager(user: User, access) -> bool:
    return _admin(user) or (user.role is Role.scheduler and user.hospital_id in access.serving_hospital_ids)


def _requester_or_manager(user: User, access) -> bool:
    return _admin(user) or user.id == access.requester_id or (
        user.role is Role.scheduler and user.hospital_id == access.hospital_id)


def may(user: User, action: str, target=None) -> bool:
    try:
        rule = RULES[action]
    except KeyError:  # an unknown action is a programming error, never a silent yes
        raise LookupError(f"no policy rule for {action!r}") from None
    return user.is_active and rule(user, target)


def authorize(user: User, action: str, target=None) -> None:
    if not may(user, action, target):
        raise Forbidden(f"A {user.role.name} of this hospital may not {action.replace(':', ' ')} here.")
