"""Dask bags and dataframes over a dataset, fetched and processed on the workers.

Needs the ``dask`` extra (``pip install "vi-requests[dask]"``). The driver (the process that
builds the collection) walks the asset listing once to collect one page token per partition
(:func:`~vi.integrations.partitions.plan_asset_partitions`); each task of the graph carries a
token and a :class:`~vi.integrations.workers.ClientSource`, and the worker that runs it fetches
its pages, downloads and uploads with the one client of its process. Neither assets nor the
secret key pass through the task graph (the key only if the client was created with
``pickle_secret=True``).

    with vi.Client(...) as client, distributed.Client(cluster):
        frame = vi.integrations.dask.assets_frame(client, "dsx9k2m7")
        print(frame.groupby("mime_type").file_size.sum().compute())
        summary = vi.integrations.dask.run_etl(client, "dsx9k2m7", transform=thumbnail,
                                               target_dataset_id="ds-thumbs", work_dir="/shared/etl")
"""

from __future__ import annotations

import json
from concurrent.futures import ThreadPoolExecutor
from typing import Any, Callable, Dict, List, Mapping, Optional, Tuple, Union

import dask
import dask.bag as db

from ..pagination import MAX_PAGE_SIZE
from .etl import FILE_COLUMNS, EtlJob, EtlSummary, PathArg, Transform, run_partition
from .partitions import (
    ANNOTATION_COLUMNS,
    ASSET_COLUMNS,
    AssetPartition,
    annotation_records,
    asset_record,
    fetch_assets,
    plan_asset_partitions,
)
from .workers import ClientSource, task

__all__ = [
    "assets_bag",
    "assets_frame",
    "annotations_bag",
    "annotations_frame",
    "etl_bag",
    "run_etl",
    "plan_asset_partitions",
    "ClientSource",
    "EtlJob",
    "EtlSummary",
]

Filter = Union[str, Mapping[str, Any], None]


def _plan(
    client: Any,
    dataset_id: str,
    *,
    page_size: int,
    pages_per_partition: int,
    filter_criteria: Filter,
    metadata_query: Optional[str],
    strict_query: Optional[bool],
    contents: bool,
) -> List[AssetPartition]:
    source = ClientSource.coerce(client)
    driver = client if not isinstance(client, ClientSource) else source.client()
    return plan_asset_partitions(
        driver,
        dataset_id,
        page_size=page_size,
        pages_per_partition=pages_per_partition,
        filter_criteria=filter_criteria,
        metadata_query=metadata_query,
        strict_query=strict_query,
        contents=contents,
    )


def _bag(func: Callable[..., List[Any]], partitions: List[AssetPartition], *args: Any) -> db.Bag:
    return db.from_delayed([dask.delayed(func, pure=False)(p, *args) for p in partitions])


def _frame(records: List[Dict[str, Any]], columns: Tuple[Tuple[str, str], ...]) -> Any:
    """A pandas frame with exactly ``columns``; dict values become JSON text, so that the
    column means the same whatever Dask's string conversion settings are."""
    import pandas as pd

    names = [name for name, _ in columns]
    records = [{k: _scalar(v) for k, v in r.items()} for r in records]
    frame = pd.DataFrame.from_records(records, columns=names) if records else pd.DataFrame(columns=names)
    return frame.astype(dict(columns))


def _scalar(value: Any) -> Any:
    if isinstance(value, (dict, list, tuple)):
        return json.dumps(value, sort_keys=True, separators=(",", ":"))
    return value


def _meta(columns: Tuple[Tuple[str, str], ...]) -> Any:
    return _frame([], columns)


def _from_map(func: Callable[..., Any], partitions: List[AssetPartition], meta: Any, *args: Any) -> Any:
    import dask.dataframe as dd

    return dd.from_map(func, partitions, args=args, meta=meta, label=getattr(func, "__name__", "vi"))


# -- assets --------------------------------------------------------------------------------------


@task
def _asset_records(partition: AssetPartition, source: ClientSource) -> List[Dict[str, Any]]:
    return [asset_record(a) for a in fetch_assets(source.client(), partition)]


@task
def _asset_frame(partition: AssetPartition, source: ClientSource) -> Any:
    return _frame(_asset_records(partition, source), ASSET_COLUMNS)


def assets_bag(
    client: Any,
    dataset_id: str,
    *,
    page_size: int = MAX_PAGE_SIZE,
    pages_per_partition: int = 1,
    filter_criteria: Filter = None,
    metadata_query: Optional[str] = None,
    strict_query: Optional[bool] = None,
) -> db.Bag:
    """A bag of :func:`~vi.integrations.partitions.asset_record` dicts, one partition per
    ``pages_per_partition`` pages of ``page_size``, each fetched by the worker that runs it.

    ``client`` is a ``vi.Client`` (used here for the planning walk, pickled for the workers) or
    a :class:`ClientSource`."""
    partitions = _plan(
        client,
        dataset_id,
        page_size=page_size,
        pages_per_partition=pages_per_partition,
        filter_criteria=filter_criteria,
        metadata_query=metadata_query,
        strict_query=strict_query,
        contents=False,
    )
    return _bag(_asset_records, partitions, ClientSource.coerce(client))


