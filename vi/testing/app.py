"""The Vi API as a WSGI application, shared by the socket server and the in-process adapter.

Order of concerns for every request: global latency → fault rules → storage (never authenticated,
like pre-signed URLs) → authentication (401) → routing (404/405) → organization scope (403) →
handler. Faults come first so that a client's retry logic can be exercised on any path, even
with bad credentials.
"""

from __future__ import annotations

import json
import os
import secrets
from dataclasses import dataclass
from http import HTTPStatus
from typing import Any, Callable, Dict, Iterable, List, Optional, Tuple, Union
from urllib.parse import parse_qs, quote, unquote

from requests.structures import CaseInsensitiveDict

from .clock import Clock
from .errors import BadRequest, Conflict, NotFound
from .faults import Fault, FaultInjector
from .handlers_base import STORAGE_PREFIX, HandlerBase
from .handlers_data import DATA_ROUTES, DataHandlers
from .handlers_peripheral import PERIPHERAL_ROUTES, PeripheralHandlers
from .handlers_training import TRAINING_ROUTES, TrainingHandlers
from .pagination import InvalidPageRequest
from .signing import UrlSigner
from .stats import RequestRecord, Stats
from .storage import CORRUPT_KEY, IGNORE_RANGE_KEY, StorageObject, StorageRoutes, StreamBody
from .store import Store
from .validation import BodyError, dataset_create, dataset_update, organization_update

__all__ = ["TRUNCATE_KEY", "DropConnection", "HTTPError", "ViApp"]

#: environ key a server checks after the app returns: send the headers but only half the body.
TRUNCATE_KEY = "vi.testing.truncate"

JSON = Dict[str, Any]
StartResponse = Callable[..., Any]


class DropConnection(Exception):
    """Raised out of the app: the server must close the connection without any response."""


class HTTPError(Exception):
    def __init__(self, status: int, message: str, headers: Optional[Dict[str, str]] = None) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.headers = headers or {}


@dataclass
class Request:
    method: str
    raw_path: str
    segments: List[str]
    query: Dict[str, str]
    body: bytes
    environ: Dict[str, Any]

    @property
    def base_url(self) -> str:
        env = self.environ
        host = env.get("HTTP_HOST") or "{}:{}".format(
            env.get("SERVER_NAME", "localhost"), env.get("SERVER_PORT", "80")
        )
        return "{}://{}".format(env.get("wsgi.url_scheme", "http"), host)

    def json_object(self) -> JSON:
        if not self.body.strip():
            raise HTTPError(400, "Request body must be a JSON object (got an empty body)")
        try:
            value = json.loads(self.body.decode("utf-8"))
        except (UnicodeDecodeError, ValueError) as exc:
            raise HTTPError(400, f"Request body is not valid JSON: {exc}") from None
        if not isinstance(value, dict):
            raise HTTPError(400, f"Request body must be a JSON object (got {type(value).__name__})")
        return value


# Route templates: literal segments, or placeholders that capture one decoded segment: "{name}"
# (an id: never contains ':'), "{name*}" (anything, e.g. a percent-encoded folder path) or
# "{name}:verb" (a custom verb suffix).
_CORE_ROUTES: List[Tuple[Tuple[str, ...], Dict[str, str]]] = [
    (("workspaces",), {"GET": "list_organizations"}),
    (("workspaces", "{org}"), {"GET": "get_organization", "PATCH": "update_organization"}),
    (("workspaces", "{org}", "datasets"), {"GET": "list_datasets", "POST": "create_dataset"}),
    (("workspaces", "{org}", "simpleDatasets"), {"GET": "list_simple_datasets"}),
    (
        ("workspaces", "{org}", "datasets", "{ds}"),
        {"GET": "get_dataset", "PATCH": "update_dataset", "DELETE": "delete_dataset"},
    ),
    (("workspaces", "{org}", "datasets", "{ds}", "deleteOperation"), {"GET": "get_delete_operation"}),
    (("workspaces", "{org}", "datasets", "{ds}", "assets"), {"GET": "list_assets"}),
    (
        ("workspaces", "{org}", "datasets", "{ds}", "assets", "{asset}"),
        {"GET": "get_asset", "DELETE": "delete_asset"},
    ),
    (
        ("workspaces", "{org}", "datasets", "{ds}", "assets", "{asset}", "annotations"),
        {"GET": "list_annotations"},
    ),
    (
        ("workspaces", "{org}", "datasets", "{ds}", "assets", "{asset}", "annotations", "{ann}"),
        {
            "GET": "get_annotation",
            "PUT": "put_annotation",
            "PATCH": "patch_annotation",
            "DELETE": "delete_annotation",
        },
    ),
    (("workspaces", "{org}", "runs"), {"GET": "list_runs"}),
    (
        ("workspaces", "{org}", "runs", "{run}"),
        {"GET": "get_run", "PUT": "put_run", "PATCH": "patch_run", "DELETE": "delete_run"},
    ),
]

