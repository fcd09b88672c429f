"""Performance evaluation of experts, hospitals, partnerships and specialties.

Every figure is computed by the database with SQL aggregation; Python only assembles the
few numbers that come back. A scope narrows the facts (each given anchor ANDs in); a period
is whole local days [start, end] in EVALUATION_TIMEZONE.

What each figure counts, and by which date it falls in a period:
- requests received: requests filed in the period (for an expert: offered to them);
- offers accepted / declined / expired and the median time to accept: offers made in it;
- sessions, no-shows, median wait from request to session, patients seen on site: sessions
  that start in it; outcomes and ratings: of those sessions;
- referrals: recorded in it (cancelled ones do not count); out-calls: done on a day in it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from flask import current_app

from app.accounts import policy
from app.accounts.models import Role, User
from app.bookings.models import Booking, BookingStatus, NoShowSide, OutCall, OutCallStatus, SessionMode
from app.consults.models import ConsultationRequest
from app.core.repo import get_or_404
from app.directory.models import ExpertProfile, Hospital, Partnership, Specialty, partnership_specialties
from app.errors import InvalidInput
from app.extensions import db
from app.matching.models import Offer, OfferStatus
from app.outcomes.models import Disposition, Outcome, Referral, ReferralDirection, ReferralStatus

# Referrals that count: everything recorded except what was withdrawn.
COUNTED_REFERRAL = Referral.status != ReferralStatus.cancelled
# A referral up "received" by the tertiary hospital: it took the patient in.
RECEIVED = (ReferralStatus.accepted, ReferralStatus.completed)

# Response-time histogram buckets: (label, upper bound in seconds, exclusive).
RESPONSE_BUCKETS = (("<15 min", 15 * 60), ("15-60 min", 3600), ("1-4 h", 4 * 3600),
                    ("4-24 h", 24 * 3600), (">=24 h", None))


# --- period and scope --------------------------------------------------------------------

@dataclass(frozen=True)
class Period:
    start: date
    end: date  # inclusive

    def __post_init__(self):
        if self.end < self.start:
            raise InvalidInput("to", "must not be before from")

    def bounds(self) -> tuple[datetime, datetime]:
        """The period as a half-open UTC interval [lo, hi)."""
        zone = ZoneInfo(current_app.config["EVALUATION_TIMEZONE"])
        lo = datetime.combine(self.start, time(), zone)
        hi = datetime.combine(self.end + timedelta(days=1), time(), zone)
        return lo.astimezone(UTC), hi.astimezone(UTC)

    def months(self) -> list[Period]:
        """The period cut at calendar-month boundaries (first and last may be partial)."""
        out, cursor = [], self.start
        while cursor <= self.end:
            next_month = (cursor.replace(day=1) + timedelta(days=32)).replace(day=1)
            out.append(Period(cursor, min(self.end, next_month - timedelta(days=1))))
            cursor = next_month
        return out

    def as_dict(self) -> dict:
        return {"from": self.start.isoformat(), "to": self.end.isoformat()}


@dataclass
class Scope:
    expert: ExpertProfile | None = None
    hospital_id: int | None = None
    partnership: Partnership | None = None
    specialty_id: int | None = None
    _pspecs: list[int] = field(default_factory=list)

    def touches_hospital(self, hospital_id: int) -> bool:
        """Is some anchor of this scope the given hospital (or one of its experts)?"""
        p = self.partnership
        return (self.hospital_id == hospital_id
                or (self.expert is not None and self.expert.hospital_id == hospital_id)
                or (p is not None and hospital_id in (p.grassroots_hospital_id, p.tertiary_hospital_id)))

    def as_dict(self) -> dict:
        return {"expert_id": self.expert.id if self.expert else None, "hospital_id": self.hospital_id,
                "partnership_id": self.partnership.id if self.partnership else None,
                "specialty_id": self.specialty_id}


def resolve_scope(actor: User, args: dict) -> Scope:
    """Load the anchors, fill the caller's default (a scheduler: their hospital; an expert:
    themselves), and check the caller may read it."""
    scope = Scope(
        expert=get_or_404(ExpertProfile, args["expert_id"], "Expert") if args.get("expert_id") else None,
        hospital_id=get_or_404(Hospital, args["hospital_id"], "Hospital").id if args.get("hospital_id") else None,
        partnership=(get_or_404(Partnership, args["partnership_id"], "Partnership")
                     if args.get("partnership_id") else None),
        specialty_id=get_or_404(Specialty, args["specialty_id"], "Specialty").id if args.get("specialty_id") else None,
    )
    anchored = scope.expert or scope.hospital_id or scope.partnership
    if not anchored and actor.role is Role.scheduler:
        scope.hospital_id = actor.hospital_id
    if scope.expert is None and actor.role is Role.expert and actor.expert_profile is not None:
        scope.expert = actor.expert_profile
    policy.authorize(actor, "evaluation:read", scope)
    return scope


def partnership_scope(actor: User, partnership_id: int) -> Scope:
    """The scope of a programme report: a partnership as a whole (admins and the schedulers
    of either hospital; an expert's own figures are not a programme's)."""
    scope = Scope(partnership=get_or_404(Partnership, partnership_id, "Partnership"))
    policy.authorize(actor, "evaluation:read", scope)
    return scope


# --- SQL building blocks -----------------------------------------------------------------

def _count_if(condition) -> sa.ColumnElement:
    return sa.func.count(sa.case((condition, 1)))


def seconds_between(later, earlier) -> sa.ColumnElement:
    """later - earlier in seconds, as the database computes it."""
    if _dialect() == "postgresql":
        return sa.extract("epoch", later - earlier)
    # julianday is a float of days: round off its error at the millisecond (3600 s is not 3599.9999).
    return sa.func.round((sa.func.julianday(later) - sa.func.julianday(earlier)) * 86400.0, 3)


def _dialect() -> str:
    return db.session.get_bind().dialect.name


def median(values: sa.Select) -> float | None:
    """The median of the single column `v` of `values`: percentile_cont on PostgreSQL,
    the portable window-function form elsewhere."""
    sq = values.subquery()
    if _dialect() == "postgresql":
        return _float(db.session.scalar(sa.select(sa.func.percentile_cont(0.5).within_group(sq.c.v))))
    return portable_median(values)


def portable_median(values: sa.Select) -> float | None:
    """Median with window functions only (SQLite and PostgreSQL alike): the middle row, or
    the mean of the two middle rows, of the values ranked in order."""
    sq = values.subquery()
    ranked = sa.select(sq.c.v, sa.func.row_number().over(order_by=sq.c.v).label("rn"),
                       sa.func.count().over().label("n")).where(sq.c.v.is_not(None)).subquery()
    middle = sa.and_(ranked.c.rn * 2 >= ranked.c.n, ranked.c.rn * 2 <= ranked.c.n + 2)
    return _float(db.session.scalar(sa.select(sa.func.avg(ranked.c.v)).where(middle)))


def _float(value) -> float | None:
    return None if value is None else round(float(value), 3)


def _partnership_specialties(p: Partnership):
    return sa.select(partnership_specialties.c.specialty_id).where(partnership_specialties.c.partnership_id == p.id)


def _party(scope: Scope, *, expert_id, requesting_hospital, expert_hospital, specialty) -> list:
    """Scope filters for facts that have both sides: offers, bookings, outcomes."""
    clauses = []
    if scope.expert is not None:
        clauses.append(expert_id == scope.expert.id)
    if scope.hospital_id is not None:
        clauses.append(sa.or_(requesting_hospital == scope.hospital_id, expert_hospital == scope.hospital_id))
    if scope.partnership is not None:
        p = scope.partnership
        clauses += [requesting_hospital == p.grassroots_hospital_id, expert_hospital == p.tertiary_hospital_id,
                    specialty.in_(_partnership_specialties(p))]
    if scope.specialty_id is not None:
        clauses.append(specialty == scope.specialty_id)
    return clauses


def _booking_facts(scope: Scope, period: Period, *columns) -> sa.Select:
    lo, hi = period.bounds()
    b, r, e = Booking, ConsultationRequest, ExpertProfile
    return (sa.select(*columns).select_from(b).join(r, r.id == b.request_id).join(e, e.id == b.expert_id)
            .where(b.starts_at >= lo, b.starts_at < hi,
                   *_party(scope, expert_id=b.expert_id, requesting_hospital=r.hospital_id,
                           expert_hospital=e.hospital_id, specialty=r.specialty_id)))


def _offer_facts(scope: Scope, period: Period, *columns) -> sa.Select:
    lo, hi = period.bounds()
    o, r, e = Offer, ConsultationRequest, ExpertProfile
    return (sa.select(*columns).select_from(o).join(r, r.id == o.request_id).join(e, e.id == o.expert_id)
            .where(o.created_at >= lo, o.created_at < hi,
                   *_party(scope, expert_id=o.expert_id, requesting_hospital=r.hospital_id,
                           expert_hospital=e.hospital_id, specialty=r.specialty_id)))


# --- the figures -------------------------------------------------------------------------

def requests_received(scope: Scope, period: Period) -> int:
    lo, hi = period.bounds()
    r = ConsultationRequest
    offered = sa.select(Offer.id).join(ExpertProfile, ExpertProfile.id == Offer.expert_id).where(
        Offer.request_id == r.id)
    clauses = [r.created_at >= lo, r.created_at < hi]
    if scope.expert is not None:
        clauses.append(offered.where(Offer.expert_id == scope.expert.id).exists())
    if scope.hospital_id is not None:
        clauses.append(sa.or_(r.hospital_id == scope.hospital_id,
                              offered.where(ExpertProfile.hospital_id == scope.hospital_id).exists()))
    if scope.partnership is not None:
        clauses += [r.hospital_id == scope.partnership.grassroots_hospital_id,
                    r.specialty_id.in_(_partnership_specialties(scope.partnership))]
    if scope.specialty_id is not None:
        clauses.append(r.specialty_id == scope.specialty_id)
    return db.session.scalar(sa.select(sa.func.count()).select_from(r).where(*clauses))


def offer_figures(scope: Scope, period: Period) -> dict:
    row = db.session.execute(_offer_facts(
        scope, period, *(_count_if(Offer.status == s).label(s.name) for s in
                         (OfferStatus.accepted, OfferStatus.declined, OfferStatus.expired)))).one()
    accept_seconds = _offer_facts(scope, period, seconds_between(Offer.responded_at, Offer.created_at).label("v"))
    accept_seconds = accept_seconds.where(Offer.status == OfferStatus.accepted, Offer.responded_at.is_not(None))
    return {**row._asdict(), "median_seconds_to_accept": median(accept_seconds)}


def session_figures(scope: Scope, period: Period, *, with_median: bool = True) -> dict:
    b = Booking
    completed = b.status == BookingStatus.completed
    no_show = b.status == BookingStatus.no_show
    row = db.session.execute(_booking_facts(
        scope, period, _count_if(completed).label("completed"),
        _count_if(no_show & (b.no_show_side == NoShowSide.expert)).label("no_show_expert"),
        _count_if(no_show & (b.no_show_side == NoShowSide.requester)).label("no_show_requester"),
        _count_if(completed & (b.mode == SessionMode.onsite)).label("patients_seen_on_site"))).one()
    if not with_median:
        return row._asdict()
    waits = _booking_facts(scope, period, seconds_between(b.starts_at, ConsultationRequest.created_at).label("v"))
    return {**row._asdict(), "median_wait_seconds": median(waits.where(completed))}


def outcome_figures(scope: Scope, period: Period) -> dict:
    o = Outcome
    columns = [sa.func.avg(o.requester_rating).label("consultation_avg"),
               sa.func.count(o.requester_rating).label("consultation_count"),
               sa.func.avg(o.preparation_rating).label("preparation_avg"),
               sa.func.count(o.preparation_rating).label("preparation_count"),
               *(_count_if(o.disposition == d).label(d.name) for d in Disposition)]
    row = db.session.execute(_booking_facts(scope, period, *columns).join(o, o.booking_id == Booking.id)).one()
    return {
        "ratings": {
            "consultation": {"average": _float(row.consultation_avg), "count": row.consultation_count},
            "case_preparation": {"average": _float(row.preparation_avg), "count": row.preparation_count},
        },
        "outcomes_by_disposition": {d.name: getattr(row, d.name) for d in Disposition},
    }


def referral_figures(scope: Scope, period: Period) -> dict:
    lo, hi = period.bounds()
    f, r = Referral, ConsultationRequest
    up = f.direction == ReferralDirection.up
    stmt = (sa.select(_count_if(up).label("up"), _count_if(~up).label("down"),
                      _count_if(up & f.status.in_(RECEIVED)).label("up_received"))
            .select_from(f).join(r, r.id == f.request_id)
            .outerjoin(Outcome, Outcome.id == f.outcome_id).outerjoin(Booking, Booking.id == Outcome.booking_id)
            .where(f.created_at >= lo, f.created_at < hi, COUNTED_REFERRAL, *_referral_scope(scope)))
    return db.session.execute(stmt).one()._asdict()


def _referral_scope(scope: Scope) -> list:
    f, clauses = Referral, []
    if scope.expert is not None:
        clauses.append(Booking.expert_id == scope.expert.id)
    if scope.hospital_id is not None:
        clauses.append(sa.or_(f.from_hospital_id == scope.hospital_id, f.to_hospital_id == scope.hospital_id))
    if scope.partnership is not None:
        g, t = scope.partnership.grassroots_hospital_id, scope.partnership.tertiary_hospital_id
        clauses += [sa.or_(sa.and_(f.from_hospital_id == g, f.to_hospital_id == t),
                           sa.and_(f.from_hospital_id == t, f.to_hospital_id == g)),
                    ConsultationRequest.specialty_id.in_(_partnership_specialties(scope.partnership))]
    if scope.specialty_id is not None:
        clauses.append(ConsultationRequest.specialty_id == scope.specialty_id)
    return clauses


def out_calls_made(scope: Scope, period: Period) -> int:
    oc, e = OutCall, ExpertProfile
    clauses = [oc.day >= period.start, oc.day <= period.end, oc.status == OutCallStatus.done]
    if scope.expert is not None:
        clauses.append(oc.expert_id == scope.expert.id)
    if scope.hospital_id is not None:
        clauses.append(sa.or_(oc.hospital_id == scope.hospital_id, e.hospital_id == scope.hospital_id))
    if scope.partnership is not None:
        clauses += [oc.hospital_id == scope.partnership.grassroots_hospital_id,
                    e.hospital_id == scope.partnership.tertiary_hospital_id]
    if scope.specialty_id is not None:
        clauses.append(sa.select(Booking.id).join(ConsultationRequest, ConsultationRequest.id == Booking.request_id)
                       .where(Booking.out_call_id == oc.id,
                              ConsultationRequest.specialty_id == scope.specialty_id).exists())
    stmt = sa.select(sa.func.count()).select_from(oc).join(e, e.id == oc.expert_id).where(*clauses)
    return db.session.scalar(stmt)


def figures(scope: Scope, period: Period) -> dict:
    """Every evaluation figure of a scope over a period."""
    offers, sessions = offer_figures(scope, period), session_figures(scope, period)
    return {
        "scope": scope.as_dict(),
        "period": period.as_dict(),
        "requests_received": requests_received(scope, period),
        "offers": offers,
        "sessions": sessions,
        **outcome_figures(scope, period),
        "referrals": referral_figures(scope, period),
        "out_calls": {"made": out_calls_made(scope, period),
                      "patients_seen_on_site": sessions["patients_seen_on_site"]},
    }


# --- programme report, trend, distribution, comparison -----------------------------------

PROGRAMME_FIGURES = ("out_calls", "patients_received", "consultations_held", "referrals_up", "referrals_down")


def programme_month(partnership: Partnership, period: Period) -> dict:
    """What partnership programmes publish, for one period."""
    scope = Scope(partnership=partnership)
    sessions, referrals = session_figures(scope, period, with_median=False), referral_figures(scope, period)
    return {"out_calls": out_calls_made(scope, period), "patients_received": referrals["up_received"],
            "consultations_held": sessions["completed"], "referrals_up": referrals["up"],
            "referrals_down": referrals["down"]}


def programme_report(partnership: Partnership, period: Period, months=None) -> dict:
    """Month by month (each a few aggregate queries), then the totals. `months` lets a
    caller wrap the month list, e.g. in a progress bar."""
    rows = []
    for month in months if months is not None else _bounded_months(period):
        rows.append({"month": month.start.strftime("%Y-%m"), **programme_month(partnership, month)})
    total = {name: sum(row[name] for row in rows) for name in PROGRAMME_FIGURES}
    return {"partnership": {"id": partnership.id, "grassroots_hospital": partnership.grassroots_hospital.name,
                            "tertiary_hospital": partnership.tertiary_hospital.name},
            "period": period.as_dict(), "months": rows, "total": total}


def _bounded_months(period: Period) -> list[Period]:
    months = period.months()
    limit = current_app.config["EVALUATION_MAX_MONTHS"]
    if len(months) > limit:
        raise InvalidInput("from", f"a monthly breakdown covers at most {limit} months")
    return months


def trend(scope: Scope, period: Period) -> list[dict]:
    out = []
    for month in _bounded_months(period):
        offers, sessions = offer_figures(scope, month), session_figures(scope, month, with_median=False)
        out.append({"month": month.start.strftime("%Y-%m"), "requests_received": requests_received(scope, month),
                    "offers_accepted": offers["accepted"],
                    "median_seconds_to_accept": offers["median_seconds_to_accept"],
                    "sessions_completed": sessions["completed"],
                    "no_shows": sessions["no_show_expert"] + sessions["no_show_requester"]})
    return out


def response_time_distribution(scope: Scope, period: Period) -> list[dict]:
    """How long experts took to answer offers (accepted or declined), in buckets."""
    secs = seconds_between(Offer.responded_at, Offer.created_at)
    whens = [(secs < upper, label) for label, upper in RESPONSE_BUCKETS if upper is not None]
    bucket = sa.case(*whens, else_=RESPONSE_BUCKETS[-1][0]).label("bucket")
    stmt = (_offer_facts(scope, period, bucket, sa.func.count().label("n"))
            .where(Offer.status.in_((OfferStatus.accepted, OfferStatus.declined)), Offer.responded_at.is_not(None))
            .group_by(bucket))
    counts = dict(db.session.execute(stmt).all())
    return [{"bucket": label, "offers": counts.get(label, 0)} for label, _ in RESPONSE_BUCKETS]


def per_expert(scope: Scope, period: Period) -> list[dict]:
    """Side-by-side figures of each expert in the scope (grouped in the database)."""
    b, o = Booking, Outcome
    sessions = (_booking_facts(
        scope, period, b.expert_id, _count_if(b.status == BookingStatus.completed).label("sessions_completed"),
        _count_if((b.status == BookingStatus.no_show) & (b.no_show_side == NoShowSide.expert)).label("no_shows"),
        sa.func.avg(o.requester_rating).label("rating_avg"), sa.func.count(o.requester_rating).label("rating_count"))
        .outerjoin(o, o.booking_id == b.id).group_by(b.expert_id))
    offers = _offer_facts(scope, period, Offer.expert_id, _count_if(Offer.status == OfferStatus.accepted).label("a"),
                          _count_if(Offer.status == OfferStatus.declined).label("d")).group_by(Offer.expert_id)
    answered = {row.expert_id: row for row in db.session.execute(offers)}
    rows = {row.expert_id: row for row in db.session.execute(sessions)}
    names = dict(db.session.execute(sa.select(ExpertProfile.id, User.display_name).join(User)
                                    .where(ExpertProfile.id.in_(set(rows) | set(answered)))).all())
    return [_expert_row(eid, names[eid], rows.get(eid), answered.get(eid)) for eid in sorted(names)]


def _expert_row(expert_id, name, sessions, offers) -> dict:
    return {"expert_id": expert_id, "name": name,
            "offers_accepted": offers.a if offers else 0, "offers_declined": offers.d if offers else 0,
            "sessions_completed": sessions.sessions_completed if sessions else 0,
            "no_shows": sessions.no_shows if sessions else 0,
            "rating_average": _float(sessions.rating_avg) if sessions else None,
            "rating_count": sessions.rating_count if sessions else 0}
