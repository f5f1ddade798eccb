"""Shared fixtures: a local Vi server over real sockets on 127.0.0.1, and clients for it."""
import os

import pytest

import vi
from vi.testing import LocalViServer

# The interop suite drives the official client from its own virtualenv; only `tox -e interop`
# (which sets VI_INTEROP=1) collects it.
collect_ignore = [] if os.environ.get("VI_INTEROP") else ["interop"]


@pytest.fixture(autouse=True)
def _no_vi_environment(monkeypatch):
    """Tests choose their credentials explicitly; a developer's environment must not leak in."""
    for name in ("DATATURE_VI_SECRET_KEY", "DATATURE_VI_ORGANIZATION_ID", "DATATURE_VI_API_ENDPOINT"):
        monkeypatch.delenv(name, raising=False)
    for name in ("VI_LOG_LEVEL", "VI_ENABLE_CONSOLE", "VI_ENABLE_FILE", "VI_LOG_FILE"):
        monkeypatch.delenv(name, raising=False)


@pytest.fixture
def server():
    with LocalViServer() as srv:
        yield srv


@pytest.fixture
def make_client(server):
    """Build clients for ``server`` (over sockets); every one is closed after the test."""
    made = []

    def make(**kwargs):
        kwargs.setdefault("secret_key", server.secret_key)
        kwargs.setdefault("organization_id", server.organization_id)
        kwargs.setdefault("endpoint", server.url)
        client = vi.Client(**kwargs)
        client._requester._sleep = lambda seconds: None  # retries without wall-clock waits
        made.append(client)
        return client

    yield make
    for client in made:
        client.close()


@pytest.fixture
def client(make_client):
    return make_client()
