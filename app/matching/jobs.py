"""Time-driven matching work: offers past their deadline expire and the request moves on
to the next candidate. Safe to run twice or on two processes at once: each offer is
expired by a conditional UPDATE (pending → expired), and only the run whose UPDATE hit the
row escalates it."""

from __future__ import annotations

import logging

import sqlalchemy as sa

from app.core.clock import now
from app.errors import Conflict
from app.extensions import db
from app.matching import service
from app.matching.models import Offer, OfferStatus

log = logging.getLogger(__name__)
BATCH = 200


def expire_overdue_offers() -> dict:
    """Expire pending offers whose deadline passed and escalate each request, one offer per
    transaction so that one failure does not hold back the others."""
    ids = db.session.scalars(
        sa.select(Offer.id).where(Offer.status == OfferStatus.pending, Offer.deadline_at <= now())
        .order_by(Offer.deadline_at).limit(BATCH)).all()
    db.session.commit()
    expired = skipped = 0
    for offer_id in ids:
        try:
            offer = db.session.get(Offer, offer_id)
            if service.expire(offer):
                expired += 1
            else:
                skipped += 1
            db.session.commit()
        except Conflict as exc:  # the request moved on meanwhile (cancelled, booked by a rival)
            db.session.rollback()
            skipped += 1
            log.info("offer %s not escalated: %s", offer_id, exc.detail)
    return {"expired": expired, "skipped": skipped}


JOBS = [("matching.expire_overdue_offers", expire_overdue_offers, {"trigger": "interval", "seconds": 30})]
