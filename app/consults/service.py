"""Consultation requests: filing (idempotent), following, editing, cancelling, and the one
function that knows the request's allowed transitions."""

from __future__ import annotations

import re

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm.attributes import set_committed_value

from app.accounts import policy
from app.accounts.models import Role, User
from app.consults import access
from app.consults.models import ConsultationRequest, RequestStatus
from app.core import audit
from app.core.clock import now
from app.core.repo import apply_changes, get_or_404
from app.directory.models import ExpertProfile, Hospital, Specialty, Tier
from app.errors import Conflict, InvalidInput
from app.extensions import db
from app.notifications.service import notify, notify_many

S = RequestStatus
TRANSITIONS: dict[RequestStatus, set[RequestStatus]] = {
    S.submitted: {S.matching, S.cancelled},
    S.matching: {S.offered, S.unmatched, S.cancelled},
    S.offered: {S.matching, S.booked, S.cancelled},
    # back to matching: rescheduled "to anyone else" or the expert did not come
    S.booked: {S.completed, S.cancelled, S.matching},
    # a scheduler may retry matching or assign by hand
    S.unmatched: {S.matching, S.offered, S.cancelled},
    S.completed: set(),
    S.cancelled: set(),
}
OPEN = {S.submitted, S.matching, S.offered, S.unmatched}  # not yet booked: editable
# Fields whose change invalidates the current offers.
MATCH_FIELDS = {"urgency", "preferred_mode", "window_start", "window_end"}

# A pseudonymous reference: letters, digits and . _ - only.
_REF_SHAPE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{2,63}$")
_CJK = re.compile(r"[\u3400-\u9fff\uf900-\ufaff·]")
_ID_LIKE = [
    (re.compile(r"\d{17}[\dXx]"), "looks like an 18-digit resident ID number"),
    (re.compile(r"(?<!\d)\d{15}(?!\d)"), "looks like a 15-digit resident ID number"),
    (re.compile(r"(?<!\d)1[3-9]\d{9}(?!\d)"), "looks like a mobile phone number"),
    (re.compile(r"^[EeGgDdSsPp]\d{8}$"), "looks like a passport number"),
    (re.compile(r"\d{9,}"), "contains a long number that may identify the patient"),
]


def check_patient_ref(value: str) -> str:
    value = (value or "").strip()
    if _CJK.search(value):
        raise InvalidInput("patient_ref", "looks like a personal name; use the pseudonymous reference, never the name")
    for pattern, reason in _ID_LIKE:
        if pattern.search(value):
            raise InvalidInput("patient_ref", f"{reason}; use the pseudonymous reference, never an ID number")
    if not _REF_SHAPE.match(value):
        raise InvalidInput("patient_ref", "use 3-64 letters, digits, '.', '_' or '-' (a pseudonymous reference)")
    return value


# --- the state machine -------------------------------------------------------------------

def transition(request: ConsultationRequest, to: RequestStatus, actor: User | None, action: str, **data) -> None:
    """Move the request from its current status to `to`, or 409 saying why not.

    A conditional UPDATE (… WHERE status = current): of two concurrent transitions from the
    same state only one succeeds, the other gets 409 instead of overwriting.
    """
    current = request.status
    if to not in TRANSITIONS[current]:
        raise Conflict(f"Request {request.id} is {current.name}; it cannot become {to.name}"
                       f" (allowed: {', '.join(sorted(s.name for s in TRANSITIONS[current])) or 'none, it is final'}).")
    stamp = now()
    result = db.session.execute(
        sa.update(ConsultationRequest)
        .where(ConsultationRequest.id == request.id, ConsultationRequest.status == current)
        .values(status=to, updated_at=stamp)
        .execution_options(synchronize_session=False))
    if result.rowcount != 1:
        raise Conflict(f"Request {request.id} was changed by someone else at the same time; reload and retry.")
    set_committed_value(request, "status", to)
    set_committed_value(request, "updated_at", stamp)
    audit.record(actor, request, action, from_state=current, to_state=to, **data)
    notify(request.requester_id, f"request.{to.name}", _payload(request, from_state=current.name, **data))


def _payload(request: ConsultationRequest, **extra) -> dict:
    return {"request_id": request.id, "status": request.status.name, "patient_ref": request.patient_ref,
            "urgency": request.urgency.name, "at": now().isoformat(), **extra}


def notify_schedulers_unmatched(request: ConsultationRequest, tertiary_hospital_ids: set[int]) -> None:
    """Tell the requesting hospital's schedulers and the tertiary ones that nobody is left."""
    ids = {request.hospital_id} | set(tertiary_hospital_ids)
    if not tertiary_hospital_ids:  # no partner: every tertiary hospital with such an expert
        ids |= set(db.session.scalars(
            sa.select(ExpertProfile.hospital_id).where(
                ExpertProfile.specialties.any(Specialty.id == request.specialty_id))))
    users = db.session.scalars(sa.select(User.id).where(
        User.role == Role.scheduler, User.is_active.is_(True), User.hospital_id.in_(ids)))
    notify_many(users, "request.unmatched", _payload(request))


# --- filing and following ----------------------------------------------------------------

