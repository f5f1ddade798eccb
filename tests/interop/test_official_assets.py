"""Assets (A1–A4) and annotations (N1, N2, N5) through the official client."""

from __future__ import annotations

import pytest

from tests.interop.interop_support import expect_error, expect_ok, requests_for, short


def _pick(server):
    """(short dataset id, composite dataset id, asset ids in listing order) of the first dataset."""
    org = server.organization_id
    composite = server.store.list_datasets(org, 0, 1).items[0]["datasetId"]
    assets = [a["assetId"] for a in server.store.list_assets(org, composite, 0, 1000).items]
    return short(composite, org), composite, assets


def _annotation_ids(server, composite, asset_id):
    page = server.store.list_annotations(server.organization_id, composite, asset_id, 0, 1000)
    return [a["annotationId"] for a in page.items]


# -- assets -----------------------------------------------------------------------------------------


def test_assets_list_first_page(official, server):
    """A1: the first page (`s=10`), plain and with `contents=y` pre-signed URLs."""
    ds_id, composite, assets = _pick(server)
    assert len(assets) == 12
    result = official(
        """
        def first_page(**kwargs):
            page = client.assets.list(PARAMS["ds"], **kwargs)
            return {"items": [a for a in page.items], "next": page.next_page}
        RESULT["plain"] = attempt(first_page)
        RESULT["contents"] = attempt(first_page, contents=True)
        """,
        ds=ds_id,
    )
    plain = expect_ok(result["plain"], "assets.list")
    assert [a["assetId"] for a in plain["items"]] == assets[:10]
    assert {a["datasetId"] for a in plain["items"]} == {ds_id}
    assert plain["next"]
    with_contents = expect_ok(result["contents"], "assets.list(contents=True)")
    assert [a["assetId"] for a in with_contents["items"]] == assets[:10]
    assert all(a["contents"]["asset"]["url"].startswith(server.url) for a in with_contents["items"])
    queries = [r.query for r in requests_for(server, "GET", f"/datasets/{composite}/assets")]
    assert queries == ["s=10", "s=10&contents=y"]


def test_assets_list_page_two_official_bug_16_14(official, server, wire):
    """§16.14: the official `assets.list` cannot continue to page 2 (TypeError: unexpected `filter`).

    The server side is checked with well-formed requests: following `nextPage` (the very token the
    official client received) yields every asset exactly once. The official iterator must still
    fail the documented way; if it starts working, this test fails and should be rewritten.
    """
    ds_id, composite, assets = _pick(server)
    result = official(
        """
        page = client.assets.list(PARAMS["ds"])
        RESULT["next"] = page.next_page
        RESULT["all"] = attempt(lambda: [a.asset_id for a in page.all_items()])
        """,
        ds=ds_id,
    )
    error = expect_error(result["all"], "assets.list(...).all_items()")
    assert error["type"] == "TypeError"
    assert "filter" in error["message"]
    # the server: page 2 with the official client's token, and a full walk
    page2 = wire.get_json(wire.ds(ds_id, "assets"), s="10", p=result["next"])
    assert [a["assetId"] for a in page2["items"]] == assets[10:]
    assert not page2.get("nextPage")
    assert [a["assetId"] for a in wire.walk(wire.ds(ds_id, "assets"), page_size=5)] == assets


def test_assets_get(official, server):
    """A2: one asset, with and without `contents=y`."""
    ds_id, composite, assets = _pick(server)
    result = official(
        """
        RESULT["plain"] = attempt(client.assets.get, PARAMS["ds"], PARAMS["asset"])
        RESULT["contents"] = attempt(client.assets.get, PARAMS["ds"], PARAMS["asset"], contents=True)
        """,
        ds=ds_id,
        asset=assets[3],
    )
    stored = server.store.get_asset(server.organization_id, composite, assets[3])
    plain = expect_ok(result["plain"], "assets.get")
    assert plain["assetId"] == assets[3]
    assert plain["datasetId"] == ds_id
    assert plain["filename"] == stored["filename"]
    assert plain.get("contents") is None
    with_contents = expect_ok(result["contents"], "assets.get(contents=True)")
    assert with_contents["contents"]["asset"]["url"].startswith(server.url)


