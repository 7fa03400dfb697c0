"""Image grids saved as PNG files, with NumPy and the standard library only (zlib for compression).

    save_grid("runs/my-run/samples/epoch-003.png", images)   # images: (N, H, W, C) floats in [0, 1]
"""
import math
import struct
import zlib
from pathlib import Path

import numpy as np


def to_uint8(images, value_range=(0.0, 1.0)):
    """Floats in value_range -> uint8 in [0, 255] (values outside the range are clipped)."""
    low, high = value_range
    scaled = (np.asarray(images, dtype=np.float32) - low) / (high - low)
    return np.clip(np.rint(scaled * 255.0), 0, 255).astype(np.uint8)


def grid(images, columns=None, padding=2):
    """(N, H, W, C) uint8 images -> one (rows*(H+p)+p, columns*(W+p)+p, C) uint8 image, row by row."""
    images = np.asarray(images)
    if images.ndim == 3:  # (N, H, W): grayscale without a channel axis
        images = images[..., np.newaxis]
    count, height, width, channels = images.shape
    columns = columns or max(1, math.ceil(math.sqrt(count)))
    rows = max(1, math.ceil(count / columns))
    sheet = np.full(
        (rows * (height + padding) + padding, columns * (width + padding) + padding, channels), 255, dtype=np.uint8
    )
    for index in range(count):
        top = padding + (index // columns) * (height + padding)
        left = padding + (index % columns) * (width + padding)
        sheet[top : top + height, left : left + width] = images[index]
    return sheet


def write_png(path, image):
    """Writes an (H, W) or (H, W, C) uint8 image, C = 1 (gray), 3 (RGB) or 4 (RGBA), as a PNG file."""
    image = np.asarray(image, dtype=np.uint8)
    if image.ndim == 2:
        image = image[..., np.newaxis]
    height, width, channels = image.shape
    color_type = {1: 0, 3: 2, 4: 6}[channels]
    rows = b"".join(b"\x00" + image[y].tobytes() for y in range(height))  # filter type 0 per row

    def chunk(kind, payload):
        body = kind + payload
        return struct.pack(">I", len(payload)) + body + struct.pack(">I", zlib.crc32(body) & 0xFFFFFFFF)

    header = struct.pack(">IIBBBBB", width, height, 8, color_type, 0, 0, 0)
    png = b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(rows, 6)) + chunk(b"IEND", b"")
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(png)
    return path


def save_grid(path, images, value_range=(0.0, 1.0), columns=None):
    """Saves (N, H, W, C) float images in value_range as one PNG grid; returns the path."""
    return write_png(path, grid(to_uint8(images, value_range), columns=columns))
