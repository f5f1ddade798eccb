"""Decoding the protocol's example bodies into models, and what decoding refuses."""

from __future__ import annotations

import copy
import pickle

import pytest

from tests.helpers.resource_fakes import ORG, load_example
from vi.documents import decode, decode_many
from vi.errors import ViResponseError
from vi.resources import (
    Annotation,
    Asset,
    Caption,
    Contents,
    Dataset,
    DeletedDataset,
    Organization,
    PhraseGroundingBoundingBox,
    ResourceCondition,
    Run,
    User,
)


def _dataset(body=None):
    return decode(Dataset, body if body is not None else load_example("datasets-get"), "dataset")


def _error(schema, body, what):
    with pytest.raises(ViResponseError) as info:
        decode(schema, body, what)
    return info.value


# -- organizations ----------------------------------------------------------------------------
def test_organization_example_decodes():
    org = decode(Organization, load_example("organizations-get"), "organization")
    assert isinstance(org, Organization)
    assert org.organization_id == ORG
    assert org.name == "Acme Robotics"
    assert org.kind == "Workspace"
    assert org.last_access == 1733900450000
    assert org.datasets == ["dsx9k2m7"]  # composite ids shortened
    assert org.billing.payer == "usr-7Qm2Lx9T"
    assert org.billing.subscriber_id == "sub_9H2kLm"
    assert org.billing.ledger == []
    assert org.billing.tier == "Developer"
    user = org.users["usr-7Qm2Lx9T"]
    assert isinstance(user, User)
    assert user.workspace_role == "Owner"
    assert user.datasets == {"dsx9k2m7": "Owner"}  # keys shortened too
    assert org.metadata.create_date == 1700000000000
    assert org.metadata.is_public is False
    assert org.metadata.account_manager is None
    assert org.metadata.sales_engineer is None
    assert org.features == {"intelliscribe": True}
    assert org.lock_status.is_locked is False
    assert org.lock_status.lock_date is None
    assert org.self_link == "/workspaces/" + ORG
    assert org.etag == 'W/"a1c9"'
    assert repr(org) == "Organization(organization_id=%r, name='Acme Robotics')" % ORG


def test_organization_list_example_decodes():
    items = decode_many(Organization, load_example("organizations-list")["items"], "organization")
    assert [o.name for o in items] == ["Acme Robotics"]


def test_organization_lock_date_is_snake_case():
    body = load_example("organizations-get")
    body["lockStatus"] = {"isLocked": True, "lockDate": 1700000000001}
    org = decode(Organization, body, "organization")
    assert org.lock_status.lock_date == 1700000000001
    assert not hasattr(org.lock_status, "lockDate")


# -- datasets ---------------------------------------------------------------------------------
def test_dataset_example_decodes():
    ds = _dataset()
    assert isinstance(ds, Dataset)
    assert ds.dataset_id == "dsx9k2m7"
    assert ds.organization_id == ORG
    assert ds.name == "Drone Footage 2025"
    assert ds.owner == ORG
    assert ds.description == "Aerial imagery for phrase grounding"
    assert ds.type == "phrase-grounding"
    assert ds.content == "Image"
    assert ds.localization == ds.data_localization == "Datature/Multi"
    assert ds.create_date == 1733900000000
    assert ds.last_accessed == 1733900450000
    assert ds.statistic.asset_total == 2
    assert ds.statistic.annotation_total == 3
    assert ds.statistic.tags_count == {"car": 2, "tree": 1}
    assert ds.statistic.asset_annotated == 2
    assert ds.users["usr-7Qm2Lx9T"].datasets == {"dsx9k2m7": "Owner"}
    assert ds.tags == {"car": 0, "tree": 1}
    assert ds.tag_details["car"].description == "Any road vehicle"
    assert ds.tag_details["car"].color == "#ff0000"
    assert ds.cohorts == []
    assert ds.status == 0
    assert ds.is_locked is False
    assert (ds.access.is_public, ds.access.is_read_only, ds.access.is_hidden) == (False, False, False)
    assert ds.preference == {"defaultView": "grid", "showThumbnails": True}
    status = ds.asset_statuses["none"]
    assert (status.description, status.color, status.create_date) == (
        "Not reviewed",
        "#cccccc",
        1733900000000,
    )
    assert ds.is_demo_project is False
    assert ds.bypass_quota is False
    assert ds.delete_op is None
    assert ds.etag == 'W/"d41d8c"'
    assert repr(ds) == "Dataset(dataset_id='dsx9k2m7', name='Drone Footage 2025')"


