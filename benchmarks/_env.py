"""Everything the benchmarks need, built once and cached under ``benchmarks/.cache/``.

* ``venv-bench``: our dependencies (read from ``setup.cfg``) plus matplotlib and pyinstrument.
  Our package itself is never installed there: workers put the repository on ``PYTHONPATH``.
* ``venv-official-<version>``: the official ``vi-sdk`` from PyPI. Its import name is also ``vi``,
  so it only ever runs in its own interpreter, with ``-I`` and a working directory outside the
  repository (``workers/worker.py`` checks which ``vi`` it got).
* nginx from Debian (installed with apt-get when missing) and a generated config plus static,
  protocol-shaped JSON under ``.cache/nginx``.

Only the standard library is used here: the orchestrator runs on whatever python starts it.
Every step is idempotent; a ``.complete`` marker says a venv finished building.
"""

from __future__ import annotations

import configparser
import copy
import json
import os
import shutil
import socket
import subprocess
import sys
from pathlib import Path
from typing import Dict, List, Optional

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
CACHE = HERE / ".cache"
FIXTURES = HERE / "fixtures"
WORKER = HERE / "workers" / "worker.py"

OFFICIAL_PACKAGE = "vi-sdk"
OFFICIAL_VERSION = "0.1.0b7"
BENCH_EXTRAS = ["matplotlib>=3.5", "pyinstrument>=4.5"]

# The ids of the protocol's examples; nginx serves exactly these paths.
ORG = "8f2c1a2e-4b7d-4c1e-9a3f-2d5e6f7a8b9c"
DSID = "dsx9k2m7"
SECRET = "dtvi_" + "B3nchM4rkK3y" * 8 + "B3"  # 103 characters, the shape both clients validate
ASSET_PAGES = 5  # nginx's asset listing: 5 pages of 100 that chain p0 -> p1 -> ... -> p4 -> end
ASSETS_PER_PAGE = 100

INSTALL_TIMEOUT = 900


def log(message: str) -> None:
    print("[bench] " + message, file=sys.stderr, flush=True)


def run(
    cmd: List[str], *, timeout: float = INSTALL_TIMEOUT, env: Optional[Dict[str, str]] = None, what: str = ""
) -> str:
    try:
        done = subprocess.run(
            cmd, capture_output=True, text=True, timeout=timeout, env=env, stdin=subprocess.DEVNULL
        )
    except subprocess.TimeoutExpired:
        raise RuntimeError("%s timed out after %ss: %s" % (what or cmd[0], timeout, cmd)) from None
    if done.returncode != 0:
        raise RuntimeError(
            "%s failed (exit %d): %s\n%s\n%s"
            % (what or cmd[0], done.returncode, " ".join(cmd), done.stdout[-3000:], done.stderr[-3000:])
        )
    return done.stdout


def clean_env(**extra: str) -> Dict[str, str]:
    """The environment minus anything that could point a python at this repository (or a venv)."""
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("PYTHON", "DATATURE_VI_", "VI_", "PIP_REQUIRE_VIRTUALENV"))
        and k not in ("VIRTUAL_ENV", "__PYVENV_LAUNCHER__", "CONDA_PREFIX", "TOX_ENV_DIR")
    }
    env.update(extra)
    return env


def venv_python(venv: Path) -> Path:
    return venv / ("Scripts/python.exe" if os.name == "nt" else "bin/python")


def _create_venv(venv: Path, packages: List[str]) -> None:
    if venv.exists():
        shutil.rmtree(venv)
    env = clean_env(PIP_DISABLE_PIP_VERSION_CHECK="1", PIP_NO_INPUT="1")
    try:
        import virtualenv  # noqa: F401  (ships its own pip: no ensurepip needed)

        create = [sys.executable, "-m", "virtualenv", "--quiet", "--no-periodic-update", str(venv)]
    except ImportError:
        create = [sys.executable, "-m", "venv", str(venv)]
    run(create, env=env, what="creating " + venv.name)
    run(
        [str(venv_python(venv)), "-m", "pip", "install", "--quiet"] + packages,
        env=env,
        what="pip install into " + venv.name,
    )


def _usable(python: Path, check: str) -> bool:
    if not python.exists():
        return False
    try:
        run([str(python), "-I", "-c", check], timeout=120, env=clean_env(), what="checking " + str(python))
        return True
    except RuntimeError:
        return False


def _requirement_lines(section: str, key: str) -> List[str]:
    parser = configparser.ConfigParser()
    parser.read(REPO / "setup.cfg")
    raw = parser.get(section, key, fallback="")
    return [line.strip() for line in raw.splitlines() if line.strip() and not line.strip().startswith("#")]


