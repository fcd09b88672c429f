from app.accounts.models import Role
from tests.factories import PASSWORD, token_headers


def _login(client, email, password):
    return client.post("/api/v1/auth/login", json={"email": email, "password": password})


def test_login_with_good_password_returns_token_that_opens_me(client, make):
    doctor = make.user(Role.county_doctor, email="doc@example.test")
    make.token_headers(doctor)  # commit

    resp = _login(client, "doc@example.test", PASSWORD)

    assert resp.status_code == 200
    body = resp.get_json()
    assert body["token_type"] == "Bearer"
    me = client.get("/api/v1/me", headers={"Authorization": f"Bearer {body['access_token']}"})
    assert me.status_code == 200
    assert me.get_json()["email"] == "doc@example.test"
    assert me.get_json()["role"] == "county_doctor"


def test_login_email_is_case_insensitive(client, make):
    make.token_headers(make.user(email="mixed@example.test"))
    assert _login(client, "Mixed@Example.test", PASSWORD).status_code == 200


def test_bad_password_is_401_problem_without_revealing_which_part(client, make):
    make.token_headers(make.user(email="doc@example.test"))

    wrong_password = _login(client, "doc@example.test", "not the password")
    unknown_email = _login(client, "nobody@example.test", PASSWORD)

    assert wrong_password.status_code == unknown_email.status_code == 401
    assert wrong_password.mimetype == "application/problem+json"
    assert wrong_password.get_json()["detail"] == unknown_email.get_json()["detail"]


def test_expired_token_is_refused_with_a_reason(client, make, clock, app):
    headers = token_headers(make.user())
    assert client.get("/api/v1/me", headers=headers).status_code == 200

    clock.advance(seconds=app.config["TOKEN_TTL_SECONDS"] + 1)
    resp = client.get("/api/v1/me", headers=headers)

    assert resp.status_code == 401
    assert "expired" in resp.get_json()["detail"]


def test_tampered_or_missing_token_is_401(client, make):
    headers = token_headers(make.user())
    tampered = {"Authorization": headers["Authorization"][:-2] + "xx"}

    assert client.get("/api/v1/me", headers=tampered).status_code == 401
    assert client.get("/api/v1/me").status_code == 401
    assert client.get("/api/v1/me", headers={"Authorization": "Basic abc"}).status_code == 401


def test_password_change_revokes_existing_tokens(client, make):
    user = make.user()
    headers = token_headers(user)
    user.token_version += 1
    make.token_headers(user)  # commit

    assert client.get("/api/v1/me", headers=headers).status_code == 401


def test_deactivated_user_cannot_log_in_or_use_token(client, make):
    user = make.user(email="gone@example.test")
    headers = token_headers(user)
    user.is_active = False
    make.token_headers(user)

    assert _login(client, "gone@example.test", PASSWORD).status_code == 401
    assert client.get("/api/v1/me", headers=headers).status_code == 401


def test_session_cookie_works_for_reads_and_needs_csrf_for_changes(client, make):
    admin = make.user(Role.admin, email="admin@example.test")
    make.token_headers(admin)
    csrf = _login(client, "admin@example.test", PASSWORD).get_json()["csrf_token"]
    payload = {"code": "cardio2", "name_zh": "心内二科", "name_en": "Cardiology II"}

    assert client.get("/api/v1/me").status_code == 200  # cookie only
    assert client.post("/api/v1/specialties", json=payload).status_code == 403
    assert client.post("/api/v1/specialties", json=payload, headers={"X-CSRF-Token": csrf}).status_code == 201

    client.post("/api/v1/auth/logout")
    assert client.get("/api/v1/me").status_code == 401


def test_admin_creates_user_and_role_must_fit_hospital_tier(client, make):
    admin = make.user(Role.admin)
    county = make.county_hospital()
    headers = token_headers(admin)
    body = {"email": "new@example.test", "display_name": "新医生", "role": "expert",
            "hospital_id": county.id, "password": "long enough password"}

    wrong_tier = client.post("/api/v1/users", json=body, headers=headers)
    ok = client.post("/api/v1/users", json={**body, "role": "county_doctor"}, headers=headers)
    again = client.post("/api/v1/users", json={**body, "role": "county_doctor"}, headers=headers)

    assert wrong_tier.status_code == 422 and "role" in wrong_tier.get_json()["errors"]
    assert ok.status_code == 201
    assert again.status_code == 409


def test_scheduler_lists_only_own_hospital_users(client, make):
    hospital_a, hospital_b = make.hospital(), make.hospital()
    scheduler = make.user(Role.scheduler, hospital=hospital_a)
    make.user(Role.expert, hospital=hospital_a)
    make.user(Role.expert, hospital=hospital_b)
    headers = token_headers(scheduler)

    resp = client.get(f"/api/v1/users?hospital_id={hospital_b.id}", headers=headers)

    assert resp.status_code == 200
    assert {u["hospital_id"] for u in resp.get_json()["items"]} == {hospital_a.id}
    assert resp.get_json()["total"] == 2


def test_county_doctor_cannot_list_or_create_users(client, make):
    headers = token_headers(make.user(Role.county_doctor))
    assert client.get("/api/v1/users", headers=headers).status_code == 403
