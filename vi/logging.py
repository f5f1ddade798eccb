"""Logging through the standard ``vi`` logger (DESIGN decision 9).

Nothing happens at import: no directories, files or handlers. A client attaches handlers only
when its :class:`LoggingConfig` asks for console or file output; otherwise records simply flow
to whatever the application configured for the ``vi`` logger. The ``vi`` logger carries the
libraries' customary ``NullHandler`` (added before the first record), so an application that
configured no logging at all gets no stray output on stderr. Every record the SDK emits passes
a redaction filter, and credential headers are never handed to it in the first place.
"""

from __future__ import annotations

import datetime
import enum
import json
import logging
import logging.handlers
import os
import re
import sys
import threading
from dataclasses import dataclass, field, fields, replace
from typing import Any, Dict, Iterable, Mapping, Optional

__all__ = [
    "LogLevel",
    "LogFormat",
    "LoggingConfig",
    "configure_logging",
    "get_logger",
    "redact",
    "LOGGER_NAME",
]

LOGGER_NAME = "vi"


class LogLevel(enum.IntEnum):
    CRITICAL = logging.CRITICAL
    ERROR = logging.ERROR
    WARNING = logging.WARNING
    INFO = logging.INFO
    DEBUG = logging.DEBUG
    NOTSET = logging.NOTSET


class LogFormat(str, enum.Enum):
    JSON = "json"
    PLAIN = "plain"
    PRETTY = "pretty"


_TRUE = {"true", "1", "yes", "on"}
_FALSE = {"false", "0", "no", "off"}


def _env_bool(env: Mapping[str, str], name: str) -> Optional[bool]:
    value = env.get(name)
    if value is None:
        return None
    lowered = value.strip().lower()
    if lowered in _TRUE:
        return True
    if lowered in _FALSE:
        return False
    return None


@dataclass(frozen=True)
class LoggingConfig:
    """What a client logs and where.

    Defaults are quiet for a library: no handlers (records go to the application's logging),
    no files. ``enable_console=True`` adds a stderr handler; ``enable_file=True`` a rotating file
    at ``log_file_path`` (or ``~/.datature/vi/logs/<timestamp>.log``, created only then).
    With ``respect_environment`` the ``VI_LOG_*`` environment variables override fields.
    """

    level: LogLevel = LogLevel.INFO
    format: LogFormat = LogFormat.PLAIN
    enable_console: bool = False
    enable_file: bool = False
    log_file_path: Optional[str] = None
    include_timestamp: bool = True
    include_level: bool = True
    include_logger_name: bool = True
    include_thread_info: bool = False
    include_process_info: bool = False
    log_requests: bool = True
    log_responses: bool = False
    log_request_headers: bool = False
    log_response_headers: bool = False
    log_request_body: bool = False
    log_response_body: bool = False
    max_log_size: int = 1048576
    max_request_body_size: int = 1024
    max_response_body_size: int = 1024
    respect_environment: bool = True
    extra_fields: Dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        try:
            object.__setattr__(self, "level", LogLevel(self.level))
            object.__setattr__(self, "format", LogFormat(self.format))
        except ValueError as err:
            raise ValueError("Invalid logging setting: %s" % err) from None
        for name in ("max_log_size", "max_request_body_size", "max_response_body_size"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int) or value < 0:
                raise ValueError("%s must be a non-negative integer, got %r" % (name, value))

    def resolved(self, environ: Optional[Mapping[str, str]] = None) -> "LoggingConfig":
        """This config with the ``VI_LOG_*`` environment overrides applied (if respected)."""
        if not self.respect_environment:
            return self
        env = os.environ if environ is None else environ
        changes: Dict[str, Any] = {}
        level = env.get("VI_LOG_LEVEL", "").strip().upper()
        if level in LogLevel.__members__:
            changes["level"] = LogLevel[level]
        fmt = env.get("VI_LOG_FORMAT", "").strip().lower()
        if fmt in {f.value for f in LogFormat}:
            changes["format"] = LogFormat(fmt)
        for name, var in (
            ("enable_console", "VI_ENABLE_CONSOLE"),
            ("enable_file", "VI_ENABLE_FILE"),
            ("log_requests", "VI_LOG_REQUESTS"),
            ("log_responses", "VI_LOG_RESPONSES"),
            ("log_request_headers", "VI_LOG_REQUEST_HEADERS"),
            ("log_response_headers", "VI_LOG_RESPONSE_HEADERS"),
            ("log_request_body", "VI_LOG_REQUEST_BODY"),
            ("log_response_body", "VI_LOG_RESPONSE_BODY"),
        ):
            value = _env_bool(env, var)
            if value is not None:
                changes[name] = value
        if env.get("VI_LOG_FILE"):
            changes["log_file_path"] = env["VI_LOG_FILE"]
            changes["enable_file"] = True
        size = env.get("VI_MAX_LOG_SIZE", "")
        if size.isdigit():
            changes["max_log_size"] = int(size)
        return replace(self, **changes) if changes else self

    def __repr__(self) -> str:
        shown = ", ".join(
            "%s=%r" % (f.name, getattr(self, f.name))
            for f in fields(self)
            if getattr(self, f.name) != f.default and f.name != "extra_fields"
        )
        return "LoggingConfig(%s)" % shown


# -- redaction -------------------------------------------------------------------------

