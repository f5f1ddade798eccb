"""Every API endpoint of PROTOCOL §6.1 and §6.2, end to end: the client method against the local
server (in-process adapter), one table entry per endpoint id.

Each entry names the endpoint id, the HTTP method and the path (a regex over the raw request
path, query excluded) the server must see, and a callable that prepares state, makes the call
through ``t.call(...)`` and checks that the result reflects server state (created things are
listed, deleted ones 404, counts match, updates show on the next get, listings walk past page
one). Only the requests made inside ``t.call`` are checked against the (method, path) of the
entry; set-up and verification requests are free. The storage interactions S1-S6 belong to the
transfers issue and are not here; where an API call needs bytes to have arrived in storage
(A12/A13, N8), the test puts them into the store directly instead of going through storage.
"""

from __future__ import annotations

import re
from typing import Callable, List, NamedTuple, Optional

import pytest

import vi
from vi.testing import LocalViServer

from .entries_core import (
    a1,
    a2,
    a3,
    a4,
    a5,
    a6,
    a7,
    a8,
    a9,
    a10,
    a11,
    a12,
    a13,
    a14,
    d1,
    d2,
    d3,
    d4,
    d5,
    d6,
    d7,
    d8,
    d9,
    d10,
    d11,
    d12,
    d13,
    d14,
    d15,
    d16,
    m1,
    m2,
    n1,
    n2,
    n3,
    n4,
    n5,
    n6,
    n7,
    n8,
    n9,
    o1,
    o2,
    o3,
    o4,
    o5,
    o6,
    r1,
    r2,
    r3,
    r4,
    r5,
    r6,
    r7,
)
from .entries_peripheral import (
    _doc_delete,
    _doc_get,
    _doc_list,
    _doc_replace,
    _doc_update,
    as1,
    as2,
    as3,
    as4,
    as5,
    dj6,
    dp6,
    dp7,
    f1,
    f2,
    f3,
    f4,
    f5,
    f6,
    fl1,
    fl2,
    fl3,
    fl4,
    fl5,
    fl6,
    fl7,
    fl8,
    fl9,
    fl10,
    i1,
    l1,
    l2,
    l3,
    l4,
    l5,
    p1,
    p2,
    t1,
    t2,
    t3,
    t4,
    t5,
    t6,
    t7,
    t8,
    w1,
    w2,
    x1,
    x2,
    x3,
)
from .harness import CATALOGUE_IDS, CORE_IDS, PERIPHERAL_IDS, SEED, SOURCE, T

# --------------------------------------------------------------------------------------------
# The table: id, method, path (regex over the raw path; WS/DS/SRC as in PROTOCOL §6), callable
# --------------------------------------------------------------------------------------------


class Entry(NamedTuple):
    id: str
    method: str
    path: str
    run: Callable[[T], None]
    xfail: Optional[str] = None


ID = "[^/:]+"

