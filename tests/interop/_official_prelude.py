"""Prelude of every script the interop suite runs with the *official* client's interpreter.

This file is never imported by pytest: `conftest.official` copies it, followed by a test's snippet
and an epilogue, into a temporary directory and runs it with the python of the isolated
virtualenv that holds `vi-sdk` from PyPI. The snippet reads `PARAMS`, uses `client` (a
`vi.Client()` configured only from the DATATURE_VI_* environment) and fills `RESULT`; the epilogue
prints `RESULT` as one JSON document on the last stdout line (after whatever spinners and progress
lines the official client printed).
"""

import importlib.metadata
import json
import os
import sys
import traceback

PARAMS = json.loads(os.environ["VI_INTEROP_PARAMS"])
RESULT = {}
MARKER = "VI-INTEROP-RESULT "

import msgspec  # noqa: E402  (the official client's own dependency)

import vi  # noqa: E402

# -- the `vi` imported here must be the official package, not the project under test --------------
_repo = os.path.realpath(PARAMS["forbidden_root"])  # the project under test (its own `vi`)
_venv = os.path.realpath(sys.prefix)
_vi_file = os.path.realpath(vi.__file__)


def _inside(path, folder):
    return path == folder or path.startswith(folder + os.sep)


assert _inside(_vi_file, _venv), f"`vi` is not the venv's package: {_vi_file}"
assert not _inside(_vi_file, os.path.join(_repo, "vi")), f"imported the project under test: {_vi_file}"
assert not _inside(os.path.realpath(os.getcwd()), _repo), f"cwd inside the repository: {os.getcwd()}"
for _entry in sys.path:
    _real = os.path.realpath(_entry or os.getcwd())
    assert not _inside(_real, _repo) or _inside(_real, _venv), f"sys.path has {_entry}"
assert importlib.metadata.version("vi-sdk") == PARAMS["official_version"], importlib.metadata.version(
    "vi-sdk"
)
RESULT["vi_file"] = _vi_file
RESULT["vi_sdk_version"] = importlib.metadata.version("vi-sdk")

ORG = os.environ["DATATURE_VI_ORGANIZATION_ID"]
client = vi.Client()


def dump(value):
    """Plain JSON data (wire field names) from an official response object."""
    return msgspec.to_builtins(value, str_keys=True)


def vars_of(value, *names):
    """Chosen attributes as a dict (`dump` omits fields left at their default, e.g. `deleted=True`)."""
    return {name: getattr(value, name) for name in names}


def explain(path, response_type, params=None, method="GET"):
    """Re-send a request with httpx and decode it with msgspec, to name the field that failed.

    The official client turns any decoding failure into `ViOperationError("Unexpected response
    type ...")`; this recovers the precise reason (e.g. "Object missing required field `x` - at
    `$.items[0]`") for the report.
    """
    import httpx

    headers = {
        "Authorization": "Bearer " + os.environ["DATATURE_VI_SECRET_KEY"],
        "Organization-Id": ORG,
        "Accept": "application/json",
    }
    url = os.environ["DATATURE_VI_API_ENDPOINT"].rstrip("/") + path
    with httpx.Client(timeout=30) as raw:
        response = raw.request(method, url, params=params, headers=headers)
    out = {"status": response.status_code, "body": response.text[:600], "decode_error": None}
    if 200 <= response.status_code < 300 and response_type is not None:
        try:
            msgspec.json.decode(response.content, type=response_type)
        except msgspec.DecodeError as exc:
            out["decode_error"] = str(exc)
    return out


def attempt(fn, *args, explain_with=None, **kwargs):
    """Call an official-client method; return {"ok": True, "value": ...} or the error's details."""
    try:
        value = fn(*args, **kwargs)
    except BaseException as exc:  # noqa: B036  (report everything, including SystemExit)
        error = {
            "type": type(exc).__name__,
            "module": type(exc).__module__,
            "mro": [cls.__name__ for cls in type(exc).__mro__],
            "message": str(exc),
            "error_code": str(getattr(exc, "error_code", None)),
            "status_code": getattr(exc, "status_code", None),
            "traceback": traceback.format_exc()[-3000:],
        }
        if explain_with is not None:
            try:
                error["diagnosis"] = explain(*explain_with)
            except Exception as diag_exc:  # diagnosis is best effort
                error["diagnosis"] = {"error": repr(diag_exc)}
        return {"ok": False, "error": error}
    try:
        return {"ok": True, "value": dump(value)}
    except Exception:
        return {"ok": True, "value": repr(value)}


# ---- the test's snippet follows ----------------------------------------------------------------
