"""Setting up and checking: ``configure``, ``whoami``, ``doctor``, ``serve`` and ``completion``."""

from __future__ import annotations

import argparse
import getpass
import os
import sys
import threading
from typing import Any, Dict, List, Optional, Tuple

from ..errors import (
    ViAuthenticationError,
    ViConfigurationError,
    ViError,
    ViNetworkError,
    ViNotFoundError,
    ViPermissionError,
    ViTimeoutError,
)
from .exits import AUTH, NETWORK, NOT_FOUND, OK, USAGE, CliError, exit_code_for, one_line

__all__ = ["register"]

_WHOAMI_COLUMNS = ("profile", "endpoint", "organization_id", "organization_name", "config_file", "secret_key")


def register(commands: Any) -> None:
    p = commands.add("configure", configure, "write a profile to the config file (owner-only, atomic)")
    p.add_argument(
        "--secret-key-stdin",
        action="store_true",
        help="read the secret key from the first line of standard input",
    )
    commands.add("whoami", whoami, "show the organization and where each credential comes from")
    commands.add("doctor", doctor, "check configuration, connection, TLS and credentials; say what is wrong")
    p = commands.add(
        "serve", serve, "run a local Vi API (LocalViServer) in the foreground for trying things out"
    )
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, default=0, help="default: any free port")
    p.add_argument("--no-seed", action="store_true", help="start with an empty organization")
    p.add_argument("--operation-delay", type=float, default=0.2, metavar="SECONDS")
    p = commands.add("completion", completion, "print a shell completion script (bash; zsh via bashcompinit)")
    p.add_argument("shell", choices=("bash",))


# -- configure ---------------------------------------------------------------------------------


def _profile_name(ctx: Any) -> str:
    from .. import config as vi_config

    return str(ctx.args.profile or os.environ.get(vi_config.ENV_PROFILE) or vi_config.DEFAULT_PROFILE)


def _interactive() -> bool:
    try:
        return sys.stdin.isatty()
    except (AttributeError, ValueError):
        return False


def configure(ctx: Any) -> int:
    from .. import config as vi_config

    args = ctx.args
    path = ctx.config_path
    profile = _profile_name(ctx)
    current: Dict[str, Any] = {}
    if os.path.exists(path):
        try:
            current = vi_config.read_profile(path, profile)[2]
        except ViConfigurationError as err:
            if "is not in config file" not in err.message:
                raise
    secret: Optional[str] = args.secret_key
    if args.secret_key_stdin:
        secret = sys.stdin.readline().strip() or None
        if secret is None:
            raise CliError("--secret-key-stdin read an empty line", USAGE)
    org, endpoint = args.organization_id, args.endpoint
    if _interactive() and not args.secret_key_stdin:
        if secret is None:
            hint = " (Enter keeps the current one)" if current.get("secret_key") else ""
            secret = getpass.getpass("Secret key%s: " % hint).strip() or None
        if org is None:
            org = input("Organization id [%s]: " % current.get("organization_id", "")).strip() or None
        if endpoint is None:
            shown = current.get("endpoint", vi_config.DEFAULT_ENDPOINT)
            endpoint = input("Endpoint [%s]: " % shown).strip() or None
    if secret is None and not current.get("secret_key"):
        raise CliError(
            "no secret key given for profile %r" % profile,
            USAGE,
            "pipe it in with --secret-key-stdin, or run configure at a terminal to be prompted",
        )
    written = vi_config.write_profile(
        path, profile, {"secret_key": secret, "organization_id": org, "endpoint": endpoint}
    )
    ctx.info("Saved profile %r to %s (readable by you only)" % (profile, written))
    return OK


# -- whoami / doctor ---------------------------------------------------------------------------


def _sources(ctx: Any) -> Dict[str, str]:
    from .. import config as vi_config

    kw = ctx.client_kwargs()
    return vi_config.config_sources(
        secret_key=kw["secret_key"],
        organization_id=kw["organization_id"],
        endpoint=kw["endpoint"],
        config_file=kw["config_file"],
        profile=kw["profile"],
    )


def whoami(ctx: Any) -> int:
    client = ctx.client()
    organization = client.organizations.get()
    config = client.config
    record = {
        "profile": config.profile,
        "endpoint": config.endpoint,
        "organization_id": organization.organization_id,
        "organization_name": organization.name,
        "config_file": config.config_file,
        "secret_key": "from " + _sources(ctx)["secret_key"],
    }
    ctx.show(record, _WHOAMI_COLUMNS)
    return OK


