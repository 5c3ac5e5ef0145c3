"""The first epoch of a PCA-initialised fit searches in the codebook's principal plane
(somwidget._principal_plane): its BMUs are cdist's, its fit the GEMM search's, and it stays out
of the way once the codebook is not the plane's any more."""

from __future__ import annotations

import numpy as np
import pytest
from scipy.spatial.distance import cdist

import somwidget._map_step as map_step
from somwidget import SOM
from somwidget import _principal_plane as planes
from somwidget.initialization import initial_codebook_and_plane
from somwidget.lattice import Lattice


@pytest.fixture
def loop(monkeypatch):
    """The plane's loop, for data of any size here (the fits below are small)."""
    k = planes.kernel()
    if k is None:
        pytest.skip("numba is not installed")
    monkeypatch.setattr(planes, "MIN_VALUES", 0)
    return k


@pytest.fixture
def planar_calls(monkeypatch):
    """The BMUs each planar search returned (None: it declined and the GEMM search ran)."""
    calls: list = []
    real = map_step._planar_bmus

    def spy(*args):
        got = real(*args)
        calls.append(None if got is None else got.copy())
        return got

    monkeypatch.setattr(map_step, "_planar_bmus", spy)
    return calls


def _no_plane(monkeypatch):
    monkeypatch.setattr(SOM, "_initial_plane_of", lambda self, codebook, n_values: None)


@pytest.mark.parametrize("kind", ["rect", "hexa", "toroidal_rect", "cylindrical_hexa"])
@pytest.mark.parametrize("shape", [(12, 9), (9, 12), (1, 25), (25, 1), (6, 6)])
def test_the_first_search_gives_cdists_bmus(loop, planar_calls, kind, shape):
    X = np.random.default_rng(1).standard_normal((900, 7)) * [3, 2, 1, 1, 0.5, 0.5, 0.2] + 4.0
    som = SOM(shape, lattice=kind, random_state=0).initialize(X)
    W0 = som.codebook_.copy()
    som.fit(X, epochs=2)
    assert len(planar_calls) == 1 and planar_calls[0] is not None  # the first epoch only
    np.testing.assert_array_equal(planar_calls[0], cdist(X, W0).argmin(axis=1))


def test_a_toroidal_hex_map(loop, planar_calls):
    X = np.random.default_rng(8).standard_normal((700, 4)) * [3, 2, 1, 1]
    som = SOM((10, 7), lattice="toroidal_hexa", random_state=0).initialize(X)
    W0 = som.codebook_.copy()
    som.fit(X, epochs=1)
    np.testing.assert_array_equal(planar_calls[0], cdist(X, W0).argmin(axis=1))


def test_one_feature_and_float32_data(loop, planar_calls):
    rng = np.random.default_rng(2)
    for X in (rng.standard_normal((500, 1)), rng.standard_normal((500, 6)).astype(np.float32)):
        planar_calls.clear()
        som = SOM((5, 8), random_state=0).initialize(X)
        W0 = som.codebook_.copy()
        som.fit(X, epochs=1)
        np.testing.assert_array_equal(planar_calls[0],
                                      cdist(X.astype(np.float64), W0).argmin(axis=1))


def test_ties_go_to_the_lower_index_as_numpy_argmin(loop):
    # samples exactly between two units of a row, and exactly on units
    lat = Lattice(3, 4, "rect")
    plane = planes.PrincipalPlane(np.zeros(2), np.column_stack([
        np.tile(np.arange(4.0), 3), np.repeat(np.arange(3.0), 4)]), np.eye(2), 3, 4)
    W = plane.codebook()
    X = np.array([[0.5, 0.0], [1.5, 1.0], [0.0, 0.5], [3.0, 2.0], [1.5, 1.5], [-9.0, 9.0]])
    got = planes.plane_bmus(plane, X, 10.0, np.zeros(2), 1e-3)
    assert got is not None
    bmus, _ = got
    np.testing.assert_array_equal(bmus, cdist(X, W).argmin(axis=1))
    assert lat.n_neurons == W.shape[0]


def test_a_fit_equals_the_gemm_searchs_fit(loop, planar_calls, monkeypatch):
    X = np.random.default_rng(3).standard_normal((1500, 5)) * [5, 3, 2, 1, 1]
    fits = [SOM((10, 8), random_state=0).fit(X, epochs=4).codebook_]
    assert planar_calls and planar_calls[0] is not None
    _no_plane(monkeypatch)
    fits.append(SOM((10, 8), random_state=0).fit(X, epochs=4).codebook_)
    np.testing.assert_allclose(fits[0], fits[1], rtol=1e-12, atol=1e-12)


