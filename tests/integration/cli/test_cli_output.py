"""Every output format, parsed back and compared with what the SDK returns for the same call."""

import csv
import io
import json
import os
import pty
import re
import subprocess

import pytest

from vi.cli import columns


def _plain(value):
    return "" if value is None else str(value)


def _dig(record, path):
    for part in path.split("."):
        record = record.get(part) if isinstance(record, dict) else None
    return record


def _table(text):
    lines = text.splitlines()
    header = re.split(r"\s{2,}", lines[0].strip())
    starts = [lines[0].index(name) for name in header]
    rows = []
    for line in lines[1:]:
        cells = [line[a:b].strip() for a, b in zip(starts, starts[1:] + [None])]
        rows.append(dict(zip(header, cells)))
    return header, rows


@pytest.fixture
def dataset_id(client):
    return client.datasets.list().items[0].dataset_id


def test_datasets_list_in_all_four_formats_matches_the_sdk(cli, client):
    expected = [d.to_dict() for d in client.datasets.list().all_items()]
    # json and jsonl carry every attribute under the SDK's names
    assert json.loads(cli.ok("datasets", "list", "-o", "json").stdout) == expected
    assert cli.jsonl("datasets", "list", "--page-size", "2") == expected
    # csv and table carry the documented columns, in order
    rows = list(csv.DictReader(io.StringIO(cli.ok("datasets", "list", "-o", "csv").stdout)))
    assert list(rows[0]) == list(columns.DATASET)
    assert rows == [{c: _plain(_dig(d, c)) for c in columns.DATASET} for d in expected]
    header, rows = _table(cli.ok("datasets", "list", "-o", "table").stdout)
    assert header == list(columns.DATASET)
    assert rows == [{c: _plain(_dig(d, c)) for c in columns.DATASET} for d in expected]


def test_assets_list_with_filters_matches_the_sdk(cli, client, dataset_id):
    sdk = client.assets.list(
        dataset_id, sort_by={"criterion": "filename", "order": "desc"}, metadata_query="camera:DJI-M3"
    )
    expected = [a.to_dict() for a in sdk.all_items()]
    assert expected, "the filter should match some demo assets"
    args = ("assets", "list", dataset_id, "--sort-by", "filename", "--order", "desc", "--metadata-query")
    assert cli.jsonl(*args, "camera:DJI-M3", "--page-size", "3") == expected
    text = cli.ok(
        *args, "camera:DJI-M3", "-o", "csv", "--columns", "asset_id,filename,metadata.file_size"
    ).stdout
    assert list(csv.reader(io.StringIO(text))) == [["asset_id", "filename", "metadata.file_size"]] + [
        [a["asset_id"], a["filename"], str(a["metadata"]["file_size"])] for a in expected
    ]
    limited = cli.jsonl("assets", "list", dataset_id, "--limit", "5", "--page-size", "2")
    assert [a["asset_id"] for a in limited] == [
        a.asset_id for a in client.assets.list(dataset_id).all_items(5)
    ]


def test_organizations_runs_models_and_exports_listings(cli, client, dataset_id):
    assert cli.jsonl("organizations", "list") == [
        o.to_dict() for o in client.organizations.list().all_items()
    ]
    runs = [r.to_dict() for r in client.runs.list().all_items()]
    rows = list(csv.DictReader(io.StringIO(cli.ok("runs", "list", "-o", "csv").stdout)))
    assert rows == [{c: _plain(_dig(r, c)) for c in columns.RUN} for r in runs]
    run_id = runs[0]["run_id"]
    models = [m.to_dict() for m in client.models.list(run_id).all_items()]
    header, rows = _table(cli.ok("models", "list", run_id, "-o", "table").stdout)
    assert rows == [{c: _plain(_dig(m, c)) for c in columns.MODEL} for m in models]
    export = client.datasets.create_export(dataset_id)
    client.datasets.wait_for_export(dataset_id, export.dataset_export_id, poll_interval=0.05)

    def unsigned(items):  # download URLs are signed afresh (new expiry) on every read
        for item in items:
            item["status"]["download_url"] = bool(item["status"]["download_url"])
        return items

    exports = unsigned([e.to_dict() for e in client.datasets.list_exports(dataset_id).all_items()])
    assert unsigned(json.loads(cli.ok("exports", "list", dataset_id, "-o", "json").stdout)) == exports


def test_single_records_in_each_format(cli, client, dataset_id):
    dataset = client.datasets.get(dataset_id).to_dict()
    assert json.loads(cli.ok("datasets", "get", dataset_id, "-o", "json").stdout) == dataset
    organization = client.organizations.get().to_dict()
    rows = list(csv.DictReader(io.StringIO(cli.ok("organizations", "get", "-o", "csv").stdout)))
    assert rows == [{c: _plain(_dig(organization, c)) for c in columns.ORGANIZATION}]
    run = client.runs.list().items[0].to_dict()
    text = cli.ok("runs", "get", run["run_id"], "-o", "table").stdout
    assert dict(line.split(None, 1) for line in text.splitlines()) == {
        c: _plain(_dig(run, c)) for c in columns.RUN
    }


def test_default_output_is_jsonl_when_piped_and_a_table_on_a_terminal(cli, client):
    piped = cli.ok("datasets", "list").stdout.splitlines()
    assert [json.loads(line)["dataset_id"] for line in piped] == [d.dataset_id for d in client.datasets]
    main, replica = pty.openpty()
    try:
        done = subprocess.run(
            cli.argv("datasets", "list"),
            env=cli.environment(),
            stdout=replica,
            stderr=subprocess.PIPE,
            timeout=60,
        )
        os.close(replica)
        replica = None
        chunks = []
        while True:
            try:
                chunk = os.read(main, 65536)
            except OSError:
                break
            if not chunk:
                break
            chunks.append(chunk)
    finally:
        if replica is not None:
            os.close(replica)
        os.close(main)
    assert done.returncode == 0
    lines = b"".join(chunks).decode().splitlines()
    assert lines[0].split() == list(columns.DATASET)
    assert len(lines) == 1 + len(piped)


def test_piping_into_head_prints_at_once_and_exits_cleanly(cli, server, client):
    dataset_id = client.datasets.create("many assets").dataset_id
    server.store.add_assets(server.organization_id, "%s_%s" % (server.organization_id, dataset_id), 3000)
    server.stats.reset()
    command = " ".join(cli.argv("assets", "list", dataset_id, "--page-size", "10")) + " | head -n 3"
    done = subprocess.run(
        ["bash", "-o", "pipefail", "-c", command],
        env=cli.environment(),
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr  # pipefail: the CLI itself exited 0
    assert done.stderr == ""  # no BrokenPipeError traceback, no message
    assert len(done.stdout.splitlines()) == 3
    listed = [r for r in server.stats.requests if r.path.endswith("/assets") and r.method == "GET"]
    assert len(listed) < 30, "the CLI kept listing after head exited (%d of 300 pages)" % len(listed)
