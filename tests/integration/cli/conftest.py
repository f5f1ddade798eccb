"""Run the command line in a subprocess against a LocalViServer on 127.0.0.1 started here."""

import pytest

import vi
from tests.helpers.cli import Cli
from vi.testing import LocalViServer


@pytest.fixture(scope="module")
def server():
    with LocalViServer(operation_delay=0.05, datasets=4, assets_per_dataset=12, runs=2) as srv:
        yield srv


@pytest.fixture
def client(server):
    with vi.Client(
        secret_key=server.secret_key, organization_id=server.organization_id, endpoint=server.url
    ) as made:
        yield made


@pytest.fixture
def cli(server, tmp_path):
    home = tmp_path / "home"
    home.mkdir()
    return Cli(server, home)
