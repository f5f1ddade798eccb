"""Issue 6, secrets: the secret key appears in no repr, ``str()`` of an error, pickle or log
record, and a redirect that leaves the API's origin never carries ``Authorization`` or
``Organization-Id`` (asserted on what the second server actually received).

Two kinds of key are used: one shaped like a real key (``dtvi_…``, which the log filter also
recognises by pattern) and one that is not, so that only the client's own bookkeeping of its
secret can keep it out of sight.
"""

import logging
import pickle
import socket
import traceback

import pytest

import vi
from vi.logging import LoggingConfig, LogLevel, configure_logging
from vi.testing import LocalViServer, generate_secret_key

KEYS = {"dtvi": generate_secret_key(), "opaque": "Zq9-opaque-SECRET-not-shaped-like-a-key-7f3a1c"}


@pytest.fixture(params=sorted(KEYS))
def secret(request):
    return KEYS[request.param]


@pytest.fixture
def server(secret):
    with LocalViServer(secret_key=secret) as srv:
        yield srv


def client_for(server, **kwargs):
    kwargs.setdefault("secret_key", server.secret_key)
    kwargs.setdefault("organization_id", server.organization_id)
    kwargs.setdefault("endpoint", server.url)
    kwargs.setdefault("max_retries", 0)
    return vi.Client(**kwargs)


def assert_hidden(secret, *texts):
    for text in texts:
        if isinstance(text, bytes):
            assert secret.encode() not in text
            assert secret[-16:].encode() not in text
        else:
            assert secret not in text, text[:500]
            assert secret[-16:] not in text, text[:500]  # not even a tail of it


def error_texts(error):
    return [
        str(error),
        repr(error),
        error.message,
        repr(error.to_dict()),
        repr(error.details),
        "".join(traceback.format_exception(type(error), error, error.__traceback__)),
    ]


def failing_calls(server, secret):
    """(label, callable) pairs that each fail in a different way."""
    closed = socket.socket()
    closed.bind(("127.0.0.1", 0))
    dead_port = closed.getsockname()[1]
    closed.close()  # nothing listens there now: connection refused

    def unauthorized():
        with client_for(server, secret_key=secret + "x") as c:
            c.organizations.get()

    def echoed_401():
        server.faults.add(status=401, body={"message": "Invalid API key %s" % secret, "key": secret})
        with client_for(server) as c:
            c.organizations.get()

    def not_found():
        with client_for(server) as c:
            c.datasets.get("missing")

    def echoed_500():
        # a proxy that reflects the request's headers into its answer's (found by this test:
        # x-request-id and Retry-After went into the error's details and pickle verbatim)
        server.faults.add(
            status=500,
            body="upstream said: Authorization: Bearer %s (key=%s)" % (secret, secret),
            headers={"x-request-id": "req " + secret, "Retry-After": secret},
        )
        with client_for(server) as c:
            c.organizations.get()

    def network():
        with client_for(server, endpoint="http://127.0.0.1:%d" % dead_port) as c:
            c.organizations.get()

    def timeout():
        server.faults.add(latency=1.0)
        with client_for(server, timeout=vi.Timeout(read=0.1)) as c:
            c.organizations.get()

    def closed_client():
        c = client_for(server)
        c.close()
        c.organizations.get()

    return [
        ("401", unauthorized),
        ("401-echo", echoed_401),
        ("404", not_found),
        ("500-echo", echoed_500),
        ("network", network),
        ("timeout", timeout),
        ("closed", closed_client),
    ]


def test_client_and_config_reprs_hide_the_key(server, secret):
    with client_for(server) as client:
        assert_hidden(
            secret,
            repr(client),
            str(client),
            repr(client.config),
            str(client.config),
            repr(client.config.secret_key),
            str(client.config.secret_key),
            repr(client._requester),
            repr(client.datasets),
            repr(vars(client)),
        )
        assert client.config.secret_key.reveal() == secret  # the value is there, just never shown


def chained(error):
    """The error and every exception chained to it (cause and context), as Dask's workers pickle
    them when a task fails (its exception travels to the scheduler with its chain)."""
    seen = []
    todo = [error]
    while todo:
        exc = todo.pop()
        if exc is None or any(exc is s for s in seen):
            continue
        seen.append(exc)
        todo += [exc.__cause__, exc.__context__]
    return seen


def test_errors_of_failing_calls_hide_the_key(server, secret):
    seen = set()
    for label, call in failing_calls(server, secret):
        server.faults.clear()
        with pytest.raises(vi.ViError) as info:
            call()
        error = info.value
        seen.add(type(error).__name__)
        assert_hidden(secret, *error_texts(error))
        restored = pickle.loads(pickle.dumps(error))
        assert_hidden(secret, pickle.dumps(error), *error_texts(restored))
        # the transport's own exception holds the request, Authorization header included
        for exc in chained(error):
            assert_hidden(secret, pickle.dumps(exc, protocol=pickle.HIGHEST_PROTOCOL))
        assert type(restored) is type(error) and restored.status_code == error.status_code, label
    server.faults.clear()
    assert {
        "ViAuthenticationError",
        "ViNotFoundError",
        "ViServerError",
        "ViNetworkError",
        "ViTimeoutError",
        "ViClientClosedError",
    } <= seen


