"""Issue 6, faults: a shared client under ~30 % random transient faults, over real sockets.

The local server injects 500/502/503, dropped connections, truncated bodies, 429 with
``Retry-After: 0`` and answers slower than the read timeout, each by a seeded probabilistic rule.
Idempotent reads from 16 threads must all come back equal to a fault-free reference read, with
bounded retries; creates (POST, never retried unless the server provably did not act) must never
be duplicated; and what cannot succeed raises the documented ``ViError`` subclass with the
attempt count.
"""

import logging
import random
import re
import time
from concurrent.futures import ThreadPoolExecutor

import pytest

import vi
from vi.testing import LocalViServer

THREADS = 16
OPERATIONS = 1000
CREATES = 200
FAULT_RATE = 0.30
READ_TIMEOUT = 0.25  # seconds; the "slow" fault answers after SLOW
SLOW = 0.6
MAX_RETRIES = 12
RETRY = vi.RetryConfig(
    max_retries=MAX_RETRIES, max_rate_limit_retries=MAX_RETRIES, base_delay=0.001, max_delay=0.01
)

# (name, fault keywords); "acted" faults let the server do the work and then lose the answer.
NOT_ACTED = [
    ("500", {"status": 500}),
    ("502", {"status": 502}),
    ("503", {"status": 503}),
    ("429", {"status": 429, "retry_after": "0"}),
    ("drop", {"drop": True}),
]
ACTED = [
    ("truncate", {"truncate": True}),
    ("slow", {"latency": SLOW}),
]


def add_faults(server, method, kinds, rate=FAULT_RATE):
    """One rule per fault kind; first match wins, so each rule gets the per-rule probability
    that makes the chance of *some* fault on a request equal ``rate``."""
    per_rule = 1 - (1 - rate) ** (1.0 / len(kinds))
    return {
        name: server.faults.add(method=method, probability=per_rule, times=None, **kw) for name, kw in kinds
    }


_RETRYING = re.compile(r"Retrying .* after attempt (\d+) failed")


class RetryLog(logging.Handler):
    """Counts the requester's "Retrying ..." warnings and the highest attempt number retried."""

    def __init__(self):
        super().__init__(logging.WARNING)
        self.retries = 0
        self.max_attempt = 0
        self.messages = []

    def emit(self, record):
        # the redaction filter has already formatted the message (and dropped the args)
        match = _RETRYING.match(record.getMessage())
        if match:
            with self.lock:  # Handler.handle() holds it already; it is an RLock
                self.retries += 1
                self.messages.append(record.getMessage())
                self.max_attempt = max(self.max_attempt, int(match.group(1)))

    def __enter__(self):
        logging.getLogger("vi").addHandler(self)
        return self

    def __exit__(self, *exc):
        logging.getLogger("vi").removeHandler(self)


def wait_idle(server, timeout=10.0):
    """Let server threads still sleeping in a slow fault finish (they may still create)."""
    deadline = time.monotonic() + timeout
    while server.stats.requests_in_flight and time.monotonic() < deadline:
        time.sleep(0.02)
    assert server.stats.requests_in_flight == 0


@pytest.fixture(scope="module")
def soak_server():
    with LocalViServer() as srv:
        yield srv


def make(server, **kwargs):
    kwargs.setdefault("retry_config", RETRY)
    return vi.Client(
        secret_key=server.secret_key,
        organization_id=server.organization_id,
        endpoint=server.url,
        **kwargs,
    )


def operation_plan(client, rng):
    """OPERATIONS read operations (mixed kinds) over the seeded data, as (key, callable)."""
    datasets = list(client.datasets.list(page_size=100).all_items())
    assets = {
        d.dataset_id: [a.asset_id for a in client.assets.list(d.dataset_id, page_size=100).all_items()]
        for d in datasets[:6]
    }
    ds_ids = sorted(assets)
    kinds = ["organization", "dataset", "asset", "datasets", "assets", "assets_paged"]
    plan = []
    for _ in range(OPERATIONS):
        kind = rng.choice(kinds)
        ds = rng.choice(ds_ids)
        if kind == "organization":
            plan.append(("organization",))
        elif kind == "dataset":
            plan.append(("dataset", rng.choice(datasets).dataset_id))
        elif kind == "asset":
            plan.append(("asset", ds, rng.choice(assets[ds])))
        elif kind == "datasets":
            plan.append(("datasets",))
        elif kind == "assets":
            plan.append(("assets", ds))
        else:
            plan.append(("assets_paged", ds))
    return plan


