"""A fast path for loading well-formed responses, derived from the marshmallow schemas.

``Schema.load`` spends most of its time on bookkeeping (error stores, hook dispatch, partial
loading) that a well-formed response never needs. This module reads a schema's declared fields
once and generates a plain Python function that builds the same model objects for valid input.

The schemas stay the single source of truth: nothing here restates a field.
And the fast path never produces an error of its own: at the first value it does not recognise
as valid it gives up, and the caller loads the same document through ``Schema.load``, so every
error message is marshmallow's. ``tests/property/test_fastload.py`` checks both promises with
hypothesis on valid and invalid documents, on marshmallow 3 and 4.
"""

from __future__ import annotations

import keyword
import threading
from typing import Any, Callable, Dict, List, Optional, Tuple

from marshmallow import EXCLUDE, Schema, ValidationError, fields, validate

__all__ = ["Bail", "fast_loader", "register_scalar"]

Loader = Callable[[Any], Any]


class Bail(Exception):
    """The fast path met something it does not vouch for; use ``Schema.load`` instead."""


_BAIL = Bail()
_MISSING = object()

#: field class → function checking/converting one non-None value (raise Bail when invalid).
_SCALARS: Dict[type, Any] = {}
#: schema hooks whose effect the generated loader reproduces (by name)
_KNOWN_HOOKS = frozenset({"_make_model", "_check_kind"})


def register_scalar(field_class: type, check: Any) -> None:
    """Teach the fast path an exact field class.

    ``check`` is either a tuple of exact types whose values the field returns unchanged, or a
    function that converts one non-None value (raising :class:`Bail` when the field would raise).
    Either way it must accept exactly what the field's ``_deserialize`` accepts and return what it
    returns; the property tests hold every registered class to that."""
    _SCALARS[field_class] = check


def _raw(value: Any) -> Any:
    return value


register_scalar(fields.String, (str,))
register_scalar(fields.Raw, ())  # anything goes, unchanged


def _hook_names(schema: Schema) -> List[str]:
    names: List[str] = []
    for entries in getattr(schema, "_hooks", {}).values():
        for entry in entries:
            names.append(entry[0] if isinstance(entry, tuple) else entry)
    return names


_cache: Dict[int, Tuple[Schema, Optional[Loader]]] = {}
_lock = threading.RLock()  # compiling a schema compiles its nested schemas


def fast_loader(schema: Schema) -> Optional[Loader]:
    """The generated loader for ``schema`` (built once), or None if it cannot have one."""
    key = id(schema)
    hit = _cache.get(key)
    if hit is not None and hit[0] is schema:
        return hit[1]
    with _lock:
        hit = _cache.get(key)
        if hit is not None and hit[0] is schema:
            return hit[1]
        try:
            loader = _compile(schema)
        except _Unsupported:
            loader = None
        _cache[key] = (schema, loader)
        return loader


class _Unsupported(Exception):
    pass


def _compile(schema: Schema) -> Loader:
    """Generate the source of one flat function for ``schema`` and compile it.

    A generated function, rather than a loop over a field table, because per-field dispatch is
    where the time goes: the generated code is one dict lookup and one type check per field."""
    if getattr(schema, "many", False) or schema.only or schema.exclude or schema.partial:
        raise _Unsupported
    if schema.unknown != EXCLUDE:
        raise _Unsupported
    hooks = _hook_names(schema)
    if any(name not in _KNOWN_HOOKS for name in hooks):
        raise _Unsupported
    model = getattr(type(schema), "__model__", None)
    kind = getattr(type(schema), "__kind__", "") if "_check_kind" in hooks else ""
    missing = _missing_marker()
    namespace: Dict[str, Any] = {"BAIL": _BAIL, "MISSING": _MISSING, "_validate": _validate}
    lines = ["def load(data):", "    if type(data) is not dict:", "        raise BAIL"]
    assigned: List[Tuple[str, str]] = []
    for index, (name, field) in enumerate(schema.fields.items()):
        if field.dump_only:
            continue  # ignored on load, like any unknown key
        if field.attribute is not None and field.attribute != name:
            raise _Unsupported
        var = "v%d" % index
        lines.extend(_field_lines(var, index, field.data_key or name, field, namespace, missing))
        assigned.append((name, var))
    if kind:
        namespace["KIND"] = kind
        lines.append("    if 'kind' in data and data['kind'] != KIND:")
        lines.append("        raise BAIL")
    if model is None:
        lines.append("    return {%s}" % ", ".join("%r: %s" % (n, v) for n, v in assigned))
    else:
        namespace["Model"] = model
        namespace["new"] = object.__new__
        by_name = dict(assigned)
        lines.append("    obj = new(Model)")
        plain = all(attr.isidentifier() and not keyword.iskeyword(attr) for attr in model._fields)
        if plain:  # one attribute store each: faster than dict.update, and keeps key sharing
            lines.extend("    obj.%s = %s" % (attr, by_name.get(attr, "None")) for attr in model._fields)
        else:
            entries = ", ".join("%r: %s" % (attr, by_name.get(attr, "None")) for attr in model._fields)
            lines.append("    obj.__dict__.update({%s})" % entries)
        lines.append("    obj.raw = data")
        if getattr(model, "_after_load", None) is not None:
            lines.append("    obj._after_load()")
        lines.append("    return obj")
    # Every KeyError (a required key missing) means "not provably valid": give up, like BAIL.
    lines = lines[:3] + ["    try:"] + ["    " + line for line in lines[3:]]
    lines += ["    except KeyError:", "        raise BAIL from None"]
    source = "\n".join(lines) + "\n"
    exec(compile(source, "<vi fast loader for %s>" % type(schema).__name__, "exec"), namespace)
    return namespace["load"]  # type: ignore[no-any-return]


