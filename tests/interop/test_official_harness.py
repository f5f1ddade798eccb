"""The harness itself: the subprocess really runs the PyPI package, configured only by environment."""

from __future__ import annotations

import os

from tests.interop.interop_support import expect_ok


def test_official_client_is_the_pypi_package(official, official_python, server):
    """`import vi` in the subprocess is vi-sdk 0.1.0b7 from the cached venv, and it reaches the server."""
    result = official(
        """
        RESULT["sys_path"] = sys.path
        RESULT["org"] = attempt(client.organizations.get)
        """
    )
    venv = official_python.parent.parent
    assert result["vi_sdk_version"] == "0.1.0b7"
    assert os.path.realpath(result["vi_file"]).startswith(os.path.realpath(str(venv)) + os.sep)
    org = expect_ok(result["org"], "organizations.get")
    assert org["workspaceId"] == server.organization_id

    seen = [r for r in server.stats.requests if r.path == f"/workspaces/{server.organization_id}"]
    assert seen, "the server never saw the official client's request"
    headers = seen[-1].headers
    assert headers["Authorization"] == f"Bearer {server.secret_key}"
    assert headers["Organization-Id"] == server.organization_id
    assert headers["User-Agent"].startswith("vi/0.1.0b7 ")
