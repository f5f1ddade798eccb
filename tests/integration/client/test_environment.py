"""Proxy and CA settings from the environment are honoured, read once per origin."""

import pytest

import vi
from vi.testing import LocalViServer
from vi.transport import EnvironmentSettings


def test_http_proxy_from_environment_is_used(monkeypatch, server):
    with LocalViServer(seed=False) as proxy:
        monkeypatch.setenv("HTTP_PROXY", proxy.url)
        monkeypatch.delenv("NO_PROXY", raising=False)
        monkeypatch.delenv("no_proxy", raising=False)
        with vi.Client(
            secret_key="k" * 8, organization_id="org", endpoint="http://vi-api.invalid", max_retries=0
        ) as client:
            with pytest.raises(vi.ViError):
                client.organizations.get()
        seen = [r for r in proxy.stats.requests if r.headers.get("Host") == "vi-api.invalid"]
        assert seen, "the request did not go through the proxy"
        assert seen[0].path.endswith("/workspaces/org")


def test_no_proxy_bypasses_the_proxy(monkeypatch, server):
    with LocalViServer(seed=False) as proxy:
        monkeypatch.setenv("HTTP_PROXY", proxy.url)
        monkeypatch.setenv("NO_PROXY", "127.0.0.1")
        with vi.Client(
            secret_key=server.secret_key, organization_id=server.organization_id, endpoint=server.url
        ) as client:
            assert client.organizations.get().organization_id == server.organization_id
        assert proxy.stats.request_count == 0


def test_ca_bundle_from_environment_and_explicit_verify(monkeypatch, tmp_path):
    bundle = tmp_path / "ca.pem"
    bundle.write_text("")
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", str(bundle))
    assert EnvironmentSettings(None).for_url("https://api.example/x")[1] == str(bundle)
    assert EnvironmentSettings(False).for_url("https://api.example/x")[1] is False
    monkeypatch.delenv("REQUESTS_CA_BUNDLE")
    monkeypatch.setenv("CURL_CA_BUNDLE", str(bundle))
    assert EnvironmentSettings(None).for_url("https://api.example/x")[1] == str(bundle)


def test_settings_are_read_once_per_origin(monkeypatch):
    monkeypatch.setenv("HTTPS_PROXY", "http://proxy-one:3128")
    settings = EnvironmentSettings(None)
    assert settings.for_url("https://api.example/a")[0]["https"] == "http://proxy-one:3128"
    monkeypatch.setenv("HTTPS_PROXY", "http://proxy-two:3128")
    assert settings.for_url("https://api.example/b")[0]["https"] == "http://proxy-one:3128"
    assert settings.for_url("https://other.example/")[0]["https"] == "http://proxy-two:3128"
