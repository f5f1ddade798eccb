"""Deterministic demo content, so a fresh server looks like a real workspace and tests can rely on it.

Everything derives from a seeded RNG and fixed timestamps: the same arguments always yield the same
ids, names and numbers (ids only change if they would collide with existing ones).
"""

from __future__ import annotations

import base64
import copy
import functools
import hashlib
import random
import struct
import zlib
from typing import Any, Callable, Container, Dict, Iterable, List, Optional, Set, Tuple

from ..transfers.crc32c import crc32c
from .pictures import picture
from .records import (
    AnnotationRecord,
    AssetRecord,
    DatasetRecord,
    DocRecord,
    FlowRecord,
    FolderRecord,
    ModelRecord,
    OrganizationRecord,
    RunRecord,
    TrainingProjectRecord,
)
from .views import DEFAULT_SOURCE, default_source

__all__ = ["BASE_TIME_MS", "DemoExtras", "DemoFactory", "organization_name", "owner_user_id"]

#: 2024-12-11T06:53:20Z, the timestamp used throughout the protocol examples.
BASE_TIME_MS = 1733900000000
_HOUR = 3600 * 1000
_DAY = 24 * _HOUR
_ALNUM = "abcdefghijklmnopqrstuvwxyz0123456789"
_MIXED = "ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz23456789"

DATASET_NAMES = [
    "Drone Footage 2025",
    "Retail Shelf Audit",
    "Warehouse Pallet Inspection",
    "Street Scenes Captioning",
    "Solar Panel Defects",
    "Crop Health Survey",
    "Medical Device Labels",
    "Construction Site Safety",
    "Parking Lot Occupancy",
    "Wildlife Camera Traps",
    "Kitchen Appliance VQA",
    "Traffic Sign Grounding",
    "Fashion Catalogue Captions",
    "Circuit Board QA",
    "Shipping Container IDs",
    "Rooftop Damage Claims",
    "Fruit Ripeness Grading",
    "Assembly Line Parts",
    "Museum Artwork Descriptions",
    "Underwater Reef Survey",
    "Airport Apron Monitoring",
    "Road Crack Detection",
    "Livestock Counting",
    "Document Layout Regions",
    "Satellite Flood Mapping",
]
_TYPES = ["phrase-grounding", "phrase-grounding", "vqa", "phrase-grounding", "freeform"]
_TAGS = ["car", "person", "tree", "building", "sign", "truck", "bicycle", "dog", "pallet", "crack"]
_COLORS = ["#e6194b", "#3cb44b", "#ffe119", "#4363d8", "#f58231", "#911eb4", "#46f0f0", "#f032e6"]
#: Small, so that every seeded asset can carry a real picture of its recorded size.
_DIMENSIONS = [(64, 36), (96, 54), (80, 60), (64, 64), (128, 72)]
_PALETTE = [(40 + 13 * i, 200 - 11 * i, (90 + 37 * i) % 256) for i in range(16)]


@functools.lru_cache(maxsize=None)
def _picture(mime_type: str, width: int, height: int, color: int) -> Tuple[bytes, str]:
    """A demo picture and its CRC-32C as the API reports it (base64 of the big-endian value)."""
    data = picture(mime_type, width, height, _PALETTE[color])
    return data, base64.b64encode(struct.pack(">I", crc32c(data))).decode("ascii")


_CAMERAS = ["DJI-M3", "GoPro-11", "Canon-R6", "Pixel-8", "Axis-P14"]
_ORG_NAMES = ["Acme Robotics", "Globex Vision", "Initech Labs", "Umbrella Imaging", "Stark Analytics"]
_ARCHITECTURES = ["qwen2.5-vl-7b", "florence-2-large", "paligemma-3b"]


def owner_user_id(org_id: str) -> str:
    return "usr-" + hashlib.sha1(org_id.encode("utf-8")).hexdigest()[:8]


def organization_name(org_id: str) -> str:
    return _ORG_NAMES[zlib.crc32(org_id.encode("utf-8")) % len(_ORG_NAMES)]


