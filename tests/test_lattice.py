"""Lattice geometry: coordinates, grid distances, adjacency, wrap-around, persistence."""

from __future__ import annotations

import itertools
import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.spatial.distance import cdist

from somwidget.lattice import LATTICES, Lattice

S = math.sqrt(3) / 2


def brute_force_distances(rows: int, cols: int, kind: str) -> np.ndarray:
    """Independent reference: min over periodic images of the plain plane coordinates."""
    hexa = kind.endswith("hexa")
    pts = []
    for r in range(rows):
        for c in range(cols):
            pts.append((c + (0.5 if hexa and r % 2 else 0.0), r * (S if hexa else 1.0)))
    pts = np.array(pts)
    W = cols
    H = rows * (S if hexa else 1.0)
    wrap_x = kind.startswith(("toroidal", "cylindrical"))
    wrap_y = kind.startswith("toroidal")
    best = np.full((len(pts), len(pts)), np.inf)
    for a in (-1, 0, 1) if wrap_x else (0,):
        for b in (-1, 0, 1) if wrap_y else (0,):
            best = np.minimum(best, cdist(pts, pts + np.array([a * W, b * H])))
    return best


# --------------------------------------------------------------------------- coordinates
def test_hex_coordinates_by_hand():
    lat = Lattice(3, 2, "hexa")
    expected = [[0, 0], [1, 0], [0.5, S], [1.5, S], [0, 2 * S], [1, 2 * S]]
    np.testing.assert_allclose(lat.coordinates, expected)
    assert lat.shape == "hexa" and lat.n_neurons == 6
    assert lat.row_spacing == pytest.approx(0.8660254037844386)


def test_rect_coordinates_by_hand():
    lat = Lattice(2, 3, "rect")
    np.testing.assert_array_equal(lat.coordinates, [[0, 0], [1, 0], [2, 0], [0, 1], [1, 1], [2, 1]])


def test_index_row_col_roundtrip_and_vectorised():
    lat = Lattice(4, 5, "rect")
    assert lat.index(2, 3) == 13
    assert lat.row_col(13) == (2, 3)
    r, c = lat.row_col(np.arange(20))
    np.testing.assert_array_equal(lat.index(r, c), np.arange(20))
    with pytest.raises(ValueError, match="row"):
        lat.index(4, 0)
    with pytest.raises(ValueError, match="col"):
        lat.index(0, -1)
    with pytest.raises(ValueError, match="neuron index"):
        lat.row_col(20)


def test_period():
    assert Lattice(4, 5, "hexa").period == (None, None)
    assert Lattice(4, 5, "cylindrical_rect").period == (5.0, None)
    px, py = Lattice(4, 5, "toroidal_hexa").period
    assert px == 5.0 and py == pytest.approx(4 * S)


# --------------------------------------------------------------------------- adjacency
def _counts(lat: Lattice) -> np.ndarray:
    return lat.adjacency().sum(axis=1).reshape(lat.rows, lat.cols)


@pytest.mark.parametrize("kind", ["hexa", "cylindrical_hexa", "toroidal_hexa"])
def test_hex_interior_units_have_six_neighbours_at_distance_one(kind):
    lat = Lattice(6, 7, kind)
    d = lat.grid_distances()
    counts = _counts(lat)
    assert (counts[1:-1, 1:-1] == 6).all()
    for k in range(lat.n_neurons):
        nb = lat.neighbors(k)
        assert (d[k, nb] == 1.0).all()  # exact, not approximately
        assert k not in nb


def test_flat_hex_edge_and_corner_counts():
    counts = _counts(Lattice(4, 5, "hexa"))
    # row 0 (unshifted): left corner 2, right corner 3; row 3 (shifted): left 3, right 2
    assert counts[0, 0] == 2 and counts[0, -1] == 3
    assert counts[-1, 0] == 3 and counts[-1, -1] == 2
    assert (counts[0, 1:-1] == 4).all() and (counts[-1, 1:-1] == 4).all()
    # left edge: even rows 3, odd rows 5; right edge the other way round
    assert counts[1, 0] == 5 and counts[2, 0] == 3
    assert counts[1, -1] == 3 and counts[2, -1] == 5


