"""The generated fast loaders give the same objects and the same errors as ``Schema.load``.

For every schema of every resource, hypothesis builds documents from the schema's own field
declarations (valid ones, and ones broken in one place: a missing required key, a null, a value
of the wrong JSON type, a wrong ``kind``) and checks:

* on a document marshmallow accepts, the fast loader returns an equal object of the same type
  (and does not give up on it, or there would be no fast path to speak of);
* on a document marshmallow rejects, the fast loader gives up (``Bail``), so ``vi.documents.decode``
  reports marshmallow's own error.
"""

import importlib
import json
import pkgutil

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from marshmallow import Schema, ValidationError, fields, missing

import vi.resources
from tests.helpers import REPO_ROOT
from vi._fastload import _SCALARS, Bail, fast_loader
from vi.documents import Document, DocumentSchema, decode, decode_many
from vi.errors import ViResponseError


def all_schemas():
    """The schema of every document declared in vi.resources, by schema class name."""
    found = {}
    for info in pkgutil.iter_modules(vi.resources.__path__):
        module = importlib.import_module("vi.resources." + info.name)
        for value in vars(module).values():
            if (
                isinstance(value, type)
                and issubclass(value, Document)
                and value.__dict__.get("_schema") is not None
            ):
                schema = value.wire_schema()
                found[type(schema).__name__] = schema
            elif isinstance(value, DocumentSchema) and not value.many:
                found[type(value).__name__] = value
    return found


SCHEMAS = all_schemas()

json_scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-(2**40), 2**40),
    st.floats(allow_nan=False, allow_infinity=False),
    st.text(max_size=8),
)
json_values = st.recursive(
    json_scalars,
    lambda inner: st.one_of(
        st.lists(inner, max_size=3), st.dictionaries(st.text(max_size=5), inner, max_size=3)
    ),
    max_leaves=6,
)


def registered_types(field):
    for base, check in _SCALARS.items():
        if (
            isinstance(field, base)
            and isinstance(check, tuple)
            and type(field)._deserialize is base._deserialize
        ):
            return check
    return None


def value_strategy(field, depth=0):
    """Values the field should accept (marshmallow decides; the test does not assume)."""
    if isinstance(field, fields.Nested):
        schema = field.schema
        return document_strategy(schema, depth + 1) if depth < 4 else st.just({})
    if isinstance(field, fields.List):
        return st.lists(value_strategy(field.inner, depth + 1), max_size=3)
    if isinstance(field, fields.Dict):
        keys = (
            value_strategy(field.key_field, depth + 1) if field.key_field is not None else st.text(max_size=5)
        )
        values = (
            value_strategy(field.value_field, depth + 1) if field.value_field is not None else json_values
        )
        return st.dictionaries(keys, values, max_size=3)
    types = registered_types(field)
    if types is not None:
        if types == (str,):
            return st.text(max_size=10)
        if types == (int,):
            return st.integers(-(2**53), 2**53)
        if types == (bool,):
            return st.booleans()
        if set(types) == {int, float}:
            return st.one_of(st.integers(-1000, 1000), st.floats(allow_nan=False, allow_infinity=False))
        if types == ():
            return json_values
    choices = getattr(field, "choices", None)
    if isinstance(choices, dict):  # a tagged union: known kinds and an unknown one
        known = (
            [
                document_strategy(schema, depth + 1).map(lambda d, k=kind: dict(d, kind=k))
                for kind, schema in choices.items()
            ]
            if depth < 4
            else []
        )
        return st.one_of(*known, st.fixed_dictionaries({"kind": st.text(min_size=1, max_size=6)}))
    return st.one_of(st.text(max_size=6), json_values)


def document_strategy(schema, depth=0):
    required, optional = {}, {}
    for name, field in schema.fields.items():
        if field.dump_only:
            continue
        key = field.data_key or name
        value = value_strategy(field, depth)
        if field.allow_none:
            value = st.one_of(st.none(), value)
        (required if field.required else optional)[key] = value
    kind = getattr(type(schema), "__kind__", "")
    if kind:
        optional["kind"] = st.just(kind)
    extra = st.dictionaries(st.sampled_from(["zzUnknown", "future", "x-y"]), json_values, max_size=2)
    return st.tuples(st.fixed_dictionaries(required, optional=optional), extra).map(
        lambda t: {**t[1], **t[0]}
    )


