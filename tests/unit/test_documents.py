"""Declaring a document once (vi.documents + vi.fields): what the class declaration gives."""

from __future__ import annotations

import pickle
from typing import Dict, List, Optional

import pytest
from marshmallow import fields

from vi import fields as f
from vi.documents import Document, camel_case, decode, decode_many
from vi.errors import ViResponseError


class Part(Document):
    _repr_fields = ("part_id",)

    part_id: str = f.identifier()
    size_bytes: Optional[int] = f.integer(optional=True)


class Thing(Document, kind="Thing"):
    thing_id: str = f.identifier()
    organization_id: str = f.identifier("workspaceId")
    display_name: str = f.string()
    enabled: bool = f.boolean(default=False)
    ratio: Optional[float] = f.number(nullable=True)
    tags: List[str] = f.list_of(fields.String(), default=list)
    labels: Dict[str, str] = f.str_dict(optional=True)
    parts: List[Part] = f.nested_list(Part)
    main_part: Optional[Part] = f.nested(Part, optional=True)

    def _after_load(self) -> None:
        self.display_name = self.display_name.strip()


class SpecialThing(Thing):
    extra_note: Optional[str] = f.string(optional=True)


GOOD = {
    "kind": "Thing",
    "thingId": "t1",
    "workspaceId": "org",
    "displayName": " Thing one ",
    "ratio": None,
    "parts": [{"partId": "p1", "sizeBytes": 3}],
    "unknownField": {"kept": True},
}


def test_wire_names_are_camel_case_unless_given():
    assert camel_case("self_link") == "selfLink"
    assert camel_case("etag") == "etag"
    keys = {name: field.data_key for name, field in Thing.wire_schema().fields.items()}
    assert keys["thing_id"] == "thingId"
    assert keys["organization_id"] == "workspaceId"
    assert keys["main_part"] == "mainPart"


def test_fields_are_declared_in_order_and_leave_the_class():
    assert Thing._fields[:3] == ("thing_id", "organization_id", "display_name")
    assert "thing_id" not in Thing.__dict__  # the field lives in the schema, values on instances


def test_decode_builds_the_document_with_defaults_raw_and_after_load():
    thing = decode(Thing, GOOD, "thing")
    assert type(thing) is Thing
    assert thing.display_name == "Thing one"
    assert thing.enabled is False and thing.tags == [] and thing.labels is None
    assert thing.parts == [Part(part_id="p1", size_bytes=3)]
    assert thing.main_part is None
    assert thing.raw["unknownField"] == {"kept": True}
    assert repr(thing.parts[0]) == "Part(part_id='p1')"
    assert pickle.loads(pickle.dumps(thing)) == thing


def test_required_nullable_and_kind_are_enforced_with_field_paths():
    with pytest.raises(ViResponseError, match="displayName"):
        decode(Thing, {k: v for k, v in GOOD.items() if k != "displayName"}, "thing")
    with pytest.raises(ViResponseError, match="ratio"):
        decode(Thing, {k: v for k, v in GOOD.items() if k != "ratio"}, "thing")
    with pytest.raises(ViResponseError, match="kind"):
        decode(Thing, dict(GOOD, kind="Other"), "thing")
    with pytest.raises(ViResponseError, match=r"items\[1\]\.thingId"):
        decode_many(Thing, [GOOD, dict(GOOD, thingId="")], "thing")


def test_subclasses_inherit_fields_and_get_their_own_schema():
    special = decode(SpecialThing, dict(GOOD, extraNote="n"), "thing")
    assert type(special) is SpecialThing and special.extra_note == "n"
    assert SpecialThing._fields == Thing._fields + ("extra_note",)
    assert "extra_note" not in Thing._fields
    assert SpecialThing.wire_schema() is not Thing.wire_schema()


def test_a_document_without_fields_has_no_schema():
    class Handmade(Document):
        _fields = ("a",)

    assert Handmade(a=1).a == 1
    with pytest.raises(TypeError):
        Handmade.wire_schema()


def test_inner_fields_must_be_marshmallow_fields():
    with pytest.raises(TypeError):
        f.list_of("not a field")
