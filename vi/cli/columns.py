"""The columns ``table`` and ``csv`` show for each resource: the SDK's attribute names, dotted
for nested ones. These are part of the command line's interface; change them only with a note
in the changelog. ``--columns`` picks others; ``json``/``jsonl`` always carry every attribute."""

ORGANIZATION = ("organization_id", "name", "kind", "billing.tier")
DATASET = (
    "dataset_id",
    "name",
    "type",
    "content",
    "statistic.asset_total",
    "statistic.annotation_total",
    "create_date",
)
DELETED_DATASET = ("dataset_id", "kind", "metadata.time_created")
ASSET = (
    "asset_id",
    "filename",
    "metadata.mime_type",
    "metadata.file_size",
    "metadata.width",
    "metadata.height",
    "metadata.status",
)
EXPORT = ("dataset_export_id", "dataset_id", "spec.format", "metadata.time_created")
RUN = ("run_id", "spec.flow.name", "spec.training_project", "metadata.time_created")
MODEL = ("model_id", "run_id", "spec.kind", "spec.epoch", "metadata.time_created")
#: One row per file of an upload or import: ``status`` is uploaded, skipped or failed.
UPLOAD_FILE = ("name", "status", "reason")
#: One row per file of an asset download: ``status`` is downloaded, skipped or failed.
DOWNLOAD_FILE = ("path", "status", "size", "reason")
#: A downloaded export or annotation export.
DATASET_DOWNLOAD = ("dataset_id", "export_id", "save_path", "splits", "asset_count", "annotation_count")
MODEL_DOWNLOAD = ("run_id", "model_id", "model_dir", "model_path", "adapter_path", "downloaded")
