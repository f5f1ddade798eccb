"""Interop harness: the official `vi-sdk` client from PyPI, unmodified, against `LocalViServer`.

Only `tox -e interop` runs this directory (it sets VI_INTEROP=1; `tests/conftest.py` ignores it
otherwise), because the official client is also imported as `vi` and so cannot share an
interpreter with the project under test.

Design
* `official_python` (session): a virtualenv with `vi-sdk==OFFICIAL_VERSION` installed by its own
  pip, cached between runs under `$VI_INTEROP_CACHE` (tox: `.tox/interop-official`) in a folder
  keyed by the official version and the interpreter's version. A completion marker plus an import
  check on every session decide whether the cache is usable; a broken or half-built cache is
  rebuilt. A file lock keeps two concurrent sessions from building it at once.
* `server` (function): `with LocalViServer() as server` on 127.0.0.1, fresh seeded state for every
  test (several tests delete things), stopped when the test ends.
* `official` (function): runs a snippet of official-client code in a subprocess of the venv's
  python (`-I`: no PYTHONPATH, no user site, no script folder on sys.path), from a scratch cwd and
  HOME outside the repository, with only DATATURE_VI_* telling it where the server is. The
  snippet's `RESULT` comes back as the JSON document on the last stdout line.
"""

from __future__ import annotations

import contextlib
import json
import os
import platform
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Any, Dict, Iterator, Optional

import pytest

from tests.interop.interop_support import Wire
from vi.testing import LocalViServer

OFFICIAL_PACKAGE = "vi-sdk"
OFFICIAL_VERSION = "0.1.0b7"
#: the `dataset` extra brings what the official dataset loader (`vi.dataset.loaders`) imports
OFFICIAL_EXTRAS = "dataset"
SCRIPT_TIMEOUT = 120  # seconds for one official-client script
INSTALL_TIMEOUT = 900  # seconds for building the virtualenv and `pip install`
MARKER = "VI-INTEROP-RESULT "

HERE = Path(__file__).resolve().parent
REPO_ROOT = HERE.parents[1]
PRELUDE = HERE / "_official_prelude.py"

EPILOGUE = """

# ---- epilogue ----------------------------------------------------------------------------------
sys.stdout.flush()
print()
print(MARKER + json.dumps(RESULT, default=repr, ensure_ascii=True), flush=True)
"""


# -- the official client's virtualenv -------------------------------------------------------------


def _cache_root(config: pytest.Config) -> Path:
    configured = os.environ.get("VI_INTEROP_CACHE")
    if configured:
        return Path(configured).expanduser().resolve()
    return Path(str(config.rootpath)) / ".tox" / "interop-official"


def _venv_python(venv: Path) -> Path:
    if os.name == "nt":
        return venv / "Scripts" / "python.exe"
    return venv / "bin" / "python"


@contextlib.contextmanager
def _file_lock(path: Path) -> Iterator[None]:
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "a+") as handle:
        try:
            import fcntl
        except ImportError:  # not POSIX: no concurrent-build protection, still correct alone
            yield
            return
        fcntl.flock(handle.fileno(), fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle.fileno(), fcntl.LOCK_UN)


def _run(cmd: list, *, timeout: float, what: str, env: Optional[Dict[str, str]] = None) -> str:
    try:
        done = subprocess.run(
            cmd, capture_output=True, text=True, timeout=timeout, env=env, stdin=subprocess.DEVNULL
        )
    except subprocess.TimeoutExpired as exc:
        raise RuntimeError(f"{what} timed out after {timeout}s: {cmd}\n{exc.stdout}\n{exc.stderr}") from None
    if done.returncode != 0:
        raise RuntimeError(
            f"{what} failed (exit {done.returncode}): {cmd}\n--- stdout\n{done.stdout[-4000:]}"
            f"\n--- stderr\n{done.stderr[-4000:]}"
        )
    return done.stdout


def _clean_env(**extra: str) -> Dict[str, str]:
    """The parent's environment without anything that could point python at this repository."""
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("PYTHON", "DATATURE_VI_", "VI_", "PIP_REQUIRE_VIRTUALENV"))
        and k not in ("VIRTUAL_ENV", "__PYVENV_LAUNCHER__", "CONDA_PREFIX", "TOX_ENV_DIR")
    }
    env.update(extra)
    return env


def _official_is_usable(python: Path) -> bool:
    if not python.exists():
        return False
    check = (
        "import importlib.metadata as m, vi, sys; "
        f"assert m.version({OFFICIAL_PACKAGE!r}) == {OFFICIAL_VERSION!r}; "
        "import vi.dataset.loaders; print(vi.__file__)"
    )
    try:
        out = _run(
            [str(python), "-I", "-c", check],
            timeout=60,
            what="checking the official client",
            env=_clean_env(),
        )
    except RuntimeError:
        return False
    vi_file = Path(out.strip()).resolve()
    return vi_file.is_relative_to(python.parent.parent.resolve()) and not vi_file.is_relative_to(
        REPO_ROOT / "vi"
    )