_ROUTES = _CORE_ROUTES + DATA_ROUTES + TRAINING_ROUTES + PERIPHERAL_ROUTES


def _match(template: Tuple[str, ...], segments: List[str]) -> Optional[Dict[str, str]]:
    if len(template) != len(segments):
        return None
    params = {}
    for expected, actual in zip(template, segments):
        if expected.startswith("{"):
            name, _, verb = expected[1:].partition("}")
            if verb:  # "{id}:verb"
                if not actual.endswith(verb) or len(actual) == len(verb):
                    return None
                actual = actual[: -len(verb)]
            if not actual:
                return None
            if name.endswith("*"):
                name = name[:-1]
            elif ":" in actual:
                return None
            params[name] = actual
        elif expected != actual:
            return None
    return params


def _json_response(
    status: int, payload: Any, headers: Optional[Dict[str, str]] = None
) -> Tuple[int, List, bytes]:
    if payload is None:  # 204: an empty body, as the SDK requires for most DELETEs
        return status, list((headers or {}).items()), b""
    body = json.dumps(payload, separators=(",", ":"), ensure_ascii=False).encode("utf-8")
    out = list((headers or {}).items())
    if not any(name.lower() == "content-type" for name, _ in out):
        out.insert(0, ("Content-Type", "application/json"))
    return status, out, body


def _phrase(status: int) -> str:
    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return "Unknown"


def _split_target(environ: Dict[str, Any]) -> Tuple[str, List[str]]:
    """Route on the raw request target when a server provides it, so `%2F` stays inside a segment."""
    raw = environ.get("RAW_URI") or environ.get("REQUEST_URI")
    if raw:
        raw_path = raw.split("?", 1)[0].split("#", 1)[0]
        if "://" in raw_path:  # absolute-form request target
            raw_path = "/" + raw_path.split("://", 1)[1].partition("/")[2]
    else:
        raw_path = quote(environ.get("PATH_INFO", "").encode("latin-1"), safe="/:@!$&'()*+,;=-._~")
    segments = [unquote(s) for s in raw_path.split("/")[1:]]
    if len(segments) > 1 and segments[-1] == "":
        segments.pop()  # tolerate one trailing slash
    return raw_path or "/", segments


def _read_body(environ: Dict[str, Any]) -> bytes:
    try:
        length = int(environ.get("CONTENT_LENGTH") or 0)
    except ValueError:
        length = 0
    stream = environ.get("wsgi.input")
    if stream is None or length <= 0:
        return b""
    return stream.read(length)


def _headers(environ: Dict[str, Any]) -> CaseInsensitiveDict:
    headers: CaseInsensitiveDict = CaseInsensitiveDict()
    for key, value in environ.items():
        if key.startswith("HTTP_"):
            headers[key[5:].replace("_", "-").title()] = value
    for key in ("CONTENT_TYPE", "CONTENT_LENGTH"):
        if environ.get(key):
            headers[key.replace("_", "-").title()] = environ[key]
    return headers


def _parse_query(raw: str) -> Dict[str, str]:
    """First value per key; a second `?` inside `intent` (the official `models.list`) is
    read as more parameters, so `intent=sdkLocalDeploy?p=T&s=10` pages like `p=T&s=10`."""
    query = {k: v[0] for k, v in parse_qs(raw, keep_blank_values=True).items()}
    intent = query.get("intent")
    if intent and "?" in intent:
        query["intent"], _, rest = intent.partition("?")
        for key, values in parse_qs(rest, keep_blank_values=True).items():
            query.setdefault(key, values[0])
    return query


