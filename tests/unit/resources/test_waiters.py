"""The shared waiter (vi.waiters) and the resource-level waiters built on it, with fake clocks."""

from __future__ import annotations

import copy

import pytest

from tests.helpers.resource_fakes import ORG, FakeRequester, load_example
from vi.errors import ViInvalidParameterError, ViOperationError, ViTimeoutError
from vi.resources import Annotations, Assets, Datasets
from vi.waiters import (
    DEFAULT_POLL_INTERVAL,
    all_reached,
    condition_reached,
    describe_conditions,
    failed_condition,
    wait_until_done,
)

WS = "/workspaces/" + ORG
DS = WS + "/datasets/" + ORG + "_dsx9k2m7"


class FakeClock:
    def __init__(self):
        self.now = 100.0
        self.sleeps = []

    def clock(self):
        return self.now

    def sleep(self, seconds):
        self.sleeps.append(seconds)
        self.now += seconds


def cond(name, status, reason=None, message=None):
    c = {"condition": name, "status": status, "lastTransitionTime": 1}
    if reason:
        c["reason"] = reason
    if message:
        c["message"] = message
    return c


# -- the generic loop -------------------------------------------------------------------------
def test_returns_the_first_done_result_polling_immediately_then_backing_off_to_the_interval():
    clock = FakeClock()
    results = iter(range(1, 20))
    value = wait_until_done(
        lambda: next(results),
        done=lambda v: v == 9,
        failed=lambda v: None,
        poll_interval=2.5,
        sleep=clock.sleep,
        clock=clock.clock,
    )
    assert value == 9
    # fast first (an operation done in 0.2 s is seen after 0.3 s, not 2.5 s), then capped
    assert clock.sleeps == pytest.approx([0.1, 0.2, 0.4, 0.8, 1.6, 2.5, 2.5, 2.5])


def test_a_poll_interval_below_the_first_delay_is_used_from_the_start():
    clock = FakeClock()
    results = iter(range(1, 20))
    wait_until_done(
        lambda: next(results),
        done=lambda v: v == 4,
        failed=lambda v: None,
        poll_interval=0.02,
        sleep=clock.sleep,
        clock=clock.clock,
    )
    assert clock.sleeps == [0.02, 0.02, 0.02]


def test_failure_is_checked_before_success():
    with pytest.raises(ViOperationError) as info:
        wait_until_done(
            lambda: "x",
            done=lambda v: True,
            failed=lambda v: "it broke",
            sleep=lambda s: None,
            what="export e1",
        )
    assert "Export e1 failed: it broke" in str(info.value)
    assert info.value.details["failure"] == "it broke"


def test_timeout_raises_after_a_last_poll_at_the_deadline():
    clock = FakeClock()
    polls = []

    def poll():
        polls.append(clock.now)
        return "pending"

    with pytest.raises(ViTimeoutError) as info:
        wait_until_done(
            poll,
            done=lambda v: False,
            failed=lambda v: None,
            timeout=10,
            poll_interval=4,
            sleep=clock.sleep,
            clock=clock.clock,
            describe=lambda v: "state " + v,
        )
    assert polls == pytest.approx([100.0, 100.1, 100.3, 100.7, 101.5, 103.1, 106.3, 110.0])
    assert clock.sleeps == pytest.approx(
        [0.1, 0.2, 0.4, 0.8, 1.6, 3.2, 3.7]
    )  # the last one ends at the deadline
    assert "within 10s" in str(info.value) and "state pending" in str(info.value)
    assert info.value.details["polls"] == 8


def test_timeout_zero_polls_once():
    clock = FakeClock()
    with pytest.raises(ViTimeoutError):
        wait_until_done(
            lambda: 0,
            done=lambda v: False,
            failed=lambda v: None,
            timeout=0,
            sleep=clock.sleep,
            clock=clock.clock,
        )
    assert clock.sleeps == []


def test_no_timeout_waits_as_long_as_it_takes():
    clock = FakeClock()
    results = iter(range(1000))
    assert (
        wait_until_done(
            lambda: next(results),
            done=lambda v: v == 500,
            failed=lambda v: None,
            sleep=clock.sleep,
            clock=clock.clock,
        )
        == 500
    )
    assert len(clock.sleeps) == 500 and set(clock.sleeps[6:]) == {DEFAULT_POLL_INTERVAL}
    assert clock.sleeps[:6] == pytest.approx([0.1, 0.2, 0.4, 0.8, 1.6, DEFAULT_POLL_INTERVAL])


def test_poll_errors_propagate():
    def poll():
        raise KeyError("boom")

    with pytest.raises(KeyError):
        wait_until_done(poll, done=lambda v: True, failed=lambda v: None)


