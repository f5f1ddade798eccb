"""Exceptions the store raises and the app turns into JSON error responses.

They live apart from the app so that the store and its mixins can raise them without importing
the WSGI layer.
"""

from __future__ import annotations

__all__ = ["BadRequest", "Conflict", "NotFound"]


class NotFound(LookupError):
    """Becomes a 404 `{"message": ...}`."""


class Conflict(Exception):
    """Becomes a 409 `{"message": ...}`: the request is valid but clashes with current state."""


class BadRequest(ValueError):
    """Becomes a 400 `{"message": ...}` for checks that need state (validation.BodyError needs none)."""
