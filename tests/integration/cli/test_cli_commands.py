"""Every command end to end in a subprocess, its effect checked through the SDK."""

import json
import os
import signal
import stat
import subprocess
import sys
import time

import pytest

from tests.helpers.cli import ROOT, make_images


def test_configure_writes_an_owner_only_profile_and_never_prints_the_secret(cli, server, tmp_path):
    path = cli.home / ".datature" / "vi" / "config.json"
    env = {"DATATURE_VI_API_ENDPOINT": server.url}
    done = cli.ok(
        "configure",
        "--organization-id",
        server.organization_id,
        "--secret-key-stdin",
        input=server.secret_key + "\n",
        credentials=False,
        env=env,
    )
    assert server.secret_key not in done.stdout + done.stderr
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    assert stat.S_IMODE(os.stat(path.parent).st_mode) == 0o700
    assert json.loads(path.read_text()) == {
        "secret_key": server.secret_key,
        "organization_id": server.organization_id,
    }
    # a second organization as a named profile, chosen by --profile or DATATURE_VI_PROFILE
    server.add_credentials("key-second-organization", "org-second")
    cli.ok(
        "configure",
        "--profile",
        "second",
        "--organization-id",
        "org-second",
        "--secret-key-stdin",
        input="key-second-organization\n",
        credentials=False,
        env=env,
    )
    assert sorted(os.listdir(path.parent)) == ["config.json"]  # the atomic write left no temp file
    first = json.loads(cli.ok("whoami", "-o", "json", credentials=False, env=env).stdout)
    second = json.loads(
        cli.ok("--profile", "second", "whoami", "-o", "json", credentials=False, env=env).stdout
    )
    by_env = json.loads(
        cli.ok("whoami", "-o", "json", credentials=False, env=dict(env, DATATURE_VI_PROFILE="second")).stdout
    )
    assert (first["organization_id"], first["profile"]) == (server.organization_id, "default")
    assert (second["organization_id"], second["profile"]) == ("org-second", "second")
    assert by_env == second
    assert "key-second" not in json.dumps(second) and server.secret_key not in json.dumps(first)
    # flags beat the environment, which beats the file (the SDK's precedence)
    over = cli.ok(
        "whoami",
        "-o",
        "json",
        "--organization-id",
        "org-second",
        "--secret-key",
        "key-second-organization",
        credentials=False,
        env=env,
    )
    assert json.loads(over.stdout)["organization_id"] == "org-second"
    assert json.loads(over.stdout)["secret_key"] == "from argument"


def test_configure_without_a_secret_when_not_at_a_terminal_is_a_usage_error(cli):
    done = cli("configure", "--organization-id", "org", credentials=False, input="")
    assert done.returncode == 2 and "--secret-key-stdin" in done.stderr
    assert not (cli.home / ".datature").exists()


def test_doctor_and_whoami_report_a_working_setup(cli, server):
    done = cli.ok("doctor")
    assert "FAIL" not in done.stdout and "secret key was accepted" in done.stdout
    assert server.secret_key not in done.stdout + done.stderr
    me = json.loads(cli.ok("whoami", "-o", "json").stdout)
    assert (
        me["organization_id"] == server.organization_id and me["secret_key"] == "from DATATURE_VI_SECRET_KEY"
    )


def test_datasets_create_get_delete(cli, client):
    created = json.loads(cli.ok("datasets", "create", "from the shell", "--type", "vqa", "-o", "json").stdout)
    sdk = client.datasets.get(created["dataset_id"])
    assert (sdk.name, sdk.type) == ("from the shell", "vqa")
    assert json.loads(cli.ok("datasets", "get", sdk.dataset_id, "-o", "json").stdout) == sdk.to_dict()
    refused = cli("datasets", "delete", sdk.dataset_id)  # no terminal, no --yes
    assert refused.returncode == 2 and "--yes" in refused.stderr
    deleted = cli.ok("datasets", "delete", sdk.dataset_id, "--yes", "--wait", "-o", "json")
    assert json.loads(deleted.stdout)["dataset_id"] == sdk.dataset_id
    assert sdk.dataset_id not in [d.dataset_id for d in client.datasets]


