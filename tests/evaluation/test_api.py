"""Reports over HTTP and the command line: scoping by role, the file formats, the CLI."""

import csv
import io

import pytest
from openpyxl import load_workbook

from app.accounts.models import Role
from app.extensions import db
from tests.factories import token_headers

NOVEMBER = "from=2026-11-01&to=2026-11-30"


@pytest.fixture
def users(world, make):
    return {
        "admin": make.user(Role.admin),
        "t_scheduler": make.user(Role.scheduler, hospital=world.T),
        "t2_scheduler": make.user(Role.scheduler, hospital=world.T2),
        "g_scheduler": make.user(Role.scheduler, hospital=world.G),
        "expert_a": world.A.user,
        "doctor": world.doctor,
    }


def _get(client, user, path):
    return client.get(f"/api/v1/evaluation/{path}", headers=token_headers(user))


def test_admin_sees_everything(client, users):
    body = _get(client, users["admin"], f"figures?{NOVEMBER}").get_json()

    assert body["requests_received"] == 5
    assert body["scope"] == {"expert_id": None, "hospital_id": None, "partnership_id": None, "specialty_id": None}


def test_scheduler_sees_their_hospital_by_default_and_not_others(client, users, world):
    mine = _get(client, users["t2_scheduler"], f"figures?{NOVEMBER}")
    theirs = _get(client, users["t2_scheduler"], f"figures?{NOVEMBER}&hospital_id={world.T.id}")
    their_expert = _get(client, users["t2_scheduler"], f"figures?{NOVEMBER}&expert_id={world.A.id}")
    own_expert = _get(client, users["t_scheduler"], f"figures?{NOVEMBER}&expert_id={world.A.id}")
    partnership = _get(client, users["g_scheduler"], f"figures?{NOVEMBER}&partnership_id={world.P.id}")

    assert mine.status_code == 200 and mine.get_json()["scope"]["hospital_id"] == world.T2.id
    assert mine.get_json()["sessions"]["completed"] == 1
    assert theirs.status_code == 403 and their_expert.status_code == 403
    assert own_expert.status_code == 200 and own_expert.get_json()["sessions"]["completed"] == 1
    assert partnership.status_code == 200 and partnership.get_json()["requests_received"] == 3


def test_expert_sees_only_their_own_figures(client, users, world):
    own = _get(client, users["expert_a"], f"figures?{NOVEMBER}")
    colleague = _get(client, users["expert_a"], f"figures?{NOVEMBER}&expert_id={world.B.id}")
    hospital = _get(client, users["expert_a"], f"figures?{NOVEMBER}&hospital_id={world.T.id}")
    programme = _get(client, users["expert_a"], f"partnerships/{world.P.id}/programme?{NOVEMBER}")

    assert own.status_code == 200 and own.get_json()["scope"]["expert_id"] == world.A.id
    assert own.get_json()["offers"]["accepted"] == 2
    assert hospital.status_code == 200 and hospital.get_json()["scope"]["expert_id"] == world.A.id  # narrowed
    assert colleague.status_code == 403 and programme.status_code == 403


def test_county_doctor_gets_no_reports(client, users, world):
    for path in (f"figures?{NOVEMBER}", f"trend?{NOVEMBER}", f"partnerships/{world.P.id}/programme?{NOVEMBER}"):
        assert _get(client, users["doctor"], path).status_code == 403, path


def test_bad_period_is_422_naming_the_field(client, users):
    missing = _get(client, users["admin"], "figures?from=2026-11-01")
    backwards = _get(client, users["admin"], "figures?from=2026-11-30&to=2026-11-01")

    assert missing.status_code == 422 and "to" in missing.get_json()["errors"]
    assert backwards.status_code == 422 and "to" in backwards.get_json()["errors"]


def test_figures_export_as_csv_and_xlsx(client, users):
    as_csv = _get(client, users["admin"], f"figures.csv?{NOVEMBER}")
    as_xlsx = _get(client, users["admin"], f"figures.xlsx?{NOVEMBER}")

    assert as_csv.mimetype == "text/csv"
    rows = dict(csv.reader(io.StringIO(as_csv.get_data(as_text=True))))
    assert rows["offers.median_seconds_to_accept"] == "2400.0" and rows["sessions.completed"] == "3"
    book = load_workbook(io.BytesIO(as_xlsx.data))
    assert book.sheetnames == ["Figures", "By month", "Experts"]
    figures = {r[0]: r[1] for r in book["Figures"].iter_rows(values_only=True)}
    assert figures["requests_received"] == 5 and figures["referrals.up"] == 2


def test_charts_are_png(client, users):
    for chart in ("trend", "response-times", "experts"):
        resp = _get(client, users["admin"], f"charts/{chart}.png?from=2026-10-01&to=2026-11-30")
        assert resp.status_code == 200 and resp.mimetype == "image/png", chart
        assert resp.data.startswith(b"\x89PNG")


def test_chart_data_endpoints(client, users, world):
    buckets = _get(client, users["admin"], f"response-times?{NOVEMBER}").get_json()
    experts = _get(client, users["t_scheduler"], f"experts?{NOVEMBER}").get_json()

    assert sum(b["offers"] for b in buckets) == 5
    assert [e["expert_id"] for e in experts] == [world.A.id, world.B.id]


def test_programme_report_json_and_files(client, users, world):
    body = _get(client, users["t_scheduler"], f"partnerships/{world.P.id}/programme?{NOVEMBER}").get_json()
    book = load_workbook(io.BytesIO(_get(client, users["admin"],
                                         f"partnerships/{world.P.id}/programme.xlsx?{NOVEMBER}").data))
    other = _get(client, users["t2_scheduler"], f"partnerships/{world.P.id}/programme?{NOVEMBER}")

    assert body["total"] == {"out_calls": 1, "patients_received": 1, "consultations_held": 2,
                             "referrals_up": 1, "referrals_down": 1}
    assert list(book["Programme"].iter_rows(values_only=True))[-1] == ("total", 1, 1, 2, 1, 1)
    assert other.status_code == 403


def test_cli_prints_the_programme_report_and_writes_xlsx(app, world, tmp_path):
    db.session.commit()
    out = tmp_path / "programme.xlsx"

    result = app.test_cli_runner().invoke(args=[
        "report", "partnership", "--id", str(world.P.id), "--from", "2026-10-01", "--to", "2026-12-31",
        "--xlsx", str(out)])

    assert result.exit_code == 0, result.output
    assert "Computing 3 month(s)" in result.output
    lines = result.output.splitlines()
    assert any(line.split() == ["2026-11", "1", "1", "2", "1", "1"] for line in lines), result.output
    assert any(line.split() == ["total", "2", "1", "3", "1", "1"] for line in lines), result.output
    assert load_workbook(out)["Programme"]["A2"].value == "2026-10"


def test_cli_names_an_unknown_partnership(app):
    result = app.test_cli_runner().invoke(args=[
        "report", "partnership", "--id", "999", "--from", "2026-10-01", "--to", "2026-12-31"])

    assert result.exit_code != 0 and "999" in result.output


@pytest.mark.parametrize("report", ["figures", "trend", "response-times", "experts", "figures.csv",
                                    "charts/trend.png"])
def test_period_at_the_edge_of_the_calendar_is_422_naming_the_field(client, users, report):
    resp = _get(client, users["admin"], f"{report}?from=0001-01-01&to=9999-12-31")

    assert resp.status_code == 422
    assert resp.mimetype == "application/problem+json"
    assert "from" in resp.get_json()["errors"] and "to" in resp.get_json()["errors"]