def test_assets_count(official, server):
    """A4: `GET DS/assets:count` answers `{"count": n}` (or a bare integer) matching the store."""
    ds_id, composite, assets = _pick(server)
    result = official(
        """
        path = f"/workspaces/{ORG}/datasets/{ORG}_{PARAMS['ds']}/assets:count"
        RESULT["count"] = attempt(client.assets.count, PARAMS["ds"], explain_with=(path, None))
        """,
        ds=ds_id,
    )
    assert requests_for(server, "GET", f"/datasets/{composite}/assets:count")
    assert expect_ok(result["count"], "assets.count") == len(assets) == 12


def test_assets_delete(official, server):
    """A3: delete must answer an *empty* 2xx body (§16.20); the asset is gone from the store."""
    ds_id, composite, assets = _pick(server)
    result = official(
        """
        RESULT["delete"] = attempt(
            lambda: vars_of(client.assets.delete(PARAMS["ds"], PARAMS["asset"]), "id", "deleted")
        )
        RESULT["get_after"] = attempt(client.assets.get, PARAMS["ds"], PARAMS["asset"])
        """,
        ds=ds_id,
        asset=assets[0],
    )
    assert requests_for(server, "DELETE", f"/datasets/{composite}/assets/{assets[0]}")
    deleted = expect_ok(result["delete"], "assets.delete")
    assert deleted == {"id": assets[0], "deleted": True}
    with pytest.raises(LookupError):
        server.store.get_asset(server.organization_id, composite, assets[0])
    remaining = [
        a["assetId"] for a in server.store.list_assets(server.organization_id, composite, 0, 100).items
    ]
    assert remaining == assets[1:]
    assert expect_error(result["get_after"], "assets.get after delete")["type"] == "ViNotFoundError"


# -- annotations ------------------------------------------------------------------------------------


def test_annotations_list(official, server):
    """N1: every annotation of an asset, decoded (tagged `spec.contents` union)."""
    ds_id, composite, assets = _pick(server)
    expected = _annotation_ids(server, composite, assets[2])
    assert len(expected) == 2
    result = official(
        """
        RESULT["list"] = attempt(
            lambda: [a for a in client.annotations.list(PARAMS["ds"], PARAMS["asset"]).all_items()]
        )
        """,
        ds=ds_id,
        asset=assets[2],
    )
    listed = expect_ok(result["list"], "annotations.list")
    assert [a["annotationId"] for a in listed] == expected
    assert {a["assetId"] for a in listed} == {assets[2]}
    assert {a["datasetId"] for a in listed} == {ds_id}


def test_annotations_get(official, server):
    """N2: one annotation, equal to the server's document."""
    ds_id, composite, assets = _pick(server)
    ann_id = _annotation_ids(server, composite, assets[2])[1]
    result = official(
        'RESULT["get"] = attempt(client.annotations.get, PARAMS["ds"], PARAMS["asset"], PARAMS["ann"])',
        ds=ds_id,
        asset=assets[2],
        ann=ann_id,
    )
    got = expect_ok(result["get"], "annotations.get")
    stored = server.store.get_annotation(server.organization_id, composite, assets[2], ann_id)
    assert got["annotationId"] == ann_id
    assert got["spec"]["contents"] == stored["spec"]["contents"]
    assert got["spec"]["tag"] == stored["spec"]["tag"]


def test_annotations_delete(official, server):
    """N5: delete must answer an *empty* 2xx body (§16.20); the annotation is gone from the store."""
    ds_id, composite, assets = _pick(server)
    ann_ids = _annotation_ids(server, composite, assets[2])
    result = official(
        """
        RESULT["delete"] = attempt(
            lambda: vars_of(client.annotations.delete(PARAMS["ds"], PARAMS["asset"], PARAMS["ann"]), "id", "deleted")
        )
        RESULT["get_after"] = attempt(client.annotations.get, PARAMS["ds"], PARAMS["asset"], PARAMS["ann"])
        """,
        ds=ds_id,
        asset=assets[2],
        ann=ann_ids[0],
    )
    assert requests_for(server, "DELETE", f"/assets/{assets[2]}/annotations/{ann_ids[0]}")
    deleted = expect_ok(result["delete"], "annotations.delete")
    assert deleted == {"id": ann_ids[0], "deleted": True}
    assert _annotation_ids(server, composite, assets[2]) == ann_ids[1:]
    assert expect_error(result["get_after"], "annotations.get after delete")["type"] == "ViNotFoundError"
