"""Moving file bytes: uploads, downloads, checksums, atomic files, progress.

Transfers sit beside the resources under the client: a resource method (``assets.upload``,
``datasets.download`` …) makes the API calls and hands the storage work to this package, which
talks to pre-signed URLs through :class:`~vi.transfers.storage.StorageSession` (the client's
pool, no credentials).
"""

from .storage import StorageSession, redact_url

__all__ = ["StorageSession", "redact_url"]
