"""Export → import round trip: the annotations export of a dataset, imported into a fresh dataset
holding the same assets, gives the same annotations (count and content), for every annotation
format the import accepts (Vi JSONL, for each dataset type that has annotations to carry)."""

import pytest

import vi
from vi.testing import LocalViServer

#: dataset type → the annotation formats an import of that type accepts
IMPORTABLE = {"phrase-grounding": ["ViJsonl"], "vqa": ["ViJsonl"]}
CASES = [(kind, fmt) for kind, formats in IMPORTABLE.items() for fmt in formats]


@pytest.fixture(scope="module")
def setup():
    with LocalViServer(operation_delay=0.0, datasets=6, assets_per_dataset=4) as server:
        with vi.Client(
            secret_key=server.secret_key, organization_id=server.organization_id, endpoint=server.url
        ) as client:
            yield client


def box(bound):
    xs, ys = [p[0] for p in bound], [p[1] for p in bound]
    return tuple(round(v, 6) for v in (min(xs), min(ys), max(xs), max(ys)))


def content(client, dataset_id):
    """{asset filename: sorted annotation contents}, independent of ids and part order."""
    out = {}
    for asset in client.assets.list(dataset_id, page_size=100).all_items():
        parts = []
        for annotation in client.annotations.list(dataset_id, asset.asset_id, page_size=100).all_items():
            inner = annotation.spec.contents
            kind = getattr(inner, "kind", None)
            if kind == "Caption":
                parts.append(("Caption", inner.contents))
            elif kind == "PhraseGroundingBoundingBox":
                parts.append(("Box", tuple(inner.target), box(inner.bound)))
            else:
                parts.append(
                    ("Other", repr(sorted((k, repr(v)) for k, v in dict(inner).items() if k != "id")))
                )
        out[asset.filename] = sorted(parts)
    return out


@pytest.mark.parametrize("kind, export_format", CASES, ids=["%s-%s" % c for c in CASES])
def test_an_annotations_export_imports_into_a_copy_unchanged(setup, tmp_path, kind, export_format):
    client = setup
    source = next(
        d.dataset_id
        for d in client.datasets
        if d.type == kind
        and client.annotations.list(d.dataset_id, client.assets.list(d.dataset_id)[0].asset_id).items
    )
    original = content(client, source)
    if kind == "vqa":  # a Vqa line carries the questions and answers; the demo's boxes stay behind
        original = {name: [p for p in parts if p[0] != "Box"] for name, parts in original.items()}
    assert sum(len(parts) for parts in original.values()) > 0

    exported = client.annotations.download(
        source,
        export_format=export_format,
        save_dir=str(tmp_path / "export"),
        show_progress=False,
        poll_interval=0.01,
    )
    files = [p for p in exported.save_path.rglob("*") if p.is_file() and p.parent.name == "annotations"]
    assert files

    copy = client.datasets.create("round trip %s" % kind, dataset_type=kind).dataset_id
    client.assets.download(source, save_dir=str(tmp_path / "assets"))
    uploaded = client.assets.upload(copy, str(tmp_path / "assets" / source), poll_interval=0.01)
    assert uploaded.ok and len(uploaded.succeeded) == len(original)

    result = client.annotations.upload(copy, [str(p) for p in files], poll_interval=0.01)
    assert result.ok, result.summary()
    assert result.rejected == 0 and result.inserted == len(original)
    assert content(client, copy) == original
