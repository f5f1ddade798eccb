"""Exit codes for each failure class, one line on stderr with the SDK's suggestion, tracebacks
only with --debug, and never the secret."""

import http.server
import socket
import ssl
import threading

import pytest

from tests.helpers.cli import make_images
from vi.cli import exits


def _one_error_line(done, code):
    assert done.returncode == code, (done.returncode, done.stderr)
    lines = done.stderr.splitlines()
    assert len(lines) == 1 and lines[0].startswith("python -m vi: error: "), done.stderr
    assert "Traceback" not in done.stderr
    return lines[0]


def _closed_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_usage_errors_exit_2(cli):
    done = cli("datasets", "frob")
    assert done.returncode == exits.USAGE == 2 and "invalid choice" in done.stderr
    done = cli("datasets", "list", "--page-size", "0")
    assert done.returncode == 2 and "must be at least 1" in done.stderr


def test_no_credentials_exit_3_and_say_how_to_fix_it(cli):
    line = _one_error_line(cli("datasets", "list", credentials=False), exits.AUTH)
    assert "no credentials" in line and "configure" in line and "DATATURE_VI_SECRET_KEY" in line


def test_a_rejected_key_exits_3_with_the_sdk_suggestion_and_is_never_printed(cli, server):
    wrong = "dtvi_" + "x" * 98
    done = cli("datasets", "list", env={"DATATURE_VI_SECRET_KEY": wrong})
    line = _one_error_line(done, exits.AUTH)
    assert "Check the secret key" in line  # the SDK's suggestion
    assert wrong not in done.stdout + done.stderr
    doctor = cli("doctor", env={"DATATURE_VI_SECRET_KEY": wrong})
    assert doctor.returncode == exits.AUTH and "bad key" in doctor.stdout and wrong not in doctor.stdout


def test_permission_denied_exits_3(cli, server):
    server.add_credentials("key-of-another-organization", "org-other")
    env = {"DATATURE_VI_SECRET_KEY": "key-of-another-organization"}
    _one_error_line(cli("datasets", "list", env=env), exits.AUTH)
    doctor = cli("doctor", env=env)
    assert doctor.returncode == exits.AUTH and "permission denied" in doctor.stdout


def test_not_found_exits_4_and_debug_adds_the_traceback_and_request_logs_but_no_secret(cli, server):
    line = _one_error_line(cli("datasets", "get", "dsnothere"), exits.NOT_FOUND)
    assert "dsnothere" in line
    debug = cli("datasets", "get", "dsnothere", "--debug")
    assert debug.returncode == exits.NOT_FOUND and "Traceback" in debug.stderr
    assert "/datasets/" in debug.stderr  # the request log
    assert server.secret_key not in debug.stdout + debug.stderr


def test_some_files_failing_exits_5_naming_each_file_and_reason(cli, server, client, tmp_path):
    dataset_id = client.datasets.create("partial").dataset_id
    folder = make_images(tmp_path / "p", 4)
    # storage refuses the second file (403 is not retried: a signature cannot get better)
    server.faults.add(method="PUT", path=r"^/_storage/", status=403, skip=1, times=1)
    done = cli(
        "assets", "upload", dataset_id, folder, "--poll-interval", "0.05", "--workers", "1", "-o", "csv"
    )
    assert done.returncode == exits.PARTIAL == 5, done.stderr
    failed = [line for line in done.stderr.splitlines() if line.startswith("python -m vi: failed: ")]
    assert len(failed) == 1 and "403" in failed[0]
    name = failed[0].split(": ")[2]
    rows = done.stdout.splitlines()
    assert rows[0] == "name,status,reason" and len(rows) == 5
    assert [r for r in rows if ",failed," in r][0].startswith(name + ",failed,")
    assert sorted(a.filename for a in client.assets.list(dataset_id).all_items()) == sorted(
        p.name for p in folder.iterdir() if p.name != name
    )


def test_an_unreachable_endpoint_exits_6(cli):
    env = {"DATATURE_VI_API_ENDPOINT": "http://127.0.0.1:%d" % _closed_port()}
    line = _one_error_line(cli("datasets", "list", env=env), exits.NETWORK)
    assert "Could not connect" in line
    doctor = cli("doctor", env=env)
    assert doctor.returncode == exits.NETWORK and "unreachable endpoint" in doctor.stdout


@pytest.fixture
def untrusted_https():
    trustme = pytest.importorskip("trustme")
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    trustme.CA().issue_cert("127.0.0.1").configure_cert(context)  # a CA the client does not trust
    httpd = http.server.HTTPServer(("127.0.0.1", 0), http.server.BaseHTTPRequestHandler)
    httpd.socket = context.wrap_socket(httpd.socket, server_side=True)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield "https://127.0.0.1:%d" % httpd.server_address[1]
    httpd.shutdown()
    httpd.server_close()


def test_a_tls_failure_exits_6_and_doctor_names_it(cli, untrusted_https):
    env = {"DATATURE_VI_API_ENDPOINT": untrusted_https}
    doctor = cli("doctor", env=env)
    assert doctor.returncode == exits.NETWORK
    assert "TLS failure" in doctor.stdout and "CERTIFICATE_VERIFY_FAILED" in doctor.stdout
    assert "REQUESTS_CA_BUNDLE" in doctor.stdout
