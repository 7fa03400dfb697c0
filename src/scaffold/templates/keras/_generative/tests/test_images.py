"""PNG grids of images (no TensorFlow or Keras needed)."""
import struct
import zlib

import numpy as np

from images import grid, save_grid, to_uint8


def read_png(path):
    """(width, height, color type, pixel bytes) of a PNG written by images.write_png."""
    raw = path.read_bytes()
    assert raw[:8] == b"\x89PNG\r\n\x1a\n"
    position, chunks = 8, {}
    while position < len(raw):
        (length,) = struct.unpack(">I", raw[position : position + 4])
        kind, payload = raw[position + 4 : position + 8], raw[position + 8 : position + 8 + length]
        (crc,) = struct.unpack(">I", raw[position + 8 + length : position + 12 + length])
        assert crc == zlib.crc32(kind + payload) & 0xFFFFFFFF
        chunks[kind] = chunks.get(kind, b"") + payload
        position += 12 + length
    width, height, depth, color_type = struct.unpack(">IIBB", chunks[b"IHDR"][:10])
    assert depth == 8 and b"IEND" in chunks
    return width, height, color_type, zlib.decompress(chunks[b"IDAT"])


def test_grid_layout():
    images = np.zeros((5, 4, 6, 1), np.uint8)
    sheet = grid(images, columns=3, padding=1)
    assert sheet.shape == (2 * 5 + 1, 3 * 7 + 1, 1)


def test_to_uint8_clips():
    np.testing.assert_array_equal(to_uint8([-2.0, -1.0, 0.0, 1.0, 2.0], value_range=(-1.0, 1.0)), [0, 0, 128, 255, 255])


def test_save_grid_writes_a_valid_png(tmp_path):
    images = np.random.default_rng(0).random((4, 8, 8, 3)).astype(np.float32)
    path = save_grid(tmp_path / "samples" / "grid.png", images)
    width, height, color_type, pixels = read_png(path)
    assert (width, height, color_type) == (2 * 10 + 2, 2 * 10 + 2, 2)
    assert len(pixels) == height * (1 + width * 3)
