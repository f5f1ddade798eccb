"""Typed annotations of the Vi JSONL format and the geometry helpers on them."""

import pytest

from tests.helpers.datasets import annotation_line, freeform, phrase_grounding, vqa
from vi.dataset import Box, Freeform, GroundedPhrase, PhraseGrounding, ViAnnotation, ViAsset, Vqa, VqaPair
from vi.dataset.annotations import AnnotationFormatError, load_annotation
from vi.dataset.geometry import text_span, to_box
from vi.documents import Document, DocumentSchema


def load(line):
    import json

    return load_annotation(json.loads(line))


def test_phrase_grounding_line():
    a = load(
        annotation_line("a.jpg", phrase_grounding("a red car on a road", "red car"), width=200, height=100)
    )
    assert isinstance(a, ViAnnotation) and a.type == "PhraseGrounding" and a.category is None
    assert a.asset == ViAsset(filename="a.jpg", width=200, height=100, filepath=None, url=None, split=None)
    pg = a.contents
    assert isinstance(pg, PhraseGrounding) and pg.caption == "a red car on a road"
    (phrase,) = pg.grounded_phrases
    assert isinstance(phrase, GroundedPhrase) and phrase.phrase == "red car"
    assert phrase.boxes() == [Box(0.1, 0.2, 0.5, 0.6)]
    assert phrase.pixel_boxes(200, 100) == [pytest.approx(Box(20.0, 20.0, 100.0, 60.0))]
    assert phrase.normalized_boxes(200, 100) == [Box(0.1, 0.2, 0.5, 0.6)]
    start, end = phrase.text_span(pg.caption)
    assert pg.caption[start:end] == "red car"


def test_pixel_bounds_convert_to_normalised_and_back():
    phrase = GroundedPhrase(phrase="x", start_token_index=0, end_token_index=1, bounds=[[20, 10, 100, 50]])
    assert phrase.pixel_boxes(200, 100) == [Box(20, 10, 100, 50)]
    assert phrase.normalized_boxes(200, 100) == [pytest.approx(Box(0.1, 0.1, 0.5, 0.5))]
    # tiny pixel boxes would look normalised: say so explicitly
    small = GroundedPhrase(phrase="x", start_token_index=0, end_token_index=1, bounds=[[0, 0, 1, 1]])
    assert small.pixel_boxes(200, 100, normalized=False) == [Box(0, 0, 1, 1)]
    assert small.pixel_boxes(200, 100) == [Box(0, 0, 200, 100)]


def test_box_shapes_and_conversions():
    corners = [[10, 20], [50, 20], [50, 60], [10, 60]]
    box = to_box(corners)
    assert box == Box(10, 20, 50, 60) and box.width == 40 and box.height == 40
    assert box.xywh() == (10, 20, 40, 40) and to_box(box.corners()) == box
    assert to_box([50, 60, 10, 20]) == box  # swapped corners are ordered
    for bad in ([1, 2, 3], [[1, 2], [3]], ["a", 1, 2, 3], [True, 0, 1, 1]):
        with pytest.raises(ValueError):
            to_box(bad)


@pytest.mark.parametrize(
    "start, end",
    [(2, 9), (2, 8), (1, 2)],  # exclusive chars, inclusive chars, word indices
    ids=["chars-exclusive", "chars-inclusive", "words"],
)
def test_text_span_reads_each_index_convention(start, end):
    assert text_span("a red car on a road", "red car", start, end) == (2, 9)


def test_text_span_falls_back_to_the_text_and_refuses_a_missing_phrase():
    assert text_span("a red car", "car", 40, 50) == (6, 9)
    with pytest.raises(ValueError, match="not in the caption"):
        text_span("a red car", "bus", 0, 3)


def test_vqa_and_freeform_lines():
    a = load(annotation_line("b.jpg", vqa(("Q2", "A2"), ("Q1", "A1"))))
    assert isinstance(a.contents, Vqa) and a.type == "Vqa"
    assert a.contents.interactions[0] == VqaPair(order=0, question="Q2", answer="A2")
    a.contents.interactions[0].order = 5
    assert a.contents.pairs() == [("Q1", "A1"), ("Q2", "A2")]
    f = load(annotation_line("c.jpg", dict(freeform("hello"), extra=[1])))
    assert isinstance(f.contents, Freeform) and f.contents.text == "hello" and f.contents.raw["extra"] == [1]


def test_unknown_contents_type_is_kept_as_a_dict():
    a = load(annotation_line("d.jpg", {"type": "Polygon", "points": [[0, 0]]}, category="road"))
    assert a.contents == {"type": "Polygon", "points": [[0, 0]]} and a.type == "Polygon"
    assert a.category == "road"


@pytest.mark.parametrize(
    "document, problem",
    [
        ({"asset": {"filename": "a"}, "contents": {"type": "Vqa"}}, "id: Missing data"),
        ({"id": "1", "asset": {"filename": "a"}, "contents": {"caption": "x"}}, "contents.type"),
        ({"id": "1", "asset": {"filename": "a", "width": "4"}, "contents": {"type": "Vqa"}}, "asset.width"),
        (
            {
                "id": "1",
                "asset": {"filename": "a"},
                "contents": {"type": "PhraseGrounding", "groundedPhrases": [{}]},
            },
            "contents.groundedPhrases.0.phrase",
        ),
        ([], "expected a JSON object"),
    ],
)
def test_invalid_documents_name_the_field(document, problem):
    with pytest.raises(AnnotationFormatError) as err:
        load_annotation(document)
    assert problem in str(err.value)


def test_declared_once_through_the_model_schemas():
    """The annotation documents are SDK documents: the class declares its fields once, and the
    schema is built from them, so there is no second list of names to keep in step."""
    assert issubclass(ViAnnotation, Document)
    assert isinstance(ViAnnotation.wire_schema(), DocumentSchema)
    assert ViAnnotation._fields == tuple(ViAnnotation.wire_schema().fields)
    assert GroundedPhrase._fields == ("phrase", "start_token_index", "end_token_index", "bounds")


@pytest.mark.parametrize(
    "contents",
    [phrase_grounding(), vqa(("a", "b"), ("c", "d")), freeform(), {"type": "Other", "x": 1}],
    ids=["phrase-grounding", "vqa", "freeform", "unknown"],
)
def test_fast_path_builds_what_marshmallow_builds(contents):
    import json

    document = json.loads(annotation_line("a.jpg", contents, category="c"))
    fast = load_annotation(document)
    slow = ViAnnotation.wire_schema().load(document)
    assert fast == slow and fast.raw == slow.raw == document
    assert fast.contents == slow.contents and type(fast.contents) is type(slow.contents)
