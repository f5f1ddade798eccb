"""File names from the server never escape the target folder (hypothesis), collisions keep every
file, and AtomicFile never leaves a partial file under its final name."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from vi.transfers.files import (
    MAX_NAME_BYTES,
    AtomicFile,
    safe_join,
    safe_name,
    safe_relative_parts,
    temp_path_for,
    unique_names,
)

HOSTILE = st.sampled_from(
    [
        "../",
        "..\\",
        "%2e%2e",
        "%2e%2e%2f",
        "%252e%252e%252f",
        "/",
        "\\",
        "C:",
        "c:\\",
        "\x00",
        "\x1f",
        "CON",
        "nul",
        "LPT1",
        ".",
        "..",
        " ",
        "~",
        ":",
        "*",
        "?",
        "é",
        "😀",
        "\u202e",
        "a",
        "b.jpg",
    ]
)
NAMES = st.one_of(
    st.lists(st.one_of(HOSTILE, st.text(max_size=20)), max_size=12).map("".join),
    st.text(min_size=200, max_size=1000),
    st.integers(1, 1000).map(lambda n: "x" * n + ".jpg"),
)


@settings(max_examples=150, deadline=None)
@given(NAMES)
def test_safe_name_is_one_harmless_component(name: str) -> None:
    result = safe_name(name)
    assert result and result not in (".", "..")
    assert "/" not in result and "\\" not in result and "\x00" not in result
    assert not any(ord(c) < 32 for c in result)
    assert len(result.encode("utf-8")) <= MAX_NAME_BYTES
    assert result.split(".")[0].upper() not in ("CON", "NUL", "PRN", "AUX", "LPT1", "COM1")
    assert safe_name(result) == result  # idempotent: a second pass changes nothing


@settings(max_examples=100, deadline=None)
@given(st.lists(NAMES, min_size=1, max_size=4).map("/".join))
def test_safe_join_never_escapes(tmp_path_factory: pytest.TempPathFactory, relative: str) -> None:
    root = tmp_path_factory.getbasetemp() / "root"
    try:
        target = safe_join(root, relative)
    except ValueError:
        assert not safe_relative_parts(relative)  # only "nothing left to write" is refused
        return
    resolved_root = root.resolve()
    assert resolved_root in target.resolve().parents
    assert all(
        len(part.encode("utf-8")) <= MAX_NAME_BYTES for part in target.relative_to(resolved_root).parts
    )


@pytest.mark.parametrize(
    "raw, expected",
    [
        ("../../etc/passwd", "passwd"),
        ("%2e%2e%2f%2e%2e%2fboot.ini", "boot.ini"),
        ("C:\\Windows\\system32\\x.dll", "x.dll"),
        ("a\x00b.jpg", "a_b.jpg"),
        ("CON", "_CON"),
        ("con.txt", "_con.txt"),
        ("..", "file"),
        ("", "file"),
        ("name. ", "name"),
    ],
)
def test_safe_name_examples(raw: str, expected: str) -> None:
    assert safe_name(raw) == expected


def test_long_name_keeps_extension() -> None:
    name = safe_name("é" * 600 + ".jpeg")
    assert name.endswith(".jpeg") and len(name.encode("utf-8")) <= 255


def test_unique_names_are_deterministic_and_distinct() -> None:
    items = [("ast-1", "a.jpg"), ("ast-2", "A.JPG"), ("ast-3", "../a.jpg"), ("ast-4", "b.jpg")]
    first = unique_names(items)
    assert first == unique_names(items)
    assert first["ast-1"] == "a.jpg" and first["ast-4"] == "b.jpg"
    assert first["ast-2"] == "A (ast-2).JPG" and first["ast-3"] == "a (ast-3).jpg"
    assert len({n.casefold() for n in first.values()}) == 4


@settings(max_examples=50, deadline=None)
@given(st.lists(NAMES, min_size=1, max_size=20))
def test_unique_names_never_collide(names: list) -> None:
    out = unique_names(("id-%d" % i, n) for i, n in enumerate(names))
    assert len(out) == len(names)
    assert len({n.casefold() for n in out.values()}) == len(names)
    assert all(len(n.encode("utf-8")) <= MAX_NAME_BYTES for n in out.values())


def test_atomic_file_commit_and_failure(tmp_path: Path) -> None:
    final = tmp_path / "out.bin"
    with pytest.raises(RuntimeError):
        with AtomicFile(final) as handle:
            handle.write(b"partial")
            raise RuntimeError("interrupted")
    assert os.listdir(tmp_path) == []
    atomic = AtomicFile(final)
    with atomic as handle:
        handle.write(b"abc")
        with pytest.raises(OSError):
            atomic.commit(expected_size=4)  # wrong size: discarded, final untouched
    assert os.listdir(tmp_path) == []
    atomic = AtomicFile(final)
    with atomic as handle:
        handle.write(b"abcd")
        atomic.commit(expected_size=4)
    assert final.read_bytes() == b"abcd" and os.listdir(tmp_path) == ["out.bin"]


def test_temp_name_is_short_and_hidden(tmp_path: Path) -> None:
    final = tmp_path / ("x" * 250 + ".jpg")
    temp = temp_path_for(final)
    assert temp.parent == final.parent and temp.name.startswith(".vi-") and len(temp.name) < 40
