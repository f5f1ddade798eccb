"""Client configuration: resolve every setting once, validate it, then never change it.

One immutable :class:`ClientConfig` is built at construction from arguments, the environment
and an optional JSON config file, in that order for every field (the official client has two
orders; we keep the one ``vi.Client`` documents). Anything invalid raises
:class:`~vi.errors.ViConfigurationError` naming the problem, before any I/O.

A config file holds the *default* profile as top-level keys (so every file written before
profiles existed stays valid) and named profiles under ``"profiles"``; the SDK and the
``datature-vi`` command line read it through the same functions below, so a profile means the
same thing to both.
"""

from __future__ import annotations

import json
import math
import os
import re
import tempfile
from pathlib import Path
from typing import Any, Dict, List, Mapping, Optional, Tuple, Union
from urllib.parse import urlsplit

from .errors import ViConfigurationError, ViErrorCode
from .retry import RetryConfig

__all__ = [
    "DEFAULT_ENDPOINT",
    "ENV_SECRET_KEY",
    "ENV_ORGANIZATION_ID",
    "ENV_ENDPOINT",
    "ENV_PROFILE",
    "ENV_CONFIG_FILE",
    "DEFAULT_PROFILE",
    "DEFAULT_CONFIG_FILE",
    "PROFILE_KEYS",
    "Timeout",
    "Secret",
    "ClientConfig",
    "resolve_config",
    "read_profile",
    "profile_names",
    "write_profile",
    "config_sources",
]

DEFAULT_ENDPOINT = "https://api.vi.datature.com"
ENV_SECRET_KEY = "DATATURE_VI_SECRET_KEY"
ENV_ORGANIZATION_ID = "DATATURE_VI_ORGANIZATION_ID"
ENV_ENDPOINT = "DATATURE_VI_API_ENDPOINT"
#: Names the profile to use when none is passed (``profile=`` / ``--profile``).
ENV_PROFILE = "DATATURE_VI_PROFILE"
#: Where the command line looks for its config file (the SDK reads a file only when named).
ENV_CONFIG_FILE = "DATATURE_VI_CONFIG_FILE"
DEFAULT_PROFILE = "default"
#: The command line's config file when neither ``--config-file`` nor the variable names one.
DEFAULT_CONFIG_FILE = "~/.datature/vi/config.json"
#: The settings a profile holds.
PROFILE_KEYS = ("secret_key", "organization_id", "endpoint")
_PROFILE_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}\Z")

# Header-safe: printable ASCII without spaces. The official client also insists on a ``dtvi_``
# prefix and exactly 103 characters; we do not, so that the local server's and the guide's
# placeholder keys work, and the real service answers 401 to anything it did not issue.
_SECRET_RE = re.compile(r"^[\x21-\x7e]{1,4096}\Z")  # \Z: "$" would let a trailing "\n" in
# Organization ids go into every path: only URL-unreserved characters, never a dot segment.
_ORG_RE = re.compile(r"^[A-Za-z0-9._~-]{1,255}\Z")


class Secret:
    """The secret key, wrapped so that it cannot leak through ``repr``, ``str``, logs or pickle."""

    __slots__ = ("_value",)

    def __init__(self, value: str) -> None:
        self._value = value

    def reveal(self) -> str:
        return self._value

    def masked(self) -> str:
        return self._value[:5] + "…" if len(self._value) > 12 else "…"

    def __repr__(self) -> str:
        return "Secret(%s)" % self.masked()

    __str__ = __repr__

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Secret) and other._value == self._value

    def __hash__(self) -> int:
        return hash(self._value)

    def __reduce__(self) -> Any:
        raise TypeError(
            "The secret key is not picklable; pickle the vi.Client (pickle_secret=True to include it)"
        )