@pytest.mark.parametrize(
    "kwargs",
    [
        {"timeout": -1},
        {"timeout": "5"},
        {"timeout": True},
        {"timeout": float("inf")},
        {"poll_interval": 0},
        {"poll_interval": -2},
        {"poll_interval": None},
        {"poll_interval": float("nan")},
    ],
)
def test_bad_arguments_are_refused_before_polling(kwargs):
    polled = []
    with pytest.raises(ViInvalidParameterError):
        wait_until_done(lambda: polled.append(1), done=lambda v: True, failed=lambda v: None, **kwargs)
    assert polled == []


def test_default_poll_interval_is_sane_for_a_real_service():
    assert 2 <= DEFAULT_POLL_INTERVAL <= 5


# -- condition predicates ---------------------------------------------------------------------
def test_condition_predicates():
    assert not all_reached([])
    assert not all_reached(None)
    assert all_reached([cond("Started", "Reached"), cond("Finished", "Reached")])
    assert not all_reached([cond("Started", "Reached"), cond("Finished", "Waiting")])
    assert condition_reached([cond("Started", "Waiting"), cond("Finished", "Reached")], "Finished")
    assert not condition_reached([cond("Started", "Reached")], "Finished")
    assert failed_condition([cond("Started", "Reached")]) is None
    text = failed_condition([cond("Started", "Reached"), cond("Finished", "FailedReach", "Quota", "no room")])
    assert text == "condition 'Finished' did not reach (FailedReach), reason: Quota, message: no room"
    assert describe_conditions([]) == "no conditions yet"
    assert describe_conditions([cond("A", "Waiting")]) == "A=Waiting"


# -- resource-level waiters -------------------------------------------------------------------
def with_conditions(example, conditions):
    body = copy.deepcopy(load_example(example))
    body["status"]["conditions"] = conditions
    return body


def fake_resource(cls, *responses):
    fake = FakeRequester(*responses)
    resource = cls(fake)
    clock = FakeClock()
    resource._sleep = clock.sleep
    resource._clock = clock.clock
    return fake, resource, clock


PENDING = [cond("Started", "Reached"), cond("Finished", "Waiting")]
DONE = [cond("Started", "Reached"), cond("Finished", "Reached")]
FAILED = [cond("Started", "Reached"), cond("Finished", "FailedReach", "ExportFailed", "disk full")]


def test_wait_for_export_success():
    fake, datasets, clock = fake_resource(
        Datasets,
        with_conditions("datasets-get-export", PENDING),
        with_conditions("datasets-get-export", []),
        load_example("datasets-get-export"),
    )
    export = datasets.wait_for_export("dsx9k2m7", "exp-5Hq8Zt2W", poll_interval=0.5)
    assert export.status.download_url is not None
    assert fake.paths == [DS + "/datasetExports/exp-5Hq8Zt2W"] * 3
    assert clock.sleeps == [0.1, 0.2]  # the empty condition list did not count as done


def test_wait_for_export_failure_names_the_condition():
    fake, datasets, _ = fake_resource(Datasets, with_conditions("datasets-get-export", FAILED))
    with pytest.raises(ViOperationError) as info:
        datasets.wait_for_export("dsx9k2m7", "exp-5Hq8Zt2W")
    text = str(info.value)
    assert "'Finished'" in text and "ExportFailed" in text and "disk full" in text


def test_wait_for_export_timeout():
    pending = with_conditions("datasets-get-export", PENDING)
    fake, datasets, clock = fake_resource(Datasets, *([pending] * 7))
    with pytest.raises(ViTimeoutError) as info:
        datasets.wait_for_export("dsx9k2m7", "exp-5Hq8Zt2W", timeout=3, poll_interval=1)
    assert len(fake.calls) == 7  # at 0, 0.1, 0.3, 0.7, 1.5, 2.5 and the deadline, 3 s
    assert "Started=Reached, Finished=Waiting" in str(info.value)


def test_wait_for_deletion():
    fake, datasets, _ = fake_resource(
        Datasets, with_conditions("datasets-delete", PENDING), with_conditions("datasets-delete", DONE)
    )
    assert datasets.wait_for_deletion("dsx9k2m7", poll_interval=1).dataset_id == "dsx9k2m7"
    assert fake.paths == [DS + "/deleteOperation"] * 2


def test_generic_datasets_wait_until_done_like_the_official_client():
    fake, datasets, _ = fake_resource(
        Datasets, with_conditions("datasets-get-export", PENDING), load_example("datasets-get-export")
    )
    export = datasets.wait_until_done(datasets.get_export, "dsx9k2m7", "exp-5Hq8Zt2W", poll_interval=1)
    assert export.dataset_export_id == "exp-5Hq8Zt2W"