TABLE: List[Entry] = [
    # §6.1 organizations
    Entry("O1", "GET", "/workspaces", o1),
    Entry("O2", "GET", "WS", o2),
    Entry("O3", "PATCH", "WS", o3),
    Entry("O4", "GET", "WS/collaborators", o4),
    Entry("O5", "DELETE", "WS/collaborators/ID", o5),
    Entry("O6", "GET", "WS/quota", o6),
    # §6.1 datasets
    Entry("D1", "GET", "WS/datasets", d1),
    Entry("D2", "GET", "WS/simpleDatasets", d2),
    Entry("D3", "POST", "WS/datasets", d3),
    Entry("D4", "GET", "DS", d4),
    Entry("D5", "PATCH", "DS", d5),
    Entry("D6", "DELETE", "DS", d6),
    Entry("D7", "GET", "DS/deleteOperation", d7),
    Entry("D8", "GET", "DS/collaborators", d8),
    Entry("D9", "POST", "DS/datasetExports", d9),
    Entry("D10", "GET", "DS/datasetExports", d10),
    Entry("D11", "GET", "DS/datasetExports/ID", d11),
    Entry("D12", "GET", "DS/aggregationStatistics", d12),
    Entry("D13", "POST", "DS/aggregationStatistics:generate", d13),
    Entry("D14", "POST", "DS/deleteManyAssetsSessions", d14),
    Entry("D15", "GET", "DS/deleteManyAssetsSessions", d15),
    Entry("D16", "GET", "DS/deleteManyAssetsSessions/ID", d16),
    # §6.1 assets
    Entry("A1", "GET", "DS/assets", a1),
    Entry("A2", "GET", "DS/assets/ID", a2),
    Entry("A3", "DELETE", "DS/assets/ID", a3),
    Entry("A4", "GET", "DS/assets:count", a4),
    Entry("A5", "POST", "DS/assets/ID/name", a5),
    Entry("A6", "POST", "DS/assetFiles/ID/name", a6),
    Entry("A7", "POST", "SRC/assetIngestionSessions", a7),
    Entry("A8", "GET", "SRC/assetIngestionSessions/ID", a8),
    Entry("A9", "POST", "SRC/assetIngestionSessions/ID:cancel", a9),
    Entry("A10", "POST", "SRC/multipartUploads", a10),
    Entry("A11", "POST", "SRC/multipartUploads/ID/parts/1", a11),
    Entry("A12", "POST", "SRC/multipartUploads/ID/parts/1/completion", a12),
    Entry("A13", "POST", "SRC/multipartUploads/ID/completion", a13),
    Entry("A14", "DELETE", "SRC/multipartUploads/ID", a14),
    # §6.1 annotations
    Entry("N1", "GET", "DS/assets/ID/annotations", n1),
    Entry("N2", "GET", "DS/assets/ID/annotations/ID", n2),
    Entry("N3", "PUT", "DS/assets/ID/annotations/ID", n3),
    Entry("N4", "PATCH", "DS/assets/ID/annotations/ID", n4),
    Entry("N5", "DELETE", "DS/assets/ID/annotations/ID", n5),
    Entry("N6", "POST", "DS/annotationImportSessions", n6),
    Entry("N7", "POST", "DS/annotationImportSessions/ID/files", n7),
    Entry("N8", "PATCH", "DS/annotationImportSessions/ID/status", n8),
    Entry("N9", "GET", "DS/annotationImportSessions/ID", n9),
    # §6.1 runs and models
    Entry("R1", "GET", "WS/runs", r1),
    Entry("R2", "GET", "WS/runs/ID", r2),
    Entry("R3", "PUT", "WS/runs/ID", r3),
    Entry("R4", "PATCH", "WS/runs/ID", r4),
    Entry("R5", "DELETE", "WS/runs/ID", r5),
    Entry("R6", "GET", "WS/simpleRuns", r6),
    Entry("R7", "GET", "WS/runs/ID/logs", r7),
    Entry("M1", "GET", "WS/runs/ID/outputs", m1),
    Entry("M2", "GET", "WS/runs/ID/outputs(/ID)?", m2),
    # §6.2 plans, folders, ontologies, intelliscribe
    Entry("P1", "GET", "/plans", p1),
    Entry("P2", "GET", "/plans/ID", p2),
    Entry("F1", "GET", "DS/folders", f1),
    Entry("F2", "GET", "DS/folders/ID", f2),
    Entry("F3", "GET", "DS/folders/ID/children", f3),
    Entry("F4", "PUT", "DS/folders/ID", f4),
    Entry("F5", "DELETE", "DS/folders/ID", f5),
    Entry("F6", "DELETE", "DS/folders", f6),
    Entry("L1", "GET", "DS/ontologies", l1),
    Entry("L2", "GET", "DS/ontologies/ID", l2),
    Entry("L3", "PUT", "DS/ontologies/ID", l3),
    Entry("L4", "PATCH", "DS/ontologies/ID", l4),
    Entry("L5", "POST", "DS/ontologies/ID/versions", l5),
    Entry("I1", "POST", "DS/intelliscribe/generations", i1),
    # §6.2 asset sources, assets with objects, annotation import extras
    Entry("AS1", "GET", "DS/assetSources", as1),
    Entry("AS2", "GET", "SRC", as2),
    Entry("AS3", "GET", "SRC/sample", as3),
    Entry("AS4", "DELETE", "SRC", as4),
    Entry("AS5", "GET", "SRC/assetIngestionSessions", as5),
    Entry("W1", "GET", "DS/assetsWithObjects", w1),
    Entry("W2", "GET", "DS/assetsWithObjects/ID", w2),
    Entry("X1", "GET", "DS/annotationImportSessions", x1),
    Entry("X2", "GET", "DS/annotationImportSessions/ID/filesSample", x2),
    Entry("X3", "GET", "DS/annotationImportSessions/ID/logs", x3),
    # §6.2 training projects
    Entry("T1", "GET", "WS/trainingProjects", t1),
    Entry("T2", "GET", "WS/trainingProjects/ID", t2),
    Entry("T3", "PUT", "WS/trainingProjects/ID", t3),
    Entry("T4", "PATCH", "WS/trainingProjects/ID", t4),
    Entry("T5", "DELETE", "WS/trainingProjects/ID", t5),
    Entry("T6", "GET", "WS/trainingProjects/ID/aggregationInsights", t6),
    Entry("T7", "POST", "WS/trainingProjects/ID/aggregationInsights:generate", t7),
    Entry("T8", "POST", "/dryRuns/workspaces/ORG/trainingProjects", t8),
    # §6.2 flows
    Entry("FL1", "GET", "WS/flows", fl1),
    Entry("FL2", "GET", "WS/flows/ID", fl2),
    Entry("FL3", "PUT", "WS/flows/ID", fl3),
    Entry("FL4", "PATCH", "WS/flows/ID", fl4),
    Entry("FL5", "DELETE", "WS/flows/ID", fl5),
    Entry("FL6", "GET", "WS/simpleFlows", fl6),
    Entry("FL7", "GET", "WS/flows/ID/aggregationStatistics", fl7),
    Entry("FL8", "POST", "WS/flows/ID/aggregationStatistics:generate", fl8),
    Entry("FL9", "GET", "WS/flows/ID/accelerators", fl9),
    Entry("FL10", "POST", "WS/flows/ID/accelerators", fl10),
    # §6.2 deployments, deployment projects, deployment endpoints
    Entry("DP1", "GET", "WS/deployments", _doc_list("DP")),
    Entry("DP2", "GET", "WS/deployments/ID", _doc_get("DP")),
    Entry("DP3", "PUT", "WS/deployments/ID", _doc_replace("DP")),
    Entry("DP4", "PATCH", "WS/deployments/ID", _doc_update("DP")),
    Entry("DP5", "DELETE", "WS/deployments/ID", _doc_delete("DP")),
    Entry("DP6", "GET", "WS/deployments/ID/statistics", dp6),
    Entry("DP7", "GET", "WS/deploymentStatistics", dp7),
    Entry("DJ1", "GET", "WS/deploymentProjects", _doc_list("DJ")),
    Entry("DJ2", "GET", "WS/deploymentProjects/ID", _doc_get("DJ")),
    Entry("DJ3", "PUT", "WS/deploymentProjects/ID", _doc_replace("DJ")),
    Entry("DJ4", "PATCH", "WS/deploymentProjects/ID", _doc_update("DJ")),
    Entry("DJ5", "DELETE", "WS/deploymentProjects/ID", _doc_delete("DJ")),
    Entry("DJ6", "GET", "WS/deploymentProjects/ID/knowledgeBase", dj6),
    Entry("DE1", "GET", "WS/deploymentEndpoints", _doc_list("DE")),
    Entry("DE2", "GET", "WS/deploymentEndpoints/ID", _doc_get("DE")),
    Entry("DE3", "PUT", "WS/deploymentEndpoints/ID", _doc_replace("DE")),
    Entry("DE4", "PATCH", "WS/deploymentEndpoints/ID", _doc_update("DE")),
    Entry("DE5", "DELETE", "WS/deploymentEndpoints/ID", _doc_delete("DE")),
]


