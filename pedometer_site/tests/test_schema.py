"""The OpenAPI schema is the contract the mobile apps build against, and the
docs pages work with no CDN."""

import re
from html.parser import HTMLParser

import pytest
from drf_spectacular.validation import validate_schema

ERROR_REF = {"$ref": "#/components/schemas/Error"}
ENDPOINTS = {
    "/api/v1/auth/register": {"post"},
    "/api/v1/auth/login": {"post"},
    "/api/v1/auth/refresh": {"post"},
    "/api/v1/auth/logout": {"post"},
    "/api/v1/auth/firebase": {"post"},
    "/api/v1/me": {"get", "patch", "delete"},
    "/api/v1/me/password": {"post"},
    "/api/v1/devices": {"get", "post"},
    "/api/v1/devices/{device_id}": {"delete"},
}
PUBLIC = {
    "/api/v1/auth/register",
    "/api/v1/auth/login",
    "/api/v1/auth/refresh",
    "/api/v1/auth/logout",
    "/api/v1/auth/firebase",
}


@pytest.fixture
def schema(client) -> dict:
    response = client.get("/api/schema/", {"format": "json"})
    assert response.status_code == 200
    return response.json()


def operations(schema: dict):
    for path, item in schema["paths"].items():
        for method, operation in item.items():
            yield path, method, operation


@pytest.mark.django_db
def test_the_schema_is_valid_openapi_3(schema):
    assert schema["openapi"].startswith("3.")
    validate_schema(schema)  # raises on any violation of the OpenAPI 3 JSON schema


@pytest.mark.django_db
def test_the_schema_lists_every_auth_profile_and_devices_endpoint(schema):
    listed = {path: set(item) for path, item in schema["paths"].items() if path in ENDPOINTS}

    assert listed == ENDPOINTS


@pytest.mark.django_db
def test_every_operation_documents_the_error_shape(schema):
    error = schema["components"]["schemas"]["Error"]
    assert error["required"] == ["error"]
    assert set(error["properties"]["error"]["properties"]) >= {"code", "message", "fields", "retry_after"}
    for path, method, operation in operations(schema):
        for status in ("400", "401", "429"):
            content = operation["responses"][status]["content"]["application/json"]["schema"]
            assert content == ERROR_REF, (path, method, status)


@pytest.mark.django_db
def test_the_schema_names_the_success_statuses_and_conflicts(schema):
    paths = schema["paths"]
    assert "201" in paths["/api/v1/auth/register"]["post"]["responses"]
    assert "204" in paths["/api/v1/auth/logout"]["post"]["responses"]
    assert "204" in paths["/api/v1/me"]["delete"]["responses"]
    for path in ("/api/v1/auth/register", "/api/v1/auth/firebase"):
        conflict = paths[path]["post"]["responses"]["409"]
        assert conflict["content"]["application/json"]["schema"] == ERROR_REF


@pytest.mark.django_db
def test_sign_in_endpoints_are_open_and_the_rest_need_a_bearer_token(schema):
    assert schema["components"]["securitySchemes"]["jwtAuth"]["scheme"] == "bearer"
    for path, method, operation in operations(schema):
        if path not in ENDPOINTS:
            continue
        if path in PUBLIC:
            assert operation.get("security") in (None, [{}]), (path, method)
        else:
            assert operation["security"] == [{"jwtAuth": []}], (path, method)


@pytest.mark.django_db
def test_the_schema_never_exposes_the_integer_key(schema):
    user = schema["components"]["schemas"]["User"]
    assert user["properties"]["id"]["format"] == "uuid"
    assert "pk" not in user["properties"]


class _Assets(HTMLParser):
    """Every URL a page makes the browser load: scripts, stylesheets, icons."""

    def __init__(self) -> None:
        super().__init__()
        self.urls: list[str] = []

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "script" and attrs.get("src"):
            self.urls.append(attrs["src"])
        elif tag == "link" and attrs.get("href"):
            self.urls.append(attrs["href"])
        elif tag in ("img", "iframe") and attrs.get("src"):
            self.urls.append(attrs["src"])


@pytest.mark.django_db
@pytest.mark.parametrize("page", ["/api/docs/", "/api/redoc/"])
def test_the_docs_pages_load_only_local_assets_and_every_one_is_served(client, page):
    response = client.get(page)
    assert response.status_code == 200
    html = response.content.decode()
    parser = _Assets()
    parser.feed(html)

    assert parser.urls, "the page loads nothing?"
    assert not re.findall(r"https?://", html), "the page names another host"
    assert any(url.endswith(".js") for url in parser.urls)
    for url in parser.urls:
        assert url.startswith("/static/"), url
        asset = client.get(url)
        assert asset.status_code == 200, url
        body = b"".join(asset.streaming_content) if asset.streaming else asset.content
        assert len(body) > 100, url


@pytest.mark.django_db
def test_swagger_ui_points_at_our_schema(client):
    html = client.get("/api/docs/").content.decode()

    assert '"/api/schema/"' in html
    assert '"validatorUrl": null' in html


@pytest.mark.django_db
def test_deleting_the_account_documents_its_password_and_the_recent_sign_in_rule(schema):
    delete = schema["paths"]["/api/v1/me"]["delete"]
    body = delete["requestBody"]["content"]["application/json"]["schema"]["$ref"].rsplit("/", 1)[1]
    assert set(schema["components"]["schemas"][body]["properties"]) == {"password"}
    assert "recent_sign_in_required" in delete["responses"]["403"]["description"]
    login = schema["paths"]["/api/v1/auth/login"]["post"]
    assert "429" in login["responses"] and "Threat model" in login["description"]


def test_the_profile_documents_its_language_and_blank_following_the_browser(schema):
    components = schema["components"]["schemas"]
    for name in ("User", "PatchedProfileInputRequest"):
        language = components[name]["properties"]["language"]
        refs = {item["$ref"].rsplit("/", 1)[1] for item in language["oneOf"]}
        assert refs == {"LanguageEnum", "BlankEnum"}, name
        assert "Accept-Language" in language["description"]
    assert components["LanguageEnum"]["enum"] == ["en", "ko"]
    assert "Accept-Language" in schema["info"]["description"]
