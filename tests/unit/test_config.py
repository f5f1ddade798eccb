"""Configuration resolves in one documented order and fails early, without I/O."""

import json
import pickle

import pytest

import vi
from vi.config import ENV_ENDPOINT, ENV_ORGANIZATION_ID, ENV_SECRET_KEY, Secret, Timeout, resolve_config
from vi.errors import ViConfigurationError, ViErrorCode
from vi.retry import RetryConfig

KEY = "dtvi_" + "k" * 98


def resolve(environ=None, **kwargs):
    args = dict(
        secret_key=None,
        organization_id=None,
        config_file=None,
        endpoint=None,
        timeout=None,
        max_retries=None,
        retry_config=None,
        max_connections=100,
        max_keepalive_connections=20,
        user_agent="ua",
    )
    args.update(kwargs)
    return resolve_config(environ=environ or {}, **args)


def test_argument_beats_environment_beats_file(tmp_path):
    path = tmp_path / "cfg.json"
    path.write_text(
        json.dumps({"secret_key": "file-key", "organization_id": "file-org", "endpoint": "http://f"})
    )
    env = {ENV_SECRET_KEY: "env-key", ENV_ORGANIZATION_ID: "env-org"}
    cfg = resolve(env, secret_key="arg-key", config_file=str(path))
    assert cfg.secret_key.reveal() == "arg-key"
    assert cfg.organization_id == "env-org"
    assert cfg.endpoint == "http://f"
    assert cfg.config_file == str(path.resolve())


def test_environment_endpoint_and_default():
    assert resolve({ENV_SECRET_KEY: "k1", ENV_ORGANIZATION_ID: "o"}).endpoint == "https://api.vi.datature.com"
    cfg = resolve({ENV_SECRET_KEY: "k1", ENV_ORGANIZATION_ID: "o", ENV_ENDPOINT: "http://127.0.0.1:9/api/"})
    assert cfg.endpoint == "http://127.0.0.1:9/api"  # path prefix kept, trailing slash dropped


@pytest.mark.parametrize(
    "kwargs, fragment, code",
    [
        ({"organization_id": "o"}, "secret key is required", ViErrorCode.MISSING_REQUIRED_FIELD),
        ({"secret_key": KEY}, "organization id is required", ViErrorCode.MISSING_REQUIRED_FIELD),
        ({"secret_key": "  ", "organization_id": "o"}, "blank", ViErrorCode.INVALID_PARAMETER),
        ({"secret_key": "a b", "organization_id": "o"}, "printable ASCII", ViErrorCode.INVALID_PARAMETER),
        ({"secret_key": 5, "organization_id": "o"}, "must be a string", ViErrorCode.INVALID_PARAMETER),
        ({"secret_key": KEY, "organization_id": "../x"}, "organization_id", ViErrorCode.INVALID_PARAMETER),
        ({"secret_key": KEY, "organization_id": ".."}, "organization_id", ViErrorCode.INVALID_PARAMETER),
        (
            {"secret_key": KEY, "organization_id": "o", "endpoint": "ftp://x"},
            "http://",
            ViErrorCode.INVALID_PARAMETER,
        ),
        (
            {"secret_key": KEY, "organization_id": "o", "endpoint": "http://"},
            "no host",
            ViErrorCode.INVALID_PARAMETER,
        ),
        (
            {"secret_key": KEY, "organization_id": "o", "endpoint": "http://u:p@h"},
            "credentials",
            ViErrorCode.INVALID_PARAMETER,
        ),
        (
            {"secret_key": KEY, "organization_id": "o", "max_connections": 0},
            "max_connections",
            ViErrorCode.INVALID_PARAMETER,
        ),
        (
            {"secret_key": KEY, "organization_id": "o", "max_keepalive_connections": -1},
            "max_keepalive",
            ViErrorCode.INVALID_PARAMETER,
        ),
        (
            {"secret_key": KEY, "organization_id": "o", "max_connections": 2.5},
            "integer",
            ViErrorCode.INVALID_PARAMETER,
        ),
        (
            {"secret_key": KEY, "organization_id": "o", "timeout": -1},
            "positive",
            ViErrorCode.INVALID_PARAMETER,
        ),
        (
            {"secret_key": KEY, "organization_id": "o", "timeout": "soon"},
            "timeout",
            ViErrorCode.INVALID_PARAMETER,
        ),
        (
            {"secret_key": KEY, "organization_id": "o", "max_retries": -1},
            "max_retries",
            ViErrorCode.INVALID_PARAMETER,
        ),
        (
            {"secret_key": KEY, "organization_id": "o", "retry_config": {"max_retries": 1}},
            "RetryConfig",
            ViErrorCode.INVALID_PARAMETER,
        ),
    ],
)
def test_invalid_values_name_the_problem(kwargs, fragment, code):
    with pytest.raises(ViConfigurationError) as info:
        resolve(**kwargs)
    assert fragment.lower() in info.value.message.lower()
    assert info.value.error_code == code