def _field_lines(
    var: str, index: int, key: str, field: Any, namespace: Dict[str, Any], missing: Any
) -> List[str]:
    """The generated lines that read one field into ``var`` (or raise BAIL).

    The common shapes (a required or optional-null field of one exact type, or with one converter)
    fold the missing/None/type tests into one or two comparisons: ``data.get(key)`` answers None
    for a missing key, and None is never the expected type. Anything else takes the long form."""
    get = "data.get(%r)" % key  # a literal key: no lookup of a global per field
    get_or_missing = "data.get(%r, MISSING)" % key
    take = "data[%r]" % key  # a required key: subscript (a missing one raises KeyError → BAIL)
    check = _converter(field)
    default = field.load_default
    required, nullable = bool(field.required), bool(field.allow_none)
    optional_null = not required and default is missing and nullable
    checks = _validator_lines(var, index, field, namespace)
    lines: List[str] = []
    if isinstance(check, tuple) and len(check) == 1 and check[0] is not type(None):
        namespace["t%d" % index] = check[0]
        if required and not nullable:
            lines += [
                "    %s = %s" % (var, take),
                "    if type(%s) is not t%d:" % (var, index),
                "        raise BAIL",
            ]
            return lines + ["    " + line for line in checks]
        if optional_null or (required and nullable):
            lines.append("    %s = %s" % (var, get if optional_null else get_or_missing))
            lines += ["    if %s is not None:" % var, "        if type(%s) is not t%d:" % (var, index)]
            lines.append("            raise BAIL")
            return lines + ["        " + line for line in checks]
    elif not isinstance(check, tuple) and (optional_null or (required and not nullable)):
        namespace["c%d" % index] = check
        if optional_null:
            lines += ["    %s = %s" % (var, get), "    if %s is not None:" % var]
        else:
            lines += [
                "    %s = %s" % (var, take),
                "    if %s is None:" % var,
                "        raise BAIL",
                "    else:",
            ]
        lines.append("        %s = c%d(%s)" % (var, index, var))
        return lines + ["        " + line for line in checks]
    elif check == () and optional_null and not checks:
        return ["    %s = %s" % (var, get)]
    # the long form: every case spelled out
    lines.append("    %s = %s" % (var, get_or_missing))
    lines.append("    if %s is MISSING:" % var)
    if required:
        lines.append("        raise BAIL")
    elif default is missing:
        lines.append("        %s = None" % var)
    elif callable(default):
        namespace["d%d" % index] = default
        lines.append("        %s = d%d()" % (var, index))
    else:
        namespace["d%d" % index] = default
        lines.append("        %s = d%d" % (var, index))
    lines.append("    elif %s is None:" % var)
    lines.append("        pass" if nullable else "        raise BAIL")
    lines.append("    else:")
    if isinstance(check, tuple):
        if check:
            namespace["t%d" % index] = check[0] if len(check) == 1 else check
            test = (
                "type(%s) is not t%d" % (var, index)
                if len(check) == 1
                else "type(%s) not in t%d" % (var, index)
            )
            lines.append("        if %s:" % test)
            lines.append("            raise BAIL")
        else:
            lines.append("        pass")
    else:
        namespace["c%d" % index] = check
        lines.append("        %s = c%d(%s)" % (var, index, var))
    return lines + ["        " + line for line in checks]


