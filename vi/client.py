"""``vi.Client``: the composition root. It resolves configuration, builds the transport and the
requester, exposes the resources, and owns the life cycle of all of it.

The life cycle is the one ``docs/resource-management`` describes: open
until ``close()``; ``close()`` is idempotent and thread-safe; a closed client refuses requests
before any I/O; a client dropped while open warns (``ResourceWarning``) and frees its sockets.
"""

from __future__ import annotations

import os
import re
import threading
import warnings
from typing import Any, Dict, Mapping, Optional, Tuple, Union
from urllib.parse import urlsplit

from requests.adapters import BaseAdapter

from .config import ENV_SECRET_KEY, ClientConfig, Secret, Timeout, read_profile, resolve_config
from .errors import ViConfigurationError, ViErrorCode, ViInsecureWarning
from .http import Requester, default_user_agent
from .logging import LoggingConfig, configure_logging, get_logger, remember_secret
from .resources import (
    AnnotationImportSessions,
    Annotations,
    Assets,
    AssetSources,
    AssetsWithObjects,
    Datasets,
    DeploymentEndpoints,
    DeploymentProjects,
    Deployments,
    Flows,
    Folders,
    IntelliScribe,
    Models,
    Ontologies,
    Organizations,
    Plans,
    Runs,
    TrainingProjects,
)
from .retry import RetryConfig
from .send import RetryPolicy
from .transfers.storage import StorageSession
from .transfers.workflows import Transfers
from .transport import Transport

__all__ = ["Client"]


