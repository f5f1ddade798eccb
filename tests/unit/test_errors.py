"""The error hierarchy and status mapping (PROTOCOL §12 with DESIGN decision 5's fixes)."""

import pickle

import pytest

from vi import errors as e


@pytest.mark.parametrize(
    "status, cls",
    [
        (400, e.ViValidationError),
        (401, e.ViAuthenticationError),
        (403, e.ViPermissionError),
        (404, e.ViNotFoundError),
        (408, e.ViTimeoutError),
        (409, e.ViConflictError),
        (413, e.ViValidationError),
        (418, e.ViValidationError),
        (429, e.ViRateLimitError),
        (500, e.ViServerError),
        (502, e.ViServerError),
        (503, e.ViServerError),
        (504, e.ViServerError),
        (599, e.ViServerError),
        (302, e.ViError),
    ],
)
def test_status_mapping(status, cls):
    assert issubclass(e.error_for_status(status), cls)


def test_permission_error_is_still_an_authentication_error():
    assert issubclass(e.ViPermissionError, e.ViAuthenticationError)
    assert e.ViPermissionError().error_code is e.ViErrorCode.PERMISSION_DENIED


def test_closed_client_error_is_vi_error_and_runtime_error():
    err = e.ViClientClosedError()
    assert isinstance(err, e.ViError) and isinstance(err, RuntimeError)


@pytest.mark.parametrize(
    "cls", [c for c in vars(e).values() if isinstance(c, type) and issubclass(c, e.ViError)]
)
def test_every_error_pickles_with_its_attributes(cls):
    err = (
        cls("boom", status_code=503, retry_after="2", trace_id="t1", attempts=4)
        if cls is not e.ViInvalidParameterError
        else cls("x", "bad x", status_code=400, attempts=4)
    )
    back = pickle.loads(pickle.dumps(err))
    assert type(back) is cls
    assert back.message == err.message
    assert back.status_code == err.status_code
    assert back.attempts == 4
    assert back.error_code == err.error_code
    assert str(back) == str(err)


def test_str_and_to_dict():
    err = e.ViServerError("down", status_code=503, attempts=3, method="GET", path="/workspaces/o")
    text = str(err)
    assert text.startswith("[ServerError] down (HTTP 503)")
    assert "after 3 attempts" in text
    d = err.to_dict()
    assert d["type"] == "ViServerError" and d["attempts"] == 3 and d["http_status"] == 500
    assert err.is_retryable() and err.is_server_error() and not err.is_client_error()


def test_codes_from_status():
    assert e.ViErrorCode.from_http_status(503) is e.ViErrorCode.SERVICE_UNAVAILABLE
    assert e.ViErrorCode.from_http_status(422) is e.ViErrorCode.VALIDATION_FAILED
    assert e.ViErrorCode.from_http_status(302) is e.ViErrorCode.UNKNOWN_ERROR
    assert e.ViErrorCode.FILE_TOO_LARGE.http_status == 413


def test_invalid_parameter_names_parameter():
    err = e.ViInvalidParameterError("dataset_id", "bad")
    assert err.parameter_name == "dataset_id"
    assert isinstance(err, ValueError)
