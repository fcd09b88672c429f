from __future__ import annotations

import enum
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.core.db import TimestampMixin, enum_type
from app.extensions import db


class Role(enum.Enum):
    county_doctor = "county_doctor"
    expert = "expert"
    scheduler = "scheduler"
    admin = "admin"


class User(TimestampMixin, db.Model):
    __tablename__ = "users"

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(sa.String(254), unique=True)
    display_name: Mapped[str] = mapped_column(sa.String(120))
    role: Mapped[Role] = mapped_column(enum_type(Role))
    hospital_id: Mapped[int] = mapped_column(sa.ForeignKey("hospitals.id"), index=True)
    password_hash: Mapped[str] = mapped_column(sa.String(255))
    locale: Mapped[str] = mapped_column(sa.String(10), default="zh-CN")
    is_active: Mapped[bool] = mapped_column(default=True)
    # Bumped on password change or forced logout: tokens carry it and older ones stop working.
    token_version: Mapped[int] = mapped_column(default=1)
    last_login_at: Mapped[datetime | None]

    hospital = relationship("Hospital", lazy="joined")
    expert_profile = relationship("ExpertProfile", back_populates="user", uselist=False)

    def __repr__(self) -> str:
        return f"<User {self.id} {self.email} {self.role.name}>"
