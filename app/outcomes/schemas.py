from marshmallow import Schema, ValidationError, fields, validate, validates_schema

from app.bookings.models import BookingStatus
from app.core.pagination import PageArgsSchema, PartialUpdate
from app.outcomes.models import Disposition, ReferralDirection, ReferralStatus

# ICD-10 shape: a letter (U is reserved for special purposes), two characters, then an
# optional dot and up to four more (e.g. I21.4, E11.65, J45). Shape only, not a lookup.
ICD10_PATTERN = r"^[A-TV-Z][0-9][0-9AB](\.[0-9A-TV-Z]{1,4})?$"

_rating = validate.Range(min=1, max=5)


class OutcomeSchema(Schema):
    id = fields.Integer()
    booking_id = fields.Integer()
    recorded_by_id = fields.Integer()
    advice = fields.String()
    disposition = fields.Enum(Disposition)
    diagnosis_text = fields.String(allow_none=True)
    icd10_code = fields.String(allow_none=True)
    duration_minutes = fields.Integer(allow_none=True)
    preparation_rating = fields.Integer(allow_none=True)
    version = fields.Integer()
    confirmed_by_id = fields.Integer(allow_none=True)
    confirmed_at = fields.AwareDateTime(allow_none=True)
    requester_rating = fields.Integer(allow_none=True)
    requester_comment = fields.String(allow_none=True)
    created_at = fields.AwareDateTime()
    updated_at = fields.AwareDateTime()


class OutcomeCreateSchema(Schema):
    advice = fields.String(required=True, validate=validate.Length(min=1, max=20000))
    disposition = fields.Enum(Disposition, required=True)
    diagnosis_text = fields.String(allow_none=True, validate=validate.Length(max=2000))
    icd10_code = fields.String(allow_none=True, validate=validate.Regexp(
        ICD10_PATTERN, error="not an ICD-10 code (e.g. I21.4, E11.65, J45)"))
    duration_minutes = fields.Integer(allow_none=True, validate=validate.Range(min=0, max=24 * 60))
    preparation_rating = fields.Integer(allow_none=True, validate=_rating)


class OutcomeUpdateSchema(PartialUpdate, OutcomeCreateSchema):
    reason = fields.String(required=True, validate=validate.Length(min=1, max=500),
                           metadata={"description": "why the outcome is amended (kept with the revision)"})

    @validates_schema
    def _reason_given(self, data, **_):
        # PATCH loads partially, which would waive `required`; an amendment always says why.
        if not data.get("reason"):
            raise ValidationError("say why the outcome is amended", field_name="reason")


class ConfirmationSchema(Schema):
    rating = fields.Integer(required=True, validate=_rating)
    comment = fields.String(allow_none=True, validate=validate.Length(max=2000))


class OutcomeRevisionSchema(Schema):
    version = fields.Integer()
    snapshot = fields.Dict()
    changed_by_id = fields.Integer(allow_none=True)
    reason = fields.String(allow_none=True)
    created_at = fields.AwareDateTime()


class ReferralSchema(Schema):
    id = fields.Integer()
    request_id = fields.Integer()
    outcome_id = fields.Integer(allow_none=True)
    direction = fields.Enum(ReferralDirection)
    from_hospital_id = fields.Integer()
    to_hospital_id = fields.Integer()
    status = fields.Enum(ReferralStatus)
    note = fields.String(allow_none=True)
    details = fields.Dict()
    recorded_by_id = fields.Integer(allow_none=True)
    created_at = fields.AwareDateTime()


class ReferralCreateSchema(Schema):
    direction = fields.Enum(ReferralDirection, required=True)
    to_hospital_id = fields.Integer(
        metadata={"description": "up: the target tertiary hospital (default: the expert's); down: ignored"})
    from_hospital_id = fields.Integer(
        metadata={"description": "down: the hospital returning the patient (default: the expert's)"})
    note = fields.String(allow_none=True, validate=validate.Length(max=2000))
    details = fields.Dict(load_default=dict)


class ReferralStatusSchema(Schema):
    status = fields.Enum(ReferralStatus, required=True)
    note = fields.String(allow_none=True, validate=validate.Length(max=2000))


class OverdueSessionSchema(Schema):
    booking_id = fields.Integer(attribute="id")
    request_id = fields.Integer()
    expert_id = fields.Integer()
    expert_name = fields.Function(lambda b: b.expert.user.display_name)
    requesting_hospital_id = fields.Function(lambda b: b.request.hospital_id)
    status = fields.Enum(BookingStatus)
    starts_at = fields.AwareDateTime()
    ends_at = fields.AwareDateTime()


class OverdueArgsSchema(PageArgsSchema):
    hospital_id = fields.Integer(metadata={"description": "admins: only this hospital (either side)"})
