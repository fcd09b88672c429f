"""Marshmallow fields shared by the domains' input schemas."""

from __future__ import annotations

from datetime import UTC

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
