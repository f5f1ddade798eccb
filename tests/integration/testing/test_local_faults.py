"""Fault injection, over real sockets and in-process (every test runs on both)."""

import time

import pytest
import requests
import urllib3

from vi.testing.faults import FaultInjector

IN_PROCESS_URL = "http://vi.local"


def test_status_fault_with_retry_after_is_consumed(api):
    rule = api.server.faults.add(status=429, retry_after=2)
    first = api.get(api.ws)
    assert first.status_code == 429
    assert first.headers["Retry-After"] == "2"
    assert "429" in first.json()["message"]
    assert api.get(api.ws).status_code == 200
    assert rule.hits == 1 and rule.remaining == 0


def test_fault_applies_before_auth(api):
    api.server.faults.add(status=503)
    response = api.session.get(api.ws, headers={"Authorization": None}, timeout=5)
    assert response.status_code == 503


def test_fault_times_and_forever(api):
    api.server.faults.add(status=500, times=2)
    assert [api.get(api.ws).status_code for _ in range(3)] == [500, 500, 200]
    api.server.faults.add(status=502, times=None)
    assert [api.get(api.ws).status_code for _ in range(4)] == [502] * 4
    api.server.faults.clear()
    assert api.get(api.ws).status_code == 200


def test_fault_matches_method_and_path_regex(api):
    api.server.faults.add(
        method="post", path=r"/datasets$", status=409, body={"error": "busy"}, headers={"X-A": "b"}
    )
    assert api.get(api.ws + "/datasets").status_code == 200
    assert api.get(api.ws).status_code == 200
    response = api.request("POST", api.ws + "/datasets", json={"name": "x"})
    assert response.status_code == 409
    assert response.json() == {"error": "busy"}
    assert response.headers["X-A"] == "b"


def test_rules_checked_in_order(api):
    api.server.faults.add(path="/runs", status=500)
    api.server.faults.add(status=503)
    assert api.get(api.ws + "/runs").status_code == 500
    assert api.get(api.ws + "/runs").status_code == 503
    assert api.get(api.ws + "/runs").status_code == 200


def test_text_and_bytes_bodies(api):
    api.server.faults.add(status=502, body="<html>bad gateway</html>")
    api.server.faults.add(status=500, body=b"\x00\x01")
    text = api.get(api.ws)
    assert text.text == "<html>bad gateway</html>"
    assert text.headers["Content-Type"].startswith("text/plain")
    assert api.get(api.ws).content == b"\x00\x01"


def test_latency_fault_delays_then_answers_normally(api):
    api.server.faults.add(latency=1.0)
    start = time.monotonic()
    response = api.get(api.ws)
    assert time.monotonic() - start >= 1.0
    assert response.status_code == 200
    start = time.monotonic()
    api.get(api.ws)
    assert time.monotonic() - start < 0.9  # the fault was used up: no second delay


def test_global_latency(api):
    api.server.faults.latency = 0.1
    start = time.monotonic()
    api.get(api.ws)
    api.get(api.ws)
    assert time.monotonic() - start >= 0.2
    api.server.reset()
    assert api.server.faults.latency == 0


def test_drop_raises_connection_error_then_recovers(api):
    api.server.faults.add(drop=True)
    with pytest.raises(requests.exceptions.ConnectionError):
        api.get(api.ws)
    assert api.get(api.ws).status_code == 200


def test_drop_on_reused_connection(api):
    assert api.get(api.ws).status_code == 200
    api.server.faults.add(drop=True)
    with pytest.raises(requests.exceptions.ConnectionError):
        api.get(api.ws)


TRANSPORT_ERRORS = (requests.exceptions.ChunkedEncodingError, requests.exceptions.ConnectionError)


def test_truncate_raises_when_body_is_read(api):
    api.server.faults.add(truncate=True)
    try:
        response = api.get(api.ws + "/datasets")
    except TRANSPORT_ERRORS:
        pass
    else:
        # urllib3 < 2 does not enforce Content-Length over sockets: the short body is all a client sees
        assert urllib3.__version__.startswith("1.") and api.base != IN_PROCESS_URL
        assert len(response.content) < int(response.headers["Content-Length"])
    assert api.get(api.ws + "/datasets").status_code == 200


def test_truncate_sends_full_length_then_half_the_body(api):
    full = len(api.get(api.ws + "/datasets").content)
    api.server.faults.add(truncate=True)
    response = api.get(api.ws + "/datasets", stream=True)
    assert response.status_code == 200
    assert int(response.headers["Content-Length"]) == full
    received = bytearray()
    try:
        while True:
            chunk = response.raw.read(1024)
            if not chunk:
                break
            received += chunk
    except (urllib3.exceptions.ProtocolError,) + TRANSPORT_ERRORS:
        pass
    assert full // 2 - 1024 <= len(received) <= full // 2


def test_probability_is_reproducible():
    def pattern(faults):
        faults.add(status=500, times=None, probability=0.5)
        return [faults.match("GET", "/x") is not None for _ in range(32)]

    faults = FaultInjector(seed=7)
    first = pattern(faults)
    faults.clear()
    assert pattern(faults) == first
    assert 0 < sum(first) < 32


def test_invalid_rules_are_rejected():
    faults = FaultInjector()
    with pytest.raises(ValueError):
        faults.add(status=42)
    with pytest.raises(ValueError):
        faults.add(probability=2)
    with pytest.raises(ValueError):
        faults.add(times=-1)