def broken(schema):
    """A valid-looking document with one thing wrong (or, sometimes, nothing wrong)."""

    @st.composite
    def build(draw):
        doc = draw(document_strategy(schema))
        keys = [f.data_key or n for n, f in schema.fields.items() if not f.dump_only]
        how = draw(st.sampled_from(["drop", "null", "retype", "kind", "nest"]))
        if not keys:
            return doc
        key = draw(st.sampled_from(keys))
        if how == "drop":
            doc.pop(key, None)
        elif how == "null":
            doc[key] = None
        elif how == "retype":
            doc[key] = draw(json_values)
        elif how == "kind":
            doc["kind"] = draw(st.text(max_size=6))
        elif how == "nest" and isinstance(doc.get(key), dict) and doc[key]:
            inner = sorted(doc[key])[0]
            doc[key] = dict(doc[key], **{inner: draw(json_values)})
        return doc

    return build()


def slow(schema, doc):
    try:
        return True, schema.load(doc)
    except ValidationError as err:
        return False, err


def check_same(schema, doc, must_be_fast):
    loader = fast_loader(schema)
    assert loader is not None, "%s has no fast loader" % type(schema).__name__
    ok, expected = slow(schema, doc)
    try:
        got = loader(doc)
    except Bail:
        assert not (ok and must_be_fast), "fast path gave up on a valid %s: %r" % (type(schema).__name__, doc)
        got = None
    else:
        assert ok, "fast path accepted what marshmallow rejects: %r -> %s" % (doc, expected)
        assert type(got) is type(expected) and got == expected
        if hasattr(expected, "raw"):
            assert got.raw is doc
    # Through the public entry point the outcome is identical either way.
    if ok:
        assert decode(schema, doc, "X") == expected
    else:
        with pytest.raises(ViResponseError) as info:
            decode(schema, doc, "X")
        assert "Malformed X" in info.value.message


@pytest.mark.parametrize("name", sorted(SCHEMAS))
def test_fast_loader_matches_marshmallow(name):
    schema = SCHEMAS[name]
    must_be_fast = all(
        not isinstance(f, fields.Field)
        or registered_types(f) is not None
        or isinstance(f, (fields.Nested, fields.List, fields.Dict))
        for f in schema.fields.values()
    )

    @settings(max_examples=40, deadline=None, suppress_health_check=list(HealthCheck))
    @given(document_strategy(schema))
    def valid(doc):
        check_same(schema, doc, must_be_fast)

    @settings(max_examples=40, deadline=None, suppress_health_check=list(HealthCheck))
    @given(broken(schema))
    def invalid(doc):
        check_same(schema, doc, False)

    valid()
    invalid()


def test_every_resource_schema_compiles():
    assert len(SCHEMAS) >= 20
    missing_loaders = [name for name, schema in SCHEMAS.items() if fast_loader(schema) is None]
    assert missing_loaders == []


def test_lists_fall_back_as_a_whole_with_the_item_path():
    schema = SCHEMAS["DatasetSchema"]
    good = json.loads((REPO_ROOT / "tests" / "helpers" / "data" / "datasets-get.json").read_text())
    assert decode_many(schema, [good, good], "Dataset") == [schema.load(good)] * 2
    bad = dict(good, createDate=1.5)
    with pytest.raises(ViResponseError, match=r"items\[1\]\.createDate"):
        decode_many(schema, [good, bad], "Dataset")


def test_non_dict_inputs_bail():
    loader = fast_loader(SCHEMAS["DatasetSchema"])
    for bad in (None, [], "x", 3):
        with pytest.raises(Bail):
            loader(bad)


def test_unsupported_schemas_get_no_loader():
    class Strict(Schema):
        name = fields.String()

        class Meta:
            unknown = "raise"

    assert fast_loader(Strict()) is None
    assert missing is not None
