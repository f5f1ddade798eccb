"""Every code sample of the resource-management guide, run as written against the local server.

The guide (``tests/seed/resource-management.md``, a verbatim copy of the seed document) is the
client's documented life cycle. Each sample below is executed unmodified; the test then checks
what the guide's text says about it. The samples use placeholder credentials (``"..."``,
``"your-secret-key"``), so the local server is told to accept those, and the endpoint comes from
``DATATURE_VI_API_ENDPOINT`` exactly as it would for a user.

Samples lean on a few names the guide leaves to the reader: ``concurrent`` (never imported),
``dataset_ids``, ``process``, ``make_request`` and, in one loop, ``asset``. The namespace gives
them their obvious meaning; nothing else is added.
"""

import concurrent.futures
import contextlib
import gc
import io
import re
import time
import warnings
from pathlib import Path

import pytest

import vi
from tests.helpers import REPO_ROOT
from vi.pagination import Page
from vi.testing import LocalViServer

GUIDE = Path(__file__).parent / "seed" / "resource-management.md"
SAMPLES = re.findall(r"```python\n(.*?)```", GUIDE.read_text(encoding="utf-8"), re.S)


def test_the_guide_copy_is_verbatim():
    shared = REPO_ROOT.parent / "shared" / "seed" / "resource-management.md"
    if not shared.exists():
        pytest.skip("the shared seed folder is not beside this checkout")
    assert shared.read_text(encoding="utf-8") == GUIDE.read_text(encoding="utf-8")
    assert len(SAMPLES) == 25


@pytest.fixture(scope="module")
def guide_server():
    # One small dataset, so the guide's loop over datasets can use one ``asset`` for all of them.
    with LocalViServer(datasets=1, assets_per_dataset=3, annotations_per_asset=2, runs=2) as server:
        server.add_credentials("...", "...")
        server.add_credentials("your-secret-key", "your-org-id")
        yield server


@pytest.fixture
def run(guide_server, monkeypatch):
    monkeypatch.setenv("DATATURE_VI_API_ENDPOINT", guide_server.url)
    helper = vi.Client(secret_key="...", organization_id="...", endpoint=guide_server.url)
    dataset_ids = [d.dataset_id for d in helper.datasets]
    asset = helper.assets.list(dataset_ids[0]).items[0]
    processed = []
    shared_default = vi.Client(secret_key="...", organization_id="...")

    def make_request(client=shared_default):
        return client.datasets.list()

    def execute(index, extra=None):
        namespace = {
            "vi": vi,
            "concurrent": concurrent,
            "dataset_ids": dataset_ids,
            "process": processed.append,
            "make_request": make_request,
            "asset": asset,
        }
        namespace.update(extra or {})
        out = io.StringIO()
        guide_server.stats.reset()
        with contextlib.redirect_stdout(out):
            exec(compile(SAMPLES[index], "resource-management.md[%d]" % index, "exec"), namespace)
        namespace["__stdout__"] = out.getvalue()
        return namespace

    execute.processed = processed
    execute.dataset_ids = dataset_ids
    execute.server = guide_server
    yield execute
    helper.close()
    shared_default.close()


def closed_with_datasets(ns):
    assert ns["client"].is_closed
    assert isinstance(ns["datasets"], Page) and len(ns["datasets"]) >= 1


def test_basic_usage_context_manager(run):
    ns = run(0)  # secret_key="your-secret-key", organization_id="your-org-id"
    closed_with_datasets(ns)


def test_manual_cleanup(run):
    closed_with_datasets(run(1))


def test_client_states(run):
    assert run(2)["__stdout__"] == "False\nTrue\n"


def test_idempotent_close(run):
    assert run(3)["client"].is_closed


def test_closed_client_in_context_manager(run):
    assert run(4)["__stdout__"] == "Cannot use closed client in context manager\n"


def test_exception_handling_closes_client(run, guide_server, monkeypatch):
    assert run(5)["__stdout__"] == ""  # the organization has datasets: nothing raised
    with LocalViServer(seed=False) as empty:
        empty.add_credentials("...", "...", seed=False)
        monkeypatch.setenv("DATATURE_VI_API_ENDPOINT", empty.url)
        ns = run(5)
        assert ns["__stdout__"] == "No datasets found\n"
        assert ns["client"].is_closed  # "Client is still properly closed"
        assert empty.stats.connections_open == 0 or _eventually(lambda: empty.stats.connections_open == 0)


def test_connection_pool_configuration(run):
    ns = run(6)
    closed_with_datasets(ns)
    assert ns["client"].config.max_connections == 200
    assert ns["client"].config.max_keepalive_connections == 50


def test_do_use_context_managers(run):
    closed_with_datasets(run(7))