class DemoFactory:
    """Builds records for one organization; `next_seq` keeps the store's global ordering."""

    def __init__(self, org_id: str, next_seq: Callable[[], int], seed: int = 0) -> None:
        self.org_id = org_id
        self.owner = owner_user_id(org_id)
        self._next_seq = next_seq
        self._rng = random.Random(f"vi.testing.demo:{seed}")

    def _token(self, length: int, alphabet: str = _ALNUM) -> str:
        return "".join(self._rng.choice(alphabet) for _ in range(length))

    def _unique(self, make: Callable[[], str], taken: Container[str]) -> str:
        value = make()
        while value in taken:
            value = make()
        return value

    def dataset(self, index: int, taken: Container[str], assets: int, annotations: int) -> DatasetRecord:
        short_id = self._unique(lambda: "ds" + self._token(6), taken)
        name = DATASET_NAMES[index % len(DATASET_NAMES)]
        if index >= len(DATASET_NAMES):
            name = f"{name} #{index // len(DATASET_NAMES) + 1}"
        tag_names = self._rng.sample(_TAGS, 3)
        created = BASE_TIME_MS + index * _DAY
        ds = DatasetRecord(
            org_id=self.org_id,
            short_id=short_id,
            seq=self._next_seq(),
            name=name,
            owner_user=self.owner,
            create_date=created,
            last_accessed=created + 450000,
            type=_TYPES[index % len(_TYPES)],
            description=f"Demo dataset: {name.lower()}",
            tags={tag: i for i, tag in enumerate(tag_names)},
            tag_details={
                tag: {"description": f"Any {tag}", "color": self._rng.choice(_COLORS)} for tag in tag_names
            },
            preference={"defaultView": "grid", "showThumbnails": True},
        )
        for number in range(1, assets + 1):
            asset = self.asset(ds, number, annotations)
            ds.assets[asset.asset_id] = asset
        return ds

    def asset(self, ds: DatasetRecord, number: int, annotations: int) -> AssetRecord:
        asset_id = self._unique(lambda: "ast-" + self._token(8, _MIXED), ds.assets)
        width, height = self._rng.choice(_DIMENSIONS)
        png = self._rng.random() < 0.2
        created = ds.create_date + number * 60000
        mime_type = "image/png" if png else "image/jpeg"
        # The colour comes from the id, not the RNG (so every other seeded value stays as it was),
        # and from a small palette, so the few distinct pictures are made once per process.
        data, checksum = _picture(
            mime_type, width, height, hashlib.sha256(asset_id.encode()).digest()[0] % 16
        )
        asset = AssetRecord(
            asset_id=asset_id,
            seq=self._next_seq(),
            filename="frame_{:04d}.{}".format(number, "png" if png else "jpg"),
            owner_user=self.owner,
            file_size=len(data),
            height=height,
            width=width,
            mime_type=mime_type,
            crc32c=checksum,
            data=data,
            time_created=created,
            last_updated=created + 450000,
            custom_metadata={
                "camera": self._rng.choice(_CAMERAS),
                "altitude_m": self._rng.randint(5, 150),
                "night": self._rng.random() < 0.25,
            },
        )
        for ann in self.annotations(ds, asset, annotations):
            asset.annotations[ann.annotation_id] = ann
        return asset

    def bulk_assets(self, ds: DatasetRecord, count: int, annotations: int = 0) -> List[str]:
        """Many cheap assets at once (no RNG per asset unless annotated): for listing benchmarks."""
        ids: List[str] = []
        start = len(ds.assets)
        created = ds.create_date + 3600000
        for n in range(start + 1, start + count + 1):
            seq = self._next_seq()
            asset_id = f"ast-bulk{seq:08d}"
            asset = AssetRecord(
                asset_id=asset_id,
                seq=seq,
                filename=f"bulk_{n:06d}.jpg",
                owner_user=self.owner,
                file_size=100000 + n,
                height=720,
                width=1280,
                mime_type="image/jpeg",
                crc32c="AAAAAA==",
                time_created=created,
                last_updated=created,
                custom_metadata={"camera": _CAMERAS[n % len(_CAMERAS)], "batch": n // 1000},
            )
            if annotations and ds.tags and len(ds.tags) >= 2:
                for ann in self.annotations(ds, asset, annotations):
                    asset.annotations[ann.annotation_id] = ann
            ds.assets[asset_id] = asset
            ids.append(asset_id)
        return ids

    def extras(self, seed: int = 0) -> "DemoExtras":
        return DemoExtras(self.org_id, self.owner, self._next_seq, seed)

    def annotations(self, ds: DatasetRecord, asset: AssetRecord, count: int) -> List[AnnotationRecord]:
        """A caption first, then bounding boxes grounding the phrases the caption mentions."""
        if count <= 0:
            return []
        tags = list(ds.tags)
        first, second = self._rng.sample(tags, 2)
        caption = f"A {first} next to a {second}"
        phrases = [(first, caption.index(first)), (second, caption.rindex(second))]
        group = "grp-" + self._token(6)
        made: List[AnnotationRecord] = []
        taken: Set[str] = set()
        for i in range(count):
            ann_id = self._unique(lambda: "ann-" + self._token(8), taken)
            taken.add(ann_id)
            common: Dict[str, Any] = dict(
                annotation_id=ann_id,
                asset_id=asset.asset_id,
                seq=self._next_seq(),
                group_id=group,
                time_created=asset.time_created,
                last_updated=asset.last_updated,
            )
            if i == 0 and ds.type == "vqa":  # a question-answer pair (shown through the API as a Caption)
                question, answer = f"What is next to the {first}?", f"A {second}."
                made.append(
                    AnnotationRecord(
                        tag=ds.tags[first],
                        role="Caption",
                        caption=f"Q: {question}\nA: {answer}",
                        qa=(0, question, answer),
                        **common,
                    )
                )
                continue
            if i == 0:
                made.append(AnnotationRecord(tag=ds.tags[first], role="Caption", caption=caption, **common))
                continue
            tag, start = phrases[(i - 1) % len(phrases)]
            x0, y0 = round(self._rng.uniform(0.0, 0.6), 3), round(self._rng.uniform(0.0, 0.6), 3)
            x1, y1 = round(x0 + self._rng.uniform(0.1, 0.4), 3), round(y0 + self._rng.uniform(0.1, 0.4), 3)
            made.append(
                AnnotationRecord(
                    tag=ds.tags[tag],
                    role="PhraseGroundingBoundingBox",
                    bound=[[x0, y0], [x1, y0], [x1, y1], [x0, y1]],
                    target=[start, start + len(tag)],
                    **common,
                )
            )
        return made

    def run(self, index: int, taken: Container[str], dataset: Optional[DatasetRecord]) -> RunRecord:
        run_id = self._unique(lambda: "run-" + self._token(8, "0123456789abcdef"), taken)
        created = BASE_TIME_MS + 30 * _DAY + index * _DAY
        project = "tp-" + self._token(4, "0123456789abcdef")
        blocks = []
        if dataset is not None:
            blocks.append(
                {
                    "block": "dataset",
                    "settings": {"datasetId": dataset.composite_id, "splitRatio": 0.8},
                    "style": {"x": 0, "y": 0},
                }
            )
        blocks.append(
            {
                "block": "model",
                "settings": {"architecture": _ARCHITECTURES[index % len(_ARCHITECTURES)], "epochs": 3},
                "style": {"x": 300, "y": 0},
            }
        )
        finished = index % 2 == 0
        conditions: List[Dict[str, Any]] = [
            {"condition": "Started", "status": "Reached", "lastTransitionTime": created},
            {"condition": "Training", "status": "Reached", "lastTransitionTime": created + 60000},
            {
                "condition": "Finished",
                "status": "Reached" if finished else "Waiting",
                "lastTransitionTime": created + (2 * _HOUR if finished else 60000),
            },
        ]
        return RunRecord(
            run_id=run_id,
            seq=self._next_seq(),
            flow={
                "name": f"Grounding fine-tune #{index + 1}",
                "schema": "v1",
                "tolerations": {"accelerators": ["nvidia-a100-80gb"]},
                "settings": {"advanced": {"seed": 42}},
                "blocks": blocks,
                "trainingProject": project,
            },
            conditions=conditions,
            time_created=created,
            last_updated=created + (2 * _HOUR if finished else 60000),
            training_project=project,
            generation=2,
            attributes={"notes": "baseline" if index == 0 else f"experiment {index}"},
        )


_FLOW_NAMES = ["Shelf grounding baseline", "Drone captioning v2"]
_PROJECTS = [("Drone grounding", "PG models for drones"), ("Retail VQA", "Shelf question answering")]
_DEPLOYMENTS = ["Shelf detector (prod)", "Drone captioner (staging)"]
_DEPLOYMENT_PROJECTS = ["Retail assistant", "Inspection copilot"]
_ENDPOINTS = ["retail-eu-1", "inspection-us-1"]


class DemoExtras:
    """Everything beyond datasets and runs, from its own RNG so existing demo ids never shift.

    Per dataset: the managed asset source, folders `training`, `training/batch 1`, `validation`
    (the first assets are filed into them) and one ontology over the dataset's tags. Per
    organization: a training project for each run's project (at least two), a flow per run (at
    least two), checkpoints `ckpt-epoch-2` and `ckpt-final` for every finished run, two
    collaborators, and two each of deployments, deployment projects and deployment endpoints.
    """

    def __init__(self, org_id: str, owner: str, next_seq: Callable[[], int], seed: int = 0) -> None:
        self.org_id = org_id
        self.owner = owner
        self._next_seq = next_seq
        self._rng = random.Random(f"vi.testing.demo.extras:{seed}")

    def _token(self, length: int, alphabet: str = _ALNUM) -> str:
        return "".join(self._rng.choice(alphabet) for _ in range(length))

    def dataset_extras(self, ds: DatasetRecord) -> None:
        created = ds.create_date
        ds.asset_sources[DEFAULT_SOURCE] = default_source(created)
        for name in ("training", "training/batch 1", "validation"):
            ds.folders[name] = FolderRecord(name, self._next_seq(), self.owner, created, created)
        folders = ["training", "training/batch 1", "validation", None]
        for index, asset in enumerate(ds.assets.values()):
            asset.folder = folders[index % len(folders)]
        ontology_id = "ont-" + ds.short_id[2:]
        ds.ontologies[ontology_id] = DocRecord(
            ontology_id,
            self._next_seq(),
            {
                "name": f"{ds.name} ontology",
                "description": None,
                "spec": {"classes": [{"name": tag, "tag": index} for tag, index in ds.tags.items()]},
                "versions": [{"version": 1, "note": "initial", "createDate": created}],
            },
            created,
            created,
        )

    def organization_extras(self, org: OrganizationRecord) -> None:
        base = BASE_TIME_MS + 20 * _DAY
        projects: List[str] = []
        for run in org.runs.values():
            if run.training_project and run.training_project not in projects:
                projects.append(run.training_project)
        while len(projects) < 2:
            projects.append(self._unique_id("tp-", 4, org.training_projects, projects))
        for index, project_id in enumerate(projects):
            name, description = _PROJECTS[index % len(_PROJECTS)]
            if index >= len(_PROJECTS):
                name = f"{name} #{index // len(_PROJECTS) + 1}"
            org.training_projects[project_id] = TrainingProjectRecord(
                project_id,
                self._next_seq(),
                {"name": name, "description": description, "type": "phrase-grounding"},
                base + index * _HOUR,
                base + index * _HOUR,
            )
        specs = [copy.deepcopy(run.flow) for run in org.runs.values()]
        while len(specs) < 2:
            index = len(specs)
            specs.append(
                {
                    "name": _FLOW_NAMES[index % len(_FLOW_NAMES)],
                    "schema": "v1",
                    "tolerations": {"accelerators": ["nvidia-a100-80gb"]},
                    "settings": {"advanced": {"seed": 42}},
                    "blocks": [
                        {
                            "block": "model",
                            "settings": {"architecture": _ARCHITECTURES[index % len(_ARCHITECTURES)]},
                            "style": {"x": 0, "y": 0},
                        }
                    ],
                    "trainingProject": projects[index % len(projects)],
                }
            )
        for index, spec in enumerate(specs):
            flow_id = self._unique_id("flw-", 6, org.flows, ())
            created = base + _DAY + index * _HOUR
            org.flows[flow_id] = FlowRecord(flow_id, self._next_seq(), spec, created, created)
        for run in org.runs.values():
            if any(c["condition"] == "Finished" and c["status"] == "Reached" for c in run.conditions):
                finished = run.last_updated
                for ckpt, epoch, loss in (("ckpt-epoch-2", 2, 0.341), ("ckpt-final", 3, 0.213)):
                    run.models[ckpt] = ModelRecord(ckpt, self._next_seq(), epoch, {"loss": loss}, finished)
        org.collaborators[self.owner] = {
            "email": "owner@example.com",
            "name": "Demo Owner",
            "workspaceRole": "Owner",
        }
        member = "usr-" + self._token(8, "0123456789abcdef")
        org.collaborators[member] = {
            "email": "member@example.com",
            "name": "Demo Member",
            "workspaceRole": "Member",
        }
        models = [f"{run.run_id}/ckpt-final" for run in org.runs.values() if "ckpt-final" in run.models]
        for index in range(2):
            created = base + 2 * _DAY + index * _HOUR
            endpoint_id = self._unique_id("dpe-", 6, org.deployment_endpoints, ())
            org.deployment_endpoints[endpoint_id] = DocRecord(
                endpoint_id,
                self._next_seq(),
                {"name": _ENDPOINTS[index], "spec": {"region": _ENDPOINTS[index].rsplit("-", 1)[0]}},
                created,
                created,
            )
            project_id = self._unique_id("dpj-", 6, org.deployment_projects, ())
            org.deployment_projects[project_id] = DocRecord(
                project_id,
                self._next_seq(),
                {"name": _DEPLOYMENT_PROJECTS[index], "spec": {"documents": 3 + index}},
                created,
                created,
            )
            deployment_id = self._unique_id("dep-", 6, org.deployments, ())
            org.deployments[deployment_id] = DocRecord(
                deployment_id,
                self._next_seq(),
                {
                    "name": _DEPLOYMENTS[index],
                    "spec": {
                        "runOutput": models[index % len(models)] if models else None,
                        "endpoint": endpoint_id,
                        "deploymentProject": project_id,
                        "replicas": 1 + index,
                    },
                },
                created,
                created,
            )

    def _unique_id(self, prefix: str, length: int, taken: Container[str], also: Iterable[str]) -> str:
        also = set(also)
        while True:
            value = prefix + self._token(length, "0123456789abcdef")
            if value not in taken and value not in also:
                return value