def test_upload_download_export_and_annotations_round_trip(cli, client, tmp_path):
    dataset_id = client.datasets.create("etl").dataset_id
    folder = make_images(tmp_path / "photos", 5)
    rows = cli.jsonl("assets", "upload", dataset_id, folder, "--poll-interval", "0.05")
    assert sorted((r["name"], r["status"]) for r in rows) == [
        ("img%03d.jpg" % i, "uploaded") for i in range(5)
    ]
    assert sorted(a.filename for a in client.assets.list(dataset_id).all_items()) == sorted(
        os.listdir(folder)
    )
    # assets download: every file, byte for byte
    out = tmp_path / "out"
    rows = cli.jsonl("assets", "download", dataset_id, "--to", out)
    assert sorted(r["status"] for r in rows) == ["downloaded"] * 5
    for name in os.listdir(folder):
        assert (out / dataset_id / name).read_bytes() == (folder / name).read_bytes()
    # exports: create --wait, wait, download
    export = json.loads(
        cli.ok(
            "exports",
            "create",
            dataset_id,
            "--split-ratio",
            "0.6",
            "--wait",
            "--poll-interval",
            "0.05",
            "-o",
            "json",
        ).stdout
    )
    spec = client.datasets.get_export(dataset_id, export["dataset_export_id"]).spec
    assert (spec.format, spec.options.split_ratio) == ("ViFull", 0.6)
    waited = json.loads(
        cli.ok("exports", "wait", dataset_id, export["dataset_export_id"], "-o", "json").stdout
    )
    assert all(c["status"] == "Reached" for c in waited["status"]["conditions"])
    got = json.loads(
        cli.ok(
            "exports",
            "download",
            dataset_id,
            "--export-id",
            export["dataset_export_id"],
            "--to",
            tmp_path / "exports",
            "-o",
            "json",
        ).stdout
    )
    assert got["export_id"] == export["dataset_export_id"] and sum(got["asset_count"].values()) == 5
    assert os.path.isdir(got["save_path"])
    # annotations: import a file, export in a format
    asset = client.assets.list(dataset_id).items[0]
    line = {  # one line of the public Vi JSONL format
        "id": 1,
        "asset": {"type": "Image", "filename": asset.filename, "width": 8, "height": 8},
        "contents": {"type": "PhraseGrounding", "caption": "a shelf", "groundedPhrases": []},
    }
    labels = tmp_path / "labels.jsonl"
    labels.write_text(json.dumps(line) + "\n")
    rows = cli.jsonl("annotations", "import", dataset_id, labels, "--poll-interval", "0.05")
    assert rows == [{"name": "labels.jsonl", "status": "imported", "reason": None}]
    got = json.loads(
        cli.ok(
            "annotations",
            "export",
            dataset_id,
            "--format",
            "ViJsonl",
            "--to",
            tmp_path / "ann",
            "--poll-interval",
            "0.05",
            "-o",
            "json",
        ).stdout
    )
    assert got["dataset_id"] == dataset_id and os.path.isdir(got["save_path"])


def test_models_download(cli, client, tmp_path):
    run_id = client.runs.list().items[0].run_id
    got = json.loads(cli.ok("models", "download", run_id, "--to", tmp_path, "-o", "json").stdout)
    sdk = client.models.get(run_id)
    assert got["model_id"] == sdk.model_id and os.path.isdir(got["model_path"])


def test_progress_bar_only_on_a_terminal(cli, client, tmp_path):
    import pty

    dataset_id = client.datasets.create("progress").dataset_id
    folder = make_images(tmp_path / "p", 3)
    piped = cli.ok("assets", "upload", dataset_id, folder, "--no-resume", "--poll-interval", "0.05")
    assert "\r" not in piped.stderr and "[" not in piped.stderr
    main, replica = pty.openpty()
    try:
        done = subprocess.run(
            cli.argv("assets", "upload", dataset_id, folder, "--no-resume", "--poll-interval", "0.05"),
            env=cli.environment(),
            stdout=subprocess.PIPE,
            stderr=replica,
            timeout=120,
        )
        os.close(replica)
        replica = None
        seen = b""
        while True:
            try:
                chunk = os.read(main, 65536)
            except OSError:
                break
            if not chunk:
                break
            seen += chunk
    finally:
        if replica is not None:
            os.close(replica)
        os.close(main)
    assert done.returncode == 0
    assert b"Uploading [" in seen and b"3/3 files" in seen
    quiet = cli.ok("assets", "upload", dataset_id, folder, "-q", "--no-resume", "--poll-interval", "0.05")
    assert quiet.stderr == ""