class Client:
    """A client for one organization of the Vi API.

    Credentials resolve field by field as argument → environment (``DATATURE_VI_SECRET_KEY``,
    ``DATATURE_VI_ORGANIZATION_ID``, ``DATATURE_VI_API_ENDPOINT``) → ``config_file`` (JSON with
    ``secret_key``, ``organization_id`` and optionally ``endpoint``; ``profile``, else
    ``DATATURE_VI_PROFILE``, picks a named profile of the file). Construction validates
    everything and makes no network call.

    One client is meant to be shared by many threads: ``max_connections`` caps its requests in
    flight (further callers wait up to ``timeout.pool`` seconds for a free connection, then get
    ``ViTimeoutError``) and ``max_keepalive_connections`` caps the idle connections it keeps.

    ``verify`` is a CA bundle path, or ``False`` to turn certificate checks off (with one
    ``ViInsecureWarning``); by default ``REQUESTS_CA_BUNDLE``/``CURL_CA_BUNDLE`` are honoured.
    ``cert`` is a client certificate: a PEM path or a ``(cert, key)`` pair.

    ``adapters`` maps URL prefixes to ``requests`` transport adapters (a proxy, a custom TLS
    context, ``vi.testing``'s in-process adapter); the client uses but never closes them.
    """

    def __init__(
        self,
        secret_key: Optional[str] = None,
        organization_id: Optional[str] = None,
        config_file: Optional[Union[str, "os.PathLike[str]"]] = None,
        endpoint: Optional[str] = None,
        logging_config: Optional[LoggingConfig] = None,
        timeout: Union[None, float, Timeout, Tuple[float, float]] = None,
        max_retries: Optional[int] = None,
        retry_config: Optional[RetryConfig] = None,
        max_connections: int = 100,
        max_keepalive_connections: int = 20,
        *,
        adapters: Optional[Mapping[str, BaseAdapter]] = None,
        verify: Union[bool, str, None] = None,
        cert: Union[None, str, Tuple[str, str]] = None,
        pickle_secret: bool = False,
        profile: Optional[str] = None,
    ) -> None:
        # Closed-ness first: __del__ must find it even if validation below raises.
        self._closed = True
        if logging_config is not None and not isinstance(logging_config, LoggingConfig):
            raise ViConfigurationError(
                "logging_config must be a vi.logging.LoggingConfig, got %s" % type(logging_config).__name__,
                error_code=ViErrorCode.INVALID_PARAMETER,
            )
        if adapters is not None:
            for prefix, adapter in dict(adapters).items():
                _check_adapter(prefix, adapter)
        # VI_LOG_* variables apply with or without a config; handlers and files appear only
        # when a config or the environment asks for them.
        effective = (logging_config or LoggingConfig()).resolved()
        self._logging_config = effective
        if logging_config is not None or effective.enable_console or effective.enable_file:
            configure_logging(effective)
        config = resolve_config(
            secret_key=secret_key,
            organization_id=organization_id,
            config_file=config_file,
            endpoint=endpoint,
            timeout=timeout,
            max_retries=max_retries,
            retry_config=retry_config,
            max_connections=max_connections,
            max_keepalive_connections=max_keepalive_connections,
            user_agent=default_user_agent(),
            verify=verify,
            cert=cert,
            profile=profile,
        )
        self._setup(config, dict(adapters or {}), bool(pickle_secret))

    def _setup(self, config: ClientConfig, adapters: Dict[str, BaseAdapter], pickle_secret: bool) -> None:
        if config.secret_key is not None:
            remember_secret(config.secret_key.reveal())
        self._config = config
        self._pickle_secret = pickle_secret
        self._close_lock = threading.Lock()
        self._log = get_logger()
        self._transport = Transport(
            max_connections=config.max_connections,
            max_keepalive_connections=config.max_keepalive_connections,
            pool_timeout=config.timeout.pool,
            adapters=adapters,
            verify=config.verify,
            cert=config.cert,
        )
        if config.verify is False:
            _warn_insecure(config.endpoint)
        self._closed = False
        # One send path, two policies: API calls and signed storage URLs share the transport
        # (one pool) and the retry policy (one backoff, one way to sleep).
        retry = RetryPolicy(config.retry)
        self._requester = requester = Requester(
            config,
            self._transport,
            retry=retry,
            is_closed=self._is_closed,
            logging_config=self._logging_config,
        )
        self._storage = StorageSession(config, self._transport, retry=retry, is_closed=self._is_closed)
        transfers = Transfers(self._storage, max_connections=config.max_connections)
        # The attribute names of the official client, in its order.
        self.organizations = Organizations(requester)
        self.plans = Plans(requester)
        self.datasets = Datasets(requester, transfers)
        self.folders = Folders(requester)
        self.assets = Assets(requester, transfers)
        self.asset_sources = AssetSources(requester)
        self.assets_with_objects = AssetsWithObjects(requester)
        self.annotations = Annotations(requester, transfers)
        self.annotation_import_sessions = AnnotationImportSessions(requester)
        self.ontologies = Ontologies(requester)
        self.intelliscribe = IntelliScribe(requester)
        self.flows = Flows(requester)
        self.training_projects = TrainingProjects(requester)
        self.runs = Runs(requester)
        self.models = Models(requester, transfers)
        self.deployments = Deployments(requester)
        self.deployment_projects = DeploymentProjects(requester)
        self.deployment_endpoints = DeploymentEndpoints(requester)
        self._log.debug(
            "Client initialized: endpoint=%s organization_id=%s", config.endpoint, config.organization_id
        )
        self._log.debug(
            "Connection pool: max_connections=%d max_keepalive_connections=%d pool_timeout=%gs",
            config.max_connections,
            config.max_keepalive_connections,
            config.timeout.pool,
        )

    def _is_closed(self) -> bool:
        return self._closed

    # -- life cycle ----------------------------------------------------------------------
    @property
    def is_closed(self) -> bool:
        """``False`` until the first ``close()``, then ``True`` for good."""
        return self._closed

    def close(self) -> None:
        """Release the connection pool. Safe to call any number of times, from any thread."""
        with self._close_lock:
            if self._closed:
                return
            self._closed = True
        try:
            self._transport.close()
        finally:
            self._log.debug("Client closed: connection pool released")

    def __enter__(self) -> "Client":
        if self._closed:
            raise RuntimeError("Cannot use closed client in context manager")
        return self

    def __exit__(self, *exc_info: Any) -> None:
        self.close()

    def __del__(self) -> None:
        if getattr(self, "_closed", True):
            return
        try:
            warnings.warn(
                "vi.Client was garbage-collected while open; use 'with vi.Client(...)' or call close()",
                ResourceWarning,
                stacklevel=2,
                source=self,
            )
            self.close()
        except Exception:  # pragma: no cover - interpreter shutdown
            pass

    # -- configuration -------------------------------------------------------------------
    @property
    def config(self) -> ClientConfig:
        """The resolved configuration (its ``repr`` masks the secret key)."""
        return self._config

    @property
    def organization_id(self) -> str:
        return self._config.organization_id

    @property
    def endpoint(self) -> str:
        return self._config.endpoint

    @property
    def storage(self) -> StorageSession:
        """Requests to pre-signed storage URLs through this client's pool and retry policy,
        never with its credentials (what the transfer workflows download and upload with)."""
        return self._storage

    # -- convenience: the official client's names for two downloads --------------------------
    def get_dataset(
        self,
        dataset_id: str,
        dataset_export_id: Optional[str] = None,
        annotations_only: bool = False,
        export_settings: Any = None,
        save_dir: Any = "~/.datature/vi/datasets",
        overwrite: bool = False,
        show_progress: bool = True,
        *,
        timeout: Optional[float] = None,
    ) -> Any:
        """Export and download a dataset: ``client.datasets.download`` under its official name."""
        return self.datasets.download(
            dataset_id,
            dataset_export_id,
            annotations_only,
            export_settings,
            save_dir,
            overwrite,
            show_progress,
            timeout=timeout,
        )

    def get_model(
        self,
        run_id: str,
        ckpt: Optional[str] = None,
        save_path: Any = "~/.datature/vi/models",
        overwrite: bool = False,
        show_progress: bool = True,
    ) -> Any:
        """Download a trained model: ``client.models.download`` under its official name."""
        return self.models.download(run_id, ckpt, save_path, overwrite, show_progress)

    def mount(self, prefix: str, adapter: BaseAdapter) -> None:
        """Send requests whose URL starts with ``prefix`` through ``adapter``. The caller keeps
        ownership: ``close()`` unmounts it but does not close it."""
        _check_adapter(prefix, adapter)
        self._transport.mount(prefix, adapter)

    def help(self) -> None:
        """Print the client's methods and resources (the official client's ``help()``); each
        resource has its own ``help()`` too."""
        from .resources._base import help_text

        resources = sorted(n for n, v in vars(self).items() if not n.startswith("_") and hasattr(v, "help"))
        print(help_text(self) + "\n\nResources (client.<name>.help() for each): " + ", ".join(resources))

    def __repr__(self) -> str:
        return "<vi.Client endpoint=%r organization_id=%r%s>" % (
            self._config.endpoint,
            self._config.organization_id,
            " closed" if self._closed else "",
        )

    # -- pickling ----------------------------------------------------
    def __getstate__(self) -> Dict[str, Any]:
        """Configuration only: a fresh pool is built on arrival, mounted adapters stay behind,
        and the secret key travels only with ``pickle_secret=True``."""
        config = self._config
        return {
            "config": config.replace(secret_key=None),
            "secret": config.secret_key.reveal() if (self._pickle_secret and config.secret_key) else None,
            "pickle_secret": self._pickle_secret,
            "logging_config": self._logging_config,
            "closed": self._closed,
        }

    def __setstate__(self, state: Dict[str, Any]) -> None:
        self._closed = True
        self._logging_config = state["logging_config"]
        config: ClientConfig = state["config"]
        secret = (
            state["secret"]
            or os.environ.get(ENV_SECRET_KEY)
            or _secret_from_file(config.config_file, config.profile)
        )
        config = config.replace(secret_key=Secret(secret) if secret else None)
        self._setup(config, {}, state["pickle_secret"])
        if state["closed"]:
            self.close()