def test_bulk_delete_blocks_until_done_and_fails_on_failed_reach():
    created = with_conditions("datasets-bulk-delete-assets", PENDING)
    fake, datasets, clock = fake_resource(
        Datasets,
        created,
        with_conditions("datasets-bulk-delete-assets", PENDING),
        load_example("datasets-bulk-delete-assets"),
    )
    session = datasets.bulk_delete_assets("dsx9k2m7", "status=none", poll_interval=2)
    assert session.status.conditions[-1].status == "Reached"
    assert [c[0] for c in fake.calls] == ["POST", "GET", "GET"]
    assert clock.sleeps == [0.1]

    fake, datasets, _ = fake_resource(
        Datasets, created, with_conditions("datasets-bulk-delete-assets", FAILED)
    )
    with pytest.raises(ViOperationError):
        datasets.bulk_delete_assets("dsx9k2m7", "status=none")


def test_bulk_delete_checks_waiter_arguments_before_deleting():
    fake, datasets, _ = fake_resource(Datasets)
    with pytest.raises(ViInvalidParameterError):
        datasets.bulk_delete_assets("dsx9k2m7", "x", timeout=-1)
    with pytest.raises(ViInvalidParameterError):
        datasets.bulk_delete_assets("dsx9k2m7", "x", wait="no")
    assert fake.calls == []


def test_bulk_delete_timeout():
    pending = with_conditions("datasets-bulk-delete-assets", PENDING)
    fake, datasets, _ = fake_resource(Datasets, *([pending] * 6))
    with pytest.raises(ViTimeoutError):
        datasets.bulk_delete_assets("dsx9k2m7", "x", timeout=1, poll_interval=1)


def test_asset_ingestion_completes_on_finished_reached_even_if_others_wait():
    only_finished = [cond("Started", "Waiting"), cond("Finished", "Reached")]
    fake, assets, _ = fake_resource(
        Assets,
        with_conditions("assets-get-ingestion-session", PENDING),
        with_conditions("assets-get-ingestion-session", only_finished),
    )
    session = assets.wait_until_done("dsx9k2m7", "ais-8XcV2n", poll_interval=1)
    assert session.status.progress_count.errored == 1
    src = DS + "/assetSources/managed/datature/default/assetIngestionSessions/ais-8XcV2n"
    assert fake.paths == [src, src]


def test_asset_ingestion_failure_and_timeout():
    fake, assets, _ = fake_resource(Assets, with_conditions("assets-get-ingestion-session", FAILED))
    with pytest.raises(ViOperationError):
        assets.wait_until_done("dsx9k2m7", "ais-8XcV2n")
    all_but_finished = with_conditions("assets-get-ingestion-session", [cond("Started", "Reached")])
    fake, assets, _ = fake_resource(Assets, *([all_but_finished] * 6))
    with pytest.raises(ViTimeoutError):
        assets.wait_until_done("dsx9k2m7", "ais-8XcV2n", timeout=2, poll_interval=1)


def test_annotation_import_needs_every_condition_reached():
    partial = [cond("FilesInserted", "Reached"), cond("Complete", "Waiting")]
    fake, annotations, _ = fake_resource(
        Annotations,
        with_conditions("annotations-get-import-session", partial),
        load_example("annotations-get-import-session"),
    )
    session = annotations.wait_until_done("dsx9k2m7", "anis-4Gk2", poll_interval=1)
    assert session.status.annotations.status_count == {"Inserted": 118, "Rejected": 2}
    assert len(fake.calls) == 2


def test_annotation_import_failure():
    failed = [cond("FilesInserted", "FailedReach", "UserUploadErrored")]
    fake, annotations, _ = fake_resource(
        Annotations, with_conditions("annotations-get-import-session", failed)
    )
    with pytest.raises(ViOperationError) as info:
        annotations.wait_until_done("dsx9k2m7", "anis-4Gk2")
    assert "UserUploadErrored" in str(info.value)


@pytest.mark.parametrize(
    "call",
    [
        lambda d, a, n: d.wait_for_export("../x", "e"),
        lambda d, a, n: d.wait_for_export("ds", "e/1"),
        lambda d, a, n: d.wait_for_export("ds", "e", timeout=-1),
        lambda d, a, n: d.wait_for_export("ds", "e", poll_interval=0),
        lambda d, a, n: d.wait_for_deletion("a b"),
        lambda d, a, n: d.wait_for_bulk_asset_deletion("ds", ""),
        lambda d, a, n: d.wait_until_done("not callable"),
        lambda d, a, n: a.wait_until_done("ds", "s?x"),
        lambda d, a, n: a.wait_until_done("ds", "s", source="a/b"),
        lambda d, a, n: a.wait_until_done("ds", "s", timeout="1"),
        lambda d, a, n: n.wait_until_done("ds", None),
    ],
)
def test_waiters_validate_before_io(call):
    fake = FakeRequester()
    with pytest.raises(ViInvalidParameterError):
        call(Datasets(fake), Assets(fake), Annotations(fake))
    assert fake.calls == []
