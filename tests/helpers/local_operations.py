"""Shared by the local server's operation tests: condition maps, timestamps, storage requests."""

SRC = "/assetSources/managed/datature/default"


def statuses(document):
    return {c["condition"]: c["status"] for c in document["status"]["conditions"]}


def assert_ms(value):
    assert isinstance(value, int) and not isinstance(value, bool) and value > 10**12


def storage_request(api, method, url, **kwargs):
    """Storage URLs take no credentials: send none."""
    headers = dict(kwargs.pop("headers", {}) or {}, Authorization=None, **{"Organization-Id": None})
    return api.session.request(method, url, headers=headers, timeout=5, **kwargs)
