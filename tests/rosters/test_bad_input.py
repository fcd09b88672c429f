"""Hostile roster input found by fuzzing: a 422 naming the field, never a 500, nothing written."""

import sqlalchemy as sa

from app.accounts.models import Role
from app.extensions import db
from app.rosters.models import HospitalCalendarDay, RosterRule
from tests.factories import token_headers

RULE = {"weekdays": ["mon"], "start_time": "09:00", "end_time": "11:00", "mode": "remote",
        "valid_from": "2026-12-01"}


def _count(model) -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(model))


def test_rule_time_with_a_utc_offset_is_422_naming_it(client, make, beijing):
    expert = make.expert(hospital=beijing)
    headers = token_headers(make.user(Role.scheduler, hospital=beijing))

    resp = client.post(f"/api/v1/experts/{expert.id}/roster-rules",
                       json={**RULE, "start_time": "09:00:00+05:00"}, headers=headers)

    assert resp.status_code == 422
    assert "start_time" in resp.get_json()["errors"]
    assert _count(RosterRule) == 0


def test_calendar_day_at_the_edge_of_the_calendar_is_422_naming_day(client, make, beijing):
    headers = token_headers(make.user(Role.scheduler, hospital=beijing))

    first = client.post(f"/api/v1/hospitals/{beijing.id}/calendar-days",
                        json={"day": "0001-01-01", "kind": "holiday"}, headers=headers)
    last = client.post(f"/api/v1/hospitals/{beijing.id}/calendar-days",
                       json={"day": "9999-12-31", "kind": "holiday"}, headers=headers)

    assert first.status_code == 422 and "day" in first.get_json()["errors"]
    assert last.status_code == 422 and "day" in last.get_json()["errors"]
    assert _count(HospitalCalendarDay) == 0


def test_csv_import_with_a_nul_character_names_the_line_and_imports_nothing(client, make, beijing):
    expert = make.expert(hospital=beijing)
    headers = token_headers(make.user(Role.scheduler, hospital=beijing))
    text = ("expert_email,weekdays,start_time,end_time,mode,valid_from\n"
            f"{expert.user.email},mon,09:00,11:00,remote,2026-12-01\n"
            f"{expert.user.email}\x00,tue,09:00,11:00,remote,2026-12-01\n")

    resp = client.post("/api/v1/roster-rules/import", data=text, content_type="text/csv", headers=headers)

    assert resp.status_code == 422
    assert "line 3" in resp.get_json()["errors"]
    assert _count(RosterRule) == 0
