"""Helpers shared by the interop tests: our own well-formed view of the server, and assertions."""

from __future__ import annotations

from typing import Any, Dict

import requests

from vi.testing import LocalViServer

# -- our own view of the server, with plain `requests` ------------------------------------------


class Wire:
    """Well-formed requests to the server, for checking what the protocol says it must answer."""

    def __init__(self, server: LocalViServer) -> None:
        self.server = server
        self.org = server.organization_id
        self.session = requests.Session()
        self.session.trust_env = False
        self.session.headers.update(
            {
                "Authorization": f"Bearer {server.secret_key}",
                "Organization-Id": server.organization_id,
                "Accept": "application/json",
            }
        )

    def ws(self, *segments: str) -> str:
        return "/".join(["", "workspaces", self.org, *segments])

    def ds(self, short_id: str, *segments: str) -> str:
        return self.ws("datasets", f"{self.org}_{short_id}", *segments)

    def request(self, method: str, path: str, **kwargs: Any) -> requests.Response:
        kwargs.setdefault("timeout", 30)
        return self.session.request(method, self.server.url + path, **kwargs)

    def get_json(self, path: str, **params: Any) -> Any:
        response = self.request("GET", path, params=params or None)
        assert response.status_code == 200, f"GET {path}: {response.status_code} {response.text[:500]}"
        return response.json()

    def walk(self, path: str, page_size: int = 10, **params: Any) -> list:
        """Every item of a listing, following `nextPage` tokens."""
        items, token, seen = [], None, set()
        for _ in range(1000):
            query = dict(params, s=str(page_size))
            if token:
                query["p"] = token
            page = self.get_json(path, **query)
            items.extend(page.get("items", []))
            token = page.get("nextPage")
            if not token:
                return items
            assert token not in seen, f"{path}: nextPage token repeated"
            seen.add(token)
        raise AssertionError(f"{path}: more than 1000 pages")


# -- helpers for the tests -------------------------------------------------------------------------


def short(composite_id: str, org_id: str) -> str:
    prefix = org_id + "_"
    assert composite_id.startswith(prefix), composite_id
    return composite_id[len(prefix) :]


def expect_ok(outcome: Dict[str, Any], what: str) -> Any:
    """The value of a successful official-client call, or a failure that says exactly what broke."""
    if outcome.get("ok"):
        return outcome["value"]
    error = outcome["error"]
    lines = [f"official client failed on {what}: {error['type']}: {error['message']}"]
    if error.get("status_code") is not None:
        lines.append(f"HTTP status: {error['status_code']}")
    diagnosis = error.get("diagnosis")
    if diagnosis:
        lines.append(f"server answered {diagnosis.get('status')}: {diagnosis.get('body')}")
        if diagnosis.get("decode_error"):
            lines.append(f"official decoder says: {diagnosis['decode_error']}")
    if "ViError" not in error.get("mro", []):  # not an HTTP-mapped error: where did it come from?
        lines.append(error.get("traceback", "")[-1500:])
    raise AssertionError("\n".join(lines))


def expect_error(outcome: Dict[str, Any], what: str) -> Dict[str, Any]:
    assert not outcome.get("ok"), f"{what}: expected the official client to fail, got {outcome['value']!r}"
    return outcome["error"]


def requests_for(server: LocalViServer, method: str, path_suffix: str) -> list:
    return [r for r in server.stats.requests if r.method == method and r.path.endswith(path_suffix)]