def test_flat_rect_counts_4_and_8():
    c4 = _counts(Lattice(4, 5, "rect"))
    assert (c4[1:-1, 1:-1] == 4).all()
    assert c4[0, 0] == c4[0, -1] == c4[-1, 0] == c4[-1, -1] == 2
    assert (c4[0, 1:-1] == 3).all() and (c4[1:-1, 0] == 3).all()
    c8 = _counts(Lattice(4, 5, "rect", rect_adjacency=8))
    assert (c8[1:-1, 1:-1] == 8).all()
    assert c8[0, 0] == 3 and (c8[0, 1:-1] == 5).all()
    lat8 = Lattice(4, 5, "rect", rect_adjacency=8)
    d = lat8.grid_distances()
    assert set(np.round(d[lat8.adjacency()], 12)) == {1.0, round(math.sqrt(2), 12)}


def test_hexa_ignores_rect_adjacency():
    a = Lattice(4, 4, "hexa", rect_adjacency=8).adjacency()
    np.testing.assert_array_equal(a, Lattice(4, 4, "hexa").adjacency())


@pytest.mark.parametrize("rows,cols", [(4, 3), (6, 5), (8, 8)])
def test_toroidal_every_unit_same_count(rows, cols):
    assert (_counts(Lattice(rows, cols, "toroidal_hexa")) == 6).all()
    assert (_counts(Lattice(rows, cols, "toroidal_rect")) == 4).all()
    assert (_counts(Lattice(rows, cols, "toroidal_rect", rect_adjacency=8)) == 8).all()


@pytest.mark.parametrize("shape", ["hexa", "rect"])
def test_cylindrical_joins_left_right_not_top_bottom(shape):
    lat = Lattice(5, 6, f"cylindrical_{shape}")
    adj = lat.adjacency()
    assert adj[lat.index(2, 0), lat.index(2, 5)]  # left edge joins right edge
    assert not adj[lat.index(0, 2), lat.index(4, 2)]  # top does not join bottom
    counts = _counts(lat)
    full = 6 if shape == "hexa" else 4
    assert (counts[1:-1, :] == full).all()
    assert (counts[0, :] < full).all() and (counts[-1, :] < full).all()
    tor = Lattice(6, 6, f"toroidal_{shape}")
    assert tor.adjacency()[tor.index(0, 2), tor.index(5, 2)]


def test_toroidal_hex_wrap_neighbours_by_hand():
    lat = Lattice(4, 4, "toroidal_hexa")
    # (0,0) at x=0: row 3 (odd, shifted) units at x=-0.5 -> col 3 (via wrap) and x=0.5 -> col 0
    expected = {lat.index(0, 1), lat.index(0, 3), lat.index(1, 0), lat.index(1, 3),
                lat.index(3, 0), lat.index(3, 3)}
    assert set(lat.neighbors(0).tolist()) == expected


def test_odd_rows_toroidal_hex_rejected():
    with pytest.raises(ValueError, match="even number of rows"):
        Lattice(5, 6, "toroidal_hexa")
    Lattice(5, 6, "cylindrical_hexa")  # fine


# --------------------------------------------------------------------------- distances
@settings(max_examples=40, deadline=None)
@given(
    rows=st.integers(1, 7),
    cols=st.integers(1, 7),
    kind=st.sampled_from(LATTICES),
)
def test_grid_distances_match_brute_force_images(rows, cols, kind):
    if rows * cols < 2:
        return
    if kind == "toroidal_hexa" and rows % 2:
        rows += 1
    lat = Lattice(rows, cols, kind)
    d = lat.grid_distances()
    np.testing.assert_allclose(d, brute_force_distances(rows, cols, kind), atol=1e-12)
    np.testing.assert_allclose(lat.grid_distances_squared(), d**2, atol=1e-12)
    # metric properties
    np.testing.assert_array_equal(d, d.T)
    assert (np.diag(d) == 0).all()
    off = d[~np.eye(lat.n_neurons, dtype=bool)]
    assert (off > 0).all()
    assert (d[:, None, :] <= d[:, :, None] + d[None, :, :] + 1e-12).all()  # d(i,k) <= d(i,j)+d(j,k)