def path_regex(template: str, org: str) -> "re.Pattern[str]":
    """`WS`, `DS`, `SRC` as in PROTOCOL §6 (DS with the composite `{org}_{id}`), `ID` = one segment."""
    org_rx = re.escape(org)
    ws = "/workspaces/" + org_rx
    ds = ws + "/datasets/" + org_rx + "_[A-Za-z0-9_-]+"
    src = ds + "/assetSources/" + "/".join(SOURCE)
    rx = template
    for token, value in (("SRC", src), ("DS", ds), ("WS", ws), ("ORG", org_rx)):
        rx = re.sub(r"(?<![A-Za-z])" + token + r"(?![A-Za-z])", lambda _m, v=value: v, rx)
    rx = re.sub(r"(?<![A-Za-z])ID(?![A-Za-z])", ID, rx)
    return re.compile(rx)


# --------------------------------------------------------------------------------------------
# Tests
# --------------------------------------------------------------------------------------------


@pytest.fixture
def t():
    server = LocalViServer(operation_delay=0.0, **SEED)
    client = vi.Client(
        secret_key=server.secret_key,
        organization_id=server.organization_id,
        endpoint="http://vi.local",
        adapters={"http://vi.local/": server.adapter()},
    )
    with client:
        yield T(server, client)


def _params() -> list:
    out = []
    for entry in TABLE:
        marks = [pytest.mark.xfail(strict=True, reason=entry.xfail)] if entry.xfail else []
        out.append(pytest.param(entry, id=entry.id, marks=marks))
    return out


