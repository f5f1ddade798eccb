"""Moving file bytes: uploads, downloads, checksums, atomic files, progress.

Transfers build on the resources: a workflow takes the resource whose API calls it needs and the
client's :class:`~vi.transfers.storage.StorageSession` (its pool and retry policy, no
credentials), never the whole client. Resource methods (``assets.upload``,
``datasets.download`` …) reach the workflows through the :class:`~vi.transfers.workflows.Transfers`
object the client gives them.
"""

from .storage import StorageSession, redact_url

__all__ = ["StorageSession", "redact_url"]
