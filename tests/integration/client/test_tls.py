"""TLS against a local HTTPS front end with trustme certificates (loopback only).

The front end terminates TLS and relays each request to an in-process local Vi server, so the
client talks real HTTPS with real certificate checks and gets real protocol answers.
"""

import http.server
import ssl
import threading
import warnings

import pytest
import requests

import vi
from vi.testing import LocalViServer

trustme = pytest.importorskip("trustme")


class _Relay(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args):
        pass

    def _relay(self):
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else None
        headers = {k: v for k, v in self.headers.items() if k.lower() not in ("host", "content-length")}
        answer = self.server.session.request(
            self.command, "http://vi.local" + self.path, data=body, headers=headers
        )
        payload = answer.content
        self.send_response(answer.status_code)
        self.send_header("Content-Type", answer.headers.get("Content-Type", "application/json"))
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)
        self.server.peer_certs.append(self.connection.getpeercert())

    do_GET = do_POST = do_PATCH = do_PUT = do_DELETE = _relay


@pytest.fixture
def ca():
    return trustme.CA()


@pytest.fixture
def https(ca):
    """Yields a factory: https(require_client_cert=False) -> (url, local server, front end)."""
    started = []

    def start(require_client_cert=False):
        local = LocalViServer()
        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        ca.issue_cert("localhost", "127.0.0.1").configure_cert(context)
        if require_client_cert:
            context.verify_mode = ssl.CERT_REQUIRED
            ca.configure_trust(context)
        front = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Relay)
        front.daemon_threads = True
        front.socket = context.wrap_socket(front.socket, server_side=True)
        front.session = requests.Session()
        front.session.mount("http://vi.local/", local.adapter())
        front.peer_certs = []
        thread = threading.Thread(target=front.serve_forever, daemon=True)
        thread.start()
        started.append((front, thread))
        return "https://localhost:%d" % front.server_address[1], local, front

    yield start
    for front, thread in started:
        front.shutdown()
        front.server_close()
        thread.join(5)


def make(local, url, **kwargs):
    return vi.Client(
        secret_key=local.secret_key,
        organization_id=local.organization_id,
        endpoint=url,
        max_retries=0,
        **kwargs,
    )


def test_verification_is_on_by_default(https):
    url, local, _ = https()
    with make(local, url) as client:
        with pytest.raises(vi.ViNetworkError, match="TLS"):
            client.organizations.get()


def test_custom_ca_by_parameter(https, ca, tmp_path):
    url, local, _ = https()
    bundle = tmp_path / "ca.pem"
    ca.cert_pem.write_to_path(str(bundle))
    with make(local, url, verify=str(bundle)) as client:
        assert client.organizations.get().organization_id == local.organization_id


def test_custom_ca_by_environment(https, ca, tmp_path, monkeypatch):
    url, local, _ = https()
    bundle = tmp_path / "ca.pem"
    ca.cert_pem.write_to_path(str(bundle))
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", str(bundle))
    with make(local, url) as client:
        assert client.organizations.get().organization_id == local.organization_id


def test_client_certificate(https, ca, tmp_path):
    url, local, front = https(require_client_cert=True)
    bundle = tmp_path / "ca.pem"
    ca.cert_pem.write_to_path(str(bundle))
    leaf = ca.issue_cert("etl-worker@example.com")
    cert_file = tmp_path / "client.pem"
    key_file = tmp_path / "client.key"
    leaf.cert_chain_pems[0].write_to_path(str(cert_file))
    leaf.private_key_pem.write_to_path(str(key_file))
    with make(local, url, verify=str(bundle)) as client:
        with pytest.raises(vi.ViNetworkError):
            client.organizations.get()  # the server insists on a client certificate
    with make(local, url, verify=str(bundle), cert=(str(cert_file), str(key_file))) as client:
        assert client.organizations.get().organization_id == local.organization_id
    assert front.peer_certs and front.peer_certs[-1]


def test_verify_false_works_and_warns_once(https):
    url, local, _ = https()
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        with make(local, url, verify=False) as client:
            for _ in range(3):
                assert client.organizations.get().organization_id == local.organization_id
            client.datasets.list()
    relevant = [w for w in caught if "verif" in str(w.message).lower()]
    assert len(relevant) == 1 and issubclass(relevant[0].category, vi.ViInsecureWarning)


def test_missing_ca_or_cert_files_fail_at_construction(tmp_path):
    with pytest.raises(vi.ViConfigurationError, match="not found"):
        vi.Client(secret_key="k" * 8, organization_id="o", verify=str(tmp_path / "nope.pem"))
    with pytest.raises(vi.ViConfigurationError, match="not found"):
        vi.Client(secret_key="k" * 8, organization_id="o", cert=(str(tmp_path / "a"), str(tmp_path / "b")))
