"""Datasets (D1, D3–D7) and exports (D9–D11) through the official client."""

from __future__ import annotations

import json

import pytest

from tests.interop.interop_support import expect_error, expect_ok, requests_for, short


def _dataset_ids(server, limit=1000):
    page = server.store.list_datasets(server.organization_id, 0, limit)
    return [short(item["datasetId"], server.organization_id) for item in page.items]


def _first_dataset(server):
    return _dataset_ids(server, 1)[0]


# -- datasets ---------------------------------------------------------------------------------------


def test_datasets_list(official, server):
    """D1: first page, then every page through the official iterator (opaque `nextPage` tokens)."""
    result = official(
        """
        def run():
            page = client.datasets.list()
            first = [d.dataset_id for d in page.items]
            every = [(d.dataset_id, d.name) for d in page.all_items()]
            return {"first": first, "next": page.next_page, "every": every}
        RESULT["list"] = attempt(run)
        """
    )
    listed = expect_ok(result["list"], "datasets.list")
    expected = _dataset_ids(server)
    assert len(expected) == 25
    assert listed["first"] == expected[:10]
    assert listed["next"]
    assert [ds_id for ds_id, _ in listed["every"]] == expected
    names = {ds_id: name for ds_id, name in listed["every"]}
    for item in server.store.list_datasets(server.organization_id, 0, 1000).items:
        assert names[short(item["datasetId"], server.organization_id)] == item["name"]
    queries = [r.query for r in requests_for(server, "GET", f"/workspaces/{server.organization_id}/datasets")]
    assert queries[0] == "s=10"
    assert len(queries) == 3 and all(q.startswith("p=") and q.endswith("&s=10") for q in queries[1:])


def test_datasets_get(official, server):
    """D4: one dataset, decoded with every required field of the official `Dataset`."""
    ds_id = _first_dataset(server)
    result = official('RESULT["get"] = attempt(client.datasets.get, PARAMS["ds"])', ds=ds_id)
    got = expect_ok(result["get"], "datasets.get")
    stored = server.store.get_dataset(server.organization_id, f"{server.organization_id}_{ds_id}")
    assert got["datasetId"] == ds_id  # the official client strips the `{org}_` prefix
    for field in ("name", "type", "content", "createDate", "tags", "owner", "status"):
        assert got[field] == stored[field], field
    assert got["statistic"]["assetTotal"] == stored["statistic"]["assetTotal"] == 12


def test_datasets_create(official, server):
    """D3: the flat create body is accepted and the dataset exists in the server's store."""
    result = official(
        """
        RESULT["create"] = attempt(
            client.datasets.create,
            name="interop created",
            description="made by vi-sdk",
            tags={"cat": 0, "dog": 1},
        )
        """
    )
    created = expect_ok(result["create"], "datasets.create")
    org = server.organization_id
    stored = server.store.get_dataset(org, f"{org}_{created['datasetId']}")
    assert stored["name"] == created["name"] == "interop created"
    assert stored["description"] == "made by vi-sdk"
    assert stored["tags"] == {"cat": 0, "dog": 1}
    assert len(_dataset_ids(server)) == 26
    body = json.loads(requests_for(server, "POST", f"/workspaces/{org}/datasets")[-1].body)
    assert body["owner"] == org and body["status"] == 0 and body["type"] == "phrase-grounding"


def test_datasets_update(official, server):
    """D5: `spec` keys flattened into the PATCH body (§16.22) update the stored dataset."""
    ds_id = _first_dataset(server)
    result = official(
        """
        RESULT["update"] = attempt(
            client.datasets.update,
            PARAMS["ds"],
            spec={"name": "renamed by vi-sdk", "description": "new description"},
        )
        """,
        ds=ds_id,
    )
    updated = expect_ok(result["update"], "datasets.update")
    org = server.organization_id
    stored = server.store.get_dataset(org, f"{org}_{ds_id}")
    assert updated["name"] == stored["name"] == "renamed by vi-sdk"
    assert updated["description"] == stored["description"] == "new description"
    body = json.loads(requests_for(server, "PATCH", f"/datasets/{org}_{ds_id}")[-1].body)
    assert body == {"name": "renamed by vi-sdk", "description": "new description"}


def test_datasets_delete(official, server):
    """D6/D7: delete answers a JSON `DeletedDataset` (§16.20); the dataset is gone, its operation readable."""
    ds_id = _first_dataset(server)
    result = official(
        """
        RESULT["delete"] = attempt(client.datasets.delete, PARAMS["ds"])
        RESULT["operation"] = attempt(client.datasets.get_deletion_operation, PARAMS["ds"])
        RESULT["get_after"] = attempt(client.datasets.get, PARAMS["ds"])
        """,
        ds=ds_id,
    )
    deleted = expect_ok(result["delete"], "datasets.delete")
    org = server.organization_id
    assert deleted["datasetId"] in (ds_id, f"{org}_{ds_id}")  # `DeletedDataset` ids are not shortened
    with pytest.raises(LookupError):  # the store's NotFound
        server.store.get_dataset(org, f"{org}_{ds_id}")
    assert ds_id not in _dataset_ids(server)
    operation = expect_ok(result["operation"], "datasets.get_deletion_operation")
    assert operation["datasetId"] in (ds_id, f"{org}_{ds_id}")
    assert operation["status"]["conditions"]
    error = expect_error(result["get_after"], "datasets.get after delete")
    assert error["type"] == "ViNotFoundError"