def test_flat_distances_equal_plane_distances():
    lat = Lattice(5, 4, "hexa")
    np.testing.assert_allclose(lat.grid_distances(), cdist(lat.coordinates, lat.coordinates), atol=1e-12)


def test_toroidal_wrap_shortens_distance():
    lat = Lattice(4, 6, "toroidal_rect")
    assert lat.grid_distances()[lat.index(0, 0), lat.index(0, 5)] == 1.0
    assert lat.grid_distances()[lat.index(0, 0), lat.index(3, 5)] == pytest.approx(math.sqrt(2))
    flat = Lattice(4, 6, "rect")
    assert flat.grid_distances()[0, 5] == 5.0


def test_cached_and_read_only():
    lat = Lattice(3, 4, "hexa")
    assert lat.grid_distances() is lat.grid_distances()
    assert lat.adjacency() is lat.adjacency()
    for a in (lat.grid_distances(), lat.adjacency(), lat.grid_distances_squared(), lat.coordinates,
              lat.neighbors(0)):
        with pytest.raises(ValueError):
            a.flat[0] = 1


def test_neighbor_lists_match_adjacency():
    lat = Lattice(5, 5, "toroidal_rect", rect_adjacency=8)
    lists = lat.neighbor_lists()
    adj = lat.adjacency()
    assert len(lists) == 25
    for k, nb in enumerate(lists):
        np.testing.assert_array_equal(nb, np.flatnonzero(adj[k]))


def test_diameter():
    assert Lattice(3, 4, "rect").diameter == pytest.approx(math.hypot(3, 2))
    assert Lattice(4, 4, "toroidal_rect").diameter == pytest.approx(math.hypot(2, 2))


# --------------------------------------------------------------------------- validation
@pytest.mark.parametrize(
    "args,exc,msg",
    [
        ((0, 5), ValueError, "rows"),
        ((5, 0), ValueError, "cols"),
        ((1, 1), ValueError, "at least 2 neurons"),
        ((2.5, 3), TypeError, "rows"),
        ((3, 3, "hexagon"), ValueError, "lattice must be one of"),
    ],
)
def test_invalid_arguments(args, exc, msg):
    with pytest.raises(exc, match=msg):
        Lattice(*args)


def test_invalid_rect_adjacency():
    with pytest.raises(ValueError, match="rect_adjacency must be one of 4, 8"):
        Lattice(3, 3, "rect", rect_adjacency=6)


def test_single_row_and_column_maps():
    line = Lattice(1, 5, "rect")
    assert _counts(line).ravel().tolist() == [1, 2, 2, 2, 1]
    col = Lattice(5, 1, "hexa")  # hex column zig-zags: consecutive rows are at distance 1
    assert _counts(col).ravel().tolist() == [1, 2, 2, 2, 1]


def test_alias_and_case():
    assert Lattice(3, 3, "Hex").kind == "hexa"
    assert Lattice(3, 3, "RECTANGULAR").kind == "rect"


# --------------------------------------------------------------------------- persistence
@pytest.mark.parametrize("kind,adj", list(itertools.product(LATTICES, (4, 8))))
def test_dict_roundtrip(kind, adj):
    lat = Lattice(4, 3, kind, rect_adjacency=adj)
    d = lat.to_dict()
    assert d["hex_offset"] == "odd_rows_right"
    assert d["row_spacing"] == pytest.approx(S if kind.endswith("hexa") else 1.0)
    back = Lattice.from_dict(d)
    assert back == lat
    assert (back.rows, back.cols, back.kind, back.rect_adjacency) == (4, 3, kind, adj)


