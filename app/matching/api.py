from flask_smorest import Blueprint

from app.accounts.auth import current_user, login_required
from app.bookings.schemas import BookingSchema
from app.core.pagination import page_of, paginate
from app.extensions import db
from app.matching import service
from app.matching.schemas import AssignSchema, CandidateSchema, DeclineSchema, OfferListArgsSchema, OfferSchema

blp = Blueprint("matching", __name__, description="Offers to experts, with the reasons for each choice")


@blp.get("/offers")
@login_required
@blp.arguments(OfferListArgsSchema, location="query")
@blp.response(200, page_of(OfferSchema))
def list_offers(args):
    """Experts see only their own offers; each offer carries its score parts."""
    return paginate(service.list_offers_stmt(current_user(), args), args)


@blp.get("/offers/<int:offer_id>")
@login_required
@blp.response(200, OfferSchema)
def get_offer(offer_id):
    return service.get_offer(current_user(), offer_id)


@blp.post("/offers/<int:offer_id>/accept")
@login_required
@blp.response(201, BookingSchema)
def accept_offer(offer_id):
    """Accept: claims the slot and books. 409 when someone else got the slot or the request first."""
    try:
        booking = service.accept_offer(current_user(), offer_id)
    except service.SlotTaken as lost:
        # The loser's offer cannot stand: withdraw it and ask the next candidate, then say 409.
        db.session.rollback()
        service.withdraw_lost_offer(lost.offer_id)
        db.session.commit()
        raise
    db.session.commit()
    return booking


@blp.post("/offers/<int:offer_id>/decline")
@login_required
@blp.arguments(DeclineSchema)
@blp.response(200, OfferSchema)
def decline_offer(data, offer_id):
    offer = service.decline_offer(current_user(), offer_id, data["reason"])
    db.session.commit()
    return offer


@blp.get("/requests/<int:request_id>/offers")
@login_required
@blp.response(200, OfferSchema(many=True))
def request_offers(request_id):
    """The offers of a request the caller may see (an expert: only their own)."""
    return service.offers_of_request(current_user(), request_id)


@blp.get("/requests/<int:request_id>/candidates")
@login_required
@blp.response(200, CandidateSchema(many=True))
def request_candidates(request_id):
    """Schedulers: the current ranking, to choose from when assigning by hand."""
    return service.preview_candidates(current_user(), request_id)


@blp.post("/requests/<int:request_id>/assign")
@login_required
@blp.arguments(AssignSchema)
@blp.response(201, OfferSchema)
def assign(data, request_id):
    """Schedulers: offer the request to a chosen expert and slot, overriding the ranking."""
    offer = service.assign(current_user(), request_id, data["slot_id"], data.get("note"))
    db.session.commit()
    return offer
