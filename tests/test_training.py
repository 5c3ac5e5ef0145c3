"""Training kernels against direct loop implementations of the formulas."""

import itertools

import numpy as np
import pytest

from somwidget import SOM
from somwidget.lattice import LATTICES, Lattice
from somwidget.neighborhood import NEIGHBORHOODS, neighborhood_weights
from somwidget.normalization import NORMALIZATIONS
from somwidget.schedules import decay_schedule
from somwidget.training import (
    KernelOperator,
    OnlineContext,
    _inhibited_batch,
    batch_epoch,
    kernel_row,
    online_run,
    schedule_slice,
    smooth,
    unit_sums,
)


def _loop_batch(X, W, lattice, name, r):
    """The SOM Toolbox batch rule written as plain loops (tests only)."""
    M = W.shape[0]
    bmus = [int(np.argmin([np.sum((x - w) ** 2) for w in W])) for x in X]
    G = lattice.grid_distances()
    new = W.copy()
    for i in range(M):
        num = np.zeros(W.shape[1])
        den = 0.0
        for x, b in zip(X, bmus, strict=True):
            h = neighborhood_weights(name, np.array([G[i, b]]), r)[0]
            num += h * x
            den += h
        if den > 0:
            new[i] = num / den
    return new


def test_learning_rate_blends():
    rng = np.random.default_rng(4)
    lat = Lattice(3, 3, "rect")
    X, W = rng.normal(size=(40, 2)), rng.normal(size=(9, 2))
    H = neighborhood_weights("gaussian", lat.grid_distances(), 1.0)
    full, _ = batch_epoch(X, W, H)
    half, _ = batch_epoch(X, W, H, learning_rate=0.25)
    np.testing.assert_allclose(half, 0.75 * W + 0.25 * full, rtol=1e-12)


def test_unreached_neuron_keeps_its_vector_with_bubble():
    # all data sit at unit 0's corner; unit 8 is farther than the radius from every BMU
    lat = Lattice(3, 3, "rect")
    W = np.array([[0.0, 0.0]] + [[10.0 + k, 10.0] for k in range(8)])
    X = np.random.default_rng(5).normal(0.0, 0.1, size=(30, 2))
    H = neighborhood_weights("bubble", lat.grid_distances(), 1.0)
    new, bmus = batch_epoch(X, W, H)
    assert np.all(bmus == 0)
    np.testing.assert_array_equal(new[8], W[8])  # never collapses to the data mean
    np.testing.assert_allclose(new[0], X.mean(axis=0))


def test_mexican_hat_stays_in_the_data_range():
    rng = np.random.default_rng(6)
    X = rng.normal(size=(200, 3))
    som = SOM((8, 8), neighborhood="mexican_hat", initialization="random", random_state=0)
    som.fit(X, epochs=15, radius_start=4, radius_end=1)
    assert np.all(som.codebook_ >= X.min(axis=0) - 1e-12)
    assert np.all(som.codebook_ <= X.max(axis=0) + 1e-12)
    som.fit_online(X, epochs=2, radius_start=3, radius_end=1)
    assert np.abs(som.codebook_).max() <= np.abs(X).max() + 1e-12


def _loop_inhibited_batch(X, W, lattice, r, kappa):
    """The bounded-inhibition Mexican-hat batch rule written unit by unit (tests only): the
    mean of the excited data, pushed away from the mean of the inhibited data."""
    bmus = [int(np.argmin([np.sum((x - w) ** 2) for w in W])) for x in X]
    G = lattice.grid_distances()
    new = W.copy()
    for i in range(W.shape[0]):
        p = q = 0.0
        P = np.zeros(W.shape[1])
        Q = np.zeros(W.shape[1])
        for x, b in zip(X, bmus, strict=True):
            u = G[i, b] ** 2 / r**2
            h = (1 - u) * np.exp(-u / 2)
            if h > 0:
                p, P = p + h, P + h * x
            elif h < 0:
                q, Q = q - h, Q - h * x
        if p == 0:
            continue
        b_i = min(q / p, kappa)
        m_pos = P / p
        m_neg = Q / q if q > 0 else m_pos
        new[i] = m_pos + b_i / (1 - b_i) * (m_pos - m_neg)
    return new


