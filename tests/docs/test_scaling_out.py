"""The scaling-out page's examples run as written (each in its own process, as a user would)."""

import importlib.util
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PAGE = ROOT / "docs" / "scaling-out.rst"


def _run(script):
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([str(ROOT)] + [p for p in sys.path if p]))
    env.pop("DATATURE_VI_SECRET_KEY", None)
    done = subprocess.run(
        [sys.executable, str(ROOT / "examples" / script)],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    return done.stdout


@pytest.mark.parametrize("script", ["dask_etl.py", "process_pool_etl.py"])
def test_the_page_shows_the_example_file(script):
    assert ".. literalinclude:: ../examples/%s" % script in PAGE.read_text(encoding="utf-8")


def test_dask_example_runs():
    # checked without importing: importing dask here would install tblib's exception pickling
    # for every later test of this process
    if not all(importlib.util.find_spec(m) for m in ("dask", "distributed", "pandas")):
        pytest.skip("needs the dask extra")
    out = _run("dask_etl.py")
    assert "partitions: 3 bytes: 57960" in out
    assert "60 file(s): 60 succeeded, 0 skipped, 0 failed" in out
    assert "60 file(s): 0 succeeded, 60 skipped, 0 failed" in out


def test_process_pool_example_runs():
    out = _run("process_pool_etl.py")
    assert "30 file(s): 30 succeeded, 0 skipped, 0 failed" in out
