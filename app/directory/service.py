"""The directory: hospitals, specialties, partnerships and experts."""

from __future__ import annotations

from datetime import date

import sqlalchemy as sa

from app.accounts import policy
from app.accounts.models import Role, User
from app.core import audit
from app.core.repo import apply_changes, get_or_404
from app.directory.models import (
    ExpertProfile,
    Hospital,
    Partnership,
    Specialty,
    Tier,
    expert_specialties,
    partnership_specialties,
)
from app.errors import Conflict, Forbidden, InvalidInput
from app.extensions import db

# What an expert may change of their own profile; the rest is the scheduler's.
EXPERT_SELF_EDITABLE = {"languages", "accepts_remote", "accepts_onsite", "bio"}


# --- hospitals ---------------------------------------------------------------------------

def list_hospitals_stmt(args: dict) -> sa.Select:
    stmt = sa.select(Hospital).order_by(Hospital.id)
    if args.get("tier"):
        stmt = stmt.where(Hospital.tier == args["tier"])
    if args.get("region"):
        stmt = stmt.where(Hospital.region == args["region"])
    if args.get("q"):
        like = f"%{args['q']}%"
        stmt = stmt.where(sa.or_(Hospital.name.ilike(like), Hospital.name_en.ilike(like), Hospital.code.ilike(like)))
    return stmt


def create_hospital(actor: User, data: dict) -> Hospital:
    policy.authorize(actor, "hospital:write")
    _ensure_unique(Hospital, "code", data["code"])
    hospital = Hospital(**data)
    db.session.add(hospital)
    db.session.flush()
    audit.record(actor, hospital, "hospital.created", code=hospital.code)
    return hospital


def update_hospital(actor: User, hospital_id: int, changes: dict) -> Hospital:
    policy.authorize(actor, "hospital:write")
    hospital = get_or_404(Hospital, hospital_id, "Hospital")
    if "code" in changes and changes["code"] != hospital.code:
        _ensure_unique(Hospital, "code", changes["code"])
    if "tier" in changes and changes["tier"] is not hospital.tier and _has_users(hospital.id):
        raise Conflict("The tier of a hospital with users cannot change; their roles depend on it.")
    diff = apply_changes(hospital, changes)
    audit.record(actor, hospital, "hospital.updated", changes=diff)
    return hospital


def _has_users(hospital_id: int) -> bool:
    return db.session.scalar(sa.select(sa.exists().where(User.hospital_id == hospital_id)))


# --- specialties -------------------------------------------------------------------------

def list_specialties_stmt() -> sa.Select:
    return sa.select(Specialty).order_by(Specialty.code)


def create_specialty(actor: User, data: dict) -> Specialty:
    policy.authorize(actor, "specialty:write")
    _ensure_unique(Specialty, "code", data["code"])
    specialty = Specialty(**data)
    db.session.add(specialty)
    db.session.flush()
    audit.record(actor, specialty, "specialty.created", code=specialty.code)
    return specialty


def update_specialty(actor: User, specialty_id: int, changes: dict) -> Specialty:
    policy.authorize(actor, "specialty:write")
    specialty = get_or_404(Specialty, specialty_id, "Specialty")
    if "code" in changes and changes["code"] != specialty.code:
        _ensure_unique(Specialty, "code", changes["code"])
    audit.record(actor, specialty, "specialty.updated", changes=apply_changes(specialty, changes))
    return specialty


def specialties_by_code(codes: list[str], field: str = "specialty_codes") -> list[Specialty]:
    found = db.session.scalars(sa.select(Specialty).where(Specialty.code.in_(codes))).all()
    missing = sorted(set(codes) - {s.code for s in found})
    if missing:
        raise InvalidInput(field, f"unknown specialty code(s): {', '.join(missing)}")
    return list(found)


# --- partnerships ------------------------------------------------------------------------

def list_partnerships_stmt(actor: User, args: dict) -> sa.Select:
    stmt = sa.select(Partnership).order_by(Partnership.id)
    if actor.role is not Role.admin:  # others see the partnerships their hospital is party to
        stmt = stmt.where(_party(actor.hospital_id))
    if args.get("hospital_id"):
        stmt = stmt.where(_party(args["hospital_id"]))
    if args.get("specialty"):
        stmt = stmt.where(Partnership.specialties.any(Specialty.code == args["specialty"]))
    if args.get("active_on"):
        day = args["active_on"]
        stmt = stmt.where(Partnership.valid_from <= day, Partnership.valid_to > day)
    return stmt


def _party(hospital_id: int):
    return sa.or_(Partnership.grassroots_hospital_id == hospital_id, Partnership.tertiary_hospital_id == hospital_id)


def get_partnership(actor: User, partnership_id: int) -> Partnership:
    partnership = get_or_404(Partnership, partnership_id, "Partnership")
    policy.authorize(actor, "partnership:read", partnership)
    return partnership


def create_partnership(actor: User, data: dict) -> Partnership:
    policy.authorize(actor, "partnership:write")
    data = dict(data)
    specialties = specialties_by_code(data.pop("specialty_codes"))
    partnership = Partnership(**data, specialties=specialties)
    _check_partnership(partnership)
    db.session.add(partnership)
    db.session.flush()
    audit.record(actor, partnership, "partnership.created", specialties=[s.code for s in specialties])
    return partnership


