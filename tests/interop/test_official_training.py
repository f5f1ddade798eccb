"""Runs (R1, R2), models (M1), flows (FL1, FL2) and training projects (T1, T2) through the official client."""

from __future__ import annotations

from urllib.parse import parse_qs

from tests.interop.interop_support import expect_error, expect_ok, requests_for


def _run_ids(server):
    return [r["runId"] for r in server.store.list_runs(server.organization_id, 0, 1000).items]


# -- runs -------------------------------------------------------------------------------------------


def test_runs_list(official, server):
    """R1: every run, in the server's order, decoded with its `FlowSpec`."""
    expected = _run_ids(server)
    assert expected
    result = official('RESULT["list"] = attempt(lambda: [r for r in client.runs.list().all_items()])')
    listed = expect_ok(result["list"], "runs.list")
    assert [r["runId"] for r in listed] == expected
    assert {r["workspaceId"] for r in listed} == {server.organization_id}


def test_runs_get(official, server):
    """R2: one run, equal to the server's document."""
    run_id = _run_ids(server)[-1]
    result = official('RESULT["get"] = attempt(client.runs.get, PARAMS["run"])', run=run_id)
    got = expect_ok(result["get"], "runs.get")
    stored = server.store.get_run(server.organization_id, run_id)
    assert got["runId"] == run_id
    assert got["spec"]["flow"]["name"] == stored["spec"]["flow"]["name"]
    assert len(got["status"]["conditions"]) == len(stored["status"]["conditions"])


# -- models -----------------------------------------------------------------------------------------


def _models_on_the_wire(wire, run_id):
    path = wire.ws("runs", run_id, "outputs")
    response = wire.request("GET", path, params={"intent": "sdkLocalDeploy", "s": "10"})
    assert response.status_code == 200, (
        f"server gap: GET {path}?intent=sdkLocalDeploy&s=10 (M1) answered "
        f"{response.status_code} {response.text[:300]}"
    )
    return response.json()


def test_models_list_official_bug_16_9(official, server, wire):
    """§16.9: the official `models.list` sends `?intent=sdkLocalDeploy?s=10` (two `?`).

    The server is checked on the wire: the well-formed listing answers a `{"items": [...]}` page of
    the run's models, and the malformed query (`intent` = `sdkLocalDeploy?s=10`) is tolerated
    (§7.6/§17.5) and answers the same page. Our server goes one step further and reads the
    parameters after the second `?`, which is what lets the official client page at all; so the
    official client must list the same models, also one per page, while still sending the
    malformed query. If the official client ever sends `&s=`, this test says so.
    """
    run_id = None
    well_formed = None
    for candidate in _run_ids(server):
        well_formed = _models_on_the_wire(wire, candidate)
        if well_formed.get("items"):
            run_id = candidate
            break
    assert run_id, "the seeded server has no run with models (run outputs) to list"
    expected = [m["runOutputId"] for m in well_formed["items"]]

    path = wire.ws("runs", run_id, "outputs")
    malformed = wire.request("GET", path + "?intent=sdkLocalDeploy?s=10")
    assert malformed.status_code == 200, (
        f"malformed model listing: {malformed.status_code} {malformed.text[:300]}"
    )
    assert [m["runOutputId"] for m in malformed.json()["items"]] == expected

    server.stats.reset()
    result = official(
        """
        import itertools
        from vi.api.resources.models import responses as R
        from vi.api.responses import Pagination
        path = f"/workspaces/{ORG}/runs/{PARAMS['run']}/outputs?intent=sdkLocalDeploy?s=10"
        RESULT["list"] = attempt(
            lambda: [m.model_id for m in client.models.list(PARAMS["run"]).items],
            explain_with=(path, Pagination[R.Model]),
        )
        def one_per_page():
            page = client.models.list(PARAMS["run"], pagination={"page_size": 1})
            walked = itertools.islice(page.all_items(), PARAMS["cap"])  # never run away
            return {"first": [m.model_id for m in page.items], "all": [m.model_id for m in walked]}
        RESULT["one_per_page"] = attempt(one_per_page)
        """,
        run=run_id,
        cap=len(expected) + 5,
    )
    listed = expect_ok(result["list"], "models.list")
    paged = expect_ok(result["one_per_page"], "models.list(page_size=1)")
    queries = [r.query for r in requests_for(server, "GET", f"/runs/{run_id}/outputs")]
    # the client bug, unchanged: the first paging parameter always rides inside `intent`
    assert queries[:2] == ["intent=sdkLocalDeploy?s=10", "intent=sdkLocalDeploy?s=1"]
    assert all("s" not in parse_qs(q) for q in queries[:2])  # first pages: no `s` parameter at all
    assert len(queries) > 2
    assert all(q.startswith("intent=sdkLocalDeploy?p=") for q in queries[2:])  # later: the token in `intent`
    assert listed == expected
    assert paged["first"] == expected[:1]
    assert paged["all"] == expected


