from flask_smorest import Blueprint

from app.accounts.auth import current_user, login_required
from app.core.pagination import page_of, paginate
from app.extensions import db
from app.outcomes import service
from app.outcomes.schemas import (
    ConfirmationSchema,
    OutcomeCreateSchema,
    OutcomeRevisionSchema,
    OutcomeSchema,
    OutcomeUpdateSchema,
    OverdueArgsSchema,
    OverdueSessionSchema,
    ReferralCreateSchema,
    ReferralSchema,
    ReferralStatusSchema,
)

blp = Blueprint("outcomes", __name__, description="Session outcomes, ratings and referrals")


@blp.post("/bookings/<int:booking_id>/outcome")
@login_required
@blp.arguments(OutcomeCreateSchema)
@blp.response(201, OutcomeSchema)
def record_outcome(data, booking_id):
    """The booking's expert records what the session concluded."""
    outcome = service.record_outcome(current_user(), booking_id, data)
    db.session.commit()
    return outcome


@blp.get("/bookings/<int:booking_id>/outcome")
@login_required
@blp.response(200, OutcomeSchema)
def get_booking_outcome(booking_id):
    return service.get_outcome_for_booking(current_user(), booking_id)


@blp.get("/outcomes/overdue")
@login_required
@blp.arguments(OverdueArgsSchema, location="query")
@blp.response(200, page_of(OverdueSessionSchema))
def list_overdue(args):
    """Sessions past their end without an outcome: schedulers see their hospital's (either side)."""
    return paginate(service.overdue_sessions_stmt(current_user(), args), args)


@blp.get("/outcomes/<int:outcome_id>")
@login_required
@blp.response(200, OutcomeSchema)
def get_outcome(outcome_id):
    return service.get_outcome(current_user(), outcome_id)


@blp.patch("/outcomes/<int:outcome_id>")
@login_required
@blp.arguments(OutcomeUpdateSchema)
@blp.response(200, OutcomeSchema)
def amend_outcome(changes, outcome_id):
    """The expert amends the outcome; the previous version is kept (see /revisions)."""
    outcome = service.amend_outcome(current_user(), outcome_id, changes)
    db.session.commit()
    return outcome


@blp.get("/outcomes/<int:outcome_id>/revisions")
@login_required
@blp.response(200, OutcomeRevisionSchema(many=True))
def list_revisions(outcome_id):
    return service.revisions(current_user(), outcome_id)


@blp.post("/outcomes/<int:outcome_id>/confirmation")
@login_required
@blp.arguments(ConfirmationSchema)
@blp.response(200, OutcomeSchema)
def confirm_outcome(data, outcome_id):
    """A county doctor of the requesting hospital confirms and rates the consultation (1-5)."""
    outcome = service.confirm_outcome(current_user(), outcome_id, data)
    db.session.commit()
    return outcome


@blp.get("/outcomes/<int:outcome_id>/referrals")
@login_required
@blp.response(200, ReferralSchema(many=True))
def list_referrals(outcome_id):
    return service.referrals_for(current_user(), outcome_id)


@blp.post("/outcomes/<int:outcome_id>/referrals")
@login_required
@blp.arguments(ReferralCreateSchema)
@blp.response(201, ReferralSchema)
def create_referral(data, outcome_id):
    referral = service.refer(current_user(), outcome_id, data)
    db.session.commit()
    return referral


@blp.post("/referrals/<int:referral_id>/status")
@login_required
@blp.arguments(ReferralStatusSchema)
@blp.response(200, ReferralSchema)
def set_referral_status(data, referral_id):
    referral = service.set_referral_status(current_user(), referral_id, data)
    db.session.commit()
    return referral