def test_dataset_optional_fields_take_their_defaults():
    body = load_example("datasets-get")
    for key in (
        "localization",
        "dataLocalization",
        "description",
        "tagDetails",
        "isDemoProject",
        "bypassQuota",
        "kind",
    ):
        body.pop(key)
    ds = _dataset(body)
    assert ds.localization == "Datature/Multi"
    assert ds.data_localization == "Datature/Multi"
    assert ds.description is None
    assert ds.tag_details is None
    assert ds.is_demo_project is False
    assert ds.bypass_quota is False


def test_dataset_users_may_be_plain_strings():
    body = load_example("datasets-get")
    body["users"]["usr-2"] = "Viewer"
    ds = _dataset(body)
    assert ds.users["usr-2"] == "Viewer"
    assert isinstance(ds.users["usr-7Qm2Lx9T"], User)


def test_short_dataset_id_containing_underscore_survives():
    body = load_example("datasets-get")
    body["datasetId"] = ORG + "_my_data_set"
    assert _dataset(body).dataset_id == "my_data_set"


def test_dataset_id_from_another_prefix_is_left_alone():
    body = load_example("datasets-get")
    body["datasetId"] = "already_short"
    assert _dataset(body).dataset_id == "already_short"


def test_unknown_fields_are_kept_on_raw_only():
    body = load_example("datasets-get")
    body["brandNewField"] = {"x": 1}
    body["statistic"]["futureCounter"] = 7
    ds = _dataset(body)
    assert ds.raw["brandNewField"] == {"x": 1}
    assert ds.statistic.raw["futureCounter"] == 7
    assert not hasattr(ds, "brandNewField") and not hasattr(ds, "brand_new_field")
    assert "futureCounter" not in ds.statistic.to_dict()
    # raw is the original document, with the composite id
    assert ds.raw["datasetId"] == ORG + "_dsx9k2m7"


def test_unknown_enum_value_is_kept():
    body = load_example("datasets-get")
    body["type"] = "video-captioning"
    body["content"] = "Video"
    ds = _dataset(body)
    assert (ds.type, ds.content) == ("video-captioning", "Video")


def test_missing_nested_required_field_names_its_path():
    body = load_example("datasets-get")
    del body["statistic"]["assetTotal"]
    err = _error(Dataset, body, "dataset")
    assert "statistic.assetTotal" in str(err)
    assert "statistic.assetTotal: Missing data for required field." in err.details["fields"]


@pytest.mark.parametrize(
    "field, value",
    [
        ("datasetId", None),
        ("datasetId", ""),
        ("datasetId", 5),
        ("createDate", 1.0),
        ("createDate", 1.5),
        ("createDate", "1733900000000"),
        ("createDate", True),
        ("isLocked", "false"),
        ("isDemoProject", None),  # null only where the protocol says "| null"
        ("localization", None),
        ("tags", []),
    ],
)
def test_wrong_types_are_refused_with_the_field_named(field, value):
    body = load_example("datasets-get")
    body[field] = value
    err = _error(Dataset, body, "dataset")
    assert field in str(err)


def test_missing_required_id_is_refused():
    body = load_example("datasets-get")
    del body["workspaceId"]
    err = _error(Dataset, body, "dataset")
    assert "workspaceId: Missing data for required field." in str(err)


def test_kind_must_match_when_present():
    body = load_example("datasets-get")
    body["kind"] = "Run"
    err = _error(Dataset, body, "dataset")
    assert "kind" in str(err) and "'Dataset'" in str(err)


def test_kind_mismatch_in_a_list_names_the_item():
    items = load_example("datasets-list")["items"]
    items.append(dict(items[0], kind="Asset"))
    with pytest.raises(ViResponseError) as info:
        decode_many(Dataset, items, "dataset")
    assert "items[1].kind: Must be 'Dataset', got 'Asset'." in str(info.value)


def test_user_map_errors_name_the_user():
    body = load_example("datasets-get")
    body["users"]["u2"] = {"workspaceRole": 1, "datasets": {}}
    assert "users.u2.value.workspaceRole" in str(_error(Dataset, body, "dataset"))
    body["users"]["u2"] = 5
    assert "users.u2" in str(_error(Dataset, body, "dataset"))


def test_wrong_type_in_a_list_names_the_item():
    page = load_example("datasets-list")
    second = copy.deepcopy(page["items"][0])
    second["statistic"]["assetTotal"] = 2.0
    page["items"].append(second)
    with pytest.raises(ViResponseError) as info:
        decode_many(Dataset, page["items"], "dataset")
    assert "items[1].statistic.assetTotal" in str(info.value)


def test_not_an_object_is_refused():
    with pytest.raises(ViResponseError):
        decode(Dataset, ["not", "an", "object"], "dataset")


def test_equality_is_by_value_and_repr_is_short():
    a, b = _dataset(), _dataset()
    assert a == b and not (a != b)
    b.name = "other"
    assert a != b
    assert len(repr(a)) < 80
    with pytest.raises(TypeError):
        hash(a)


