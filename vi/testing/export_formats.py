"""Export archives in each format the API accepts, laid out as the service lays them out.

Every archive holds one folder per split (`dump/`, or `training/` and `validation/` when the
export has a split ratio) and a `metadata.json` at the top. Inside a split:

============================  ===================================================================
format                        files in `<split>/`
============================  ===================================================================
``ViFull``                    ``images/<filename>`` (each asset's one content) and
                              ``annotations/<NNNNNN>.jsonl``: one file per image, holding its
                              one public Vi JSONL line (`vi_jsonl.py`), numbered in the images'
                              file-name order so the n-th annotation file belongs to the n-th image
``ViJsonl``                   ``annotations/annotations.jsonl``: one line per image
``ViTfrecord``                ``annotations/annotations.tfrecord``: one ``tf.train.Example`` per image
``Coco``                      ``annotations/annotations.json`` (images, categories, pixel boxes)
``PascalVoc``                 ``annotations/<image stem>.xml``, one per image
``YoloDarknet``               ``annotations/<image stem>.txt`` (``class cx cy w h``, normalised) and
                              ``annotations/classes.txt``
``YoloKerasPytorch``          ``annotations/annotations.txt`` (``filename x1,y1,x2,y2,class ...``,
                              pixels) and ``annotations/classes.txt``
``CsvFourCorner``             ``annotations/annotations.csv``: ``filename,xmin,ymin,xmax,ymax,class``
``CsvWidthHeight``            ``annotations/annotations.csv``: ``filename,x,y,width,height,class``
============================  ===================================================================

CSV coordinates follow the export's ``normalized`` option (0..1, or pixels). Only ``ViFull`` carries
the images; the others are annotations only.
"""

from __future__ import annotations

import csv
import io
import json
import struct
import zipfile
from typing import Any, Callable, Dict, Iterable, List, Tuple
from xml.sax.saxutils import escape

from ..transfers.crc32c import crc32c
from .records import AssetRecord, DatasetRecord
from .vi_jsonl import asset_line, box_of

__all__ = ["FORMATS", "write_archive"]

JSON = Dict[str, Any]
Split = Tuple[str, List[AssetRecord]]
Box = Tuple[str, int, List[float]]  # class name, tag id, normalised [xmin, ymin, xmax, ymax]

_ZIP_DATE = (2024, 12, 11, 6, 53, 20)


def member_name(filename: str) -> str:
    """A file name as one archive member name: no folder separators, never `.` or `..`."""
    name = filename.replace("/", "_").replace("\\", "_")
    return "_" + name if name in ("", ".", "..") else name


def _stem(filename: str) -> str:
    name = member_name(filename)
    return name.rsplit(".", 1)[0] if "." in name[1:] else name


def _boxes(ds: DatasetRecord, asset: AssetRecord) -> List[Box]:
    names = {tag: name for name, tag in ds.tags.items()}
    out = []
    for ann in sorted(asset.annotations.values(), key=lambda a: a.seq):
        if ann.role == "PhraseGroundingBoundingBox":
            out.append((names.get(ann.tag, str(ann.tag)), ann.tag, box_of(ann.bound)))
    return out


def _classes(ds: DatasetRecord) -> List[str]:
    return [name for name, _ in sorted(ds.tags.items(), key=lambda item: item[1])]


def _num(value: float) -> str:
    return format(round(value, 6), "g")


class _Writer:
    def __init__(self, archive: zipfile.ZipFile) -> None:
        self.archive = archive

    def text(self, name: str, text: str) -> None:
        info = zipfile.ZipInfo(name, _ZIP_DATE)
        info.compress_type = zipfile.ZIP_DEFLATED
        self.archive.writestr(info, text.encode("utf-8"))

    def stream(self, name: str, pieces: Iterable[bytes]) -> None:
        info = zipfile.ZipInfo(name, _ZIP_DATE)
        info.compress_type = zipfile.ZIP_STORED  # pictures are compressed already
        with self.archive.open(info, "w", force_zip64=True) as out:
            for piece in pieces:
                out.write(piece)


# -- the formats --------------------------------------------------------------------------------------


def _vi_full(w: _Writer, ds: DatasetRecord, split: str, assets: List[AssetRecord], ctx: JSON) -> None:
    for folder in ("images", "annotations"):  # present even when the split is empty
        w.archive.writestr(zipfile.ZipInfo(f"{split}/{folder}/", _ZIP_DATE), b"")
    width = max(6, len(str(len(assets))))
    for number, asset in enumerate(assets, start=1):
        w.stream(f"{split}/images/{member_name(asset.filename)}", ctx["chunks"](asset))
        line = json.dumps(asset_line(ds, asset), ensure_ascii=False, separators=(",", ":"))
        w.text(f"{split}/annotations/{number:0{width}d}.jsonl", line + "\n")


