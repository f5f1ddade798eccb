"""Exit codes and the one-line error report: what a script branches on, and what a person reads.

Each failure class has its own code so that a cron job or a CI step can react differently to
"fix your credentials" and "try again later" without parsing messages.
"""

from __future__ import annotations

from typing import Optional

from ..errors import (
    ViAuthenticationError,
    ViConfigurationError,
    ViError,
    ViNetworkError,
    ViNotFoundError,
    ViTimeoutError,
    ViValidationError,
)

__all__ = [
    "OK",
    "FAILURE",
    "USAGE",
    "AUTH",
    "NOT_FOUND",
    "PARTIAL",
    "NETWORK",
    "INTERRUPTED",
    "CliError",
    "exit_code_for",
    "one_line",
]

OK = 0
#: Anything else: the service failed an operation, answered 5xx, or an unexpected error.
FAILURE = 1
#: Bad command line or invalid value (argparse uses 2 as well).
USAGE = 2
#: No credentials, invalid configuration, key rejected (401) or not allowed (403).
AUTH = 3
#: The dataset, asset, export, run or model does not exist (404).
NOT_FOUND = 4
#: Some files of an upload or download failed; each is reported with its reason.
PARTIAL = 5
#: Endpoint unreachable, TLS failure, connection dropped or timed out.
NETWORK = 6
#: Ctrl-C (128 + SIGINT, as shells report it).
INTERRUPTED = 130


class CliError(Exception):
    """An error the command line itself detects, with the exit code it means."""

    def __init__(self, message: str, code: int = FAILURE, suggestion: Optional[str] = None) -> None:
        super().__init__(message)
        self.message = message
        self.code = code
        self.suggestion = suggestion


def exit_code_for(err: BaseException) -> int:
    if isinstance(err, CliError):
        return err.code
    if isinstance(err, (ViAuthenticationError, ViConfigurationError)):
        return AUTH
    if isinstance(err, ViNotFoundError):
        return NOT_FOUND
    if isinstance(err, ViValidationError):
        return USAGE
    if isinstance(err, (ViNetworkError, ViTimeoutError)):
        return NETWORK
    if isinstance(err, KeyboardInterrupt):
        return INTERRUPTED
    return FAILURE


def _flat(text: str) -> str:
    return " ".join(str(text).split())


def one_line(err: BaseException) -> str:
    """The error as one line: the message, then the SDK's suggestion when it has one."""
    if isinstance(err, (CliError, ViError)):
        message, suggestion = err.message, err.suggestion
    else:
        message, suggestion = "%s: %s" % (type(err).__name__, err), "rerun with --debug for the traceback"
    text = _flat(message).rstrip(".")
    if suggestion:
        text += ". " + _flat(suggestion)
    return text
