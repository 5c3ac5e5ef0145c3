"""Static pictures of the views, in pure Python (no browser, no matplotlib).

- :mod:`.lattice`: lattice pictures (cells, wrap marks, selection outline, colour bars, small
  multiples), the same geometry and colours as the canvas front end;
- :mod:`.chart`: the bqplot views' charts (lines, points, segments, axes, legend);
- :mod:`.compose`: several pictures laid out in one;
- :mod:`.text`: number formats, text widths and wrapping shared by all of them.
"""
