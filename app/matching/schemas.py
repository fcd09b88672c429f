from marshmallow import Schema, fields, validate

from app.core.pagination import PageArgsSchema
from app.matching.models import OfferStatus
from app.rosters.models import SlotMode


class OfferSlotSchema(Schema):
    id = fields.Integer()
    starts_at = fields.AwareDateTime()
    ends_at = fields.AwareDateTime()
    mode = fields.Enum(SlotMode)


class OfferExpertSchema(Schema):
    id = fields.Integer()
    display_name = fields.Function(lambda e: e.user.display_name)
    hospital_id = fields.Integer()


class OfferSchema(Schema):
    id = fields.Integer()
    request_id = fields.Integer()
    expert = fields.Nested(OfferExpertSchema)
    slot = fields.Nested(OfferSlotSchema)
    status = fields.Enum(OfferStatus)
    score = fields.Float()
    score_parts = fields.Dict(metadata={"description": "why this expert: {part: {value, weight, points}}"})
    rank = fields.Integer()
    is_in_network = fields.Boolean()
    is_manual = fields.Boolean()
    deadline_at = fields.AwareDateTime()
    responded_at = fields.AwareDateTime(allow_none=True)
    decline_reason = fields.String(allow_none=True)
    created_at = fields.AwareDateTime()


class CandidateSchema(Schema):
    expert_id = fields.Integer()
    expert_hospital_id = fields.Integer()
    slot_id = fields.Integer()
    starts_at = fields.AwareDateTime()
    ends_at = fields.AwareDateTime()
    mode = fields.String()
    travel_minutes = fields.Integer()
    in_network = fields.Boolean()
    score = fields.Float()
    parts = fields.Dict()


class OfferListArgsSchema(PageArgsSchema):
    status = fields.Enum(OfferStatus)
    request_id = fields.Integer()


class DeclineSchema(Schema):
    reason = fields.String(required=True, validate=validate.Length(min=3, max=500))


class AssignSchema(Schema):
    slot_id = fields.Integer(required=True)
    note = fields.String(allow_none=True, validate=validate.Length(max=500))
