"""Running ``vi`` jobs on distributed engines (Dask, process pools, Ray, Spark).

Nothing here is imported by ``import vi``. The engine-neutral parts need only the standard
library and the SDK: :mod:`vi.integrations.workers` (one client per worker process, the secret
kept out of task payloads), :mod:`vi.integrations.partitions` (a dataset's listing cut into
pieces that workers fetch on their own) and :mod:`vi.integrations.etl` (download, transform and
upload one piece, resumably, with a report line per file). :mod:`vi.integrations.dask` builds
Dask bags and dataframes on them and needs the ``dask`` extra.
"""