def _diagnose(err: BaseException, endpoint: str, organization_id: str) -> Tuple[int, str]:
    """One sentence that names the failure class and what to do about it."""
    if isinstance(err, ViPermissionError):
        return AUTH, "permission denied: the secret key is valid but cannot access organization %s (403)" % (
            organization_id
        )
    if isinstance(err, ViAuthenticationError):
        return AUTH, "bad key: %s rejected the secret key (401); check it, or create a new one" % endpoint
    if isinstance(err, ViNotFoundError):
        return NOT_FOUND, "organization %s was not found at %s (404); check the organization id" % (
            organization_id,
            endpoint,
        )
    if isinstance(err, ViNetworkError) and err.message.startswith("TLS"):
        return NETWORK, (
            "TLS failure talking to %s: %s. If a proxy inspects TLS, point REQUESTS_CA_BUNDLE at its CA bundle"
            % (endpoint, err.message.split(":", 1)[-1].strip())
        )
    if isinstance(err, ViTimeoutError):
        return NETWORK, "endpoint timed out: %s did not answer in time (%s)" % (endpoint, err.message)
    if isinstance(err, ViNetworkError):
        return NETWORK, "unreachable endpoint: cannot connect to %s (%s)" % (endpoint, err.message)
    return exit_code_for(err), one_line(err)


def doctor(ctx: Any) -> int:

    lines: List[str] = []

    def report(ok: bool, what: str, detail: str) -> None:
        lines.append("%-5s %-12s %s" % ("ok" if ok else "FAIL", what, detail))
        ctx.stdout.write(lines[-1] + "\n")
        ctx.stdout.flush()

    kwargs = ctx.client_kwargs()
    path = kwargs["config_file"]
    report(True, "config file", path or "none (looked for %s)" % ctx.config_path)
    sources = _sources(ctx)
    report(
        sources["secret_key"] != "missing",
        "secret key",
        "from %s" % sources["secret_key"] if sources["secret_key"] != "missing" else "missing",
    )
    report(sources["organization_id"] != "missing", "organization", "from %s" % sources["organization_id"])
    if "missing" in (sources["secret_key"], sources["organization_id"]):
        ctx.warn(
            "no credentials: run `%s configure`, or set DATATURE_VI_SECRET_KEY and DATATURE_VI_ORGANIZATION_ID"
            % ctx.prog
        )
        return AUTH
    client = ctx.client(timeout=10.0, max_retries=0)
    try:
        endpoint = client.endpoint
        report(True, "endpoint", "%s (from %s)" % (endpoint, sources["endpoint"]))
        try:
            organization = client.organizations.get()
        except ViError as err:
            code, sentence = _diagnose(err, endpoint, client.organization_id)
            report(False, "connection", sentence)
            return code
        report(True, "connection", "%s answered; the secret key was accepted" % endpoint)
        report(True, "access", "organization %s (%s)" % (organization.organization_id, organization.name))
    finally:
        client.close()
    return OK


# -- serve -------------------------------------------------------------------------------------


def serve(ctx: Any) -> int:
    from .. import config as vi_config
    from ..testing import LocalViServer

    args = ctx.args
    server = LocalViServer(
        host=args.host,
        port=args.port,
        secret_key=args.secret_key,
        organization_id=args.organization_id,
        seed=not args.no_seed,
        operation_delay=args.operation_delay,
    )
    server.start()
    try:
        out = ctx.stdout
        out.write("Local Vi API listening on %s\n" % server.url)
        out.write("Connect with (a throwaway key this local server made up):\n")
        for name, value in server.environment().items():
            if name == vi_config.ENV_SECRET_KEY and args.secret_key:
                value = "<the key you passed>"
            out.write("  export %s=%s\n" % (name, value))
        out.write("Press Ctrl-C to stop.\n")
        out.flush()
        try:
            threading.Event().wait()
        except KeyboardInterrupt:
            ctx.info("stopping")
    finally:
        server.stop()
    return OK


# -- completion --------------------------------------------------------------------------------


def _tree(parser: argparse.ArgumentParser, path: str, table: Dict[str, List[str]]) -> None:
    words: List[str] = []
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for name, child in action.choices.items():
                words.append(name)
                _tree(child, path + " " + name, table)
        else:
            words.extend(o for o in action.option_strings if o.startswith("--"))
    table[path] = words


_BASH = """# bash completion for %(prog)s; load with: source <(%(prog)s completion bash)
_%(func)s() {
    local cur="${COMP_WORDS[COMP_CWORD]}" path="@" w i
    declare -A table=(
%(entries)s
    )
    for ((i = 1; i < COMP_CWORD; i++)); do
        w="${COMP_WORDS[i]}"
        if [[ -n "${table[$path $w]+set}" ]]; then path="$path $w"; fi
    done
    COMPREPLY=($(compgen -W "${table[$path]}" -- "$cur"))
}
complete -F _%(func)s %(prog)s
"""


def completion(ctx: Any) -> int:
    table: Dict[str, List[str]] = {}
    _tree(ctx.parser, "@", table)  # "@": bash refuses an empty array key
    entries = "\n".join(
        '        ["%s"]="%s"' % (key, " ".join(words)) for key, words in sorted(table.items())
    )
    ctx.stdout.write(_BASH % {"prog": "datature-vi", "func": "datature_vi", "entries": entries})
    return OK
