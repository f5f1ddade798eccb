"""Image decoding, only when asked and only with Pillow (the ``images`` extra)."""

from __future__ import annotations

from typing import Any

from ..errors import ViError

__all__ = ["open_image"]


def open_image(path: str) -> Any:
    """``path`` decoded into a loaded ``PIL.Image.Image`` (the file is closed again)."""
    try:
        from PIL import Image
    except ImportError:
        raise ViError(
            "Decoding images needs Pillow, which is not installed",
            suggestion="pip install 'vi-requests[images]' (or read the bytes with asset.read_bytes())",
        ) from None
    with Image.open(path) as image:
        image.load()
        return image
