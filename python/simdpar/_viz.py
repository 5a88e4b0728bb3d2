"""Dependency-free pictures for the notebooks: a PNG of Mandelbrot counts
and an SVG grouped bar chart (no matplotlib needed)."""

from __future__ import annotations

import html
import math
import struct
import zlib
from typing import Dict, List, Sequence

import numpy as np


def counts_png(counts: np.ndarray, max_iter: int) -> bytes:
    """A grayscale-ish PNG (RGB) of iteration counts; points in the set are black."""
    c = np.asarray(counts, dtype=np.float64)
    t = np.sqrt(np.clip(c / max(max_iter, 1), 0.0, 1.0))
    inside = c >= max_iter
    r = (255 * t ** 0.5).astype(np.uint8)
    g = (255 * t).astype(np.uint8)
    b = (255 * (1 - t) * (t > 0)).astype(np.uint8)
    rgb = np.stack([r, g, b], axis=-1)
    rgb[inside] = 0
    h, w = c.shape
    raw = b"".join(b"\x00" + rgb[y].tobytes() for y in range(h))

    def chunk(kind: bytes, data: bytes) -> bytes:
        """One PNG chunk: length, type, data, CRC."""
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)

    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", struct.pack(">IIBBBBB", w, h, 8, 2, 0, 0, 0))
        + chunk(b"IDAT", zlib.compress(raw, 6))
        + chunk(b"IEND", b"")
    )


PALETTE = ["#4c78a8", "#f58518", "#54a24b", "#e45756", "#72b7b2", "#b279a2", "#eeca3b", "#9d755d"]


def bar_chart_svg(groups: Sequence[str], series: Dict[str, List[float]], title: str,
                  unit: str, log: bool = True, width: int = 760, height: int = 320) -> str:
    """A grouped bar chart: one group per entry of ``groups``, one bar per
    series (missing values as NaN are skipped). Log scale by default."""
    names = list(series)
    vals = [v for s in series.values() for v in s if v == v and v > 0]
    lo, hi = (min(vals), max(vals)) if vals else (1.0, 10.0)
    if log:
        lo, hi = 10 ** math.floor(math.log10(lo)), 10 ** math.ceil(math.log10(hi))
        scale = lambda v: (math.log10(v) - math.log10(lo)) / max(math.log10(hi) - math.log10(lo), 1e-9)  # noqa: E731
    else:
        lo = 0.0
        scale = lambda v: v / hi if hi else 0.0  # noqa: E731
    left, right, top, bottom = 60, 150, 30, 40
    pw, ph = width - left - right, height - top - bottom
    gw = pw / max(len(groups), 1)
    bw = gw * 0.8 / max(len(names), 1)
    out = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" font-family="sans-serif" font-size="11">',
           f'<text x="{left}" y="18" font-size="13" font-weight="bold">{html.escape(title)}</text>']
    if log:
        e = int(math.log10(lo))
        while 10 ** e <= hi:
            y = top + ph * (1 - scale(10 ** e))
            out.append(f'<line x1="{left}" x2="{left + pw}" y1="{y:.1f}" y2="{y:.1f}" stroke="#ddd"/>')
            out.append(f'<text x="{left - 4}" y="{y + 4:.1f}" text-anchor="end">1e{e}</text>')
            e += 1
    out.append(f'<text x="12" y="{top + ph / 2}" transform="rotate(-90 12 {top + ph / 2})" text-anchor="middle">{html.escape(unit)}</text>')
    for gi, g in enumerate(groups):
        x0 = left + gi * gw + gw * 0.1
        for si, n in enumerate(names):
            v = series[n][gi] if gi < len(series[n]) else float("nan")
            if not (v == v and v > 0):
                continue
            hgt = max(ph * scale(v), 1.0)
            out.append(f'<rect x="{x0 + si * bw:.1f}" y="{top + ph - hgt:.1f}" width="{bw * 0.9:.1f}" height="{hgt:.1f}" fill="{PALETTE[si % len(PALETTE)]}"><title>{html.escape(n)} {html.escape(g)}: {v:.4g} {html.escape(unit)}</title></rect>')
        out.append(f'<text x="{x0 + gw * 0.4:.1f}" y="{top + ph + 16}" text-anchor="middle">{html.escape(g)}</text>')
    for si, n in enumerate(names):
        y = top + 14 * si
        out.append(f'<rect x="{left + pw + 10}" y="{y}" width="10" height="10" fill="{PALETTE[si % len(PALETTE)]}"/>')
        out.append(f'<text x="{left + pw + 24}" y="{y + 9}">{html.escape(n)}</text>')
    out.append("</svg>")
    return "".join(out)