def test_from_dict_rejects_other_conventions():
    d = Lattice(4, 3, "hexa").to_dict()
    with pytest.raises(ValueError, match="hex_offset"):
        Lattice.from_dict({**d, "hex_offset": "even_rows_right"})
    with pytest.raises(ValueError, match="row_spacing"):
        Lattice.from_dict({**d, "row_spacing": 1.0})
    with pytest.raises(ValueError, match="hex_offset"):
        Lattice.from_dict({k: v for k, v in d.items() if k != "hex_offset"})
    with pytest.raises(ValueError, match="unknown kind"):
        Lattice.from_dict({**d, "kind": "spherical"})
    with pytest.raises(ValueError, match="missing"):
        Lattice.from_dict({"rows": 3})


# --------------------------------------------------------------------------- O(M) adjacency
def reference_adjacency(rows: int, cols: int, kind: str, adj: int) -> np.ndarray:
    """The dense distance-based definition, from the brute-force periodic-image distances."""
    d = brute_force_distances(rows, cols, kind)
    ok = np.isclose(d, 1.0)
    if not kind.endswith("hexa") and adj == 8:
        ok |= np.isclose(d, math.sqrt(2))
    np.fill_diagonal(ok, False)
    return ok


@settings(max_examples=60, deadline=None)
@given(
    rows=st.integers(1, 7),
    cols=st.integers(1, 7),
    kind=st.sampled_from(LATTICES),
    adj=st.sampled_from([4, 8]),
)
def test_neighbor_pairs_match_dense_distance_definition(rows, cols, kind, adj):
    if rows * cols < 2:
        return
    if kind == "toroidal_hexa" and rows % 2:
        rows += 1
    lat = Lattice(rows, cols, kind, rect_adjacency=adj)
    ref = reference_adjacency(rows, cols, kind, adj)
    pairs = lat.neighbor_pairs()
    assert pairs.dtype == np.int64 and pairs.ndim == 2 and pairs.shape[1] == 2
    assert (pairs[:, 0] < pairs[:, 1]).all()  # i < j: no self pair, each pair once
    keys = pairs[:, 0] * lat.n_neurons + pairs[:, 1]
    assert (np.diff(keys) > 0).all()  # sorted, no duplicates
    np.testing.assert_array_equal(pairs, np.argwhere(np.triu(ref)))
    np.testing.assert_array_equal(lat.adjacency(), ref)
    sp = lat.adjacency_sparse()
    assert sp.shape == ref.shape and sp.nnz == 2 * len(pairs)
    np.testing.assert_array_equal(sp.toarray(), ref)
    np.testing.assert_array_equal(lat.neighbor_counts(), ref.sum(axis=1))
    for k, nb in enumerate(lat.neighbor_lists()):
        np.testing.assert_array_equal(nb, np.flatnonzero(ref[k]))
        np.testing.assert_array_equal(lat.neighbors(k), nb)
    i, j = np.divmod(np.arange(lat.n_neurons**2), lat.n_neurons)
    np.testing.assert_array_equal(lat.are_adjacent(i, j), ref.ravel())


@pytest.mark.parametrize(
    "rows,cols,kind,adj,expected",
    [
        # 2 wrapping columns: left and right neighbour are the same unit, listed once
        (1, 2, "toroidal_rect", 4, [[0, 1]]),
        (1, 2, "cylindrical_hexa", 4, [[0, 1]]),
        # one wrapping column: the horizontal offsets land on the unit itself
        (3, 1, "cylindrical_rect", 4, [[0, 1], [1, 2]]),
        (2, 1, "toroidal_rect", 8, [[0, 1]]),
        # 2x2 torus with diagonals: everyone touches everyone, once
        (2, 2, "toroidal_rect", 8, [[0, 1], [0, 2], [0, 3], [1, 2], [1, 3], [2, 3]]),
        (2, 2, "toroidal_rect", 4, [[0, 1], [0, 2], [1, 3], [2, 3]]),
        # 2x2 hex torus: (0,0) at x=0 touches (1,1) at x=1.5 through the wrap (dx = 0.5)
        (2, 2, "toroidal_hexa", 4, [[0, 1], [0, 2], [0, 3], [1, 2], [1, 3], [2, 3]]),
    ],
)
def test_tiny_wrapped_maps_by_hand(rows, cols, kind, adj, expected):
    lat = Lattice(rows, cols, kind, rect_adjacency=adj)
    assert lat.neighbor_pairs().tolist() == expected
    for k in range(lat.n_neurons):
        assert k not in lat.neighbors(k)
        assert len(set(lat.neighbors(k).tolist())) == len(lat.neighbors(k))


