import pytest

from .browsers import embedded_server


@pytest.fixture(scope="session")
def demo_server(tmp_path_factory):
    """`make run`'s setup, once a session: uvicorn on the embedded default
    (SQLite, no Redis) with seed_demo's data. Tests only read it, or write
    through its API what they then look for."""
    server = embedded_server(tmp_path_factory.mktemp("demo"), seed=True)
    try:
        yield server.url
    finally:
        server.stop()