def test_pickles_hide_the_key_unless_asked(server, secret):
    with client_for(server) as client:
        data = pickle.dumps(client)
        assert_hidden(secret, data)
        with pytest.raises(TypeError):
            pickle.dumps(client.config.secret_key)
    with client_for(server, pickle_secret=True) as client:
        assert secret.encode() in pickle.dumps(client)  # proves the check above can fail


@pytest.fixture
def debug_logs():
    """Every record of every logger at DEBUG, formatted as a handler would (exc_info too)."""
    records = []

    class Collect(logging.Handler):
        def emit(self, record):
            text = self.format(record)
            if record.exc_info:
                text += logging.Formatter().formatException(record.exc_info)
            records.append("%s %s" % (record.name, text))

    handler = Collect(logging.DEBUG)
    root, vi_logger = logging.getLogger(), logging.getLogger("vi")
    saved = (root.level, vi_logger.level, vi_logger.propagate)
    root.addHandler(handler)
    vi_logger.addHandler(handler)  # with its own console handler, "vi" stops propagating
    root.setLevel(logging.DEBUG)
    yield records
    root.removeHandler(handler)
    vi_logger.removeHandler(handler)
    configure_logging(LoggingConfig(respect_environment=False))  # drop handlers we asked for
    root.setLevel(saved[0])
    vi_logger.setLevel(saved[1])
    vi_logger.propagate = saved[2]


FULL_LOGGING = dict(
    level=LogLevel.DEBUG,
    log_requests=True,
    log_responses=True,
    log_request_headers=True,
    log_response_headers=True,
    log_request_body=True,
    log_response_body=True,
    max_request_body_size=100_000,
    max_response_body_size=100_000,
    respect_environment=False,
)


def test_debug_logs_with_headers_and_bodies_hide_the_key(server, secret, debug_logs, capsys):
    config = LoggingConfig(enable_console=True, format="json", **FULL_LOGGING)
    with client_for(server, logging_config=config) as client:
        client.organizations.get()
        client.datasets.list(page_size=3)
        # a caller who pastes the key into a body, and a server that echoes it back
        created = client.datasets.create("audit", description="key is %s" % secret)
        assert created.description == "key is %s" % secret  # data is data: only logs are scrubbed
        server.faults.add(
            status=200, body={"echo": "Bearer " + secret, "again": secret}, path=r"/workspaces/[^/]+$"
        )
        with pytest.raises(vi.ViResponseError):
            client.organizations.get()
        server.faults.add(status=503, retry_after="0", times=2, path=r"/workspaces/[^/]+$")
    with client_for(server, logging_config=config, max_retries=2) as client:
        client._requester._sleep = lambda seconds: None
        client.organizations.get()  # retried: warnings logged
    for _, call in failing_calls(server, secret):
        server.faults.clear()
        with pytest.raises(vi.ViError):
            call()
    joined = "\n".join(debug_logs)
    assert "HTTP request headers" in joined and "HTTP response body" in joined and "Retrying" in joined
    assert "[REDACTED]" in joined
    assert len(debug_logs) > 30
    assert_hidden(secret, *debug_logs)
    console = capsys.readouterr().err
    assert '"level": "DEBUG"' in console
    assert_hidden(secret, console)


# -- redirects -----------------------------------------------------------------------------------
@pytest.fixture
def other():
    with LocalViServer(seed=False) as srv:
        yield srv


@pytest.mark.parametrize("host", ["localhost", "127.0.0.1"], ids=["other-host", "other-port"])
@pytest.mark.parametrize("status", [301, 302, 303, 307, 308])
@pytest.mark.parametrize("method", ["GET", "POST"])
def test_redirects_off_the_api_origin_drop_credentials(server, other, secret, status, method, host):
    target = other.url.replace("127.0.0.1", host) + "/elsewhere"
    server.faults.add(method=method, status=status, headers={"Location": target}, times=None)
    with client_for(server) as client:
        with pytest.raises(vi.ViError):
            if method == "GET":
                client.organizations.get()
            else:
                client.datasets.create("redirected")
    arrived = [r for r in other.stats.requests if r.path == "/elsewhere"]
    assert len(arrived) == 1, "the redirect was not followed"
    seen = arrived[0]
    # 307/308 keep the method and body; 301/302/303 turn a POST into a GET (as browsers do)
    assert seen.method == (method if status in (307, 308) else "GET")
    assert "Authorization" not in seen.headers
    assert "Organization-Id" not in seen.headers
    assert "Cookie" not in seen.headers
    for value in list(seen.headers.values()) + [seen.body.decode("utf-8", "replace"), seen.query]:
        assert secret not in value
    assert server.stats.creates["dataset"] == 0


def test_a_redirect_within_the_api_origin_keeps_credentials(server):
    # the other half of the rule: the same origin still authenticates (else every 30x would 401)
    server.faults.add(
        method="GET",
        path=r"/workspaces/[^/]+$",
        status=307,
        times=1,
        headers={"Location": server.url + "/workspaces/" + server.organization_id},
    )
    with client_for(server) as client:
        assert client.organizations.get().organization_id == server.organization_id
    final = server.stats.requests[-1]
    assert final.headers["Authorization"] == "Bearer " + server.secret_key
