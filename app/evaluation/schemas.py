from marshmallow import Schema, ValidationError, fields, validates_schema

from app.core.fields import Day


class EvaluationArgsSchema(Schema):
    """A period of whole days (both ends included, in EVALUATION_TIMEZONE) and a scope:
    each given anchor narrows it. Schedulers default to their hospital, experts to themselves."""

    date_from = Day(required=True, data_key="from")
    date_to = Day(required=True, data_key="to")
    expert_id = fields.Integer()
    hospital_id = fields.Integer(metadata={"description": "either side: requesting or answering"})
    partnership_id = fields.Integer()
    specialty_id = fields.Integer()

    @validates_schema
    def _order(self, data, **_):
        if "date_from" in data and "date_to" in data and data["date_to"] < data["date_from"]:
            raise ValidationError("must not be before from", field_name="to")


class PeriodArgsSchema(Schema):
    date_from = Day(required=True, data_key="from")
    date_to = Day(required=True, data_key="to")

    @validates_schema
    def _order(self, data, **_):
        if "date_from" in data and "date_to" in data and data["date_to"] < data["date_from"]:
            raise ValidationError("must not be before from", field_name="to")


class ExpertRowSchema(Schema):
    expert_id = fields.Integer()
    name = fields.String()
    offers_accepted = fields.Integer()
    offers_declined = fields.Integer()
    sessions_completed = fields.Integer()
    no_shows = fields.Integer()
    rating_average = fields.Float(allow_none=True)
    rating_count = fields.Integer()
