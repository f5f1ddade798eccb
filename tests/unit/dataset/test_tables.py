"""vi.tables over loaded datasets and plain rows: columns, CSV / JSON Lines, streaming."""

import csv
import io
import json
import weakref

import pytest

from tests.helpers.datasets import freeform, phrase_grounding, vqa, write_dataset
from vi import tables
from vi.dataset import ViDataset
from vi.errors import ViError


@pytest.fixture
def loaded(tmp_path):
    data = [
        {
            "filename": "a.png",
            "annotations": [phrase_grounding("a red car", "red car")],
            "width": 10,
            "height": 8,
        },
        {"filename": "b.png", "annotations": [vqa(("Q?", "A.")), freeform("words")], "width": 6},
    ]
    return ViDataset(write_dataset(tmp_path / "d", {"dump": data}))


def test_loaded_dataset_rows_one_per_asset(loaded):
    got = list(tables.rows(loaded))
    assert [tuple(r) for r in got] == [tables.LOADED_ASSET_COLUMNS] * 2
    assert got[0]["filename"] == "a.png" and got[0]["split"] == "dump"
    assert (got[0]["width"], got[0]["height"], got[0]["annotation_count"]) == (10, 8, 1)
    assert got[1]["annotation_types"] == ["Freeform", "Vqa"]


def test_loaded_annotation_rows(loaded):
    got = list(loaded.annotation_rows())
    assert [tuple(r) for r in got] == [tables.LOADED_ANNOTATION_COLUMNS] * 3
    pg, q, f = got
    assert pg["type"] == "PhraseGrounding" and pg["caption"] == "a red car"
    assert pg["phrases"] == [{"phrase": "red car", "start": 2, "end": 9, "bounds": [[0.1, 0.2, 0.5, 0.6]]}]
    assert q["interactions"] == [{"order": 0, "question": "Q?", "answer": "A."}] and q["phrases"] is None
    assert f["text"] == "words" and f["filename"] == "b.png"


def test_csv_and_jsonl_round_trip_the_rows(loaded, tmp_path):
    path = tmp_path / "out.csv"
    assert tables.write_csv(loaded.annotation_rows(), str(path)) == 3
    with open(path, newline="", encoding="utf-8") as handle:
        read = list(csv.DictReader(handle))
    assert list(read[0]) == list(tables.LOADED_ANNOTATION_COLUMNS) + ["extra"]
    assert json.loads(read[0]["phrases"])[0]["phrase"] == "red car"
    assert read[1]["phrases"] == "" and read[0]["category"] == ""
    buffer = io.StringIO()
    assert tables.write_jsonl(loaded.annotation_rows(), buffer) == 3
    assert [json.loads(line) for line in buffer.getvalue().splitlines()] == list(loaded.annotation_rows())


def test_csv_keeps_keys_first_seen_after_the_sample(monkeypatch):
    monkeypatch.setattr(tables, "CSV_SAMPLE_ROWS", 2)
    data = [{"a": 1}, {"a": 2, "meta.x": "x"}, {"a": 3, "meta.late": [1]}]
    text = tables.to_csv_string(data)
    read = list(csv.DictReader(io.StringIO(text)))
    assert list(read[0]) == ["a", "meta.x", "extra"]
    assert [r["meta.x"] for r in read] == ["", "x", ""]
    assert json.loads(read[2]["extra"]) == {"meta.late": [1]}
    fixed = list(csv.DictReader(io.StringIO(tables.to_csv_string(data, columns=["a"]))))
    assert [list(r.items()) for r in fixed] == [[("a", "1")], [("a", "2")], [("a", "3")]]


class _Item:
    """An API-asset-shaped object that can be tracked while it is alive."""

    def __init__(self, n, live):
        self.asset_id, self.filename, self.dataset_id = "a%d" % n, "f%d.jpg" % n, "ds"
        self.metadata = {"file_size": n, "custom_metadata": {"camera": "c%d" % (n % 3)}}
        live.add(n)
        weakref.finalize(self, live.discard, n)


def test_csv_writer_streams_in_constant_memory(monkeypatch):
    """Writing 5,000 items never holds more than the read-ahead sample (+ one) alive."""
    monkeypatch.setattr(tables, "CSV_SAMPLE_ROWS", 100)
    live, peak = set(), [0]

    def produce():
        for n in range(5000):
            yield _Item(n, live)
            peak[0] = max(peak[0], len(live))

    out = io.StringIO()
    assert tables.write_csv(produce(), out) == 5000
    assert peak[0] <= 102
    header = out.getvalue().splitlines()[0].split(",")
    assert header[:3] == ["asset_id", "dataset_id", "filename"] and "meta.camera" in header


def test_to_dataframe(loaded):
    pd = pytest.importorskip("pandas")
    frame = loaded.to_dataframe()
    assert isinstance(frame, pd.DataFrame)
    assert list(frame.columns) == list(tables.LOADED_ASSET_COLUMNS)
    assert frame["filename"].tolist() == ["a.png", "b.png"]
    per_annotation = loaded.to_dataframe(annotations=True)
    assert per_annotation["type"].tolist() == ["PhraseGrounding", "Vqa", "Freeform"]
    picked = tables.to_dataframe(loaded, columns=["filename", "width"])
    assert picked.to_dict("records") == [
        {"filename": "a.png", "width": 10},
        {"filename": "b.png", "width": 6},
    ]


def test_to_dataframe_without_pandas_is_a_clear_error(loaded, monkeypatch):
    import sys

    monkeypatch.setitem(sys.modules, "pandas", None)
    with pytest.raises(ViError) as err:
        tables.to_dataframe(loaded)
    assert "pandas" in str(err.value) and "vi-requests[pandas]" in err.value.suggestion


def test_rows_of_an_unknown_object_is_an_error():
    with pytest.raises(ViError, match="Cannot make a table row of int"):
        list(tables.rows([1]))