def test_an_edited_or_replaced_codebook_is_searched_as_usual(loop, planar_calls):
    X = np.random.default_rng(4).standard_normal((600, 4))
    som = SOM((6, 6), random_state=0).initialize(X)
    som.codebook_[3, 1] += 1e-9  # edited in place: not the plane's codebook any more
    som.fit(X, epochs=1)
    assert planar_calls == [] and som._plane is None  # searched as usual, the plane dropped
    # a fresh initialisation, trained once: the second fit starts from a trained codebook
    som = SOM((6, 6), random_state=0).fit(X, epochs=1)
    planar_calls.clear()
    som.fit(X, epochs=1)
    assert planar_calls == []


def test_subsampled_weighted_and_missing_data_take_the_gemm_search(loop, planar_calls):
    rng = np.random.default_rng(5)
    X = rng.standard_normal((400, 3))
    SOM((5, 5), random_state=0).fit(X, epochs=1, subsample_ratio=0.5)
    SOM((5, 5), random_state=0).fit(X, epochs=1, sample_weight=rng.uniform(0.5, 2.0, 400))
    Xn = X.copy()
    Xn[3, 1] = np.nan
    SOM((5, 5), random_state=0, missing="ignore").fit(Xn, epochs=1)
    SOM((5, 5), random_state=0, initialization="random").fit(X, epochs=1)
    assert planar_calls == []


def test_constant_data_decline_the_plane(loop, planar_calls):
    X = np.ones((50, 3))
    som = SOM((4, 4), random_state=0).fit(X, epochs=1)
    assert planar_calls == [None]  # no lattice layout in a point: the GEMM search ran
    np.testing.assert_allclose(som.codebook_, 1.0)


def test_timestamp_offsets_leave_unsure_rows_to_the_gemm_search(loop, planar_calls):
    rng = np.random.default_rng(6)
    X = rng.standard_normal((800, 3)) + np.array([1.7e9, 0.0, 0.0])
    som = SOM((6, 5), random_state=0, normalization="none").initialize(X)
    W0, plane = som.codebook_.copy(), som._plane
    # the codebook's rounding at 1.7e9 is more than the plane can confirm for many rows
    _, unsure = planes.plane_bmus(plane, X, float(np.abs(X - X.mean(axis=0)).max()),
                                  X.mean(axis=0), 1e-3)
    assert unsure.size > 0
    som.fit(X, epochs=1)
    # they were searched as usual: every BMU within the training search's tolerance
    d2 = cdist(X, W0, "sqeuclidean")
    got = d2[np.arange(len(X)), planar_calls[0]]
    assert (got <= d2.min(axis=1) * (1 + 1e-3)).all()


def test_small_data_keep_the_gemm_search(planar_calls):
    # below MIN_VALUES: whether numba has loaded yet must not change a fit (module notes)
    X = np.random.default_rng(9).standard_normal((500, 4))
    assert X.size < planes.MIN_VALUES
    SOM((5, 5), random_state=0).fit(X, epochs=1)
    assert planar_calls == []


def test_the_plane_is_the_pca_initialisation(loop):
    X = np.random.default_rng(7).standard_normal((300, 5)) * [4, 2, 1, 1, 1]
    som = SOM((7, 4), random_state=0).initialize(X)
    codebook, plane = initial_codebook_and_plane("pca", som.normalizer_.transform(X),
                                                 som.lattice_, np.random.default_rng(0))
    np.testing.assert_array_equal(codebook, som.codebook_)
    assert plane.describes(som.codebook_)
    V = plane.axes
    np.testing.assert_allclose(V.T @ V, np.eye(2), atol=1e-12)


def test_dask_partitions_search_in_the_plane_as_memory_does(loop, planar_calls):
    da = pytest.importorskip("dask.array")
    import dask

    X = np.random.default_rng(10).standard_normal((1200, 4)) * [3, 2, 1, 1]
    mem = SOM((6, 5), random_state=0).fit(X, epochs=3)
    assert len(planar_calls) == 1
    planar_calls.clear()
    with dask.config.set(scheduler="threads"):
        out = SOM((6, 5), random_state=0).fit(da.from_array(X, chunks=(300, 4)), epochs=3)
    assert len(planar_calls) == 4 and all(c is not None for c in planar_calls)  # per partition
    np.testing.assert_allclose(out.codebook_, mem.codebook_, rtol=1e-9, atol=1e-9)
