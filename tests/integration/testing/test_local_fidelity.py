"""The local server as a stand-in for the service: files, formats and time behave like it.

One test (or a few) per point: image dimensions, the public annotation format, export archives,
one content per asset, large uploads, expiry on an injectable clock, short ids in test helpers.
"""

import csv
import io
import json
import os
import struct
import xml.etree.ElementTree as ET
import zipfile

import pytest

from vi.testing import LocalViServer
from vi.testing.export_formats import FORMATS
from vi.testing.pictures import jpeg_bytes, png_bytes
from vi.transfers.crc32c import crc32c

from .fidelity import Raw, manual_server

Image = pytest.importorskip("PIL.Image")


def pillow(fmt, size, **options):
    out = io.BytesIO()
    Image.new("RGB", size, (1, 2, 3)).save(out, fmt, **options)
    return out.getvalue()


@pytest.fixture
def server():
    with manual_server() as srv:
        yield srv


@pytest.fixture
def raw(server):
    view = Raw(server)
    yield view
    view.close()


def first_dataset(raw):
    return raw.call("GET", raw.url("datasets"), params={"s": 1}).json()["items"][0]["datasetId"]


# -- 1. image dimensions -------------------------------------------------------------------------------


def test_uploaded_images_get_their_dimensions_from_their_headers(raw):
    exif = Image.Exif()
    exif[0x0112] = 6  # rotated: stored 50x20, shown 20x50
    files = {
        "photo.jpg": ("image/jpeg", pillow("JPEG", (50, 20), exif=exif.tobytes())),
        "progressive.jpg": ("image/jpeg", pillow("JPEG", (33, 17), progressive=True)),
        "a.png": ("image/png", pillow("PNG", (12, 34))),
        "a.webp": ("image/webp", pillow("WEBP", (21, 9))),
        "a.gif": ("image/gif", pillow("GIF", (8, 5))),
        "a.bmp": ("image/bmp", pillow("BMP", (7, 3))),
        "a.tiff": ("image/tiff", pillow("TIFF", (6, 4))),
    }
    ds = raw.new_dataset()
    session = raw.upload(ds, files)
    assert session["status"]["progressCount"] == {"total": 7, "succeeded": 7, "errored": 0}
    sizes = {n: (a["metadata"]["width"], a["metadata"]["height"]) for n, a in raw.assets(ds).items()}
    assert sizes == {
        "photo.jpg": (20, 50),
        "progressive.jpg": (33, 17),
        "a.png": (12, 34),
        "a.webp": (21, 9),
        "a.gif": (8, 5),
        "a.bmp": (7, 3),
        "a.tiff": (6, 4),
    }


def test_unreadable_images_fail_with_the_ingestion_error_and_make_no_asset(raw):
    ds = raw.new_dataset()
    files = {
        "text.jpg": ("image/jpeg", b"this is not a picture at all"),
        "cut.png": ("image/png", png_bytes(10, 10, (0, 0, 0))[:20]),
        "fine.png": ("image/png", png_bytes(10, 10, (0, 0, 0))),
    }
    session = raw.upload(ds, files)
    errors = [e for e in session["status"]["events"] if e["kind"] == "Error"][0]["files"]
    assert errors == {"text.jpg": "EBADMIME", "cut.png": "ECORRUPT"}
    assert session["status"]["progressCount"] == {"total": 3, "succeeded": 1, "errored": 2}
    assert list(raw.assets(ds)) == ["fine.png"]


# -- 2. annotation import in the public format -----------------------------------------------------------


def public_line(filename, contents, line_id=1):
    return {
        "id": line_id,
        "asset": {"type": "Image", "filename": filename, "width": 64, "height": 36},
        "contents": contents,
    }


