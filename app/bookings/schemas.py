from marshmallow import Schema, fields, validate

from app.bookings.models import BookingStatus, NoShowSide, SessionMode
from app.core.pagination import PageArgsSchema


def _video_url(booking):
    from app.accounts.auth import current_user
    from app.bookings.service import video_url_for

    return video_url_for(current_user(), booking)


class BookingSchema(Schema):
    id = fields.Integer()
    request_id = fields.Integer()
    expert_id = fields.Integer()
    expert_name = fields.Function(lambda b: b.expert.user.display_name)
    slot_id = fields.Integer()
    offer_id = fields.Integer(allow_none=True)
    out_call_id = fields.Integer(allow_none=True)
    mode = fields.Enum(SessionMode)
    starts_at = fields.AwareDateTime()
    ends_at = fields.AwareDateTime()
    status = fields.Enum(BookingStatus)
    video_url = fields.Function(lambda b: _video_url(b), allow_none=True)
    location = fields.String(allow_none=True)
    cancel_reason = fields.String(allow_none=True)
    cancelled_by_id = fields.Integer(allow_none=True)
    no_show_side = fields.Enum(NoShowSide, allow_none=True)
    started_at = fields.AwareDateTime(allow_none=True)
    ended_at = fields.AwareDateTime(allow_none=True)


class BookingChangeSchema(Schema):
    id = fields.Integer()
    kind = fields.String()
    from_slot_id = fields.Integer(allow_none=True)
    to_slot_id = fields.Integer(allow_none=True)
    from_starts_at = fields.AwareDateTime(allow_none=True)
    to_starts_at = fields.AwareDateTime(allow_none=True)
    reason = fields.String(allow_none=True)
    actor_id = fields.Integer(allow_none=True)
    created_at = fields.AwareDateTime()


class BookingListArgsSchema(PageArgsSchema):
    status = fields.Enum(BookingStatus)
    request_id = fields.Integer()


class BookingCancelSchema(Schema):
    reason = fields.String(required=True, validate=validate.Length(min=3, max=500))


class BookingRescheduleSchema(Schema):
    slot_id = fields.Integer(allow_none=True, load_default=None, metadata={
        "description": "another open slot of the same expert; leave out to match the request again"})
    reason = fields.String(required=True, validate=validate.Length(min=3, max=500))


class NoShowSchema(Schema):
    side = fields.Enum(NoShowSide, required=True, metadata={"description": "who did not come"})
