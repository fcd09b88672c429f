from app.accounts.models import Role
from tests.factories import token_headers

HOSPITAL = {"code": "BD-NEW", "name": "新县医院", "tier": "grassroots", "region": "河北省保定市",
            "timezone": "Asia/Shanghai", "latitude": 38.9, "longitude": 115.5}


def test_admin_creates_and_edits_a_hospital(client, make):
    headers = token_headers(make.user(Role.admin))

    created = client.post("/api/v1/hospitals", json=HOSPITAL, headers=headers)
    hospital_id = created.get_json()["id"]
    edited = client.patch(f"/api/v1/hospitals/{hospital_id}", json={"name": "新县人民医院"}, headers=headers)

    assert created.status_code == 201
    assert edited.status_code == 200
    assert client.get(f"/api/v1/hospitals/{hospital_id}", headers=headers).get_json()["name"] == "新县人民医院"


def test_county_doctor_cannot_edit_a_hospital(client, make):
    doctor = make.user(Role.county_doctor)
    headers = token_headers(doctor)

    resp = client.patch(f"/api/v1/hospitals/{doctor.hospital_id}", json={"name": "x"}, headers=headers)

    assert resp.status_code == 403
    assert resp.mimetype == "application/problem+json"
    assert client.get(f"/api/v1/hospitals/{doctor.hospital_id}", headers=headers).get_json()["name"] != "x"


def test_bad_hospital_payload_is_422_naming_each_field(client, make):
    headers = token_headers(make.user(Role.admin))
    bad = {**HOSPITAL, "timezone": "Mars/Olympus", "latitude": 123}
    del bad["name"]

    resp = client.post("/api/v1/hospitals", json=bad, headers=headers)

    assert resp.status_code == 422
    body = resp.get_json()
    assert resp.mimetype == "application/problem+json"
    assert set(body["errors"]) == {"name", "timezone", "latitude"}
    assert {p["name"] for p in body["invalid_params"]} == {"name", "timezone", "latitude"}


def test_unknown_ids_are_404_problems(client, make):
    headers = token_headers(make.user(Role.admin))

    for path in ("/api/v1/hospitals/9999", "/api/v1/experts/9999", "/api/v1/partnerships/9999"):
        resp = client.get(path, headers=headers)
        assert resp.status_code == 404, path
        assert resp.mimetype == "application/problem+json"
        assert "9999" in resp.get_json()["detail"]


def test_duplicate_hospital_code_is_409(client, make):
    headers = token_headers(make.user(Role.admin))
    assert client.post("/api/v1/hospitals", json=HOSPITAL, headers=headers).status_code == 201

    resp = client.post("/api/v1/hospitals", json=HOSPITAL, headers=headers)

    assert resp.status_code == 409
    assert resp.get_json()["title"] == "Conflict"
    assert "BD-NEW" in resp.get_json()["detail"]


def test_hospital_list_is_paginated_and_filtered(client, make):
    headers = token_headers(make.user(Role.admin, hospital=make.hospital()))
    for _ in range(3):
        make.county_hospital()
    make.token_headers(make.user(Role.admin))

    page = client.get("/api/v1/hospitals?tier=grassroots&per_page=2&page=2", headers=headers).get_json()

    assert page["total"] == 3
    assert page["page"] == 2 and len(page["items"]) == 1
    assert all(h["tier"] == "grassroots" for h in page["items"])
    assert client.get("/api/v1/hospitals?per_page=1000", headers=headers).status_code == 422


def test_partnership_needs_right_tiers_and_known_specialties(client, make):
    headers = token_headers(make.user(Role.admin))
    county, city = make.county_hospital(), make.hospital()
    cardiology = make.specialty("cardiology")
    make.token_headers(make.user(Role.admin))
    body = {"grassroots_hospital_id": county.id, "tertiary_hospital_id": city.id,
            "specialty_codes": [cardiology.code], "valid_from": "2026-01-01", "valid_to": "2029-01-01"}

    swapped = client.post("/api/v1/partnerships", headers=headers, json={
        **body, "grassroots_hospital_id": city.id, "tertiary_hospital_id": county.id})
    unknown = client.post("/api/v1/partnerships", headers=headers, json={**body, "specialty_codes": ["astrology"]})
    backwards = client.post("/api/v1/partnerships", headers=headers, json={**body, "valid_to": "2025-01-01"})
    created = client.post("/api/v1/partnerships", headers=headers, json=body)
    overlapping = client.post("/api/v1/partnerships", headers=headers, json=body)

    assert swapped.status_code == 422 and "grassroots_hospital_id" in swapped.get_json()["errors"]
    assert unknown.status_code == 422 and "astrology" in unknown.get_json()["errors"]["specialty_codes"][0]
    assert backwards.status_code == 422 and "valid_to" in backwards.get_json()["errors"]
    assert created.status_code == 201
    assert [s["code"] for s in created.get_json()["specialties"]] == ["cardiology"]
    assert overlapping.status_code == 409


