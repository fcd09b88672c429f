from marshmallow import Schema, ValidationError, fields, post_load, validate, validates_schema

from app.core.fields import Day, LocalTime, UtcDateTime
from app.core.pagination import PageArgsSchema, PartialUpdate
from app.rosters.models import CalendarDayKind, ExceptionKind, SlotMode, SlotStatus

WEEKDAY_NAMES = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


def weekdays_to_mask(days) -> int:
    """["mon", "fri"] or [0, 4] → bit mask (Monday = bit 0)."""
    mask = 0
    for day in days:
        index = WEEKDAY_NAMES.index(day.lower()[:3]) if isinstance(day, str) else int(day)
        mask |= 1 << index
    return mask


def mask_to_weekdays(mask: int) -> list[str]:
    return [name for i, name in enumerate(WEEKDAY_NAMES) if mask & (1 << i)]


class _Weekday(fields.Field):
    """A weekday as a name ("mon") or a number (0 = Monday)."""

    def _deserialize(self, value, attr, data, **kwargs):
        if isinstance(value, int) and not isinstance(value, bool) and 0 <= value <= 6:
            return value
        if isinstance(value, str) and value.lower()[:3] in WEEKDAY_NAMES and len(value) >= 3:
            return value.lower()[:3]
        raise ValidationError("a weekday: mon..sun or 0..6 (0 = Monday)")


class RosterRuleSchema(Schema):
    id = fields.Integer()
    expert_id = fields.Integer()
    weekdays = fields.Function(lambda r: mask_to_weekdays(r.weekdays))
    start_time = fields.Time(format="%H:%M")
    end_time = fields.Time(format="%H:%M")
    slot_minutes = fields.Integer()
    mode = fields.Enum(SlotMode)
    valid_from = fields.Date()
    valid_to = fields.Date(allow_none=True)
    follows_official_calendar = fields.Boolean()


class RosterRuleCreateSchema(Schema):
    weekdays = fields.List(_Weekday(), required=True, validate=validate.Length(min=1, max=7))
    start_time = LocalTime(required=True, metadata={"description": "local time at the hospital, HH:MM"})
    end_time = LocalTime(required=True)
    slot_minutes = fields.Integer(load_default=30, validate=validate.Range(min=5, max=480))
    mode = fields.Enum(SlotMode, load_default=SlotMode.remote)
    valid_from = Day(required=True)
    valid_to = Day(allow_none=True, load_default=None)
    follows_official_calendar = fields.Boolean(load_default=True)

    @validates_schema
    def _order(self, data, **_):
        if "start_time" in data and "end_time" in data and data["end_time"] <= data["start_time"]:
            raise ValidationError("must be after start_time", field_name="end_time")
        if data.get("valid_to") and data.get("valid_from") and data["valid_to"] < data["valid_from"]:
            raise ValidationError("must be on or after valid_from", field_name="valid_to")

    @post_load
    def _mask(self, data, **_):
        if "weekdays" in data:
            data["weekdays"] = weekdays_to_mask(data["weekdays"])
        return data


class RosterRuleUpdateSchema(PartialUpdate, RosterRuleCreateSchema):
    pass


class SlotSchema(Schema):
    id = fields.Integer()
    expert_id = fields.Integer()
    hospital_id = fields.Function(lambda s: s.expert.hospital_id)
    rule_id = fields.Integer(allow_none=True)
    starts_at = fields.AwareDateTime()
    ends_at = fields.AwareDateTime()
    mode = fields.Enum(SlotMode)
    status = fields.Enum(SlotStatus)
    is_provisional = fields.Boolean(metadata={"description": "the day's status came from a fallback calendar"})


class ChangeReportSchema(Schema):
    removed = fields.Integer(metadata={"description": "open slots removed or blocked"})
    created = fields.Integer()
    untouched = fields.List(fields.Nested(SlotSchema),
                            metadata={"description": "held/booked slots left as they were: act on them"})


class RuleChangeSchema(ChangeReportSchema):
    rule = fields.Nested(RosterRuleSchema)


class RosterExceptionSchema(Schema):
    id = fields.Integer()
    expert_id = fields.Integer()
    kind = fields.Enum(ExceptionKind)
    starts_at = fields.AwareDateTime()
    ends_at = fields.AwareDateTime()
    reason = fields.String(allow_none=True)


class RosterExceptionCreateSchema(Schema):
    kind = fields.Enum(ExceptionKind, required=True)
    starts_at = UtcDateTime(required=True)
    ends_at = UtcDateTime(required=True)
    reason = fields.String(allow_none=True, validate=validate.Length(max=300))


class ExceptionChangeSchema(ChangeReportSchema):
    exception = fields.Nested(RosterExceptionSchema)


class CalendarDaySchema(Schema):
    id = fields.Integer()
    hospital_id = fields.Integer()
    day = fields.Date()
    kind = fields.Enum(CalendarDayKind)
    name = fields.String(allow_none=True)


class CalendarDayCreateSchema(Schema):
    day = Day(required=True)
    kind = fields.Enum(CalendarDayKind, required=True)
    name = fields.String(allow_none=True, validate=validate.Length(max=120))


class CalendarDayChangeSchema(ChangeReportSchema):
    calendar_day = fields.Nested(CalendarDaySchema)


class SlotSearchArgsSchema(PageArgsSchema):
    specialty = fields.String(metadata={"description": "specialty code"})
    mode = fields.String(validate=validate.OneOf(["remote", "onsite"]),
                         metadata={"description": "slots of this mode or of both"})
    starts_after = UtcDateTime(metadata={"description": "default: now"})
    starts_before = UtcDateTime(metadata={"description": "default: now + the roster horizon"})
    hospital_id = fields.Integer()
    partnership_id = fields.Integer(metadata={"description": "the partner hospital's experts, covered specialties"})
    expert_id = fields.Integer()


class MaterialiseResultSchema(Schema):
    expert_id = fields.Integer()
    slots_created = fields.Integer()


class ImportArgsSchema(Schema):
    partial = fields.Boolean(load_default=False, metadata={"description": "import the good rows, skip the bad"})


class ImportErrorSchema(Schema):
    line = fields.Integer()
    reason = fields.String()


class ImportResultSchema(Schema):
    imported = fields.Integer()
    slots_created = fields.Integer()
    errors = fields.List(fields.Nested(ImportErrorSchema))


class FeedTokenSchema(Schema):
    token = fields.String(metadata={"description": "shown once; only its hash is stored"})
    url = fields.String()
