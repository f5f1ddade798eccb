"""Fixtures for the vi.testing server tests: one fresh server per test, torn down afterwards."""

from typing import Iterator

import pytest
import requests

from vi.testing import LocalViServer

IN_PROCESS_URL = "http://vi.local"


def auth_headers(server: LocalViServer) -> dict:
    return {"Authorization": "Bearer " + server.secret_key, "Organization-Id": server.organization_id}


@pytest.fixture
def server() -> Iterator[LocalViServer]:
    with LocalViServer() as running:
        yield running


@pytest.fixture
def session(server: LocalViServer) -> Iterator[requests.Session]:
    with requests.Session() as s:
        s.headers.update(auth_headers(server))
        yield s


class Api:
    """A base URL plus a session that authenticates as the server's default credentials."""

    def __init__(self, server: LocalViServer, base: str, session: requests.Session) -> None:
        self.server = server
        self.base = base
        self.session = session
        self.org = server.organization_id
        self.ws = f"{base}/workspaces/{self.org}"

    def ds(self, dataset_id: str) -> str:
        return f"{self.ws}/datasets/{dataset_id}"

    def get(self, url: str, **kwargs) -> requests.Response:
        return self.session.get(url, timeout=5, **kwargs)

    def request(self, method: str, url: str, **kwargs) -> requests.Response:
        return self.session.request(method, url, timeout=5, **kwargs)

    def first_dataset_id(self) -> str:
        return self.get(self.ws + "/datasets", params={"s": 1}).json()["items"][0]["datasetId"]


@pytest.fixture(params=["sockets", "in-process"])
def api(request) -> Iterator[Api]:
    """The same API tests over real sockets and through InProcessAdapter."""
    srv = LocalViServer()
    with requests.Session() as s:
        s.headers.update(auth_headers(srv))
        if request.param == "sockets":
            srv.start()
            base = srv.url
        else:
            s.mount(IN_PROCESS_URL + "/", srv.adapter())
            base = IN_PROCESS_URL
        try:
            yield Api(srv, base, s)
        finally:
            s.close()
            srv.stop()
