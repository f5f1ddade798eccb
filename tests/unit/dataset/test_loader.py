"""ViDataset over small datasets written by the tests in the service's export layout."""

import json
import os
import pickle
import random
import subprocess
import sys
import threading
import warnings

import pytest

from tests.helpers.datasets import freeform, phrase_grounding, png, tree_snapshot, vqa, write_dataset
from vi.dataset import PhraseGrounding, ViAnnotation, ViAsset, ViDataset, ViDatasetWarning, Vqa
from vi.errors import ViError, ViInvalidFileFormatError, ViNotFoundError, ViValidationError


def items(n, prefix="img", contents=None):
    return [
        {
            "filename": "%s%03d.png" % (prefix, i),
            "annotations": [contents or phrase_grounding()],
            "width": 4 + i,
        }
        for i in range(n)
    ]


@pytest.fixture
def split_dataset(tmp_path):
    return write_dataset(
        tmp_path / "ds-split",
        {"training": items(3, "t"), "validation": items(2, "v", vqa()), "dump": []},
    )


def test_len_index_iteration_and_split_order(split_dataset):
    ds = ViDataset(split_dataset)
    assert ds.splits == ["dump", "validation", "training"]
    assert len(ds) == 5 and len(ds.training) == 3 and len(ds.validation) == 2 and len(ds.dump) == 0
    pairs = list(ds)
    assert [a.filename for a, _ in pairs] == ["v000.png", "v001.png", "t000.png", "t001.png", "t002.png"]
    assert [a.split for a, _ in pairs] == ["validation"] * 2 + ["training"] * 3
    for i, (asset, annotations) in enumerate(pairs):
        assert ds[i] == (asset, annotations)
    assert ds[-1] == pairs[-1]
    assert ds.get_split_indices("training") == [2, 3, 4]
    assert ds.get_sample_info(3) == {"split": "training", "local_index": 1, "global_index": 3}
    assert ds.get_batch([4, 0]) == [pairs[4], pairs[0]]
    with pytest.raises(IndexError):
        ds[5]
    with pytest.raises(IndexError):
        ds.get_batch([0, 9])
    asset, annotations = ds.training[1]
    assert isinstance(asset, ViAsset) and asset.width == 5 and asset.height == 3
    assert asset.filepath == os.path.join(split_dataset, "training", "images", "t001.png")
    assert isinstance(annotations[0], ViAnnotation) and isinstance(annotations[0].contents, PhraseGrounding)
    assert isinstance(ds.validation[0][1][0].contents, Vqa)
    assert list(ds.training.assets) == [p[0] for p in pairs[2:]]
    assert ds.training.annotations[0] == pairs[2][1]
    assert ds.training.find("t002.png") == pairs[4] and ds.training.find("nope.png") is None


def test_dump_only_export_has_empty_training_and_validation(tmp_path):
    ds = ViDataset(write_dataset(tmp_path / "d", {"dump": items(2)}))
    assert ds.splits == ["dump"] and len(ds) == 2
    assert len(ds.training) == 0 and not ds.training.exists and list(ds.training) == []
    with pytest.raises(ViNotFoundError) as err:
        ds.split("training")
    assert os.path.join(str(tmp_path / "d"), "training") in str(err.value)


def test_loads_by_dataset_id_from_the_download_folder(tmp_path):
    write_dataset(tmp_path / "saved" / "ds-abc", {"dump": items(1)})
    ds = ViDataset("ds-abc", save_path=str(tmp_path / "saved"))
    assert ds.path == str(tmp_path / "saved" / "ds-abc") and len(ds) == 1


def test_missing_dataset_without_credentials_names_the_folder(tmp_path):
    with pytest.raises(ViNotFoundError) as err:
        ViDataset("ds-missing", save_path=str(tmp_path))
    assert str(tmp_path / "ds-missing") in str(err.value)
    assert "get_dataset" in err.value.suggestion


@pytest.mark.parametrize("one_file, reverse", [(True, True), (False, False)])
def test_pairs_by_file_name_not_position(tmp_path, one_file, reverse):
    data = [
        {"filename": "b.png", "annotations": [phrase_grounding("a cat", "cat")]},
        {"filename": "a.png", "annotations": []},
        {"filename": "c.png", "annotations": [vqa(("Q1", "A1")), freeform("free c")]},
    ]
    root = write_dataset(tmp_path / "d", {"dump": data}, one_file=one_file, reverse_lines=reverse)
    with pytest.warns(ViDatasetWarning):
        ds = ViDataset(root)
    by_name = {asset.filename: annotations for asset, annotations in ds}
    assert list(by_name) == ["a.png", "b.png", "c.png"]
    assert by_name["a.png"] == []
    assert [a.asset.filename for a in by_name["b.png"]] == ["b.png"]
    assert by_name["b.png"][0].contents.caption == "a cat"
    in_file_order = ["Vqa", "Freeform"][:: -1 if reverse else 1]
    assert [a.type for a in by_name["c.png"]] == in_file_order
    assert [a.contents.text for a in by_name["c.png"] if a.type == "Freeform"] == ["free c"]


