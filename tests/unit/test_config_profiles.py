"""Named profiles in the config file: the SDK and the command line read them the same way."""

import json
import os
import pickle
import stat

import pytest

import vi
from vi.config import (
    ENV_PROFILE,
    config_sources,
    profile_names,
    read_profile,
    resolve_config,
    write_profile,
)

KEY_A = "key-aaaaaaaaaaaaaaaa"
KEY_B = "key-bbbbbbbbbbbbbbbb"


def _resolve(path, profile=None, environ=None, **kw):
    return resolve_config(
        secret_key=kw.get("secret_key"),
        organization_id=kw.get("organization_id"),
        config_file=path,
        endpoint=None,
        timeout=None,
        max_retries=None,
        retry_config=None,
        max_connections=10,
        max_keepalive_connections=10,
        user_agent="t",
        environ=environ or {},
        profile=profile,
    )


@pytest.fixture
def config_file(tmp_path):
    path = tmp_path / "config.json"
    path.write_text(
        json.dumps(
            {
                "secret_key": KEY_A,
                "organization_id": "org-a",
                "profiles": {"staging": {"secret_key": KEY_B, "organization_id": "org-b"}},
            }
        )
    )
    return path


def test_a_flat_file_written_before_profiles_is_the_default_profile(tmp_path):
    path = tmp_path / "old.json"
    path.write_text(json.dumps({"secret_key": KEY_A, "organization_id": "org-a", "endpoint": "http://h"}))
    config = _resolve(path)
    assert (config.organization_id, config.endpoint, config.profile) == ("org-a", "http://h", "default")


def test_profile_argument_then_environment_then_default(config_file):
    assert _resolve(config_file).organization_id == "org-a"
    assert _resolve(config_file, environ={ENV_PROFILE: "staging"}).organization_id == "org-b"
    assert (
        _resolve(config_file, profile="default", environ={ENV_PROFILE: "staging"}).organization_id == "org-a"
    )
    assert _resolve(config_file, profile="staging").secret_key.reveal() == KEY_B


def test_environment_variables_still_win_over_the_profile(config_file):
    env = {ENV_PROFILE: "staging", "DATATURE_VI_ORGANIZATION_ID": "org-env"}
    config = _resolve(config_file, environ=env)
    assert (config.organization_id, config.secret_key.reveal()) == ("org-env", KEY_B)


def test_unknown_profile_names_the_known_ones(config_file):
    with pytest.raises(vi.ViConfigurationError, match="'prod'.*default, staging"):
        _resolve(config_file, profile="prod")


def test_profile_without_a_file_is_refused_but_the_variable_alone_is_ignored():
    with pytest.raises(vi.ViConfigurationError, match="needs a config_file"):
        _resolve(None, profile="staging", secret_key=KEY_A, organization_id="o")
    assert _resolve(None, environ={ENV_PROFILE: "x"}, secret_key=KEY_A, organization_id="o").profile is None


@pytest.mark.parametrize(
    "data", [{"profiles": []}, {"profiles": {"x": 1}}, {"profiles": {"default": {"secret_key": KEY_A}}}]
)
def test_malformed_profiles_section(tmp_path, data):
    path = tmp_path / "c.json"
    path.write_text(json.dumps(data))
    with pytest.raises(vi.ViConfigurationError, match="profiles"):
        read_profile(path, "x")


def test_write_profile_keeps_other_profiles_and_is_owner_only(config_file):
    write_profile(config_file, "prod", {"secret_key": "key-cccccccccccccc", "organization_id": "org-c"})
    write_profile(config_file, "default", {"endpoint": "http://127.0.0.1:1", "secret_key": None})
    data = json.loads(config_file.read_text())
    assert profile_names(data) == ["default", "staging", "prod"]
    assert data["secret_key"] == KEY_A and data["endpoint"] == "http://127.0.0.1:1"
    assert read_profile(config_file, "prod")[2]["organization_id"] == "org-c"
    if os.name == "posix":
        assert stat.S_IMODE(os.stat(config_file).st_mode) == 0o600
    assert [p.name for p in config_file.parent.iterdir()] == ["config.json"]  # no temp file left


def test_write_profile_refuses_invalid_values_and_leaves_the_file(config_file):
    before = config_file.read_text()
    with pytest.raises(vi.ViConfigurationError):
        write_profile(config_file, "prod", {"organization_id": "bad/org"})
    with pytest.raises(vi.ViConfigurationError, match="profile must"):
        write_profile(config_file, "../x", {"organization_id": "o"})
    assert config_file.read_text() == before


def test_config_sources_never_return_values(config_file):
    sources = config_sources(
        config_file=config_file, profile="staging", environ={"DATATURE_VI_API_ENDPOINT": "x"}
    )
    assert sources["secret_key"].startswith("config file ") and "(profile staging)" in sources["secret_key"]
    assert sources["endpoint"] == "DATATURE_VI_API_ENDPOINT"
    assert KEY_B not in repr(sources)
    assert config_sources(secret_key=KEY_A, environ={})["organization_id"] == "missing"


def test_client_with_a_profile_unpickles_with_that_profiles_secret(config_file, monkeypatch):
    monkeypatch.delenv("DATATURE_VI_SECRET_KEY", raising=False)
    with vi.Client(config_file=config_file, profile="staging", endpoint="http://127.0.0.1:9") as client:
        clone = pickle.loads(pickle.dumps(client))
        try:
            assert clone._config.secret_key.reveal() == KEY_B
            assert clone._config.organization_id == "org-b"
        finally:
            clone.close()