class Timeout:
    """Timeouts in seconds: ``connect`` to open a connection, ``read`` between bytes of a
    response (``requests`` applies the socket timeout to sends too, so it bounds writes as well),
    ``pool`` to wait for a free connection when ``max_connections`` requests are in flight."""

    __slots__ = ("connect", "read", "pool")

    connect: float
    read: float
    pool: float

    def __init__(self, connect: float = 60.0, read: float = 300.0, pool: float = 60.0) -> None:
        self.connect = _positive("timeout.connect", connect)
        self.read = _positive("timeout.read", read)
        self.pool = _positive("timeout.pool", pool)

    @classmethod
    def coerce(cls, value: Any) -> "Timeout":
        """Accept ``None`` (defaults), a number (connect and read), ``(connect, read)`` or a Timeout."""
        if value is None:
            return cls()
        if isinstance(value, cls):
            return value
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            return cls(connect=value, read=value, pool=value)
        if isinstance(value, tuple) and len(value) == 2:
            return cls(connect=value[0], read=value[1])
        raise ViConfigurationError(
            "timeout must be a number of seconds, a (connect, read) tuple or vi.Timeout, got %r" % (value,),
            error_code=ViErrorCode.INVALID_PARAMETER,
        )

    def as_requests(self) -> Tuple[float, float]:
        return (self.connect, self.read)

    def __repr__(self) -> str:
        return "Timeout(connect=%g, read=%g, pool=%g)" % (self.connect, self.read, self.pool)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Timeout) and (self.connect, self.read, self.pool) == (
            other.connect,
            other.read,
            other.pool,
        )

    def __hash__(self) -> int:
        return hash((self.connect, self.read, self.pool))

    def __getstate__(self) -> Tuple[float, float, float]:
        return (self.connect, self.read, self.pool)

    def __setstate__(self, state: Tuple[float, float, float]) -> None:
        self.connect, self.read, self.pool = state


def _positive(name: str, value: Any) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise ViConfigurationError(
            "%s must be a number of seconds, got %r" % (name, value),
            error_code=ViErrorCode.INVALID_PARAMETER,
        )
    if not (value > 0 and math.isfinite(value)):
        raise ViConfigurationError(
            "%s must be a positive finite number of seconds, got %r" % (name, value),
            error_code=ViErrorCode.INVALID_PARAMETER,
        )
    return float(value)


class ClientConfig:
    """Everything a client needs, resolved and validated. Immutable after construction."""

    __slots__ = (
        "secret_key",
        "organization_id",
        "endpoint",
        "timeout",
        "retry",
        "max_connections",
        "max_keepalive_connections",
        "config_file",
        "user_agent",
        "verify",
        "cert",
        "profile",
    )

    secret_key: Optional[Secret]
    organization_id: str
    endpoint: str
    timeout: Timeout
    retry: RetryConfig
    max_connections: int
    max_keepalive_connections: int
    config_file: Optional[str]
    user_agent: str
    verify: Union[bool, str, None]
    cert: Union[None, str, Tuple[str, str]]
    #: the config file's profile the settings were read from (``None`` without a file)
    profile: Optional[str]

    def __init__(
        self,
        *,
        secret_key: Optional[Secret],
        organization_id: str,
        endpoint: str,
        timeout: Timeout,
        retry: RetryConfig,
        max_connections: int,
        max_keepalive_connections: int,
        config_file: Optional[str],
        user_agent: str,
        verify: Union[bool, str, None] = None,
        cert: Union[None, str, Tuple[str, str]] = None,
        profile: Optional[str] = None,
    ) -> None:
        object.__setattr__(self, "secret_key", secret_key)
        object.__setattr__(self, "organization_id", organization_id)
        object.__setattr__(self, "endpoint", endpoint)
        object.__setattr__(self, "timeout", timeout)
        object.__setattr__(self, "retry", retry)
        object.__setattr__(self, "max_connections", max_connections)
        object.__setattr__(self, "max_keepalive_connections", max_keepalive_connections)
        object.__setattr__(self, "config_file", config_file)
        object.__setattr__(self, "user_agent", user_agent)
        object.__setattr__(self, "verify", verify)
        object.__setattr__(self, "cert", cert)
        object.__setattr__(self, "profile", profile)

    def __setattr__(self, name: str, value: Any) -> None:
        raise AttributeError("ClientConfig is immutable")

    def __getstate__(self) -> Dict[str, Any]:
        return {name: getattr(self, name) for name in self.__slots__}

    def __setstate__(self, state: Dict[str, Any]) -> None:
        for name in self.__slots__:
            object.__setattr__(self, name, state.get(name))

    def replace(self, **changes: Any) -> "ClientConfig":
        values = {name: getattr(self, name) for name in self.__slots__}
        values.update(changes)
        return ClientConfig(**values)

    def __repr__(self) -> str:
        return (
            "ClientConfig(endpoint=%r, organization_id=%r, secret_key=%s, timeout=%r, "
            "max_connections=%d, max_keepalive_connections=%d)"
            % (
                self.endpoint,
                self.organization_id,
                self.secret_key.masked() if self.secret_key else None,
                self.timeout,
                self.max_connections,
                self.max_keepalive_connections,
            )
        )