def run(client, key):
    kind = key[0]
    if kind == "organization":
        return client.organizations.get()
    if kind == "dataset":
        return client.datasets.get(key[1])
    if kind == "asset":
        return client.assets.get(key[1], key[2])
    if kind == "datasets":
        return list(client.datasets.list(page_size=100).all_items())
    if kind == "assets":
        return client.assets.list(key[1], page_size=100).items
    return list(client.assets.list(key[1], page_size=5).all_items())  # three pages, tokens and all


def test_1000_idempotent_reads_from_16_threads_under_30_percent_faults(soak_server):
    server = soak_server
    server.reset()
    timeout = vi.Timeout(connect=5, read=READ_TIMEOUT, pool=30)
    with make(server, timeout=timeout) as client:
        plan = operation_plan(client, random.Random(6))
        reference = {key: run(client, key) for key in set(plan)}
        server.reset()
        rules = add_faults(server, "GET", NOT_ACTED + ACTED)

        def work(key):
            return key, run(client, key)

        with RetryLog() as log, ThreadPoolExecutor(THREADS) as pool:
            results = list(pool.map(work, plan))
        wait_idle(server)
        server.faults.clear()

    assert len(results) == OPERATIONS
    wrong = [key for key, result in results if result != reference[key]]
    assert wrong == []
    requests = server.stats.request_count
    hits = {name: rule.hits for name, rule in rules.items()}
    injected = sum(hits.values())
    # every kind of fault really fired, and about FAULT_RATE of all requests failed
    assert all(count > 0 for count in hits.values()), hits
    assert 0.2 < injected / requests < 0.4, (injected, requests)
    # bounded retries: one retry per injected fault (spurious read timeouts under load may add
    # a few), and no call needed more attempts than its two budgets allow
    assert injected <= log.retries <= injected + requests // 20, (log.retries, injected)
    assert log.max_attempt <= 2 * MAX_RETRIES
    print(
        "\nsoak: %d operations, %d requests, %d faults injected %s, %d retries, max attempt %d"
        % (OPERATIONS, requests, injected, hits, log.retries, log.max_attempt + 1)
    )


def posts(server):
    return len([r for r in server.stats.requests if r.method == "POST"])


def _create_all(client, names):
    def create(name):
        try:
            created = client.datasets.create(name)
        except vi.ViError as error:
            return name, error
        assert created.name == name
        return name, created

    with ThreadPoolExecutor(THREADS) as pool:
        return list(pool.map(create, names))


def _created_names(server, prefix):
    with make(server) as reader:
        names = [d.name for d in reader.datasets.list(page_size=100).all_items()]
    return [n for n in names if n.startswith(prefix)]


def test_creates_are_never_duplicated_when_the_server_did_not_act(soak_server):
    server = soak_server
    server.reset()
    rules = add_faults(server, "POST", NOT_ACTED)
    names = ["soak-a-%03d" % i for i in range(CREATES)]
    with make(server) as client, RetryLog() as log:
        outcomes = _create_all(client, names)
    wait_idle(server)
    server.faults.clear()
    succeeded = {name for name, out in outcomes if not isinstance(out, vi.ViError)}
    failed = {name: out for name, out in outcomes if isinstance(out, vi.ViError)}
    assert len(succeeded) + len(failed) == CREATES
    created = _created_names(server, "soak-a-")
    assert len(created) == len(set(created)), "a dataset was created twice"
    assert set(created) == succeeded
    assert server.stats.creates["dataset"] == len(succeeded)
    assert all(rule.hits for rule in rules.values())
    # Only a 429 (the server refused before acting) is retried for POST; a 5xx or a connection
    # dropped after the request was sent ends the call, with the attempts the 429s added.
    assert log.retries > 0 and all("Too Many Requests" in m for m in log.messages)
    assert posts(server) == CREATES + log.retries
    for error in failed.values():
        assert isinstance(error, (vi.ViServerError, vi.ViNetworkError)), repr(error)
        assert 1 <= error.attempts <= MAX_RETRIES + 1
    assert failed, "no create failed: the faults did not reach the creates"
    print(
        "\ncreates (not acted): %d ok, %d failed, %d POSTs, faults %s"
        % (len(succeeded), len(failed), server.stats.request_count, {n: r.hits for n, r in rules.items()})
    )


