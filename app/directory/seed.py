"""`flask seed-demo`: an idempotent demo programme with logins for every role."""

from __future__ import annotations

from datetime import date, time

import click
import sqlalchemy as sa
from flask.cli import with_appcontext

from app.accounts import service as accounts
from app.accounts.models import Role, User
from app.core.clock import now
from app.directory import demo_data as demo
from app.directory.models import ExpertProfile, ExpertTitle, Hospital, Partnership, Specialty, Tier
from app.extensions import db


@click.command("seed-demo")
@with_appcontext
def seed_demo():
    """Create (or complete) the demo programme and print the demo logins."""
    specialties = _specialties()
    hospitals = _hospitals()
    _partnerships(hospitals, specialties)
    logins = _users(hospitals) + _experts(hospitals, specialties)
    slots = _rosters()
    db.session.commit()
    click.echo(f"Demo programme ready: {len(hospitals)} hospitals, {len(demo.PARTNERSHIPS)} partnerships, "
               f"{slots['slots_created']} new open slots.")
    click.echo(f"Demo logins (password for all: {demo.DEMO_PASSWORD}):")
    for email, role, hospital in logins:
        click.echo(f"  {role:<14} {email:<34} {hospital}")


def _specialties() -> dict[str, Specialty]:
    out = {}
    for code, zh, en in demo.SPECIALTIES:
        out[code] = _get_or_add(Specialty, code=code, defaults={"name_zh": zh, "name_en": en})
    return out


def _hospitals() -> dict[str, Hospital]:
    out = {}
    for code, name, name_en, tier, region, lat, lon in demo.HOSPITALS:
        out[code] = _get_or_add(Hospital, code=code, defaults=dict(
            name=name, name_en=name_en, tier=Tier[tier], region=region,
            timezone="Asia/Shanghai", latitude=lat, longitude=lon))
    return out


def _partnerships(hospitals, specialties) -> None:
    for tertiary, grassroots, codes, start, years in demo.PARTNERSHIPS:
        exists = db.session.scalar(sa.select(Partnership.id).where(
            Partnership.tertiary_hospital_id == hospitals[tertiary].id,
            Partnership.grassroots_hospital_id == hospitals[grassroots].id))
        if exists is None:
            db.session.add(Partnership(
                tertiary_hospital_id=hospitals[tertiary].id, grassroots_hospital_id=hospitals[grassroots].id,
                valid_from=date(start, 1, 1), valid_to=date(start + years, 1, 1),
                specialties=[specialties[c] for c in codes]))
    db.session.flush()


def _users(hospitals) -> list[tuple]:
    people = [("admin@huizhen.demo", "系统管理员 Admin", Role.admin, "BJ-TIANTAN")]
    for code, *_ in demo.HOSPITALS:
        slug = code.lower()
        people.append((f"scheduler.{slug}@huizhen.demo", f"{hospitals[code].name} 排班员", Role.scheduler, code))
        if hospitals[code].tier is Tier.grassroots:
            people.append((f"doctor.{slug}@huizhen.demo", f"{hospitals[code].name} 医生", Role.county_doctor, code))
    for email, name, role, code in people:
        _ensure_user(email, name, role, hospitals[code])
    return [(e, r.name, hospitals[c].name) for e, _, r, c in people
            if r is not Role.scheduler or c in ("BJ-TIANTAN", "BD-ZHUOZHOU")]


def _experts(hospitals, specialties) -> list[tuple]:
    logins = []
    for local, name, code, title, codes, onsite in demo.EXPERTS:
        email = f"{local}@huizhen.demo"
        user = _ensure_user(email, name, Role.expert, hospitals[code])
        if user.expert_profile is None:
            db.session.add(ExpertProfile(
                user=user, hospital_id=user.hospital_id, title=ExpertTitle[title],
                specialties=[specialties[c] for c in codes], languages=["zh-CN", "en"],
                accepts_remote=True, accepts_onsite=onsite, daily_cap=4))
        if len(logins) < 3:
            logins.append((email, Role.expert.name, hospitals[code].name))
    db.session.flush()
    return logins


def _rosters() -> dict:
    """Weekday mornings for every demo expert, plus on-site afternoons for those who
    travel, so that a demo request finds someone; then fill the slot horizon."""
    from app.rosters import service as rosters
    from app.rosters.models import RosterRule, SlotMode

    today = now().date()
    for expert in db.session.scalars(sa.select(ExpertProfile).where(~ExpertProfile.id.in_(
            sa.select(RosterRule.expert_id)))):
        db.session.add(RosterRule(expert_id=expert.id, weekdays=0b11111, start_time=time(9), end_time=time(12),
                                  slot_minutes=30, mode=SlotMode.remote, valid_from=today))
        if expert.accepts_onsite:
            db.session.add(RosterRule(expert_id=expert.id, weekdays=0b01010, start_time=time(14),
                                      end_time=time(17), slot_minutes=60, mode=SlotMode.onsite, valid_from=today))
    db.session.flush()
    return rosters.materialise_all()


def _ensure_user(email, name, role, hospital) -> User:
    user = db.session.scalar(sa.select(User).where(User.email == email))
    if user is None:
        user = accounts.create_user(email=email, display_name=name, role=role,
                                    hospital_id=hospital.id, password=demo.DEMO_PASSWORD)
    return user


def _get_or_add(model, *, code: str, defaults: dict):
    obj = db.session.scalar(sa.select(model).where(model.code == code))
    if obj is None:
        obj = model(code=code, **defaults)
        db.session.add(obj)
        db.session.flush()
    return obj