def test_public_phrase_grounding_lines_are_inserted_and_bad_lines_rejected(raw):
    ds = first_dataset(raw)
    assets = raw.assets(ds)
    name, asset = next(iter(assets.items()))
    before = len(raw.annotations(ds, asset["assetId"]))
    good = public_line(
        name,
        {
            "type": "PhraseGrounding",
            "caption": "A red car beside a tall tree",
            "groundedPhrases": [
                {
                    "phrase": "red car",
                    "startTokenIndex": 2,
                    "endTokenIndex": 9,
                    "bounds": [[0.1, 0.2, 0.3, 0.4]],
                },
                # a span given in words (tokens 5..6, end exclusive) is read as "tall tree"
                {
                    "phrase": "tall tree",
                    "startTokenIndex": 5,
                    "endTokenIndex": 7,
                    "bounds": [[0.5, 0.5, 0.9, 0.9], [0, 0, 0.1, 0.1]],
                },
            ],
        },
    )
    bad = [
        "not json at all",
        json.dumps([1, 2]),
        json.dumps(public_line("no-such-file.jpg", good["contents"])),
        json.dumps(public_line(name, {"type": "Vqa", "interactions": []})),  # wrong type for the dataset
        json.dumps(
            public_line(
                name,
                dict(
                    good["contents"],
                    groundedPhrases=[
                        {"phrase": "boat", "startTokenIndex": 0, "endTokenIndex": 4, "bounds": [[0, 0, 1, 1]]}
                    ],
                ),
            )
        ),
        json.dumps(
            public_line(
                name,
                dict(
                    good["contents"],
                    groundedPhrases=[
                        {
                            "phrase": "red car",
                            "startTokenIndex": 2,
                            "endTokenIndex": 9,
                            "bounds": [[0.5, 0.5, 0.2, 0.2]],
                        }
                    ],
                ),
            )
        ),
        json.dumps({"asset": good["asset"], "contents": good["contents"]}),  # no id
    ]
    content = "\n".join([json.dumps(good)] + bad + [""]).encode()
    done = raw.import_lines(ds, {"a.jsonl": content})
    assert done["status"]["annotations"]["statusCount"] == {"Inserted": 1, "Rejected": 7}
    assert all(c["status"] == "Reached" for c in done["status"]["conditions"])
    added = raw.annotations(ds, asset["assetId"])[before:]
    kinds = [a["spec"]["contents"]["kind"] for a in added]
    assert kinds == ["Caption"] + ["PhraseGroundingBoundingBox"] * 3
    assert added[0]["spec"]["contents"]["contents"] == "A red car beside a tall tree"
    assert [a["spec"]["contents"]["target"] for a in added[1:]] == [[2, 9], [19, 28], [19, 28]]
    assert added[1]["spec"]["contents"]["bound"] == [[0.1, 0.2], [0.3, 0.2], [0.3, 0.4], [0.1, 0.4]]
    assert len({a["spec"]["aggregation"]["whole"]["id"] for a in added}) == 1
    logs = raw.call(
        "GET", raw.ds(ds, "annotationImportSessions", done["annotationImportSessionId"], "logs")
    ).json()
    assert sum(1 for e in logs["entries"] if e["level"] == "WARNING") == 7


def test_public_vqa_lines_and_the_reject_policies(raw):
    datasets = raw.call("GET", raw.url("datasets"), params={"s": 100}).json()["items"]
    vqa = next(d["datasetId"] for d in datasets if d["type"] == "vqa")
    name, asset = next(iter(raw.assets(vqa).items()))
    line = public_line(
        name, {"type": "Vqa", "interactions": [{"order": 0, "question": "Colour?", "answer": "Red"}]}, "x1"
    )
    done = raw.import_lines(vqa, {"v.jsonl": (json.dumps(line) + "\n").encode()})
    assert done["status"]["annotations"]["statusCount"] == {"Inserted": 1}
    assert raw.annotations(vqa, asset["assetId"])[-1]["spec"]["contents"]["contents"] == "Q: Colour?\nA: Red"
    mixed = (json.dumps(line) + "\n{broken\n").encode()
    whole_file = raw.import_lines(vqa, {"v.jsonl": mixed}, policy="RejectFile")
    assert whole_file["status"]["annotations"]["statusCount"] == {"Rejected": 2}
    session = raw.import_lines(vqa, {"v.jsonl": mixed}, policy="RejectSession")
    assert {c["condition"]: c["status"] for c in session["status"]["conditions"]}[
        "FilesParsed"
    ] == "FailedReach"
    assert len(raw.annotations(vqa, asset["assetId"])) == 3  # 2 seeded + 1 interaction, nothing since