def test_do_use_try_finally(run):
    closed_with_datasets(run(8))


def test_do_create_new_client_per_session(run):
    ns = run(9)
    assert len(ns["process_data"]()) >= 1


def test_dont_reuse_closed_clients(run):
    with pytest.raises(RuntimeError) as info:
        run(10)
    assert isinstance(info.value, vi.ViClientClosedError)


def test_dont_forget_to_close_warns(run):
    ns = run(11)
    client = ns.pop("client")
    assert not client.is_closed and len(ns["datasets"]) >= 1
    ns.clear()
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        del client
        gc.collect()
    assert any(issubclass(w.category, ResourceWarning) for w in caught)


def test_dont_store_client_globally(run):
    ns = run(12)
    assert len(ns["my_function"]()) >= 1  # the "better" version: a client per call
    ns["GLOBAL_CLIENT"].close()


def test_multiple_operations_share_one_pool(run):
    ns = run(13)
    assert ns["client"].is_closed
    assert len(ns["annotations"]) >= 1 and len(ns["runs"]) >= 1
    assert run.server.stats.connections_opened == 1  # "All operations share same connection pool"


def test_nested_context_managers(run):
    ns = run(14)
    assert ns["client1"].is_closed and ns["client2"].is_closed
    assert len(ns["datasets1"]) == len(ns["datasets2"]) >= 1


def test_custom_logging_shows_the_life_cycle(run):
    err = io.StringIO()
    with contextlib.redirect_stderr(err):
        import logging

        # StreamHandler binds sys.stderr when built, inside the sample, so the redirect applies.
        ns = run(15)
    text = err.getvalue()
    assert ns["client"].is_closed
    for expected in ("Client initialized", "Connection pool", "HTTP request GET", "Client closed"):
        assert expected in text, expected
    assert "Bearer" not in text
    logger = logging.getLogger("vi")
    vi.logging.configure_logging(vi.logging.LoggingConfig(level=vi.logging.LogLevel.WARNING))
    assert not [h for h in logger.handlers if getattr(h, "_vi_owned", False)]


def test_connection_reuse(run):
    ns = run(16)
    assert ns["client"].is_closed and len(ns["annotations"]) >= 1
    assert run.server.stats.request_count == 3
    assert run.server.stats.connections_opened == 1  # "Subsequent requests reuse connection"


def test_short_lived_clients(run):
    ns = run(17)
    assert ns["process_dataset"](run.dataset_ids[0]).dataset_id == run.dataset_ids[0]
    assert run.server.stats.connections_opened == len(run.dataset_ids) + 1


def test_long_lived_client(run):
    ns = run(18)
    assert ns["client"].is_closed
    assert [d.dataset_id for d in run.processed] == run.dataset_ids
    assert run.server.stats.connections_opened == 1


def test_troubleshooting_closed_client(run):
    with pytest.raises(RuntimeError):
        run(19)


def test_troubleshooting_solution(run):
    ns = run(20)
    assert len(ns["datasets"]) >= 1
    ns["client"].close()


def _eventually(predicate, seconds=5.0):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if predicate():
            return True
        gc.collect()
        time.sleep(0.02)
    return predicate()


def test_resource_leak_problem_is_caught_by_gc(run):
    baseline = run.server.stats.connections_open  # the fixture's own helper client
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        ns = run(21)
        ns.clear()
        gc.collect()
    leaks = [w for w in caught if issubclass(w.category, ResourceWarning) and "vi.Client" in str(w.message)]
    assert len(leaks) >= 999  # every abandoned client was reported ...
    assert _eventually(lambda: run.server.stats.connections_open <= baseline)  # ... and freed its socket


def test_resource_leak_solution(run):
    baseline = run.server.stats.connections_open
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        run(22)
        gc.collect()
    assert not [
        w for w in caught if issubclass(w.category, ResourceWarning) and "vi.Client" in str(w.message)
    ]
    assert run.server.stats.request_count == 1000
    assert _eventually(lambda: run.server.stats.connections_open <= baseline)


def test_pool_exhaustion_problem_waits_instead_of_failing(run):
    ns = run(23)
    results = [f.result(timeout=60) for f in ns["futures"]]
    assert len(results) == 200 and all(len(page) >= 1 for page in results)
    assert run.server.stats.max_connections_open <= 100  # the default max_connections


def test_pool_exhaustion_solution(run):
    ns = run(24)
    assert ns["client"].is_closed
    assert all(len(f.result(timeout=60)) >= 1 for f in ns["futures"])


def test_every_sample_is_covered():
    source = Path(__file__).read_text(encoding="utf-8")
    indices = {int(m) for m in re.findall(r"\brun\((\d+)", source)}
    assert indices == set(range(len(SAMPLES)))
