"""What an upload call hands back: which files arrived, which failed and why, which were skipped."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Dict, List, Optional

__all__ = ["AssetUploadResult", "AnnotationUploadResult"]


@dataclass
class AssetUploadResult:
    """What happened to every file of an ``upload_assets`` call.

    ``succeeded``: target names the service ingested (with ``wait=False``: names whose bytes
    storage accepted, not yet confirmed — ``confirmed`` is then False). ``failed``: name →
    reason. ``errors``: name → the exception behind that reason, for the files that failed with
    one (a rejection by the service has a reason but no exception). ``skipped``: names a
    ``resume`` manifest showed as already uploaded."""

    dataset_id: str
    succeeded: List[str] = field(default_factory=list)
    failed: Dict[str, str] = field(default_factory=dict)
    skipped: List[str] = field(default_factory=list)
    session_ids: List[str] = field(default_factory=list)
    sessions: List[Any] = field(default_factory=list)  # final AssetIngestionSession documents
    bytes_uploaded: int = 0
    confirmed: bool = True
    errors: Dict[str, BaseException] = field(default_factory=dict, repr=False)

    def fail(self, name: str, reason: str, error: Optional[BaseException] = None) -> None:
        """Record that ``name`` failed, with why (and the exception behind it, if any)."""
        self.failed[name] = reason
        if error is not None:
            self.errors[name] = error

    @property
    def ok(self) -> bool:
        return not self.failed

    @property
    def total(self) -> int:
        return len(self.succeeded) + len(self.failed) + len(self.skipped)

    def summary(self) -> str:
        head = "Uploaded %d of %d file(s) to dataset %s" % (len(self.succeeded), self.total, self.dataset_id)
        parts = [head]
        if self.skipped:
            parts.append("%d skipped (already uploaded)" % len(self.skipped))
        if self.failed:
            parts.append("%d failed" % len(self.failed))
        if not self.confirmed:
            parts.append("not yet confirmed by the service (wait=False)")
        text = "; ".join(parts)
        for name, reason in sorted(self.failed.items())[:20]:
            text += "\n  %s: %s" % (name, reason)
        if len(self.failed) > 20:
            text += "\n  ... and %d more" % (len(self.failed) - 20)
        return text

    def __str__(self) -> str:
        return self.summary()


@dataclass
class AnnotationUploadResult:
    """What happened to every file of an ``upload_annotations`` call (one import session).

    ``succeeded``/``failed`` are about files: sent and imported, or not (name → reason).
    ``inserted``/``rejected`` are about annotations: how many the service added, and how many
    lines of the files it refused (a line naming no asset of the dataset, or whose contents do
    not fit the dataset's type), as it counted them; ``None`` until the import finished
    (``wait=False``, or a timeout). ``ok`` is false when any file failed *or* any line was
    rejected: a file the service accepted may still have added nothing."""

    dataset_id: str
    succeeded: List[str] = field(default_factory=list)
    failed: Dict[str, str] = field(default_factory=dict)
    session_id: Optional[str] = None
    session: Any = None  # the final AnnotationImportSession
    bytes_uploaded: int = 0
    confirmed: bool = True
    inserted: Optional[int] = None
    rejected: Optional[int] = None
    errors: Dict[str, BaseException] = field(default_factory=dict, repr=False)

    def fail(self, name: str, reason: str, error: Optional[BaseException] = None) -> None:
        """Record that ``name`` failed, with why (and the exception behind it, if any)."""
        self.failed[name] = reason
        if error is not None:
            self.errors[name] = error

    def count_annotations(self, session: Any) -> None:
        """Read the service's ``Inserted``/``Rejected`` counts off a finished import session."""
        counts = getattr(getattr(getattr(session, "status", None), "annotations", None), "status_count", None)
        if isinstance(counts, dict):
            self.inserted = int(counts.get("Inserted", 0) or 0)
            self.rejected = int(counts.get("Rejected", 0) or 0)

    @property
    def skipped(self) -> List[str]:
        return []

    @property
    def session_ids(self) -> List[str]:
        return [self.session_id] if self.session_id else []

    @property
    def ok(self) -> bool:
        return not self.failed and not self.rejected

    def summary(self) -> str:
        total = len(self.succeeded) + len(self.failed)
        text = "Imported %d of %d annotation file(s) into dataset %s (session %s)" % (
            len(self.succeeded),
            total,
            self.dataset_id,
            self.session_id or "-",
        )
        if self.inserted is not None:
            text += ": %d annotation(s) inserted, %d line(s) rejected" % (self.inserted, self.rejected or 0)
        for name, reason in sorted(self.failed.items())[:20]:
            text += "\n  %s: %s" % (name, reason)
        return text

    def __str__(self) -> str:
        return self.summary()