# -- 3. export archives ------------------------------------------------------------------------------


def export(raw, ds, fmt, split=None, normalized=True):
    body = {"spec": {"format": fmt, "options": {"normalized": normalized, "splitRatio": split}}}
    created = raw.call("POST", raw.ds(ds, "datasetExports"), json=body).json()
    raw.server.operations.finish_all()
    done = raw.call("GET", raw.ds(ds, "datasetExports", created["datasetExportId"])).json()
    data = raw.storage("GET", done["status"]["downloadUrl"]["url"]).content
    return zipfile.ZipFile(io.BytesIO(data))


def test_vifull_layout_pairs_each_image_with_its_one_line(raw, server):
    ds = first_dataset(raw)
    archive = export(raw, ds, "ViFull", split=0.5)
    names = archive.namelist()
    metadata = json.loads(archive.read("metadata.json"))
    assert {"name", "organizationId", "exportDir", "createdAt", "license"} <= set(metadata)
    stored = raw.assets(ds)
    for split in ("training", "validation"):
        images = sorted(n for n in names if n.startswith(split + "/images/") and not n.endswith("/"))
        lines = sorted(n for n in names if n.startswith(split + "/annotations/") and n.endswith(".jsonl"))
        assert len(images) == len(lines) == 6
        for image, line_file in zip(images, lines):
            (line,) = archive.read(line_file).decode().splitlines()
            record = json.loads(line)
            filename = image.split("/")[-1]
            asset = stored[filename]
            assert record["asset"] == {
                "type": "Image",
                "filename": filename,
                "width": asset["metadata"]["width"],
                "height": asset["metadata"]["height"],
            }
            assert record["contents"]["type"] == "PhraseGrounding" and isinstance(record["id"], str)
            caption = record["contents"]["caption"]
            for phrase in record["contents"]["groundedPhrases"]:
                assert caption[phrase["startTokenIndex"] : phrase["endTokenIndex"]] == phrase["phrase"]
                assert all(len(box) == 4 for box in phrase["bounds"])
            # 4. one content: the archive's picture is the bytes the asset URL serves, and decodes
            data = archive.read(image)
            assert data == server.store.asset_bytes(server.organization_id, ds, asset["assetId"])
            assert len(data) == asset["metadata"]["fileSize"]
            assert Image.open(io.BytesIO(data)).size == (
                asset["metadata"]["width"],
                asset["metadata"]["height"],
            )