def test_hex_offsets_by_row_parity_by_hand():
    lat = Lattice(5, 5, "hexa")
    # even row 2, col 2 (x = 2): rows 1 and 3 are shifted, their units at x = 1.5, 2.5 are cols 1, 2
    assert lat.neighbors(lat.index(2, 2)).tolist() == sorted(
        lat.index(np.array([1, 1, 2, 2, 3, 3]), np.array([1, 2, 1, 3, 1, 2])).tolist()
    )
    # odd row 1, col 2 (x = 2.5): rows 0 and 2 unshifted, units at x = 2, 3 are cols 2, 3
    assert lat.neighbors(lat.index(1, 2)).tolist() == sorted(
        lat.index(np.array([0, 0, 1, 1, 2, 2]), np.array([2, 3, 1, 3, 2, 3])).tolist()
    )


def test_sparse_adjacency_is_a_fresh_csr_copy():
    lat = Lattice(3, 4, "hexa")
    a = lat.adjacency_sparse()
    assert a.format == "csr" and a.dtype == bool
    a.data[:] = False
    assert lat.adjacency_sparse().toarray().sum() == 2 * len(lat.neighbor_pairs())
    with pytest.raises(ValueError):
        lat.neighbor_pairs()[0, 0] = 5


def test_are_adjacent_validates_and_broadcasts():
    lat = Lattice(3, 3, "rect")
    assert lat.are_adjacent(4, np.array([1, 3, 5, 7, 0, 4])).tolist() == [True] * 4 + [False] * 2
    with pytest.raises(ValueError, match="neuron index"):
        lat.are_adjacent(0, 9)



@pytest.mark.parametrize("kind", ["hexa", "toroidal_rect"])
def test_are_adjacent_in_blocks_matches_the_dense_matrix(monkeypatch, kind):
    # many pairs are looked up a block at a time (bounded temporaries): with blocks of 7 pairs
    # the answers of 1-D, 2-D broadcast and 0-d queries are those of the dense matrix by hand
    from somwidget import _lattice_adjacency

    lat = Lattice(5, 6, kind)
    ref = np.zeros((lat.n_neurons, lat.n_neurons), dtype=bool)
    for k in range(lat.n_neurons):
        ref[k, lat.neighbors(k)] = True
    monkeypatch.setattr(_lattice_adjacency, "PAIR_BLOCK", 7)
    rng = np.random.default_rng(0)
    a, b = rng.integers(0, lat.n_neurons, 1000), rng.integers(0, lat.n_neurons, 1000)
    np.testing.assert_array_equal(lat.are_adjacent(a, b), ref[a, b])
    col, row = np.arange(lat.n_neurons)[:, None], np.arange(lat.n_neurons, dtype=np.uint16)[None]
    got = lat.are_adjacent(col, row)
    assert got.shape == ref.shape
    np.testing.assert_array_equal(got, ref)
    np.testing.assert_array_equal(lat.are_adjacent(row[0], col), ref.T)
    assert lat.are_adjacent(0, 1) == ref[0, 1] and np.ndim(lat.are_adjacent(0, 1)) == 0