def our_requirements() -> List[str]:
    """``install_requires`` of setup.cfg, so the bench venv matches what the package asks for."""
    return _requirement_lines("options", "install_requires")


#: The optional speed-up extra (``pip install vi-requests[fast]``), measured in its own venv.
SPEED_EXTRA = "fast"


def ensure_bench_venv(extra: Optional[str] = None) -> Path:
    """The bench venv: core dependencies only, or (``extra``) plus that extra's packages."""
    tag = "-" + extra if extra else ""
    venv = CACHE / ("venv-bench%s-py%d%d" % (tag, sys.version_info[:2][0], sys.version_info[:2][1]))
    reqs = our_requirements() + BENCH_EXTRAS
    if extra:
        reqs += _requirement_lines("options.extras_require", extra)
    marker = venv / ".complete"
    want = json.dumps(reqs)
    if (
        marker.exists()
        and marker.read_text() == want
        and _usable(
            venv_python(venv), "import requests, urllib3, marshmallow, tenacity, matplotlib, pyinstrument"
        )
    ):
        return venv_python(venv)
    log("building %s (%s) ..." % (venv.name, ", ".join(reqs)))
    _create_venv(venv, reqs)
    marker.write_text(want)
    return venv_python(venv)


def ensure_official_venv() -> Path:
    if sys.version_info < (3, 10):
        raise SystemExit(
            "%s %s needs Python >= 3.10; run the benchmarks with a newer python"
            % (OFFICIAL_PACKAGE, OFFICIAL_VERSION)
        )
    venv = CACHE / ("venv-official-%s-py%d%d" % ((OFFICIAL_VERSION,) + sys.version_info[:2]))
    marker = venv / ".complete"
    check = (
        "import importlib.metadata as m, sys, vi, msgspec; "
        "assert m.version(%r) == %r; assert vi.__file__.startswith(sys.prefix)"
        % (OFFICIAL_PACKAGE, OFFICIAL_VERSION)
    )
    if marker.exists() and _usable(venv_python(venv), check):
        return venv_python(venv)
    log("building %s (pip install %s==%s) ..." % (venv.name, OFFICIAL_PACKAGE, OFFICIAL_VERSION))
    _create_venv(venv, ["%s==%s" % (OFFICIAL_PACKAGE, OFFICIAL_VERSION)])
    if not _usable(venv_python(venv), check):
        raise RuntimeError("%s installed in %s but does not import" % (OFFICIAL_PACKAGE, venv))
    marker.write_text(OFFICIAL_VERSION)
    return venv_python(venv)


# -- nginx --------------------------------------------------------------------------------------


def find_nginx() -> Optional[str]:
    found = shutil.which("nginx")
    if found:
        return found
    for candidate in ("/usr/sbin/nginx", "/usr/local/sbin/nginx", "/usr/local/nginx/sbin/nginx"):
        if os.access(candidate, os.X_OK):
            return candidate
    return None


def ensure_nginx() -> str:
    found = find_nginx()
    if found:
        return found
    if shutil.which("apt-get") is None:
        raise SystemExit("nginx is missing and apt-get is not available: install nginx and re-run")
    env = dict(os.environ, DEBIAN_FRONTEND="noninteractive")
    errors = []
    for update_first in (False, True):
        if update_first:
            log("apt-get update ...")
            try:
                run(["apt-get", "update"], env=env, what="apt-get update")
            except RuntimeError as exc:
                errors.append(str(exc))
        for package in ("nginx-light", "nginx"):
            log("apt-get install -y %s ..." % package)
            try:
                run(
                    ["apt-get", "install", "-y", "--no-install-recommends", package],
                    env=env,
                    what="apt-get install " + package,
                )
            except RuntimeError as exc:
                errors.append(str(exc))
                continue
            found = find_nginx()
            if found:
                return found
    raise SystemExit("could not install nginx:\n" + "\n".join(e[-800:] for e in errors))


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _fixture(name: str) -> dict:
    return json.loads((FIXTURES / name).read_text(encoding="utf-8"))


