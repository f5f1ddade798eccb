"""Helpers for the fidelity tests: a server with a manual clock and the raw upload/import flows."""

import json
import time

import requests

from vi.testing import LocalViServer, ManualClock
from vi.transfers.crc32c import crc32c, to_base64, to_signed

PUBLIC_IMPORT = {
    "spec": {
        "uploadBefore": 1733903300000,
        "failurePolicies": {"onBadAnnotation": "Warn", "onBadFile": "Warn", "onOverwritten": "Warn"},
        "source": "UploadedIndividualFiles",
    },
    "metadata": {"attributes": {}},
}


class Raw:
    """The wire API of one server, with well-formed requests (no SDK in between)."""

    def __init__(self, server: LocalViServer) -> None:
        self.server = server
        self.org = server.organization_id
        self.session = requests.Session()
        self.session.trust_env = False
        self.session.headers.update(
            {"Authorization": "Bearer " + server.secret_key, "Organization-Id": server.organization_id}
        )

    def close(self) -> None:
        self.session.close()

    def url(self, *segments: str) -> str:
        return "/".join([self.server.url, "workspaces", self.org, *segments])

    def ds(self, dataset_id: str, *segments: str) -> str:
        return self.url("datasets", dataset_id, *segments)

    def call(self, method: str, url: str, **kwargs) -> requests.Response:
        return self.session.request(method, url, timeout=30, **kwargs)

    def storage(self, method: str, url: str, **kwargs) -> requests.Response:
        with requests.Session() as bare:  # pre-signed URLs carry no credentials
            bare.trust_env = False
            return bare.request(method, url, timeout=60, **kwargs)

    def new_dataset(self, name: str = "fidelity", kind: str = "phrase-grounding") -> str:
        body = {"name": name, "type": kind, "content": "Image", "tags": {"car": 0, "tree": 1}}
        response = self.call("POST", self.url("datasets"), json=body)
        assert response.status_code == 200, response.text
        return response.json()["datasetId"]

    def start_ingestion(self, dataset_id: str, files: dict) -> dict:
        assets = [
            {
                "kind": "Image",
                "filename": name,
                "mime": mime,
                "size": len(data),
                "crc32c": to_signed(crc32c(data)),
            }
            for name, (mime, data) in files.items()
        ]
        body = {
            "spec": {
                "kind": "Upload",
                "failureMode": "FailAfterAll",
                "onAssetOverwritten": "RemoveLinkedResource",
                "assets": assets,
            }
        }
        path = self.ds(dataset_id, "assetSources", "managed", "datature", "default", "assetIngestionSessions")
        response = self.call("POST", path, json=body)
        assert response.status_code == 200, response.text
        return response.json()

    def ingestion(self, session: dict) -> dict:
        url = session["selfLink"]
        return self.call("GET", self.server.url + url).json()

    def upload(self, dataset_id: str, files: dict) -> dict:
        """Ingest `{filename: (mime, bytes)}` and wait for the session to finish."""
        session = self.start_ingestion(dataset_id, files)
        for item in session["status"]["assets"]:
            mime, data = files[item["metadata"]["filename"]]
            put = self.storage("PUT", item["upload"]["url"], data=data, headers={"Content-Type": mime})
            assert put.status_code == 200, put.text
        self.server.operations.finish_all()
        return self.ingestion(session)

    def assets(self, dataset_id: str) -> dict:
        items = self.call("GET", self.ds(dataset_id, "assets"), params={"s": 1000}).json()["items"]
        return {a["filename"]: a for a in items}

    def annotations(self, dataset_id: str, asset_id: str) -> list:
        url = self.ds(dataset_id, "assets", asset_id, "annotations")
        return self.call("GET", url, params={"s": 1000}).json()["items"]

    def import_lines(self, dataset_id: str, files: dict, policy: str = "Warn") -> dict:
        """Run an annotation import of `{name: bytes}` to the end; returns the final session."""
        body = json.loads(json.dumps(PUBLIC_IMPORT))
        body["spec"]["failurePolicies"]["onBadAnnotation"] = policy
        base = self.ds(dataset_id, "annotationImportSessions")
        session = self.call("POST", base, json=body).json()
        url = base + "/" + session["annotationImportSessionId"]
        specs = {
            n: {"sizeBytes": len(d), "crc32c": to_base64(crc32c(d)), "kind": "Unknown"}
            for n, d in files.items()
        }
        registered = self.call("POST", url + "/files", json={"files": specs})
        assert registered.status_code == 200, registered.text
        for name, target in registered.json()["files"].items():
            put = self.storage(target["method"], target["url"], data=files[name], headers=target["headers"])
            assert put.status_code == 200, put.text
        condition = {
            "condition": "FilesInserted",
            "status": "Reached",
            "lastTransitionTime": int(time.time() * 1000),
        }
        assert (
            self.call("PATCH", url + "/status", json={"status": {"conditions": [condition]}}).status_code
            == 200
        )
        self.server.operations.finish_all()
        return self.call("GET", url).json()


def manual_server(**options) -> LocalViServer:
    return LocalViServer(clock=ManualClock(), operation_delay=0.0, **options)
