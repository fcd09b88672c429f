"""Offers: who is asked, with which deadline, and what happens on accept, decline, expiry
and manual assignment. The one function that knows the offer's transitions is `_move`.

Lock order (PostgreSQL): every change that touches offers first locks the request row, so
an accept, a decline and the expiry sweep never wait on each other in a cycle."""

from __future__ import annotations

from datetime import timedelta

import sqlalchemy as sa
from flask import current_app
from sqlalchemy.orm import selectinload
from sqlalchemy.orm.attributes import set_committed_value

from app.accounts import policy
from app.accounts.models import User
from app.consults import access
from app.consults import service as consults
from app.consults.models import ConsultationRequest, RequestStatus, Urgency
from app.core import audit
from app.core.clock import now
from app.core.repo import get_or_404
from app.directory.models import ExpertProfile, Specialty
from app.directory.service import partner_hospital_ids
from app.errors import Conflict, InvalidInput
from app.extensions import db
from app.matching import candidates as cands
from app.matching.models import Offer, OfferStatus
from app.notifications.service import notify
from app.rosters.models import Slot, SlotStatus

OS = OfferStatus
R = RequestStatus
TRANSITIONS = {OS.pending: {OS.accepted, OS.declined, OS.expired, OS.withdrawn}}


class SlotTaken(Conflict):
    """The offered slot went to another booking first; the offer is withdrawn afterwards."""

    def __init__(self, detail: str, offer_id: int):
        super().__init__(detail)
        self.offer_id = offer_id


# --- the offer state machine ---------------------------------------------------------------

def _move(offer: Offer, to: OfferStatus, actor: User | None, action: str, *, require_open=False, **data) -> None:
    """pending → `to` with one conditional UPDATE; 409 naming the current state otherwise.
    `require_open`: the deadline must not have passed (answers after it are too late)."""
    if to not in TRANSITIONS.get(offer.status, set()):
        raise Conflict(f"Offer {offer.id} is already {offer.status.name}; it cannot become {to.name}.")
    stamp = now()
    cond = [Offer.id == offer.id, Offer.status == OS.pending]
    if require_open:
        cond.append(Offer.deadline_at > stamp)
    values = {"status": to, "responded_at": stamp, "updated_at": stamp}
    result = db.session.execute(sa.update(Offer).where(*cond).values(**values)
                                .execution_options(synchronize_session=False))
    if result.rowcount != 1:
        db.session.refresh(offer)
        if offer.status is OS.pending:
            raise Conflict(f"Offer {offer.id} passed its deadline at {offer.deadline_at.isoformat()}; it can no"
                           " longer be answered.")
        raise Conflict(f"Offer {offer.id} is already {offer.status.name}; it cannot become {to.name}.")
    for key, value in values.items():
        set_committed_value(offer, key, value)
    audit.record(actor, offer, action, from_state=OS.pending, to_state=to, request_id=offer.request_id, **data)
    notify(offer.expert.user_id, action, _payload(offer, **data))


def _payload(offer: Offer, **extra) -> dict:
    return {"offer_id": offer.id, "request_id": offer.request_id, "slot_id": offer.slot_id,
            "status": offer.status.name, "deadline_at": offer.deadline_at.isoformat(),
            "starts_at": offer.slot.starts_at.isoformat(), "at": now().isoformat(), **extra}


def lock_request(request_id: int) -> ConsultationRequest:
    """The request row, locked for this transaction (PostgreSQL; SQLite holds the write lock)."""
    request = db.session.scalar(sa.select(ConsultationRequest).where(ConsultationRequest.id == request_id)
                                .with_for_update().execution_options(populate_existing=True))
    if request is None:
        raise Conflict(f"Request {request_id} does not exist.")
    return request


# --- making offers -------------------------------------------------------------------------

def start(request: ConsultationRequest, actor: User | None) -> None:
    consults.transition(request, R.matching, actor, "request.matching")
    refill(request, actor)


def rematch(request: ConsultationRequest, actor: User | None, reason: str) -> None:
    """Drop the current offers and match again (after an edit, a reschedule, a no-show)."""
    withdraw_pending(request, actor, reason=reason)
    if request.status is not R.matching:
        consults.transition(request, R.matching, actor, "request.matching", reason=reason)
    refill(request, actor)


def refill(request: ConsultationRequest, actor: User | None) -> list[Offer]:
    """Keep the wanted number of offers pending (1, or k for emergencies); when none is
    pending and nobody is left in the window the request becomes unmatched."""
    want = current_app.config["EMERGENCY_FANOUT"] if request.urgency is Urgency.emergency else 1
    pending = _pending(request.id)
    made = []
    if len(pending) < want:
        for rank, cand in enumerate(cands.find(request, limit=want - len(pending)), start=1):
            made.append(_offer(request, cand, actor, rank=rank))
    if pending or made:
        if request.status is R.matching:
            consults.transition(request, R.offered, actor, "request.offered", offers=[o.id for o in made])
        return made
    if request.status is R.offered:
        consults.transition(request, R.matching, actor, "request.matching")
    consults.transition(request, R.unmatched, actor, "request.unmatched")
    consults.notify_schedulers_unmatched(
        request, partner_hospital_ids(request.hospital_id, request.specialty_id, request.window_start.date()))
    return []