def _read_config_file(path: Union[str, "os.PathLike[str]"]) -> Tuple[str, Dict[str, Any]]:
    resolved = Path(os.path.expanduser(os.fspath(path))).resolve()
    try:
        text = resolved.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ViConfigurationError("Config file not found: %s" % resolved) from None
    except (OSError, UnicodeDecodeError) as err:
        raise ViConfigurationError("Error reading config file %s: %s" % (resolved, err)) from None
    try:
        data = json.loads(text)
    except ValueError as err:
        raise ViConfigurationError("Invalid JSON in config file %s: %s" % (resolved, err)) from None
    if not isinstance(data, dict):
        raise ViConfigurationError("Config file %s must hold a JSON object" % resolved)
    return str(resolved), data


def _check_profile_name(profile: Any) -> str:
    if not isinstance(profile, str) or not _PROFILE_RE.match(profile):
        raise ViConfigurationError(
            "profile must be 1-64 letters, digits, '-', '_' or '.', starting with a letter or digit, "
            "got %r" % (profile if isinstance(profile, str) else type(profile).__name__,),
            error_code=ViErrorCode.INVALID_PARAMETER,
        )
    return profile


def _profiles_of(path: str, data: Mapping[str, Any]) -> Dict[str, Any]:
    profiles = data.get("profiles", {})
    if not isinstance(profiles, dict) or not all(isinstance(v, dict) for v in profiles.values()):
        raise ViConfigurationError('Config file %s: "profiles" must map profile names to JSON objects' % path)
    if DEFAULT_PROFILE in profiles:
        raise ViConfigurationError(
            'Config file %s: the default profile is the top-level keys, not "profiles.%s"'
            % (path, DEFAULT_PROFILE)
        )
    return profiles


def profile_names(data: Mapping[str, Any], path: str = "config file") -> List[str]:
    """The profiles a config file's contents define: ``default`` (when it has any top-level
    setting) first, then the named ones in file order."""
    names = [DEFAULT_PROFILE] if any(k in data for k in PROFILE_KEYS) else []
    return names + list(_profiles_of(path, data))


def _select_profile(path: str, data: Mapping[str, Any], profile: str) -> Dict[str, Any]:
    profiles = _profiles_of(path, data)
    if profile == DEFAULT_PROFILE:
        return {k: data[k] for k in PROFILE_KEYS if k in data}
    if profile not in profiles:
        known = ", ".join(profile_names(data, path)) or "none"
        raise ViConfigurationError(
            "Profile %r is not in config file %s (profiles there: %s)" % (profile, path, known),
            error_code=ViErrorCode.INVALID_PARAMETER,
        )
    return dict(profiles[profile])


def read_profile(
    config_file: Union[str, "os.PathLike[str]"],
    profile: Optional[str] = None,
    environ: Optional[Mapping[str, str]] = None,
) -> Tuple[str, str, Dict[str, Any]]:
    """Read one profile of a config file: ``(resolved path, profile name, settings)``.

    The profile is ``profile``, else ``DATATURE_VI_PROFILE``, else ``default`` (the top-level
    keys). An unknown profile raises :class:`~vi.errors.ViConfigurationError` listing the known
    ones rather than silently falling back to another organization's credentials."""
    env = os.environ if environ is None else environ
    name = _check_profile_name(profile or env.get(ENV_PROFILE) or DEFAULT_PROFILE)
    path, data = _read_config_file(config_file)
    return path, name, _select_profile(path, data, name)