def test_assets_folder_is_accepted_as_images(tmp_path):
    ds = ViDataset(write_dataset(tmp_path / "d", {"dump": items(2)}, images="assets"))
    assert ds[0][0].filepath.endswith(os.path.join("dump", "assets", "img000.png"))
    assert ds[1][0].read_bytes() == png(5, 3, 1)


def test_annotations_only_export_takes_assets_from_the_lines(tmp_path):
    ds = ViDataset(write_dataset(tmp_path / "d", {"dump": items(3)}, images=None))
    assert [a.filename for a, _ in ds] == ["img000.png", "img001.png", "img002.png"]
    asset, annotations = ds[2]
    assert asset.filepath is None and (asset.width, asset.height) == (6, 3) and len(annotations) == 1
    with pytest.raises(ViError, match="no local file"):
        asset.read_bytes()


def test_metadata_and_info(split_dataset):
    ds = ViDataset(split_dataset)
    assert ds.metadata.name == "ds-split" and ds.metadata.organization_id == "org-1"
    assert ds.metadata.created_at == 1700000000 and ds.metadata.format_version == 1
    info = ds.info()
    assert info.name == "ds-split" and info.created_at.startswith("2023-11-14T22:13:20")
    assert {k: (v.assets, v.annotations) for k, v in info.splits.items()} == {
        "dump": (0, 0),
        "validation": (2, 2),
        "training": (3, 3),
    }
    assert (info.total_assets, info.total_annotations) == (5, 5)


def test_metadata_is_made_up_when_absent(tmp_path):
    root = write_dataset(tmp_path / "hand", {"dump": items(1)})
    os.remove(os.path.join(root, "metadata.json"))
    ds = ViDataset(root)
    assert ds.metadata.name == "hand" and ds.metadata.created_at is None


# -- bad input ------------------------------------------------------------------------------


def test_no_split_folder_is_an_error_naming_the_folder(tmp_path):
    (tmp_path / "empty").mkdir()
    with pytest.raises(ViValidationError) as err:
        ViDataset(str(tmp_path / "empty"))
    assert str(tmp_path / "empty") in str(err.value) and err.value.details["file"] == str(tmp_path / "empty")


def test_training_without_validation_names_the_missing_split(tmp_path):
    root = write_dataset(tmp_path / "d", {"training": items(1)})
    with pytest.raises(ViValidationError) as err:
        ViDataset(root)
    assert os.path.join(root, "validation") in str(err.value)


def _annotation_file(root, split="dump"):
    return os.path.join(root, split, "annotations", "annotations.jsonl")


def _insert_line(path, number, text):
    with open(path, encoding="utf-8") as handle:
        lines = handle.read().splitlines()
    lines.insert(number - 1, text)
    with open(path, "w", encoding="utf-8") as handle:
        handle.write("\n".join(lines) + "\n")


@pytest.mark.parametrize(
    "text, what",
    [
        ('{"id": "x", "asset": {"filename": "img000.png"', "not valid JSON"),
        ('{"id": "x", "contents": {}}', "no asset.filename"),
        ("[1, 2]", "no asset.filename"),
    ],
)
def test_unparsable_line_names_file_and_line(tmp_path, text, what):
    root = write_dataset(tmp_path / "d", {"dump": items(3)})
    _insert_line(_annotation_file(root), 3, text)
    with pytest.raises(ViInvalidFileFormatError) as err:
        ViDataset(root)
    assert "%s, line 3: %s" % (_annotation_file(root), what) in str(err.value)
    assert err.value.details == {"file": _annotation_file(root), "line": 3}


def test_annotation_whose_asset_is_missing_names_file_line_and_asset(tmp_path):
    root = write_dataset(tmp_path / "d", {"dump": items(2)})
    os.remove(os.path.join(root, "dump", "images", "img001.png"))
    with pytest.raises(ViInvalidFileFormatError) as err:
        ViDataset(root)
    message = str(err.value)
    assert _annotation_file(root) + ", line 2" in message and "'img001.png'" in message
    assert os.path.join(root, "dump", "images") in message


def test_invalid_annotation_fails_on_read_naming_file_line_and_field(tmp_path):
    root = write_dataset(tmp_path / "d", {"dump": items(2)})
    bad = {"id": "b", "asset": {"filename": "img001.png"}, "contents": {"type": "Vqa", "interactions": [{}]}}
    _insert_line(_annotation_file(root), 1, json.dumps(bad))
    ds = ViDataset(root)
    assert len(ds[0][1]) == 1  # other assets still read
    with pytest.raises(ViInvalidFileFormatError) as err:
        ds[1]
    assert "%s, line 1" % _annotation_file(root) in str(err.value)
    assert "contents.interactions.0.question: Missing data for required field" in str(err.value)