def _vi_jsonl(w: _Writer, ds: DatasetRecord, split: str, assets: List[AssetRecord], ctx: JSON) -> None:
    lines = [json.dumps(asset_line(ds, a), ensure_ascii=False, separators=(",", ":")) for a in assets]
    w.text(f"{split}/annotations/annotations.jsonl", "".join(line + "\n" for line in lines))


def _coco(w: _Writer, ds: DatasetRecord, split: str, assets: List[AssetRecord], ctx: JSON) -> None:
    images: List[JSON] = []
    annotations: List[JSON] = []
    for image_id, asset in enumerate(assets, start=1):
        images.append(
            {"id": image_id, "file_name": asset.filename, "width": asset.width, "height": asset.height}
        )
        for _, tag, (x0, y0, x1, y1) in _boxes(ds, asset):
            box = [x0 * asset.width, y0 * asset.height, (x1 - x0) * asset.width, (y1 - y0) * asset.height]
            box = [round(v, 2) for v in box]
            annotations.append(
                {
                    "id": len(annotations) + 1,
                    "image_id": image_id,
                    "category_id": tag,
                    "bbox": box,
                    "area": round(box[2] * box[3], 2),
                    "iscrowd": 0,
                    "segmentation": [],
                }
            )
    categories = [{"id": tag, "name": name, "supercategory": "none"} for name, tag in sorted(ds.tags.items())]
    document = {"images": images, "annotations": annotations, "categories": categories}
    w.text(f"{split}/annotations/annotations.json", json.dumps(document, ensure_ascii=False, indent=1))


def _pascal_voc(w: _Writer, ds: DatasetRecord, split: str, assets: List[AssetRecord], ctx: JSON) -> None:
    for asset in assets:
        objects = []
        for name, _, (x0, y0, x1, y1) in _boxes(ds, asset):
            coords = [
                round(x0 * asset.width),
                round(y0 * asset.height),
                round(x1 * asset.width),
                round(y1 * asset.height),
            ]
            objects.append(
                "  <object>\n    <name>{}</name>\n    <pose>Unspecified</pose>\n    <truncated>0</truncated>\n"
                "    <difficult>0</difficult>\n    <bndbox>\n      <xmin>{}</xmin>\n      <ymin>{}</ymin>\n"
                "      <xmax>{}</xmax>\n      <ymax>{}</ymax>\n    </bndbox>\n  </object>\n".format(
                    escape(name), *coords
                )
            )
        xml = (
            "<annotation>\n  <folder>images</folder>\n  <filename>{}</filename>\n  <size>\n"
            "    <width>{}</width>\n    <height>{}</height>\n    <depth>3</depth>\n  </size>\n"
            "  <segmented>0</segmented>\n{}</annotation>\n"
        ).format(escape(asset.filename), asset.width, asset.height, "".join(objects))
        w.text(f"{split}/annotations/{_stem(asset.filename)}.xml", xml)


def _yolo_darknet(w: _Writer, ds: DatasetRecord, split: str, assets: List[AssetRecord], ctx: JSON) -> None:
    classes = _classes(ds)
    index = {name: i for i, name in enumerate(classes)}
    for asset in assets:
        rows = []
        for name, _, (x0, y0, x1, y1) in _boxes(ds, asset):
            values = ((x0 + x1) / 2, (y0 + y1) / 2, x1 - x0, y1 - y0)
            rows.append(" ".join([str(index.get(name, 0))] + [_num(v) for v in values]))
        w.text(f"{split}/annotations/{_stem(asset.filename)}.txt", "".join(r + "\n" for r in rows))
    w.text(f"{split}/annotations/classes.txt", "".join(c + "\n" for c in classes))


def _yolo_keras(w: _Writer, ds: DatasetRecord, split: str, assets: List[AssetRecord], ctx: JSON) -> None:
    classes = _classes(ds)
    index = {name: i for i, name in enumerate(classes)}
    rows = []
    for asset in assets:
        boxes = []
        for name, _, (x0, y0, x1, y1) in _boxes(ds, asset):
            pixels = (x0 * asset.width, y0 * asset.height, x1 * asset.width, y1 * asset.height)
            boxes.append(",".join([str(round(v)) for v in pixels] + [str(index.get(name, 0))]))
        rows.append(" ".join([asset.filename] + boxes))
    w.text(f"{split}/annotations/annotations.txt", "".join(r + "\n" for r in rows))
    w.text(f"{split}/annotations/classes.txt", "".join(c + "\n" for c in classes))


