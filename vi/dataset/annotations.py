"""The documents of a downloaded dataset: one line of the public Vi JSONL annotation format.

Each line of ``<split>/annotations/*.jsonl`` is one annotation::

    {"id": "...", "asset": {"type": "Image", "filename": "a.jpg", "width": 640, "height": 480},
     "contents": {"type": "PhraseGrounding", "caption": "...", "groundedPhrases": [...]},
     "category": null}

The documents are declared the way the API's documents are (a model whose attributes come from
its marshmallow schema), so a field is written down once and marshmallow does the checking.
``contents`` is a union tagged by ``type``: :class:`PhraseGrounding`, :class:`Vqa`,
:class:`Freeform`; a type this version does not know is kept as its plain ``dict`` rather than
failing the whole dataset.
"""

from __future__ import annotations

from typing import Any, Dict, List, Mapping, Optional, Sequence, Tuple, Union

from marshmallow import Schema, ValidationError, fields

from .. import fields as f
from .._fastload import Bail, fast_loader
from ..documents import Document
from . import geometry
from .geometry import Box

__all__ = [
    "ViAsset",
    "GroundedPhrase",
    "PhraseGrounding",
    "VqaPair",
    "Vqa",
    "Freeform",
    "ViAnnotation",
    "ViAnnotationContents",
    "load_annotation",
    "AnnotationFormatError",
]


class AnnotationFormatError(ValueError):
    """A line that is JSON but not a valid annotation; ``problems`` are ``field.path: message``."""

    def __init__(self, problems: Sequence[str]) -> None:
        self.problems = list(problems)
        super().__init__("; ".join(self.problems))


class _Int(fields.Integer):
    """A JSON integer: ``1.0``, ``"1"`` and ``true`` are refused rather than guessed at."""

    def _deserialize(self, value: Any, attr: Any, data: Any, **kwargs: Any) -> Any:
        if isinstance(value, bool) or not isinstance(value, int):
            raise self.make_error("invalid")
        return value


