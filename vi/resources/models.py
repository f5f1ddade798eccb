"""Models: the outputs (checkpoints) of a training run.

The resource model is called ``Model``, as in the official client; it is not
:class:`vi.documents.Document`, the base class every decoded resource shares (``RunOutput`` is an alias
that avoids the clash).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Dict, Iterator, List, Optional

from marshmallow import fields

from .. import fields as f
from ..checks import check_id, check_optional_bool, check_optional_id
from ..documents import Document, decode, decode_many, json_type
from ..errors import ViInvalidParameterError, ViNotFoundError, ViResponseError
from ..pagination import Page, PaginationArg, PaginationParams
from ._base import Resource, query_bool
from .embedded import ResourceMetadata, resource_metadata

__all__ = ["Model", "RunOutput", "ModelSpec", "ModelStatus", "ModelContents", "ModelDownloadUrl", "Models"]

#: Sent on every model call, as the official client does.
INTENT = "sdkLocalDeploy"


if TYPE_CHECKING:  # pragma: no cover
    from ..transfers.downloads import ModelDownloadResult


class ModelSpec(Document):
    _repr_fields = ("kind", "epoch")

    kind: str = f.string()
    epoch: Optional[int] = f.integer(optional=True)
    evaluation_metrics: Optional[Dict[str, Any]] = f.dict_of(optional=True)


class ModelDownloadUrl(Document):
    """The pre-signed archive URL; the repr shows only the expiry."""

    _repr_fields = ("expires_at",)

    url: str = f.string()
    expires_at: int = f.integer()


class ModelContents(Document):
    _repr_fields = ("download_url",)

    download_url: ModelDownloadUrl = f.nested(ModelDownloadUrl)


class ModelStatus(Document):
    """``conditions`` stay dicts: the protocol types them as plain objects here."""

    _repr_fields = ("observed_generation", "storage_object")

    observed_generation: int = f.integer()
    conditions: List[Dict[str, Any]] = f.list_of(fields.Dict(keys=fields.String()))
    storage_object: str = f.string()
    contents: Optional[ModelContents] = f.nested(ModelContents, optional=True)


class Model(Document):
    """One run output. ``model_id`` is the checkpoint id (``runOutputId`` on the wire)."""

    _repr_fields = ("run_id", "model_id")

    kind: str = f.string()
    run_id: str = f.identifier()
    metadata: ResourceMetadata = resource_metadata()
    spec: ModelSpec = f.nested(ModelSpec)
    status: ModelStatus = f.nested(ModelStatus)
    self_link: str = f.string()
    etag: str = f.string()
    organization_id: str = f.identifier("workspaceId")
    model_id: str = f.identifier("runOutputId")


RunOutput = Model


class Models(Resource):
    """``client.models``: the checkpoints of a run, under ``/runs/{run_id}/outputs``.

    ``run_id_or_link`` keeps the official parameter name but takes a run id: the official
    "full link" form never worked."""

    def list(
        self,
        run_id_or_link: str,
        pagination: PaginationArg = None,
        *,
        page_size: Optional[int] = None,
        page_token: Optional[str] = None,
    ) -> Page[Model]:
        """The first page of a run's models: ``?intent=sdkLocalDeploy&s=10[&p=…]`` — built
        with ``&``; the official client appends a second ``?``."""
        path = self._ws("runs", check_id("run_id_or_link", run_id_or_link), "outputs")
        paging = PaginationParams.coerce(pagination, page_size, page_token)
        return self._list(
            path,
            Model,
            "model",
            page_size=paging.page_size,
            page_token=paging.page_token,
            params={"intent": INTENT},
            params_first=True,
        )

    def download(
        self,
        run_id_or_link: Optional[str] = None,
        ckpt: Optional[str] = None,
        save_dir: Any = "~/.datature/vi/models",
        overwrite: bool = False,
        show_progress: bool = True,
        *,
        progress: Any = None,
        run_id: Optional[str] = None,
    ) -> "ModelDownloadResult":
        """Download a trained model (a checkpoint, or the run's latest) with ranged, verified,
        resumable requests into ``save_dir/<run_id>/``.

        ``run_id_or_link`` is a run id, named as in :meth:`list` and :meth:`get` and the
        official client; ``run_id=`` (this method's earlier name) is still accepted."""
        run = _run_argument(run_id_or_link, run_id)
        return self._workflows().download_model(
            self,
            run,
            ckpt,
            save_dir=save_dir,
            overwrite=overwrite,
            show_progress=show_progress,
            progress=progress,
        )

    def get(self, run_id_or_link: str, ckpt: Optional[str] = None, contents: bool = False) -> Model:
        """One model of a run: the checkpoint ``ckpt``, or the run's latest.

        The service answers with a list envelope even for one checkpoint; the item whose id is
        ``ckpt`` is returned (else the last one, as the official client does). A bare model
        document is accepted too. No item at all → ``ViNotFoundError``. ``contents=True`` asks
        for ``status.contents.download_url``."""
        _refuse_link(run_id_or_link)
        run = check_id("run_id_or_link", run_id_or_link)
        check_optional_id("ckpt", ckpt)
        flag = query_bool(check_optional_bool("contents", contents))
        segments = ["runs", run, "outputs"] + ([ckpt] if ckpt else [])
        params = {"intent": INTENT}
        if flag:
            params["contents"] = flag
        body = self._call("GET", self._ws(*segments), params=params)
        if isinstance(body, dict) and "runOutputId" in body:
            return decode(Model, body, "model")
        if not isinstance(body, dict):
            raise ViResponseError(
                "Malformed model response: expected a JSON object, got %s" % json_type(body)
            )
        items = decode_many(Model, body.get("items") or [], "model")
        if not items:
            raise ViNotFoundError(
                "No models found for run %s%s" % (run, " checkpoint %s" % ckpt if ckpt else ""),
                status_code=None,
            )
        if ckpt:
            for item in items:
                if item.model_id == ckpt:
                    return item
        return items[-1]

    def __call__(self, run_id_or_link: str, pagination: PaginationArg = None) -> Iterator[Model]:
        """Every model of a run, across pages."""
        return self.list(run_id_or_link, pagination).all_items()

    def __iter__(self) -> Iterator[Model]:
        raise TypeError("client.models needs a run id: iterate client.models(run_id) instead")


def _refuse_link(value: Any) -> None:
    """The official client's "full link" form never reached a model: say so, instead of the
    generic id message."""
    if isinstance(value, str) and "/" in value:
        raise ViInvalidParameterError(
            "run_id_or_link",
            "run_id_or_link takes a run id (such as 'run-7f3a'), not a link: got %r" % value,
            suggestion="Pass the run id, the last part of the run's link.",
        )


def _run_argument(run_id_or_link: Optional[str], run_id: Optional[str]) -> str:
    if run_id is not None and run_id_or_link is not None and run_id != run_id_or_link:
        raise ViInvalidParameterError(
            "run_id_or_link", "Pass the run as run_id_or_link (or run_id=), not two different runs"
        )
    run = run_id_or_link if run_id_or_link is not None else run_id
    if run is None:
        raise ViInvalidParameterError("run_id_or_link", "models.download needs run_id_or_link, the run's id")
    _refuse_link(run)
    return run