@pytest.mark.parametrize(
    "name,kappa",
    [("gaussian", None), ("bubble", None), ("epanechikov", None),
     ("mexican_hat", 0.0), ("mexican_hat", 0.1), ("mexican_hat", 0.45)],
)
@pytest.mark.parametrize("kind", ["hexa", "toroidal_rect"])
def test_batch_epoch_matches_loop_formula(name, kappa, kind):
    rng = np.random.default_rng(3)
    lat = Lattice(3, 4, kind)
    X = rng.normal(size=(40, 3))
    W = rng.normal(size=(12, 3))
    H = neighborhood_weights(name, lat.grid_distances(), 1.3)
    new, bmus = batch_epoch(X, W, H, inhibition=kappa)
    if kappa is None:
        expected = _loop_batch(X, W, lat, name, 1.3)
    else:
        assert (H < 0).any()
        expected = _loop_inhibited_batch(X, W, lat, 1.3, kappa)
        # small row blocks give the same answer (large maps build the negative lobe blockwise)
        S, n = unit_sums(X, bmus, 12)
        np.testing.assert_allclose(_inhibited_batch(H, S, n, W, kappa, 1.0, block=5), new, rtol=1e-12)
    np.testing.assert_allclose(new, expected, rtol=1e-10, atol=1e-12)


def test_mexican_hat_inhibition_pushes_apart_but_stays_in_the_box():
    rng = np.random.default_rng(12)
    X = np.vstack([rng.normal(0, 0.2, size=(60, 2)), rng.normal(3, 0.2, size=(60, 2))])
    spread = {}
    for kappa in (0.0, 0.3):
        som = SOM((6, 6), neighborhood="mexican_hat", inhibition=kappa, random_state=0)
        som.fit(X, epochs=10, radius_start=3, radius_end=1)
        assert np.all(som.codebook_ >= X.min(axis=0) - 1e-12)
        assert np.all(som.codebook_ <= X.max(axis=0) + 1e-12)
        spread[kappa] = np.linalg.norm(som.codebook_ - X.mean(axis=0), axis=1).mean()
    assert spread[0.3] > spread[0.0]  # inhibition sharpens the contrast between the clusters


@pytest.mark.parametrize("bad", [1.0, -0.1, 1.5, "0.1", True, float("nan")])
def test_inhibition_is_validated(bad):
    with pytest.raises(ValueError, match=r"inhibition must be a number in \[0, 1\)"):
        SOM((3, 3), neighborhood="mexican_hat", inhibition=bad).fit(np.eye(3), epochs=1)


def _loop_online(X, W, lattice, name, order, radii, rates):
    W = W.copy()
    G = lattice.grid_distances()
    for t, i in enumerate(order):
        x = X[i]
        b = int(np.argmin(np.sum((W - x) ** 2, axis=1)))
        h = rates[t] * neighborhood_weights(name, G[b], radii[t])
        W += h[:, None] * (x - W)
    return W


@pytest.mark.parametrize("name", ["gaussian", "bubble", "cut_gaussian", "epanechikov"])
def test_online_run_matches_naive_kohonen_loop(name):
    rng = np.random.default_rng(7)
    lat = Lattice(4, 5, "hexa")
    X = rng.normal(3.0, 1.0, size=(60, 4))
    W0 = rng.normal(3.0, 1.0, size=(20, 4))
    order = rng.permutation(60)
    radii = np.linspace(3.0, 1.0, 60)
    rates = np.linspace(0.5, 0.05, 60)
    ctx = OnlineContext.create(W0, X, lat.grid_distances_squared(), name, "euclidean")
    online_run(ctx, X - ctx.center, order, radii, rates)
    np.testing.assert_allclose(
        ctx.codebook(), _loop_online(X, W0, lat, name, order, radii, rates), rtol=1e-9, atol=1e-9
    )


@pytest.mark.parametrize("kappa", [0.0, 0.2])
def test_online_mexican_hat_matches_the_capped_kohonen_loop(kappa):
    rng = np.random.default_rng(13)
    lat = Lattice(4, 5, "rect")
    X = rng.normal(size=(50, 3))
    W0 = rng.uniform(X.min(axis=0), X.max(axis=0), size=(20, 3))
    order = rng.permutation(50)
    radii = np.linspace(2.5, 1.0, 50)
    rates = np.linspace(0.5, 0.05, 50)
    lo, hi = X.min(axis=0), X.max(axis=0)
    G = lat.grid_distances()
    W = W0.copy()
    for t, i in enumerate(order):
        x = X[i]
        b = int(np.argmin(np.sum((W - x) ** 2, axis=1)))
        h = neighborhood_weights("mexican_hat", G[b], radii[t])
        pos, neg = h[h > 0].sum(), -h[h < 0].sum()
        if neg > kappa * pos:
            h = np.where(h < 0, h * kappa * pos / neg, h)
        W = np.clip(W + rates[t] * h[:, None] * (x - W), lo, hi)
    ctx = OnlineContext.create(W0, X, lat.grid_distances_squared(), "mexican_hat", "euclidean",
                               bounds=(lo, hi), inhibition=kappa)
    online_run(ctx, X - ctx.center, order, radii, rates)
    np.testing.assert_allclose(ctx.codebook(), W, rtol=1e-9, atol=1e-9)


