"""The README's main job stays runnable: the demo ETL against an embedded local server."""

import importlib.util

from tests.helpers import REPO_ROOT


def load_demo():
    path = REPO_ROOT / "examples" / "etl_demo.py"
    spec = importlib.util.spec_from_file_location("etl_demo", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_demo_walks_every_dataset_and_closes(capsys):
    assert load_demo().main(["--workers", "4"]) == 0
    out = capsys.readouterr().out
    assert "25 datasets" in out
    assert "Total: 300 assets in 25 datasets" in out
    assert "Client closed: True" in out
    connections = int(out.split("Server saw ")[1].split(" TCP")[0])
    assert 1 <= connections <= 4  # four threads shared one pool