def _warn_insecure(endpoint: str) -> None:
    """Warn once, here, instead of urllib3's warning on every single request to the API host."""
    host = urlsplit(endpoint).hostname or ""
    warnings.warn(
        "TLS certificate verification is disabled for %s (verify=False): anyone on the network "
        "path can read and alter this client's traffic, secret key included" % endpoint,
        ViInsecureWarning,
        stacklevel=4,
    )
    warnings.filterwarnings(
        "ignore", message=r"Unverified HTTPS request is being made to host '%s'" % re.escape(host)
    )


def _secret_from_file(path: Optional[str], profile: Optional[str] = None) -> Optional[str]:
    """The config file's secret key, read the same way construction reads it (or None)."""
    if not path:
        return None
    try:
        _, _, data = read_profile(path, profile)
    except ViConfigurationError:
        return None
    value = data.get("secret_key")
    return value if isinstance(value, str) and value else None


def _check_adapter(prefix: Any, adapter: Any) -> None:
    if not isinstance(prefix, str) or not prefix:
        raise ViConfigurationError("adapter prefixes must be non-empty strings, got %r" % (prefix,))
    if not isinstance(adapter, BaseAdapter):
        raise ViConfigurationError(
            "adapters must be requests.adapters.BaseAdapter instances, got %s" % type(adapter).__name__
        )