def test_models_pickle_and_hold_no_secrets():
    ds = _dataset()
    again = pickle.loads(pickle.dumps(ds))
    assert again == ds and again.raw == ds.raw


def test_to_dict_converts_nested_models():
    d = _dataset().to_dict()
    assert d["statistic"]["asset_total"] == 2
    assert d["users"]["usr-7Qm2Lx9T"]["workspace_role"] == "Owner"


def test_deleted_dataset_example_decodes():
    op = decode(DeletedDataset, load_example("datasets-delete"), "deleted dataset")
    assert isinstance(op, DeletedDataset)
    assert op.kind == "DatasetDeleteOperation"  # a plain kind field: anything goes
    assert op.dataset_id == "dsx9k2m7"
    assert op.organization_id == ORG
    assert op.user == "usr-7Qm2Lx9T"
    assert op.metadata.generation == 1
    assert op.metadata.attributes == {}
    assert [(c.condition, c.status) for c in op.status.conditions] == [
        ("Started", "Reached"),
        ("Finished", "Waiting"),
    ]
    assert op.status.conditions[0] == ResourceCondition(
        condition="Started",
        status="Reached",
        last_transition_time=1733900000000,
        reason=None,
        message=None,
    )


def test_condition_names_are_open():
    body = load_example("datasets-delete")
    body["status"]["conditions"][0]["condition"] = "SomethingNew"
    body["status"]["conditions"][0]["reason"] = "why"
    op = decode(DeletedDataset, body, "deleted dataset")
    assert op.status.conditions[0].condition == "SomethingNew"
    assert op.status.conditions[0].reason == "why"


def test_condition_timestamp_must_be_an_integer():
    body = load_example("datasets-delete")
    body["status"]["conditions"][1]["lastTransitionTime"] = 1.0
    err = _error(DeletedDataset, body, "deleted dataset")
    assert "status.conditions.1.lastTransitionTime" in str(err)


# -- assets -----------------------------------------------------------------------------------
def test_asset_example_decodes():
    asset = decode(Asset, load_example("assets-get"), "asset")
    assert isinstance(asset, Asset)
    assert asset.asset_id == "ast-Lq93xY01"
    assert asset.dataset_id == "dsx9k2m7"
    assert asset.organization_id == ORG
    assert asset.filename == "frame_0001.jpg"
    assert asset.kind == "Asset"
    assert asset.owner == "usr-7Qm2Lx9T"
    m = asset.metadata
    assert m.generations.thumbnail.endswith(".thumb")
    assert m.inserted_by == "usr-7Qm2Lx9T"
    assert m.annotations.with_tag == {"car": 1} and m.annotations.total == 1
    assert (m.frames, m.file_size, m.height, m.width) == (1, 482113, 1080, 1920)
    assert m.mime_type == "image/jpeg"
    assert m.upload_status == "Completed"
    assert m.custom_metadata == {"camera": "DJI-M3", "altitude_m": 120, "night": False}
    assert (m.dimensions.width, m.dimensions.height, m.dimensions.depth) == (1920, 1080, None)
    assert (m.pixel_ratio.width, m.pixel_ratio.height) == (1, 1)
    assert m.custom_metadata_count == 3
    assert (m.hash.algorithm, m.hash.contents) == ("crc32c", "yZRlqg==")
    assert m.contents_from == "Upload"
    assert m.frames_change == {}
    assert m.contents_last_updated == 1733900000000
    assert isinstance(asset.contents.asset, Contents)
    assert asset.contents.asset.url.startswith("https://storage.example.com/")
    assert asset.contents.asset.expiry == 1733904050000
    assert asset.contents.asset.headers is None and asset.contents.asset.method is None
    assert repr(asset) == "Asset(asset_id='ast-Lq93xY01', filename='frame_0001.jpg')"
    # the signed URL is not shown by repr
    assert "Signature" not in repr(asset.contents)


def test_asset_without_contents():
    body = load_example("assets-get")
    del body["contents"]
    assert decode(Asset, body, "asset").contents is None
    body["contents"] = {"asset": None}
    contents = decode(Asset, body, "asset").contents
    assert contents.asset is None and contents.thumbnail is None


def test_asset_kind_is_a_plain_field():
    body = load_example("assets-get")
    body["kind"] = "Whatever"
    assert decode(Asset, body, "asset").kind == "Whatever"


def test_asset_list_example_decodes():
    items = decode_many(Asset, load_example("assets-list")["items"], "asset")
    assert [a.asset_id for a in items] == ["ast-Lq93xY01", "ast-Lq93xY02"]
    assert {a.dataset_id for a in items} == {"dsx9k2m7"}


def test_asset_nested_error_path():
    body = load_example("assets-get")
    body["metadata"]["dimensions"]["width"] = "1920"
    err = _error(Asset, body, "asset")
    assert "metadata.dimensions.width" in str(err)


