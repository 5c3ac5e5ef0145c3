"""The batch update's compiled loops (somwidget._sums_jit: ratio_update, centre_rows,
scale_rows, prepare_rows) compute what the numpy code computes, value for value: a fit gives the same
codebook whether numba's loops are built or not."""

from __future__ import annotations

import numpy as np
import pytest
import scipy.linalg  # noqa: F401 - loaded in both runs alike (the PCA's eigh depends on it)

from somwidget import SOM, _sums_jit
from somwidget.euclidean import EuclideanSearch, pow2_scale


@pytest.fixture
def kernel():
    k = _sums_jit.kernel()
    if k is None:
        pytest.skip("numba is not installed")
    return k


def test_ratio_update_loop_equals_numpy_bit_for_bit(kernel):
    rng = np.random.default_rng(3)
    W = rng.standard_normal((50, 6)) * 1e3
    num = rng.standard_normal((50, 7)) * 1e4
    num[:, 6] = rng.uniform(0.1, 40.0, 50)
    num[[3, 9], 6] = 0.0  # no data in these neighbourhoods: the unit stays
    num[11, 6] = -1e-300  # a rounding-level negative denominator: stays too
    num[17, 6] = np.nan
    out = np.empty_like(W)
    kernel.ratio_update(W, num, out)
    # independent: the per-unit rule, in numpy's whole-array arithmetic
    ref = W.copy()
    ok = num[:, 6] > 0
    ref[ok] = num[ok, :6] / num[ok, 6][:, None]
    np.testing.assert_array_equal(out, ref)


def test_centre_rows_and_scale_rows_equal_numpy(kernel):
    rng = np.random.default_rng(4)
    W = rng.standard_normal((40, 5)) * 3.0 + 1.7e9  # a timestamp-like offset
    c = W.mean(axis=0)
    Wc = np.empty_like(W)
    extent = kernel.centre_rows(W, c, Wc)
    np.testing.assert_array_equal(Wc, W - c)
    assert extent == np.abs(W - c).max()
    Wa = np.empty((40, 6), dtype=np.float32)
    s = pow2_scale(extent)
    factor = -2.0 / s
    wn_top = kernel.scale_rows(Wc, factor, 1.0 / s**2, Wa)
    np.testing.assert_array_equal(Wa[:, :-1], (Wc * factor).astype(np.float32))
    # the squared norms: summed in another order than numpy's, equal to rounding
    wn = ((W - c) ** 2).sum(axis=1) / s**2
    np.testing.assert_allclose(Wa[:, -1], wn.astype(np.float32), rtol=2**-23)
    assert wn_top == pytest.approx(wn.max(), rel=1e-14)
    # both in one pass: the same values
    Wc2, Wa2 = np.empty_like(W), np.empty_like(Wa)
    top2, wn_top2 = kernel.prepare_rows(W, c, factor, 1.0 / s**2, Wc2, Wa2)
    np.testing.assert_array_equal(Wc2, Wc)
    np.testing.assert_array_equal(Wa2, Wa)
    assert (top2, wn_top2) == (extent, wn_top)
    W[7, 2] = np.nan
    assert np.isnan(kernel.centre_rows(W, c, Wc))
    assert np.isnan(kernel.scale_rows(Wc, factor, 1.0 / s**2, Wa))
    assert all(np.isnan(v) for v in kernel.prepare_rows(W, c, factor, 1.0 / s**2, Wc2, Wa2))


def test_a_search_set_to_a_new_codebook_is_the_search_built_for_it(kernel):
    rng = np.random.default_rng(5)
    W0, W1 = rng.standard_normal((30, 4)), rng.standard_normal((30, 4)) * 2.5
    c = rng.standard_normal(4) * 0.1
    s = EuclideanSearch(W0, c, 4.0).set_codebook(W1)
    fresh = EuclideanSearch(W1, c, 4.0)
    assert s.scale == fresh.scale and s.w_extent == fresh.w_extent and s.wmax == fresh.wmax
    np.testing.assert_array_equal(s.Wa, fresh.Wa)
    np.testing.assert_array_equal(s.Wc, W1 - c)


@pytest.mark.parametrize("lattice", ["rect", "hexa"])
@pytest.mark.parametrize("learning_rate", [1.0, 0.3])
def test_a_fit_gives_the_same_codebook_with_or_without_the_loops(kernel, lattice, learning_rate,
                                                                  monkeypatch):
    rng = np.random.default_rng(6)
    X = rng.standard_normal((600, 9)) * [1, 2, 3, 4, 5, 6, 7, 8, 9] + 40.0
    ran = []
    for name in ("ratio_update", "prepare_rows", "scale_rows"):  # count the compiled calls
        real = getattr(kernel, name)
        monkeypatch.setattr(kernel, name,
                            lambda *a, _real=real, _name=name: ran.append(_name) or _real(*a))
    codebooks = []
    for numba in ("0", "1"):
        monkeypatch.setenv("SOMWIDGET_NUMBA", numba)
        som = SOM((8, 7), lattice=lattice, random_state=0)
        codebooks.append(som.fit(X, epochs=6, learning_rate=learning_rate).codebook_)
    np.testing.assert_array_equal(codebooks[0], codebooks[1])
    # the second fit ran the loops: every epoch's search (its scale holds, so one pass each),
    # and the ratio at a rate of 1
    assert ran.count("prepare_rows") == 6 and ran.count("scale_rows") >= 1
    assert ran.count("ratio_update") == (6 if learning_rate == 1.0 else 0)
