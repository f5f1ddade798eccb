"""Dataset and annotation exports download in every format PROTOCOL §7.2.1 lists."""

import pytest

import vi
from vi.testing import LocalViServer

ANNOTATION_FORMATS = {
    "phrase-grounding": [
        "CsvFourCorner",
        "CsvWidthHeight",
        "Coco",
        "PascalVoc",
        "YoloDarknet",
        "YoloKerasPytorch",
        "ViJsonl",
        "ViTfrecord",
    ],
    "vqa": ["ViJsonl", "ViTfrecord"],
    "freeform": ["ViJsonl"],
}


@pytest.fixture(scope="module")
def setup():
    with LocalViServer(operation_delay=0.0) as server:
        with vi.Client(
            secret_key=server.secret_key, organization_id=server.organization_id, endpoint=server.url
        ) as client:
            by_type = {}
            for dataset in client.datasets:
                by_type.setdefault(dataset.type, dataset.dataset_id)
            yield client, server, by_type


CASES = [(kind, fmt) for kind, formats in ANNOTATION_FORMATS.items() for fmt in formats]


@pytest.mark.parametrize("kind, fmt", CASES, ids=["%s-%s" % c for c in CASES])
def test_annotations_only_format_downloads(setup, tmp_path, kind, fmt):
    client, server, by_type = setup
    result = client.annotations.download(
        by_type[kind],
        export_format=fmt,
        save_dir=str(tmp_path),
        show_progress=False,
        timeout=60,
        poll_interval=0.01,
    )
    assert result.save_path.is_dir()
    assert any(p.is_file() for p in result.save_path.rglob("*"))
    assert not [p for p in tmp_path.rglob("*") if p.name.startswith(".vi-")]  # no temp files left


@pytest.mark.parametrize("kind", sorted(ANNOTATION_FORMATS))
def test_full_export_downloads(setup, tmp_path, kind):
    client, server, by_type = setup
    result = client.datasets.download(
        by_type[kind], save_dir=str(tmp_path), show_progress=False, timeout=60, poll_interval=0.01
    )
    assert result.save_path.is_dir() and result.splits


@pytest.mark.parametrize(
    "kind, fmt", [("vqa", "Coco"), ("freeform", "ViTfrecord"), ("phrase-grounding", "Nope")]
)
def test_incompatible_format_refused_before_any_export(setup, tmp_path, kind, fmt):
    client, server, by_type = setup
    before = server.stats.creates.get("export", 0)
    with pytest.raises(vi.ViValidationError):
        client.annotations.download(
            by_type[kind], export_format=fmt, save_dir=str(tmp_path), show_progress=False
        )
    assert server.stats.creates.get("export", 0) == before