# --------------------------------------------------------------------------- distance storage
@settings(max_examples=30, deadline=None)
@given(rows=st.integers(1, 7), cols=st.integers(1, 7), kind=st.sampled_from(LATTICES))
def test_diameter_and_rows_match_brute_force(rows, cols, kind):
    if rows * cols < 2:
        return
    if kind == "toroidal_hexa" and rows % 2:
        rows += 1
    lat = Lattice(rows, cols, kind)
    d = brute_force_distances(rows, cols, kind)
    assert lat.diameter == pytest.approx(d.max(), abs=1e-12)
    units = np.array([0, lat.n_neurons - 1, lat.n_neurons // 2])
    rows_sq = lat.grid_distances_squared_from(units)  # before any full matrix exists
    assert "sq" not in lat._cache
    np.testing.assert_allclose(rows_sq, d[units] ** 2, atol=1e-12)
    np.testing.assert_array_equal(rows_sq, lat.grid_distances_squared()[units])
    np.testing.assert_array_equal(lat.grid_distances_squared_from(1), lat.grid_distances_squared()[1])


@pytest.mark.parametrize("kind", LATTICES)
def test_float32_storage_is_exact_and_not_duplicated(kind, monkeypatch):
    ref = Lattice(6, 5, kind).grid_distances_squared()
    assert ref.dtype == np.float64
    monkeypatch.setattr("somwidget.lattice.FLOAT32_MIN_NEURONS", 2)
    lat = Lattice(6, 5, kind)
    sq = lat.grid_distances_squared()
    assert sq.dtype == np.float32
    np.testing.assert_array_equal(sq.astype(np.float64), ref)  # bit-exact, neighbours at 1.0
    d = lat.grid_distances()
    assert d.dtype == np.float32 and d is not lat.grid_distances()  # not cached a second time
    np.testing.assert_allclose(d, brute_force_distances(6, 5, kind), rtol=1e-6)
    assert lat.grid_distances_squared_from(3).dtype == np.float64
    lat.release_grid_distances()
    assert "sq" not in lat._cache and len(lat.neighbor_pairs()) > 0


@pytest.mark.parametrize("kind", LATTICES)
@pytest.mark.parametrize("shape", [(4, 6), (6, 5), (2, 9), (10, 8)])
def test_pairs_within_a_radius(kind, shape):
    rows, cols = shape
    if kind == "toroidal_hexa" and rows % 2:
        pytest.skip("a toroidal hex map needs an even number of rows")
    lat = Lattice(rows, cols, kind)
    D = brute_force_distances(rows, cols, kind)
    for r in (0.0, 0.7, 1.0, 1.5, 1.75, 2.0, 3.3, 20.0):
        i, j, d2 = lat.pairs_within(r)
        # 1.0 and 2.0 are lattice distances: the exact squared distance decides (<= r²)
        expected = set(zip(*np.nonzero(D**2 <= r * r + 1e-9), strict=True))
        assert set(zip(i.tolist(), j.tolist(), strict=True)) == expected
        assert len(i) == len(expected)  # no pair twice
        np.testing.assert_allclose(d2, D[i, j] ** 2, atol=1e-9)


def test_unknown_keyword_names_lattice_and_its_parameters():
    # was "Lattice.__init__() got an unexpected keyword argument 'lattice'"
    with pytest.raises(TypeError, match=r"Lattice\(\) got an unexpected keyword argument "
                       r"'lattice'; a Lattice's shape is its kind= \('hexa', 'rect', \.\.\.\)\. "
                       r"Its parameters are: rows, cols, kind, rect_adjacency"):
        Lattice(3, 3, lattice="rect")
    with pytest.raises(TypeError, match=r"Lattice\(\) takes at most 4 positional argument\(s\) "
                       r"\(rows, cols, kind, rect_adjacency\) but 5 were given$"):
        Lattice(3, 3, "rect", 4, 5)
    with pytest.raises(TypeError, match=r"Lattice\(\) is missing the required argument\(s\) 'cols'"):
        Lattice(3)