# -- flows ------------------------------------------------------------------------------------------


def _listing_on_the_wire(wire, what, path):
    response = wire.request("GET", path, params={"s": "10"})
    assert response.status_code == 200, (
        f"server gap: GET {path} ({what}) answered {response.status_code} {response.text[:300]}"
    )
    return wire.walk(path)


def test_flows_list(official, server, wire):
    """FL1: every flow, as the server lists it."""
    expected = [f["flowId"] for f in _listing_on_the_wire(wire, "FL1", wire.ws("flows"))]
    assert expected, "the seeded server has no flows"
    result = official(
        """
        from vi.api.resources.training_projects.flows import responses as R
        from vi.api.responses import Pagination
        RESULT["list"] = attempt(
            lambda: [f for f in client.flows.list().all_items()],
            explain_with=(f"/workspaces/{ORG}/flows", Pagination[R.Flow], {"s": "10"}),
        )
        """
    )
    listed = expect_ok(result["list"], "flows.list")
    assert [f["flowId"] for f in listed] == expected
    assert all(f["spec"]["blocks"] is not None for f in listed)


def test_flows_get(official, server, wire):
    """FL2: one flow, equal to the server's document."""
    flows = _listing_on_the_wire(wire, "FL1", wire.ws("flows"))
    assert flows, "the seeded server has no flows"
    flow = flows[-1]
    result = official(
        """
        from vi.api.resources.training_projects.flows import responses as R
        path = f"/workspaces/{ORG}/flows/{PARAMS['flow']}"
        RESULT["get"] = attempt(client.flows.get, PARAMS["flow"], explain_with=(path, R.Flow))
        """,
        flow=flow["flowId"],
    )
    got = expect_ok(result["get"], "flows.get")
    assert got["flowId"] == flow["flowId"]
    assert got["spec"]["name"] == flow["spec"]["name"]
    assert len(got["spec"]["blocks"]) == len(flow["spec"]["blocks"])


# -- training projects -------------------------------------------------------------------------------


def test_training_projects_list(official, server, wire):
    """T1: every training project, as the server lists it."""
    expected = [t["trainingProjectId"] for t in _listing_on_the_wire(wire, "T1", wire.ws("trainingProjects"))]
    assert expected, "the seeded server has no training projects"
    result = official(
        """
        from vi.api.resources.training_projects import responses as R
        from vi.api.responses import Pagination
        RESULT["list"] = attempt(
            lambda: [t for t in client.training_projects.list().all_items()],
            explain_with=(f"/workspaces/{ORG}/trainingProjects", Pagination[R.TrainingProject], {"s": "10"}),
        )
        """
    )
    listed = expect_ok(result["list"], "training_projects.list")
    assert [t["trainingProjectId"] for t in listed] == expected


def test_training_projects_get(official, server, wire):
    """T2: one training project, equal to the server's document."""
    projects = _listing_on_the_wire(wire, "T1", wire.ws("trainingProjects"))
    assert projects, "the seeded server has no training projects"
    project = projects[0]
    result = official(
        """
        from vi.api.resources.training_projects import responses as R
        path = f"/workspaces/{ORG}/trainingProjects/{PARAMS['tp']}"
        RESULT["get"] = attempt(client.training_projects.get, PARAMS["tp"], explain_with=(path, R.TrainingProject))
        """,
        tp=project["trainingProjectId"],
    )
    got = expect_ok(result["get"], "training_projects.get")
    assert got["trainingProjectId"] == project["trainingProjectId"]
    assert got["spec"]["name"] == project["spec"]["name"]


def test_unknown_run_is_not_found(official, server):
    """Error mapping sanity check: a 404 `{"message"}` becomes the official `ViNotFoundError`."""
    result = official('RESULT["get"] = attempt(client.runs.get, "no-such-run")')
    error = expect_error(result["get"], "runs.get of an unknown run")
    assert error["type"] == "ViNotFoundError"