def test_serve_runs_a_local_server_in_the_foreground_until_ctrl_c(cli):
    process = subprocess.Popen(
        cli.argv("serve", "--operation-delay", "0"),
        env=cli.environment(credentials=False),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        lines = []
        while not any(line.startswith("Press Ctrl-C") for line in lines):
            line = process.stdout.readline()
            assert line, process.stderr.read()
            lines.append(line)
        exports = dict(line.split()[1].split("=", 1) for line in lines if line.strip().startswith("export "))
        listed = cli.jsonl("datasets", "list", credentials=False, env=exports)
        assert len(listed) == 25
        process.send_signal(signal.SIGINT)
        assert process.wait(timeout=30) == 0
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()


def test_bash_completion_completes_commands_and_options(cli):
    script = cli.ok("completion", "bash").stdout

    def complete(*words):
        probe = (
            script
            + '\nCOMP_WORDS=(datature-vi %s); COMP_CWORD=%d; _datature_vi; echo "${COMPREPLY[*]}"'
            % (" ".join(words), len(words))
        )
        return subprocess.run(
            ["bash", "-c", probe], capture_output=True, text=True, timeout=30
        ).stdout.split()

    assert complete("da") == ["datasets"]
    assert complete("datasets", "de") == ["delete"]
    assert complete("assets", "upload", "ds1", "--no-r") == ["--no-recursive", "--no-resume"]


def test_entry_points(cli):
    """``python -m vi`` is what the tests run; the console script is ``datature-vi``, never ``vi``."""
    import configparser

    from vi.cli.app import console

    parser = configparser.ConfigParser()
    parser.read(os.path.join(ROOT, "setup.cfg"))
    scripts = parser["options.entry_points"]["console_scripts"].strip().splitlines()
    assert scripts == ["datature-vi = vi.cli.app:console"]
    assert callable(console)
    script = os.path.join(os.path.dirname(os.path.realpath(sys.executable)), "datature-vi")
    if not os.path.exists(script):
        pytest.skip("datature-vi is not installed in this environment (editable install predates it)")
    done = subprocess.run(
        [script, "--version"], capture_output=True, text=True, env=cli.environment(), timeout=60
    )
    assert done.returncode == 0 and done.stdout.startswith("datature-vi ")


def test_import_vi_does_not_import_the_cli():
    code = "import sys, vi; vi.Client; print(sorted(m for m in sys.modules if m == 'vi.cli' or m.startswith('vi.cli.')))"
    env = dict(os.environ, PYTHONPATH=ROOT)
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60, env=env)
    assert done.stdout.strip() == "[]", done.stderr


def test_configure_at_a_terminal_prompts_without_echoing_the_secret(cli, server):
    import pty
    import threading

    main, replica = pty.openpty()
    process = subprocess.Popen(
        cli.argv("configure", "--profile", "typed"),
        env=cli.environment(credentials=False),
        stdin=replica,
        stdout=replica,
        stderr=replica,
        close_fds=True,
    )
    os.close(replica)
    seen = bytearray()

    def read():
        while True:
            try:
                chunk = os.read(main, 4096)
            except OSError:
                return
            if not chunk:
                return
            seen.extend(chunk)

    reader = threading.Thread(target=read, daemon=True)
    reader.start()
    try:
        answers = (
            (b"Secret key", server.secret_key),
            (b"Organization id", server.organization_id),
            (b"Endpoint", server.url),
        )
        for prompt, answer in answers:
            deadline = time.monotonic() + 30
            while prompt not in seen:
                assert time.monotonic() < deadline, bytes(seen)
                time.sleep(0.05)
            os.write(main, answer.encode() + b"\n")
        assert process.wait(timeout=60) == 0, bytes(seen)
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
        reader.join(timeout=5)
        os.close(main)
    assert b"Secret key" in seen and b"Organization id" in seen
    assert server.secret_key.encode() not in seen  # the terminal never showed it
    data = json.loads((cli.home / ".datature" / "vi" / "config.json").read_text())
    assert data["profiles"]["typed"] == {
        "secret_key": server.secret_key,
        "organization_id": server.organization_id,
        "endpoint": server.url,
    }