class ViApp(DataHandlers, TrainingHandlers, PeripheralHandlers, HandlerBase):
    """WSGI callable; all state lives in `store`, so several apps (or servers) can share one."""

    def __init__(
        self,
        store: Store,
        faults: Optional[FaultInjector] = None,
        stats: Optional[Stats] = None,
        *,
        storage_secret: Optional[bytes] = None,
        url_ttl_seconds: int = 3600,
        clock: Optional[Clock] = None,
    ) -> None:
        clock = clock if clock is not None else store.clock
        super().__init__(store, UrlSigner(storage_secret or os.urandom(32), url_ttl_seconds, clock))
        self.faults = faults if faults is not None else FaultInjector()
        self.stats = stats if stats is not None else Stats()
        self.storage = StorageRoutes(store, self.signer)

    def __repr__(self) -> str:
        return f"ViApp(store={self.store!r})"

    # -- WSGI entry point ---------------------------------------------------------------------

    def __call__(self, environ: Dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        raw_path, segments = _split_target(environ)
        query = _parse_query(environ.get("QUERY_STRING", ""))
        method = environ.get("REQUEST_METHOD", "GET").upper()
        # Storage uploads read `wsgi.input` themselves, in pieces (a 2 GiB PUT never sits in
        # memory); their request records therefore carry an empty body.
        streamed = bool(segments) and segments[0] == STORAGE_PREFIX and method in ("PUT", "POST")
        body = b"" if streamed else _read_body(environ)
        record = RequestRecord(method, raw_path, environ.get("QUERY_STRING", ""), _headers(environ), body)
        request = Request(method, raw_path, segments, query, body, environ)
        self.stats.request_started(record)
        try:
            status, headers, payload = self._respond(request)
        finally:
            self.stats.request_finished()
        headers.append(("Content-Length", str(len(payload))))
        headers.append(("x-cloud-trace-context", f"{secrets.token_hex(16)}/{secrets.randbits(48)};o=1"))
        start_response(f"{status} {_phrase(status)}", headers)
        if isinstance(payload, StreamBody):
            return payload  # storage objects are streamed, never held whole (2 GiB benchmarks)
        return [payload]

    def _respond(self, request: Request) -> Tuple[int, List, bytes]:
        self.faults.sleep(self.faults.latency)
        fault = self.faults.match(request.method, request.raw_path)
        if fault is not None:
            self.faults.sleep(fault.latency or 0)
            if fault.drop:
                raise DropConnection(request.raw_path)
            if fault.truncate:
                request.environ[TRUNCATE_KEY] = True
            if fault.ignore_range:
                request.environ[IGNORE_RANGE_KEY] = True
            if fault.corrupt:
                request.environ[CORRUPT_KEY] = True
            if fault.status is not None:
                return self._fault_response(fault)
        try:
            return self._dispatch(request)
        except HTTPError as exc:
            return _json_response(exc.status, {"message": exc.message}, exc.headers)
        except NotFound as exc:
            return _json_response(404, {"message": str(exc)})
        except Conflict as exc:
            return _json_response(409, {"message": str(exc)})
        except (BodyError, BadRequest, InvalidPageRequest) as exc:
            return _json_response(400, {"message": str(exc)})
        except Exception as exc:  # the emulator must answer, never hang a client on its own bug
            return _json_response(500, {"message": f"Internal server error: {exc!r}"})

    @staticmethod
    def _fault_response(fault: Fault) -> Tuple[int, List, bytes]:
        status = int(fault.status or 500)
        headers = dict(fault.headers or {})
        if fault.retry_after is not None:
            headers["Retry-After"] = str(fault.retry_after)
        body = fault.body
        if body is None:
            message = f"Injected fault: HTTP {status} {_phrase(status)}"
            return _json_response(status, {"message": message}, headers)
        if isinstance(body, (dict, list)):
            return _json_response(status, body, headers)
        if isinstance(body, str):
            headers.setdefault("Content-Type", "text/plain; charset=utf-8")
            return status, list(headers.items()), body.encode("utf-8")
        headers.setdefault("Content-Type", "application/octet-stream")
        return status, list(headers.items()), bytes(body)

    def _dispatch(self, request: Request) -> Tuple[int, List, bytes]:
        self.store.advance()  # long-running operations progress between requests
        if request.segments and request.segments[0] == STORAGE_PREFIX:
            return self.storage(request)
        org_id = self._authenticate(request)
        for template, methods in _ROUTES:
            params = _match(template, request.segments)
            if params is None:
                continue
            handler_name = methods.get(request.method)
            if handler_name is None:
                allowed = ", ".join(sorted(methods))
                raise HTTPError(
                    405,
                    f"Method {request.method} not allowed on {request.raw_path} (allowed: {allowed})",
                    {"Allow": allowed},
                )
            if "org" in params and params["org"] != org_id:
                raise HTTPError(403, "Secret key is not authorized for workspace {}".format(params["org"]))
            status, payload = getattr(self, handler_name)(request, org_id=org_id, **params)
            return _json_response(status, payload)
        raise HTTPError(404, f"No such endpoint: {request.method} {request.raw_path}")

    def _authenticate(self, request: Request) -> str:
        scheme, _, key = request.environ.get("HTTP_AUTHORIZATION", "").strip().partition(" ")
        key = key.strip()
        if scheme.lower() != "bearer" or not key:
            raise HTTPError(401, "Missing or malformed Authorization header (expected 'Bearer <secret key>')")
        org_id = self.store.organization_for_key(key)
        if org_id is None:
            raise HTTPError(401, "Invalid secret key")
        header_org = request.environ.get("HTTP_ORGANIZATION_ID", "").strip()
        if not header_org:
            raise HTTPError(401, "Missing Organization-Id header")
        if header_org != org_id:
            raise HTTPError(403, f"Secret key is not authorized for workspace {header_org}")
        return org_id

    # -- storage ----------------------------------------------------------------------------------

    def publish_blob(
        self,
        base_url: str,
        name: str,
        source: Union[bytes, str, "os.PathLike[str]", StorageObject],
        *,
        ttl_seconds: float = 3600.0,
    ) -> str:
        """Serve `source` at a signed URL (see `StorageRoutes.publish_blob`)."""
        return self.storage.publish_blob(base_url, name, source, ttl_seconds=ttl_seconds)

    def sign_storage_url(self, base_url: str, path: str, expiry_ms: int) -> str:
        """Pre-signed URL: an HMAC over path and expiry, so a storage route can reject forgeries."""
        return self.signer.url(base_url, path, expiry_ms)

    # -- organizations ----------------------------------------------------------------------------

    def list_organizations(self, request: Request, org_id: str) -> Tuple[int, JSON]:
        return self._paged(request, lambda after, size: self.store.list_organizations([org_id], after, size))

    def get_organization(self, request: Request, org_id: str, org: str) -> Tuple[int, JSON]:
        return 200, self.store.get_organization(org)

    def update_organization(self, request: Request, org_id: str, org: str) -> Tuple[int, JSON]:
        return 200, self.store.update_organization(org, organization_update(request.json_object()))

    # -- datasets ---------------------------------------------------------------------------------

    def list_datasets(self, request: Request, org_id: str, org: str) -> Tuple[int, JSON]:
        return self._paged(request, lambda after, size: self.store.list_datasets(org, after, size))

    def list_simple_datasets(self, request: Request, org_id: str, org: str) -> Tuple[int, JSON]:
        return self._paged(
            request, lambda after, size: self.store.list_datasets(org, after, size, simple=True)
        )

    def create_dataset(self, request: Request, org_id: str, org: str) -> Tuple[int, JSON]:
        return 200, self.store.create_dataset(org, dataset_create(request.json_object()))

    def get_dataset(self, request: Request, org_id: str, org: str, ds: str) -> Tuple[int, JSON]:
        return 200, self.store.get_dataset(org, ds)

    def update_dataset(self, request: Request, org_id: str, org: str, ds: str) -> Tuple[int, JSON]:
        changes = dataset_update(request.json_object())
        return 200, self.store.update_dataset(org, ds, changes)

    def delete_dataset(self, request: Request, org_id: str, org: str, ds: str) -> Tuple[int, JSON]:
        return 200, self.store.delete_dataset(org, ds)

    def get_delete_operation(self, request: Request, org_id: str, org: str, ds: str) -> Tuple[int, JSON]:
        return 200, self.store.get_delete_operation(org, ds)

    # -- assets and annotations -----------------------------------------------------------------

    def get_asset(self, request: Request, org_id: str, org: str, ds: str, asset: str) -> Tuple[int, JSON]:
        found = self.store.get_asset(org, ds, asset)
        return 200, self._with_contents(request, found) if self._wants_contents(request) else found

    def list_annotations(
        self, request: Request, org_id: str, org: str, ds: str, asset: str
    ) -> Tuple[int, JSON]:
        return self._paged(
            request, lambda after, size: self.store.list_annotations(org, ds, asset, after, size)
        )

    def get_annotation(
        self, request: Request, org_id: str, org: str, ds: str, asset: str, ann: str
    ) -> Tuple[int, JSON]:
        return 200, self.store.get_annotation(org, ds, asset, ann)

    # -- runs -------------------------------------------------------------------------------------

    def list_runs(self, request: Request, org_id: str, org: str) -> Tuple[int, JSON]:
        return self._paged(request, lambda after, size: self.store.list_runs(org, after, size))

    def get_run(self, request: Request, org_id: str, org: str, run: str) -> Tuple[int, JSON]:
        return 200, self.store.get_run(org, run)
