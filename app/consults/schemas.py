from marshmallow import Schema, ValidationError, fields, validate, validates_schema

from app.accounts.schemas import HospitalRefSchema
from app.consults.models import PreferredMode, RequestStatus, Urgency
from app.core.fields import UtcDateTime
from app.core.pagination import PageArgsSchema, PartialUpdate

SEXES = ("female", "male", "other", "unknown")


class AttachmentRefSchema(Schema):
    """A reference to a document kept elsewhere (PACS, the hospital's EMR), never the file."""

    ref = fields.String(required=True, validate=validate.Length(min=1, max=300))
    kind = fields.String(load_default="document", validate=validate.OneOf(
        ["document", "image", "ecg", "lab", "imaging", "other"]))
    title = fields.String(allow_none=True, validate=validate.Length(max=200))


class CaseSummarySchema(Schema):
    age_band = fields.String(required=True, validate=validate.Regexp(
        r"^(\d{1,3}-\d{1,3}|\d{1,3}\+|<1)$", error="use a band such as 60-69, 90+ or <1"))
    sex = fields.String(required=True, validate=validate.OneOf(SEXES))
    history = fields.String(load_default="", validate=validate.Length(max=4000))
    current_findings = fields.String(load_default="", validate=validate.Length(max=4000))
    attachments = fields.List(fields.Nested(AttachmentRefSchema), load_default=list,
                              validate=validate.Length(max=30))


class SpecialtyRefSchema(Schema):
    id = fields.Integer()
    code = fields.String()
    name_zh = fields.String()
    name_en = fields.String()


class RequestSchema(Schema):
    id = fields.Integer()
    requester_id = fields.Integer()
    hospital = fields.Nested(HospitalRefSchema)
    specialty = fields.Nested(SpecialtyRefSchema)
    urgency = fields.Enum(Urgency)
    preferred_mode = fields.Enum(PreferredMode)
    clinical_question = fields.String()
    case_summary = fields.Dict()
    patient_ref = fields.String()
    window_start = fields.AwareDateTime()
    window_end = fields.AwareDateTime()
    status = fields.Enum(RequestStatus)
    cancel_reason = fields.String(allow_none=True)
    created_at = fields.AwareDateTime()
    updated_at = fields.AwareDateTime()


class RequestCreateSchema(Schema):
    specialty = fields.String(required=True, metadata={"description": "specialty code"})
    urgency = fields.Enum(Urgency, required=True)
    preferred_mode = fields.Enum(PreferredMode, load_default=PreferredMode.either)
    clinical_question = fields.String(required=True, validate=validate.Length(min=5, max=4000))
    case_summary = fields.Nested(CaseSummarySchema, required=True)
    patient_ref = fields.String(required=True, metadata={
        "description": "pseudonymous reference; names and ID numbers are refused"})
    window_start = UtcDateTime(required=True)
    window_end = UtcDateTime(required=True)

    @validates_schema
    def _window(self, data, **_):
        if "window_start" in data and "window_end" in data and data["window_end"] <= data["window_start"]:
            raise ValidationError("must be after window_start", field_name="window_end")


class RequestUpdateSchema(PartialUpdate, RequestCreateSchema):
    # No load_default here: a PATCH that leaves the mode out must not reset it.
    preferred_mode = fields.Enum(PreferredMode)

    class Meta:
        exclude = ("specialty",)


class RequestListArgsSchema(PageArgsSchema):
    status = fields.Enum(RequestStatus)
    urgency = fields.Enum(Urgency)


class CancelSchema(Schema):
    reason = fields.String(required=True, validate=validate.Length(min=3, max=500))
