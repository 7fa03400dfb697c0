"""Image grids as PNG files: torchvision.utils.save_image when torchvision is installed, else a small
pure-Python PNG writer (zlib + struct), so writing samples never needs another package."""
import struct
import zlib
from pathlib import Path

import torch


def make_grid(images, nrow=8, padding=2, pad_value=0.0):
    """(N, C, H, W) -> one (C, rows * (H + padding) + padding, cols * (W + padding) + padding) image."""
    n, c, h, w = images.shape
    cols = max(1, min(nrow, n))
    rows = (n + cols - 1) // cols
    grid = torch.full((c, rows * (h + padding) + padding, cols * (w + padding) + padding), float(pad_value))
    for i in range(n):
        top, left = padding + (i // cols) * (h + padding), padding + (i % cols) * (w + padding)
        grid[:, top:top + h, left:left + w] = images[i]
    return grid


def write_png(path, pixels):
    """Writes a uint8 image, (H, W) grey or (H, W, C) with C = 1 (grey), 3 (RGB) or 4 (RGBA), as PNG."""
    if pixels.dim() == 2:
        pixels = pixels.unsqueeze(-1)
    height, width, channels = pixels.shape
    color_type = {1: 0, 3: 2, 4: 6}[channels]
    data = pixels.to(torch.uint8).contiguous().numpy().tobytes()
    stride = width * channels
    raw = b"".join(b"\x00" + data[y * stride:(y + 1) * stride] for y in range(height))  # filter 0 per row

    def chunk(kind, body):
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body) & 0xFFFFFFFF)

    header = struct.pack(">IIBBBBB", width, height, 8, color_type, 0, 0, 0)
    png = b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(raw, 9)) + chunk(b"IEND", b"")
    Path(path).write_bytes(png)


def save_image_grid(images, path, nrow=8, padding=2, use_torchvision=True):
    """Saves images (N, C, H, W) with values in [0, 1] as one PNG grid, nrow images per row."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    images = images.detach().float().cpu().clamp(0.0, 1.0)
    if use_torchvision:
        try:
            from torchvision.utils import save_image
        except ImportError:
            save_image = None
        if save_image is not None:
            save_image(images, str(path), nrow=nrow, padding=padding)
            return path
    grid = make_grid(images, nrow=nrow, padding=padding)  # (C, H, W)
    if grid.size(0) == 2:
        grid = grid[:1]
    write_png(path, (grid * 255 + 0.5).clamp(0, 255).to(torch.uint8).permute(1, 2, 0))
    return path