@pytest.mark.parametrize("name", NEIGHBORHOODS)
def test_fast_kernel_equals_neighborhood_weights(name):
    d2 = np.linspace(0.0, 30.0, 61)
    for r in (0.5, 1.0, 3.7):
        np.testing.assert_allclose(
            kernel_row(name, d2, r), neighborhood_weights(name, d2, r, squared=True), rtol=1e-14
        )


@pytest.mark.parametrize("decay", ["linear", "exponential", "inverse"])
def test_schedule_slices_concatenate_to_the_schedule(decay):
    total = 23
    parts = [schedule_slice(2.0, 0.1, total, s, min(s + 5, total), decay) for s in range(0, total, 5)]
    np.testing.assert_allclose(np.concatenate(parts), decay_schedule(2.0, 0.1, total, decay), rtol=1e-14)


_DATA = np.abs(
    np.vstack([np.random.default_rng(0).normal(c, 0.3, size=(30, 3))
               for c in ([1, 1, 1], [4, 2, 1], [2, 5, 3])])
) + 0.1


@pytest.mark.parametrize("mode", ["batch", "online"])
@pytest.mark.parametrize(
    "lattice,neighborhood,normalization",
    list(itertools.product(LATTICES, NEIGHBORHOODS, NORMALIZATIONS)),
)
def test_training_lowers_errors(lattice, neighborhood, normalization, mode):
    som = SOM((4, 6), lattice=lattice, neighborhood=neighborhood, normalization=normalization,
              initialization="random", random_state=0).initialize(_DATA)
    q0, t0 = som.quantization_error(), som.topographic_error()
    if mode == "batch":
        som.fit(_DATA, epochs=8, radius_start=2, radius_end=1)
    else:
        # SOM Toolbox's rough-phase rate; with 0.1 four epochs on a 24-unit torus are too few
        # for the Gaussian to finish contracting (a schedule question, not a kernel one)
        som.fit_online(_DATA, epochs=4, radius_start=2, radius_end=1, learning_rate_start=0.5)
    assert som.topographic_error() < t0
    assert som.quantization_error() < q0
    if neighborhood == "mexican_hat":
        # the negative lobe must not throw prototypes out of the (training-space) data box
        Xt = som.normalizer_.transform(_DATA)
        assert np.all(som.codebook_ >= Xt.min(axis=0) - 1e-12)
        assert np.all(som.codebook_ <= Xt.max(axis=0) + 1e-12)