def test_every_export_format_is_rendered_in_its_own_layout(raw):
    ds = first_dataset(raw)
    stored = raw.assets(ds)
    boxes = sum(
        1
        for a in stored.values()
        for n in raw.annotations(ds, a["assetId"])
        if n["spec"]["contents"]["kind"] == "PhraseGroundingBoundingBox"
    )
    seen = {}
    for fmt in FORMATS:
        archive = export(raw, ds, fmt)
        names = set(archive.namelist())
        seen[fmt] = names
        if fmt == "ViJsonl":
            lines = archive.read("dump/annotations/annotations.jsonl").decode().splitlines()
            assert sorted(json.loads(x)["asset"]["filename"] for x in lines) == sorted(stored)
        elif fmt == "Coco":
            coco = json.loads(archive.read("dump/annotations/annotations.json"))
            assert len(coco["images"]) == 12 and len(coco["annotations"]) == boxes
            image = {i["id"]: i for i in coco["images"]}[coco["annotations"][0]["image_id"]]
            x, y, w, h = coco["annotations"][0]["bbox"]
            assert 0 <= x and x + w <= image["width"] + 0.01 and 0 <= y and y + h <= image["height"] + 0.01
        elif fmt == "PascalVoc":
            xmls = [n for n in names if n.endswith(".xml")]
            assert len(xmls) == 12
            objects = sum(len(ET.fromstring(archive.read(n)).findall("object")) for n in xmls)
            assert objects == boxes
        elif fmt == "YoloDarknet":
            classes = archive.read("dump/annotations/classes.txt").decode().split()
            rows = [
                r
                for n in names
                if n.endswith(".txt") and "classes" not in n
                for r in archive.read(n).decode().splitlines()
            ]
            assert len(rows) == boxes and all(0 <= int(r.split()[0]) < len(classes) for r in rows)
            assert all(0.0 <= float(v) <= 1.0 for r in rows for v in r.split()[1:])
        elif fmt == "YoloKerasPytorch":
            rows = archive.read("dump/annotations/annotations.txt").decode().splitlines()
            assert sorted(r.split(" ")[0] for r in rows) == sorted(stored)
            assert sum(len(r.split(" ")) - 1 for r in rows) == boxes
        elif fmt.startswith("Csv"):
            rows = list(csv.reader(io.StringIO(archive.read("dump/annotations/annotations.csv").decode())))
            header = (
                ["filename", "xmin", "ymin", "xmax", "ymax", "class"]
                if fmt == "CsvFourCorner"
                else ["filename", "x", "y", "width", "height", "class"]
            )
            assert rows[0] == header and len(rows) - 1 == boxes
        elif fmt == "ViTfrecord":
            data = archive.read("dump/annotations/annotations.tfrecord")
            count, at = 0, 0
            while at < len(data):
                (length,) = struct.unpack("<Q", data[at : at + 8])
                masked = struct.unpack("<I", data[at + 8 : at + 12])[0]
                crc = crc32c(data[at : at + 8])
                assert masked == (((crc >> 15) | (crc << 17)) + 0xA282EAD8) & 0xFFFFFFFF
                at += 12 + length + 4
                count += 1
            assert at == len(data) and count == 12
        if fmt != "ViFull":
            assert not any("/images/" in n for n in names)  # annotations only
    # no two formats alike (the two CSV formats share a file name; their headers differ, above)
    assert len(set(map(frozenset, seen.values()))) == len(FORMATS) - 1


def test_csv_coordinates_follow_the_normalized_option(raw):
    ds = first_dataset(raw)
    scaled = export(raw, ds, "CsvFourCorner", normalized=False)
    plain = export(raw, ds, "CsvFourCorner", normalized=True)
    big = [
        float(v)
        for r in list(csv.reader(io.StringIO(scaled.read("dump/annotations/annotations.csv").decode())))[1:]
        for v in r[1:5]
    ]
    small = [
        float(v)
        for r in list(csv.reader(io.StringIO(plain.read("dump/annotations/annotations.csv").decode())))[1:]
        for v in r[1:5]
    ]
    assert max(small) <= 1.0 < max(big)


# -- 5. large uploads are kept, spooled to the server's own folder -------------------------------------


def test_large_upload_is_kept_on_disk_and_removed_on_stop(tmp_path):
    server = manual_server(datasets=1, runs=0)
    server.start()
    raw = Raw(server)
    try:
        server.store.upload_memory_limit = 64 * 1024
        big = png_bytes(300, 200, (9, 9, 9)) + os.urandom(3 * 1024 * 1024)  # a valid header, 3 MiB
        ds = raw.new_dataset()
        session = raw.upload(ds, {"big.png": ("image/png", big)})
        assert session["status"]["progressCount"]["succeeded"] == 1
        asset = raw.assets(ds)["big.png"]
        assert (asset["metadata"]["width"], asset["metadata"]["height"]) == (300, 200)
        record = server.store._dataset(server.organization_id, ds).assets[asset["assetId"]]
        assert record.data is None and record.path and os.path.getsize(record.path) == len(big)
        got = raw.call("GET", raw.ds(ds, "assets", asset["assetId"]), params={"contents": "y"}).json()
        assert raw.storage("GET", got["contents"]["asset"]["url"]).content == big
        folder = os.path.dirname(record.path)
    finally:
        raw.close()
        server.stop()
    assert not os.path.exists(folder)


