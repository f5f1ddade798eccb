"""ETL: download a dataset, read it pair by pair, and turn it into a table.

Runs as written against an embedded local Vi server (``python examples/reading_datasets.py``);
against the real service, drop the server and build the client from your credentials.
Needs pandas for the DataFrame step (``pip install 'vi-requests[pandas]'``).
"""

import tempfile
from pathlib import Path

import vi
from vi.dataset import PhraseGrounding, ViDataset, Vqa
from vi.testing import LocalViServer


def main(save_path: Path) -> "object":
    with LocalViServer(datasets=3, assets_per_dataset=8, operation_delay=0.01) as server:
        with vi.Client(
            secret_key=server.secret_key,
            organization_id=server.organization_id,
            endpoint=server.url,
        ) as client:
            # Extract: export and download the dataset (done once; later runs read the folder).
            dataset_id = next(client.datasets.list().all_items()).dataset_id
            dataset = ViDataset(dataset_id, client=client, save_path=save_path)

    # Transform: everything below reads local files only; the client is closed.
    print(dataset.info().total_assets, "images in", dataset.splits)
    for asset, annotations in dataset:
        for annotation in annotations:
            contents = annotation.contents
            if isinstance(contents, PhraseGrounding):
                for phrase in contents.grounded_phrases:
                    start, end = phrase.text_span(contents.caption)
                    for box in phrase.pixel_boxes(asset.width, asset.height):
                        print(asset.filename, contents.caption[start:end], [round(v) for v in box])
            elif isinstance(contents, Vqa):
                for question, answer in contents.pairs():
                    print(asset.filename, question, "->", answer)

    # Load: one row per annotation, ready for pandas (or vi.tables.write_csv without pandas).
    frame = dataset.to_dataframe(annotations=True)
    print(frame[["filename", "type", "caption"]].head())
    return frame


if __name__ == "__main__":
    with tempfile.TemporaryDirectory() as work:
        main(Path(work) / "datasets")
