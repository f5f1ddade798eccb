"""Geometry a training script needs from an annotation: boxes and text spans.

Boxes in the Vi JSONL format are ``[xmin, ymin, xmax, ymax]``, as 0-1 fractions of the image
size when the export was normalised; the API's own annotations store four ``[x, y]`` corners.
Both shapes become one :class:`Box`.
"""

from __future__ import annotations

from typing import Any, List, NamedTuple, Sequence, Tuple

__all__ = ["Box", "to_box", "text_span"]


class Box(NamedTuple):
    """An axis-aligned box; a tuple, so ``xmin, ymin, xmax, ymax = box`` works."""

    xmin: float
    ymin: float
    xmax: float
    ymax: float

    @property
    def width(self) -> float:
        return self.xmax - self.xmin

    @property
    def height(self) -> float:
        return self.ymax - self.ymin

    def scaled(self, sx: float, sy: float) -> "Box":
        """The box with x multiplied by ``sx`` and y by ``sy`` (fractions ↔ pixels)."""
        return Box(self.xmin * sx, self.ymin * sy, self.xmax * sx, self.ymax * sy)

    def xywh(self) -> Tuple[float, float, float, float]:
        """``(x, y, width, height)``, the COCO convention."""
        return (self.xmin, self.ymin, self.width, self.height)

    def corners(self) -> List[List[float]]:
        """The four ``[x, y]`` corners, clockwise from top-left (the API's ``bound`` shape)."""
        return [
            [self.xmin, self.ymin],
            [self.xmax, self.ymin],
            [self.xmax, self.ymax],
            [self.xmin, self.ymax],
        ]


def _number(value: Any) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise ValueError("a box coordinate must be a number, got %r" % (value,))
    return float(value)


def to_box(bound: Sequence[Any]) -> Box:
    """``[xmin, ymin, xmax, ymax]`` or a list of ``[x, y]`` points → the :class:`Box` around it."""
    if len(bound) == 4 and not any(isinstance(v, (list, tuple)) for v in bound):
        xmin, ymin, xmax, ymax = (_number(v) for v in bound)
        return Box(min(xmin, xmax), min(ymin, ymax), max(xmin, xmax), max(ymin, ymax))
    points = [(_number(p[0]), _number(p[1])) for p in bound if isinstance(p, (list, tuple)) and len(p) == 2]
    if not points or len(points) != len(bound):
        raise ValueError("a box is [xmin, ymin, xmax, ymax] or a list of [x, y] points, got %r" % (bound,))
    xs = [x for x, _ in points]
    ys = [y for _, y in points]
    return Box(min(xs), min(ys), max(xs), max(ys))


def _word_spans(caption: str) -> List[Tuple[int, int]]:
    spans: List[Tuple[int, int]] = []
    start = None
    for i, ch in enumerate(caption):
        if ch.isspace():
            if start is not None:
                spans.append((start, i))
                start = None
        elif start is None:
            start = i
    if start is not None:
        spans.append((start, len(caption)))
    return spans


def text_span(caption: str, phrase: str, start: int, end: int) -> Tuple[int, int]:
    """Where ``phrase`` sits in ``caption``, as ``(start, end)`` character offsets."""
    if 0 <= start <= end <= len(caption) and caption[start:end] == phrase:
        return (start, end)
    if 0 <= start <= end < len(caption) and caption[start : end + 1] == phrase:
        return (start, end + 1)
    words = _word_spans(caption)
    if 0 <= start <= end < len(words):
        first, last = words[start][0], words[end][1]
        if caption[first:last] == phrase:
            return (first, last)
    found = caption.find(phrase) if phrase else -1
    if found < 0:
        raise ValueError("phrase %r is not in the caption" % (phrase,))
    return (found, found + len(phrase))
