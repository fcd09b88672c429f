"""The declarative base, the constraint naming convention and column types shared by every
domain's models."""

from __future__ import annotations

import enum
from datetime import UTC, datetime

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, registry

# One convention for every constraint name, so that migrations stay readable and
# constraints can be dropped by name on every database.
NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class UTCDateTime(sa.TypeDecorator):
    """A timezone-aware UTC datetime on every backend.

    PostgreSQL stores `timestamptz`; SQLite stores the UTC wall time. Naive datetimes are
    refused on the way in, so local times can never slip into the database unnoticed.
    """

    impl = sa.DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError(f"naive datetime {value!r}: times must be timezone-aware")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


# JSON documents: JSONB on PostgreSQL (indexable), JSON text elsewhere.
JSONDoc = sa.JSON().with_variant(JSONB(), "postgresql")


class Base(DeclarativeBase):
    # Flask-SQLAlchemy subclasses the base, so the annotation map lives on the registry.
    registry = registry(
        metadata=sa.MetaData(naming_convention=NAMING_CONVENTION),
        type_annotation_map={datetime: UTCDateTime()},
    )


def enum_type(enum_cls: type[enum.Enum]) -> sa.Enum:
    """Store a Python enum by name in a VARCHAR with a CHECK constraint.

    Non-native enums keep migrations simple on both SQLite and PostgreSQL (no CREATE TYPE to
    manage); the CHECK constraint still makes the database refuse unknown values.
    """
    return sa.Enum(
        enum_cls,
        name=_snake(enum_cls.__name__),
        native_enum=False,
        create_constraint=True,
        length=max(len(m.name) for m in enum_cls) + 8,
        validate_strings=True,
    )


def _snake(name: str) -> str:
    return "".join(f"_{c.lower()}" if c.isupper() else c for c in name).lstrip("_")


class TimestampMixin:
    """created_at / updated_at, set from the application clock."""

    created_at: Mapped[datetime] = mapped_column(default=lambda: _now())
    updated_at: Mapped[datetime] = mapped_column(default=lambda: _now(), onupdate=lambda: _now())


def _now() -> datetime:
    from app.core.clock import now

    return now()
