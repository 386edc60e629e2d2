"""Renders icon-192.png and icon-512.png from the shapes of icon.svg (a check mark on a blue
square) with the standard library only, so the PNGs can be regenerated without an image
tool: `python3 web/icons/render.py`. The output is deterministic (no timestamps)."""
import math
import struct
import zlib
from pathlib import Path

BLUE = (0x1F, 0x4E, 0x79)
WHITE = (0xFF, 0xFF, 0xFF)
# The check mark of icon.svg in its 512-unit box, and its stroke width.
POINTS = [(150, 270), (220, 340), (362, 172)]
WIDTH = 48


def seg_dist(px, py, a, b):
    (ax, ay), (bx, by) = a, b
    dx, dy = bx - ax, by - ay
    t = max(0.0, min(1.0, ((px - ax) * dx + (py - ay) * dy) / (dx * dx + dy * dy)))
    return math.hypot(px - (ax + t * dx), py - (ay + t * dy))


def render(size, samples=3):
    scale = 512 / size
    rows = []
    for y in range(size):
        row = bytearray([0])  # filter: none
        for x in range(size):
            inside = 0
            for sy in range(samples):
                for sx in range(samples):
                    px = (x + (sx + 0.5) / samples) * scale
                    py = (y + (sy + 0.5) / samples) * scale
                    d = min(seg_dist(px, py, POINTS[i], POINTS[i + 1]) for i in range(len(POINTS) - 1))
                    inside += d <= WIDTH / 2
            a = inside / (samples * samples)
            row += bytes(round(BLUE[c] * (1 - a) + WHITE[c] * a) for c in range(3))
        rows.append(bytes(row))
    raw = b"".join(rows)

    def chunk(kind, data):
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", struct.pack(">IIBBBBB", size, size, 8, 2, 0, 0, 0))
        + chunk(b"IDAT", zlib.compress(raw, 9))
        + chunk(b"IEND", b"")
    )


if __name__ == "__main__":
    here = Path(__file__).resolve().parent
    for size in (192, 512):
        (here / f"icon-{size}.png").write_bytes(render(size))
