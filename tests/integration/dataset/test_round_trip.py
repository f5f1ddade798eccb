"""Round trip through LocalViServer: upload images and Vi JSONL annotations, download the
dataset, read it with ViDataset; the same bytes and the same annotation contents come back."""

import hashlib
import json
import os

import pytest

from tests.helpers.datasets import phrase_grounding, png, vqa
from vi.dataset import ViDataset
from vi.dataset.annotations import load_annotation
from vi.testing import LocalViServer


@pytest.fixture(scope="module")
def server():
    with LocalViServer(seed=False, operation_delay=0.01) as srv:
        yield srv


CONTENTS = {
    "phrase-grounding": lambda n: phrase_grounding(
        "a red car number %d" % n, "red car", [0.1, 0.1 * (n % 5), 0.5, 0.9]
    ),
    "vqa": lambda n: vqa(("What is in image %d?" % n, "A car"), ("Is it red?", "Yes")),
    # the service writes a freeform dataset's text as a caption without grounded phrases
    "freeform": lambda n: {
        "type": "PhraseGrounding",
        "caption": "Free text about image %d." % n,
        "groundedPhrases": [],
    },
}


def _upload(client, tmp_path, dataset_type, count=5):
    """A dataset of ``count`` images, each with one annotation of the dataset's type; returns
    the dataset id and, by file name, the bytes and the contents that were sent."""
    dataset_id = str(client.datasets.create("rt-" + dataset_type, dataset_type=dataset_type).dataset_id)
    images = tmp_path / "upload"
    images.mkdir()
    sent = {}
    lines = []
    for n in range(count):
        name = "img-%02d.png" % n
        data = png(8 + n, 6, 40 * n)
        (images / name).write_bytes(data)
        contents = CONTENTS[dataset_type](n)
        sent[name] = (data, contents)
        asset = {"type": "Image", "filename": name, "width": 8 + n, "height": 6}
        lines.append(json.dumps({"id": "a%d" % n, "asset": asset, "contents": contents}))
    client.assets.upload(dataset_id, str(images), show_progress=False)
    annotations = tmp_path / "annotations.jsonl"
    annotations.write_text("\n".join(lines) + "\n", encoding="utf-8")
    client.annotations.upload(dataset_id, str(annotations), show_progress=False)
    return dataset_id, sent


@pytest.mark.parametrize("dataset_type", ["phrase-grounding", "vqa", "freeform"])
def test_download_then_load_gives_back_what_the_server_holds(client, tmp_path, dataset_type):
    dataset_id, sent = _upload(client, tmp_path, dataset_type)
    ds = ViDataset(dataset_id, client=client, save_path=str(tmp_path / "datasets"))
    assert ds.path == str(tmp_path / "datasets" / dataset_id)
    got = {asset.filename: (asset, annotations) for asset, annotations in ds}
    assert sorted(got) == sorted(sent)
    server_side = {a.filename: a for a in client.assets.list(dataset_id, page_size=100).all_items()}
    for name, (data, contents) in sent.items():
        asset, annotations = got[name]
        assert asset.read_bytes() == data
        held = server_side[name].metadata
        assert held.file_size == len(data)
        assert (asset.width, asset.height) == (held.width, held.height)
        expected = load_annotation({"id": "x", "asset": {"filename": name}, "contents": contents}).contents
        assert [a.contents for a in annotations] == [expected]
        assert [a.asset.filename for a in annotations] == [name]
    assert (
        hashlib.md5(got["img-00.png"][0].read_bytes()).hexdigest()
        == hashlib.md5(sent["img-00.png"][0]).hexdigest()
    )
    assert ds.metadata.name == dataset_id and ds.info().total_assets == len(sent)


def test_loader_downloads_with_credentials_and_reuses_the_folder(server, client, tmp_path):
    dataset_id, sent = _upload(client, tmp_path, "phrase-grounding", count=2)
    save = str(tmp_path / "datasets")
    ds = ViDataset(
        dataset_id,
        secret_key=server.secret_key,
        organization_id=server.organization_id,
        endpoint=server.url,
        save_path=save,
    )
    assert len(ds) == 2
    exports = client.datasets.list_exports(dataset_id)
    before = len(list(exports.all_items()))
    again = ViDataset(dataset_id, save_path=save)  # no credentials needed: the folder is there
    assert [a.filename for a, _ in again] == sorted(sent)
    assert len(list(client.datasets.list_exports(dataset_id).all_items())) == before
    assert os.path.isfile(os.path.join(save, dataset_id, "metadata.json"))