def write_profile(
    config_file: Union[str, "os.PathLike[str]"],
    profile: str,
    values: Mapping[str, Optional[str]],
) -> str:
    """Set ``values`` (``secret_key``, ``organization_id``, ``endpoint``; ``None`` keeps the
    current value) in one profile of a config file, keeping every other profile and key.

    The file is replaced atomically (a temporary file in the same folder, renamed over it), so a
    crash leaves the old file or the new one, never half of one; it is created readable and
    writable by its owner only (0600, in a 0700 folder when the folder is new), because it holds
    a secret. Returns the resolved path."""
    name = _check_profile_name(profile)
    unknown = sorted(set(values) - set(PROFILE_KEYS))
    if unknown:
        raise ViConfigurationError("Unknown config setting(s): %s" % ", ".join(unknown))
    path = Path(os.path.expanduser(os.fspath(config_file))).resolve()
    data: Dict[str, Any] = {}
    if path.exists():
        data = _read_config_file(path)[1]
    section = data if name == DEFAULT_PROFILE else _profiles_of(str(path), data).setdefault(name, {})
    if name != DEFAULT_PROFILE:
        data["profiles"] = data.get("profiles", {})
        data["profiles"][name] = section
    for key, value in values.items():
        if value is not None:
            section[key] = value
    if "secret_key" in section:
        _check_secret(section["secret_key"])
    if "organization_id" in section:
        _check_org(section["organization_id"])
    if "endpoint" in section:
        _check_endpoint(section["endpoint"])
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=".%s." % path.name, suffix=".tmp", dir=str(path.parent))
    try:
        os.chmod(tmp, 0o600)  # mkstemp already makes it 0600; say so where a reader looks
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            json.dump(data, handle, indent=2, sort_keys=False)
            handle.write("\n")
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, str(path))
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise
    return str(path)


def config_sources(
    *,
    secret_key: Optional[str] = None,
    organization_id: Optional[str] = None,
    endpoint: Optional[str] = None,
    config_file: Optional[Union[str, "os.PathLike[str]"]] = None,
    profile: Optional[str] = None,
    environ: Optional[Mapping[str, str]] = None,
) -> Dict[str, str]:
    """Where each setting would come from under the precedence of :func:`resolve_config`:
    ``"argument"``, the environment variable's name, ``"config file <path> (profile <name>)"``,
    ``"default"`` or ``"missing"``. Values are never returned, so this is safe to print."""
    env = os.environ if environ is None else environ
    file_data: Dict[str, Any] = {}
    where = ""
    if config_file is not None:
        path, name, file_data = read_profile(config_file, profile, env)
        where = "config file %s (profile %s)" % (path, name)
    sources: Dict[str, str] = {}
    for key, explicit, env_name in (
        ("secret_key", secret_key, ENV_SECRET_KEY),
        ("organization_id", organization_id, ENV_ORGANIZATION_ID),
        ("endpoint", endpoint, ENV_ENDPOINT),
    ):
        if explicit is not None:
            sources[key] = "argument"
        elif env.get(env_name):
            sources[key] = env_name
        elif file_data.get(key) is not None:
            sources[key] = where
        else:
            sources[key] = "default" if key == "endpoint" else "missing"
    return sources


def _pick(
    name: str, explicit: Any, env: Mapping[str, str], env_name: str, file_data: Mapping[str, Any]
) -> Any:
    if explicit is not None:
        return explicit
    value = env.get(env_name)
    if value:
        return value
    return file_data.get(name)


