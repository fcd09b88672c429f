from flask_smorest import Blueprint

from app.accounts.auth import current_user, login_required
from app.bookings import service
from app.bookings.schemas import (
    BookingCancelSchema,
    BookingChangeSchema,
    BookingListArgsSchema,
    BookingRescheduleSchema,
    BookingSchema,
    NoShowSchema,
)
from app.core.pagination import page_of, paginate
from app.extensions import db

blp = Blueprint("bookings", __name__, description="Bookings: confirmed sessions, remote or on-site")


@blp.get("/bookings")
@login_required
@blp.arguments(BookingListArgsSchema, location="query")
@blp.response(200, page_of(BookingSchema))
def list_bookings(args):
    return paginate(service.list_bookings_stmt(current_user(), args), args)


@blp.get("/bookings/<int:booking_id>")
@login_required
@blp.response(200, BookingSchema)
def get_booking(booking_id):
    return service.get_booking(current_user(), booking_id)


@blp.get("/bookings/<int:booking_id>/history")
@login_required
@blp.response(200, BookingChangeSchema(many=True))
def booking_history(booking_id):
    return service.history(current_user(), booking_id)


@blp.post("/bookings/<int:booking_id>/cancel")
@login_required
@blp.arguments(BookingCancelSchema)
@blp.response(200, BookingSchema)
def cancel_booking(data, booking_id):
    """Requesting side: the request ends too. Serving side: the request is matched again."""
    booking = service.cancel_booking(current_user(), booking_id, data["reason"])
    db.session.commit()
    return booking


@blp.post("/bookings/<int:booking_id>/reschedule")
@login_required
@blp.arguments(BookingRescheduleSchema)
@blp.response(200, BookingSchema)
def reschedule_booking(data, booking_id):
    booking = service.reschedule(current_user(), booking_id, data["slot_id"], data["reason"])
    db.session.commit()
    return booking


@blp.post("/bookings/<int:booking_id>/start")
@login_required
@blp.response(200, BookingSchema)
def start_booking(booking_id):
    booking = service.start_session(current_user(), booking_id)
    db.session.commit()
    return booking


@blp.post("/bookings/<int:booking_id>/complete")
@login_required
@blp.response(200, BookingSchema)
def complete_booking(booking_id):
    booking = service.complete_session(current_user(), booking_id)
    db.session.commit()
    return booking


@blp.post("/bookings/<int:booking_id>/no-show")
@login_required
@blp.arguments(NoShowSchema)
@blp.response(200, BookingSchema)
def no_show(data, booking_id):
    booking = service.mark_no_show(current_user(), booking_id, data["side"])
    db.session.commit()
    return booking
