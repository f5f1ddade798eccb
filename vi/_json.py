"""Parsing JSON response bodies: ``orjson`` when the ``[fast]`` extra put it there, else the stdlib.

Parsing the body is a fixed share of every listing (a 100-asset page is about 150 kB), and orjson
parses it in about half the time. It stays optional: nothing else changes when it is missing.

The two parsers must give the same Python values, so orjson is only trusted where it agrees:

* whenever it refuses a body (``NaN`` and ``Infinity`` literals, lone surrogates, UTF-16 bodies,
  nesting deeper than it allows), the stdlib parser reads the body instead, and its result or its
  error is the one the caller sees;
* integers beyond 64 bits come back from orjson as floats, so a body with a run of 19 or more
  digits anywhere goes to the stdlib parser without asking orjson (a C-speed scan: replace every
  byte by "digit or not", then look for the run).

``tests/property/test_json_parsing.py`` checks that both parsers agree on generated documents.
"""

from __future__ import annotations

import json
from typing import Any, Callable, Optional

__all__ = ["loads", "BACKEND"]

_fast_loads: Optional[Callable[[bytes], Any]]
_fast_error: Any
try:  # pragma: no cover - which branch runs depends on the environment
    import orjson as _orjson
except ImportError:  # pragma: no cover
    _fast_loads, _fast_error = None, ValueError
else:  # pragma: no cover
    _fast_loads, _fast_error = _orjson.loads, _orjson.JSONDecodeError

#: which parser reads response bodies first: "orjson" or "json"
BACKEND = "orjson" if _fast_loads is not None else "json"


#: every byte → b"0" for an ASCII digit, b" " otherwise; a long digit run is then a plain substring
_DIGITS = bytes(48 if 48 <= b <= 57 else 32 for b in range(256))
_LONG_NUMBER = b"0" * 19  # int64 has at most 19 digits


def loads(content: bytes) -> Any:
    """The JSON value of ``content``, as ``json.loads`` gives it (and its errors when invalid)."""
    fast = _fast_loads
    if (
        fast is not None
        and isinstance(content, (bytes, bytearray))
        and _LONG_NUMBER not in content.translate(_DIGITS)
    ):
        try:
            return fast(content)
        except _fast_error:
            pass  # not orjson's to decide: the stdlib parser answers, value or error
    return json.loads(content)
