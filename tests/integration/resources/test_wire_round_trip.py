"""What you read you can write back: ``to_wire()`` is the document as the service sent it, kind
discriminators included, and a write of it leaves the document as it was."""

import pytest

import vi
from vi.testing import LocalViServer


@pytest.fixture(scope="module")
def client():
    with LocalViServer() as server:
        with vi.Client(
            secret_key=server.secret_key, organization_id=server.organization_id, endpoint=server.url
        ) as c:
            yield c


def test_annotation_read_wire_write_back_read_is_equal(client):
    dataset_id = next(d.dataset_id for d in client.datasets if d.type == "phrase-grounding")
    seen = set()
    for asset in client.assets.list(dataset_id, page_size=5).items:
        for annotation in client.annotations.list(dataset_id, asset.asset_id).all_items():
            wire = annotation.to_wire()
            assert wire["kind"] == "Annotation" and wire["spec"]["contents"]["kind"] in (
                "Caption",
                "PhraseGroundingBoundingBox",
            )
            seen.add(wire["spec"]["contents"]["kind"])
            written = client.annotations.replace(dataset_id, asset.asset_id, annotation.annotation_id, wire)
            again = client.annotations.get(dataset_id, asset.asset_id, annotation.annotation_id)
            assert written.spec == again.spec == annotation.spec
            assert (again.annotation_id, again.asset_id, again.dataset_id) == (
                annotation.annotation_id,
                annotation.asset_id,
                annotation.dataset_id,
            )
    assert seen == {"Caption", "PhraseGroundingBoundingBox"}  # both kinds went through


def test_to_dict_is_for_reading_and_to_wire_is_a_copy(client):
    dataset = client.datasets.list()[0]
    wire = dataset.to_wire()
    assert wire["datasetId"].endswith(dataset.dataset_id) and "dataset_id" in dataset.to_dict()
    wire["name"] = "changed"
    assert dataset.to_wire()["name"] == dataset.name  # a copy: the document is unchanged


def test_run_read_wire_write_back_read_is_equal(client):
    run = next(iter(client.runs))
    wire = run.to_wire()
    client.runs.update(run.run_id, spec=wire["spec"])
    again = client.runs.get(run.run_id)
    assert again.spec == run.spec and again.to_wire()["spec"] == wire["spec"]


def test_dataset_read_wire_write_back_read_is_equal(client):
    dataset = client.datasets.list()[0]
    wire = dataset.to_wire()
    client.datasets.update(
        dataset.dataset_id, spec={"name": wire["name"], "description": wire["description"]}
    )
    again = client.datasets.get(dataset.dataset_id)
    for key in ("name", "description", "type", "content", "tags", "localization"):
        assert again.to_wire()[key] == wire[key], key


def test_flow_read_wire_write_back_read_is_equal(client):
    flow = next(iter(client.flows))
    wire = flow.to_wire()
    client.flows.replace(flow.flow_id, wire["spec"], metadata=wire["metadata"].get("attributes") or None)
    again = client.flows.get(flow.flow_id)
    assert again.spec == flow.spec and again.to_wire()["spec"] == wire["spec"]
    assert again.flow_id == flow.flow_id


def test_training_project_read_wire_write_back_read_is_equal(client):
    project = next(iter(client.training_projects))
    wire = project.to_wire()
    client.training_projects.update(project.training_project_id, spec=wire["spec"])
    again = client.training_projects.get(project.training_project_id)
    assert again.spec == project.spec and again.to_wire()["spec"] == wire["spec"]


def test_organization_read_wire_write_back_read_is_equal(client):
    organization = client.organizations.get()
    wire = organization.to_wire()
    client.organizations.update(spec={"name": wire["name"]})
    again = client.organizations.get()
    assert again.to_wire()["name"] == wire["name"] and again.name == organization.name
    assert again.organization_id == organization.organization_id
