"""Shared fixtures for the unit tests."""

from __future__ import annotations

import os
import threading
import warnings

import pytest
from hypothesis import settings

# CI runs the property tests on a fixed set of examples (a red main must mean a regression, not a
# lucky draw); developers' runs keep exploring new random examples.
settings.register_profile("ci", derandomize=True, database=None)
if os.environ.get("CI"):
    settings.load_profile("ci")

# bqscales (imported by bqplot) passes traitlets metadata through a constructor at import time,
# a DeprecationWarning that is not ours. Import it once here with exactly that warning silenced,
# so `pytest -W error::DeprecationWarning` (a command-line filter outranks pyproject's) still
# reports every deprecation raised by somwidget itself.
with warnings.catch_warnings():
    warnings.filterwarnings(
        "ignore",
        message=r"metadata \{'args': \(None,\)\} was set from the constructor",
        category=DeprecationWarning,
        module="bqscales.traits",
    )
    try:
        import bqplot  # noqa: F401
    except ImportError:  # the widget tests skip themselves without it
        pass


@pytest.fixture
def no_leaked_threads(request: pytest.FixtureRequest):
    """Fail a test that leaves a thread running (trainer workers must always end).

    A test module may set ``THREAD_GRACE_S``: leftover threads are first joined for up to that
    many seconds each (default 0: they must be gone when the test returns).
    """
    before = set(threading.enumerate())
    yield
    # the one background build of the compiled kernels (somwidget._numba_kernels), started by
    # the first small fit of the process whichever test that is, ends by itself once built
    for t in [t for t in threading.enumerate() if t not in before]:
        if t.name == "somwidget-numba-build":
            t.join(120.0)
    grace = float(getattr(request.module, "THREAD_GRACE_S", 0.0))
    if grace > 0:
        for t in [t for t in threading.enumerate() if t not in before]:
            t.join(grace)
    assert [t for t in threading.enumerate() if t not in before] == []