class _TypeTagged(fields.Field):
    """A union tagged by its ``type`` key; an unknown type stays a plain ``dict``."""

    default_error_messages = {"invalid": "Not a valid object."}

    def __init__(self, choices: Mapping[str, Schema], **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.choices = dict(choices)

    def _deserialize(self, value: Any, attr: Any, data: Any, **kwargs: Any) -> Any:
        if not isinstance(value, dict):
            raise self.make_error("invalid")
        kind = value.get("type")
        if not isinstance(kind, str):
            raise ValidationError({"type": ["Missing or not a string."]})
        schema = self.choices.get(kind)
        if schema is None:
            return dict(value)
        return _load(schema, value)


# -- the asset a line points at ------------------------------------------------------------------


class ViAsset(Document):
    """An image of the dataset: its file name, its size in pixels and where it is on disk.

    The same class describes the ``asset`` of an annotation line (where ``filepath`` is None)
    and the assets a :class:`~vi.dataset.ViDataset` yields (where ``filepath`` is the image file,
    or None for an annotations-only export). ``width``/``height`` come from the annotations;
    they are None for an image no annotation describes."""

    _repr_fields = ("filename", "width", "height")

    filename: str = f.string()
    width: Optional[int] = f.custom(_Int(data_key="width", load_default=None, allow_none=True))
    height: Optional[int] = f.custom(_Int(data_key="height", load_default=None, allow_none=True))
    filepath: Optional[str] = f.string(optional=True)
    url: Optional[str] = f.string(optional=True)
    split: Optional[str] = f.string(optional=True)

    def read_bytes(self) -> bytes:
        """The file's bytes (a :class:`vi.errors.ViError` if this asset has no local file)."""
        with open(self._local_path(), "rb") as handle:
            return handle.read()

    def load_image(self) -> Any:
        """The image decoded by Pillow (``pip install vi-requests[images]``), fully loaded so
        that no file handle stays open."""
        from .images import open_image

        return open_image(self._local_path())

    def _local_path(self) -> str:
        if self.filepath is None:
            from ..errors import ViError

            raise ViError(
                "Asset %s has no local file (an annotations-only export)" % self.filename,
                suggestion="Download the dataset with its assets (the ViFull export format)",
            )
        return self.filepath


# -- phrase grounding ----------------------------------------------------------------------------


class GroundedPhrase(Document):
    """A phrase of the caption and the boxes that ground it.

    ``start_token_index``/``end_token_index`` locate the phrase in the caption (see
    :meth:`text_span`); ``bounds`` holds one box per grounded region, each
    ``[xmin, ymin, xmax, ymax]`` (four ``[x, y]`` corners are accepted too), normalised to 0-1
    when the export was normalised (the default) or in pixels otherwise."""

    _repr_fields = ("phrase", "bounds")

    phrase: str = f.string()
    start_token_index: int = f.custom(_Int(data_key="startTokenIndex", required=True))
    end_token_index: int = f.custom(_Int(data_key="endTokenIndex", required=True))
    bounds: List[List[Any]] = f.list_of(fields.List(fields.Raw()), default=list)

    def boxes(self) -> List[Box]:
        """The bounds as :class:`~vi.dataset.geometry.Box` values, in the units they were stored."""
        return [geometry.to_box(bound) for bound in self.bounds]

    def pixel_boxes(self, width: int, height: int, normalized: Optional[bool] = None) -> List[Box]:
        """The bounds in absolute pixels of an image ``width`` × ``height``.

        ``normalized`` says whether the stored values are 0-1 fractions; None decides by the
        values themselves (all within 0-1 → fractions)."""
        boxes = self.boxes()
        if _is_normalized(boxes, normalized):
            return [box.scaled(width, height) for box in boxes]
        return boxes

    def normalized_boxes(self, width: int, height: int, normalized: Optional[bool] = None) -> List[Box]:
        """The bounds as 0-1 fractions of the image size (``normalized`` as in :meth:`pixel_boxes`)."""
        boxes = self.boxes()
        if _is_normalized(boxes, normalized):
            return boxes
        return [box.scaled(1.0 / width, 1.0 / height) for box in boxes]

    def text_span(self, caption: str) -> Tuple[int, int]:
        """``(start, end)`` character offsets of the phrase in ``caption``: ``caption[start:end]``.

        The indices are read as character offsets when they select the phrase (end exclusive or
        inclusive), else as whitespace-separated word indices (inclusive); when neither matches,
        the first occurrence of the phrase text is returned. A :class:`ValueError` if the phrase
        is nowhere in the caption."""
        return geometry.text_span(caption, self.phrase, self.start_token_index, self.end_token_index)


def _is_normalized(boxes: Sequence[Box], normalized: Optional[bool]) -> bool:
    if normalized is not None:
        return normalized
    return all(0.0 <= v <= 1.0 for box in boxes for v in box)


class PhraseGrounding(Document):
    """A caption with the phrases of it that are grounded in the image."""

    TYPE = "PhraseGrounding"
    _repr_fields = ("caption",)

    caption: str = f.string(default="")
    grounded_phrases: List[GroundedPhrase] = f.nested_list(GroundedPhrase, default=list)

    @property
    def type(self) -> str:
        return self.TYPE


# -- visual question answering ------------------------------------------------------------------


class VqaPair(Document):
    """One question and its answer; ``order`` is its place in the conversation."""

    _repr_fields = ("order", "question")

    order: int = f.custom(_Int(data_key="order", load_default=0))
    question: str = f.string()
    answer: str = f.string()


class Vqa(Document):
    """Question/answer pairs about the image, in conversation order."""

    TYPE = "Vqa"
    _repr_fields = ("interactions",)

    interactions: List[VqaPair] = f.nested_list(VqaPair, default=list)

    @property
    def type(self) -> str:
        return self.TYPE

    def pairs(self) -> List[Tuple[str, str]]:
        """``(question, answer)`` tuples sorted by ``order``."""
        return [(p.question, p.answer) for p in sorted(self.interactions, key=lambda p: p.order)]


# -- freeform -------------------------------------------------------------------------------------


class Freeform(Document):
    """Free text about the image (a description, a caption); every other key stays on ``raw``."""

    TYPE = "Freeform"
    _repr_fields = ("text",)

    text: Optional[str] = f.string(optional=True)
    caption: Optional[str] = f.string(optional=True)

    @property
    def type(self) -> str:
        return self.TYPE


#: What ``ViAnnotation.contents`` holds: a known document, or the plain dict of an unknown type.
ViAnnotationContents = Union[PhraseGrounding, Vqa, Freeform, Dict[str, Any]]


class ViAnnotation(Document):
    """One annotation line: its id, the asset it describes, its contents and category."""

    _repr_fields = ("id", "contents")

    id: str = f.string()
    asset: ViAsset = f.nested(ViAsset)
    contents: ViAnnotationContents = f.custom(
        _TypeTagged(
            {
                "PhraseGrounding": PhraseGrounding.wire_schema(),
                "Vqa": Vqa.wire_schema(),
                "Freeform": Freeform.wire_schema(),
            },
            data_key="contents",
            required=True,
        )
    )
    category: Optional[str] = f.raw(optional=True)

    @property
    def type(self) -> Optional[str]:
        """The contents' ``type`` (``"PhraseGrounding"``, ``"Vqa"``, ``"Freeform"`` or unknown)."""
        if isinstance(self.contents, dict):
            kind = self.contents.get("type")
            return kind if isinstance(kind, str) else None
        return str(getattr(self.contents, "TYPE", None))


def _load(schema: Schema, document: Any) -> Any:
    """The SDK's generated loader for well-formed documents; marshmallow itself for the rest
    (and so for every error message)."""
    fast = fast_loader(schema)
    if fast is not None:
        try:
            return fast(document)
        except Bail:
            pass
    return schema.load(document)


def load_annotation(document: Any) -> ViAnnotation:
    """One decoded line → :class:`ViAnnotation` (an :class:`AnnotationFormatError` when invalid)."""
    if not isinstance(document, dict):
        raise AnnotationFormatError(["<line>: expected a JSON object"])
    try:
        annotation: ViAnnotation = _load(ViAnnotation.wire_schema(), document)
    except ValidationError as err:
        raise AnnotationFormatError(sorted(_flatten(err.messages))) from None
    return annotation


def _flatten(messages: Any, prefix: str = "") -> List[str]:
    out: List[str] = []
    if isinstance(messages, dict):
        for key, value in messages.items():
            out.extend(_flatten(value, "%s.%s" % (prefix, key) if prefix else str(key)))
    elif isinstance(messages, list) and all(isinstance(m, str) for m in messages):
        out.append("%s: %s" % (prefix or "<line>", " ".join(messages)))
    elif isinstance(messages, list):
        for index, value in enumerate(messages):
            out.extend(_flatten(value, "%s[%d]" % (prefix, index)))
    else:
        out.append("%s: %s" % (prefix or "<line>", messages))
    return out