def create_request(actor: User, data: dict, idempotency_key: str | None = None) -> tuple[ConsultationRequest, bool]:
    """File a request and start matching. Returns (request, created): a retry with the same
    Idempotency-Key returns the first request and created=False."""
    policy.authorize(actor, "request:create")
    if idempotency_key:
        first = _by_key(actor.id, idempotency_key)
        if first is not None:
            return first, False
    request = _new_request(actor, data, idempotency_key)
    try:
        with db.session.begin_nested():
            db.session.add(request)
            db.session.flush()
    except IntegrityError:  # the same key raced us and won: answer with its request
        first = _by_key(actor.id, idempotency_key) if idempotency_key else None
        if first is None:
            raise
        return first, False
    audit.record(actor, request, "request.submitted", to_state=S.submitted, specialty_id=request.specialty_id)
    from app.matching import service as matching

    matching.start(request, actor)
    return request, True


def _by_key(requester_id: int, key: str) -> ConsultationRequest | None:
    return db.session.scalar(sa.select(ConsultationRequest).where(
        ConsultationRequest.requester_id == requester_id, ConsultationRequest.idempotency_key == key))


def _new_request(actor: User, data: dict, key: str | None) -> ConsultationRequest:
    hospital = db.session.get(Hospital, actor.hospital_id)
    if hospital.tier is not Tier.grassroots:
        raise InvalidInput("hospital_id", "requests are filed by county (grassroots) hospitals")
    data = dict(data)
    specialty = db.session.scalar(sa.select(Specialty).where(Specialty.code == data.pop("specialty")))
    if specialty is None:
        raise InvalidInput("specialty", "unknown specialty code")
    data["patient_ref"] = check_patient_ref(data["patient_ref"])
    _check_window(data["window_start"], data["window_end"])
    return ConsultationRequest(requester_id=actor.id, hospital_id=actor.hospital_id, specialty_id=specialty.id,
                               status=S.submitted, idempotency_key=key, **data)


def _check_window(start, end) -> None:
    if end <= start:
        raise InvalidInput("window_end", "must be after window_start")
    if end <= now():
        raise InvalidInput("window_end", "is in the past")


def get_request(actor: User, request_id: int) -> ConsultationRequest:
    request = get_or_404(ConsultationRequest, request_id, "Request")
    policy.authorize(actor, "request:read", access.for_request(request))
    return request


def list_requests_stmt(actor: User, args: dict) -> sa.Select:
    stmt = sa.select(ConsultationRequest).order_by(ConsultationRequest.id.desc())
    stmt = stmt.where(_visible_to(actor))
    if args.get("status"):
        stmt = stmt.where(ConsultationRequest.status == args["status"])
    if args.get("urgency"):
        stmt = stmt.where(ConsultationRequest.urgency == args["urgency"])
    return stmt


def _visible_to(actor: User):
    from app.matching.models import Offer

    R = ConsultationRequest
    if actor.role is Role.admin:
        return sa.true()
    if actor.role is Role.county_doctor:
        return R.hospital_id == actor.hospital_id
    offered = (sa.select(Offer.id).join(ExpertProfile, ExpertProfile.id == Offer.expert_id)
               .where(Offer.request_id == R.id))
    if actor.role is Role.expert:
        return sa.exists(offered.where(ExpertProfile.user_id == actor.id))
    return sa.or_(R.hospital_id == actor.hospital_id,
                  sa.exists(offered.where(ExpertProfile.hospital_id == actor.hospital_id)),
                  sa.and_(R.status == S.unmatched, _partner_of(actor.hospital_id)))


def _partner_of(hospital_id: int):
    from app.directory.models import Partnership
    from app.directory.models import partnership_specialties as ps

    R = ConsultationRequest
    return sa.exists(sa.select(Partnership.id).join(ps, ps.c.partnership_id == Partnership.id).where(
        Partnership.grassroots_hospital_id == R.hospital_id, Partnership.tertiary_hospital_id == hospital_id,
        ps.c.specialty_id == R.specialty_id))


def update_request(actor: User, request_id: int, changes: dict) -> ConsultationRequest:
    request = _locked(request_id)
    policy.authorize(actor, "request:update", access.for_request(request))
    if request.status not in OPEN:
        raise Conflict(f"Request {request.id} is {request.status.name}; only unbooked requests can be edited"
                       " (cancel the booking or reschedule it instead).")
    changes = dict(changes)
    if "patient_ref" in changes:
        changes["patient_ref"] = check_patient_ref(changes["patient_ref"])
    diff = apply_changes(request, changes)
    _check_window(request.window_start, request.window_end)
    audit.record(actor, request, "request.updated", changes={k: v for k, v in diff.items() if k != "case_summary"})
    if MATCH_FIELDS & set(diff) and request.status is not S.submitted:
        from app.matching import service as matching

        matching.rematch(request, actor, reason="request edited")
    return request


def cancel_request(actor: User, request_id: int, reason: str) -> ConsultationRequest:
    request = _locked(request_id)
    policy.authorize(actor, "request:cancel", access.for_request(request))
    if S.cancelled not in TRANSITIONS[request.status]:
        raise Conflict(f"Request {request.id} is {request.status.name}; it can no longer be cancelled.")
    from app.bookings import service as bookings
    from app.matching import service as matching

    matching.withdraw_pending(request, actor, reason="request cancelled")
    bookings.cancel_live_booking_of(request, actor, reason)
    request.cancel_reason = reason
    transition(request, S.cancelled, actor, "request.cancelled", reason=reason)
    return request


def _locked(request_id: int) -> ConsultationRequest:
    """The request, locked for this transaction like every other change to it (same order:
    request row first), so an edit or a cancel never races an accept on stale state."""
    get_or_404(ConsultationRequest, request_id, "Request")
    from app.matching import service as matching

    return matching.lock_request(request_id)
