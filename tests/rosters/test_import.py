"""Bulk import of a department's rules: all or nothing, naming each bad line; --partial."""

import io

import sqlalchemy as sa

from app.accounts.models import Role
from app.extensions import db
from app.rosters.models import RosterRule
from tests.factories import token_headers

HEADER = "expert_email,weekdays,start_time,end_time,slot_minutes,mode,valid_from,valid_to,follows_official_calendar\n"


def _rules() -> int:
    db.session.rollback()  # a fresh transaction sees what the command committed
    return db.session.scalar(sa.select(sa.func.count()).select_from(RosterRule))


def _csv(experts, bad_line_3=True) -> str:
    a, b = experts
    rows = [
        f"{a.user.email},mon-fri,09:00,11:00,30,remote,2026-11-01,,true",
        f"{b.user.email},tue;thu,14:00,12:00,30,remote,2026-11-01,,true" if bad_line_3
        else f"{b.user.email},tue;thu,14:00,16:00,30,remote,2026-11-01,,true",
        f"{b.user.email},sat,08:00,10:00,60,remote,2026-11-01,2027-06-30,false",
        "nobody@example.test,mon,08:00,10:00,60,remote,2026-11-01,,true",
    ]
    return HEADER + "\n".join(rows) + "\n"


def _write(tmp_path, text):
    path = tmp_path / "rules.csv"
    path.write_text(text, encoding="utf-8")
    return str(path)


def test_cli_import_with_bad_rows_imports_nothing_and_names_each_line(app, make, beijing, tmp_path):
    experts = make.expert(hospital=beijing), make.expert(hospital=beijing)
    path = _write(tmp_path, _csv(experts))
    db.session.commit()

    result = app.test_cli_runner().invoke(args=["roster", "import", path])

    assert result.exit_code == 1
    assert "line 3: end_time: must be after start_time" in result.output
    assert "line 5: expert_email: no expert with e-mail 'nobody@example.test'" in result.output
    assert "Nothing imported" in result.output
    assert _rules() == 0


def test_cli_partial_imports_the_good_rows(app, make, beijing, tmp_path):
    experts = make.expert(hospital=beijing), make.expert(hospital=beijing)
    path = _write(tmp_path, _csv(experts))
    db.session.commit()

    result = app.test_cli_runner().invoke(args=["roster", "import", path, "--partial"])

    assert result.exit_code == 0, result.output
    assert "Imported 2 rule(s), skipped 2 bad row(s)" in result.output
    assert _rules() == 2


def test_cli_shows_a_progress_bar_for_a_large_file(app, make, beijing, tmp_path):
    expert = make.expert(hospital=beijing)
    rows = [f"{expert.user.email},mon,{h:02d}:00,{h:02d}:30,30,remote,2026-11-01,2026-11-30,false"
            for h in range(6, 22)] * 15
    db.session.commit()
    path = _write(tmp_path, HEADER + "\n".join(rows) + "\n")

    result = app.test_cli_runner().invoke(args=["roster", "import", path])

    assert result.exit_code == 0, result.output
    assert "checking and importing" in result.output
    assert _rules() == 240


def test_upload_with_a_bad_row_is_422_naming_the_line(client, make, beijing):
    experts = make.expert(hospital=beijing), make.expert(hospital=beijing)
    headers = token_headers(make.user(Role.scheduler, hospital=beijing))
    text = _csv(experts)

    refused = client.post("/api/v1/roster-rules/import", data=text, content_type="text/csv", headers=headers)
    partial = client.post("/api/v1/roster-rules/import?partial=true", headers=headers,
                          data={"file": (io.BytesIO(text.encode()), "rules.csv")},
                          content_type="multipart/form-data")

    assert refused.status_code == 422
    assert set(refused.get_json()["errors"]) == {"line 3", "line 5"}
    assert partial.status_code == 200
    assert partial.get_json()["imported"] == 2 and partial.get_json()["slots_created"] > 0
    assert [e["line"] for e in partial.get_json()["errors"]] == [3, 5]
    assert _rules() == 2


def test_upload_refuses_rows_for_another_hospitals_expert(client, make, beijing):
    mine, theirs = make.expert(hospital=beijing), make.expert(hospital=make.hospital())
    headers = token_headers(make.user(Role.scheduler, hospital=beijing))
    text = _csv((mine, theirs), bad_line_3=False)
    text = "\n".join(line for line in text.splitlines() if "nobody@" not in line) + "\n"

    resp = client.post("/api/v1/roster-rules/import", data=text, content_type="text/csv", headers=headers)

    assert resp.status_code == 422
    assert set(resp.get_json()["errors"]) == {"line 3", "line 4"}
    assert "may not" in resp.get_json()["errors"]["line 3"][0]
    assert _rules() == 0


def test_upload_without_a_file_is_422(client, make, beijing):
    headers = token_headers(make.user(Role.scheduler, hospital=beijing))

    resp = client.post("/api/v1/roster-rules/import", json={"x": 1}, headers=headers)

    assert resp.status_code == 422 and "file" in resp.get_json()["errors"]
