from marshmallow import Schema, fields, validate

from app.accounts.models import Role
from app.core.pagination import PageArgsSchema
from app.directory.models import Tier

LOCALES = ("zh-CN", "en")


class LoginSchema(Schema):
    email = fields.Email(required=True, validate=validate.Length(max=254))
    password = fields.String(required=True, load_only=True, validate=validate.Length(min=1, max=200))


class HospitalRefSchema(Schema):
    id = fields.Integer()
    code = fields.String()
    name = fields.String()
    tier = fields.Enum(Tier)


class UserSchema(Schema):
    id = fields.Integer(dump_only=True)
    email = fields.Email()
    display_name = fields.String()
    role = fields.Enum(Role)
    locale = fields.String()
    hospital_id = fields.Integer()
    hospital = fields.Nested(HospitalRefSchema)
    expert_profile_id = fields.Function(lambda u: u.expert_profile.id if u.expert_profile else None)


class TokenSchema(Schema):
    access_token = fields.String()
    token_type = fields.String()
    expires_at = fields.AwareDateTime()
    csrf_token = fields.String()
    user = fields.Nested(UserSchema)


class UserCreateSchema(Schema):
    email = fields.Email(required=True, validate=validate.Length(max=254))
    display_name = fields.String(required=True, validate=validate.Length(min=1, max=120))
    role = fields.Enum(Role, required=True)
    hospital_id = fields.Integer(required=True)
    password = fields.String(required=True, load_only=True, validate=validate.Length(min=10, max=200))
    locale = fields.String(load_default="zh-CN", validate=validate.OneOf(LOCALES))


class UserListArgsSchema(PageArgsSchema):
    hospital_id = fields.Integer()
    role = fields.Enum(Role)
