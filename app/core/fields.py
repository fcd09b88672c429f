"""Marshmallow fields shared by the domains' input schemas."""

from __future__ import annotations

from datetime import UTC, date

from marshmallow import ValidationError, fields


class UtcDateTime(fields.AwareDateTime):
    """An aware datetime normalised to UTC on load. An offset that pushes the instant past
    year 1 or 9999 (e.g. 0001-01-01T00:00+14:00) is refused here, naming the field, instead
    of overflowing later when the database layer converts it."""

    def _deserialize(self, value, attr, data, **kwargs):
        parsed = super()._deserialize(value, attr, data, **kwargs)
        try:
            return parsed.astimezone(UTC)
        except OverflowError as err:
            raise ValidationError("is outside the supported range of dates") from err


class Day(fields.Date):
    """A calendar day within years the service can reason about. Days near year 1 or 9999
    overflow once turned into the UTC instants of a hospital's midnight."""

    FIRST, LAST = date(1900, 1, 1), date(2199, 12, 31)

    def _deserialize(self, value, attr, data, **kwargs):
        day = super()._deserialize(value, attr, data, **kwargs)
        if not self.FIRST <= day <= self.LAST:
            raise ValidationError(f"must be between {self.FIRST} and {self.LAST}")
        return day


class LocalTime(fields.Time):
    """A wall-clock time at the hospital, HH:MM: the hospital's time zone gives the offset,
    so a time that carries its own offset is refused (it cannot be compared or combined)."""

    def _deserialize(self, value, attr, data, **kwargs):
        parsed = super()._deserialize(value, attr, data, **kwargs)
        if parsed.tzinfo is not None:
            raise ValidationError("give the hospital's local time without a UTC offset, e.g. 09:00")
        return parsed
