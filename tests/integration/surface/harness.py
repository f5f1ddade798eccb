"""The end-to-end surface harness: catalogue ids, the recording `T`, shared bodies and checks."""

from __future__ import annotations

import base64
import struct
from typing import Any, Callable, Optional

import pytest

import vi
from vi.errors import ViNotFoundError
from vi.testing import LocalViServer

# --------------------------------------------------------------------------------------------
# The catalogue (PROTOCOL §6.1 and §6.2), hard-coded: the table below must cover exactly this.
# --------------------------------------------------------------------------------------------

CORE_IDS = (
    [f"O{i}" for i in range(1, 7)]
    + [f"D{i}" for i in range(1, 17)]
    + [f"A{i}" for i in range(1, 15)]
    + [f"N{i}" for i in range(1, 10)]
    + [f"R{i}" for i in range(1, 8)]
    + ["M1", "M2"]
)
PERIPHERAL_IDS = (
    ["P1", "P2"]
    + [f"F{i}" for i in range(1, 7)]
    + [f"L{i}" for i in range(1, 6)]
    + ["I1"]
    + [f"AS{i}" for i in range(1, 6)]
    + ["W1", "W2"]
    + ["X1", "X2", "X3"]
    + [f"T{i}" for i in range(1, 9)]
    + [f"FL{i}" for i in range(1, 11)]
    + [f"DP{i}" for i in range(1, 8)]
    + [f"DJ{i}" for i in range(1, 7)]
    + [f"DE{i}" for i in range(1, 6)]
)
CATALOGUE_IDS = CORE_IDS + PERIPHERAL_IDS

SOURCE = ("managed", "datature", "default")
SEED = {"datasets": 3, "assets_per_dataset": 5, "annotations_per_asset": 2, "runs": 3}


# --------------------------------------------------------------------------------------------
# Harness
# --------------------------------------------------------------------------------------------


class T:
    """What an entry's callable gets: the server, a client for it, and `call` to record requests."""

    def __init__(self, server: LocalViServer, client: vi.Client) -> None:
        self.server = server
        self.client = client
        self.org = server.organization_id
        self.seen: Optional[list] = None

    def call(self, fn: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
        """Run the endpoint call; the requests it made are kept in `self.seen`."""
        stats = self.server.stats
        start = stats.request_count
        result = fn(*args, **kwargs)
        made = stats.request_count - start
        self.seen = stats.requests[-made:] if made else []
        return result

    # -- shared set-up ----------------------------------------------------------------------

    def ds(self, index: int = 0) -> str:
        return self.client.datasets.list()[index].dataset_id

    def assets(self, ds: str) -> list:
        return list(self.client.assets.list(ds, page_size=100).all_items())

    def asset(self, ds: str, index: int = 0) -> Any:
        return self.assets(ds)[index]

    def annotations(self, ds: str, asset_id: str) -> list:
        return list(self.client.annotations.list(ds, asset_id, page_size=100).all_items())

    def finished_run(self) -> str:
        for run in self.client.runs.list(page_size=100).all_items():
            if len(self.client.models.list(run.run_id, page_size=100).items) >= 2:
                return run.run_id
        raise AssertionError("the demo seed has no finished run with two checkpoints")

    def flow(self) -> Any:
        return self.client.flows.list()[0]

    def ingestion(self, ds: str, *files: tuple) -> Any:
        """A7 in set-up: an ingestion session declaring `files` ((filename, mime, size), ...)."""
        assets = [
            {"filename": f, "mime": m, "size": s, "kind": "Video" if m.startswith("video/") else "Image"}
            for f, m, s in files
        ]
        return self.client.assets.create_ingestion_session(ds, assets)

    def import_session(self, ds: str) -> Any:
        return self.client.annotations.create_import_session(ds)

    def short(self, ds: str) -> str:
        return ds[len(self.org) + 1 :] if ds.startswith(self.org + "_") else ds


def not_found(fn: Callable[..., Any], *args: Any, **kwargs: Any) -> None:
    with pytest.raises(ViNotFoundError):
        fn(*args, **kwargs)


def conditions(obj: Any) -> dict:
    return {c.condition: c.status for c in obj.status.conditions}


def crc32c(data: bytes) -> int:
    """CRC-32C (Castagnoli), bitwise: enough for the few bytes these tests register."""
    crc = 0xFFFFFFFF
    for byte in data:
        crc ^= byte
        for _ in range(8):
            crc = (crc >> 1) ^ (0x82F63B78 if crc & 1 else 0)
    return crc ^ 0xFFFFFFFF


def crc_b64(data: bytes) -> str:
    return base64.b64encode(struct.pack(">I", crc32c(data))).decode("ascii")


def flow_spec(name: str = "E2E flow", epochs: int = 2) -> dict:
    return {
        "name": name,
        "schema": "v1",
        "tolerations": {"accelerators": ["nvidia-a100-80gb"]},
        "settings": {"advanced": {"seed": 7}},
        "blocks": [
            {
                "block": "model",
                "settings": {"architecture": "florence-2-large", "epochs": epochs},
                "style": {"x": 0, "y": 0},
            }
        ],
    }


CAPTION_SPEC = {
    "tag": 1,
    "aggregation": {"whole": {"id": "grp-e2e"}, "thisPart": {"role": "Caption"}},
    "contents": {"kind": "Caption", "contents": "a replaced caption"},
}