def test_large_multipart_upload_is_assembled_on_disk():
    server = manual_server(datasets=1, runs=0)
    server.start()
    raw = Raw(server)
    try:
        server.store.upload_memory_limit = 32 * 1024
        server.store.multipart_part_size = 100 * 1024
        data = jpeg_bytes(64, 48, (1, 1, 1))
        data = data[:-2] + os.urandom(250 * 1024) + b"\xff\xd9"  # trailing bytes after the scan
        ds = raw.new_dataset()
        session = raw.start_ingestion(ds, {"m.jpg": ("image/jpeg", data)})
        source = raw.ds(ds, "assetSources", "managed", "datature", "default", "multipartUploads")
        spec = {
            "ingestionId": session["ingestionId"],
            "filename": "m.jpg",
            "contentType": "image/jpeg",
            "sizeBytes": len(data),
        }
        upload = raw.call("POST", source, json={"spec": spec}).json()
        upload_id = upload["multipartUploadId"]
        count = upload["status"]["partCount"] if "partCount" in upload.get("status", {}) else 3
        size = server.store.multipart_part_size
        for number in range(1, count + 1):
            target = raw.call("POST", f"{source}/{upload_id}/parts/{number}").json()
            piece = data[(number - 1) * size : number * size]
            etag = raw.storage("PUT", target["url"], data=piece, headers=target["headers"]).headers["ETag"]
            echo = {"responseHeaders": {"ETag": etag}}
            assert (
                raw.call("POST", f"{source}/{upload_id}/parts/{number}/completion", json=echo).status_code
                == 200
            )
        assert raw.call("POST", f"{source}/{upload_id}/completion").status_code == 200
        server.operations.finish_all()
        asset = raw.assets(ds)["m.jpg"]
        assert (asset["metadata"]["width"], asset["metadata"]["height"]) == (64, 48)
        assert server.store.asset_bytes(server.organization_id, ds, asset["assetId"]) == data
        record = server.store._dataset(server.organization_id, ds).assets[asset["assetId"]]
        assert record.path is not None
        spooled = sorted(os.listdir(os.path.dirname(record.path)))
        assert spooled == [os.path.basename(record.path)]  # the parts were removed once assembled
    finally:
        raw.close()
        server.stop()


# -- 6. time: uploads that never arrive expire -------------------------------------------------------------


def test_files_that_never_arrive_expire_with_etimeout(raw, server):
    ds = raw.new_dataset()
    files = {
        "sent.png": ("image/png", png_bytes(4, 4, (1, 2, 3))),
        "lost.png": ("image/png", png_bytes(5, 5, (1, 2, 3))),
    }
    session = raw.start_ingestion(ds, files)
    sent = next(a for a in session["status"]["assets"] if a["metadata"]["filename"] == "sent.png")
    assert raw.storage("PUT", sent["upload"]["url"], data=files["sent.png"][1]).status_code == 200
    lost_url = next(a for a in session["status"]["assets"] if a["metadata"]["filename"] == "lost.png")[
        "upload"
    ]["url"]
    server.clock.advance(3599)
    waiting = raw.ingestion(session)
    assert waiting["status"]["conditions"][-1]["status"] == "Waiting"
    server.clock.advance(2)
    expired = raw.ingestion(session)
    assert expired["status"]["conditions"][-1]["status"] == "Reached"
    errors = [e for e in expired["status"]["events"] if e["kind"] == "Error"][0]["files"]
    assert errors == {"lost.png": "ETIMEOUT"}
    assert list(raw.assets(ds)) == ["sent.png"]
    late = raw.storage("PUT", lost_url, data=files["lost.png"][1])
    assert late.status_code == 403 and "expired" in late.json()["message"]


