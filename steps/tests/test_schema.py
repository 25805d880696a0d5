"""The OpenAPI schema is the contract the phone apps build against."""

import pytest

from pedometer_site.tests.testing import client_for, make_user


@pytest.mark.django_db
def test_every_steps_endpoint_is_in_the_schema_with_its_parameters_and_errors(api):
    paths = api.get("/api/schema/", {"format": "json"}).json()["paths"]
    expected = {
        "/api/v1/steps/sync": ("post", set()),
        "/api/v1/steps/days": ("get", {"from", "to"}),
        "/api/v1/steps/hours": ("get", {"date"}),
        "/api/v1/steps/summary": ("get", set()),
        "/api/v1/steps/users": ("get", {"ids", "date"}),
    }
    for path, (method, parameters) in expected.items():
        operation = paths[path][method]
        assert {p["name"] for p in operation.get("parameters", [])} == parameters, path
        assert {"200", "400", "401"} <= set(operation["responses"]), path
    sync_body = paths["/api/v1/steps/sync"]["post"]["requestBody"]["content"]["application/json"]["schema"]
    assert sync_body["$ref"].endswith("/SyncInputRequest")


@pytest.mark.django_db
def test_the_benchmark_baseline_endpoint_does_not_exist_unless_asked_for():
    response = client_for(make_user()).post(
        "/api/v1/bench/bare-upsert", {"date": "2026-11-25", "steps": 1}, format="json"
    )
    assert response.status_code == 404