def _csv(corners: bool) -> Callable[[_Writer, DatasetRecord, str, List[AssetRecord], JSON], None]:
    def render(w: _Writer, ds: DatasetRecord, split: str, assets: List[AssetRecord], ctx: JSON) -> None:
        out = io.StringIO()
        writer = csv.writer(out, lineterminator="\n")
        writer.writerow(
            ["filename", "xmin", "ymin", "xmax", "ymax", "class"]
            if corners
            else ["filename", "x", "y", "width", "height", "class"]
        )
        for asset in assets:
            sx, sy = (1.0, 1.0) if ctx["normalized"] else (float(asset.width), float(asset.height))
            for name, _, (x0, y0, x1, y1) in _boxes(ds, asset):
                values = (
                    (x0 * sx, y0 * sy, x1 * sx, y1 * sy)
                    if corners
                    else (x0 * sx, y0 * sy, (x1 - x0) * sx, (y1 - y0) * sy)
                )
                writer.writerow([asset.filename] + [_num(v) for v in values] + [name])
        w.text(f"{split}/annotations/annotations.csv", out.getvalue())

    return render


# -- TFRecord: framed records of serialised tf.train.Example messages ---------------------------------


def _varint(value: int) -> bytes:
    out = bytearray()
    while True:
        byte = value & 0x7F
        value >>= 7
        if value:
            out.append(byte | 0x80)
        else:
            out.append(byte)
            return bytes(out)


def _field(number: int, payload: bytes) -> bytes:
    return _varint(number << 3 | 2) + _varint(len(payload)) + payload


def _feature(values: List[Any]) -> bytes:
    """A `Feature`: bytes_list (1), float_list (2) or int64_list (3) by the values' type."""
    if values and isinstance(values[0], float):
        return _field(2, _field(1, b"".join(struct.pack("<f", v) for v in values)))
    if values and isinstance(values[0], int):
        return _field(3, _field(1, b"".join(_varint(v & 0xFFFFFFFFFFFFFFFF) for v in values)))
    return _field(1, b"".join(_field(1, v) for v in values))


def _example(features: Dict[str, List[Any]]) -> bytes:
    entries = b"".join(
        _field(1, _field(1, key.encode()) + _field(2, _feature(v))) for key, v in features.items()
    )
    return _field(1, entries)


def _masked(crc: int) -> int:
    return (((crc >> 15) | (crc << 17)) + 0xA282EAD8) & 0xFFFFFFFF


def _tfrecord(w: _Writer, ds: DatasetRecord, split: str, assets: List[AssetRecord], ctx: JSON) -> None:
    records = []
    for asset in assets:
        contents = asset_line(ds, asset)["contents"]
        boxes = _boxes(ds, asset)
        features: Dict[str, List[Any]] = {
            "image/filename": [asset.filename.encode("utf-8")],
            "image/width": [asset.width],
            "image/height": [asset.height],
            "image/object/bbox/xmin": [b[2][0] for b in boxes],
            "image/object/bbox/ymin": [b[2][1] for b in boxes],
            "image/object/bbox/xmax": [b[2][2] for b in boxes],
            "image/object/bbox/ymax": [b[2][3] for b in boxes],
            "image/object/class/text": [b[0].encode("utf-8") for b in boxes],
            "image/object/class/label": [b[1] for b in boxes],
        }
        if contents["type"] == "Vqa":
            features["vqa/question"] = [i["question"].encode("utf-8") for i in contents["interactions"]]
            features["vqa/answer"] = [i["answer"].encode("utf-8") for i in contents["interactions"]]
        else:
            features["caption"] = [contents["caption"].encode("utf-8")]
        data = _example(features)
        length = struct.pack("<Q", len(data))
        records.append(
            length
            + struct.pack("<I", _masked(crc32c(length)))
            + data
            + struct.pack("<I", _masked(crc32c(data)))
        )
    info = zipfile.ZipInfo(f"{split}/annotations/annotations.tfrecord", _ZIP_DATE)
    info.compress_type = zipfile.ZIP_DEFLATED
    w.archive.writestr(info, b"".join(records))


FORMATS: Dict[str, Callable[[_Writer, DatasetRecord, str, List[AssetRecord], JSON], None]] = {
    "ViFull": _vi_full,
    "ViJsonl": _vi_jsonl,
    "ViTfrecord": _tfrecord,
    "Coco": _coco,
    "PascalVoc": _pascal_voc,
    "YoloDarknet": _yolo_darknet,
    "YoloKerasPytorch": _yolo_keras,
    "CsvFourCorner": _csv(True),
    "CsvWidthHeight": _csv(False),
}


def write_archive(
    target: Any,
    ds: DatasetRecord,
    fmt: str,
    normalized: bool,
    splits: List[Split],
    chunks: Callable[[AssetRecord], Iterable[bytes]],
    metadata: JSON,
) -> None:
    """Write the whole archive of one export into the file object `target`."""
    render = FORMATS[fmt]
    ctx = {"normalized": normalized, "chunks": chunks}
    with zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED, allowZip64=True) as archive:
        writer = _Writer(archive)
        for split, assets in splits:
            ordered = sorted(assets, key=lambda a: a.filename)
            render(writer, ds, split, ordered, ctx)
        writer.text("metadata.json", json.dumps(metadata, ensure_ascii=False, indent=2))
