"""Finding and ranking candidate (expert, slot) pairs for one request.

Hard filters run in SQL (specialty, open slot inside the window, compatible mode, not
already tried); daily cap and travel are checked per expert in Python on a few slots each;
then every survivor is scored with named parts (see scoring.py)."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from flask import current_app

from app.bookings.models import Booking, BookingStatus, NoShowSide
from app.consults.models import ConsultationRequest, PreferredMode
from app.core.clock import now
from app.directory.models import ExpertProfile, Hospital, expert_specialties
from app.directory.service import partner_hospital_ids
from app.extensions import db
from app.matching import scoring
from app.matching.models import Offer, OfferStatus
from app.outcomes.models import Outcome
from app.rosters.models import Slot, SlotMode, SlotStatus

# Slots looked at per expert: enough to step over a day that is already at the cap.
SLOTS_PER_EXPERT = 8
LIVE = (BookingStatus.scheduled, BookingStatus.in_progress, BookingStatus.completed)
# Offers in these states mean "this expert was already asked": do not ask again.
TRIED = (OfferStatus.pending, OfferStatus.declined, OfferStatus.expired, OfferStatus.accepted)
REMOTE_SLOTS = (SlotMode.remote, SlotMode.both)
ONSITE_SLOTS = (SlotMode.onsite, SlotMode.both)


@dataclass
class Candidate:
    expert_id: int
    expert_user_id: int
    expert_hospital_id: int
    slot_id: int
    starts_at: datetime
    ends_at: datetime
    mode: str  # remote | onsite
    travel_minutes: int
    in_network: bool
    parts: dict
    score: float


def session_mode(request_mode: PreferredMode, slot_mode: SlotMode, accepts_remote: bool, accepts_onsite: bool):
    """The session this slot gives this request: remote when both sides can, else on-site."""
    if request_mode is not PreferredMode.onsite and slot_mode in REMOTE_SLOTS and accepts_remote:
        return "remote"
    if request_mode is not PreferredMode.remote and slot_mode in ONSITE_SLOTS and accepts_onsite:
        return "onsite"
    return None


def find(request: ConsultationRequest, *, limit: int | None = None) -> list[Candidate]:
    """Ranked candidates for `request`, best first, one (the earliest feasible slot) per expert."""
    rows = _slot_rows(request)
    if not rows:
        return []
    experts = _experts(request.specialty_id)
    county = db.session.get(Hospital, request.hospital_id)
    hospitals = {h.id: h for h in db.session.scalars(
        sa.select(Hospital).where(Hospital.id.in_({experts[r.expert_id].hospital_id for r in rows})))}
    booked = _bookings_per_day(experts, hospitals, request)
    picked = _pick_slots(request, rows, experts, hospitals, county, booked)
    return _rank(request, picked, experts)[:limit]


def _slot_rows(request: ConsultationRequest):
    start = max(request.window_start, now())
    tried = sa.select(Offer.expert_id).where(Offer.request_id == request.id, Offer.status.in_(TRIED))
    held = sa.select(Offer.id).where(Offer.slot_id == Slot.id, Offer.status == OfferStatus.pending)
    rn = sa.func.row_number().over(partition_by=Slot.expert_id, order_by=Slot.starts_at).label("rn")
    inner = (
        sa.select(Slot.id, Slot.expert_id, Slot.starts_at, Slot.ends_at, Slot.mode, rn)
        .join(ExpertProfile, ExpertProfile.id == Slot.expert_id)
        .join(expert_specialties, expert_specialties.c.expert_id == ExpertProfile.id)
        .where(expert_specialties.c.specialty_id == request.specialty_id, ExpertProfile.is_active.is_(True),
               Slot.status == SlotStatus.open, Slot.starts_at >= start, Slot.ends_at <= request.window_end,
               _mode_clause(request.preferred_mode), ExpertProfile.id.not_in(tried), ~sa.exists(held))
    ).subquery()
    return db.session.execute(sa.select(inner).where(inner.c.rn <= SLOTS_PER_EXPERT)
                              .order_by(inner.c.expert_id, inner.c.starts_at)).all()


def _mode_clause(mode: PreferredMode):
    remote = sa.and_(Slot.mode.in_(REMOTE_SLOTS), ExpertProfile.accepts_remote.is_(True))
    onsite = sa.and_(Slot.mode.in_(ONSITE_SLOTS), ExpertProfile.accepts_onsite.is_(True))
    return {PreferredMode.remote: remote, PreferredMode.onsite: onsite}.get(mode, sa.or_(remote, onsite))


def _experts(specialty_id: int) -> dict:
    cols = (ExpertProfile.id, ExpertProfile.user_id, ExpertProfile.hospital_id, ExpertProfile.daily_cap,
            ExpertProfile.accepts_remote, ExpertProfile.accepts_onsite)
    return {r.id: r for r in db.session.execute(
        sa.select(*cols).join(expert_specialties, expert_specialties.c.expert_id == ExpertProfile.id)
        .where(expert_specialties.c.specialty_id == specialty_id, ExpertProfile.is_active.is_(True)))}


def local_day(when: datetime, tz: str):
    return when.astimezone(ZoneInfo(tz)).date()


def _bookings_per_day(experts: dict, hospitals: dict, request) -> dict:
    """{(expert_id, local day): live bookings}, for the daily cap."""
    rows = db.session.execute(sa.select(Booking.expert_id, Booking.starts_at).where(
        Booking.expert_id.in_(sa.select(expert_specialties.c.expert_id).where(
            expert_specialties.c.specialty_id == request.specialty_id)), Booking.status.in_(LIVE),
        Booking.starts_at >= request.window_start - timedelta(days=1),
        Booking.starts_at < request.window_end + timedelta(days=1)))
    counts: dict = defaultdict(int)
    for r in rows:
        expert = experts.get(r.expert_id)
        home = hospitals.get(expert.hospital_id) if expert else None
        if home is not None:  # only experts with a slot in the window matter
            counts[(r.expert_id, local_day(r.starts_at, home.timezone))] += 1
    return counts


def _pick_slots(request, rows, experts, hospitals, county, booked) -> list[tuple]:
    cfg = current_app.config
    picked, done, moment = [], set(), now()
    for r in rows:
        e = experts[r.expert_id]
        if e.id in done:
            continue
        home = hospitals[e.hospital_id]
        if booked[(e.id, local_day(r.starts_at, home.timezone))] >= e.daily_cap:
            continue
        mode = session_mode(request.preferred_mode, r.mode, e.accepts_remote, e.accepts_onsite)
        travel = 0
        if mode == "onsite":
            travel = scoring.travel_minutes(home, county, cfg["TRAVEL_SPEED_KMH"], cfg["TRAVEL_MATRIX"])
            if travel > cfg["TRAVEL_MAX_MINUTES"] or r.starts_at - timedelta(minutes=travel) < moment:
                continue  # too far, or no time left to get there
        picked.append((r, mode, travel))
        done.add(e.id)
    return picked


def _rank(request, picked, experts) -> list[Candidate]:
    if not picked:
        return []
    cfg = current_app.config
    # The specialty's experts as a subquery, not a list of a thousand ids: one cached
    # statement, and the database joins instead of parsing a huge IN list.
    ids = sa.select(expert_specialties.c.expert_id).where(expert_specialties.c.specialty_id == request.specialty_id)
    partners = partner_hospital_ids(request.hospital_id, request.specialty_id, request.window_start.date())
    seen, load, quality = _continuity(request, ids), _recent_load(ids), _quality(ids)
    window_hours = (request.window_end - max(request.window_start, now())).total_seconds() / 3600
    out = []
    for r, mode, travel in picked:
        e = experts[r.expert_id]
        facts = scoring.Facts(
            hours_to_slot=(r.starts_at - now()).total_seconds() / 3600, window_hours=window_hours,
            urgency=request.urgency.name, in_network=e.hospital_id in partners,
            saw_patient_before=e.id in seen, recent_consultations=load.get(e.id, 0),
            avg_rating=quality.get(e.id, (None, None))[0], completion_rate=quality.get(e.id, (None, None))[1],
            travel_minutes=travel, max_travel_minutes=cfg["TRAVEL_MAX_MINUTES"])
        parts = scoring.score_parts(facts, cfg["MATCH_WEIGHTS"], cfg["MATCH_URGENCY_TIME_FACTOR"])
        out.append(Candidate(e.id, e.user_id, e.hospital_id, r.id, r.starts_at, r.ends_at, mode, travel,
                             facts.in_network, parts, scoring.total(parts)))
    return _network_policy(sorted(out, key=lambda c: (-c.score, c.starts_at, c.expert_id)))


def _network_policy(ranked: list[Candidate]) -> list[Candidate]:
    policy = current_app.config["MATCH_OUT_OF_NETWORK"]
    inside = [c for c in ranked if c.in_network]
    if policy == "never" or (policy == "fallback" and inside):
        return inside
    return ranked


def _continuity(request, expert_ids) -> set[int]:
    """Experts who already held a session with this patient (same pseudonym, same hospital)."""
    return set(db.session.scalars(
        sa.select(Booking.expert_id).join(ConsultationRequest, ConsultationRequest.id == Booking.request_id)
        .where(ConsultationRequest.patient_ref == request.patient_ref,
               ConsultationRequest.hospital_id == request.hospital_id,
               ConsultationRequest.id != request.id, Booking.expert_id.in_(expert_ids),
               Booking.status.in_(LIVE))))


def _recent_load(expert_ids) -> dict[int, int]:
    since = now() - timedelta(days=current_app.config["MATCH_LOAD_DAYS"])
    rows = db.session.execute(
        sa.select(Booking.expert_id, sa.func.count()).where(
            Booking.expert_id.in_(expert_ids), Booking.status.in_(LIVE), Booking.starts_at >= since)
        .group_by(Booking.expert_id))
    return dict(rows.all())


def _quality(expert_ids) -> dict[int, tuple]:
    """{expert: (average requester rating, completion rate)} over the recent past."""
    since = now() - timedelta(days=current_app.config["MATCH_QUALITY_DAYS"])
    done = sa.func.sum(sa.case((Booking.status == BookingStatus.completed, 1), else_=0))
    missed = sa.func.sum(sa.case((Booking.no_show_side == NoShowSide.expert, 1), else_=0))
    rows = db.session.execute(
        sa.select(Booking.expert_id, sa.func.avg(Outcome.requester_rating), done, missed)
        .outerjoin(Outcome, Outcome.booking_id == Booking.id)
        .where(Booking.expert_id.in_(expert_ids), Booking.starts_at >= since, Booking.starts_at < now())
        .group_by(Booking.expert_id))
    out = {}
    for expert_id, rating, completed, no_show in rows:
        total = (completed or 0) + (no_show or 0)
        out[expert_id] = (float(rating) if rating is not None else None, (completed / total) if total else None)
    return out
