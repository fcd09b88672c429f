import pytest

from app import create_app


def test_openapi_document_lists_the_api(client):
    resp = client.get("/api/v1/openapi.json")

    assert resp.status_code == 200
    doc = resp.get_json()
    assert doc["info"]["title"].startswith("Huizhen")
    assert {"/api/v1/auth/login", "/api/v1/me", "/api/v1/hospitals", "/api/v1/experts"} <= set(doc["paths"])


def test_browsable_docs_load_swagger_ui_from_this_server(client):
    page = client.get("/api/v1/docs").get_data(as_text=True)

    assert "/vendor/swagger-ui-dist/swagger-ui-bundle.js" in page
    assert "cdn" not in page.lower()


def test_unknown_route_is_a_404_problem(client):
    resp = client.get("/api/v1/no-such-thing")

    assert resp.status_code == 404
    assert resp.mimetype == "application/problem+json"


def test_vendor_route_serves_only_listed_packages(client):
    assert client.get("/vendor/left-pad/index.js").status_code == 404


@pytest.mark.parametrize("secret", ["dev-insecure-change-me", "short"])
def test_production_refuses_to_start_with_default_or_weak_secret(secret):
    with pytest.raises(RuntimeError, match="SECRET_KEY"):
        create_app("production", SECRET_KEY=secret)
