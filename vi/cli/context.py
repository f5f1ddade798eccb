"""What every command needs: the parsed arguments, the output writer, the progress bar and one
lazily built :class:`vi.Client` configured exactly as the SDK would configure it."""

from __future__ import annotations

import argparse
import logging
import os
from typing import IO, Any, Callable, List, Optional, Sequence

from .exits import AUTH, CliError
from .output import Writer, default_format
from .progress import ProgressBar

__all__ = ["Context", "config_file_path"]


def config_file_path(explicit: Optional[str], environ: Any = None) -> str:
    """``--config-file``, else ``DATATURE_VI_CONFIG_FILE``, else ``~/.datature/vi/config.json``."""
    from .. import config as vi_config

    env = os.environ if environ is None else environ
    chosen = explicit or env.get(vi_config.ENV_CONFIG_FILE) or vi_config.DEFAULT_CONFIG_FILE
    return os.path.abspath(os.path.expanduser(chosen))


class Context:
    def __init__(
        self,
        args: argparse.Namespace,
        stdout: IO[str],
        stderr: IO[str],
        prog: str,
        parser: Optional[argparse.ArgumentParser] = None,
    ) -> None:
        self.args = args
        #: the whole command tree (shell completion walks it)
        self.parser = parser
        self.stdout = stdout
        self.stderr = stderr
        self.prog = prog
        self.quiet: bool = bool(args.quiet)
        self.verbose: bool = bool(args.verbose)
        self.debug: bool = bool(args.debug)
        self._client: Any = None
        self._bars: List[ProgressBar] = []

    # -- configuration -------------------------------------------------------------------
    @property
    def config_path(self) -> str:
        return config_file_path(self.args.config_file)

    def config_file(self) -> Optional[str]:
        """The config file to read: one named explicitly must exist; the default one may not."""
        path = self.config_path
        named = self.args.config_file or os.environ.get("DATATURE_VI_CONFIG_FILE")
        if os.path.exists(path) or named:
            return path
        if self.args.profile:
            raise CliError(
                "profile %r was asked for but there is no config file at %s" % (self.args.profile, path),
                AUTH,
                "run `%s configure --profile %s` to create it" % (self.prog, self.args.profile),
            )
        return None

    def client_kwargs(self) -> dict:
        return {
            "secret_key": self.args.secret_key,
            "organization_id": self.args.organization_id,
            "endpoint": self.args.endpoint,
            "config_file": self.config_file(),
            "profile": self.args.profile,
        }

    def client(self, **overrides: Any) -> Any:
        """The client for this run (built once); missing credentials become a clear error."""
        if self._client is not None and not overrides:
            return self._client
        import vi
        from vi.errors import ViConfigurationError, ViErrorCode
        from vi.logging import LoggingConfig, LogLevel

        kwargs = self.client_kwargs()
        kwargs.update(overrides)
        if self.debug or self.verbose:
            level = LogLevel.DEBUG if self.debug else LogLevel.INFO
            kwargs["logging_config"] = LoggingConfig(level=level, enable_console=True)
        else:
            # Retries are normal; without -v only the final outcome is reported (one line), so
            # keep Python's last-resort handler from printing the SDK's warnings.
            logging.getLogger("vi").addHandler(logging.NullHandler())
        try:
            client = vi.Client(**kwargs)
        except ViConfigurationError as err:
            if err.error_code == ViErrorCode.MISSING_REQUIRED_FIELD:
                raise self._no_credentials(err) from None
            raise
        if not overrides:
            self._client = client
        return client

    def _no_credentials(self, err: Any) -> CliError:
        from .. import config as vi_config

        what = "secret key" if "secret key" in err.message else "organization id"
        flag, env = (
            ("--secret-key", vi_config.ENV_SECRET_KEY)
            if what == "secret key"
            else ("--organization-id", vi_config.ENV_ORGANIZATION_ID)
        )
        file_part = self.config_path if os.path.exists(self.config_path) else "%s (absent)" % self.config_path
        return CliError(
            "no credentials: no %s in %s, %s or the config file %s" % (what, flag, env, file_part),
            AUTH,
            "run `%s configure`, or set %s" % (self.prog, env),
        )

    # -- output --------------------------------------------------------------------------
    @property
    def fmt(self) -> str:
        return self.args.output or default_format(self.stdout)

    def writer(self, columns: Sequence[str]) -> Writer:
        chosen = self.args.columns.split(",") if self.args.columns else columns
        return Writer(self.fmt, [c.strip() for c in chosen if c.strip()], self.stdout)

    def listing(
        self, first_page: Callable[[], Any], columns: Sequence[str], limit: Optional[int] = None
    ) -> int:
        """Stream a listing page by page; returns how many records were written.

        ``first_page`` is called here rather than passed in as a page, so that nothing up the
        stack keeps the first page alive: while the next page is fetched, only the page being
        built is in memory (the SDK's walk holds none), whatever the listing's length."""
        writer = self.writer(columns)
        written = 0
        walk = first_page().pages()
        for each in walk:
            items = each.items
            del each
            if limit is not None:
                items = items[: max(0, limit - written)]
            written += writer.page(items)
            del items
            if limit is not None and written >= limit:
                break
        writer.close()
        return written

    def show(self, item: Any, columns: Sequence[str]) -> None:
        self.writer(columns).one(item)

    def info(self, message: str) -> None:
        """A human-facing line on stderr (never mixed into the data on stdout); off with --quiet."""
        if not self.quiet:
            self.stderr.write(message.rstrip("\n") + "\n")
            self.stderr.flush()

    def warn(self, message: str) -> None:
        self.stderr.write("%s: %s\n" % (self.prog, message))
        self.stderr.flush()

    def progress(self, label: str) -> Optional[ProgressBar]:
        """A progress bar when stderr is a terminal and --quiet is off; otherwise none."""
        try:
            terminal = self.stderr.isatty()
        except (AttributeError, ValueError):
            terminal = False
        if self.quiet or not terminal:
            return None
        bar = ProgressBar(self.stderr, label)
        self._bars.append(bar)
        return bar

    def end_progress(self) -> None:
        for bar in self._bars:
            bar.close()
        self._bars = []

    def close(self) -> None:
        self.end_progress()
        if self._client is not None:
            self._client.close()
            self._client = None
