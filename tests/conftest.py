"""Shared fixtures: a local Vi server over real sockets on 127.0.0.1, and clients for it."""

import logging
import os
import re
from pathlib import Path

import pytest

import vi
from vi.testing import LocalViServer

# The interop suite drives the official client from its own virtualenv; only `tox -e interop`
# (which sets VI_INTEROP=1) collects it.
collect_ignore = [] if os.environ.get("VI_INTEROP") else ["interop"]

TESTS = Path(__file__).resolve().parent
#: one marker per top-level folder, so that ``pytest -m unit`` (seconds) or ``-m "not property"``
#: selects by kind without every module repeating it
KINDS = ("unit", "integration", "property", "docs", "interop")


def pytest_collection_modifyitems(items):
    for item in items:
        try:
            kind = Path(str(item.fspath)).resolve().relative_to(TESTS).parts[0]
        except ValueError:
            continue
        if kind in KINDS:
            item.add_marker(getattr(pytest.mark, kind))


AUDIT = bool(os.environ.get("VI_SECRET_AUDIT"))
# Every key the local server generates, the guide's placeholder, and anything after "Bearer".
SECRET_PATTERN = re.compile(r"dtvi_[A-Za-z0-9]{20,}|your-secret-key|Bearer (?!\[REDACTED\])\S{8,}")


@pytest.fixture(autouse=True)
def _no_vi_environment(monkeypatch):
    """Tests choose their credentials explicitly; a developer's environment must not leak in.

    Under the secret audit (``tox -e secrets``) the VI_LOG_* variables stay: the point is to run
    everything with DEBUG logging of headers and bodies switched on."""
    for name in ("DATATURE_VI_SECRET_KEY", "DATATURE_VI_ORGANIZATION_ID", "DATATURE_VI_API_ENDPOINT"):
        monkeypatch.delenv(name, raising=False)
    if not AUDIT:
        for name in ("VI_LOG_LEVEL", "VI_ENABLE_CONSOLE", "VI_ENABLE_FILE", "VI_LOG_FILE"):
            monkeypatch.delenv(name, raising=False)


class _AuditHandler(logging.Handler):
    def __init__(self):
        super().__init__(logging.DEBUG)
        self.leaks = []
        self.records = 0

    def emit(self, record):
        self.records += 1
        text = record.getMessage()
        if record.exc_info:
            text += logging.Formatter().formatException(record.exc_info)
        match = SECRET_PATTERN.search(text)
        if match:
            self.leaks.append("%s: %s" % (record.name, text[:300]))


@pytest.fixture(scope="session", autouse=True)
def _secret_audit():
    """With VI_SECRET_AUDIT=1, every log record of the whole run is checked for credentials."""
    if not AUDIT:
        yield
        return
    handler = _AuditHandler()
    root = logging.getLogger()
    root.addHandler(handler)
    previous = root.level
    root.setLevel(logging.DEBUG)
    logging.getLogger("vi").setLevel(logging.DEBUG)
    yield
    root.removeHandler(handler)
    root.setLevel(previous)
    assert handler.records > 1000, "the audit saw too few log records to mean anything"
    assert handler.leaks == [], "credentials reached the logs:\n" + "\n".join(handler.leaks[:20])


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