def asset_items(count: int, start: int = 0) -> List[dict]:
    """``count`` distinct assets shaped like the protocol's example (ids, names, sizes vary)."""
    template = _fixture("asset-item.json")
    items = []
    for n in range(start, start + count):
        item = copy.deepcopy(template)
        asset_id = "ast-bench%06d" % n
        item["assetId"] = asset_id
        item["filename"] = "frame_%06d.jpg" % n
        item["datasetId"] = "%s_%s" % (ORG, DSID)
        item["workspaceId"] = ORG
        item["selfLink"] = "/workspaces/%s/datasets/%s_%s/assets/%s" % (ORG, ORG, DSID, asset_id)
        item["etag"] = 'W/"%x"' % (n + 1)
        meta = item["metadata"]
        meta["fileSize"] = 400000 + n * 37
        meta["timeCreated"] += n
        meta["lastUpdated"] += n
        meta["customMetadata"] = dict(meta["customMetadata"], frame=n)
        meta["customMetadataCount"] = len(meta["customMetadata"])
        for key in ("asset", "thumbnail"):
            if item.get("contents", {}).get(key):
                item["contents"][key]["url"] = item["contents"][key]["url"].replace("ast-Lq93xY01", asset_id)
        items.append(item)
    return items


def asset_page(index: int) -> dict:
    nxt = "p%d" % (index + 1) if index + 1 < ASSET_PAGES else None
    return {
        "items": asset_items(ASSETS_PER_PAGE, index * ASSETS_PER_PAGE),
        "nextPage": nxt,
        "prevPage": "p%d" % (index - 1) if index else None,
    }


def write_static_site() -> Path:
    """The JSON nginx serves, ids rewritten to ORG/DSID. Returns the document root."""
    www = CACHE / "nginx" / "www"
    (www / "assets").mkdir(parents=True, exist_ok=True)
    composite = "%s_%s" % (ORG, DSID)
    dataset = _fixture("datasets-get.json")
    dataset.update(
        datasetId=composite,
        workspaceId=ORG,
        owner=ORG,
        selfLink="/workspaces/%s/datasets/%s" % (ORG, composite),
    )
    dataset["statistic"]["assetTotal"] = ASSET_PAGES * ASSETS_PER_PAGE
    files = {
        "dataset.json": dataset,
        "datasets.json": dict(_fixture("datasets-list.json"), items=[dataset], nextPage=None),
        "org.json": dict(_fixture("organizations-get.json"), workspaceId=ORG),
        "asset.json": asset_items(1)[0],
    }
    for index in range(ASSET_PAGES):
        files["assets/p%d.json" % index] = asset_page(index)
    for name, doc in files.items():
        data = json.dumps(doc, separators=(",", ":")).encode("utf-8")
        path = www / name
        if not path.exists() or path.read_bytes() != data:
            path.write_bytes(data)
    return www


def nginx_config(port: int) -> Path:
    base = CACHE / "nginx"
    www = write_static_site()
    for sub in ("body", "proxy", "fastcgi", "uwsgi", "scgi"):
        (base / "tmp" / sub).mkdir(parents=True, exist_ok=True)
    ws = "/workspaces/" + ORG
    ds = "%s/datasets/%s_%s" % (ws, ORG, DSID)
    user = "user root;" if hasattr(os, "geteuid") and os.geteuid() == 0 else ""
    conf = """# generated by benchmarks/_env.py: protocol-shaped static JSON on 127.0.0.1
%(user)s
worker_processes 1;
daemon off;
pid %(base)s/nginx.pid;
error_log %(base)s/error.log warn;
events { worker_connections 1024; }
http {
    access_log off;
    server_tokens off;
    etag off;
    types { }
    default_type application/json;
    keepalive_requests 10000000;
    keepalive_timeout 120s;
    client_body_temp_path %(base)s/tmp/body;
    proxy_temp_path %(base)s/tmp/proxy;
    fastcgi_temp_path %(base)s/tmp/fastcgi;
    uwsgi_temp_path %(base)s/tmp/uwsgi;
    scgi_temp_path %(base)s/tmp/scgi;
    # the page token `p` picks the file; no token = first page; anything else = 404
    map $arg_p $assets_page {
        ""                 /assets/p0.json;
        "~^(?<tok>p[0-9]+)$" /assets/$tok.json;
        default            /no-such-page;
    }
    server {
        listen 127.0.0.1:%(port)d;
        root %(www)s;
        location = %(ws)s { try_files /org.json =404; }
        location = %(ws)s/datasets { try_files /datasets.json =404; }
        location = %(ds)s { try_files /dataset.json =404; }
        location = %(ds)s/assets { try_files $assets_page =404; }
        location ~ ^%(ds)s/assets/[^/]+$ { try_files /asset.json =404; }
        location / { return 404 '{"message":"not found"}'; }
    }
}
""" % {"user": user, "base": base, "www": www, "port": port, "ws": ws, "ds": ds}
    path = base / "nginx.conf"
    path.write_text(conf)
    return path
