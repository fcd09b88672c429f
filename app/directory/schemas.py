from zoneinfo import available_timezones

from marshmallow import Schema, ValidationError, fields, validate, validates, validates_schema

from app.accounts.schemas import HospitalRefSchema
from app.core.fields import Day
from app.core.pagination import PageArgsSchema, PartialUpdate
from app.directory.models import ExpertTitle, Tier

_ZONES = frozenset(available_timezones())


class HospitalSchema(Schema):
    id = fields.Integer(dump_only=True)
    code = fields.String()
    name = fields.String()
    name_en = fields.String(allow_none=True)
    tier = fields.Enum(Tier)
    region = fields.String()
    timezone = fields.String()
    latitude = fields.Float()
    longitude = fields.Float()
    address = fields.String(allow_none=True)


class HospitalCreateSchema(Schema):
    code = fields.String(required=True, validate=validate.Regexp(r"^[A-Z0-9][A-Z0-9-]{1,39}$",
                         error="use 2-40 capital letters, digits and dashes"))
    name = fields.String(required=True, validate=validate.Length(min=1, max=200))
    name_en = fields.String(allow_none=True, validate=validate.Length(max=200))
    tier = fields.Enum(Tier, required=True)
    region = fields.String(required=True, validate=validate.Length(min=1, max=100))
    timezone = fields.String(load_default="Asia/Shanghai")
    latitude = fields.Float(required=True, validate=validate.Range(min=-90, max=90))
    longitude = fields.Float(required=True, validate=validate.Range(min=-180, max=180))
    address = fields.String(allow_none=True, validate=validate.Length(max=300))

    @validates("timezone")
    def _known_zone(self, value, **_):
        if value not in _ZONES:
            raise ValidationError("not an IANA time zone (e.g. Asia/Shanghai)")


class HospitalListArgsSchema(PageArgsSchema):
    tier = fields.Enum(Tier)
    region = fields.String()
    q = fields.String(metadata={"description": "part of the name or code"})


class SpecialtySchema(Schema):
    id = fields.Integer(dump_only=True)
    code = fields.String(required=True, validate=validate.Regexp(r"^[a-z][a-z0-9_]{1,39}$",
                         error="use 2-40 lower-case letters, digits and underscores"))
    name_zh = fields.String(required=True, validate=validate.Length(min=1, max=100))
    name_en = fields.String(required=True, validate=validate.Length(min=1, max=100))


class PartnershipSchema(Schema):
    id = fields.Integer(dump_only=True)
    grassroots_hospital = fields.Nested(HospitalRefSchema)
    tertiary_hospital = fields.Nested(HospitalRefSchema)
    specialties = fields.List(fields.Nested(SpecialtySchema))
    valid_from = fields.Date()
    valid_to = fields.Date()
    note = fields.String(allow_none=True)


class PartnershipCreateSchema(Schema):
    grassroots_hospital_id = fields.Integer(required=True)
    tertiary_hospital_id = fields.Integer(required=True)
    specialty_codes = fields.List(fields.String(), required=True, validate=validate.Length(min=1))
    valid_from = Day(required=True)
    valid_to = Day(required=True)
    note = fields.String(allow_none=True)

    @validates_schema
    def _period(self, data, **_):
        if "valid_from" in data and "valid_to" in data and data["valid_to"] <= data["valid_from"]:
            raise ValidationError("must be after valid_from", field_name="valid_to")


class PartnershipListArgsSchema(PageArgsSchema):
    hospital_id = fields.Integer(metadata={"description": "either party"})
    specialty = fields.String(metadata={"description": "specialty code"})
    active_on = Day()


class ExpertSchema(Schema):
    id = fields.Integer(dump_only=True)
    user_id = fields.Integer()
    display_name = fields.Function(lambda e: e.user.display_name)
    hospital = fields.Nested(HospitalRefSchema)
    title = fields.Enum(ExpertTitle)
    specialties = fields.List(fields.Nested(SpecialtySchema))
    languages = fields.List(fields.String())
    accepts_remote = fields.Boolean()
    accepts_onsite = fields.Boolean()
    daily_cap = fields.Integer()
    is_active = fields.Boolean()
    bio = fields.String(allow_none=True)


class ExpertCreateSchema(Schema):
    user_id = fields.Integer(required=True)
    title = fields.Enum(ExpertTitle, required=True)
    specialty_codes = fields.List(fields.String(), required=True, validate=validate.Length(min=1))
    languages = fields.List(fields.String(validate=validate.Length(min=2, max=10)), load_default=lambda: ["zh-CN"])
    accepts_remote = fields.Boolean(load_default=True)
    accepts_onsite = fields.Boolean(load_default=False)
    daily_cap = fields.Integer(load_default=4, validate=validate.Range(min=1, max=50))
    is_active = fields.Boolean(load_default=True)
    bio = fields.String(allow_none=True, validate=validate.Length(max=2000))

    @validates_schema
    def _some_mode(self, data, **_):
        if data.get("accepts_remote") is False and data.get("accepts_onsite") is False:
            raise ValidationError("an expert must accept remote or on-site sessions", field_name="accepts_remote")


class ExpertListArgsSchema(PageArgsSchema):
    hospital_id = fields.Integer()
    specialty = fields.String(metadata={"description": "specialty code"})
    mode = fields.String(validate=validate.OneOf(["remote", "onsite"]))
    is_active = fields.Boolean()


class HospitalUpdateSchema(PartialUpdate, HospitalCreateSchema):
    pass


class SpecialtyUpdateSchema(PartialUpdate, SpecialtySchema):
    pass


class PartnershipUpdateSchema(PartialUpdate, PartnershipCreateSchema):
    pass


class ExpertUpdateSchema(PartialUpdate, ExpertCreateSchema):
    class Meta:
        exclude = ("user_id",)