def _check_secret(value: Any) -> Secret:
    if value is None:
        raise ViConfigurationError(
            "A secret key is required: pass secret_key=, set %s, or name a config_file" % ENV_SECRET_KEY,
            error_code=ViErrorCode.MISSING_REQUIRED_FIELD,
        )
    if not isinstance(value, str):
        raise ViConfigurationError(
            "secret_key must be a string, got %s" % type(value).__name__,
            error_code=ViErrorCode.INVALID_PARAMETER,
        )
    if not value.strip():
        raise ViConfigurationError("secret_key must not be blank", error_code=ViErrorCode.INVALID_PARAMETER)
    if not _SECRET_RE.match(value):
        # Never echo the value: it is a secret even when it is malformed.
        raise ViConfigurationError(
            "secret_key must be printable ASCII without spaces or control characters",
            error_code=ViErrorCode.INVALID_PARAMETER,
        )
    return Secret(value)


def _check_org(value: Any) -> str:
    if value is None:
        raise ViConfigurationError(
            "An organization id is required: pass organization_id=, set %s, or name a config_file"
            % ENV_ORGANIZATION_ID,
            error_code=ViErrorCode.MISSING_REQUIRED_FIELD,
        )
    if not isinstance(value, str):
        raise ViConfigurationError(
            "organization_id must be a string, got %s" % type(value).__name__,
            error_code=ViErrorCode.INVALID_PARAMETER,
        )
    if not _ORG_RE.match(value) or value in (".", ".."):
        raise ViConfigurationError(
            "organization_id must be 1-255 characters of letters, digits, '-', '_', '.', '~', got %r"
            % value[:80],
            error_code=ViErrorCode.INVALID_PARAMETER,
        )
    return value


def _check_endpoint(value: Any) -> str:
    if not isinstance(value, str) or not value.strip():
        raise ViConfigurationError(
            "endpoint must be a non-empty URL string, got %r" % (value,),
            error_code=ViErrorCode.INVALID_PARAMETER,
        )
    value = value.strip()
    try:
        parts = urlsplit(value)
        parts.port  # noqa: B018 - raises ValueError on a bad port
    except ValueError as err:
        raise ViConfigurationError("endpoint %r is not a valid URL: %s" % (value, err)) from None
    if parts.scheme not in ("http", "https"):
        raise ViConfigurationError(
            "endpoint must start with http:// or https://, got %r" % value,
            error_code=ViErrorCode.INVALID_PARAMETER,
        )
    if not parts.hostname:
        raise ViConfigurationError(
            "endpoint %r has no host" % value, error_code=ViErrorCode.INVALID_PARAMETER
        )
    if parts.username or parts.password:
        raise ViConfigurationError(
            "endpoint must not embed credentials; use secret_key", error_code=ViErrorCode.INVALID_PARAMETER
        )
    if parts.query or parts.fragment:
        raise ViConfigurationError(
            "endpoint must not have a query or fragment, got %r" % value,
            error_code=ViErrorCode.INVALID_PARAMETER,
        )
    # A path prefix (a reverse proxy's /api) is kept, unlike the official client.
    return value.rstrip("/")


def _check_limits(max_connections: Any, max_keepalive: Any) -> Tuple[int, int]:
    for name, value in (("max_connections", max_connections), ("max_keepalive_connections", max_keepalive)):
        if isinstance(value, bool) or not isinstance(value, int):
            raise ViConfigurationError(
                "%s must be an integer, got %r" % (name, value), error_code=ViErrorCode.INVALID_PARAMETER
            )
    if max_connections < 1:
        raise ViConfigurationError(
            "max_connections must be at least 1, got %d" % max_connections,
            error_code=ViErrorCode.INVALID_PARAMETER,
        )
    if max_keepalive < 0:
        raise ViConfigurationError(
            "max_keepalive_connections must be 0 or more, got %d" % max_keepalive,
            error_code=ViErrorCode.INVALID_PARAMETER,
        )
    # More idle connections than connections cannot exist: the cap is simply max_connections
    # (so max_connections=4 works without also lowering the default keep-alive of 20).
    return max_connections, min(max_keepalive, max_connections)


def _existing_file(name: str, value: Any) -> str:
    path = os.fspath(value) if isinstance(value, (str, os.PathLike)) else None
    if not path:
        raise ViConfigurationError(
            "%s must be a file path, got %r" % (name, value), error_code=ViErrorCode.INVALID_PARAMETER
        )
    if not os.path.exists(path):
        raise ViConfigurationError(
            "%s file not found: %s" % (name, path), error_code=ViErrorCode.INVALID_PARAMETER
        )
    return str(path)


