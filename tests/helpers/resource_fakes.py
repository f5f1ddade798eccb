"""Helpers for the resource tests: example bodies and a requester that records calls.

A plain module (not conftest.py) with a name unique across the test tree, so that importing it
from the test modules cannot pick up another directory's helpers."""

from __future__ import annotations

import copy
import json
import os
from typing import Any, Dict, List, Optional, Tuple

DATA = os.path.join(os.path.dirname(os.path.abspath(__file__)), "data")
ORG = "8f2c1a2e-4b7d-4c1e-9a3f-2d5e6f7a8b9c"


def load_example(name: str) -> Any:
    with open(os.path.join(DATA, name + ".json"), encoding="utf-8") as f:
        return json.load(f)


class FakeRequester:
    """Stands in for ``vi.http.Requester``: records ``(method, path, params, json)`` and
    answers with canned bodies in order. ``params`` are recorded as a list of pairs so tests
    can check the order parameters go on the wire in."""

    def __init__(self, *responses: Any, organization_id: str = ORG) -> None:
        self.organization_id = organization_id
        self.responses: List[Any] = list(responses)
        self.calls: List[Tuple[str, str, Optional[List[Tuple[str, Any]]], Any]] = []

    def request(self, method: str, path: str, params: Any = None, json: Any = None) -> Any:
        recorded = None if params is None else list(dict(params).items())
        self.calls.append((method, path, recorded, copy.deepcopy(json)))
        if not self.responses:
            raise AssertionError("unexpected request %s %s" % (method, path))
        return copy.deepcopy(self.responses.pop(0))

    # conveniences for assertions
    @property
    def paths(self) -> List[str]:
        return [c[1] for c in self.calls]

    def params(self, index: int = -1) -> Dict[str, Any]:
        return dict(self.calls[index][2] or [])


WS = "/workspaces/" + ORG
DS = WS + "/datasets/" + ORG + "_dsx9k2m7"
SRC = DS + "/assetSources/managed/datature/default"
EMPTY = {"items": []}
D = {"a": 1}
EX = load_example


def case(name: str, resource: Any, call: Any, responses: Any, calls: Any, returns: Any = None) -> Any:
    """One endpoint case: the resource class, the call, canned answers, expected wire calls."""
    import pytest

    return pytest.param(resource, call, responses, calls, returns, id=name)


def check_endpoint(resource: Any, call: Any, responses: Any, calls: Any, returns: Any) -> None:
    """Run ``call`` on ``resource`` over a recording requester; compare the wire calls and result."""
    fake = FakeRequester(*responses)
    instance = resource(fake)
    instance._sleep = lambda seconds: None
    result = call(instance)
    assert fake.calls == calls
    assert fake.responses == []
    if isinstance(returns, type):
        assert isinstance(result, returns)
    elif returns is not None:
        assert result == returns
