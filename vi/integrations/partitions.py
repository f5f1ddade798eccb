"""A dataset's asset listing cut into partitions that workers fetch on their own.

Why page tokens: the asset listing can only be cut where the service says a page ends. Its
filters match file-name substrings, exact ids, statuses and folders, none of which splits a
dataset into disjoint ranges that cover it, and its page tokens are opaque. So
:func:`plan_asset_partitions` walks the listing once, at the largest page size (1000), and
keeps only the token that starts each partition. What the plan holds, and what goes into the
task graph, is one short token per partition: O(pages), about 40 bytes per 1000 assets, never
the assets themselves. The walk reads every page once (the driver decodes and drops each page
before the next one arrives, so it holds one page at a time); the workers then fetch their
pages again with the same query, in parallel. ``docs/scaling-out`` has the measured cost.

A token is sent back with exactly the query it came from (the protocol's rule for
continuations), so the walk uses the workers' query, ``contents`` included. Partitions are
meant to be used soon after planning: a rerun plans again.
"""

from __future__ import annotations

import hashlib
from typing import TYPE_CHECKING, Any, Dict, Iterator, List, Mapping, Optional, Tuple, Union

from .. import tables
from ..checks import MAX_PAGE_SIZE, check_page_size
from ..errors import ViInvalidParameterError

if TYPE_CHECKING:  # pragma: no cover
    from ..client import Client
    from ..resources.assets import Asset

__all__ = [
    "AssetPartition",
    "plan_asset_partitions",
    "fetch_assets",
    "asset_record",
    "annotation_records",
    "ASSET_COLUMNS",
    "ANNOTATION_COLUMNS",
    "fingerprint",
]

_INTEGER = ("file_size", "width", "height", "annotation_total", "tag", "time_created", "last_updated")


def _dtypes(columns: Tuple[str, ...]) -> Tuple[Tuple[str, str], ...]:
    nullable = ("target_start", "target_end")
    return tuple(
        (name, "int64" if name in _INTEGER else "Int64" if name in nullable else "object") for name in columns
    )


#: Columns of :func:`asset_record` and their pandas dtypes (a dataframe's ``meta``): the columns of
#: :func:`vi.tables.asset_row`, with the custom metadata in one ``custom_metadata`` column
#: (a dataframe's columns are fixed before any partition is fetched, so no ``meta.<key>``
#: columns), then the checksum the service recorded.
ASSET_COLUMNS: Tuple[Tuple[str, str], ...] = _dtypes(
    tuple(tables.ASSET_COLUMNS) + ("custom_metadata", "hash_algorithm", "hash")
)

#: Columns of :func:`annotation_records` (those of :func:`vi.tables.annotation_row`) and dtypes.
ANNOTATION_COLUMNS: Tuple[Tuple[str, str], ...] = _dtypes(tuple(tables.ANNOTATION_COLUMNS))


class AssetPartition:
    """Which pages of a listing one task fetches: ``pages`` pages from ``page_token`` (``None``:
    the first page). Small and picklable; it carries the listing's query, not its assets."""

    __slots__ = ("index", "dataset_id", "page_token", "pages", "page_size", "query")

    def __init__(
        self,
        index: int,
        dataset_id: str,
        page_token: Optional[str],
        pages: int,
        page_size: int,
        query: Mapping[str, Any],
    ) -> None:
        self.index = index
        self.dataset_id = dataset_id
        self.page_token = page_token
        self.pages = pages
        self.page_size = page_size
        self.query = dict(query)

    def __getstate__(self) -> Tuple[Any, ...]:
        return (self.index, self.dataset_id, self.page_token, self.pages, self.page_size, self.query)

    def __setstate__(self, state: Tuple[Any, ...]) -> None:
        (self.index, self.dataset_id, self.page_token, self.pages, self.page_size, self.query) = state

    def __eq__(self, other: object) -> bool:
        return isinstance(other, AssetPartition) and self.__getstate__() == other.__getstate__()

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        return "AssetPartition(%d, %r, pages=%d, page_size=%d, %s)" % (
            self.index,
            self.dataset_id,
            self.pages,
            self.page_size,
            "first page" if self.page_token is None else "from a token",
        )


