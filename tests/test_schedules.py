"""Decay schedules: formulas, exact endpoints, validation."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from somwidget.schedules import DECAYS, decay_schedule


def test_linear_formula():
    np.testing.assert_allclose(decay_schedule(5.0, 1.0, 5), [5, 4, 3, 2, 1])
    np.testing.assert_allclose(decay_schedule(0.0, 1.0, 3, "linear"), [0, 0.5, 1])


def test_exponential_formula():
    np.testing.assert_allclose(decay_schedule(8.0, 1.0, 4, "exponential"), [8, 4, 2, 1])


def test_inverse_matches_som_toolbox_inv():
    # som_seqtrain: alpha(t) = a / (b + t), b = (T-1)/99, a = b * alpha0 (t 0-based)
    T, a0 = 11, 0.5
    b = (T - 1) / 99
    expected = [b * a0 / (b + t) for t in range(T)]
    np.testing.assert_allclose(decay_schedule(a0, a0 / 100, T, "inverse"), expected, rtol=1e-12)


def test_inverse_is_convex_and_monotone():
    s = decay_schedule(3.0, 1.0, 20, "inverse")
    assert (np.diff(s) < 0).all()
    assert (np.diff(s, 2) > 0).all()  # falls fast first, then flattens


@settings(max_examples=40, deadline=None)
@given(
    start=st.floats(0.01, 100),
    end=st.floats(0.01, 100),
    n=st.integers(1, 50),
    decay=st.sampled_from(DECAYS),
)
def test_exact_endpoints_and_monotone(start, end, n, decay):
    s = decay_schedule(start, end, n, decay)
    assert s.shape == (n,) and s.dtype == np.float64
    assert s[0] == start
    if n > 1:
        assert s[-1] == end
        lo, hi = min(start, end), max(start, end)
        assert (s >= lo - 1e-12 * hi).all() and (s <= hi * (1 + 1e-12)).all()
        diffs = np.diff(s)
        if start > end:
            assert (diffs <= 1e-12 * hi).all()
        elif start < end:
            assert (diffs >= -1e-12 * hi).all()


def test_single_step_and_constant():
    for decay in DECAYS:
        assert decay_schedule(2.0, 1.0, 1, decay).tolist() == [2.0]
        assert decay_schedule(2.0, 2.0, 4, decay).tolist() == [2.0] * 4


@pytest.mark.parametrize(
    "kwargs,msg",
    [
        ({"start": -1.0, "end": 1.0, "n_steps": 3}, "start"),
        ({"start": 1.0, "end": -1.0, "n_steps": 3}, "end"),
        ({"start": 1.0, "end": 0.0, "n_steps": 3, "decay": "exponential"}, "end must be > 0"),
        ({"start": 0.0, "end": 1.0, "n_steps": 3, "decay": "inverse"}, "start must be > 0"),
        ({"start": 1.0, "end": 0.5, "n_steps": 0}, "n_steps must be at least 1"),
        ({"start": float("nan"), "end": 0.5, "n_steps": 3}, "start must be finite"),
        ({"start": 1.0, "end": 0.5, "n_steps": 3, "decay": "cosine"}, "decay must be one of"),
    ],
)
def test_validation(kwargs, msg):
    with pytest.raises(ValueError, match=msg):
        decay_schedule(**kwargs)


def test_linear_allows_zero_end():
    assert decay_schedule(1.0, 0.0, 3).tolist() == [1.0, 0.5, 0.0]