def _pending(request_id: int) -> list[Offer]:
    return list(db.session.scalars(sa.select(Offer).where(Offer.request_id == request_id, Offer.status == OS.pending)))


def _deadline(request: ConsultationRequest, starts_at):
    minutes = current_app.config["OFFER_DEADLINE_MINUTES"][request.urgency.name]
    return min(now() + timedelta(minutes=minutes), starts_at)


def _offer(request, cand: cands.Candidate, actor, *, rank: int, manual=False) -> Offer:
    offer = Offer(request_id=request.id, expert_id=cand.expert_id, slot_id=cand.slot_id, status=OS.pending,
                  score=cand.score, score_parts=cand.parts, rank=rank, is_in_network=cand.in_network,
                  is_manual=manual, deadline_at=_deadline(request, cand.starts_at))
    db.session.add(offer)
    db.session.flush()
    audit.record(actor, offer, "offer.created", to_state=OS.pending, request_id=request.id,
                 expert_id=cand.expert_id, slot_id=cand.slot_id, score=cand.score, rank=rank, manual=manual)
    notify(cand.expert_user_id, "offer.created", {
        "offer_id": offer.id, "request_id": request.id, "slot_id": cand.slot_id, "mode": cand.mode,
        "starts_at": cand.starts_at.isoformat(), "deadline_at": offer.deadline_at.isoformat(),
        "urgency": request.urgency.name, "patient_ref": request.patient_ref, "score": cand.score})
    return offer


def withdraw_pending(request: ConsultationRequest, actor: User | None, *, reason: str, keep: int | None = None) -> int:
    n = 0
    for offer in _pending(request.id):
        if offer.id != keep:
            _move(offer, OS.withdrawn, actor, "offer.withdrawn", reason=reason)
            n += 1
    return n


# --- answering -----------------------------------------------------------------------------

def get_offer(actor: User, offer_id: int) -> Offer:
    offer = get_or_404(Offer, offer_id, "Offer")
    policy.authorize(actor, "offer:read", access.for_expert(offer.request, offer.expert))
    return offer


def list_offers_stmt(actor: User, args: dict) -> sa.Select:
    """Experts: their own offers only. Schedulers: offers to their experts or for their
    hospital's requests. County doctors: offers for their hospital's requests."""
    # The output nests each offer's expert and slot: load them with the page, not per row.
    stmt = access.visible_to(actor, sa.select(Offer).order_by(Offer.id.desc())
                             .options(selectinload(Offer.expert), selectinload(Offer.slot)),
                             Offer.expert_id, Offer.request_id)
    for key, col in (("status", Offer.status), ("request_id", Offer.request_id)):
        if args.get(key) is not None:
            stmt = stmt.where(col == args[key])
    return stmt


def accept_offer(actor: User, offer_id: int):
    """The expert says yes: the slot is claimed and the booking made, or 409 for the loser."""
    from app.bookings import service as bookings

    offer = get_or_404(Offer, offer_id, "Offer")
    policy.authorize(actor, "offer:respond", access.for_expert(offer.request, offer.expert))
    request = lock_request(offer.request_id)
    db.session.refresh(offer)  # as it is now that the request is ours
    if request.status is R.booked and offer.status is not OS.accepted:
        raise Conflict(f"Request {request.id} was accepted by another expert first; this offer was withdrawn.")
    if offer.status is not OS.pending:
        raise Conflict(f"Offer {offer.id} is already {offer.status.name}; it cannot be accepted.")
    if request.status is not R.offered:
        raise Conflict(f"Request {request.id} is {request.status.name}; its offers can no longer be accepted.")
    if not bookings.claim(offer.slot_id):
        raise SlotTaken(f"Slot {offer.slot_id} was just booked for another consultation; this offer can no longer"
                        " be accepted.", offer.id)
    _move(offer, OS.accepted, actor, "offer.accepted", require_open=True)
    booking = bookings.book_from_offer(offer, request, actor)
    consults.transition(request, R.booked, actor, "request.booked", booking_id=booking.id, offer_id=offer.id)
    withdraw_pending(request, actor, reason="another expert accepted", keep=offer.id)
    return booking


