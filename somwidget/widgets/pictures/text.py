"""Text in the static pictures: number formats, estimated text widths, wrapping, text blocks.

No font metrics are available without a browser: widths are estimated from the character count
(0.56 of the font size per character, 0.6 in bold or monospace), the same estimate everywhere.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable
from html import escape as _html_escape
from html import unescape as html_unescape

from .compose import Picture

__all__ = ["FONT", "escape", "format_label", "format_range", "format_value", "text_block"]

#: The sans-serif UI font of every picture (the front end's).
FONT = "font-family:system-ui,-apple-system,'Segoe UI',sans-serif"
_FONT = FONT


def escape(text: object, quote: bool = True) -> str:
    """``text`` (any object, as ``str``) escaped for SVG text or an attribute value: ``& < > "
    '`` as entities. Characters XML 1.0 forbids are replaced once for the whole SVG, by
    :class:`~somwidget.widgets.pictures.compose.Picture`."""
    return _html_escape(str(text), quote=quote)


def _f(x: float) -> str:
    s = f"{x:.2f}".rstrip("0").rstrip(".")
    return "0" if s == "-0" else s


def _format_number(v: float | None, *, digits: int, int_below: float, small_below: float,
                   exponent: Callable[[float], str], missing: str) -> str:
    """Shared rule of the number formats: whole numbers as they are (below ``int_below``),
    ``exponent(v)`` for tiny or huge magnitudes, else ``digits`` significant digits."""
    if v is None or not math.isfinite(v):
        return missing
    if float(v).is_integer() and abs(v) < int_below:
        return str(int(v))
    a = abs(v)
    if a != 0 and (a < small_below or a >= 1e5):
        return exponent(v)
    r = float(f"{v:.{digits}g}")
    return str(int(r)) if r.is_integer() else f"{r:g}"


def _short_exponent(v: float) -> str:
    mant, exp = f"{v:.1e}".split("e")
    return f"{mant}e{int(exp)}"


def format_value(v: float) -> str:
    """Number formatting shared with the front end's colour bar (4 significant digits)."""
    return _format_number(v, digits=4, int_below=1e9, small_below=1e-3,
                          exponent=lambda x: f"{x:.3e}", missing="—")


def format_range(vmin: float, vmax: float) -> tuple[str, str]:
    """The colour bar's two end labels: :func:`format_value`'s, with more significant digits when
    the range is small next to the values' magnitude (``1.7e9`` to ``1.7e9 + 100``), so that each
    end reads within 1 % of the range and the two can be told apart (the front end's
    ``formatRange``)."""
    lo, hi = format_value(vmin), format_value(vmax)
    span = vmax - vmin if math.isfinite(vmin) and math.isfinite(vmax) else 0.0
    if not (span > 0 and math.isfinite(span)):
        return lo, hi
    top = max(abs(vmin), abs(vmax))
    # digits for a last digit of at most span / 100
    digits = math.floor(math.log10(top)) - math.floor(math.log10(span)) + 3
    if digits <= 4 and lo != hi:
        return lo, hi
    digits = min(17, max(5, digits))

    def fmt(v: float) -> str:
        return _format_number(v, digits=digits, int_below=1e9, small_below=1e-3,
                              exponent=lambda x: f"{x:.{digits - 1}e}", missing="—")

    return fmt(vmin), fmt(vmax)


def format_label(v: float) -> str:
    """A value written inside a lattice cell: 3 significant digits (the front end's
    ``formatLabel``); empty for NaN."""
    return _format_number(v, digits=3, int_below=1e5, small_below=1e-2,
                          exponent=_short_exponent, missing="")


def _text_width(text: str, size: float, bold: bool = False) -> float:
    """Estimated rendered width of ``text`` in the sans-serif UI font (no font metrics here)."""
    return len(text) * size * (0.6 if bold else 0.56)


def _wrap(text: str, width: float, size: float, bold: bool = False) -> list[str]:
    """Greedy word wrap of ``text`` into lines of at most ``width`` pixels (estimated)."""
    lines: list[str] = []
    line = ""
    for word in text.split():
        cand = f"{line} {word}" if line else word
        if line and _text_width(cand, size, bold) > width:
            lines.append(line)
            line = word
        else:
            line = cand
    return [*lines, line] if line else lines


def _ellipsis(text: str, width: float, size: float, bold: bool = False) -> str:
    """``text`` cut with an ellipsis to fit ``width`` pixels (estimated), like CSS text-overflow."""
    if _text_width(text, size, bold) <= width:
        return text
    n = max(1, int(width / (size * (0.6 if bold else 0.56))) - 1)
    return text[:n] + "…"


def text_block(text: str, width: float, *, size: float = 12.0, monospace: bool = True,
               color: str = "#000000", css: str = "text", sep: str = " · ") -> Picture:
    """A standalone picture of one line of text (HTML tags stripped), wrapped at ``sep`` into as many
    lines as ``width`` pixels need (estimated character widths)."""
    plain = html_unescape(re.sub(r"<[^>]+>", "", text))
    char = size * (0.6 if monospace else 0.56)
    lines, line = [], ""
    for part in plain.split(sep):
        cand = f"{line}{sep}{part}" if line else part
        if line and 8 + char * len(cand) > width:
            lines.append(line)
            line = part
        else:
            line = cand
    lines.append(line)
    step = size + 4
    family = "monospace" if monospace else "sans-serif"
    spans = "".join(f'<tspan x="6" dy="{0 if i == 0 else _f(step)}">{escape(t)}</tspan>'
                    for i, t in enumerate(lines))
    w, h = _f(width), _f(8 + step * len(lines))
    return Picture(f'<svg xmlns="http://www.w3.org/2000/svg" width="{w}" height="{h}">'
                   f'<text class="{css}" y="{_f(size + 3)}" '
                   f'style="font-family:{family};font-size:{_f(size)}px;fill:{color}">{spans}</text></svg>',
                   float(w), float(h))


