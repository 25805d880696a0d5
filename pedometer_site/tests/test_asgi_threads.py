"""Requests through the ASGI application reuse their threads: one request
at a time on each, its own user and its own database connection."""

import asyncio
import threading

import httpx
import pytest

from pedometer_site.asgi import django_asgi_app
from pedometer_site.tests.testing import signed_in

pytestmark = pytest.mark.django_db(transaction=True)


def client() -> httpx.AsyncClient:
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=django_asgi_app), base_url="https://testserver")


@pytest.mark.asyncio
async def test_requests_one_after_another_reuse_one_thread():
    before = threading.active_count()
    async with client() as http:
        for _ in range(20):
            assert (await http.get("/healthz")).status_code == 200
    assert threading.active_count() - before <= 1
    assert django_asgi_app.threads.idle >= 1


@pytest.mark.asyncio
async def test_concurrent_requests_each_see_only_their_own_user():
    signed = [await signed_in(display_name=f"Walker {n}") for n in range(12)]
    people, tokens = [user for user, _ in signed], [token for _, token in signed]
    async with client() as http:
        for _ in range(3):
            answers = await asyncio.gather(
                *(http.get("/api/v1/me", headers={"Authorization": f"Bearer {token}"}) for token in tokens)
            )
            assert [answer.json()["display_name"] for answer in answers] == [p.display_name for p in people]
    assert django_asgi_app.threads.idle <= django_asgi_app.threads.keep
