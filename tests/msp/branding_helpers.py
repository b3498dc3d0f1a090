from __future__ import annotations

import io
import os

from PIL import Image


def image_bytes(
    kind: str = "PNG", size: tuple[int, int] = (120, 40), colour: tuple[int, int, int] = (200, 30, 30)
) -> bytes:
    buf = io.BytesIO()
    Image.new("RGB", size, colour).save(buf, format=kind)
    return buf.getvalue()


def noisy_png(min_bytes: int) -> bytes:
    """A valid PNG larger than ``min_bytes`` (random pixels do not compress)."""
    side = int((min_bytes / 3) ** 0.5) + 64
    buf = io.BytesIO()
    Image.frombytes("RGB", (side, side), os.urandom(side * side * 3)).save(buf, format="PNG")
    return buf.getvalue()
