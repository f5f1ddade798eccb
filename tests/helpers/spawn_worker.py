"""Functions a ``spawn``-started process imports by name (so they live outside the test module)."""


def list_dataset_ids(client):
    """Runs in the child: use the client that was pickled in the parent."""
    try:
        return [d.dataset_id for d in client.datasets.list().items], client.is_closed
    finally:
        client.close()
