from marshmallow import Schema, fields, validate

from app.core.pagination import PageArgsSchema


class NotificationSchema(Schema):
    id = fields.Integer(dump_only=True)
    type = fields.String()
    payload = fields.Dict()
    created_at = fields.DateTime()
    delivered_at = fields.DateTime(allow_none=True)
    read_at = fields.DateTime(allow_none=True)


class NotificationListArgsSchema(PageArgsSchema):
    unread = fields.Boolean(load_default=False, metadata={"description": "only those not read yet"})
    after_id = fields.Integer(validate=validate.Range(min=0),
                              metadata={"description": "only ids after this one, oldest first (catch-up)"})


class MarkedSchema(Schema):
    marked = fields.Integer()


class SystemMessageCreateSchema(Schema):
    user_ids = fields.List(fields.Integer(), required=True, validate=validate.Length(min=1, max=1000))
    text = fields.String(required=True, validate=validate.Length(min=1, max=500))