def test_creates_are_never_duplicated_when_the_answer_is_lost(soak_server):
    server = soak_server
    server.reset()
    rules = add_faults(server, "POST", NOT_ACTED + ACTED)
    names = ["soak-b-%03d" % i for i in range(CREATES)]
    timeout = vi.Timeout(connect=5, read=READ_TIMEOUT, pool=30)
    with make(server, timeout=timeout) as client, RetryLog() as log:
        outcomes = _create_all(client, names)
    wait_idle(server)
    server.faults.clear()
    succeeded = {name for name, out in outcomes if not isinstance(out, vi.ViError)}
    failed = {name: out for name, out in outcomes if isinstance(out, vi.ViError)}
    assert len(succeeded) + len(failed) == CREATES
    created = _created_names(server, "soak-b-")
    assert len(created) == len(set(created)), "a dataset was created twice"
    assert succeeded <= set(created)
    # A truncated or too-slow answer may hide a create that happened: the caller sees a network
    # or timeout error (never retried for POST), never a second dataset.
    for name in set(created) - succeeded:
        assert isinstance(failed[name], (vi.ViNetworkError, vi.ViTimeoutError)), repr(failed[name])
    assert server.stats.creates["dataset"] == len(created)
    assert all(rule.hits for rule in rules.values())
    assert all("Too Many Requests" in m for m in log.messages)
    assert posts(server) == CREATES + log.retries
    print(
        "\ncreates (answer lost): %d ok, %d failed (%d of them created), faults %s"
        % (len(succeeded), len(failed), len(created) - len(succeeded), {n: r.hits for n, r in rules.items()})
    )


# -- what cannot succeed ------------------------------------------------------------------------
BUDGET = vi.RetryConfig(max_retries=3, max_rate_limit_retries=4, base_delay=0.001, max_delay=0.01)


@pytest.mark.parametrize(
    "fault, error_class, attempts",
    [
        ({"status": 503}, vi.ViServerError, BUDGET.max_retries + 1),
        ({"status": 500}, vi.ViServerError, BUDGET.max_retries + 1),
        ({"status": 502}, vi.ViServerError, BUDGET.max_retries + 1),
        ({"drop": True}, vi.ViNetworkError, BUDGET.max_retries + 1),
        ({"truncate": True}, vi.ViNetworkError, BUDGET.max_retries + 1),
        ({"latency": 0.5}, vi.ViTimeoutError, BUDGET.max_retries + 1),
        ({"status": 429, "retry_after": "0"}, vi.ViRateLimitError, BUDGET.max_rate_limit_retries + 1),
    ],
    ids=["503", "500", "502", "drop", "truncate", "slow", "429"],
)
def test_permanent_fault_on_a_read_raises_documented_error_with_attempts(
    soak_server, fault, error_class, attempts
):
    server = soak_server
    server.reset()
    server.faults.add(method="GET", path=r"/workspaces/[^/]+$", times=None, **fault)
    with make(server, retry_config=BUDGET, timeout=vi.Timeout(connect=5, read=0.2)) as client:
        with pytest.raises(error_class) as info:
            client.organizations.get()
    wait_idle(server)
    server.faults.clear()
    assert info.value.attempts == attempts
    assert info.value.method == "GET" and info.value.path == "/workspaces/" + server.organization_id
    assert len([r for r in server.stats.requests if r.method == "GET"]) == attempts
    if "status" in fault:
        assert info.value.status_code == fault["status"]


@pytest.mark.parametrize(
    "fault, error_class, attempts",
    [
        ({"status": 503}, vi.ViServerError, 1),
        ({"status": 500}, vi.ViServerError, 1),
        ({"drop": True}, vi.ViNetworkError, 1),
        ({"status": 429, "retry_after": "0"}, vi.ViRateLimitError, BUDGET.max_rate_limit_retries + 1),
    ],
    ids=["503", "500", "drop", "429"],
)
def test_permanent_fault_on_a_create_raises_without_creating(soak_server, fault, error_class, attempts):
    server = soak_server
    server.reset()
    server.faults.add(method="POST", times=None, **fault)
    with make(server, retry_config=BUDGET) as client:
        with pytest.raises(error_class) as info:
            client.datasets.create("never")
    wait_idle(server)
    server.faults.clear()
    assert info.value.attempts == attempts
    assert len([r for r in server.stats.requests if r.method == "POST"]) == attempts
    assert server.stats.creates["dataset"] == 0
