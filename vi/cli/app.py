"""The parser, the dispatch and the one place errors become exit codes and one-line messages."""

from __future__ import annotations

import argparse
import os
import sys
import traceback
from typing import Any, Callable, List, Optional

from .exits import INTERRUPTED, OK, USAGE, exit_code_for, one_line
from .output import FORMATS

__all__ = ["build_parser", "run", "console"]

EPILOG = """\
exit codes: 0 ok, 1 other failure, 2 usage, 3 credentials/permission, 4 not found,
5 some files failed, 6 network/TLS/timeout, 130 interrupted.
Output: table on a terminal, JSON Lines when piped (--output to choose).
Configuration: flags > DATATURE_VI_* variables > config file profile > defaults."""


GROUPS = (
    ("organizations", "the organizations the key can see"),
    ("datasets", "list, show, create and delete datasets"),
    ("assets", "list (with filters), upload (resumable) and download assets"),
    ("exports", "create, wait for and download dataset exports"),
    ("annotations", "import annotation files, export annotations in a format"),
    ("runs", "training runs"),
    ("models", "the models (checkpoints) of a run: list and download"),
)


def _common() -> argparse.ArgumentParser:
    """Options accepted before or after the command (defaults live on the main parser)."""
    common = argparse.ArgumentParser(add_help=False)
    group = common.add_argument_group("global options")
    s = argparse.SUPPRESS
    group.add_argument(
        "--profile", default=s, help="config file profile (default: $DATATURE_VI_PROFILE or default)"
    )
    group.add_argument(
        "--config-file",
        default=s,
        metavar="PATH",
        help="default: $DATATURE_VI_CONFIG_FILE or ~/.datature/vi/config.json",
    )
    group.add_argument(
        "--secret-key",
        default=s,
        metavar="KEY",
        help="prefer DATATURE_VI_SECRET_KEY: flags show in process lists",
    )
    group.add_argument("--organization-id", default=s, metavar="ID")
    group.add_argument("--endpoint", default=s, metavar="URL")
    group.add_argument(
        "-o", "--output", default=s, choices=FORMATS, help="table on a terminal, jsonl when piped"
    )
    group.add_argument(
        "--columns", default=s, metavar="A,B", help="columns for table/csv (dotted paths allowed)"
    )
    group.add_argument("-q", "--quiet", action="store_true", default=s, help="no progress bar or summaries")
    group.add_argument("-v", "--verbose", action="store_true", default=s, help="log requests to stderr")
    group.add_argument("--debug", action="store_true", default=s, help="debug logging and tracebacks")
    return common


class Commands:
    """Adds leaf commands with the global options attached, so they work anywhere on the line."""

    def __init__(self, subparsers: Any, common: argparse.ArgumentParser) -> None:
        self._sub = subparsers
        self.common = common

    def group(self, name: str, help: str) -> "Commands":  # noqa: A002
        parser = self._sub.add_parser(name, help=help, description=help, parents=[self.common])
        sub = parser.add_subparsers(dest="subcommand", metavar="COMMAND", title="commands")
        sub.required = True
        return Commands(sub, self.common)

    def add(self, name: str, handler: Callable[[Any], Optional[int]], help: str) -> argparse.ArgumentParser:  # noqa: A002
        parser = self._sub.add_parser(name, help=help, description=help, parents=[self.common])
        parser.set_defaults(handler=handler)
        return parser


def build_parser(prog: Optional[str] = None) -> argparse.ArgumentParser:
    from . import commands_data, commands_setup, commands_transfers

    common = _common()
    parser = argparse.ArgumentParser(
        prog=prog or "datature-vi",
        description="Datature Vi from the shell: datasets, assets, exports, annotations, runs and models.",
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
        # Its own copy: set_defaults below changes the defaults of these action objects, and
        # the commands' copies must keep SUPPRESS so they never overwrite a value given earlier.
        parents=[_common()],
    )
    parser.set_defaults(
        profile=None,
        config_file=None,
        secret_key=None,
        organization_id=None,
        endpoint=None,
        output=None,
        columns=None,
        quiet=False,
        verbose=False,
        debug=False,
    )
    from .._version import __version__

    parser.add_argument("--version", action="version", version="%(prog)s " + __version__)
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", title="commands")
    sub.required = True
    commands = Commands(sub, common)
    commands_setup.register(commands)
    groups = {name: commands.group(name, help) for name, help in GROUPS}
    commands_data.register(groups)
    commands_transfers.register(groups)
    return parser


def _silence_stdout() -> None:
    """After the reader of a pipe went away: point stdout at /dev/null so the final flush at
    exit cannot raise again (the documented way to exit quietly on a broken pipe)."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, ValueError, AttributeError):
        pass


def run(argv: Optional[List[str]] = None, prog: Optional[str] = None, hard_interrupt: bool = False) -> int:
    parser = build_parser(prog)
    try:
        args = parser.parse_args(argv)
    except SystemExit as exit_:  # --help, --version, or a usage error argparse already printed
        return exit_.code if isinstance(exit_.code, int) else USAGE
    from .context import Context

    ctx = Context(args, sys.stdout, sys.stderr, parser.prog, parser)
    try:
        try:
            return int(args.handler(ctx) or OK)
        finally:
            ctx.close()
    except BrokenPipeError:
        _silence_stdout()
        return OK
    except KeyboardInterrupt:
        ctx.end_progress()
        sys.stderr.write("%s: interrupted; rerun the same command to resume\n" % parser.prog)
        sys.stderr.flush()
        if hard_interrupt:
            _flush_and_exit(INTERRUPTED)
        return INTERRUPTED
    except Exception as err:  # noqa: BLE001 - every failure becomes one line and an exit code
        if ctx.debug:
            traceback.print_exc(file=sys.stderr)
        try:
            sys.stderr.write("%s: error: %s\n" % (parser.prog, one_line(err)))
            sys.stderr.flush()
        except BrokenPipeError:
            pass
        return exit_code_for(err)


def _flush_and_exit(code: int) -> None:
    """Leave now, without waiting for transfer threads still blocked on the network: every file
    they write becomes visible only by an atomic rename, and the resume state is saved
    atomically, so nothing half-done is left under a final name."""
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except (OSError, ValueError):
            pass
    os._exit(code)


def console(prog: Optional[str] = None) -> None:
    """The ``datature-vi`` console script and ``python -m vi``."""
    code = run(prog=prog, hard_interrupt=True)
    try:
        sys.stdout.flush()
    except BrokenPipeError:
        _silence_stdout()
    sys.exit(code)