def update_partnership(actor: User, partnership_id: int, changes: dict) -> Partnership:
    policy.authorize(actor, "partnership:write")
    partnership = get_or_404(Partnership, partnership_id, "Partnership")
    changes = dict(changes)
    if "specialty_codes" in changes:
        partnership.specialties = specialties_by_code(changes.pop("specialty_codes"))
    diff = apply_changes(partnership, changes)
    if partnership.valid_to <= partnership.valid_from:
        raise InvalidInput("valid_to", "must be after valid_from")
    _check_partnership(partnership)
    audit.record(actor, partnership, "partnership.updated", changes=diff,
                 specialties=[s.code for s in partnership.specialties])
    return partnership


def _check_partnership(p: Partnership) -> None:
    grassroots = get_or_404(Hospital, p.grassroots_hospital_id, "Hospital")
    tertiary = get_or_404(Hospital, p.tertiary_hospital_id, "Hospital")
    if grassroots.tier is not Tier.grassroots:
        raise InvalidInput("grassroots_hospital_id", f"{grassroots.name} is not a grassroots hospital")
    if tertiary.tier is not Tier.tertiary:
        raise InvalidInput("tertiary_hospital_id", f"{tertiary.name} is not a tertiary hospital")
    overlapping = sa.select(Partnership.id).where(
        Partnership.grassroots_hospital_id == p.grassroots_hospital_id,
        Partnership.tertiary_hospital_id == p.tertiary_hospital_id,
        Partnership.valid_from < p.valid_to,
        Partnership.valid_to > p.valid_from,
    )
    if p.id is not None:
        overlapping = overlapping.where(Partnership.id != p.id)
    if db.session.scalar(overlapping) is not None:
        raise Conflict("These hospitals already have a partnership in that period; edit it instead.")


def partner_hospital_ids(grassroots_hospital_id: int, specialty_id: int, on: date) -> set[int]:
    """The tertiary hospitals supporting this hospital on this specialty on that day."""
    stmt = (
        sa.select(Partnership.tertiary_hospital_id)
        .join(partnership_specialties, partnership_specialties.c.partnership_id == Partnership.id)
        .where(
            Partnership.grassroots_hospital_id == grassroots_hospital_id,
            partnership_specialties.c.specialty_id == specialty_id,
            Partnership.valid_from <= on,
            Partnership.valid_to > on,
        )
    )
    return set(db.session.scalars(stmt))


# --- experts -----------------------------------------------------------------------------

def list_experts_stmt(args: dict) -> sa.Select:
    stmt = sa.select(ExpertProfile).order_by(ExpertProfile.id)
    if args.get("hospital_id"):
        stmt = stmt.where(ExpertProfile.hospital_id == args["hospital_id"])
    if args.get("specialty"):
        stmt = stmt.join(expert_specialties).join(Specialty).where(Specialty.code == args["specialty"])
    if args.get("mode") == "remote":
        stmt = stmt.where(ExpertProfile.accepts_remote.is_(True))
    if args.get("mode") == "onsite":
        stmt = stmt.where(ExpertProfile.accepts_onsite.is_(True))
    if args.get("is_active") is not None:
        stmt = stmt.where(ExpertProfile.is_active.is_(args["is_active"]))
    return stmt


def create_expert(actor: User, data: dict) -> ExpertProfile:
    data = dict(data)
    user = get_or_404(User, data.pop("user_id"), "User")
    policy.authorize(actor, "expert:create", user.hospital_id)
    if user.role is not Role.expert:
        raise InvalidInput("user_id", f"user {user.id} has role {user.role.name}, not expert")
    if user.expert_profile is not None:
        raise Conflict(f"User {user.id} already has an expert profile ({user.expert_profile.id}).")
    specialties = specialties_by_code(data.pop("specialty_codes"))
    expert = ExpertProfile(user=user, hospital_id=user.hospital_id, specialties=specialties, **data)
    db.session.add(expert)
    db.session.flush()
    audit.record(actor, expert, "expert.created", specialties=[s.code for s in specialties])
    return expert


def update_expert(actor: User, expert_id: int, changes: dict) -> ExpertProfile:
    expert = get_or_404(ExpertProfile, expert_id, "Expert")
    policy.authorize(actor, "expert:update", expert)
    _check_self_edit(actor, expert, changes)
    changes = dict(changes)
    if "specialty_codes" in changes:
        expert.specialties = specialties_by_code(changes.pop("specialty_codes"))
    diff = apply_changes(expert, changes)
    if not (expert.accepts_remote or expert.accepts_onsite):
        raise InvalidInput("accepts_remote", "an expert must accept remote or on-site sessions")
    audit.record(actor, expert, "expert.updated", changes=diff)
    return expert


def _check_self_edit(actor: User, expert: ExpertProfile, changes: dict) -> None:
    if policy.may(actor, "expert:create", expert.hospital_id):
        return  # a manager of the hospital may change everything
    locked = sorted(set(changes) - EXPERT_SELF_EDITABLE)
    if locked:
        raise Forbidden(f"Only a scheduler of your hospital may change: {', '.join(locked)}.")


def _ensure_unique(model, column: str, value) -> None:
    if db.session.scalar(sa.select(model.id).where(getattr(model, column) == value)) is not None:
        raise Conflict(f"A {model.__name__.lower()} with {column} {value!r} already exists.")