def test_secret_never_echoed_in_errors():
    with pytest.raises(ViConfigurationError) as info:
        resolve(secret_key="dtvi_secret value", organization_id="o")
    assert "secret value" not in str(info.value)


def test_config_file_errors(tmp_path):
    with pytest.raises(ViConfigurationError, match="Config file not found"):
        resolve(config_file=str(tmp_path / "missing.json"))
    bad = tmp_path / "bad.json"
    bad.write_text("{nope")
    with pytest.raises(ViConfigurationError, match="Invalid JSON"):
        resolve(config_file=str(bad))
    arr = tmp_path / "arr.json"
    arr.write_text("[]")
    with pytest.raises(ViConfigurationError, match="JSON object"):
        resolve(config_file=str(arr))


def test_zero_retries_means_zero():
    assert resolve(secret_key=KEY, organization_id="o", max_retries=0).retry.max_retries == 0
    rc = RetryConfig(max_retries=7)
    assert resolve(secret_key=KEY, organization_id="o", max_retries=1, retry_config=rc).retry is rc


def test_keepalive_is_capped_by_max_connections():
    cfg = resolve(secret_key=KEY, organization_id="o", max_connections=4)
    assert (cfg.max_connections, cfg.max_keepalive_connections) == (4, 4)


def test_timeout_forms():
    assert Timeout.coerce(None) == Timeout(60, 300, 60)
    assert Timeout.coerce(5) == Timeout(5, 5, 5)
    assert Timeout.coerce((1, 2)).as_requests() == (1.0, 2.0)


def test_secret_masked_and_not_picklable():
    secret = Secret(KEY)
    assert KEY not in repr(secret) and KEY not in str(secret)
    with pytest.raises(TypeError):
        pickle.dumps(secret)
    cfg = resolve(secret_key=KEY, organization_id="o")
    assert KEY not in repr(cfg)


def test_client_construction_makes_no_network_call(monkeypatch):
    import requests

    def boom(*a, **k):  # pragma: no cover - reaching this is the failure
        raise AssertionError("network call during construction")

    monkeypatch.setattr(requests.Session, "send", boom)
    monkeypatch.delenv(ENV_ENDPOINT, raising=False)
    client = vi.Client(secret_key=KEY, organization_id="org")
    assert client.endpoint == "https://api.vi.datature.com"
    assert KEY not in repr(client)
    client.close()


def test_client_rejects_bad_arguments_before_io(monkeypatch):
    monkeypatch.delenv(ENV_SECRET_KEY, raising=False)
    monkeypatch.delenv(ENV_ORGANIZATION_ID, raising=False)
    with pytest.raises(ViConfigurationError):
        vi.Client(organization_id="org")
    with pytest.raises(ViConfigurationError):
        vi.Client(secret_key=KEY, organization_id="org", logging_config={"level": "DEBUG"})
    with pytest.raises(ViConfigurationError):
        vi.Client(secret_key=KEY, organization_id="org", adapters={"http://x": object()})