def assets_frame(
    client: Any,
    dataset_id: str,
    *,
    page_size: int = MAX_PAGE_SIZE,
    pages_per_partition: int = 1,
    filter_criteria: Filter = None,
    metadata_query: Optional[str] = None,
    strict_query: Optional[bool] = None,
) -> Any:
    """The same as :func:`assets_bag`, as a Dask dataframe with the
    :data:`~vi.integrations.partitions.ASSET_COLUMNS` (no partition is fetched to infer them);
    ``custom_metadata`` holds JSON text."""
    partitions = _plan(
        client,
        dataset_id,
        page_size=page_size,
        pages_per_partition=pages_per_partition,
        filter_criteria=filter_criteria,
        metadata_query=metadata_query,
        strict_query=strict_query,
        contents=False,
    )
    return _from_map(_asset_frame, partitions, _meta(ASSET_COLUMNS), ClientSource.coerce(client))


# -- annotations ---------------------------------------------------------------------------------


@task
def _annotation_records(
    partition: AssetPartition, source: ClientSource, workers: int
) -> List[Dict[str, Any]]:
    client = source.client()
    assets = list(fetch_assets(client, partition))
    if not assets:
        return []
    with ThreadPoolExecutor(max(1, min(workers, len(assets))), thread_name_prefix="vi-annotations") as pool:
        nested = list(pool.map(lambda a: annotation_records(client, partition.dataset_id, a), assets))
    return [record for records in nested for record in records]


@task
def _annotation_frame(partition: AssetPartition, source: ClientSource, workers: int) -> Any:
    return _frame(_annotation_records(partition, source, workers), ANNOTATION_COLUMNS)


def annotations_bag(
    client: Any,
    dataset_id: str,
    *,
    page_size: int = MAX_PAGE_SIZE,
    pages_per_partition: int = 1,
    filter_criteria: Filter = None,
    workers: int = 4,
) -> db.Bag:
    """A bag of annotation dicts (:data:`~vi.integrations.partitions.ANNOTATION_COLUMNS`) of the
    assets of each partition; annotations are listed per asset, ``workers`` threads per task."""
    partitions = _plan(
        client,
        dataset_id,
        page_size=page_size,
        pages_per_partition=pages_per_partition,
        filter_criteria=filter_criteria,
        metadata_query=None,
        strict_query=None,
        contents=False,
    )
    return _bag(_annotation_records, partitions, ClientSource.coerce(client), workers)


def annotations_frame(
    client: Any,
    dataset_id: str,
    *,
    page_size: int = MAX_PAGE_SIZE,
    pages_per_partition: int = 1,
    filter_criteria: Filter = None,
    workers: int = 4,
) -> Any:
    """:func:`annotations_bag` as a Dask dataframe (``contents`` as JSON text)."""
    partitions = _plan(
        client,
        dataset_id,
        page_size=page_size,
        pages_per_partition=pages_per_partition,
        filter_criteria=filter_criteria,
        metadata_query=None,
        strict_query=None,
        contents=False,
    )
    return _from_map(
        _annotation_frame, partitions, _meta(ANNOTATION_COLUMNS), ClientSource.coerce(client), workers
    )


# -- download → transform → upload ---------------------------------------------------------------


def _etl_records(partition: AssetPartition, job: EtlJob) -> List[Dict[str, Any]]:
    return run_partition(job, partition)  # itself a detaching task


def etl_bag(
    client: Any,
    dataset_id: str,
    *,
    work_dir: PathArg,
    state_dir: Optional[PathArg] = None,
    transform: Optional[Transform] = None,
    output_name: Optional[Callable[[Dict[str, Any]], str]] = None,
    target_dataset_id: Optional[str] = None,
    overwrite: bool = False,
    page_size: int = MAX_PAGE_SIZE,
    pages_per_partition: int = 1,
    filter_criteria: Filter = None,
    metadata_query: Optional[str] = None,
    download_workers: int = 4,
    upload_workers: int = 4,
    poll_interval: float = 0.5,
    upload_timeout: Optional[float] = 600.0,
) -> db.Bag:
    """A bag of file records (:data:`~vi.integrations.etl.FILE_COLUMNS`): computing it downloads
    every asset on the workers, applies ``transform`` and uploads the results to
    ``target_dataset_id``. See :class:`~vi.integrations.etl.EtlJob` for the arguments. Keep the
    records on the cluster (``.to_dataframe()``, ``.filter()``) for large datasets, or use
    :func:`run_etl`, which brings back only counts and failures."""
    job = EtlJob(
        ClientSource.coerce(client),
        dataset_id,
        work_dir=work_dir,
        state_dir=state_dir,
        transform=transform,
        output_name=output_name,
        target_dataset_id=target_dataset_id,
        overwrite=overwrite,
        download_workers=download_workers,
        upload_workers=upload_workers,
        poll_interval=poll_interval,
        upload_timeout=upload_timeout,
    )
    partitions = _plan(
        client,
        dataset_id,
        page_size=page_size,
        pages_per_partition=pages_per_partition,
        filter_criteria=filter_criteria,
        metadata_query=metadata_query,
        strict_query=None,
        contents=True,
    )
    return _bag(_etl_records, partitions, job)


def _is_failure(record: Dict[str, Any]) -> bool:
    return record["status"] == "failed"


def run_etl(client: Any, dataset_id: str, **options: Any) -> EtlSummary:
    """Run :func:`etl_bag` to the end and return an :class:`~vi.integrations.etl.EtlSummary`:
    only the counts per status and the failed records come back to this process. Raises what
    the engine raises when a task cannot finish (a worker lost too often, for example); run it
    again to resume."""
    bag = etl_bag(client, dataset_id, **options)
    counts, failures = dask.compute(bag.pluck("status").frequencies(), bag.filter(_is_failure))
    return EtlSummary(dict(counts), list(failures))


def file_frame_meta() -> Any:
    """The empty pandas frame describing file records, for ``etl_bag(...).to_dataframe(meta=...)``."""
    return _meta(FILE_COLUMNS)
