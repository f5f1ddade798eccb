"""The resume record of an upload: which files already arrived, so a rerun sends only the rest.

A small JSON document (``resume=`` path) maps each target file name to what was uploaded under
it (source path, size, modification time, CRC-32C) and how far it got:

* ``"sent"`` — storage accepted the bytes (2xx), the service has not confirmed the file yet;
  a rerun asks the service (the ingestion session) before deciding to skip or send it again;
* ``"done"`` — the service reported the file ingested; a rerun skips it while the local file
  still has the same size and modification time.

Files that failed are not recorded (or are removed), so a rerun sends them again. The document
is written atomically (a temporary file in the same folder, then ``os.replace``), at most about
once a second while uploads run and always at the end of each batch, on errors and on Ctrl-C, so
an interruption loses at most the last second of records (those files are sent again).
"""

from __future__ import annotations

import json
import os
import tempfile
import threading
import time
from typing import Any, Dict, Iterator, Optional, Tuple, Union

from ..errors import ViValidationError

__all__ = ["UploadManifest", "MANIFEST_VERSION"]

MANIFEST_VERSION = 1
PathArg = Union[str, "os.PathLike[str]"]


class UploadManifest:
    """Thread-safe resume record bound to one dataset (see the module docstring)."""

    def __init__(
        self, path: PathArg, dataset_id: str, *, kind: str = "assets", save_interval: float = 1.0
    ) -> None:
        self.path = os.path.abspath(os.fspath(path))
        self.dataset_id = dataset_id
        self.kind = kind
        self.save_interval = save_interval
        self._lock = threading.Lock()
        self._files: Dict[str, Dict[str, Any]] = {}
        self._dirty = False
        self._last_save = 0.0
        self._load()

    def _load(self) -> None:
        if not os.path.exists(self.path):
            return
        try:
            with open(self.path, encoding="utf-8") as handle:
                document = json.load(handle)
        except (OSError, ValueError) as error:
            raise ViValidationError(
                "Cannot read the upload manifest %s: %s" % (self.path, error),
                details={"parameter": "resume"},
                suggestion="Delete the file to start a fresh upload.",
            ) from None
        if not isinstance(document, dict) or document.get("version") != MANIFEST_VERSION:
            raise ViValidationError(
                "%s is not a vi upload manifest (version %d)" % (self.path, MANIFEST_VERSION),
                details={"parameter": "resume"},
            )
        if document.get("dataset_id") != self.dataset_id or document.get("kind", "assets") != self.kind:
            raise ViValidationError(
                "The upload manifest %s belongs to %s uploads of dataset %r, not %s uploads of %r"
                % (
                    self.path,
                    document.get("kind", "assets"),
                    document.get("dataset_id"),
                    self.kind,
                    self.dataset_id,
                ),
                details={"parameter": "resume"},
                suggestion="Use one manifest per dataset, or delete it to start again.",
            )
        files = document.get("files")
        if isinstance(files, dict):
            self._files = {str(k): dict(v) for k, v in files.items() if isinstance(v, dict)}

    # -- queries ------------------------------------------------------------------------------
    def get(self, name: str) -> Optional[Dict[str, Any]]:
        with self._lock:
            entry = self._files.get(name)
            return dict(entry) if entry is not None else None

    def entries(self) -> Iterator[Tuple[str, Dict[str, Any]]]:
        with self._lock:
            items = [(k, dict(v)) for k, v in self._files.items()]
        return iter(items)

    def __len__(self) -> int:
        with self._lock:
            return len(self._files)

    # -- updates ------------------------------------------------------------------------------
    def record(self, name: str, state: str, **fields: Any) -> None:
        with self._lock:
            entry = dict(fields)
            entry["state"] = state
            self._files[name] = entry
            self._dirty = True
        self.save()

    def set_state(self, name: str, state: str) -> None:
        with self._lock:
            entry = self._files.get(name)
            if entry is None or entry.get("state") == state:
                return
            entry["state"] = state
            self._dirty = True
        self.save()

    def forget(self, name: str) -> None:
        with self._lock:
            if self._files.pop(name, None) is not None:
                self._dirty = True
        self.save()

    def save(self, force: bool = False) -> None:
        """Write the document atomically; unless ``force``, at most once per ``save_interval``."""
        with self._lock:
            if not self._dirty:
                return
            now = time.monotonic()
            if not force and now - self._last_save < self.save_interval:
                return
            document = {
                "version": MANIFEST_VERSION,
                "kind": self.kind,
                "dataset_id": self.dataset_id,
                "files": self._files,
            }
            text = json.dumps(document, indent=1, sort_keys=True)
            self._dirty = False
            self._last_save = now
            folder = os.path.dirname(self.path) or "."
            os.makedirs(folder, exist_ok=True)
            fd, tmp = tempfile.mkstemp(prefix=".vi-manifest-", suffix=".tmp", dir=folder)
            try:
                with os.fdopen(fd, "w", encoding="utf-8") as handle:
                    handle.write(text)
                    handle.flush()
                    os.fsync(handle.fileno())
                os.replace(tmp, self.path)
            except BaseException:
                try:
                    os.unlink(tmp)
                except OSError:
                    pass
                raise
