"""Response bodies parse to the same values with and without the optional orjson (``[fast]``)."""

import json
import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from vi import _json

orjson = pytest.importorskip("orjson", reason="the [fast] extra is not installed")

scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**70), max_value=2**70),  # beyond 64 bits too: orjson refuses those
    st.floats(allow_nan=True, allow_infinity=True),  # NaN/Infinity: Python-only JSON extensions
    st.text(),  # includes lone surrogates, which orjson refuses
)
documents = st.recursive(
    scalars,
    lambda inner: st.one_of(st.lists(inner, max_size=4), st.dictionaries(st.text(), inner, max_size=4)),
    max_leaves=20,
)


def same(a, b):
    if isinstance(a, float) and isinstance(b, float) and math.isnan(a) and math.isnan(b):
        return True
    if type(a) is not type(b):
        return False
    if isinstance(a, list):
        return len(a) == len(b) and all(same(x, y) for x, y in zip(a, b))
    if isinstance(a, dict):
        return list(a) == list(b) and all(same(a[k], b[k]) for k in a)
    return a == b


@settings(max_examples=300, deadline=None)
@given(documents, st.booleans())
def test_same_value_as_the_stdlib(document, ascii_only):
    body = json.dumps(document, ensure_ascii=ascii_only).encode("utf-8", "surrogatepass")
    try:
        expected = json.loads(body)
    except ValueError:
        with pytest.raises(ValueError):
            _json.loads(body)
        return
    assert same(_json.loads(body), expected)


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=64))
def test_same_errors_as_the_stdlib(body):
    try:
        expected = json.loads(body)
    except (ValueError, RecursionError) as err:
        with pytest.raises(type(err)) as raised:
            _json.loads(body)
        assert str(raised.value) == str(err)
        return
    assert same(_json.loads(body), expected)


def test_bodies_orjson_refuses_are_read_by_the_stdlib():
    for body in (b"NaN", b'{"a": Infinity}', b"123456789012345678901234567890", b'"\\ud800"', b"[]"):
        assert same(_json.loads(body), json.loads(body))
    assert same(_json.loads("[1]".encode("utf-16")), [1])
    nested = b"[" * 500 + b"]" * 500
    assert _json.loads(nested) == json.loads(nested)
    absurd = b"[" * 100000 + b"]" * 100000  # refused by orjson, then the stdlib's own error
    with pytest.raises(RecursionError):
        json.loads(absurd)
    with pytest.raises(RecursionError):
        _json.loads(absurd)


def test_long_integers_stay_integers():
    """orjson turns integers beyond 64 bits into floats; the stdlib keeps them exact."""
    for number in (2**63, -(2**63) - 1, 10**30, 9_223_372_036_854_775_807):
        body = b'{"n": %d, "s": "x"}' % number
        value = _json.loads(body)["n"]
        assert type(value) is int and value == number


def test_duplicate_keys_keep_the_last_value_in_the_first_place():
    body = b'{"a": 1, "b": 2, "a": 3}'
    assert list(_json.loads(body).items()) == list(json.loads(body).items())