_SECRET_PATTERNS = [
    re.compile(r"(?i)(bearer\s+)[^\s'\",]+"),
    re.compile(r"dtvi_[A-Za-z0-9_\-]{4,}"),
]
_SENSITIVE_HEADERS = frozenset({"authorization", "x-api-key", "cookie", "set-cookie", "proxy-authorization"})
_known_secrets: "set[str]" = set()
_secrets_lock = threading.Lock()


def remember_secret(secret: str) -> None:
    """Register a secret so the redaction filter removes it wherever it appears."""
    if secret and len(secret) >= 3:
        with _secrets_lock:
            _known_secrets.add(secret)


def redact(text: str) -> str:
    """Remove anything that looks like a credential from ``text``."""
    for secret in tuple(_known_secrets):
        if secret in text:
            text = text.replace(secret, "[REDACTED]")
    text = _SECRET_PATTERNS[0].sub(r"\1[REDACTED]", text)
    return _SECRET_PATTERNS[1].sub("dtvi_[REDACTED]", text)


def redact_headers(headers: Mapping[str, str]) -> Dict[str, str]:
    return {
        k: ("[REDACTED]" if k.lower() in _SENSITIVE_HEADERS else redact(str(v))) for k, v in headers.items()
    }


class RedactingFilter(logging.Filter):
    """Rewrites each record's message with credentials removed (a last line of defence)."""

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:  # pragma: no cover - a broken record is the logging module's business
            return True
        cleaned = redact(message)
        if cleaned != message or record.args:
            record.msg, record.args = cleaned, None
        return True


_FILTER = RedactingFilter()
#: The library convention: a ``NullHandler`` on the package logger, so that an application that
#: configured no logging sees nothing (rather than Python's last-resort handler printing every
#: warning to stderr), and one that did configure logging sees every record through its own.
_NULL_HANDLER = logging.NullHandler()


def get_logger() -> logging.Logger:
    logger = logging.getLogger(LOGGER_NAME)
    if _FILTER not in logger.filters:
        logger.addFilter(_FILTER)
    if _NULL_HANDLER not in logger.handlers:
        logger.addHandler(_NULL_HANDLER)
    return logger


# -- handlers --------------------------------------------------------------------------


class _JsonFormatter(logging.Formatter):
    def __init__(self, config: LoggingConfig, indent: Optional[int] = None) -> None:
        super().__init__()
        self._config = config
        self._indent = indent

    def format(self, record: logging.LogRecord) -> str:
        c = self._config
        out: Dict[str, Any] = {}
        if c.include_timestamp:
            out["timestamp"] = datetime.datetime.fromtimestamp(
                record.created, datetime.timezone.utc
            ).isoformat()
        if c.include_level:
            out["level"] = record.levelname
        if c.include_logger_name:
            out["logger"] = record.name
        if c.include_thread_info:
            out["thread"] = record.threadName
        if c.include_process_info:
            out["process"] = record.process
        out["message"] = record.getMessage()
        out.update(c.extra_fields)
        if record.exc_info:
            out["exception"] = redact(self.formatException(record.exc_info))
        return json.dumps(out, indent=self._indent, default=str, ensure_ascii=False)


def _plain_formatter(config: LoggingConfig) -> logging.Formatter:
    parts = []
    if config.include_timestamp:
        parts.append("%(asctime)s")
    if config.include_level:
        parts.append("%(levelname)s")
    if config.include_logger_name:
        parts.append("%(name)s")
    if config.include_thread_info:
        parts.append("[%(threadName)s]")
    if config.include_process_info:
        parts.append("[pid %(process)d]")
    parts.append("%(message)s")
    return logging.Formatter(" ".join(parts))


def _formatter(config: LoggingConfig) -> logging.Formatter:
    if config.format is LogFormat.JSON:
        return _JsonFormatter(config)
    if config.format is LogFormat.PRETTY:
        return _JsonFormatter(config, indent=2)
    return _plain_formatter(config)


def _default_log_path() -> str:
    stamp = datetime.datetime.now().strftime("%Y%m%d_%H%M%S_%f")[:-3]
    return os.path.join(os.path.expanduser("~"), ".datature", "vi", "logs", stamp + ".log")


_handlers_lock = threading.Lock()


def configure_logging(config: LoggingConfig) -> logging.Logger:
    """Apply ``config`` to the ``vi`` logger, replacing handlers a previous call installed.

    Handlers the application attached itself are left alone."""
    config = config.resolved()
    logger = get_logger()
    with _handlers_lock:
        for handler in [h for h in logger.handlers if getattr(h, "_vi_owned", False)]:
            logger.removeHandler(handler)
            handler.close()
        new: Iterable[logging.Handler] = []
        if config.enable_console:
            new = [*new, logging.StreamHandler(sys.stderr)]
        if config.enable_file:
            path = config.log_file_path or _default_log_path()
            os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
            new = [
                *new,
                logging.handlers.RotatingFileHandler(
                    path, maxBytes=config.max_log_size, backupCount=5, encoding="utf-8"
                ),
            ]
        for handler in new:
            handler._vi_owned = True  # type: ignore[attr-defined]
            handler.setFormatter(_formatter(config))
            handler.addFilter(_FILTER)
            logger.addHandler(handler)
        logger.setLevel(int(config.level))
        # With our own handlers, don't print each record twice through the root logger.
        logger.propagate = not any(getattr(h, "_vi_owned", False) for h in logger.handlers)
    return logger
