"""A map too large for the machine is refused with an error naming mapsize, before anything is
allocated (a 20000 x 20000 map used to be killed by the kernel's OOM killer mid-allocation, taking
the notebook's kernel with it; 100000 x 100000 raised numpy's "Unable to allocate 74.5 GiB")."""

from __future__ import annotations

import time

import numpy as np
import pytest

from somwidget import SOM, _map_memory
from somwidget.lattice import Lattice

X = np.random.default_rng(0).normal(size=(50, 3))


@pytest.mark.parametrize("mapsize", [(20000, 20000), (100000, 100000)])
def test_a_map_beyond_the_machine_is_refused_up_front(mapsize):
    t0 = time.perf_counter()
    with pytest.raises(ValueError, match=r"mapsize .* neurons.*GB.*available.*smaller mapsize"):
        SOM(mapsize, random_state=0).fit(X)
    assert time.perf_counter() - t0 < 5.0  # refused before building the lattice
    with pytest.raises(ValueError, match=r"rows x cols"):
        Lattice(*mapsize, "rect")


def test_the_bound_follows_the_memory_available(monkeypatch):
    # 300 x 300 neurons, 16 features: about 90,000 x (48 x 16 + 4096) bytes = 438 MB
    X16 = np.random.default_rng(1).normal(size=(40, 16))
    monkeypatch.setattr(_map_memory, "available_memory", lambda: 200e6)
    with pytest.raises(ValueError, match=r"mapsize \(300, 300\) has 90,000 neurons") as err:
        SOM((300, 300), random_state=0).initialize(X16)
    assert "0.2 GB available" in str(err.value)
    monkeypatch.setattr(_map_memory, "available_memory", lambda: 2e9)
    som = SOM((300, 300), random_state=0).initialize(X16)
    assert som.codebook_.shape == (90_000, 16)


def test_no_bound_where_the_memory_cannot_be_read(monkeypatch):
    monkeypatch.setattr(_map_memory, "available_memory", lambda: None)
    som = SOM((30, 30), random_state=0).initialize(X)
    assert som.codebook_.shape == (900, 3)


def test_available_memory_is_a_positive_number_here():
    avail = _map_memory.available_memory()
    assert avail is None or 1e7 < avail < 1e15