def test_county_doctor_sees_only_own_hospitals_partnerships(client, make):
    spec = make.specialty()
    city = make.hospital()
    mine, other = make.county_hospital(), make.county_hospital()
    own = make.partnership(mine, city, [spec])
    foreign = make.partnership(other, city, [spec])
    headers = token_headers(make.user(Role.county_doctor, hospital=mine))

    listed = client.get("/api/v1/partnerships", headers=headers).get_json()

    assert [p["id"] for p in listed["items"]] == [own.id]
    assert client.get(f"/api/v1/partnerships/{foreign.id}", headers=headers).status_code == 403


def test_scheduler_of_hospital_a_cannot_edit_experts_of_hospital_b(client, make):
    hospital_a, hospital_b = make.hospital(), make.hospital()
    expert_a, expert_b = make.expert(hospital=hospital_a), make.expert(hospital=hospital_b)
    headers = token_headers(make.user(Role.scheduler, hospital=hospital_a))

    other = client.patch(f"/api/v1/experts/{expert_b.id}", json={"daily_cap": 9}, headers=headers)
    own = client.patch(f"/api/v1/experts/{expert_a.id}", json={"daily_cap": 9}, headers=headers)

    assert other.status_code == 403
    assert own.status_code == 200 and own.get_json()["daily_cap"] == 9
    assert client.get(f"/api/v1/experts/{expert_b.id}", headers=headers).get_json()["daily_cap"] == 4


def test_expert_edits_own_languages_but_not_own_daily_cap(client, make):
    expert = make.expert()
    headers = token_headers(expert.user)

    languages = client.patch(f"/api/v1/experts/{expert.id}", json={"languages": ["zh-CN", "en"]}, headers=headers)
    cap = client.patch(f"/api/v1/experts/{expert.id}", json={"daily_cap": 20}, headers=headers)

    assert languages.status_code == 200
    assert cap.status_code == 403 and "daily_cap" in cap.get_json()["detail"]


def test_scheduler_creates_expert_profile_for_own_hospital_user(client, make):
    hospital = make.hospital()
    cardiology = make.specialty("cardiology")
    expert_user = make.user(Role.expert, hospital=hospital)
    foreign_user = make.user(Role.expert, hospital=make.hospital())
    headers = token_headers(make.user(Role.scheduler, hospital=hospital))
    body = {"title": "chief_physician", "specialty_codes": ["cardiology"], "accepts_onsite": True}

    created = client.post("/api/v1/experts", json={**body, "user_id": expert_user.id}, headers=headers)
    foreign = client.post("/api/v1/experts", json={**body, "user_id": foreign_user.id}, headers=headers)
    twice = client.post("/api/v1/experts", json={**body, "user_id": expert_user.id}, headers=headers)
    no_mode = client.post("/api/v1/experts", headers=headers, json={
        **body, "user_id": expert_user.id, "accepts_onsite": False, "accepts_remote": False})

    assert created.status_code == 201 and created.get_json()["specialties"][0]["code"] == cardiology.code
    assert foreign.status_code == 403
    assert twice.status_code == 409
    assert no_mode.status_code == 422 and "accepts_remote" in no_mode.get_json()["errors"]


def test_experts_filter_by_specialty_and_mode(client, make):
    cardio, neuro = make.specialty("cardiology"), make.specialty("neurology")
    remote_cardio = make.expert(specialties=[cardio], accepts_onsite=False)
    onsite_cardio = make.expert(specialties=[cardio], accepts_onsite=True)
    make.expert(specialties=[neuro])
    headers = token_headers(make.user(Role.county_doctor))

    def ids(query):
        return {e["id"] for e in client.get(f"/api/v1/experts?{query}", headers=headers).get_json()["items"]}

    cardio_ids, onsite_ids = ids("specialty=cardiology"), ids("specialty=cardiology&mode=onsite")

    assert cardio_ids == {remote_cardio.id, onsite_cardio.id}
    assert onsite_ids == {onsite_cardio.id}


def test_only_admin_creates_specialties(client, make):
    body = {"code": "geriatrics", "name_zh": "老年医学科", "name_en": "Geriatrics"}
    scheduler = token_headers(make.user(Role.scheduler))
    admin = token_headers(make.user(Role.admin))

    assert client.post("/api/v1/specialties", json=body, headers=scheduler).status_code == 403
    assert client.post("/api/v1/specialties", json=body, headers=admin).status_code == 201
    assert client.post("/api/v1/specialties", json={**body, "code": "Bad Code"}, headers=admin).status_code == 422
