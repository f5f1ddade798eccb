"""The worked ETL example of docs/cli.rst, run command for command against a local server."""

import csv
import io
import json
import os
import stat
import subprocess
import sys

from tests.helpers import REPO_ROOT
from vi.testing import LocalViServer
from vi.testing.pictures import jpeg_bytes

HEAD = jpeg_bytes(8, 8, (0, 0, 0))

ROOT = REPO_ROOT
DOC = ROOT / "docs" / "cli.rst"


def example_script():
    """The bash block that follows the ``cli-etl-example`` label, dedented."""
    lines = DOC.read_text(encoding="utf-8").splitlines()
    start = lines.index(".. _cli-etl-example:")
    begin = next(i for i in range(start, len(lines)) if lines[i].strip() == ".. code-block:: bash") + 2
    block = []
    for line in lines[begin:]:
        if line and not line.startswith("    "):
            break
        block.append(line[4:])
    return "\n".join(block).strip() + "\n"


def test_the_worked_etl_example_runs(tmp_path):
    script = example_script()
    assert "datature-vi configure" in script and "assets list" in script  # the block was found
    home = tmp_path / "home"
    home.mkdir()
    work = tmp_path / "work"
    (work / "photos" / "aisle-2").mkdir(parents=True)
    names = ["a1.jpg", "a2.png", "aisle-2/b1.jpg"]
    for name in names:  # a real JPEG first (the server reads its header), then random bytes
        (work / "photos" / name).write_bytes(HEAD + os.urandom(3000))
    with LocalViServer(operation_delay=0.0) as server:
        (home / "vi-secret-key.txt").write_text(server.secret_key + "\n")
        env = {k: v for k, v in os.environ.items() if not k.startswith(("DATATURE_VI_", "VI_LOG"))}
        env.update(
            HOME=str(home),
            XDG_CACHE_HOME=str(home / "cache"),
            PYTHONPATH=str(ROOT),
            ORG_ID=server.organization_id,
            # The documented job talks to the real service; here the endpoint points at the local one.
            DATATURE_VI_API_ENDPOINT=server.url,
        )
        prelude = 'set -euo pipefail\ndatature-vi() { "%s" -m vi "$@"; }\n' % sys.executable
        done = subprocess.run(
            ["bash", "-c", prelude + script], cwd=work, env=env, capture_output=True, text=True, timeout=300
        )
        assert done.returncode == 0, done.stderr
        output = done.stdout + done.stderr
        assert server.secret_key not in output
        config = home / ".datature" / "vi" / "config.json"
        assert stat.S_IMODE(os.stat(config).st_mode) == 0o600
        assert json.loads(config.read_text())["organization_id"] == server.organization_id
        rows = list(csv.DictReader(io.StringIO((work / "assets.csv").read_text())))
        assert sorted(r["filename"] for r in rows) == ["a1.jpg", "a2.png", "b1.jpg"]
        assert {r["metadata.file_size"] for r in rows} == {str(len(HEAD) + 3000)}
        exported = list((work / "exports").iterdir())
        assert len(exported) == 1 and (exported[0] / "metadata.json").is_file()