def test_finish_all_does_not_expire_anything(raw, server):
    ds = raw.new_dataset()
    session = raw.start_ingestion(ds, {"x.png": ("image/png", png_bytes(4, 4, (1, 2, 3)))})
    server.operations.finish_all()
    assert raw.ingestion(session)["status"]["conditions"][-1]["status"] == "Waiting"


def test_import_sessions_whose_files_are_never_reported_expire(raw, server):
    ds = first_dataset(raw)
    base = raw.ds(ds, "annotationImportSessions")
    from .fidelity import PUBLIC_IMPORT

    session = raw.call("POST", base, json=PUBLIC_IMPORT).json()
    server.clock.advance(3601)
    done = raw.call("GET", base + "/" + session["annotationImportSessionId"]).json()
    (condition,) = done["status"]["conditions"]
    assert condition["status"] == "FailedReach" and "expired" in done["status"]["reason"]


def test_the_clock_drives_operations_and_timestamps():
    with manual_server(datasets=1, runs=0) as server:
        server.operations.delay = 5.0
        raw = Raw(server)
        ds = first_dataset(raw)
        created = raw.call(
            "POST",
            raw.ds(ds, "datasetExports"),
            json={"spec": {"format": "ViJsonl", "options": {"normalized": True, "splitRatio": None}}},
        ).json()
        url = raw.ds(ds, "datasetExports", created["datasetExportId"])
        server.clock.advance(4.9)
        assert {c["condition"]: c["status"] for c in raw.call("GET", url).json()["status"]["conditions"]}[
            "Finished"
        ] == "Waiting"
        server.clock.advance(0.2)
        done = raw.call("GET", url).json()
        assert {c["condition"]: c["status"] for c in done["status"]["conditions"]}["Finished"] == "Reached"
        assert done["metadata"]["lastUpdated"] - created["metadata"]["timeCreated"] >= 5000
        raw.close()


# -- 7. short ids in the test helpers --------------------------------------------------------------------


def test_store_helpers_take_the_short_dataset_id_the_sdk_returns():
    server = LocalViServer(datasets=1, runs=0)
    composite = server.store.list_datasets(server.organization_id, 0, 1).items[0]["datasetId"]
    short = composite.split("_", 1)[1]
    added = server.store.add_assets(server.organization_id, short, 3)
    assert len(added) == 3
    assert server.store.add_assets(server.organization_id, composite, 2)
    assert (
        server.store.count_assets(
            server.organization_id,
            composite,
            __import__("vi.testing.filters", fromlist=["AssetQuery"]).AssetQuery(),
        )
        == 17
    )
    with pytest.raises(LookupError):
        server.store.add_assets(server.organization_id, "nope", 1)


# -- 2 + 3: what an export writes, an import reads back ------------------------------------------------


def test_vi_jsonl_export_imports_into_a_copy_with_the_same_annotations(raw, server):
    source = first_dataset(raw)
    archive = export(raw, source, "ViJsonl")
    lines = archive.read("dump/annotations/annotations.jsonl")
    org = server.organization_id
    copy = raw.new_dataset("copy")
    originals = raw.assets(source)
    files = {
        name: (a["metadata"]["mimeType"], server.store.asset_bytes(org, source, a["assetId"]))
        for name, a in originals.items()
    }
    assert raw.upload(copy, files)["status"]["progressCount"]["succeeded"] == 12
    tags = raw.call("GET", raw.ds(source)).json()["tags"]
    raw.call("PATCH", raw.ds(copy), json={"name": "copy"})
    server.store._dataset(org, copy).tags = dict(tags)  # same tag names and ids as the source
    done = raw.import_lines(copy, {"export.jsonl": lines}, policy="RejectSession")
    assert done["status"]["annotations"]["statusCount"] == {"Inserted": 12}

    def shape(dataset_id, asset):
        parts = raw.annotations(dataset_id, asset["assetId"])
        return sorted((p["spec"]["tag"], json.dumps(p["spec"]["contents"], sort_keys=True)) for p in parts)

    copied = raw.assets(copy)
    for name, asset in originals.items():
        assert shape(copy, copied[name]) == shape(source, asset), name