@pytest.mark.parametrize("entry", _params())
def test_endpoint(entry: Entry, t: T) -> None:
    entry.run(t)
    assert t.seen, "%s: the entry never made its call through t.call" % entry.id
    expected = path_regex(entry.path, t.org)
    for record in t.seen:
        assert (record.method, bool(expected.fullmatch(record.path))) == (entry.method, True), (
            "%s: expected %s %s, the server saw %s %s?%s"
            % (entry.id, entry.method, entry.path, record.method, record.path, record.query)
        )


def test_table_covers_every_catalogue_id() -> None:
    ids = [entry.id for entry in TABLE]
    assert len(ids) == len(set(ids)), "duplicate ids in the table"
    assert len(CORE_IDS) == 54 and len(PERIPHERAL_IDS) == 60  # PROTOCOL §6.1 / §6.2 totals
    assert sorted(ids) == sorted(CATALOGUE_IDS)
    assert not [i for i in ids if i.startswith("S") and i[1:].isdigit()], "storage S1-S6 belong elsewhere"


def test_path_regexes_are_anchored_per_endpoint() -> None:
    """Distinct endpoints sharing a method must not share a path pattern (except same-path pairs)."""
    org = "00000000-0000-4000-8000-000000000000"
    samples = {
        "D4": f"/workspaces/{org}/datasets/{org}_dsabc",
        "A4": f"/workspaces/{org}/datasets/{org}_dsabc/assets:count",
        "A9": f"/workspaces/{org}/datasets/{org}_dsabc/assetSources/managed/datature/default"
        "/assetIngestionSessions/ais-1:cancel",
        "T8": f"/dryRuns/workspaces/{org}/trainingProjects",
    }
    by_id = {entry.id: entry for entry in TABLE}
    for endpoint_id, path in samples.items():
        matching = [
            e.id
            for e in TABLE
            if e.method == by_id[endpoint_id].method and path_regex(e.path, org).fullmatch(path)
        ]
        assert matching == [endpoint_id], (endpoint_id, matching)
