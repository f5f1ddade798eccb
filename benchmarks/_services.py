"""The servers a benchmark run talks to, all on 127.0.0.1, all stopped when the run ends.

* :class:`Nginx`: Debian's nginx in the foreground with the generated config (``_env.nginx_config``).
* :class:`PyServer`: ``workers/serve.py`` in the bench venv (the 20 ms latency server, or a
  ``vi.testing.LocalViServer`` with a large dataset), controlled over its stdin/stdout.
"""

from __future__ import annotations

import json
import os
import select
import shutil
import signal
import subprocess
import tempfile
import time
import urllib.request
from pathlib import Path
from typing import Any, Dict, List, Optional

import _env


def _stop_process(proc: Optional[subprocess.Popen], sig: int = signal.SIGTERM, grace: float = 5.0) -> None:
    if proc is None or proc.poll() is not None:
        return
    try:
        proc.send_signal(sig)
        proc.wait(grace)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait(5)
    except ProcessLookupError:
        pass


class Nginx:
    def __init__(self) -> None:
        self.binary = _env.ensure_nginx()
        self.port = 0
        self.proc: Optional[subprocess.Popen] = None

    @property
    def url(self) -> str:
        return "http://127.0.0.1:%d" % self.port

    def start(self) -> "Nginx":
        base = _env.CACHE / "nginx"
        last_error = ""
        for _ in range(5):  # a port picked free can be taken before nginx binds it: try another
            self.port = _env.free_port()
            conf = _env.nginx_config(self.port)
            log = open(base / "stderr.log", "wb")
            self.proc = subprocess.Popen(
                [self.binary, "-p", str(base), "-e", str(base / "error.log"), "-c", str(conf)],
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
            )
            log.close()
            if self._wait_ready(10.0):
                return self
            last_error = (base / "stderr.log").read_text(errors="replace")[-2000:]
            _stop_process(self.proc)
        raise RuntimeError("nginx did not start:\n" + last_error)

    def _wait_ready(self, timeout: float) -> bool:
        deadline = time.monotonic() + timeout
        url = "%s/workspaces/%s/datasets/%s_%s" % (self.url, _env.ORG, _env.ORG, _env.DSID)
        while time.monotonic() < deadline:
            if self.proc is not None and self.proc.poll() is not None:
                return False
            try:
                with urllib.request.urlopen(url, timeout=2) as response:
                    if response.status == 200:
                        return True
            except OSError:
                time.sleep(0.05)
        return False

    def stop(self) -> None:
        _stop_process(self.proc, signal.SIGQUIT)  # graceful: finish open requests, then exit
        self.proc = None


class PyServer:
    """``workers/serve.py`` in its own process; ``hello`` is its first JSON line."""

    def __init__(self, python: Path, args: List[str], start_timeout: float = 180.0) -> None:
        env = _env.clean_env(PYTHONPATH=str(_env.REPO), PYTHONDONTWRITEBYTECODE="1")
        self.proc = subprocess.Popen(
            [str(python), str(_env.HERE / "workers" / "serve.py")] + args,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=None,
            cwd=str(_env.CACHE),
            env=env,
            text=True,
            bufsize=1,
        )
        self.hello: Dict[str, Any] = self._read(start_timeout)

    def _read(self, timeout: float) -> Dict[str, Any]:
        assert self.proc.stdout is not None
        ready, _, _ = select.select([self.proc.stdout], [], [], timeout)
        if not ready:
            self.stop()
            raise RuntimeError("server process did not answer within %ss" % timeout)
        line = self.proc.stdout.readline()
        if not line:
            raise RuntimeError("server process exited (code %s)" % self.proc.poll())
        return json.loads(line)

    def command(self, name: str, timeout: float = 30.0) -> Dict[str, Any]:
        assert self.proc.stdin is not None
        self.proc.stdin.write(name + "\n")
        self.proc.stdin.flush()
        return self._read(timeout)

    @property
    def url(self) -> str:
        return str(self.hello["url"])

    def stop(self) -> None:
        if self.proc.poll() is None:
            try:
                assert self.proc.stdin is not None
                self.proc.stdin.write("quit\n")
                self.proc.stdin.close()
                self.proc.wait(10)
            except (OSError, subprocess.TimeoutExpired, ValueError):
                pass
        _stop_process(self.proc)
        for stream in (self.proc.stdout, self.proc.stdin):
            try:
                if stream is not None:
                    stream.close()
            except OSError:
                pass


def run_worker(
    python: Path, spec: Dict[str, Any], *, official: bool, timeout: float, script: Optional[Path] = None
) -> Dict[str, Any]:
    """One measurement in a fresh process (``workers/worker.py``, or ``script``)."""
    script = script or _env.WORKER
    spec = dict(spec, repo=str(_env.REPO))
    home = scratch_dir() / ("home-official" if official else "home-ours")
    home.mkdir(parents=True, exist_ok=True)
    if official:
        cmd = [str(python), "-I", str(script), json.dumps(spec)]
        env = _env.clean_env(HOME=str(home))
    else:
        cmd = [str(python), str(script), json.dumps(spec)]
        env = _env.clean_env(HOME=str(home), PYTHONPATH=str(_env.REPO))
    try:
        done = subprocess.run(
            cmd,
            cwd=str(home),
            env=env,
            capture_output=True,
            text=True,
            timeout=timeout,
            stdin=subprocess.DEVNULL,
        )
    except subprocess.TimeoutExpired:
        raise RuntimeError(
            "worker timed out after %ss: %s %s"
            % (timeout, spec.get("scenario") or spec.get("workflow"), spec["client"])
        ) from None
    for line in reversed(done.stdout.splitlines()):
        if line.startswith("RESULT "):
            result: Dict[str, Any] = json.loads(line[len("RESULT ") :])
            result["stdout"] = done.stdout[: -len(line) - 1] if spec.get("profile") else ""
            return result
    raise RuntimeError(
        "worker failed (exit %s): %s %s\n--- stdout\n%s\n--- stderr\n%s"
        % (
            done.returncode,
            spec.get("scenario") or spec.get("workflow"),
            spec["client"],
            done.stdout[-3000:],
            done.stderr[-3000:],
        )
    )


def scratch_dir() -> Path:
    """Working directory and HOME of the workers: outside the repository (the official client's
    process must not even start inside it), one per user, emptied by :func:`clear_scratch`."""
    path = Path(tempfile.gettempdir()) / ("vi-bench-%s" % (os.getuid() if hasattr(os, "getuid") else "user"))
    path.mkdir(parents=True, exist_ok=True)
    return path


def clear_scratch() -> None:
    """The official client writes a log file per client under ~/.datature/vi/logs: keep them bounded."""
    shutil.rmtree(scratch_dir(), ignore_errors=True)


def time_command(cmd: List[str], cwd: str, env: Dict[str, str], timeout: float = 60.0) -> float:
    start = time.perf_counter()
    done = subprocess.run(
        cmd, cwd=cwd, env=env, capture_output=True, timeout=timeout, stdin=subprocess.DEVNULL
    )
    took = time.perf_counter() - start
    if done.returncode != 0:
        raise RuntimeError("%s failed: %s" % (cmd, done.stderr.decode(errors="replace")[-2000:]))
    return took


__all__ = ["Nginx", "PyServer", "run_worker", "time_command", "clear_scratch", "scratch_dir"]
