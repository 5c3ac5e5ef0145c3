"""Static SVG pictures of the bqplot views (training curves, input space), without a browser.

A :class:`Chart` is one rectangular plot with a bottom axis, a left axis and optionally a right
axis with its own scale, in the spirit of the bqplot figures it stands in for: lines (NaN breaks a
line), points, segments, markers, a legend and a title. Scales are linear and padded to round tick
values. The output is a standalone ``<svg>`` string; its plot area carries its data-to-pixel
mapping as ``data-*`` attributes so tests and tools can read positions back.

Composition (:func:`somwidget.widgets.pictures.compose.compose`) and text blocks
(:func:`somwidget.widgets.pictures.text.text_block`) live next door.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np

from .compose import Picture
from .text import _FONT, _f, _text_width, escape, format_value

__all__ = ["Chart", "css_pixels", "nice_ticks"]


def css_pixels(css: object, default: float) -> float:
    """``"420px"`` (or a number) as pixels; other CSS lengths (``"100%"``, ``"auto"``) give
    ``default``, since a static picture needs a size in pixels."""
    try:
        return float(str(css).strip().removesuffix("px"))
    except ValueError:
        return default


def tick_format(ticks: np.ndarray, max_decimals: int = 6) -> str:
    """A d3 fixed-point format (``".2f"``) with as few decimals as tell every tick apart
    exactly (0.25 and 1.25 need two; bqplot's default format showed 1.25 as "1.3")."""
    vals = np.asarray(ticks, dtype=np.float64)
    vals = vals[np.isfinite(vals)]
    for k in range(max_decimals + 1):
        if np.allclose(np.round(vals, k), vals, rtol=0.0, atol=1e-9 * max(1.0, float(
                np.abs(vals).max()) if vals.size else 1.0)):
            return f".{k}f"
    return f".{max_decimals}f"


def nice_ticks(lo: float, hi: float, n: int = 5, integer: bool = False) -> np.ndarray:
    """Round tick values (steps of 1, 2, 2.5 or 5 times a power of ten) covering ``[lo, hi]``.

    The first tick is at or below ``lo`` and the last at or above ``hi``. A degenerate or
    non-finite range gets a unit-wide one around its value (above it with ``integer``).
    ``integer``: whole-number steps only (counts), so at least 1 and never 2.5 times a power of
    ten.
    """
    if not (math.isfinite(lo) and math.isfinite(hi)):
        lo, hi = 0.0, 1.0
    if hi < lo:
        lo, hi = hi, lo
    if hi - lo <= 1e-12 * max(1.0, abs(lo), abs(hi)):
        lo, hi = (lo, lo + 1.0) if integer else (lo - 0.5, hi + 0.5)
    raw = (hi - lo) / max(1, n)
    mag = 10.0 ** math.floor(math.log10(raw))
    steps = (1, 2, 5, 10) if integer else (1, 2, 2.5, 5, 10)
    step = next(s * mag for s in steps if s * mag >= raw)
    if integer:
        step = max(step, 1.0)
    first = math.floor(lo / step + 1e-9) * step
    last = math.ceil(hi / step - 1e-9) * step
    k = max(1, int(round((last - first) / step)))  # at least two ticks
    return first + step * np.arange(k + 1)


class _Scale:
    def __init__(self, lo: float, hi: float, p0: float, p1: float, ticks: int,
                 exact: bool = False) -> None:
        self.ticks = nice_ticks(lo, hi, ticks)
        if exact and hi > lo:  # keep the given range; only the ticks inside it
            self.lo, self.hi = float(lo), float(hi)
            span = hi - lo
            self.ticks = self.ticks[(self.ticks >= lo - 1e-9 * span) & (self.ticks <= hi + 1e-9 * span)]
        else:
            self.lo, self.hi = float(self.ticks[0]), float(self.ticks[-1])
        self.p0, self.p1 = p0, p1

    def __call__(self, v: np.ndarray | float) -> np.ndarray:
        return self.p0 + (np.asarray(v, dtype=np.float64) - self.lo) * (
            (self.p1 - self.p0) / (self.hi - self.lo))


def _finite_range(values: Sequence[np.ndarray], fixed: tuple[float | None, float | None]) -> tuple[float, float]:
    flat = [np.asarray(v, dtype=np.float64).ravel() for v in values]
    data = np.concatenate(flat) if flat else np.zeros(0)
    data = data[np.isfinite(data)]
    lo = fixed[0] if fixed[0] is not None else (float(data.min()) if data.size else 0.0)
    hi = fixed[1] if fixed[1] is not None else (float(data.max()) if data.size else 1.0)
    return lo, hi


class Chart:
    """One plot area with axes, collected marks, then :meth:`to_svg`.

    Parameters
    ----------
    width, height : float
        Size of the whole picture in pixels.
    title : str, optional
    margins : (top, right, bottom, left), optional
        Pixels around the plot area (default leaves room for the title and the axes).
    legend : {"inside", "above"}
        The legend in the plot area's top-right corner, or in one row above the plot area
        (outside it: it never hides data; the top margin grows by one line).
    """

    def __init__(self, width: float = 420.0, height: float = 260.0, title: str | None = None,
                 margins: tuple[float, float, float, float] | None = None,
                 legend: str = "inside") -> None:
        if legend not in ("inside", "above"):
            raise ValueError(f"legend must be one of ['inside', 'above']; got {legend!r}")
        self.legend_position = legend
        self.width, self.height, self.title = float(width), float(height), title
        top = 34.0 if title else 12.0
        self.margins = margins or (top, 50.0, 40.0, 56.0)
        self._marks: list[tuple[str, str, dict]] = []  # (kind, axis, spec)
        self._legend: list[tuple[str, str, str]] = []  # (label, colour, kind)
        self._axes: dict[str, dict] = {"x": {}, "left": {}, "right": {}}

    # ------------------------------------------------------------------ configuration
    def axis(self, which: str, label: str = "", *, lo: float | None = None, hi: float | None = None,
             fmt: str = "auto", color: str = "#333333", ticks: int = 5,
             exact: bool = False) -> Chart:
        """Configure the ``"x"``, ``"left"`` or ``"right"`` axis.

        ``lo`` / ``hi`` fix ends of the range (else the data's); the range is widened to round
        ticks unless ``exact``. ``fmt`` is ``"auto"``, ``"int"`` or ``"percent"``.
        """
        self._axes[which] = {"label": label, "lo": lo, "hi": hi, "fmt": fmt, "color": color,
                             "ticks": ticks, "exact": exact}
        return self

    def line(self, x: Sequence[float], y: Sequence[float], color: str, *, axis: str = "left",
             label: str | None = None, width: float = 2.0, dashed: bool = False,
             opacity: float = 1.0, css: str = "line") -> Chart:
        """A polyline through (x, y); NaN values break it."""
        self._marks.append(("line", axis, {"x": np.asarray(x, float), "y": np.asarray(y, float),
                                           "color": color, "width": width, "dashed": dashed,
                                           "opacity": opacity, "css": css, "label": label}))
        if label:
            self._legend.append((label, color, "dash" if dashed else "line"))
        return self

    def segments(self, xy: np.ndarray, color: str, *, width: float = 1.2, dashed: bool = False,
                 opacity: float = 1.0, css: str = "segment") -> Chart:
        """Segments from an (E, 2, 2) array: segment, end point, (x, y). Left axis."""
        xy = np.asarray(xy, float).reshape(-1, 2, 2)
        self._marks.append(("segments", "left", {"xy": xy, "color": color, "width": width,
                                                 "dashed": dashed, "opacity": opacity, "css": css}))
        return self

    def points(self, x: Sequence[float], y: Sequence[float], color: str | Sequence[str], *,
               radius: float | Sequence[float] = 3.0, opacity: float | Sequence[float] = 1.0,
               stroke: str | None = None, stroke_width: float = 1.0, label: str | None = None,
               css: str = "point", attrs: Sequence[str] | None = None,
               marker: str = "circle") -> Chart:
        """Circles (or ``marker="cross"``) at (x, y), left axis; per-point colour, radius and
        opacity allowed; ``attrs`` adds a raw attribute string per point."""
        n = len(x)
        self._marks.append(("points", "left", {
            "x": np.asarray(x, float), "y": np.asarray(y, float),
            "color": [color] * n if isinstance(color, str) else list(color),
            "radius": np.broadcast_to(np.asarray(radius, float), (n,)),
            "opacity": np.broadcast_to(np.asarray(opacity, float), (n,)),
            "stroke": stroke, "stroke_width": stroke_width, "css": css,
            "attrs": list(attrs) if attrs is not None else [""] * n, "marker": marker}))
        if label:
            self._legend.append((label, color if isinstance(color, str) else "#888", "point"))
        return self

    # ------------------------------------------------------------------ rendering
    def _scales(self) -> dict[str, _Scale]:
        top, right, bottom, left = self.margins
        px0, px1 = left, self.width - right
        py0, py1 = self.height - bottom, top
        ys: dict[str, list] = {"left": [], "right": []}
        xall = []
        for kind, axis, m in self._marks:
            if kind == "segments":
                xall.append(m["xy"][..., 0])
                ys["left"].append(m["xy"][..., 1])
            else:
                xall.append(m["x"])
                ys[axis].append(m["y"])
        ax = self._axes["x"]
        scales = {"x": _Scale(*_finite_range(xall, (ax.get("lo"), ax.get("hi"))), px0, px1,
                              ax.get("ticks", 5), ax.get("exact", False))}
        for side in ("left", "right"):
            a = self._axes[side]
            if side == "right" and not ys["right"]:
                continue
            lo, hi = _finite_range(ys[side], (a.get("lo"), a.get("hi")))
            scales[side] = _Scale(lo, hi, py0, py1, a.get("ticks", 5), a.get("exact", False))
        return scales

    @staticmethod
    def _fmt(v: float, fmt: str) -> str:
        if fmt == "percent":
            return f"{v * 100:.0f}%"
        if fmt == "int":
            return str(int(round(v)))
        return format_value(float(f"{v:.10g}"))

    def to_svg(self) -> str:
        """The chart as a standalone SVG string."""
        return self.to_picture().svg

    def to_picture(self) -> Picture:
        """The chart as a standalone :class:`Picture`."""
        above = self.legend_position == "above" and bool(self._legend)
        if above:
            self.margins = (self.margins[0] + 18.0, *self.margins[1:])
        try:
            sc = self._scales()
        finally:
            if above:
                self.margins = (self.margins[0] - 18.0, *self.margins[1:])
        top, right, bottom, left = self.margins
        if above:
            top += 18.0
        px0, px1 = left, self.width - right
        py0, py1 = self.height - bottom, top
        sx, sy = sc["x"], sc["left"]
        out = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{_f(self.width)}" '
               f'height="{_f(self.height)}" viewBox="0 0 {_f(self.width)} {_f(self.height)}">',
               '<rect width="100%" height="100%" fill="#ffffff"/>']
        if self.title:
            out.append(f'<text class="title" x="8" y="20" style="{_FONT};font-size:14px;'
                       f'font-weight:600">{escape(self.title)}</text>')
        # grid and ticks
        ax = self._axes["x"]
        for t in sx.ticks:
            x = float(sx(t))
            out.append(f'<line class="gridline" x1="{_f(x)}" y1="{_f(py1)}" x2="{_f(x)}" y2="{_f(py0)}" '
                       f'stroke="#eeeeee"/>')
            out.append(f'<text class="xtick" x="{_f(x)}" y="{_f(py0 + 14)}" text-anchor="middle" '
                       f'style="{_FONT};font-size:10px">{escape(self._fmt(t, ax.get("fmt", "auto")))}</text>')
        for side, anchor, dx in (("left", "end", -6.0), ("right", "start", 6.0)):
            if side not in sc:
                continue
            a, s = self._axes[side], sc[side]
            xpos = px0 if side == "left" else px1
            for t in s.ticks:
                y = float(s(t))
                if side == "left":
                    out.append(f'<line class="gridline" x1="{_f(px0)}" y1="{_f(y)}" x2="{_f(px1)}" '
                               f'y2="{_f(y)}" stroke="#eeeeee"/>')
                out.append(f'<text class="ytick-{side}" x="{_f(xpos + dx)}" y="{_f(y + 3.5)}" '
                           f'text-anchor="{anchor}" style="{_FONT};font-size:10px;fill:{a.get("color", "#333")}">'
                           f'{escape(self._fmt(t, a.get("fmt", "auto")))}</text>')
            if a.get("label"):
                cx = 12.0 if side == "left" else self.width - 8.0
                cy = (py0 + py1) / 2
                out.append(f'<text class="axis-label-{side}" x="{_f(cx)}" y="{_f(cy)}" text-anchor="middle" '
                           f'transform="rotate(-90 {_f(cx)} {_f(cy)})" style="{_FONT};font-size:11px;'
                           f'fill:{a.get("color", "#333")}">{escape(a["label"])}</text>')
        if ax.get("label"):
            out.append(f'<text class="axis-label-x" x="{_f((px0 + px1) / 2)}" y="{_f(self.height - 8)}" '
                       f'text-anchor="middle" style="{_FONT};font-size:11px">{escape(ax["label"])}</text>')
        out.append(f'<rect class="frame" x="{_f(px0)}" y="{_f(py1)}" width="{_f(px1 - px0)}" '
                   f'height="{_f(py0 - py1)}" fill="none" stroke="#999999"/>')
        # plot area: its data-to-pixel mapping travels with it
        mapping = (f'data-x0="{sx.lo!r}" data-x1="{sx.hi!r}" data-px0="{px0!r}" data-px1="{px1!r}" '
                   f'data-y0="{sy.lo!r}" data-y1="{sy.hi!r}" data-py0="{py0!r}" data-py1="{py1!r}"')
        out.append(f'<g class="plot" {mapping}>')
        for kind, axis, m in self._marks:
            out.extend(self._render_mark(kind, m, sx, sc.get(axis, sy)))
        out.append("</g>")
        out.extend(self._render_legend_row(px0, top - 16.0) if above else self._render_legend(px1))
        out.append("</svg>")
        return Picture("".join(out), float(_f(self.width)), float(_f(self.height)))

    @staticmethod
    def _render_mark(kind: str, m: dict, sx: _Scale, sy: _Scale) -> list[str]:
        out: list[str] = []
        dash = ' stroke-dasharray="5,4"' if m.get("dashed") else ""
        if kind == "line":
            X, Y = sx(m["x"]), sy(m["y"])
            ok = np.isfinite(X) & np.isfinite(Y)
            runs, run = [], []
            for i in range(X.size):
                if ok[i]:
                    run.append(f"{X[i]:.2f},{Y[i]:.2f}")
                elif run:
                    runs.append(run)
                    run = []
            if run:
                runs.append(run)
            label = f' data-label="{escape(m["label"])}"' if m.get("label") else ""
            for r in runs:
                if len(r) == 1:  # a lone point still shows
                    x, y = r[0].split(",")
                    out.append(f'<circle class="{m["css"]}-dot"{label} cx="{x}" cy="{y}" r="2.5" '
                               f'fill="{m["color"]}"/>')
                    continue
                out.append(f'<polyline class="{m["css"]}"{label} points="{" ".join(r)}" fill="none" '
                           f'stroke="{m["color"]}" stroke-width="{m["width"]:g}" '
                           f'stroke-opacity="{m["opacity"]:g}"{dash}/>')
        elif kind == "segments":
            xy = m["xy"]
            if xy.size:
                X, Y = sx(xy[..., 0]), sy(xy[..., 1])
                d = " ".join(f"M{X[i, 0]:.2f},{Y[i, 0]:.2f}L{X[i, 1]:.2f},{Y[i, 1]:.2f}"
                             for i in range(X.shape[0]))
                out.append(f'<path class="{m["css"]}" data-count="{X.shape[0]}" d="{d}" fill="none" '
                           f'stroke="{m["color"]}" stroke-width="{m["width"]:g}" '
                           f'stroke-opacity="{m["opacity"]:g}"{dash}/>')
        else:  # points
            X, Y = sx(m["x"]), sy(m["y"])
            stroke = (f' stroke="{m["stroke"]}" stroke-width="{m["stroke_width"]:g}"'
                      if m["stroke"] else "")
            for i in range(X.size):
                if not (np.isfinite(X[i]) and np.isfinite(Y[i])):
                    continue
                r, op, extra = m["radius"][i], m["opacity"][i], m["attrs"][i]
                extra = f" {extra}" if extra else ""
                if m["marker"] == "cross":
                    out.append(f'<path class="{m["css"]}"{extra} d="M{X[i] - r:.2f},{Y[i] - r:.2f}'
                               f'L{X[i] + r:.2f},{Y[i] + r:.2f}M{X[i] - r:.2f},{Y[i] + r:.2f}'
                               f'L{X[i] + r:.2f},{Y[i] - r:.2f}" stroke="{m["color"][i]}" '
                               f'stroke-width="3"/>')
                else:
                    out.append(f'<circle class="{m["css"]}"{extra} cx="{X[i]:.2f}" cy="{Y[i]:.2f}" '
                               f'r="{r:.2f}" fill="{m["color"][i]}" fill-opacity="{op:.3g}"{stroke}/>')
        return out

    def _legend_key(self, kind: str, color: str, x: float, cy: float) -> str:
        if kind == "point":
            return f'<circle cx="{_f(x + 8)}" cy="{_f(cy)}" r="4" fill="{color}"/>'
        dash = ' stroke-dasharray="5,4"' if kind == "dash" else ""
        return (f'<line x1="{_f(x)}" y1="{_f(cy)}" x2="{_f(x + 16)}" y2="{_f(cy)}" '
                f'stroke="{color}" stroke-width="2"{dash}/>')

    def _render_legend_row(self, x: float, y: float) -> list[str]:
        """The legend as one row of keys starting at (x, y) (above the plot area)."""
        out = ['<g class="legend legend-above">']
        for lab, color, kind in self._legend:
            cy = y + 6
            out.append(self._legend_key(kind, color, x, cy))
            out.append(f'<text x="{_f(x + 21)}" y="{_f(cy + 4)}" style="{_FONT};font-size:11px">'
                       f'{escape(lab)}</text>')
            x += 21 + _text_width(lab, 11) + 14
        out.append("</g>")
        return out

    def _render_legend(self, px1: float) -> list[str]:
        if not self._legend:
            return []
        top = self.margins[0]
        width = max(_text_width(lab, 11) for lab, _, _ in self._legend) + 34
        x = px1 - width - 6
        y = top + 6
        out = [f'<g class="legend"><rect x="{_f(x)}" y="{_f(y)}" width="{_f(width)}" '
               f'height="{_f(16 * len(self._legend) + 6)}" fill="#ffffff" fill-opacity="0.85" '
               f'stroke="#dddddd"/>']
        for i, (lab, color, kind) in enumerate(self._legend):
            cy = y + 12 + 16 * i
            if kind == "point":
                out.append(f'<circle cx="{_f(x + 13)}" cy="{_f(cy)}" r="4" fill="{color}"/>')
            else:
                dash = ' stroke-dasharray="5,4"' if kind == "dash" else ""
                out.append(f'<line x1="{_f(x + 5)}" y1="{_f(cy)}" x2="{_f(x + 21)}" y2="{_f(cy)}" '
                           f'stroke="{color}" stroke-width="2"{dash}/>')
            out.append(f'<text x="{_f(x + 27)}" y="{_f(cy + 4)}" style="{_FONT};font-size:11px">'
                       f'{escape(lab)}</text>')
        out.append("</g>")
        return out