def test_asset_without_annotations_is_a_warning_naming_it(tmp_path):
    data = items(2) + [{"filename": "lonely.png", "annotations": []}]
    root = write_dataset(tmp_path / "d", {"dump": data})
    with pytest.warns(ViDatasetWarning) as caught:
        ds = ViDataset(root)
    assert len(caught) == 1
    assert "1 asset(s) of the dump split have no annotations" in str(caught[0].message)
    assert os.path.join(root, "dump", "images", "lonely.png") in str(caught[0].message)
    assert ds.dump.find("lonely.png")[1] == []
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        ViDataset(root, warn=False)


def test_metadata_from_a_newer_format_version_is_refused(tmp_path):
    root = write_dataset(tmp_path / "d", {"dump": items(1)}, metadata={"formatVersion": 99})
    with pytest.raises(ViInvalidFileFormatError) as err:
        ViDataset(root)
    assert os.path.join(root, "metadata.json") in str(err.value) and "format version 99" in str(err.value)
    assert "Upgrade" in err.value.suggestion


def test_unparsable_metadata_names_the_file(tmp_path):
    root = write_dataset(tmp_path / "d", {"dump": items(1)})
    with open(os.path.join(root, "metadata.json"), "w") as handle:
        handle.write("{nope")
    with pytest.raises(ViInvalidFileFormatError, match="metadata.json is not valid JSON"):
        ViDataset(root)


# -- laziness, sharing, no writes ------------------------------------------------------------


def test_random_access_reads_only_the_line_asked_for(tmp_path):
    """The index points into the file: corrupting line 1 afterwards (same length) leaves every
    other asset readable, and reading asset 0 then names line 1."""
    root = write_dataset(tmp_path / "d", {"dump": items(50)})
    ds = ViDataset(root)
    expected_last = ds[49]
    path = _annotation_file(root)
    with open(path, "r+b") as handle:
        first = handle.readline()
        handle.seek(0)
        handle.write(b"#" * (len(first) - 1))
    ds.close()
    assert ds[49] == expected_last
    with pytest.raises(ViInvalidFileFormatError, match="line 1: not valid JSON"):
        ds[0]


def test_reading_writes_nothing_into_the_folder(tmp_path):
    root = write_dataset(tmp_path / "d", {"training": items(3), "validation": items(2, "v")})
    before = tree_snapshot(root)
    ds = ViDataset(root)
    list(ds)
    ds[3], ds.info(), ds.training.find("img001.png"), pickle.loads(pickle.dumps(ds))[0]
    ds.close()
    assert tree_snapshot(root) == before


def test_threads_share_one_dataset(tmp_path):
    data = [
        {"filename": "f%04d.png" % i, "annotations": [phrase_grounding("cap %d" % i, str(i))] * (i % 3)}
        for i in range(200)
    ]
    root = write_dataset(tmp_path / "d", {"dump": data}, one_file=False)
    with pytest.warns(ViDatasetWarning):
        ds = ViDataset(root)
    expected = list(ds)
    errors, mismatches = [], []

    def worker(seed):
        rng = random.Random(seed)
        try:
            for _ in range(300):
                i = rng.randrange(len(ds))
                if ds[i] != expected[i]:
                    mismatches.append(i)
        except Exception as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=worker, args=(s,)) for s in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert not errors and not mismatches
    assert [a.contents.caption for a in expected[7][1]] == ["cap 7"]


def test_pickles_without_open_files(tmp_path):
    root = write_dataset(tmp_path / "d", {"dump": items(4)})
    ds = ViDataset(root)
    ds[0]  # opens the annotation file
    clone = pickle.loads(pickle.dumps(ds))
    assert list(clone) == list(ds) and len(clone) == 4


def test_pillow_decodes_on_request(tmp_path):
    pytest.importorskip("PIL")
    ds = ViDataset(write_dataset(tmp_path / "d", {"dump": items(2)}))
    image = ds[1][0].load_image()
    assert image.size == (5, 3)


def test_without_pillow_decoding_is_a_clear_error(tmp_path, monkeypatch):
    monkeypatch.setitem(sys.modules, "PIL", None)
    ds = ViDataset(write_dataset(tmp_path / "d", {"dump": items(1)}))
    with pytest.raises(ViError) as err:
        ds[0][0].load_image()
    assert "Pillow" in str(err.value) and "images" in err.value.suggestion


def test_importing_vi_and_the_loader_imports_no_extra():
    code = (
        "import sys, vi, vi.dataset, vi.tables;"
        "print(sorted(m for m in ('pandas', 'PIL', 'torch', 'datasets', 'numpy') if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"