# -- exports ----------------------------------------------------------------------------------------

EXPORT_BODY = {"spec": {"format": "ViFull", "options": {"normalized": True, "splitRatio": None}}}


def _create_export_on_the_wire(wire, ds_id, body=EXPORT_BODY):
    response = wire.request("POST", wire.ds(ds_id, "datasetExports"), json=body)
    assert response.status_code == 200, (
        f"server gap: POST {wire.ds(ds_id, 'datasetExports')} (D9) answered "
        f"{response.status_code} {response.text[:300]}"
    )
    return response.json()


def test_exports_create(official, server, wire):
    """D9: `create_export` (spinner + "Export created!" on stdout) makes an export the server can serve."""
    ds_id = _first_dataset(server)
    org = server.organization_id
    result = official(
        """
        RESULT["create"] = attempt(client.datasets.create_export, PARAMS["ds"])
        """,
        ds=ds_id,
    )
    posted = requests_for(server, "POST", f"/datasets/{org}_{ds_id}/datasetExports")
    assert posted and json.loads(posted[-1].body) == EXPORT_BODY
    created = expect_ok(result["create"], "datasets.create_export")
    assert created["datasetId"] == ds_id
    assert created["spec"]["format"] == "ViFull"
    stored = wire.get_json(wire.ds(ds_id, "datasetExports", created["datasetExportId"]))
    assert stored["datasetExportId"] == created["datasetExportId"]
    assert stored["spec"] == {"format": "ViFull", "options": {"normalized": True, "splitRatio": None}}


def test_exports_get(official, server, wire):
    """D11: an export created with a well-formed request reads back through `get_export`."""
    ds_id = _first_dataset(server)
    export = _create_export_on_the_wire(wire, ds_id)
    result = official(
        """
        from vi.api.resources.datasets import responses as R
        path = f"/workspaces/{ORG}/datasets/{ORG}_{PARAMS['ds']}/datasetExports/{PARAMS['export']}"
        RESULT["get"] = attempt(
            client.datasets.get_export, PARAMS["ds"], PARAMS["export"], explain_with=(path, R.DatasetExport)
        )
        """,
        ds=ds_id,
        export=export["datasetExportId"],
    )
    got = expect_ok(result["get"], "datasets.get_export")
    assert got["datasetExportId"] == export["datasetExportId"]
    assert got["datasetId"] == ds_id
    assert got["spec"]["format"] == "ViFull"
    assert got["status"]["conditions"]


def test_exports_list(official, server, wire):
    """D10: `list_exports` sees the exports of the dataset (and only those)."""
    ds_ids = _dataset_ids(server, 2)
    made = [_create_export_on_the_wire(wire, ds_ids[0])["datasetExportId"] for _ in range(2)]
    _create_export_on_the_wire(wire, ds_ids[1])  # another dataset's export must not show up
    result = official(
        """
        from vi.api.resources.datasets import responses as R
        from vi.api.responses import Pagination
        path = f"/workspaces/{ORG}/datasets/{ORG}_{PARAMS['ds']}/datasetExports"
        RESULT["list"] = attempt(
            lambda: [e.dataset_export_id for e in client.datasets.list_exports(PARAMS["ds"]).all_items()],
            explain_with=(path, Pagination[R.DatasetExport]),
        )
        """,
        ds=ds_ids[0],
    )
    listed = expect_ok(result["list"], "datasets.list_exports")
    assert sorted(listed) == sorted(made)
    on_the_wire = wire.walk(wire.ds(ds_ids[0], "datasetExports"))
    assert sorted(e["datasetExportId"] for e in on_the_wire) == sorted(made)


def test_exports_in_other_formats_are_unreadable_official_bug_16_18(official, server, wire):
    """§16.18: the official `DatasetExportFormat` response enum is closed (ViFull/ViJsonl/ViTfrecord).

    The request side allows `Coco`; the server must accept it and echo it (checked on the wire),
    while the official `get_export` fails to decode it with "Unexpected response type". If a
    later official client learns the format, this test says so.
    """
    ds_id = _first_dataset(server)
    body = {"spec": {"format": "Coco", "options": {"normalized": True, "splitRatio": 0.8}}}
    export = _create_export_on_the_wire(wire, ds_id, body)
    assert export["spec"]["format"] == "Coco"
    stored = wire.get_json(wire.ds(ds_id, "datasetExports", export["datasetExportId"]))
    assert stored["spec"]["format"] == "Coco"
    result = official(
        """
        from vi.api.resources.datasets import responses as R
        path = f"/workspaces/{ORG}/datasets/{ORG}_{PARAMS['ds']}/datasetExports/{PARAMS['export']}"
        RESULT["get"] = attempt(
            client.datasets.get_export, PARAMS["ds"], PARAMS["export"], explain_with=(path, R.DatasetExport)
        )
        """,
        ds=ds_id,
        export=export["datasetExportId"],
    )
    error = expect_error(result["get"], "datasets.get_export of a Coco export")
    assert error["type"] == "ViOperationError"
    assert "Unexpected response type" in error["message"]
    assert error["diagnosis"]["status"] == 200
    assert (
        "DatasetExportFormat" in error["diagnosis"]["decode_error"]
        or "format" in (error["diagnosis"]["decode_error"])
    )
