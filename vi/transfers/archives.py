"""Archives from storage, unpacked safely: nothing escapes the target folder, and an existing
folder is replaced only by a complete new one.

Dataset exports and model checkpoints arrive as one zip or tar. Member names go through
:func:`~vi.transfers.files.safe_relative_parts`; links, devices and FIFOs are never created;
extraction happens in a hidden staging folder that replaces the target only once it is whole.
"""

from __future__ import annotations

import os
import shutil
import tarfile
import uuid
import zipfile
from pathlib import Path
from typing import IO, Callable, Dict, List, Optional, Union

from ..errors import ViDownloadError
from .fetch import Fetcher, remove_file
from .files import safe_join, safe_relative_parts

__all__ = ["extract_archive", "install", "fetch_and_extract", "staging_for"]

PathArg = Union[str, "os.PathLike[str]"]


def _claim(root: Path, relative: str, seen: Dict[str, int]) -> Optional[Path]:
    """A safe, not-yet-used path under ``root`` for an archive member (None: nothing to write)."""
    parts = safe_relative_parts(relative)
    if not parts:
        return None
    key = "/".join(parts).casefold()
    if key in seen:
        seen[key] += 1
        stem, dot, ext = parts[-1].rpartition(".")
        parts[-1] = (
            ("%s (%d).%s" % (stem, seen[key], ext)) if dot and stem else "%s (%d)" % (parts[-1], seen[key])
        )
    else:
        seen[key] = 1
    return safe_join(root, "/".join(parts))


def _copy(source: IO[bytes], path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "wb") as out:
        shutil.copyfileobj(source, out, 1024 * 1024)


def extract_archive(archive: PathArg, destination: PathArg) -> List[str]:
    """Extract a zip or tar into ``destination`` without letting any member escape it.

    Member names go through :func:`~vi.transfers.files.safe_relative_parts` (``..``, absolute
    paths, drive letters, backslashes, NUL …); links, devices and FIFOs are skipped, never
    created. Returns the relative paths written."""
    root = Path(destination).resolve()  # absolute, like the paths safe_join hands back
    root.mkdir(parents=True, exist_ok=True)
    written: List[str] = []
    seen: Dict[str, int] = {}
    archive = Path(archive)
    if zipfile.is_zipfile(archive):
        with zipfile.ZipFile(archive) as bundle:
            for info in bundle.infolist():
                mode = (info.external_attr >> 16) & 0o170000
                if info.is_dir() or mode not in (0, 0o100000):
                    continue  # directories are implied; symlinks and specials are never created
                path = _claim(root, info.filename, seen)
                if path is None:
                    continue
                with bundle.open(info) as source:
                    _copy(source, path)
                written.append(path.relative_to(root).as_posix())
        return written
    try:
        tar = tarfile.open(archive, mode="r:*")
    except tarfile.TarError as exc:
        raise ViDownloadError("%s is neither a zip nor a tar archive" % archive.name, cause=exc) from None
    with tar:
        for member in tar:
            if not member.isfile():
                continue
            path = _claim(root, member.name, seen)
            if path is None:
                continue
            extracted = tar.extractfile(member)
            if extracted is None:
                continue
            with extracted:
                _copy(extracted, path)
            written.append(path.relative_to(root).as_posix())
    return written


def install(staging: Path, target: Path) -> None:
    """Move a fully extracted ``staging`` folder to ``target``; an old ``target`` is replaced
    only once the new one is complete, so a failure never leaves a half-written folder."""
    old: Optional[Path] = None
    if target.exists():
        old = target.with_name(".vi-old-%s" % uuid.uuid4().hex[:12])
        os.replace(target, old)
    try:
        os.replace(staging, target)
    except OSError:
        if old is not None:
            os.replace(old, target)
        raise
    if old is not None:
        shutil.rmtree(old, ignore_errors=True)


def staging_for(target: Path) -> Path:
    """A hidden folder beside ``target`` to extract into."""
    return target.with_name(".vi-extract-%s" % uuid.uuid4().hex[:12])


def fetch_and_extract(
    fetcher: Fetcher,
    url: str,
    *,
    archive: Path,
    target: Path,
    refresh: Callable[[], str],
    label: str,
    check: Optional[Callable[[Path], None]] = None,
) -> List[str]:
    """Download ``url`` to ``archive`` (ranged, resumable), extract it into a staging folder,
    let ``check`` refuse a bad layout, then install it as ``target``. The archive is kept until
    extraction worked, so a failed extraction can be retried without downloading again."""
    fetcher.ranged(url, archive, overwrite=True, refresh=refresh, label=label)
    staging = staging_for(target)
    try:
        members = extract_archive(archive, staging)
        if check is not None:
            check(staging)
        install(staging, target)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    remove_file(archive)
    return members
