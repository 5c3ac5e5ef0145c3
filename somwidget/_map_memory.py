"""Whether this machine has the memory a map of a given size needs, checked before it is built.

A 20000 x 20000 map asks for 400 million neurons: numpy's allocations succeed (the kernel
overcommits), and the process is killed by the OOM killer once they are touched, taking a
notebook's kernel with it. :func:`check_map_memory` refuses such a map up front with an error
naming the parameter, from an estimate of what training it needs
(:data:`BYTES_PER_NEURON_FEATURE` per neuron and feature, :data:`BYTES_PER_NEURON` per neuron)
against the memory the machine (or its container) has available.
"""

from __future__ import annotations

import os

__all__ = ["BYTES_PER_NEURON", "BYTES_PER_NEURON_FEATURE", "available_memory", "check_map_memory"]

#: Float64 arrays of the codebook's size a batch epoch holds at once: the codebook, the next
#: one, the per-unit sums, the smoothed sums (two), the centred codebook.
BYTES_PER_NEURON_FEATURE = 6 * 8
#: Per neuron, whatever the features: coordinates, the lattice's adjacency, the rows of the
#: neighbourhood kernel and of the score block built for it (measured: 4-6 kB per neuron of a
#: 200 x 200 and a 400 x 400 map trained on 1,000 x 16 data, of which 0.8 kB is the codebook).
BYTES_PER_NEURON = 4096
#: Maps needing less than this are not checked (no reading of /proc for every small lattice).
UNCHECKED_BYTES = 64 << 20


def _cgroup_room() -> float | None:
    """Bytes the container's memory limit still allows (cgroup v2 or v1), None without one."""
    for limit_path, usage_path in (("/sys/fs/cgroup/memory.max", "/sys/fs/cgroup/memory.current"),
                                   ("/sys/fs/cgroup/memory/memory.limit_in_bytes",
                                    "/sys/fs/cgroup/memory/memory.usage_in_bytes")):
        try:
            with open(limit_path, encoding="ascii") as f:
                limit = f.read().strip()
            with open(usage_path, encoding="ascii") as f:
                usage = float(f.read().strip())
        except (OSError, ValueError):
            continue
        if limit == "max" or not limit.isdigit() or float(limit) >= 2.0**60:
            return None
        return max(0.0, float(limit) - usage)
    return None


def available_memory() -> float | None:
    """Bytes of memory available to this process: Linux's ``MemAvailable`` (or the free
    physical pages elsewhere), less where a container's limit leaves less; None when unknown."""
    avail: float | None = None
    try:
        with open("/proc/meminfo", encoding="ascii") as f:
            for line in f:
                if line.startswith("MemAvailable:"):
                    avail = float(line.split()[1]) * 1024.0
                    break
    except OSError:
        pass
    if avail is None:
        try:
            avail = float(os.sysconf("SC_AVPHYS_PAGES") * os.sysconf("SC_PAGE_SIZE"))
        except (AttributeError, ValueError, OSError):
            avail = None
    room = _cgroup_room()
    if room is not None:
        avail = room if avail is None else min(avail, room)
    return avail


def _gb(n_bytes: float) -> str:
    return f"{n_bytes / 1e9:.2g} GB" if n_bytes < 1e10 else f"{n_bytes / 1e9:,.0f} GB"


def check_map_memory(rows: int, cols: int, n_features: int = 0,
                     name: str = "mapsize") -> None:
    """Raise ValueError when a ``rows x cols`` map of ``n_features`` features needs more memory
    than is available (module notes); nothing when the available memory is unknown.

    Parameters
    ----------
    rows, cols : int
    n_features : int
        0 for the lattice alone.
    name : str
        The parameter to name: ``"mapsize"`` (a SOM) or ``"rows x cols"`` (a Lattice).
    """
    m = int(rows) * int(cols)
    need = float(m) * (BYTES_PER_NEURON_FEATURE * int(n_features) + BYTES_PER_NEURON)
    if need <= UNCHECKED_BYTES:
        return
    avail = available_memory()
    if avail is None or need <= avail:
        return
    size = f"({int(rows)}, {int(cols)})" if name == "mapsize" else f"= {int(rows)} x {int(cols)}"
    codebook = f" (its codebook alone {_gb(8.0 * m * n_features)})" if n_features else ""
    raise ValueError(
        f"{name} {size} has {m:,} neurons: a map that size needs about {_gb(need)} of memory"
        f"{codebook}, and this machine has {_gb(avail)} available; use a smaller mapsize "
        f"(mapsize='auto' picks one for the data: about 5 sqrt(N) neurons for N samples)"
    )
