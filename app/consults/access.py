"""Who is involved in a request, an offer or a booking: the view the policy rules decide on.
Built here (with the queries it needs) so that `app.accounts.policy` stays free of SQL."""

from __future__ import annotations

from dataclasses import dataclass, field

import sqlalchemy as sa

from app.consults.models import ConsultationRequest
from app.directory.models import ExpertProfile
from app.directory.service import partner_hospital_ids
from app.extensions import db


@dataclass(frozen=True)
class Access:
    hospital_id: int  # the requesting (county) hospital
    requester_id: int
    serving_hospital_ids: frozenset = field(default_factory=frozenset)
    expert_user_ids: frozenset = field(default_factory=frozenset)


def for_request(request: ConsultationRequest) -> Access:
    """Serving side: experts offered this request (any outcome), their hospitals, and the
    partner hospitals of the requester for this specialty (their schedulers see the queue)."""
    from app.matching.models import Offer

    rows = db.session.execute(
        sa.select(ExpertProfile.user_id, ExpertProfile.hospital_id)
        .join(Offer, Offer.expert_id == ExpertProfile.id)
        .where(Offer.request_id == request.id)
    ).all()
    partners = partner_hospital_ids(request.hospital_id, request.specialty_id, request.window_start.date())
    return Access(request.hospital_id, request.requester_id,
                  frozenset({r.hospital_id for r in rows} | partners), frozenset(r.user_id for r in rows))


def for_expert(request: ConsultationRequest, expert: ExpertProfile) -> Access:
    """One offer or booking: only its expert and that expert's hospital serve it."""
    return Access(request.hospital_id, request.requester_id,
                  frozenset({expert.hospital_id}), frozenset({expert.user_id}))



def visible_to(actor, stmt: sa.Select, expert_id_col, request_id_col) -> sa.Select:
    """Scope a list of offers or bookings to what `actor` may see: experts their own,
    county doctors their hospital's requests, schedulers both their experts' and their
    hospital's requests; admins everything. Joins the expert and the request."""
    from app.accounts.models import Role

    stmt = stmt.join(ExpertProfile, ExpertProfile.id == expert_id_col).join(
        ConsultationRequest, ConsultationRequest.id == request_id_col)
    if actor.role is Role.expert:
        return stmt.where(ExpertProfile.user_id == actor.id)
    if actor.role is Role.county_doctor:
        return stmt.where(ConsultationRequest.hospital_id == actor.hospital_id)
    if actor.role is Role.scheduler:
        return stmt.where(sa.or_(ExpertProfile.hospital_id == actor.hospital_id,
                                 ConsultationRequest.hospital_id == actor.hospital_id))
    return stmt