def _check_verify(verify: Any) -> Union[bool, str, None]:
    """``None`` (verify, honouring REQUESTS_CA_BUNDLE), ``True``, ``False`` or a CA bundle path."""
    if verify is None or isinstance(verify, bool):
        return verify
    if isinstance(verify, (str, os.PathLike)):
        return _existing_file("verify (CA bundle)", verify)
    raise ViConfigurationError(
        "verify must be True, False or a CA bundle path", error_code=ViErrorCode.INVALID_PARAMETER
    )


def _check_cert(cert: Any) -> Union[None, str, Tuple[str, str]]:
    """A client certificate: one PEM file holding cert and key, or a (cert, key) pair."""
    if cert is None:
        return None
    if isinstance(cert, tuple) and len(cert) == 2:
        return (_existing_file("cert", cert[0]), _existing_file("cert key", cert[1]))
    return _existing_file("cert", cert)


def _check_retry(max_retries: Any, retry_config: Any) -> RetryConfig:
    if retry_config is not None:
        if not isinstance(retry_config, RetryConfig):
            raise ViConfigurationError(
                "retry_config must be a vi.RetryConfig, got %s" % type(retry_config).__name__,
                error_code=ViErrorCode.INVALID_PARAMETER,
            )
        return retry_config
    if max_retries is None:
        return RetryConfig()
    # 0 means "no retries" here; the official client silently turns it into 3.
    try:
        return RetryConfig(max_retries=max_retries)
    except ValueError as err:
        raise ViConfigurationError(str(err), error_code=ViErrorCode.INVALID_PARAMETER) from None


def resolve_config(
    *,
    secret_key: Optional[str],
    organization_id: Optional[str],
    config_file: Optional[Union[str, "os.PathLike[str]"]],
    endpoint: Optional[str],
    timeout: Any,
    max_retries: Optional[int],
    retry_config: Optional[RetryConfig],
    max_connections: int,
    max_keepalive_connections: int,
    user_agent: str,
    verify: Union[bool, str, None] = None,
    cert: Union[None, str, Tuple[str, str]] = None,
    environ: Optional[Mapping[str, str]] = None,
    require_secret: bool = True,
    profile: Optional[str] = None,
) -> ClientConfig:
    """Resolve each field as argument → environment variable → config file → default.

    The config file's settings are those of ``profile`` (else ``DATATURE_VI_PROFILE``, else the
    default profile, see :func:`read_profile`). Naming a profile without a config file is an
    error; the environment variable alone is not, since there is then nothing to choose from."""
    env = os.environ if environ is None else environ
    file_path: Optional[str] = None
    file_data: Dict[str, Any] = {}
    profile_name: Optional[str] = None
    if config_file is not None:
        file_path, profile_name, file_data = read_profile(config_file, profile, env)
    elif profile is not None:
        raise ViConfigurationError(
            "profile=%r needs a config_file to read it from" % (profile,),
            error_code=ViErrorCode.INVALID_PARAMETER,
        )
    raw_secret = _pick("secret_key", secret_key, env, ENV_SECRET_KEY, file_data)
    secret = _check_secret(raw_secret) if (require_secret or raw_secret is not None) else None
    org = _check_org(_pick("organization_id", organization_id, env, ENV_ORGANIZATION_ID, file_data))
    url = _check_endpoint(_pick("endpoint", endpoint, env, ENV_ENDPOINT, file_data) or DEFAULT_ENDPOINT)
    limits = _check_limits(max_connections, max_keepalive_connections)
    verify = _check_verify(verify)
    cert = _check_cert(cert)
    return ClientConfig(
        secret_key=secret,
        organization_id=org,
        endpoint=url,
        timeout=Timeout.coerce(timeout),
        retry=_check_retry(max_retries, retry_config),
        max_connections=limits[0],
        max_keepalive_connections=limits[1],
        config_file=file_path,
        user_agent=user_agent,
        verify=verify,
        cert=cert,
        profile=profile_name,
    )