@pytest.mark.parametrize("name", NEIGHBORHOODS)
@pytest.mark.parametrize("kind", LATTICES)
def test_kernel_operator_rows_are_the_kernel_on_grid_distances(name, kind):
    lat = Lattice(4, 6, kind)
    op = KernelOperator(lat, name, 1.7, block_elements=30)  # one row per block
    assert op.block == 1
    from test_lattice import brute_force_distances  # independent: min over periodic images

    expected = neighborhood_weights(name, brute_force_distances(4, 6, kind), 1.7)
    np.testing.assert_allclose(op.toarray(), expected, rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("negative", [False, True])
def test_smooth_blockwise_equals_the_dense_products(negative):
    rng = np.random.default_rng(14)
    lat = Lattice(6, 5, "toroidal_hexa")
    A = rng.normal(size=(30, 4))
    op = KernelOperator(lat, "mexican_hat", 2.2, block_elements=30 * 4)
    Hd = op.toarray()
    for H in (op, Hd):
        out, neg = smooth(H, A, negative=negative, block=4)
        np.testing.assert_allclose(out, Hd @ A, rtol=1e-12, atol=1e-12)
        if negative:
            np.testing.assert_allclose(neg, np.maximum(-Hd, 0) @ A, rtol=1e-12, atol=1e-12)
        else:
            assert neg is None


@pytest.mark.parametrize("kind", LATTICES)
@pytest.mark.parametrize("shape", [(4, 6), (6, 5), (2, 9)])
def test_separable_gaussian_smoothing_equals_the_dense_kernel(kind, shape):
    from test_lattice import brute_force_distances

    rows, cols = shape
    lat = Lattice(rows, cols, kind)
    op = KernelOperator(lat, "gaussian", 1.9)
    assert op.separable
    A = np.random.default_rng(16).normal(size=(rows * cols, 5))
    H = neighborhood_weights("gaussian", brute_force_distances(rows, cols, kind), 1.9)
    out, neg = smooth(op, A)
    np.testing.assert_allclose(out, H @ A, rtol=1e-12, atol=1e-12)
    assert neg is None
    assert not KernelOperator(lat, "bubble", 1.9).separable


@pytest.mark.parametrize("name", ["gaussian", "bubble", "mexican_hat"])
def test_online_run_with_rows_on_demand_equals_the_dense_matrix(name):
    from somwidget.training import LatticeRows

    rng = np.random.default_rng(17)
    lat = Lattice(6, 5, "toroidal_hexa" if name == "gaussian" else "hexa")
    X = rng.normal(size=(40, 3))
    W0 = rng.uniform(X.min(axis=0), X.max(axis=0), size=(30, 3))
    order = rng.permutation(40)
    radii, rates = np.linspace(2.5, 0.8, 40), np.linspace(0.5, 0.05, 40)
    bounds = (X.min(axis=0), X.max(axis=0))
    out = []
    for d2 in (lat.grid_distances_squared(), LatticeRows(lat)):
        ctx = OnlineContext.create(W0, X, d2, name, "euclidean", bounds=bounds)
        online_run(ctx, X - ctx.center, order, radii, rates)
        out.append(ctx.codebook())
    np.testing.assert_allclose(out[1], out[0], rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize(
    "train",
    [lambda som, X: som.fit(X, epochs=1, radius_start=5, radius_end=5),  # separable Gaussian
     lambda som, X: som.set_params(neighborhood="bubble").fit(X, epochs=1, radius_start=3, radius_end=3),
     lambda som, X: som.set_params(neighborhood="bubble").fit(X, epochs=1, radius_start=12, radius_end=12),
     lambda som, X: som.fit_online(X, epochs=1, radius_start=3, radius_end=1)],
    ids=["batch-gaussian", "batch-bubble-sparse", "batch-bubble-row-blocks", "online"],
)
def test_training_a_large_map_never_builds_an_m_by_m_matrix(train):
    import tracemalloc

    X = np.random.default_rng(15).normal(size=(200, 3))
    som = SOM((80, 80), initialization="random", random_state=0).initialize(X)  # M = 6400
    tracemalloc.start()
    try:
        train(som, X)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    # one float32 M x M matrix would be 164 MB, the float64 kernel matrix 328 MB; the row blocks
    # of the kernel take about 4 x 16 MB
    assert peak < 100e6, f"peak {peak / 1e6:.0f} MB"


@pytest.mark.parametrize("name", ["bubble", "cut_gaussian", "epanechikov"])
@pytest.mark.parametrize("kind", LATTICES)
def test_sparse_compact_kernel_equals_the_dense_kernel(name, kind):
    from test_lattice import brute_force_distances

    lat = Lattice(6, 8, kind)
    A = np.random.default_rng(19).normal(size=(48, 3))
    D = brute_force_distances(6, 8, kind)
    for r in (0.7, 1.3, 2.45, 9.0):  # no lattice distance sits on a radius (float ties)
        op = KernelOperator(lat, name, r, sparse=True)
        expected = neighborhood_weights(name, D, r) @ A
        np.testing.assert_allclose(smooth(op, A)[0], expected, rtol=1e-12, atol=1e-12)
        assert op.sparse_matrix().nnz <= int((D <= r + 1e-9).sum())  # only pairs within r


def test_kernel_operator_picks_sparse_for_small_radii_on_large_maps():
    big, small = Lattice(64, 64, "hexa"), Lattice(10, 10, "hexa")
    assert KernelOperator(big, "bubble", 2.0).sparse
    assert not KernelOperator(big, "bubble", 30.0).sparse  # most pairs: dense blocks
    assert not KernelOperator(small, "bubble", 2.0).sparse  # small map: one dense block
    assert not KernelOperator(big, "gaussian", 2.0).sparse  # infinite support
