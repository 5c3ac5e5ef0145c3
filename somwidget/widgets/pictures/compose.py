"""Pictures and their composition: a standalone SVG that knows its own size and geometry.

Every picture function returns a :class:`Picture`: the SVG text together with its width and
height in pixels and, for lattice pictures, where each plane sits (:class:`PlaneGeometry`: pixel =
``(ox, oy) + scale`` x plane coordinate). Code that draws on top of a picture (the glyph map, the
index map) or lays pictures out (:func:`compose`: the Explorer, the Studio, Row and Column) reads
these numbers instead of parsing the SVG.

Only an SVG that somwidget did not draw (an ``ipywidgets.HTML`` child of a :class:`Row` whose
value is an SVG) is measured from its root element, by :meth:`Picture.from_svg`.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field

__all__ = ["Picture", "PlaneGeometry", "compose", "svg_size", "xml_safe"]

_END = "</svg>"

#: Characters XML 1.0 forbids (C0 controls but tab, newline and carriage return; lone UTF-16
#: surrogates, which UTF-8 cannot encode; U+FFFE and U+FFFF).
_NOT_XML = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


def xml_safe(text: str) -> str:
    """``text`` with every character XML 1.0 forbids (control characters, lone surrogates,
    U+FFFE, U+FFFF) replaced by U+FFFD, so that an SVG holding it parses and encodes as UTF-8."""
    return _NOT_XML.sub("\ufffd", text) if _NOT_XML.search(text) else text


@dataclass(frozen=True)
class PlaneGeometry:
    """Where one lattice plane sits in its picture: pixel = ``(ox, oy) + scale * (x, y)`` for
    plane coordinates ``(x, y)`` (:func:`somwidget.lattice.plane_coordinates`)."""

    scale: float
    ox: float
    oy: float


@dataclass(frozen=True)
class Picture:
    """A standalone SVG picture with its size in pixels.

    Parameters
    ----------
    svg : str
        The ``<svg>`` document.
    width, height : float
        Its size in pixels (the root's ``width`` and ``height``).
    planes : tuple of PlaneGeometry
        The lattice planes it draws, in order (empty for charts and text).
    """

    svg: str
    width: float
    height: float
    planes: tuple[PlaneGeometry, ...] = field(default=())

    def __post_init__(self) -> None:
        # the markup itself never holds such characters: only text (labels, feature names,
        # titles) can bring them in, wherever it was escaped
        object.__setattr__(self, "svg", xml_safe(self.svg))

    def __str__(self) -> str:
        return self.svg

    @property
    def plane(self) -> PlaneGeometry:
        """The geometry of the single plane of a one-plane lattice picture."""
        if len(self.planes) != 1:
            raise ValueError(f"this picture has {len(self.planes)} planes, not one")
        return self.planes[0]

    def with_elements(self, elements: Sequence[str]) -> Picture:
        """The same picture with SVG ``elements`` drawn on top (appended before ``</svg>``)."""
        if not self.svg.endswith(_END):
            raise ValueError("elements can only be added to an <svg> document ending in </svg>")
        return Picture(self.svg[: -len(_END)] + "".join(elements) + _END, self.width, self.height,
                       self.planes)

    @classmethod
    def from_svg(cls, svg: str) -> Picture:
        """A picture of an SVG somwidget did not draw, measured by :func:`svg_size`."""
        text = svg.strip()
        w, h = svg_size(text)
        return cls(text, w, h)


_SVG_ROOT = re.compile(r"<svg\b[^>]*>", re.S)


def svg_size(svg: str | Picture) -> tuple[float, float]:
    """Width and height of a standalone SVG (its root's width/height, else its viewBox).

    A :class:`Picture` answers with its own size; a string is read from its root element.
    """
    if isinstance(svg, Picture):
        return svg.width, svg.height
    root = _SVG_ROOT.search(svg)
    if root is None:
        raise ValueError("not an SVG document")
    tag = root.group(0)
    size = []
    for attr in ("width", "height"):
        m = re.search(rf'\b{attr}="([\d.]+)', tag)
        size.append(float(m.group(1)) if m else float("nan"))
    if not all(s == s for s in size):  # NaN: no width / height attribute
        vb = re.search(r'viewBox="[-\d.]+[ ,]+[-\d.]+[ ,]+([\d.]+)[ ,]+([\d.]+)"', tag)
        if vb is None:
            raise ValueError("SVG root has neither width/height nor viewBox")
        size = [float(vb.group(1)), float(vb.group(2))]
    return size[0], size[1]


def _embed(svg: str, prefix: str, x: float, y: float) -> str:
    """Place a standalone SVG at (x, y) inside another one, making its ids unique."""
    svg = re.sub(r"<\?xml[^>]*\?>", "", svg).strip()
    ids = set(re.findall(r'\bid="([^"]+)"', svg))
    if ids:  # one pass over the text (a raster picture's base64 is long)

        def rename(m: re.Match[str]) -> str:
            name = m.group(1) or m.group(2) or m.group(3)
            if name not in ids:
                return m.group(0)
            if m.group(1) is not None:
                return f'id="{prefix}{name}"'
            if m.group(2) is not None:
                return f'href="#{prefix}{name}"'
            return f"url(#{prefix}{name})"

        svg = re.sub(r'\bid="([^"]+)"|href="#([^"]+)"|url\(#([^)]+)\)', rename, svg)
    return f'<g transform="translate({x:.1f},{y:.1f})">{svg}</g>'


def compose(pictures: Sequence[Picture | str], max_width: float = 960.0,
            gap: float = 12.0) -> Picture:
    """Pictures side by side, left to right, wrapping to a new row beyond ``max_width``
    pixels (``0``: one per row), in one standalone picture with a white background.

    Parameters
    ----------
    pictures : sequence of Picture or str
        The pictures (a string is an SVG measured with :meth:`Picture.from_svg`).
    max_width : float
        Row width in pixels before wrapping.
    gap : float
        Pixels between pictures.
    """
    parts, x, y, row_h, width = [], 0.0, 0.0, 0.0, 0.0
    for i, pic in enumerate(pictures):
        if not isinstance(pic, Picture):
            pic = Picture.from_svg(pic)
        w, h = pic.width, pic.height
        if x > 0 and x + w > max_width:
            x, y, row_h = 0.0, y + row_h + gap, 0.0
        parts.append(_embed(pic.svg, f"v{i}-", x, y))
        x += w + gap
        row_h = max(row_h, h)
        width = max(width, x - gap)
    height = y + row_h
    svg = (
        f'<svg xmlns="http://www.w3.org/2000/svg" xmlns:xlink="http://www.w3.org/1999/xlink" '
        f'width="{width:.0f}" height="{height:.0f}" viewBox="0 0 {width:.0f} {height:.0f}" '
        f'style="max-width:100%;height:auto">'
        f'<rect width="100%" height="100%" fill="white"/>{"".join(parts)}</svg>'
    )
    return Picture(svg, float(f"{width:.0f}"), float(f"{height:.0f}"))
