from __future__ import annotations

import enum
from datetime import date

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.core.db import JSONDoc, TimestampMixin, enum_type
from app.extensions import db


class Tier(enum.Enum):
    grassroots = "grassroots"
    tertiary = "tertiary"


class ExpertTitle(enum.Enum):
    chief_physician = "chief_physician"  # 主任医师
    associate_chief_physician = "associate_chief_physician"  # 副主任医师
    attending_physician = "attending_physician"  # 主治医师


class Hospital(TimestampMixin, db.Model):
    __tablename__ = "hospitals"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(sa.String(40), unique=True)
    name: Mapped[str] = mapped_column(sa.String(200))
    name_en: Mapped[str | None] = mapped_column(sa.String(200))
    tier: Mapped[Tier] = mapped_column(enum_type(Tier), index=True)
    region: Mapped[str] = mapped_column(sa.String(100), index=True)
    timezone: Mapped[str] = mapped_column(sa.String(64), default="Asia/Shanghai")
    latitude: Mapped[float] = mapped_column(sa.Float)
    longitude: Mapped[float] = mapped_column(sa.Float)
    address: Mapped[str | None] = mapped_column(sa.String(300))

    __table_args__ = (
        sa.CheckConstraint("latitude BETWEEN -90 AND 90", name="latitude_range"),
        sa.CheckConstraint("longitude BETWEEN -180 AND 180", name="longitude_range"),
    )


class Specialty(db.Model):
    __tablename__ = "specialties"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(sa.String(40), unique=True)
    name_zh: Mapped[str] = mapped_column(sa.String(100))
    name_en: Mapped[str] = mapped_column(sa.String(100))


partnership_specialties = sa.Table(
    "partnership_specialties",
    db.metadata,
    sa.Column("partnership_id", sa.ForeignKey("partnerships.id", ondelete="CASCADE"), primary_key=True),
    sa.Column("specialty_id", sa.ForeignKey("specialties.id"), primary_key=True),
)

expert_specialties = sa.Table(
    "expert_specialties",
    db.metadata,
    sa.Column("expert_id", sa.ForeignKey("expert_profiles.id", ondelete="CASCADE"), primary_key=True),
    sa.Column("specialty_id", sa.ForeignKey("specialties.id"), primary_key=True, index=True),
)


class Partnership(TimestampMixin, db.Model):
    """A grassroots hospital supported by a tertiary one on some specialties for a period."""

    __tablename__ = "partnerships"

    id: Mapped[int] = mapped_column(primary_key=True)
    grassroots_hospital_id: Mapped[int] = mapped_column(sa.ForeignKey("hospitals.id"), index=True)
    tertiary_hospital_id: Mapped[int] = mapped_column(sa.ForeignKey("hospitals.id"), index=True)
    valid_from: Mapped[date]
    valid_to: Mapped[date]
    note: Mapped[str | None] = mapped_column(sa.Text)

    grassroots_hospital = relationship("Hospital", foreign_keys=[grassroots_hospital_id], lazy="joined")
    tertiary_hospital = relationship("Hospital", foreign_keys=[tertiary_hospital_id], lazy="joined")
    specialties = relationship("Specialty", secondary=partnership_specialties, lazy="selectin")

    __table_args__ = (
        sa.CheckConstraint("valid_to > valid_from", name="valid_period"),
        sa.CheckConstraint("grassroots_hospital_id <> tertiary_hospital_id", name="distinct_hospitals"),
    )


class ExpertProfile(TimestampMixin, db.Model):
    """What makes a tertiary hospital's user bookable: specialties, modes, a daily cap."""

    __tablename__ = "expert_profiles"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"), unique=True)
    # Denormalised from the user so matching and scoping filter without a join.
    hospital_id: Mapped[int] = mapped_column(sa.ForeignKey("hospitals.id"), index=True)
    title: Mapped[ExpertTitle] = mapped_column(enum_type(ExpertTitle))
    languages: Mapped[list] = mapped_column(JSONDoc, default=lambda: ["zh-CN"])
    accepts_remote: Mapped[bool] = mapped_column(default=True)
    accepts_onsite: Mapped[bool] = mapped_column(default=False)
    daily_cap: Mapped[int] = mapped_column(default=4)
    is_active: Mapped[bool] = mapped_column(default=True)
    bio: Mapped[str | None] = mapped_column(sa.Text)

    user = relationship("User", back_populates="expert_profile", lazy="joined")
    hospital = relationship("Hospital", lazy="joined")
    specialties = relationship("Specialty", secondary=expert_specialties, lazy="selectin")

    __table_args__ = (
        sa.CheckConstraint("daily_cap > 0", name="daily_cap_positive"),
        sa.CheckConstraint("accepts_remote OR accepts_onsite", name="some_mode"),
    )