def decline_offer(actor: User, offer_id: int, reason: str) -> Offer:
    offer = get_or_404(Offer, offer_id, "Offer")
    policy.authorize(actor, "offer:respond", access.for_expert(offer.request, offer.expert))
    request = lock_request(offer.request_id)
    _move(offer, OS.declined, actor, "offer.declined", reason=reason)
    offer.decline_reason = reason
    _escalate(request, actor)
    return offer


def withdraw_lost_offer(offer_id: int) -> None:
    """After a lost slot race (in a fresh transaction): the offer cannot be kept, ask the next."""
    offer = db.session.get(Offer, offer_id)
    request = lock_request(offer.request_id)
    if offer.status is OS.pending:
        _move(offer, OS.withdrawn, None, "offer.withdrawn", reason="slot booked by another consultation")
        _escalate(request, None)


def expire(offer: Offer) -> bool:
    """Expire one overdue offer and escalate; False if someone else already answered it."""
    request = lock_request(offer.request_id)
    result = db.session.execute(
        sa.update(Offer).where(Offer.id == offer.id, Offer.status == OS.pending, Offer.deadline_at <= now())
        .values(status=OS.expired, updated_at=now()).execution_options(synchronize_session=False))
    if result.rowcount != 1:
        return False
    set_committed_value(offer, "status", OS.expired)
    audit.record(None, offer, "offer.expired", from_state=OS.pending, to_state=OS.expired, request_id=request.id)
    notify(offer.expert.user_id, "offer.expired", _payload(offer))
    _escalate(request, None)
    return True


def _escalate(request: ConsultationRequest, actor: User | None) -> None:
    """An offer is gone: if none is pending any more, back to matching and ask the next."""
    if request.status is not R.offered:
        return
    if not _pending(request.id):
        consults.transition(request, R.matching, actor, "request.matching", reason="offer declined or expired")
    refill(request, actor)


# --- manual assignment ---------------------------------------------------------------------

def assign(actor: User, request_id: int, slot_id: int, note: str | None = None) -> Offer:
    """A scheduler picks the expert and slot, overriding the ranking (recorded in the audit)."""
    request = lock_request(request_id)
    slot = get_or_404(Slot, slot_id, "Slot")
    expert = slot.expert
    # Only schedulers who may already work on the request (its hospital, partners, hospitals
    # offered it): owning the slot's expert must not open someone else's request to them.
    policy.authorize(actor, "request:assign", access.for_request(request))
    if request.status not in (R.matching, R.offered, R.unmatched):
        raise Conflict(f"Request {request.id} is {request.status.name}; only requests being matched can be assigned.")
    cand = _manual_candidate(request, slot, expert)
    ranked = cands.find(request, limit=1)
    withdraw_pending(request, actor, reason="assigned by a scheduler")
    offer = _offer(request, cand, actor, rank=0, manual=True)
    audit.record(actor, request, "request.assigned", offer_id=offer.id, expert_id=expert.id, slot_id=slot.id,
                 note=note, ranking_top_expert_id=ranked[0].expert_id if ranked else None)
    if request.status is R.unmatched or request.status is R.matching:
        consults.transition(request, R.offered, actor, "request.offered", offers=[offer.id], manual=True)
    return offer


def _manual_candidate(request, slot: Slot, expert: ExpertProfile) -> cands.Candidate:
    if slot.status is not SlotStatus.open:
        raise Conflict(f"Slot {slot.id} is {slot.status.name}; pick an open slot.")
    if not any(s.id == request.specialty_id for s in expert.specialties):
        specialty = db.session.get(Specialty, request.specialty_id)
        raise InvalidInput("slot_id", f"the slot's expert does not practise {specialty.code}")
    mode = cands.session_mode(request.preferred_mode, slot.mode, expert.accepts_remote, expert.accepts_onsite)
    if mode is None:
        raise InvalidInput("slot_id", f"the slot's mode does not fit a {request.preferred_mode.name} request")
    partners = partner_hospital_ids(request.hospital_id, request.specialty_id, request.window_start.date())
    parts = {"manual": {"value": 1.0, "weight": 0.0, "points": 0.0}}
    return cands.Candidate(expert.id, expert.user_id, expert.hospital_id, slot.id, slot.starts_at, slot.ends_at,
                           mode, 0, expert.hospital_id in partners, parts, 0.0)


def offers_of_request(actor: User, request_id: int) -> list[Offer]:
    request = consults.get_request(actor, request_id)
    offers = db.session.scalars(sa.select(Offer).where(Offer.request_id == request.id).order_by(Offer.id))
    return [o for o in offers if policy.may(actor, "offer:read", access.for_expert(request, o.expert))]


def preview_candidates(actor: User, request_id: int, limit: int = 20) -> list[cands.Candidate]:
    request = get_or_404(ConsultationRequest, request_id, "Request")
    policy.authorize(actor, "request:assign", access.for_request(request))
    return cands.find(request, limit=limit)