def _query(
    filter_criteria: Union[str, Mapping[str, Any], None],
    metadata_query: Optional[str],
    strict_query: Optional[bool],
    contents: bool,
) -> Dict[str, Any]:
    query: Dict[str, Any] = {"contents": bool(contents)}
    if filter_criteria is not None:
        query["filter_criteria"] = (
            filter_criteria if isinstance(filter_criteria, str) else dict(filter_criteria)
        )
    if metadata_query is not None:
        query["metadata_query"] = metadata_query
    if strict_query is not None:
        query["strict_query"] = bool(strict_query)
    return query


def plan_asset_partitions(
    client: "Client",
    dataset_id: str,
    *,
    page_size: int = MAX_PAGE_SIZE,
    pages_per_partition: int = 1,
    filter_criteria: Union[str, Mapping[str, Any], None] = None,
    metadata_query: Optional[str] = None,
    strict_query: Optional[bool] = None,
    contents: bool = False,
) -> List[AssetPartition]:
    """Walk the listing once and return one :class:`AssetPartition` per ``pages_per_partition``
    pages of ``page_size`` assets (always at least one, even for an empty dataset)."""
    page_size = check_page_size(page_size)
    if (
        isinstance(pages_per_partition, bool)
        or not isinstance(pages_per_partition, int)
        or pages_per_partition < 1
    ):
        raise ViInvalidParameterError(
            "pages_per_partition",
            "pages_per_partition must be an integer >= 1, got %r" % (pages_per_partition,),
        )
    query = _query(filter_criteria, metadata_query, strict_query, contents)
    starts: List[Optional[str]] = [None]
    count = 0
    for page in _list(client, dataset_id, query, page_size, None).pages():
        count += 1
        if page.next_page is not None and count % pages_per_partition == 0:
            starts.append(page.next_page)
    return [
        AssetPartition(index, dataset_id, token, pages_per_partition, page_size, query)
        for index, token in enumerate(starts)
    ]


def _list(
    client: "Client", dataset_id: str, query: Mapping[str, Any], page_size: int, token: Optional[str]
) -> Any:
    return client.assets.list(
        dataset_id,
        filter_criteria=query.get("filter_criteria"),
        contents=query.get("contents") or None,
        metadata_query=query.get("metadata_query"),
        strict_query=query.get("strict_query"),
        page_size=page_size,
        page_token=token,
    )


def fetch_assets(client: "Client", partition: AssetPartition) -> Iterator["Asset"]:
    """The assets of one partition, fetched by the calling process (one page held at a time)."""
    first = _list(client, partition.dataset_id, partition.query, partition.page_size, partition.page_token)
    for page in first.pages(limit=partition.pages):
        yield from page.items


def _hash_of(asset: Any) -> Tuple[str, str]:
    digest = getattr(asset.metadata, "hash", None)
    if digest is None:
        return "", ""
    return str(digest.algorithm), str(digest.contents)


def asset_record(asset: "Asset") -> Dict[str, Any]:
    """One asset as a flat dict with the :data:`ASSET_COLUMNS` (signed URLs left out: they expire)."""
    row = tables.asset_row(asset)
    custom = {key[len("meta.") :]: row.pop(key) for key in [k for k in row if k.startswith("meta.")]}
    row["custom_metadata"] = custom
    row["hash_algorithm"], row["hash"] = _hash_of(asset)
    return row


def annotation_records(client: "Client", dataset_id: str, asset: "Asset") -> List[Dict[str, Any]]:
    """Every annotation of one asset as flat dicts with the :data:`ANNOTATION_COLUMNS`."""
    return [
        tables.annotation_row(annotation)
        for annotation in client.annotations(dataset_id, asset.asset_id, page_size=MAX_PAGE_SIZE)
    ]


def fingerprint(assets: List["Asset"], *extra: str) -> str:
    """A digest of what a partition holds (ids, names, sizes, checksums, last change): the same
    assets give the same digest on a rerun, any change to one of them a different one."""
    digest = hashlib.sha256()
    for part in extra:
        digest.update(part.encode("utf-8", "surrogatepass") + b"\0")
    for asset in assets:
        meta = asset.metadata
        algorithm, value = _hash_of(asset)
        line = "\x1f".join(
            (
                asset.asset_id,
                asset.filename,
                str(meta.file_size),
                algorithm,
                value,
                str(meta.contents_last_updated),
            )
        )
        digest.update(line.encode("utf-8", "surrogatepass") + b"\n")
    return digest.hexdigest()[:32]
