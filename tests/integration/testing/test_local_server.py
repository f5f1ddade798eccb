"""The socket server itself: keep-alive, concurrency, statistics, shutdown, standalone entry point."""

import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time

import pytest
import requests

from tests.helpers import REPO_ROOT
from vi.testing import InProcessAdapter, LocalViServer


def auth_headers(server):
    return {"Authorization": "Bearer " + server.secret_key, "Organization-Id": server.organization_id}


def test_keep_alive_reuses_one_connection(server, session):
    server.reset()
    for _ in range(10):
        assert session.get(server.url + "/workspaces", timeout=5).status_code == 200
    assert server.stats.connections_opened == 1
    assert server.stats.request_count == 10
    assert server.stats.connections_open == 1


def test_requests_in_flight_with_latency_and_eight_threads(server):
    server.reset()
    server.faults.latency = 0.3
    barrier = threading.Barrier(8)
    statuses = []

    def worker():
        with requests.Session() as s:
            barrier.wait(timeout=5)
            statuses.append(
                s.get(server.url + "/workspaces", headers=auth_headers(server), timeout=5).status_code
            )

    threads = [threading.Thread(target=worker) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(5)
    assert statuses == [200] * 8
    assert server.stats.max_requests_in_flight == 8
    assert server.stats.requests_in_flight == 0
    assert server.stats.connections_opened == 8
    assert server.stats.max_connections_open == 8


def test_request_log_records_what_was_sent(server, session):
    server.reset()
    url = f"{server.url}/workspaces/{server.organization_id}/datasets"
    session.post(url + "?x=1", json={"name": "Logged"}, timeout=5)
    (record,) = server.stats.requests
    assert (record.method, record.path, record.query) == (
        "POST",
        f"/workspaces/{server.organization_id}/datasets",
        "x=1",
    )
    assert record.headers["authorization"] == "Bearer " + server.secret_key
    assert record.headers["Organization-Id"] == server.organization_id
    assert json.loads(record.body) == {"name": "Logged"}
    server.stats.reset()
    assert server.stats.requests == [] and server.stats.request_count == 0


def test_chunked_request_body(server, session):
    def chunks():
        yield b'{"name": '
        yield b'"Chunked dataset"}'

    url = f"{server.url}/workspaces/{server.organization_id}/datasets"
    response = session.post(url, data=chunks(), headers={"Content-Type": "application/json"}, timeout=5)
    assert response.status_code == 200, response.text
    assert response.json()["name"] == "Chunked dataset"
    assert server.stats.requests[-1].headers["Transfer-Encoding"] == "chunked"
    # the connection survives a chunked request
    assert session.get(server.url + "/workspaces", timeout=5).status_code == 200
    assert server.stats.connections_opened == 1


def test_raw_socket_http11_pipeline_and_content_length(server):
    request = (
        f"GET /workspaces HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {server.secret_key}\r\nOrganization-Id: {server.organization_id}\r\n\r\n"
    ).encode()
    host, port = server.url[len("http://") :].split(":")
    with socket.create_connection((host, int(port)), timeout=5) as sock:
        sock.sendall(request + request)
        data = b""
        while data.count(b"HTTP/1.1 200") < 2 or not data.endswith(b"}"):
            chunk = sock.recv(65536)
            assert chunk, "server closed a keep-alive connection"
            data += chunk
    assert data.count(b"Content-Length:") == 2


def test_truncate_fault_on_the_wire(server):
    server.faults.add(truncate=True)
    request = f"GET /workspaces HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {server.secret_key}\r\nOrganization-Id: {server.organization_id}\r\n\r\n"
    host, port = server.url[len("http://") :].split(":")
    with socket.create_connection((host, int(port)), timeout=5) as sock:
        sock.sendall(request.encode())
        data = b""
        while True:
            chunk = sock.recv(65536)
            if not chunk:
                break  # the server closed the connection
            data += chunk
    head, _, body = data.partition(b"\r\n\r\n")
    declared = int(head.lower().split(b"content-length:")[1].split(b"\r\n")[0])
    assert b"connection: close" not in head.lower()
    assert len(body) == declared // 2


def test_stop_leaves_no_threads_even_with_idle_and_busy_connections():
    before = set(threading.enumerate())
    server = LocalViServer(datasets=1, assets_per_dataset=1, runs=0).start()
    idle = requests.Session()
    idle.get(server.url + "/workspaces", headers=auth_headers(server), timeout=5)
    server.faults.add(path="/slow", latency=30)
    errors = []

    def slow():
        try:
            requests.get(server.url + "/slow", timeout=10)
        except requests.RequestException as exc:
            errors.append(exc)

    client = threading.Thread(target=slow)
    client.start()
    deadline = time.monotonic() + 2
    while server.stats.requests_in_flight == 0 and time.monotonic() < deadline:
        time.sleep(0.01)
    assert server.stats.connections_open == 2
    start = time.monotonic()
    server.stop()
    server.stop()  # idempotent
    assert time.monotonic() - start < 1.5
    client.join(5)
    idle.close()
    assert set(threading.enumerate()) - before == set()
    assert server.stats.connections_open == 0
    assert not server.running
    with pytest.raises(RuntimeError):
        _ = server.url


def test_restart_after_stop():
    server = LocalViServer(seed=False)
    with server:
        first = server.url
    with server:
        assert (
            requests.get(server.url + "/workspaces", headers=auth_headers(server), timeout=5).status_code
            == 200
        )
    assert first.startswith("http://127.0.0.1:")


def test_repr_hides_secret_and_default_credentials_shape():
    server = LocalViServer(seed=False)
    assert server.secret_key not in repr(server)
    assert server.secret_key.startswith("dtvi_") and len(server.secret_key) == 103
    assert len(server.organization_id) == 36 and server.organization_id.count("-") == 4
    assert LocalViServer(seed=False).secret_key != server.secret_key
    with server:
        assert server.secret_key not in repr(server)
        assert server.url in repr(server)


def test_explicit_credentials_and_sizes():
    server = LocalViServer(
        secret_key="sk",
        organization_id="org-1",
        datasets=3,
        assets_per_dataset=2,
        annotations_per_asset=0,
        runs=1,
    )
    with requests.Session() as s:
        s.mount("http://vi.local/", server.adapter())
        s.headers.update({"Authorization": "Bearer sk", "Organization-Id": "org-1"})
        org = s.get("http://vi.local/workspaces/org-1").json()
        assert len(org["datasets"]) == 3
        ds = s.get("http://vi.local/workspaces/org-1/datasets/" + org["datasets"][0]).json()
        assert ds["statistic"]["assetTotal"] == 2 and ds["statistic"]["annotationTotal"] == 0
        assert len(s.get("http://vi.local/workspaces/org-1/runs").json()["items"]) == 1


def test_adapter_response_is_a_real_streaming_response():
    server = LocalViServer(datasets=2)
    adapter = server.adapter()
    assert isinstance(adapter, InProcessAdapter)
    with requests.Session() as s:
        s.mount("http://vi.local/", adapter)
        url = f"http://vi.local/workspaces/{server.organization_id}/datasets"
        response = s.get(url, headers=auth_headers(server), stream=True)
        assert response.connection is adapter
        assert response.url == url
        assert response.request.method == "GET"
        assert response.headers["content-type"] == "application/json"
        first = response.raw.read(5)
        rest = b"".join(response.iter_content(7))
        assert json.loads(first + rest)["items"][0]["datasetId"].startswith(server.organization_id)
        assert server.stats.request_count == 1
        head = s.head(url, headers=auth_headers(server))
        assert head.status_code == 405 and head.content == b""
    adapter.close()


def test_module_entry_point_prints_connection_settings():
    env = dict(os.environ, PYTHONUNBUFFERED="1")
    root = str(REPO_ROOT)
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "vi.testing",
            "--port",
            "0",
            "--secret-key",
            "sk-cli",
            "--organization-id",
            "org-cli",
        ],
        cwd=root,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        lines = {}
        while "DATATURE_VI_ORGANIZATION_ID" not in lines:
            line = proc.stdout.readline()
            assert line, proc.stderr.read()
            if "=" in line:
                name, _, value = line.strip().replace("export ", "").partition("=")
                lines[name] = value
        assert lines["DATATURE_VI_SECRET_KEY"] == "sk-cli"
        url = lines["DATATURE_VI_API_ENDPOINT"]
        assert url.startswith("http://127.0.0.1:")
        headers = {"Authorization": "Bearer sk-cli", "Organization-Id": "org-cli"}
        assert requests.get(url + "/workspaces/org-cli", headers=headers, timeout=5).status_code == 200
    finally:
        proc.send_signal(signal.SIGINT)
        assert proc.wait(30) == 0  # generous: the machine may be busy
        proc.stdout.close()
        proc.stderr.close()
