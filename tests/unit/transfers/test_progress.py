"""The progress bar: asked for on a terminal without tqdm it warns once; when done it stays."""

import io
import sys
import warnings

import pytest

import vi.transfers.progress as progress_module
from vi.transfers.progress import Progress


class Terminal(io.StringIO):
    def isatty(self):
        return True


@pytest.fixture
def no_tqdm(monkeypatch):
    monkeypatch.setitem(sys.modules, "tqdm", None)  # "import tqdm" now raises ImportError
    monkeypatch.setattr(progress_module, "_warned_no_tqdm", progress_module.threading.Event())


def test_show_progress_without_tqdm_warns_once(no_tqdm):
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        Progress("upload", show_progress=True, stream=Terminal()).close()
        Progress("download", show_progress=True, stream=Terminal()).close()
    assert len(caught) == 1
    assert "tqdm" in str(caught[0].message) and "vi-requests[progress]" in str(caught[0].message)


def test_no_warning_when_no_bar_was_asked_for_or_possible(no_tqdm):
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        Progress("upload", show_progress=False, stream=Terminal()).close()
        Progress("upload", show_progress=True, stream=io.StringIO()).close()  # not a terminal
    assert caught == []


def test_the_finished_bar_stays_visible():
    pytest.importorskip("tqdm")
    out = Terminal()
    bar = Progress("download", total_bytes=100, show_progress=True, stream=out)
    bar.add_bytes(100)
    bar.close()
    text = out.getvalue()
    last = text.rsplit("\r", 1)[-1]
    assert "100/100" in last and text.endswith("\n"), repr(text[-200:])
