"""Helpers for the command-line tests: run ``python -m vi`` in a subprocess with a private HOME."""

import json
import os
import subprocess
import sys

from tests.helpers import REPO_ROOT

ROOT = str(REPO_ROOT)


class Cli:
    """``cli(*args)`` runs ``python -m vi ARGS`` with a private HOME and cache and the server's
    variables (unless ``env=`` replaces them) and returns the CompletedProcess (text)."""

    def __init__(self, server, home):
        self.server = server
        self.home = home

    def environment(self, extra=None, credentials=True):
        env = {
            k: v for k, v in os.environ.items() if not k.startswith(("DATATURE_VI_", "VI_LOG", "VI_ENABLE"))
        }
        env.update(
            HOME=str(self.home),
            XDG_CACHE_HOME=str(self.home / "cache"),
            PYTHONPATH=ROOT + os.pathsep + env.get("PYTHONPATH", ""),
            PYTHONUNBUFFERED="1",
        )
        if credentials:
            env.update(self.server.environment())
        env.update(extra or {})
        return env

    def argv(self, *args):
        return [sys.executable, "-m", "vi", *map(str, args)]

    def __call__(self, *args, env=None, credentials=True, input=None, cwd=None, timeout=120):  # noqa: A002
        return subprocess.run(
            self.argv(*args),
            env=self.environment(env, credentials),
            input=input,
            capture_output=True,
            text=True,
            cwd=cwd,
            timeout=timeout,
        )

    def ok(self, *args, **kwargs):
        done = self(*args, **kwargs)
        assert done.returncode == 0, (done.returncode, done.stderr)
        return done

    def jsonl(self, *args, **kwargs):
        return [json.loads(line) for line in self.ok(*args, "-o", "jsonl", **kwargs).stdout.splitlines()]


def make_images(folder, count, size=2048, prefix="img"):
    """``count`` small distinct .jpg files: a real JPEG (the server reads its header and refuses
    unreadable images) followed by random bytes, so every file differs."""
    from vi.testing.pictures import jpeg_bytes

    folder.mkdir(parents=True, exist_ok=True)
    for i in range(count):
        (folder / ("%s%03d.jpg" % (prefix, i))).write_bytes(
            jpeg_bytes(8, 8, (i % 256, 0, 0)) + os.urandom(size)
        )
    return folder
