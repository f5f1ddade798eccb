"""An annotation import reports what the service did with the lines: inserted and rejected counts,
and a result that is not ``ok`` when lines were rejected, even though every file arrived."""

import pytest

import vi
from vi.errors import ViUploadError
from vi.testing import LocalViServer


@pytest.fixture
def client():
    with LocalViServer(operation_delay=0.0) as server:
        with vi.Client(
            secret_key=server.secret_key, organization_id=server.organization_id, endpoint=server.url
        ) as c:
            yield c


def garbage(tmp_path):
    path = tmp_path / "bad.jsonl"
    path.write_text("this is not an annotation line\n[1, 2, 3]\n")
    return str(path)


def test_rejected_lines_are_counted_and_the_result_is_not_ok(client, tmp_path):
    dataset_id = client.datasets.list().items[0].dataset_id
    result = client.annotations.upload(
        dataset_id, garbage(tmp_path), failure_policies={"on_bad_annotation": "Warn"}, poll_interval=0.01
    )
    assert result.succeeded == ["bad.jsonl"] and result.failed == {}  # the file itself arrived
    assert result.rejected == 2 and result.inserted == 0
    assert not result.ok
    assert "0 annotation(s) inserted, 2 line(s) rejected" in result.summary()


def test_raise_on_failure_raises_for_rejected_lines(client, tmp_path):
    dataset_id = client.datasets.list().items[0].dataset_id
    with pytest.raises(ViUploadError, match="rejected 2 line"):
        client.annotations.upload(
            dataset_id,
            garbage(tmp_path),
            failure_policies={"on_bad_annotation": "Warn"},
            poll_interval=0.01,
            raise_on_failure=True,
        )


def test_counts_are_unknown_without_waiting(client, tmp_path):
    dataset_id = client.datasets.list().items[0].dataset_id
    result = client.annotations.upload(dataset_id, garbage(tmp_path), wait=False)
    assert result.inserted is None and result.rejected is None and not result.confirmed
