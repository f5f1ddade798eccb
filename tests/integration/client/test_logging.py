"""Logging through the stdlib ``vi`` logger, with nothing set up unless asked (decision 9)."""

import logging
import os

import pytest

import vi
from vi.logging import LoggingConfig, LogLevel, configure_logging, redact


@pytest.fixture(autouse=True)
def restore_vi_logger():
    logger = logging.getLogger("vi")
    saved = (list(logger.handlers), logger.level, logger.propagate)
    yield
    configure_logging(LoggingConfig(level=LogLevel.NOTSET))
    logger.handlers[:] = saved[0]
    logger.setLevel(saved[1])
    logger.propagate = saved[2]


def test_default_client_adds_no_handlers_and_writes_no_files(server, tmp_path, monkeypatch):
    monkeypatch.setenv("HOME", str(tmp_path))
    logger = logging.getLogger("vi")
    before = list(logger.handlers)
    with vi.Client(
        secret_key=server.secret_key, organization_id=server.organization_id, endpoint=server.url
    ) as c:
        c.datasets.list()
    assert logger.handlers == before
    assert list(tmp_path.iterdir()) == []


def test_debug_logging_with_headers_and_bodies_never_shows_the_secret(server, caplog):
    config = LoggingConfig(
        level=LogLevel.DEBUG,
        log_responses=True,
        log_request_headers=True,
        log_response_headers=True,
        log_request_body=True,
        log_response_body=True,
    )
    caplog.set_level(logging.DEBUG, logger="vi")
    with vi.Client(
        secret_key=server.secret_key,
        organization_id=server.organization_id,
        endpoint=server.url,
        logging_config=config,
        max_retries=1,
    ) as client:
        client._requester._sleep = lambda s: None
        client.datasets.create("logged", description="body")
        server.faults.add(method="GET", status=500, times=1)
        client.organizations.get()
        with pytest.raises(vi.ViNotFoundError):
            client.datasets.get("missing")
    text = "\n".join(r.getMessage() for r in caplog.records)
    assert "HTTP request POST" in text and "HTTP response 200" in text and "Retrying GET" in text
    assert "'Authorization': '[REDACTED]'" in text
    assert '"name":"logged"' in text  # bodies are logged when asked
    assert server.secret_key not in text


def test_file_logging_only_when_asked(server, tmp_path):
    path = tmp_path / "logs" / "vi.log"
    config = LoggingConfig(level=LogLevel.DEBUG, enable_file=True, log_file_path=str(path), format="json")
    with vi.Client(
        secret_key=server.secret_key,
        organization_id=server.organization_id,
        endpoint=server.url,
        logging_config=config,
    ) as client:
        client.organizations.get()
    content = path.read_text()
    assert '"message": "HTTP request GET' in content
    assert server.secret_key not in content


def test_environment_overrides():
    env = {
        "VI_LOG_LEVEL": "debug",
        "VI_ENABLE_CONSOLE": "yes",
        "VI_LOG_REQUEST_BODY": "maybe",
        "VI_LOG_FILE": "/x.log",
    }
    resolved = LoggingConfig().resolved(env)
    assert resolved.level is LogLevel.DEBUG and resolved.enable_console
    assert resolved.enable_file and resolved.log_file_path == "/x.log"
    assert resolved.log_request_body is False  # unrecognised boolean ignored
    assert LoggingConfig(respect_environment=False).resolved(env).level is LogLevel.INFO


def test_invalid_logging_config():
    with pytest.raises(ValueError):
        LoggingConfig(level=12345)
    with pytest.raises(ValueError):
        LoggingConfig(max_log_size=-1)


def test_redaction_filter_scrubs_records_from_any_code(caplog):
    caplog.set_level(logging.DEBUG, logger="vi")
    vi.logging.get_logger().debug("header was Authorization: Bearer dtvi_abcdef123456 ok")
    assert "dtvi_abcdef" not in caplog.text and "[REDACTED]" in caplog.text
    assert redact("token dtvi_zzzzzzzz") == "token dtvi_[REDACTED]"


def test_no_handlers_at_import():
    import subprocess
    import sys

    # Only the libraries' customary NullHandler: nothing that writes anywhere.
    code = (
        "import logging, vi, vi.client; "
        "print([type(h).__name__ for h in logging.getLogger('vi').handlers if type(h) is not logging.NullHandler])"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, env=dict(os.environ)
    )
    assert out.stdout.strip() == "[]"