# -- annotations ------------------------------------------------------------------------------
def test_annotation_examples_decode():
    caption, box = decode_many(Annotation, load_example("annotations-list")["items"], "annotation")
    assert isinstance(caption, Annotation)
    assert caption.annotation_id == "ann-0000"
    assert caption.dataset_id == "dsx9k2m7"
    assert caption.spec.bound_type == "Caption"
    assert caption.spec.tag == 0
    assert caption.spec.aggregation.whole.id == "grp-77"
    assert caption.spec.aggregation.this_part.role == "Caption"
    assert isinstance(caption.spec.contents, Caption)
    assert caption.spec.contents.contents == "A red car parked under a tree"
    assert caption.spec.contents.kind == "Caption"
    assert isinstance(box.spec.contents, PhraseGroundingBoundingBox)
    assert box.spec.contents.target == [2, 9]
    assert box.spec.contents.bound == [[0.1, 0.2], [0.45, 0.2], [0.45, 0.6], [0.1, 0.6]]
    assert box.spec.contents.kind == "PhraseGroundingBoundingBox"
    single = decode(Annotation, load_example("annotations-get"), "annotation")
    assert single == box
    assert repr(single) == "Annotation(annotation_id='ann-0001', asset_id='ast-Lq93xY01')"


def test_annotation_unknown_contents_kind_is_kept_as_dict():
    body = load_example("annotations-get")
    body["spec"]["contents"] = {"kind": "Polygon", "points": [[0, 0], [1, 1]]}
    ann = decode(Annotation, body, "annotation")
    assert ann.spec.contents == {"kind": "Polygon", "points": [[0, 0], [1, 1]]}


def test_caption_contents_defaults_to_empty():
    body = load_example("annotations-get")
    body["spec"]["contents"] = {"kind": "Caption"}
    assert decode(Annotation, body, "annotation").spec.contents.contents == ""


@pytest.mark.parametrize(
    "contents, path",
    [
        ({"bound": [[0, 0]], "target": [1, 2]}, "spec.contents.kind"),
        ({"kind": "PhraseGroundingBoundingBox", "bound": [[0, 0]], "target": [1]}, "spec.contents.target"),
        (
            {"kind": "PhraseGroundingBoundingBox", "bound": [[0, 0]], "target": [1.0, 2]},
            "spec.contents.target",
        ),
        ({"kind": "PhraseGroundingBoundingBox", "target": [1, 2]}, "spec.contents.bound"),
        (
            {"kind": "PhraseGroundingBoundingBox", "bound": [["a", 0]], "target": [1, 2]},
            "spec.contents.bound",
        ),
        ({"kind": "Caption", "contents": 5}, "spec.contents.contents"),
        ("a caption", "spec.contents"),
    ],
)
def test_annotation_contents_errors_name_the_path(contents, path):
    body = load_example("annotations-get")
    body["spec"]["contents"] = contents
    err = _error(Annotation, body, "annotation")
    assert path in str(err)


def test_annotation_kind_mismatch():
    body = load_example("annotations-get")
    body["kind"] = "Asset"
    assert "kind" in str(_error(Annotation, body, "annotation"))


# -- runs -------------------------------------------------------------------------------------
def test_run_example_decodes():
    run = decode(Run, load_example("runs-get"), "run")
    assert isinstance(run, Run)
    assert run.run_id == "run-7f3a"
    assert run.organization_id == ORG
    flow = run.spec.flow
    assert flow.name == "Grounding fine-tune"
    assert flow.schema == "v1"
    assert flow.tolerations == {"accelerators": ["nvidia-a100-80gb"]}
    assert flow.settings == {"advanced": {"seed": 42}}
    assert [b.block for b in flow.blocks] == ["dataset", "model"]
    assert flow.blocks[0].settings["splitRatio"] == 0.8
    assert flow.blocks[1].style == {"x": 300, "y": 0}
    assert flow.training_project == "tp-2b1f"
    assert run.spec.training_project == "tp-2b1f"
    assert run.spec.killed_at is None
    assert run.status.log.endswith("/logs")
    assert run.status.observed_generation == 2
    assert [c.condition for c in run.status.conditions] == ["Started", "Training", "Finished"]
    assert run.metadata.attributes == {"notes": "baseline"}
    assert repr(run) == "Run(run_id='run-7f3a')"


def test_run_list_example_and_kind_check():
    items = decode_many(Run, load_example("runs-list")["items"], "run")
    assert [r.run_id for r in items] == ["run-7f3a"]
    body = load_example("runs-get")
    body["kind"] = "Dataset"
    assert "kind" in str(_error(Run, body, "run"))
    body = load_example("runs-get")
    del body["runId"]
    assert "runId" in str(_error(Run, body, "run"))
