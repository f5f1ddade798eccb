"""The PyTorch-style and Hugging Face adapters; each library's own test skips when it is absent."""

import pickle

import pytest

from tests.helpers.datasets import freeform, phrase_grounding, vqa, write_dataset
from vi.dataset import ViAsset, ViDataset
from vi.dataset.adapters import TorchDataset, to_hf_dataset
from vi.errors import ViError, ViNotFoundError


@pytest.fixture
def root(tmp_path):
    data = [
        {
            "filename": "a.png",
            "annotations": [phrase_grounding("a red car", "red car")],
            "width": 5,
            "height": 4,
        },
        {"filename": "b.png", "annotations": [vqa(("Q?", "A."))], "width": 6, "height": 2},
        {"filename": "c.png", "annotations": [freeform("words")], "width": 3, "height": 3},
    ]
    return write_dataset(
        tmp_path / "d", {"training": data[:2], "validation": data[2:]}, metadata={"name": "adapters"}
    )


def size_and_types(image, annotations):
    """A picklable transform (module level), as DataLoader workers need."""
    size = image.size if hasattr(image, "size") else (image.width, image.height)
    return size, [a.type for a in annotations]


def test_map_style_protocol_without_torch(root):
    ds = TorchDataset(ViDataset(root))
    assert len(ds) == 3
    image, annotations = ds[0]
    assert isinstance(image, ViAsset) and image.filename == "c.png" and annotations[0].type == "Freeform"
    training = TorchDataset(ViDataset(root), "training", transform=size_and_types)
    assert [training[i] for i in range(len(training))] == [((5, 4), ["PhraseGrounding"]), ((6, 2), ["Vqa"])]
    with pytest.raises(IndexError):
        training[2]
    with pytest.raises(ViNotFoundError):
        TorchDataset(ViDataset(root), "dump")


def test_pickles_for_worker_processes(root):
    ds = TorchDataset(root, "training", transform=size_and_types)
    ds[0]
    clone = pickle.loads(pickle.dumps(ds))
    assert [clone[i] for i in range(len(clone))] == [ds[i] for i in range(len(ds))]


def test_decoded_images_with_pillow(root):
    pytest.importorskip("PIL")
    ds = TorchDataset(root, "training", load_images=True, transform=size_and_types)
    assert ds[1] == ((6, 2), ["Vqa"])


def test_torch_dataloader_with_worker_processes(root):
    torch = pytest.importorskip("torch")
    from torch.utils.data import DataLoader

    ds = TorchDataset(root, transform=size_and_types)
    loader = DataLoader(ds, batch_size=None, num_workers=2, shuffle=False)
    got = list(loader)
    assert len(got) == 3
    assert [tuple(int(v) for v in size) for size, _ in got] == [(3, 3), (5, 4), (6, 2)]
    assert [types for _, types in got] == [["Freeform"], ["PhraseGrounding"], ["Vqa"]]
    assert torch.utils.data.get_worker_info() is None  # the main process is not a worker


def test_hugging_face_dataset_from_a_generator(root, tmp_path):
    pytest.importorskip("datasets")
    hf = to_hf_dataset(ViDataset(root), cache_dir=str(tmp_path / "hf-cache"))
    assert hf.num_rows == 3
    rows = hf.to_list()
    assert [r["filename"] for r in rows] == ["c.png", "a.png", "b.png"]
    assert [r["split"] for r in rows] == ["validation", "training", "training"]
    (pg,) = rows[1]["annotations"]
    assert pg["type"] == "PhraseGrounding" and pg["caption"] == "a red car"
    assert pg["phrases"][0]["phrase"] == "red car" and pg["phrases"][0]["bounds"] == [[0.1, 0.2, 0.5, 0.6]]
    assert rows[2]["annotations"][0]["interactions"] == [{"order": 0, "question": "Q?", "answer": "A."}]
    assert rows[0]["annotations"][0]["text"] == "words"


def test_hugging_face_dataset_with_images(root, tmp_path):
    pytest.importorskip("datasets")
    pytest.importorskip("PIL")
    hf = to_hf_dataset(root, "training", images=True, cache_dir=str(tmp_path / "hf-cache"))
    assert hf.num_rows == 2 and hf[1]["image"].size == (6, 2)


def test_without_datasets_the_error_says_what_to_install(root, monkeypatch):
    import sys

    monkeypatch.setitem(sys.modules, "datasets", None)
    with pytest.raises(ViError) as err:
        to_hf_dataset(root)
    assert "vi-requests[datasets]" in err.value.suggestion
