"""Each evaluation figure against the hand-worked world of conftest.py."""

from datetime import date

import pytest
import sqlalchemy as sa

from app.evaluation import service
from app.evaluation.service import Period, Scope
from app.extensions import db

NOVEMBER = Period(date(2026, 11, 1), date(2026, 11, 30))
EMPTY = Period(date(2025, 1, 1), date(2025, 1, 31))


def test_figures_for_everything_in_november(world):
    f = service.figures(Scope(), NOVEMBER)

    assert f["requests_received"] == 5  # r1 r2 r3 r4 and r_in (1 Nov in Beijing); not r_out
    assert f["offers"] == {"accepted": 4, "declined": 1, "expired": 1, "median_seconds_to_accept": 2400.0}
    assert f["sessions"] == {"completed": 3, "no_show_expert": 1, "no_show_requester": 1,
                             "patients_seen_on_site": 1, "median_wait_seconds": 43200.0}
    assert f["ratings"] == {"consultation": {"average": 4.0, "count": 2},
                            "case_preparation": {"average": 3.0, "count": 2}}
    assert f["outcomes_by_disposition"] == {"manage_locally": 1, "refer_up": 1, "follow_up": 1, "onsite_visit": 0}
    assert f["referrals"] == {"up": 2, "down": 1, "up_received": 1}  # the cancelled one does not count
    assert f["out_calls"] == {"made": 2, "patients_seen_on_site": 1}


def test_figures_of_one_expert(world):
    f = service.figures(Scope(expert=world.A), NOVEMBER)

    assert f["requests_received"] == 3  # r1, r2 (declined), r_in
    assert f["offers"] == {"accepted": 2, "declined": 1, "expired": 0, "median_seconds_to_accept": 1800.0}
    assert f["sessions"]["completed"] == 1 and f["sessions"]["no_show_requester"] == 1
    assert f["sessions"]["median_wait_seconds"] == 21600.0
    assert f["ratings"]["consultation"] == {"average": 5.0, "count": 1}
    assert f["referrals"] == {"up": 1, "down": 1, "up_received": 1}
    assert f["out_calls"]["made"] == 0  # A's out-call was cancelled


def test_figures_of_a_partnership_use_the_even_count_median(world):
    f = service.figures(Scope(partnership=world.P), NOVEMBER)

    assert f["requests_received"] == 3  # G's cardiology requests; not r3 (neurology)
    assert f["offers"]["median_seconds_to_accept"] == 1800.0  # 600, 1800, 3000
    assert f["sessions"]["completed"] == 2
    assert f["sessions"]["median_wait_seconds"] == 32400.0  # mean of 6 h and 12 h
    assert f["ratings"]["consultation"] == {"average": 4.0, "count": 2}
    assert f["referrals"] == {"up": 1, "down": 1, "up_received": 1}  # not G → T2
    assert f["out_calls"]["made"] == 1


def test_figures_of_a_hospital_and_a_specialty(world):
    tertiary = service.figures(Scope(hospital_id=world.T2.id), NOVEMBER)
    neurology = service.figures(Scope(specialty_id=world.neuro.id), NOVEMBER)

    assert tertiary["requests_received"] == 1 and tertiary["offers"]["median_seconds_to_accept"] == 3600.0
    assert tertiary["sessions"]["completed"] == 1 and tertiary["ratings"]["case_preparation"]["average"] == 2.0
    assert tertiary["referrals"] == {"up": 1, "down": 0, "up_received": 0}  # G → T2; cancelled G2 → T2 not
    assert neurology["requests_received"] == 1
    assert neurology["offers"]["expired"] == 1 and neurology["sessions"]["no_show_expert"] == 1
    assert neurology["out_calls"]["made"] == 0


def test_an_empty_period_has_zeros_and_no_medians(world):
    f = service.figures(Scope(), EMPTY)

    assert f["requests_received"] == 0
    assert f["offers"] == {"accepted": 0, "declined": 0, "expired": 0, "median_seconds_to_accept": None}
    assert f["sessions"]["completed"] == 0 and f["sessions"]["median_wait_seconds"] is None
    assert f["ratings"]["consultation"] == {"average": None, "count": 0}
    assert f["referrals"] == {"up": 0, "down": 0, "up_received": 0}
    assert f["out_calls"]["made"] == 0


def test_programme_report_month_by_month(world):
    report = service.programme_report(world.P, Period(date(2026, 10, 1), date(2026, 12, 31)))

    assert [m["month"] for m in report["months"]] == ["2026-10", "2026-11", "2026-12"]
    assert report["months"][1] == {"month": "2026-11", "out_calls": 1, "patients_received": 1,
                                   "consultations_held": 2, "referrals_up": 1, "referrals_down": 1}
    assert report["months"][2]["out_calls"] == 1 and report["months"][2]["consultations_held"] == 1
    assert report["total"] == {"out_calls": 2, "patients_received": 1, "consultations_held": 3,
                               "referrals_up": 1, "referrals_down": 1}


def test_trend_distribution_and_per_expert_comparison(world):
    trend = service.trend(Scope(), Period(date(2026, 10, 1), date(2026, 11, 30)))
    buckets = service.response_time_distribution(Scope(), NOVEMBER)
    experts = service.per_expert(Scope(hospital_id=world.T.id), NOVEMBER)

    assert [(m["month"], m["requests_received"], m["sessions_completed"]) for m in trend] == [
        ("2026-10", 1, 0), ("2026-11", 5, 3)]
    assert trend[1]["median_seconds_to_accept"] == 2400.0
    assert {b["bucket"]: b["offers"] for b in buckets} == {
        "<15 min": 1, "15-60 min": 3, "1-4 h": 1, "4-24 h": 0, ">=24 h": 0}
    assert [(e["expert_id"], e["offers_accepted"], e["offers_declined"], e["sessions_completed"],
             e["rating_average"]) for e in experts] == [(world.A.id, 2, 1, 1, 5.0), (world.B.id, 1, 0, 1, 3.0)]


@pytest.mark.parametrize("values, expected", [
    ([], None), ([7], 7.0), ([3, 1], 2.0), ([5, 1, 3], 3.0), ([4, 1, 3, 2], 2.5), ([1, 1, 1, 9, 9], 1.0)])
def test_portable_median_agrees_with_the_definition(values, expected, is_postgres):
    rows = sa.union_all(*(sa.select(sa.literal(v).label("v")) for v in values)) if values else \
        sa.select(sa.literal(0).label("v")).where(sa.false())
    values_stmt = sa.select(rows.subquery().c.v)

    assert service.portable_median(values_stmt) == expected
    assert service.median(values_stmt) == expected  # percentile_cont on PostgreSQL
    db.session.rollback()
