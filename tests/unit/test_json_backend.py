"""The core parses response bodies without the optional orjson, with the stdlib's values and errors."""

import json

import pytest

from vi import _json


@pytest.fixture
def stdlib_only(monkeypatch):
    monkeypatch.setattr(_json, "_fast_loads", None)


def test_without_orjson_bodies_parse_with_the_stdlib(stdlib_only):
    body = (
        b'{"items": [{"assetId": "a", "size": 1.5, "n": 123456789012345678901234567890}], "nextPage": null}'
    )
    assert _json.loads(body) == json.loads(body)


def test_without_orjson_invalid_bodies_raise_the_stdlib_error(stdlib_only):
    with pytest.raises(json.JSONDecodeError) as raised:
        _json.loads(b'{"a": ')
    with pytest.raises(json.JSONDecodeError) as expected:
        json.loads(b'{"a": ')
    assert str(raised.value) == str(expected.value)


def test_a_refusing_fast_parser_hands_over_to_the_stdlib(monkeypatch):
    class Refused(ValueError):
        pass

    def refuse(content):
        raise Refused("not mine")

    monkeypatch.setattr(_json, "_fast_loads", refuse)
    monkeypatch.setattr(_json, "_fast_error", Refused)
    assert _json.loads(b"[NaN]")[0] != _json.loads(b"[NaN]")[0]  # NaN, as json.loads reads it
    with pytest.raises(json.JSONDecodeError):
        _json.loads(b"{")