def _build_venv(venv: Path) -> None:
    if venv.exists():
        shutil.rmtree(venv)
    env = _clean_env(PIP_DISABLE_PIP_VERSION_CHECK="1", PIP_NO_INPUT="1")
    try:
        import virtualenv  # noqa: F401  (bundles its own pip; needs no ensurepip)

        create = [sys.executable, "-m", "virtualenv", "--quiet", "--no-periodic-update", str(venv)]
    except ImportError:
        create = [sys.executable, "-m", "venv", str(venv)]
    _run(create, timeout=INSTALL_TIMEOUT, what="creating the official client's virtualenv", env=env)
    python = _venv_python(venv)
    _run(
        [
            str(python),
            "-m",
            "pip",
            "install",
            "--quiet",
            f"{OFFICIAL_PACKAGE}[{OFFICIAL_EXTRAS}]=={OFFICIAL_VERSION}",
        ],
        timeout=INSTALL_TIMEOUT,
        what=f"pip install {OFFICIAL_PACKAGE}[{OFFICIAL_EXTRAS}]=={OFFICIAL_VERSION}",
        env=env,
    )


@pytest.fixture(scope="session")
def official_python(pytestconfig: pytest.Config) -> Path:
    """The interpreter of a (cached) virtualenv holding the official client from PyPI."""
    if sys.version_info < (3, 10):
        pytest.fail(f"{OFFICIAL_PACKAGE} {OFFICIAL_VERSION} needs Python >= 3.10; run tox -e interop on one")
    impl = platform.python_implementation().lower()
    key = f"{OFFICIAL_PACKAGE}-{OFFICIAL_EXTRAS}-{OFFICIAL_VERSION}-{impl}{sys.version_info[0]}.{sys.version_info[1]}"
    venv = _cache_root(pytestconfig) / key
    python = _venv_python(venv)
    marker = venv / ".vi-interop-complete"
    with _file_lock(venv.parent / (key + ".lock")):
        if not (marker.exists() and _official_is_usable(python)):
            _build_venv(venv)
            if not _official_is_usable(python):
                pytest.fail(f"{OFFICIAL_PACKAGE} {OFFICIAL_VERSION} installed in {venv} but does not import")
            marker.write_text(json.dumps({"package": OFFICIAL_PACKAGE, "version": OFFICIAL_VERSION}))
    return python


# -- the server and the runner --------------------------------------------------------------------


@pytest.fixture
def server() -> Iterator[LocalViServer]:
    with LocalViServer(host="127.0.0.1") as srv:
        yield srv


class OfficialRunner:
    """Runs official-client snippets against one server; see the module docstring."""

    def __init__(self, python: Path, server: LocalViServer, workdir: Path) -> None:
        self.python = python
        self.server = server
        self.workdir = workdir
        self.runs = 0

    def __call__(self, snippet: str, **params: Any) -> Dict[str, Any]:
        self.runs += 1
        run_dir = self.workdir / f"run{self.runs}"
        (run_dir / "home").mkdir(parents=True)
        script = run_dir / "official_script.py"
        script.write_text(PRELUDE.read_text() + textwrap.dedent(snippet) + EPILOGUE, encoding="utf-8")
        params = dict(params, forbidden_root=str(REPO_ROOT), official_version=OFFICIAL_VERSION)
        env = _clean_env(
            HOME=str(run_dir / "home"),
            DATATURE_VI_SECRET_KEY=self.server.secret_key,
            DATATURE_VI_ORGANIZATION_ID=self.server.organization_id,
            DATATURE_VI_API_ENDPOINT=self.server.url,
            VI_INTEROP_PARAMS=json.dumps(params),
            VI_ENABLE_FILE="false",
            NO_COLOR="1",
            TERM="dumb",
            COLUMNS="160",
            NO_PROXY="127.0.0.1,localhost",
            no_proxy="127.0.0.1,localhost",
        )
        cmd = [str(self.python), "-I", "-X", "utf8", str(script)]
        try:
            done = subprocess.run(
                cmd,
                cwd=str(run_dir),
                env=env,
                capture_output=True,
                text=True,
                encoding="utf-8",
                errors="replace",
                timeout=SCRIPT_TIMEOUT,
                stdin=subprocess.DEVNULL,
            )
        except subprocess.TimeoutExpired as exc:
            pytest.fail(
                f"official-client script timed out after {SCRIPT_TIMEOUT}s\n--- stdout\n{exc.stdout}"
                f"\n--- stderr\n{exc.stderr}"
            )
        lines = [line for line in done.stdout.splitlines() if line.strip()]
        if done.returncode != 0 or not lines or not lines[-1].startswith(MARKER):
            pytest.fail(
                f"official-client script failed (exit {done.returncode}); script: {script}\n"
                f"--- stdout\n{done.stdout[-5000:]}\n--- stderr\n{done.stderr[-5000:]}"
            )
        return json.loads(lines[-1][len(MARKER) :])


@pytest.fixture
def official(official_python: Path, server: LocalViServer, tmp_path: Path) -> OfficialRunner:
    return OfficialRunner(official_python, server, tmp_path)


@pytest.fixture
def wire(server: LocalViServer) -> Iterator[Wire]:
    view = Wire(server)
    yield view
    view.session.close()
