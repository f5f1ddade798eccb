"""File names with percent-escapes, `+`, `#`, `?`, spaces and non-ASCII round-trip through the
client's upload and the local server: the signed storage path is decoded exactly once on each
side of the signature (a name like `%2e%2e.jpg` used to fail with 403)."""

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import vi
from vi.testing import LocalViServer
from vi.testing.pictures import png_bytes

PICTURE = png_bytes(3, 2, (1, 2, 3))
TRICKY = st.sampled_from(["%", "%2e", "%25", "%2F", "+", "#", "?", " ", "é", "名", "&", "=", ";", "~", "'"])
NAMES = (
    st.lists(st.one_of(TRICKY, st.text("abcXYZ09-_.", min_size=1, max_size=4)), min_size=1, max_size=6)
    .map(lambda parts: "".join(parts).strip(" .") + ".png")
    .filter(lambda name: name != ".png" and not name.startswith("."))
)


@pytest.fixture(scope="module")
def client():
    with LocalViServer(datasets=0, runs=0, operation_delay=0.0) as server:
        with vi.Client(
            secret_key=server.secret_key, organization_id=server.organization_id, endpoint=server.url
        ) as c:
            c.server = server
            yield c


@pytest.mark.parametrize("name", ["%2e%2e.jpg", "a+b c.png", "50%.png", "q?x#y.png", "été 名前.png"])
def test_known_tricky_names_upload(client, name):
    check_round_trip(client, [name])


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(names=st.lists(NAMES, min_size=1, max_size=3, unique=True))
def test_any_name_round_trips(client, names):
    check_round_trip(client, names)


def check_round_trip(client, names):
    dataset_id = client.datasets.create("names").dataset_id
    result = client.assets.upload(
        dataset_id, assets_bytes=[(n, PICTURE) for n in names], timeout=30, poll_interval=0.01
    )
    assert result.ok, result.failed
    assert sorted(result.succeeded) == sorted(names)
    server = client.server
    org = server.organization_id
    stored = {a["filename"]: a for a in server.store.list_assets(org, f"{org}_{dataset_id}", 0, 100).items}
    assert sorted(stored) == sorted(names)
    for name in names:
        assert server.store.asset_bytes(org, dataset_id, stored[name]["assetId"]) == PICTURE
        asset = client.assets.get(dataset_id, stored[name]["assetId"], contents=True)
        assert asset.filename == name
