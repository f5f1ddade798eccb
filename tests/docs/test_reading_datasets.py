"""The ETL example of "Reading a downloaded dataset" runs against the local server."""

import importlib.util

import pytest

from tests.helpers import REPO_ROOT

EXAMPLE = REPO_ROOT / "examples" / "reading_datasets.py"


def test_the_page_shows_the_example_that_runs():
    page = (REPO_ROOT / "docs" / "reading-datasets.rst").read_text(encoding="utf-8")
    assert ".. literalinclude:: ../examples/reading_datasets.py" in page
    assert "   reading-datasets\n" in (REPO_ROOT / "docs" / "index.rst").read_text(encoding="utf-8")


def test_etl_example_downloads_loads_iterates_and_tabulates(tmp_path, capsys):
    pytest.importorskip("pandas")
    spec = importlib.util.spec_from_file_location("reading_datasets", EXAMPLE)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    frame = module.main(tmp_path / "datasets")
    out = capsys.readouterr().out
    assert "images in" in out
    downloaded = [p for p in (tmp_path / "datasets").iterdir() if p.is_dir()]
    assert len(downloaded) == 1 and (downloaded[0] / "metadata.json").is_file()
    assert len(frame) > 0
    assert list(frame.columns[:6]) == ["split", "filename", "width", "height", "annotation_id", "type"]
    assert set(frame["type"]) <= {"PhraseGrounding", "Vqa", "Freeform"}