def _validator_lines(var: str, index: int, field: Any, namespace: Dict[str, Any]) -> List[str]:
    """Lines (unindented) running the field's validators on a present, non-None ``var``.

    ``Length`` (the validator of every id) is written out inline, with the exact comparisons of
    ``marshmallow.validate.Length.__call__``; any other validator is called."""
    lines: List[str] = []
    for position, validator in enumerate(field.validators):
        if type(validator) is validate.Length and validator.equal is None:
            lines.append("if type(%s) is not str and not hasattr(%s, '__len__'):" % (var, var))
            lines.append("    raise BAIL")
            if validator.min is not None:
                lines += ["if len(%s) < %d:" % (var, validator.min), "    raise BAIL"]
            if validator.max is not None:
                lines += ["if len(%s) > %d:" % (var, validator.max), "    raise BAIL"]
            continue
        name = "val%d_%d" % (index, position)
        namespace[name] = (validator,)
        lines.append("_validate(%s, %s)" % (name, var))
    return lines


def _validate(validators: Tuple[Any, ...], value: Any) -> None:
    for validator in validators:
        try:
            ok = validator(value)
        except ValidationError:
            raise _BAIL from None
        if ok is False:
            raise _BAIL


def _missing_marker() -> Any:
    from marshmallow import missing

    return missing


def _as_function(check: Any) -> Callable[[Any], Any]:
    if not isinstance(check, tuple):
        return check  # type: ignore[no-any-return]
    if not check:
        return _raw
    types = frozenset(check)

    def exact(value: Any) -> Any:
        if type(value) in types:
            return value
        raise _BAIL

    return exact


def _converter(field: Any) -> Any:
    """A tuple of exact types (value kept as is) or a converting function."""
    cls = type(field)
    scalar = _SCALARS.get(cls)
    if scalar is None:
        # A subclass that only adds validators or defaults deserializes like its registered base.
        for base, check in _SCALARS.items():
            if isinstance(field, base) and getattr(cls, "_deserialize", None) is getattr(
                base, "_deserialize", None
            ):
                scalar = check
                break
    if scalar is not None:
        return scalar
    if cls is fields.Nested:
        return _nested(field)
    if cls is fields.List:
        inner = _as_function(_converter(field.inner))
        inner_nullable = bool(field.inner.allow_none)

        def convert_list(value: Any) -> Any:
            if type(value) is not list:
                raise _BAIL
            out: List[Any] = []
            for item in value:
                if item is None:
                    if not inner_nullable:
                        raise _BAIL
                    out.append(None)
                else:
                    out.append(inner(item))
            return out

        return convert_list
    if cls is fields.Dict:
        if field.key_field is not None and field.key_field.validators:
            raise _Unsupported
        if field.value_field is not None and field.value_field.validators:
            raise _Unsupported
        key_check = _converter(field.key_field) if field.key_field is not None else ()
        value_check = _converter(field.value_field) if field.value_field is not None else ()
        value_nullable = field.value_field is None or bool(field.value_field.allow_none)
        if isinstance(key_check, tuple) and isinstance(value_check, tuple) and not value_nullable:
            return _plain_dict(frozenset(key_check), frozenset(value_check))
        keys = _as_function(key_check)
        if field.value_field is not None:
            values = _as_function(_converter(field.value_field))
            values_nullable = bool(field.value_field.allow_none)
        else:
            values, values_nullable = _raw, True

        def convert_dict(value: Any) -> Any:
            if type(value) is not dict:
                raise _BAIL
            out: Dict[Any, Any] = {}
            for k, v in value.items():
                if v is None:
                    if not values_nullable:
                        raise _BAIL
                    out[keys(k)] = None
                else:
                    out[keys(k)] = values(v)
            return out

        return convert_dict
    return _generic(field)


def _plain_dict(key_types: "frozenset[type]", value_types: "frozenset[type]") -> Callable[[Any], Any]:
    """A dict of scalars: check every entry, then copy it in one go."""

    def convert_plain_dict(value: Any) -> Any:
        if type(value) is not dict:
            raise _BAIL
        for k, v in value.items():
            if (key_types and type(k) not in key_types) or (value_types and type(v) not in value_types):
                raise _BAIL
            if v is None:
                raise _BAIL
        return dict(value)

    return convert_plain_dict


def _nested(field: Any) -> Callable[[Any], Any]:
    schema = field.schema
    if getattr(field, "many", False) or getattr(schema, "many", False):
        return _generic(field)
    loader = fast_loader(schema)
    if loader is None:
        return _generic(field)
    return loader


def _generic(field: Any) -> Callable[[Any], Any]:
    """Any other field: its own ``deserialize`` (no validators: the caller runs them)."""
    deserialize = field._deserialize

    def convert(value: Any) -> Any:
        try:
            return deserialize(value, None, None)
        except (ValidationError, TypeError, ValueError, AttributeError, KeyError):
            raise _BAIL from None

    return convert
