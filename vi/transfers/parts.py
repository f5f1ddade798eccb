"""The parts of a ranged download: fetched in parallel, and remembered between calls.

A sidecar record beside the hidden temporary file lists the parts already written, keyed by
the object (URL path, size, ETag) and the part size, so that a later call fetches only what is
missing; anything that does not match starts the file over.
"""

from __future__ import annotations

import json
import os
import threading
from concurrent.futures import FIRST_EXCEPTION, Future, ThreadPoolExecutor, wait
from pathlib import Path
from typing import Any, Callable, List, Mapping, Optional, Sequence, Set, Tuple

__all__ = ["Cancelled", "run_parts", "sidecar", "load_sidecar", "save_sidecar"]

_SIDECAR_VERSION = 1


class Cancelled(Exception):
    """A part not started because another one failed."""


def run_parts(
    work: Callable[[Tuple[int, int]], None],
    parts: List[Tuple[int, int]],
    max_workers: int,
    cancel: threading.Event,
) -> None:
    """Run ``work`` for every part, in parallel when there are several; the first failure
    cancels the rest and is raised."""
    if len(parts) <= 1 or max_workers == 1:
        for part in parts:
            work(part)
        return
    with ThreadPoolExecutor(min(max_workers, len(parts)), thread_name_prefix="vi-download") as pool:
        futures: List[Future] = [pool.submit(work, part) for part in parts]
        finished, _ = wait(futures, return_when=FIRST_EXCEPTION)
        failure = next((f.exception() for f in finished if f.exception() is not None), None)
        if failure is not None:
            cancel.set()
            for future in futures:
                future.cancel()
            wait(futures)
            raise _first_error(futures) or failure


def _first_error(futures: Sequence[Future]) -> Optional[BaseException]:
    for future in futures:
        if future.cancelled() or not future.done():
            continue
        error = future.exception()
        if error is not None and not isinstance(error, Cancelled):
            return error
    return None


def sidecar(temp: Path) -> Path:
    return temp.with_name(temp.name + ".json")


def load_sidecar(side: Path, key: Mapping[str, Any], part_size: int, temp: Path) -> Set[int]:
    try:
        with open(side, encoding="utf-8") as handle:
            record = json.load(handle)
        if (
            record.get("version") == _SIDECAR_VERSION
            and record.get("key") == dict(key)
            and record.get("part_size") == part_size
            and os.path.getsize(temp) == key["size"]
        ):
            return {int(start) for start in record.get("done", [])}
    except (OSError, ValueError, TypeError, AttributeError):
        pass
    return set()


def save_sidecar(side: Path, key: Mapping[str, Any], part_size: int, done: Set[int]) -> None:
    record = {"version": _SIDECAR_VERSION, "key": dict(key), "part_size": part_size, "done": sorted(done)}
    temp = side.with_name(side.name + ".tmp")
    try:
        with open(temp, "w", encoding="utf-8") as handle:
            json.dump(record, handle)
        os.replace(temp, side)
    except OSError:
        try:
            os.unlink(temp)
        except FileNotFoundError:
            pass
