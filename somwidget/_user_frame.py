"""The stack level of the user's code, for warnings that should point at the user's line.

A fixed ``stacklevel`` counts frames from the ``warnings.warn`` call, and the number of somwidget
frames between the user and that call differs by entry point (``fit``, ``fit_online``,
``initialize``, each through decorators): the warning then named a line of somwidget instead.
:func:`user_stacklevel` counts the frames of this package from the caller up to the first frame
outside it (Python 3.12's ``skip_file_prefixes`` does the same).
"""

from __future__ import annotations

import os
import sys

__all__ = ["user_stacklevel"]

_PACKAGE = os.path.dirname(os.path.abspath(__file__)) + os.sep


def user_stacklevel() -> int:
    """``stacklevel`` for a ``warnings.warn`` called by the function calling this one, so that
    the warning names the first frame outside somwidget (1 if there is none)."""
    frame = sys._getframe(1)  # the function that will call warnings.warn: stacklevel 1
    level = 1
    while frame is not None and os.path.abspath(frame.f_code.co_filename).startswith(_PACKAGE):
        frame = frame.f_back
        level += 1
    return level if frame is not None else 1
