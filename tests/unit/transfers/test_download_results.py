"""What a dataset download result reports about the folder it describes, for every export layout."""

import pytest

from vi.transfers.download_results import DatasetDownloadResult

LAYOUTS = {
    "ViFull": ["images/a.png", "images/b.png", "annotations/000000.jsonl", "annotations/000001.jsonl"],
    "ViJsonl": ["annotations/annotations.jsonl"],
    "Coco": ["annotations/annotations.json"],
    "PascalVoc": ["annotations/a.xml", "annotations/b.xml"],
    "YoloDarknet": ["annotations/a.txt", "annotations/b.txt", "annotations/classes.txt"],
    "YoloKerasPytorch": ["annotations/annotations.txt", "annotations/classes.txt"],
    "CsvFourCorner": ["annotations/annotations.csv"],
    "ViTfrecord": ["annotations/annotations.tfrecord"],
}
EXPECTED = {
    "ViFull": 2,
    "ViJsonl": 1,
    "Coco": 1,
    "PascalVoc": 2,
    "YoloDarknet": 2,
    "YoloKerasPytorch": 1,
    "CsvFourCorner": 1,
    "ViTfrecord": 1,
}


@pytest.mark.parametrize("export_format", sorted(LAYOUTS))
def test_annotation_count_counts_annotation_files_of_every_format(tmp_path, export_format):
    for split in ("training", "validation"):
        for name in LAYOUTS[export_format]:
            path = tmp_path / split / name
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text("x")
    result = DatasetDownloadResult("ds", tmp_path, "exp", format=export_format)
    count = EXPECTED[export_format]
    assert result.annotation_count == {"training": count, "validation": count}
    assert "%d annotation files" % count in result.summary()


def test_a_reused_folder_says_so(tmp_path):
    (tmp_path / "dump").mkdir()
    result = DatasetDownloadResult("ds", tmp_path, "exp", downloaded=False)
    assert "not downloaded again" in result.summary() and "overwrite=True" in result.summary()
    assert "downloaded=False" in repr(result)
